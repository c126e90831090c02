"""Compatibility re-export: field errors live in :mod:`k8score.api.field`."""
from ..api.field import *  # noqa: F401,F403
