# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import test_supply_order
from . import test_supply_concurrency
from . import test_supply_dispatch
from . import test_supply_bank
from . import test_supply_stock_count
from . import test_supply_catalog_pull
