from . import interop_crypto
from . import interop_team
from . import interop_endpoint
from . import res_config_settings
from . import interop_mapping_table
from . import interop_mapping_line
