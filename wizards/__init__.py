from . import interop_audit_verify
