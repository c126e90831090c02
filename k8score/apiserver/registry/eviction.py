"""pods/eviction: a delete that respects PodDisruptionBudgets
(pkg/registry/core/pod/storage/eviction.go EvictionREST.Create).

POSTing a ``policy/v1`` Eviction for a pod:

- a pod that cannot hurt a budget — Succeeded, Failed, Pending or already terminating
  (``canIgnorePDB``) — is deleted at once;
- a pod matched by more than one PDB of its namespace is a 500 (the subresource does not
  support it); by none, it is deleted;
- with one PDB: an unready pod goes when the budget is already met (``IfHealthyBudget``) or
  the PDB says ``unhealthyPodEvictionPolicy: AlwaysAllow``; otherwise the PDB's
  ``status.disruptionsAllowed`` is decremented and the pod recorded in ``disruptedPods``
  (``checkAndDecrement``) — or, at 0, the answer is 429 TooManyRequests ``Cannot evict pod as
  it would violate the pod's disruption budget.`` with a ``DisruptionBudget`` cause.

A deleted pod first gets the ``DisruptionTarget`` condition (reason ``EvictionByEvictionAPI``),
then is deleted with the Eviction's ``deleteOptions`` (its grace period). Success is a
``Status`` with code 201. The PDB and pod writes are the API server's own (loopback) requests:
the caller needs only ``create pods/eviction``.
"""

from __future__ import annotations

from typing import Any

from ...api.errors import ApiError, status
from ...api.pdbhelper import set_allowed_condition
from ...api.selectors import cached_label_selector
from ...client.meta import is_pod_ready
from ..jsonutil import copy_json
from ..request import APISERVER, Request

#: eviction.go: the 429 message and the Status cause type (policyv1.DisruptionBudgetCause)
VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."
DISRUPTION_BUDGET_CAUSE = "DisruptionBudget"
#: eviction.go MaxDisruptedPodSize: evictions the controller has not confirmed yet
MAX_DISRUPTED_POD_SIZE = 2000
#: eviction.go EvictionsRetry: attempts of the read-decrement-write of a PDB on conflict
_RETRIES = 5
_SUCCESS = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


def too_many_requests(cause: str, retry_after: int = 0) -> ApiError:
    """errors.NewTooManyRequests with the DisruptionBudget cause appended."""
    details: dict = {"causes": [{"reason": DISRUPTION_BUDGET_CAUSE, "message": cause}]}
    if retry_after:
        details["retryAfterSeconds"] = retry_after
    return ApiError(status(429, "TooManyRequests", VIOLATION, details))


def _internal(message: str) -> ApiError:
    """errors.NewInternalError."""
    return ApiError(status(500, "InternalError", f"Internal error occurred: {message}",
                           {"causes": [{"message": message}]}))


def _loopback(api: Any, verb: str, resource: str, ns: str, name: str | None = None,
              subresource: str | None = None, body: Any = None, **options: Any) -> Any:
    opts = {k: v for k, v in options.items() if v is not None}
    return api.serve(Request(verb, resource, ns, name, subresource, body, opts, APISERVER))


def matching_pdbs(pdbs: list[dict], pod: dict) -> list[dict]:
    """getPodDisruptionBudgets: PDBs whose selector matches the pod's labels (policy/v1: an
    empty selector matches every pod, a missing one none)."""
    labels = pod["metadata"].get("labels") or {}
    out = []
    for pdb in pdbs:
        sel = (pdb.get("spec") or {}).get("selector")
        if sel is None:
            continue
        try:
            if cached_label_selector(sel).matches(labels):
                out.append(pdb)
        except ApiError:
            continue  # an unparsable selector is skipped, as upstream
    return out


def _can_ignore_pdb(pod: dict) -> bool:
    """eviction.go canIgnorePDB."""
    phase = (pod.get("status") or {}).get("phase")
    return phase in ("Succeeded", "Failed", "Pending") or bool(pod["metadata"].get("deletionTimestamp"))


def evict(api: Any, rc: Any) -> dict:
    """The ``pods/eviction`` subresource handler (POST an Eviction)."""
    if rc.req.verb != "create":
        raise ApiError.method_not_allowed("pods/eviction", rc.req.verb)
    body = rc.req.body
    if not isinstance(body, dict) or not isinstance(body.get("metadata"), dict):
        raise ApiError.bad_request("an Eviction needs metadata")
    name = body["metadata"].get("name") or rc.name
    if rc.name and name != rc.name:
        raise ApiError.bad_request("name in URL does not match name in Eviction object")
    ns = rc.namespace_for(body["metadata"].get("namespace"))
    delete_options = body.get("deleteOptions") if isinstance(body.get("deleteOptions"), dict) else {}
    dry_run = bool(rc.req.dry_run)
    pod, _ = api.objects.read(rc, name, ns)
    if _can_ignore_pdb(pod):
        return _delete(api, pod, delete_options, dry_run)
    pdbs = matching_pdbs(_loopback(api, "list", "poddisruptionbudgets", ns)["items"], pod)
    if len(pdbs) > 1:
        raise _internal("This pod has more than one PodDisruptionBudget, which the eviction "
                        "subresource does not support.")
    if pdbs:
        pdb = pdbs[0]
        spec, st = pdb.get("spec") or {}, pdb.get("status") or {}
        ready = is_pod_ready(pod)
        if not ready and spec.get("unhealthyPodEvictionPolicy") == "AlwaysAllow":
            return _delete(api, pod, delete_options, dry_run)
        desired = st.get("desiredHealthy") or 0
        if not ready and (st.get("currentHealthy") or 0) >= desired and desired > 0:
            return _delete(api, pod, delete_options, dry_run)  # IfHealthyBudget
        _check_and_decrement(api, pdb, name, dry_run)
    return _delete(api, pod, delete_options, dry_run)


def _check_and_decrement(api: Any, pdb: dict, pod_name: str, dry_run: bool) -> None:
    """checkAndDecrement, retried on a conflicting PDB write (RetryOnConflict)."""
    for attempt in range(_RETRIES):
        st = pdb.get("status") or {}
        pdb_name = pdb["metadata"]["name"]
        if (st.get("observedGeneration") or 0) < (pdb["metadata"].get("generation") or 0):
            # createTooManyRequestsError: the controller has not seen this spec yet
            raise too_many_requests(f"The disruption budget {pdb_name} is still being processed by the server.", 10)
        allowed = st.get("disruptionsAllowed") or 0
        if allowed < 0:
            raise ApiError.forbidden("poddisruptionbudget.policy", pdb_name, "pdb disruptions allowed is negative")
        if len(st.get("disruptedPods") or {}) > MAX_DISRUPTED_POD_SIZE:
            raise ApiError.forbidden("poddisruptionbudget.policy", pdb_name, "DisruptedPods map too big - too "
                                     "many evictions not confirmed by PDB controller")
        if allowed == 0:
            raise too_many_requests(f"The disruption budget {pdb_name} needs {st.get('desiredHealthy') or 0} "
                                    f"healthy pods and has {st.get('currentHealthy') or 0} currently")
        if dry_run:
            return
        new = copy_json(pdb)
        nst = new.setdefault("status", {})
        nst["disruptionsAllowed"] = allowed - 1
        if allowed - 1 == 0:
            set_allowed_condition(nst, api.timestamp())
        nst.setdefault("disruptedPods", {})[pod_name] = api.timestamp()
        try:
            _loopback(api, "update", "poddisruptionbudgets", pdb["metadata"]["namespace"], pdb_name,
                      "status", new)
            return
        except ApiError as err:
            if err.code != 409 or attempt == _RETRIES - 1:
                raise
            pdb = _loopback(api, "get", "poddisruptionbudgets", pdb["metadata"]["namespace"], pdb_name)


def _delete(api: Any, pod: dict, options: dict, dry_run: bool) -> dict:
    """addConditionAndDeletePod: mark DisruptionTarget, then delete with the Eviction's options."""
    meta = pod["metadata"]
    if dry_run:
        return _SUCCESS
    new = copy_json(pod)
    conds = new.setdefault("status", {}).setdefault("conditions", [])
    cond = {"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
            "lastTransitionTime": api.timestamp(), "reason": "EvictionByEvictionAPI",
            "message": "Eviction API: evicting"}
    conds[:] = [c for c in conds if c.get("type") != "DisruptionTarget"] + [cond]
    _loopback(api, "update", "pods", meta["namespace"], meta["name"], "status", new)
    _loopback(api, "delete", "pods", meta["namespace"], meta["name"],
              gracePeriodSeconds=options.get("gracePeriodSeconds"),
              propagationPolicy=options.get("propagationPolicy"))
    return _SUCCESS
