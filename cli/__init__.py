from . import common
from . import audit_verify
