from . import common
from . import audit_verify
from . import rotate_keys
