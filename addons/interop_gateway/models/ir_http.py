# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models
from odoo.http import request


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _auth_method_interop_partner(cls):
        """``auth="interop_partner"``: partner systems authenticate with their API
        key (the gateway checks it), not as Odoo users. The request runs as the
        public user, whose id comes from the registry's cache of XML ids: no query,
        where ``auth="public"`` checks that the user exists on every request."""
        public_uid = request.env["ir.model.data"]._xmlid_to_res_id(
            "base.public_user", raise_if_not_found=True
        )
        request.update_env(user=public_uid)
