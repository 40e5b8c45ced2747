from . import test_interop_crypto
from . import test_interop_endpoint
from . import test_interop_endpoint_security
from . import test_res_config_settings
from . import test_interop_mapping
