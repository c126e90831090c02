"""Compatibility re-export: errors live in :mod:`k8score.api.errors`."""
from ..api.errors import *  # noqa: F401,F403
from ..api.errors import ApiError, status  # noqa: F401
