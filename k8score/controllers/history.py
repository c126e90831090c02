"""ControllerRevisions: the template history of DaemonSets and StatefulSets.

Upstream pkg/controller/history/controller_history.go and the two controllers' ``getPatch``
(pkg/controller/daemon/update.go, pkg/controller/statefulset/stateful_set_utils.go): a
revision's ``data`` is the strategic-merge patch ``{"spec": {"template": {..., "$patch":
"replace"}}}`` that restores the template, ``revision`` counts up (the newest is the highest),
and a template that returns to an old revision reuses it with a new revision number.

Names: a StatefulSet's revision is ``<set>-<hash>`` with ``HashControllerRevision`` — FNV-32
(not 32a) of the data, then the decimal collision count — and its pods carry that whole name
in ``controller-revision-hash``. A DaemonSet's revision is ``<ds>-<ComputeHash(template)>``
and its pods carry only the hash. We hash canonical JSON where upstream hashes Go's encoding
(see :mod:`.hashing`): names look real but differ from a real cluster's.

>>> fnv32(b"")
2166136261
>>> revision_name("web", "6c4dbdb4f7")
'web-6c4dbdb4f7'
"""

from __future__ import annotations

import copy
import json
from typing import Any

from ..client.errors import ApiError
from ..client.meta import controller_ref, owner_reference
from .hashing import safe_encode_string

# k8s.io/api/apps/v1 types.go: ControllerRevisionHashLabelKey / DefaultDaemonSetUniqueLabelKey
CONTROLLER_REVISION_HASH = "controller-revision-hash"
# pkg/controller/history/controller_history.go: ControllerRevisionHashLabel
HASH_LABEL = "controller.kubernetes.io/hash"

_FNV32_OFFSET = 2166136261
_FNV32_PRIME = 16777619


def fnv32(data: bytes, h: int = _FNV32_OFFSET) -> int:
    """hash/fnv New32: multiply, then xor (FNV-1)."""
    for b in data:
        h = (h * _FNV32_PRIME) & 0xFFFFFFFF
        h ^= b
    return h


def template_patch(obj: dict) -> dict:
    """``getPatch``: the patch that restores ``obj``'s pod template."""
    template = copy.deepcopy((obj.get("spec") or {}).get("template") or {})
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def _raw(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def hash_revision_data(data: Any, collision_count: int | None) -> str:
    """``HashControllerRevision``."""
    h = fnv32(_raw(data))
    if collision_count is not None:
        h = fnv32(str(collision_count).encode(), h)
    return safe_encode_string(str(h))


def revision_name(prefix: str, hash_: str) -> str:
    """``ControllerRevisionName``: the parent's name (cut to 223 characters), ``-``, the hash."""
    return f"{prefix[:223]}-{hash_}"


def new_revision(parent: dict, data: dict, revision: int, name: str, labels: dict) -> dict:
    meta = parent["metadata"]
    out = {"apiVersion": "apps/v1", "kind": "ControllerRevision",
           "metadata": {"name": name, "namespace": meta.get("namespace"), "labels": dict(labels),
                        "ownerReferences": [owner_reference(parent)]},
           "data": data, "revision": revision}
    if meta.get("annotations"):
        out["metadata"]["annotations"] = dict(meta["annotations"])
    return out


def owned_revisions(informer: Any, parent: dict) -> list[dict]:
    """The revisions ``parent`` controls, oldest revision first (ties by name).

    Upstream also adopts orphans matching the selector (``ClaimControllerRevisions``);
    we only read what the parent owns.
    """
    uid = parent["metadata"].get("uid")
    out = [r for r in informer.list(parent["metadata"].get("namespace"))
           if (controller_ref(r) or {}).get("uid") == uid]
    return sorted(out, key=lambda r: (r.get("revision", 0), r["metadata"]["name"]))


def create_revision(client: Any, revision: dict) -> dict:
    """Create ``revision``; an identical one already there (a restart mid-sync) is returned."""
    ns = revision["metadata"]["namespace"]
    try:
        return client.create("controllerrevisions", revision, namespace=ns)
    except ApiError as err:
        if err.code != 409:
            raise
        existing = client.get("controllerrevisions", revision["metadata"]["name"], namespace=ns)
        if existing.get("data") == revision["data"]:
            return existing
        raise  # a hash collision: the caller bumps collisionCount and retries


def bump_revision(client: Any, revision: dict, number: int) -> dict:
    """A template that went back to an old revision makes that revision the newest."""
    if revision.get("revision", 0) >= number:
        return revision
    body = copy.deepcopy(revision)
    body["revision"] = number
    return client.update("controllerrevisions", body, namespace=revision["metadata"]["namespace"])


def truncate_history(client: Any, old: list[dict], limit: int, live: set[str]) -> None:
    """Delete the oldest revisions beyond ``limit`` that no live pod still uses (``live``: names)."""
    excess = len(old) - limit
    for rev in old:
        if excess <= 0:
            break
        if rev["metadata"]["name"] in live:
            continue
        try:
            client.delete("controllerrevisions", rev["metadata"]["name"], namespace=rev["metadata"]["namespace"])
        except ApiError as err:
            if err.code != 404:
                raise
        excess -= 1
