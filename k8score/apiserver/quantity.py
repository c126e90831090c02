"""Compatibility re-export: quantities live in :mod:`k8score.api.quantity`."""
from ..api.quantity import *  # noqa: F401,F403
from ..api.quantity import Quantity, QuantityError, canonical, parse_quantity  # noqa: F401
