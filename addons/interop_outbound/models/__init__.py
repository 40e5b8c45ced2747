from . import interop_credential
from . import interop_endpoint
from . import interop_outbound_delivery
from . import interop_message
from . import interop_retention
from . import interop_message_attempt
from . import interop_sync
from . import interop_sync_run
