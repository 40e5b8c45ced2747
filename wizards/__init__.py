from . import interop_exception_dismiss
