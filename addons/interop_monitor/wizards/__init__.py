from . import interop_metrics_key_generate
from . import interop_metrics_key_show
