from . import interop_api_key
from . import interop_endpoint
from . import interop_gateway
from . import interop_gateway_openapi
from . import ir_http
