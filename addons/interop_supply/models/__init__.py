# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import interop_endpoint
from . import stock_warehouse
from . import interop_supply_order_intake
from . import interop_supply_order_fulfilment
from . import interop_supply_order
from . import interop_stock_count
from . import interop_stock_count_line
from . import interop_sync
from . import interop_sync_product_catalog
from . import account_bank_statement_line
from . import account_move_line
