from . import interop_crypto
from . import interop_audit_entry
from . import interop_team
from . import interop_endpoint
from . import res_config_settings
