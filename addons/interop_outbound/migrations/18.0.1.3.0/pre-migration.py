# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Upgrade to the catalog pull in interop_supply.

The product catalog pull handler, its selection value and the demo sync that uses
it are interop_supply's now (interop_outbound no longer depends on ``product``):
their external ids follow, so that this upgrade does not delete them as records
interop_outbound stopped declaring. Without interop_supply they stay as they are.
"""


def migrate(cr, version):
    cr.execute(
        "SELECT 1 FROM ir_module_module WHERE name = 'interop_supply' "
        "AND state IN ('installed', 'to upgrade')"
    )
    if not cr.fetchone():
        return
    cr.execute(
        """
        UPDATE ir_model_data d
           SET module = 'interop_supply'
         WHERE d.module = 'interop_outbound'
           AND d.name IN (
               'sync_service_catalog',
               'selection__interop_sync__pull_handler__product_catalog'
           )
           AND NOT EXISTS (
               SELECT 1 FROM ir_model_data o
                WHERE o.module = 'interop_supply' AND o.name = d.name
           )
        """
    )
