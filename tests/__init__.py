from . import (
    test_interop_endpoint,
    test_interop_endpoint_security,
    test_res_config_settings,
)
