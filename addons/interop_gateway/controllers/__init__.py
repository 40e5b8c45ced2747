from . import interop_gateway
