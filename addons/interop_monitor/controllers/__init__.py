from . import interop_monitor
