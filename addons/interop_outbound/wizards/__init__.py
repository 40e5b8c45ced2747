from . import interop_credential_set
