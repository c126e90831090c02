"""Errors clients see: the API server's ``ApiError`` (a Kubernetes Status), re-exported."""

from ..api.errors import ApiError

__all__ = ["ApiError", "is_not_found", "is_conflict", "is_already_exists"]


def is_not_found(err: BaseException) -> bool:
    return isinstance(err, ApiError) and err.code == 404


def is_conflict(err: BaseException) -> bool:
    return isinstance(err, ApiError) and err.code == 409 and err.reason == "Conflict"


def is_already_exists(err: BaseException) -> bool:
    return isinstance(err, ApiError) and err.reason == "AlreadyExists"
