from . import test_interop_crypto
from . import test_interop_endpoint
from . import test_interop_endpoint_security
from . import test_interop_event_type
from . import test_interop_exception
from . import test_interop_message
from . import test_interop_retention
from . import test_res_config_settings
