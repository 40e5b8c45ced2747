from . import test_intake
