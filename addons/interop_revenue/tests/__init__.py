# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import test_revenue_billing
from . import test_revenue_payment
from . import test_revenue_settlement
from . import test_revenue_intake
from . import test_demo_users
from . import test_revenue_settlement_sync
from . import test_revenue_exception_context
from . import test_demo_story
from . import test_revenue_monitor
from . import test_revenue_timing
from . import test_revenue_flow
from . import test_revenue_party
from . import test_revenue_timing_tour
