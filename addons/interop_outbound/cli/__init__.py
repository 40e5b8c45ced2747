from . import rotate_keys
