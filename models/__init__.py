from . import interop_endpoint, interop_team, res_config_settings
