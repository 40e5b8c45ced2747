# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import interop_endpoint
from . import interop_message
from . import interop_visit
from . import interop_visit_intake
from . import interop_visit_billing
from . import interop_visit_line
from . import interop_visit_payment
from . import interop_visit_payment_settlement
from . import res_partner
from . import interop_sync
from . import interop_monitor_figure
from . import interop_timing_rule
