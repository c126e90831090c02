"""pods/binding: how the scheduler places a pod (pkg/registry/core/pod/storage BindingREST).

Creating a Binding sets the pod's ``spec.nodeName`` — the one spec field no pod update
may change — exactly once, and marks the pod ``PodScheduled=True``. A second binding
is a 409 Conflict: ``pod web is already assigned to node "node-1"``.
"""

from __future__ import annotations

from typing import Any

from ..api.errors import ApiError
from ..api.field import invalid, required


def bind(api: Any, rc: Any) -> dict:
    """The ``pods/binding`` subresource handler (POST)."""
    if rc.req.verb != "create":
        raise ApiError.method_not_allowed("pods/binding", rc.req.verb)
    body = rc.req.body
    if not isinstance(body, dict) or not isinstance(body.get("metadata"), dict):
        raise ApiError.bad_request("a Binding needs metadata")
    meta = body["metadata"]
    name = meta.get("name") or rc.name
    ns = rc.namespace_for(meta.get("namespace"))
    target = body.get("target") if isinstance(body.get("target"), dict) else {}
    errs = []
    if not name or not isinstance(name, str):
        errs.append(required("metadata.name", "name or generateName is required"))
    if target.get("kind") not in (None, "", "Node"):
        errs.append(invalid("target.kind", target.get("kind"), "must be empty or 'Node'"))
    if not target.get("name") or not isinstance(target.get("name"), str):
        errs.append(required("target.name", ""))
    if errs:
        raise ApiError.invalid("Binding", name if isinstance(name, str) else "", errs)
    rc.name = name
    # cacher.go GuaranteedUpdate: the pod as the watch cache holds it; etcd3/store.go
    # GuaranteedUpdate reads etcd and tries again when that copy was stale (the update
    # failed on it or the write's revision check did)
    cached = api.objects.read_cached(rc, name, ns)
    if cached is not None:
        try:
            return _bind(api, rc, name, target, meta, *cached)
        except ApiError:
            pass
    return _bind(api, rc, name, target, meta, *api.objects.read(rc, name, ns))


def _bind(api: Any, rc: Any, name: str, target: dict, meta: dict, pod: dict, rev: int) -> dict:
    """setPodNodeNameAndMetadata on ``pod`` at ``rev`` (read-only: it may be the cache's)."""
    node = pod["spec"].get("nodeName")
    if node:
        raise ApiError.conflict("pods/binding", name, f'pod {name} is already assigned to node "{node}"')
    if pod["metadata"].get("deletionTimestamp"):
        raise ApiError.conflict("pods/binding", name,
                                f"pod {name} is being deleted, cannot be assigned to a host")
    if rc.req.dry_run:
        return _SUCCESS
    # the new pod copies only the maps and the list it changes; the rest (containers,
    # volumes...) is shared with ``pod``, read-only in both (the watch cache's contract)
    new = dict(pod)
    new["metadata"] = dict(pod["metadata"])
    new["spec"] = dict(pod["spec"])
    new["spec"]["nodeName"] = target["name"]
    annotations = meta.get("annotations")
    if isinstance(annotations, dict) and annotations:
        new["metadata"]["annotations"] = {**new["metadata"].get("annotations", {}), **annotations}
    # podutil.UpdatePodCondition(PodScheduled=True)
    new["status"] = status = dict(new.get("status", {}))
    status["conditions"] = conds = list(status.get("conditions", []))
    scheduled = {"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                 "lastTransitionTime": api.timestamp()}
    for i, c in enumerate(conds):
        if c.get("type") == "PodScheduled":
            conds[i] = scheduled
            break
    else:
        conds.append(scheduled)
    # spec.nodeName went from unset to a name: the object changed, no need to compare encodings.
    # ``new`` holds plain JSON data nobody else writes: the watch cache may keep it
    plain = type(target["name"]) is str and not annotations
    api.objects.write_update(rc, new, pod, rev, changed=True, handoff=plain)
    return _SUCCESS


_SUCCESS = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
