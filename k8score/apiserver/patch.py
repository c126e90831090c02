"""The three PATCH flavours of the Kubernetes API, as pure functions on JSON values.

- :func:`merge_patch` — JSON merge patch, RFC 7386 (``application/merge-patch+json``):
  objects merge recursively, ``null`` deletes, anything else (lists too) replaces.
- :func:`json_patch` — JSON patch, RFC 6902 (``application/json-patch+json``): a list of
  add/remove/replace/move/copy/test operations on JSON pointers.
- :func:`strategic_merge_patch` — ``application/strategic-merge-patch+json``
  (apimachinery/pkg/util/strategicpatch): a merge patch where lists of containers,
  ports, env, volumes, conditions... merge element-by-element on their merge key, with
  the ``$patch``, ``$retainKeys``, ``$setElementOrder/…`` and
  ``$deleteFromPrimitiveList/…`` directives kubectl sends.

All three return a new value and never modify their arguments. A malformed patch
raises :class:`PatchError` (the API server answers 400 or 422).

>>> merge_patch({"a": 1, "b": {"c": 2}}, {"b": {"c": None, "d": 3}})
{'a': 1, 'b': {'d': 3}}
>>> json_patch({"a": [1, 2]}, [{"op": "add", "path": "/a/-", "value": 3}])
{'a': [1, 2, 3]}
>>> strategic_merge_patch({"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y"}]},
...                       {"containers": [{"name": "a", "image": "x:2"}]})
{'containers': [{'name': 'a', 'image': 'x:2'}, {'name': 'b', 'image': 'y'}]}
"""

from __future__ import annotations

import copy
from typing import Any


class PatchError(ValueError):
    """A patch that cannot be applied. ``bad_request`` marks a malformed patch document (400);
    otherwise the patch was well-formed but does not apply (422)."""

    def __init__(self, message: str, bad_request: bool = False):
        super().__init__(message)
        self.bad_request = bad_request


# -- RFC 7386 -------------------------------------------------------------------

def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


# -- RFC 6902 -------------------------------------------------------------------

def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"JSON pointer must be empty or start with a \"/\": {path!r}", bad_request=True)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _index(container: list, token: str, path: str, allow_end: bool) -> int:
    if token == "-" and allow_end:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise PatchError(f"invalid array index {token!r} in path {path!r}")
    i = int(token)
    if i > len(container) or (i == len(container) and not allow_end):
        raise PatchError(f"index out of range: {path}")
    return i


def _walk(doc: Any, tokens: list[str], path: str, op: str) -> Any:
    # follow tokens down from doc; every step must already exist
    cur = doc
    for t in tokens:
        if isinstance(cur, dict) and t in cur:
            cur = cur[t]
        elif isinstance(cur, list):
            cur = cur[_index(cur, t, path, False)]
        else:
            raise PatchError(f"{op} operation does not apply: doc is missing path: \"{path}\": missing value")
    return cur


def _parent(doc: Any, tokens: list[str], path: str, op: str) -> Any:
    return _walk(doc, tokens[:-1], path, op)


def _get(doc: Any, path: str, op: str) -> Any:
    return _walk(doc, _pointer(path), path, op)


def _remove(doc: Any, path: str, op: str = "remove") -> Any:
    tokens = _pointer(path)
    if not tokens:
        raise PatchError("cannot remove the whole document")
    parent = _parent(doc, tokens, path, op)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"Unable to remove nonexistent key: {last}: missing value")
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(parent, last, path, False))
    raise PatchError(f"{op} operation does not apply: doc is missing path: \"{path}\": missing value")


def _add(doc: Any, path: str, value: Any, op: str = "add") -> Any:
    tokens = _pointer(path)
    if not tokens:
        return value
    parent = _parent(doc, tokens, path, op)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, path, True), value)
    else:
        raise PatchError(f"{op} operation does not apply: doc is missing path: \"{path}\": missing value")
    return doc


def json_patch(target: Any, ops: Any) -> Any:
    if not isinstance(ops, list):
        raise PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch",
                         bad_request=True)
    doc = copy.deepcopy(target)
    for op in ops:
        if not isinstance(op, dict) or not isinstance(op.get("path"), str):
            raise PatchError("operation missing path", bad_request=True)
        kind, path = op.get("op"), op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise PatchError(f"operation {kind} missing value", bad_request=True)
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            if _pointer(path):
                _get(doc, path, "replace")  # must exist
                _remove(doc, path, "replace")
            doc = _add(doc, path, copy.deepcopy(op["value"]), "replace")
        elif kind in ("move", "copy"):
            src = op.get("from")
            if not isinstance(src, str):
                raise PatchError(f"operation {kind} missing from", bad_request=True)
            if kind == "move":
                if path.startswith(src + "/"):
                    raise PatchError("a value cannot be moved into one of its children")
                value = _remove(doc, src, "move")
            else:
                value = copy.deepcopy(_get(doc, src, "copy"))
            doc = _add(doc, path, value, kind)
        elif kind == "test":
            try:
                got = _get(doc, path, "test")
            except PatchError:
                got = _MISSING
            if got is _MISSING or not _json_equal(got, op["value"]):
                raise PatchError(f"testing value {path} failed: test failed")
        else:
            raise PatchError(f"Unexpected kind: {kind}", bad_request=True)
    return doc


_MISSING = object()


def _json_equal(a: Any, b: Any) -> bool:
    # JSON equality: 1 == 1.0, but true != 1
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


# -- strategic merge patch ---------------------------------------------------------

# Lists that merge element-wise, by the key named in the Go types' patchMergeKey tags
# (staging/src/k8s.io/api/core/v1/types.go, apps/v1/types.go, meta/v1/types.go).
MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name",
    "env": "name", "volumes": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath",
    "conditions": "type", "imagePullSecrets": "name", "hostAliases": "ip",
    "ownerReferences": "uid", "addresses": "type", "secrets": "name", "resourceClaims": "name",
    "topologySpreadConstraints": "topologyKey",
    "ports": None,  # containerPort for container ports, port for service ports (decided per list)
}
# Primitive lists with patchStrategy "merge" (union): metadata.finalizers.
MERGE_PRIMITIVES = {"finalizers"}


def strategic_merge_patch(original: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        raise PatchError("strategic merge patch must be a JSON object", bad_request=True)
    return _smp_map(copy.deepcopy(original) if isinstance(original, dict) else {}, patch)


def _smp_map(orig: dict, patch: dict) -> Any:
    directive = patch.get("$patch")
    if directive == "delete":
        return _MISSING
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    out = orig
    orders: dict[str, list] = {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$setElementOrder/"):
            orders[key.split("/", 1)[1]] = value
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(out.get(field), list):
                drop = value or []
                out[field] = [x for x in out[field] if x not in drop]
            continue
        if value is None:
            out.pop(key, None)
            continue
        cur = out.get(key)
        if isinstance(value, dict):
            merged = _smp_map(cur if isinstance(cur, dict) else {}, value)
            if merged is _MISSING:
                out.pop(key, None)
            else:
                out[key] = merged
        elif isinstance(value, list):
            out[key] = _smp_list(key, cur if isinstance(cur, list) else [], value)
        else:
            out[key] = copy.deepcopy(value)
    for field, order in orders.items():
        if isinstance(out.get(field), list):
            out[field] = _reorder(field, out[field], order)
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        out = {k: v for k, v in out.items() if k in retain}
    return out


def _merge_key(field: str, items: list) -> str | None:
    if field not in MERGE_KEYS:
        return None
    key = MERGE_KEYS[field]
    if key is None:  # "ports": container ports carry containerPort, service ports port
        key = "containerPort" if any(isinstance(x, dict) and "containerPort" in x for x in items) else "port"
    return key


def _smp_list(field: str, orig: list, patch: list) -> list:
    if any(isinstance(x, dict) and x.get("$patch") == "replace" and len(x) == 1 for x in patch):
        return [copy.deepcopy(x) for x in patch if not (isinstance(x, dict) and x.get("$patch") == "replace")]
    if field in MERGE_PRIMITIVES:
        out = list(orig)
        for x in patch:
            if x not in out:
                out.append(x)
        return out
    key = _merge_key(field, orig + patch)
    if key is None or not all(isinstance(x, dict) for x in patch):
        return [copy.deepcopy(x) for x in patch]
    out = [x for x in orig]
    for item in patch:
        if key not in item:
            raise PatchError(f"map: {item} does not contain declared merge key: {key}")
        pos = next((i for i, x in enumerate(out) if isinstance(x, dict) and x.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if pos is not None:
                out.pop(pos)
            continue
        if pos is None:
            out.append({k: copy.deepcopy(v) for k, v in item.items() if k != "$patch"})
        else:
            out[pos] = _smp_map(out[pos], item)
    return out


def _reorder(field: str, items: list, order: list) -> list:
    key = _merge_key(field, items)
    if key is None:
        rank = {repr(v): i for i, v in enumerate(order)}
        return sorted(items, key=lambda x: rank.get(repr(x), len(rank)))
    rank = {o.get(key): i for i, o in enumerate(order) if isinstance(o, dict)}
    return sorted(items, key=lambda x: rank.get(x.get(key), len(rank)))  # stable: extras keep order


_PATCH_FNS = {"json": json_patch, "strategic": strategic_merge_patch}


def apply_patch(original: dict, patch: Any, patch_type: str) -> Any:
    """``original`` with ``patch`` of ``patch_type`` (merge | json | strategic) applied;
    a bad patch is a 400/422 ``ApiError`` as upstream answers it."""
    from ..api.errors import ApiError, status
    try:
        if patch_type == "merge":
            if not isinstance(patch, dict):
                raise PatchError("merge patch must be a JSON object", bad_request=True)
            return merge_patch(original, patch)
        fn = _PATCH_FNS.get(patch_type)
        if fn is None:
            raise ApiError(status(415, "UnsupportedMediaType",
                                  "the body of the request was in an unknown format - accepted media "
                                  "types include: application/json-patch+json, "
                                  "application/merge-patch+json, application/strategic-merge-patch+json"
                                  f" (got patch type {patch_type!r})"))
        return fn(original, patch)
    except PatchError as e:
        if e.bad_request:
            raise ApiError.bad_request(str(e)) from None
        raise ApiError(status(422, "Invalid", str(e))) from None
    except RecursionError:
        raise ApiError.bad_request("the patch is nested too deeply") from None
