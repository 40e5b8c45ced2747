# Copyright 2026 Interop
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import test_hl7_gateway
from . import test_fhir_gateway
from . import test_x12_remittance
from . import test_mllp_bridge
