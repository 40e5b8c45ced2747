from . import test_monitor_rollup
from . import test_monitor_alert
from . import test_monitor_metrics
