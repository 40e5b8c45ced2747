from . import audit_verify
