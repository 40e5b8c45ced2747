from . import interop_message

# before interop_endpoint, which interop_monitor_figure imports
from . import interop_endpoint_availability
from . import interop_monitor_cursor
from . import interop_monitor_rollup_retention
from . import interop_monitor_rollup
from . import interop_monitor_figure
from . import interop_monitor_metrics
from . import interop_monitor_reading
from . import interop_alert_rule
from . import interop_alert_event
from . import interop_metrics_key
from . import interop_endpoint
from . import interop_monitor_health_check
from . import interop_exception
from . import res_users
