"""Validation of PriorityClass (pkg/apis/scheduling/validation/validation.go)."""

from __future__ import annotations

from ...api.field import FieldError, forbidden, invalid, not_supported, required
from ..admission.priority import HIGHEST_USER_DEFINABLE_PRIORITY, SYSTEM_PREFIX, is_system_class

_POLICIES = ["Never", "PreemptLowerPriority"]  # core validation ValidatePreemptionPolicy
_INT32 = (-(2**31), 2**31 - 1)


def priority_class(obj: dict) -> list[FieldError]:
    """ValidatePriorityClass: user classes stay at or below 1e9 and outside ``system-``."""
    errs: list[FieldError] = []
    name = obj["metadata"].get("name") or ""
    value = obj.get("value")
    if value is None:
        return [required("value")]
    if isinstance(value, bool) or not isinstance(value, int) or not _INT32[0] <= value <= _INT32[1]:
        return [invalid("value", value, "must be a 32-bit integer")]
    if not is_system_class(name, value, obj.get("globalDefault")):
        if value > HIGHEST_USER_DEFINABLE_PRIORITY:
            errs.append(forbidden("value", f"maximum allowed value of a user defined priority is "
                                           f"{HIGHEST_USER_DEFINABLE_PRIORITY}"))
        elif isinstance(name, str) and name.startswith(SYSTEM_PREFIX):
            errs.append(forbidden("metadata.name", "priority class names with 'system-' prefix "
                                                   "are reserved for system use only"))
    if not isinstance(obj.get("globalDefault", False), bool):
        errs.append(invalid("globalDefault", obj.get("globalDefault"), "must be a boolean"))
    policy = obj.get("preemptionPolicy")
    if policy not in _POLICIES:
        errs.append(not_supported("preemptionPolicy", policy, _POLICIES))
    return errs


def priority_class_update(new: dict, old: dict) -> list[FieldError]:
    """ValidatePriorityClassUpdate: value and preemptionPolicy are immutable."""
    errs: list[FieldError] = []
    if new.get("value") != old.get("value"):
        errs.append(forbidden("value", "may not be changed in an update."))
    if new.get("preemptionPolicy") != old.get("preemptionPolicy"):
        errs.append(invalid("preemptionPolicy", new.get("preemptionPolicy"), "field is immutable"))
    return errs
