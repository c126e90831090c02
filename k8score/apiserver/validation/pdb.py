"""PodDisruptionBudget validation (pkg/apis/policy/validation/validation.go
ValidatePodDisruptionBudget / ValidatePodDisruptionBudgetSpec / ValidatePodDisruptionBudgetStatusUpdate).

policy/v1 has no defaulting for the spec: a PDB with neither ``minAvailable`` nor
``maxUnavailable`` is valid (the disruption controller then allows no disruption), an empty
selector matches every pod of the namespace (policy/v1 semantics; v1beta1 matched none).
"""

from __future__ import annotations

from ...api.field import FieldError, GoValue, invalid, not_supported
from .admissionregistration import label_selector
from .workloads import _int_or_percent

#: validation.go supportedUnhealthyPodEvictionPolicies (sorted, as sets.List prints them)
UNHEALTHY_POLICIES = ["AlwaysAllow", "IfHealthyBudget"]


def pdb_spec(spec: dict) -> list[FieldError]:
    errs: list[FieldError] = []
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        # upstream prints the Go struct as the value; the message is the part users read
        errs.append(invalid("spec", GoValue("policy.PodDisruptionBudgetSpec{...}"),
                            "minAvailable and maxUnavailable cannot be both set"))
    for key in ("minAvailable", "maxUnavailable"):
        if spec.get(key) is not None:
            # apps validation ValidatePositiveIntOrPercent + IsNotMoreThan100Percent
            errs += _int_or_percent(spec[key], f"spec.{key}")[0]
    if spec.get("selector") is not None:
        errs += label_selector(spec["selector"], "spec.selector")
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in UNHEALTHY_POLICIES:
        errs.append(not_supported("spec.unhealthyPodEvictionPolicy", policy, UNHEALTHY_POLICIES))
    return errs


def pdb(obj: dict) -> list[FieldError]:
    spec = obj.get("spec")
    return pdb_spec(spec if isinstance(spec, dict) else {})

