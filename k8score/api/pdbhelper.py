"""PodDisruptionBudget condition helpers shared by the disruption controller and the eviction
subresource (k8s.io/component-helpers/apps/poddisruptionbudget/helpers.go)."""

from __future__ import annotations


def set_allowed_condition(st: dict, now: str) -> None:
    """pdb helper UpdateDisruptionAllowedCondition (apimeta.SetStatusCondition: the transition
    time moves only when the status flips)."""
    allowed = (st.get("disruptionsAllowed") or 0) > 0
    cond = {"type": "DisruptionAllowed", "status": "True" if allowed else "False",
            "observedGeneration": st.get("observedGeneration") or 0,
            "lastTransitionTime": now, "reason": "SufficientPods" if allowed else "InsufficientPods",
            "message": ""}
    conds = st.setdefault("conditions", [])
    for i, c in enumerate(conds):
        if c.get("type") == "DisruptionAllowed":
            if c.get("status") == cond["status"]:
                cond["lastTransitionTime"] = c.get("lastTransitionTime") or now
            conds[i] = cond
            return
    conds.append(cond)


def conditions_up_to_date(pdb: dict) -> bool:
    """ConditionsAreUpToDate: the DisruptionAllowed condition matches status and generation."""
    st = pdb.get("status") or {}
    cond = next((c for c in st.get("conditions") or () if c.get("type") == "DisruptionAllowed"), None)
    if cond is None or st.get("observedGeneration") != pdb["metadata"].get("generation"):
        return False
    if (st.get("disruptionsAllowed") or 0) > 0:
        return cond.get("status") == "True" and cond.get("reason") == "SufficientPods"
    return cond.get("status") == "False" and cond.get("reason") == "InsufficientPods"
