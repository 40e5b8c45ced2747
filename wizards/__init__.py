from . import interop_exception_dismiss
from . import interop_audit_verify
from . import interop_endpoint_retire
