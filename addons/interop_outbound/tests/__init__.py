from . import test_interop_credential
from . import test_outbound_delivery
from . import test_outbound_breaker
from . import test_outbound_oauth2
from . import test_key_rotation
from . import test_interop_sync
from . import test_outbound_retention
from . import test_credential_ownership
