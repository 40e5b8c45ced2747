from . import models
from . import wizards
from . import cli


def post_load():
    """Server-wide set-up, once per process."""
    models.interop_message.install_sql_log_filter()
