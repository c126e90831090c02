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
>>> from k8score.api.schema import schema_for
>>> spec = schema_for("v1", "Pod").properties["spec"]
>>> strategic_merge_patch({"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y"}]},
...                       {"containers": [{"name": "a", "image": "x:2"}]}, spec)
{'containers': [{'name': 'a', 'image': 'x:2'}, {'name': 'b', 'image': 'y'}]}
"""

from __future__ import annotations

import copy
from typing import Any

from .jsonutil import copy_json


class PatchError(ValueError):
    """A patch that cannot be applied. ``bad_request`` marks a malformed patch document (400);
    otherwise the patch was well-formed but does not apply (422)."""

    def __init__(self, message: str, bad_request: bool = False):
        super().__init__(message)
        self.bad_request = bad_request


# -- RFC 7386 -------------------------------------------------------------------

def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return _copy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _copy(value: Any) -> Any:
    """A deep copy of a patch value: marshal's C speed for JSON data (a kubelet's status
    patch carries lists of conditions and container statuses), deepcopy for anything else
    or too deep (which then fails as before)."""
    if not isinstance(value, (dict, list)):
        return copy.deepcopy(value)
    try:
        return copy_json(value)
    except ValueError:
        return copy.deepcopy(value)


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


def strategic_merge_patch(original: Any, patch: Any, schema: Any = None, share: bool = False) -> Any:
    """application/strategic-merge-patch+json, with the merge keys and strategies of
    ``schema`` (a :mod:`k8score.api.schema` Schema; see smp.py). ``share``: see smp.py."""
    from .smp import strategic_merge_patch as smp
    return smp(original, patch, schema, share)


def apply_patch(original: dict, patch: Any, patch_type: str, schema: Any = None,
                share: bool = False) -> Any:
    """``original`` with ``patch`` of ``patch_type`` (merge | json | strategic) applied;
    a bad patch is a 400/422/500 ``ApiError`` as upstream answers it. ``share``: the result
    may keep top-level values of ``original`` the patch does not touch (read-only) —
    a merge patch always does."""
    from ..api.errors import ApiError, status
    try:
        if patch_type == "merge":
            if not isinstance(patch, dict):
                raise PatchError("merge patch must be a JSON object", bad_request=True)
            return merge_patch(original, patch)
        if patch_type == "strategic":
            return strategic_merge_patch(original, patch, schema, share)
        if patch_type != "json":
            raise ApiError(status(415, "UnsupportedMediaType",
                                  "the body of the request was in an unknown format - accepted media "
                                  "types include: application/json-patch+json, "
                                  "application/merge-patch+json, application/strategic-merge-patch+json"
                                  f" (got patch type {patch_type!r})"))
        return json_patch(original, patch)
    except PatchError as e:
        code = getattr(e, "code", None) or (400 if e.bad_request else 422)
        if code == 400:
            raise ApiError.bad_request(str(e)) from None
        if code == 500:  # handlers/patch.go: an error the patch machinery did not classify
            raise ApiError(status(500, "", str(e))) from None
        raise ApiError(status(422, "Invalid", str(e))) from None
    except RecursionError:
        raise ApiError.bad_request("the patch is nested too deeply") from None
