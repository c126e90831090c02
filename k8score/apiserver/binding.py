"""pods/binding: how the scheduler places a pod (pkg/registry/core/pod/storage BindingREST).

Creating a Binding sets the pod's ``spec.nodeName`` — the one spec field no pod update
may change — exactly once, and marks the pod ``PodScheduled=True``. A second binding
is a 409 Conflict: ``pod web is already assigned to node "node-1"``.
"""

from __future__ import annotations

from typing import Any

from ..api.errors import ApiError
from ..api.field import invalid, required
from .jsonutil import copy_json
from ..api.resources import RESOURCES


def bind(api: Any, body: Any, namespace: str | None) -> dict:
    info = RESOURCES["pods"]
    if not isinstance(body, dict) or not isinstance(body.get("metadata"), dict):
        raise ApiError.bad_request("a Binding needs metadata")
    meta = body["metadata"]
    name = meta.get("name")
    ns = api._namespace(info, namespace, meta.get("namespace"))
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
    pod, rev = api._read(info, name, ns)
    node = pod["spec"].get("nodeName")
    if node:
        raise ApiError.conflict("pods/binding", name, f'pod {name} is already assigned to node "{node}"')
    if pod["metadata"].get("deletionTimestamp"):
        raise ApiError.conflict("pods/binding", name,
                                f"pod {name} is being deleted, cannot be assigned to a host")
    new = copy_json(pod)
    new["spec"]["nodeName"] = target["name"]
    annotations = meta.get("annotations")
    if isinstance(annotations, dict) and annotations:
        new["metadata"].setdefault("annotations", {}).update(annotations)
    # podutil.UpdatePodCondition(PodScheduled=True)
    conds = new.setdefault("status", {}).setdefault("conditions", [])
    scheduled = {"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                 "lastTransitionTime": api._timestamp()}
    for i, c in enumerate(conds):
        if c.get("type") == "PodScheduled":
            conds[i] = scheduled
            break
    else:
        conds.append(scheduled)
    api._write_update(info, new, pod, rev)
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
