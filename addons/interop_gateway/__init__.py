from . import controllers
from . import models
from . import wizards
from . import serving


def post_load():
    """Server-wide patches, installed once per process (see serving.py)."""
    serving.install()
