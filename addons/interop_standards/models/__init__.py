# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import interop_gateway
from . import interop_message
from . import interop_standards_adapter
from . import interop_hl7_adapter
from . import interop_appointment
from . import res_partner
from . import interop_x12_adapter
from . import interop_remittance
from . import interop_remittance_claim
from . import interop_fhir_adapter
