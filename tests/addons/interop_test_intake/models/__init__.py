from . import interop_message
