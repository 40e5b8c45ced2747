from . import interop_api_key_generate
from . import interop_api_key_show
from . import interop_gateway_secret_set
