"""Strategic merge patch with every directive, as the API server applies it.

Mirrors k8s.io/apimachinery/pkg/util/strategicpatch/patch.go ``StrategicMergeMapPatch``
(``mergeMap`` with MergeParallelList and IgnoreUnmatchedNulls), with the field metadata
(``patchStrategy``, ``patchMergeKey``) read from the schema instead of Go struct tags:

- ``$patch: replace`` in a map replaces it; in a merge list (``{"$patch": "replace"}`` item)
  replaces the list; ``$patch: delete`` empties a map or deletes the list item with that merge
  key; ``$patch: merge`` is the default for maps and refused in lists;
- ``$retainKeys: [..]`` drops the map's keys not listed (and refuses patch keys not listed);
- ``$setElementOrder/<field>: [..]`` orders a merged list (items by merge key);
- ``$deleteFromPrimitiveList/<field>: [..]`` removes values from a primitive merge list;
- primitive lists with strategy ``merge`` (``metadata.finalizers``) are unions.

Errors raise :class:`SMPError` (a ``PatchError``) with upstream's text; ``code`` is what the
handler answers (handlers/patch.go ``interpretStrategicMergePatchError``): 400 for malformed
directives, 422 for lists of lists, 500 otherwise.

>>> from k8score.api.schema import schema_for
>>> pod = schema_for("v1", "Pod")
>>> strategic_merge_patch({"metadata": {"finalizers": ["a", "b"]}},
...                       {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}, pod)
{'metadata': {'finalizers': ['b']}}
>>> live = {"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}}
>>> strategic_merge_patch(live, {"spec": {"containers": [{"name": "b", "$patch": "delete"}]}}, pod)
{'spec': {'containers': [{'name': 'a', 'image': 'x'}]}}

Without a schema (``None``) maps merge and every list is replaced, directives included.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from .jsonutil import copy_json
from .patch import PatchError

# patch.go constants
DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"
SET_ELEMENT_ORDER = "$setElementOrder"

# mergepatch/errors.go
BAD_PRIMITIVE_LIST = "invalid patch format of primitive list"
BAD_RETAIN_KEYS = "invalid patch format of retainKeys"
BAD_SET_ELEMENT_ORDER = "invalid patch format of setElementOrder list"
NO_LIST_OF_LISTS = "lists of lists are not supported"


class SMPError(PatchError):
    """A strategic merge patch that does not apply; ``code`` is the HTTP status to answer."""

    def __init__(self, message: str, code: int = 500):
        super().__init__(message, bad_request=code == 400)
        self.code = code


def strategic_merge_patch(original: dict, patch: dict, schema: Any, share: bool = False) -> dict:
    """Apply ``patch`` to ``original`` (neither is modified) using ``schema`` for merge keys
    and strategies (None: maps merge, lists replace).

    ``share``: the result keeps, by identity, every top-level value of ``original`` that the
    patch does not name (a status patch leaves ``spec`` alone): the caller must treat those
    as read-only. Otherwise the result is a deep copy."""
    if not isinstance(patch, dict):
        raise SMPError("invalid JSON document", 400)  # mergepatch.ErrBadJSONDoc
    if not isinstance(original, dict):
        base: dict = {}
    elif share:
        # the merge mutates only what the patch reaches: the top-level fields it names
        # (directly or through a $directive/<field> key); $retainKeys and $patch at the top
        # only drop or replace top-level keys of the copy
        base = dict(original)
        for k in patch:
            field = k.partition("/")[2] if k.startswith("$") and "/" in k else k
            v = base.get(field)
            if isinstance(v, (dict, list)):
                base[field] = copy_json(v)
    else:
        base = copy.deepcopy(original)
    return _merge_map(base, copy.deepcopy(patch), schema)


# -- Go formatting for messages -------------------------------------------------------------

def _go_type(v: Any) -> str:
    if isinstance(v, dict):
        return "map[string]interface {}"
    if isinstance(v, list):
        return "[]interface {}"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "float64"
    if isinstance(v, str):
        return "string"
    return "<nil>"


def _go_float(x: float) -> str:
    # fmt %v of a float64: shortest digits, exponent form when exp < -4 or exp >= 21
    if x == 0:
        return "0"
    d = Decimal(repr(float(x))).normalize()
    sign, digits, exp = d.as_tuple()
    e = len(digits) + exp - 1
    if e < -4 or e >= 21:
        mant = "".join(map(str, digits))
        mant = mant[0] + ("." + mant[1:] if len(mant) > 1 else "")
        return ("-" if sign else "") + f"{mant}e{'+' if e >= 0 else '-'}{abs(e):02d}"
    return ("-" if sign else "") + format(abs(d), "f")


def _gofmt(v: Any) -> str:
    """fmt's %v of a decoded JSON value (maps print sorted as ``map[k:v]``)."""
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{_gofmt(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, list):
        return "[" + " ".join(_gofmt(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return _go_float(v)
    if v is None:
        return "<nil>"
    return str(v)


def _bad_arg_type(expected: str, actual: Any) -> SMPError:
    return SMPError(f"expected a {expected}, but received a {_go_type(actual)}")


def _no_merge_key(m: Any, key: str) -> SMPError:
    return SMPError(f"map: {_gofmt(m)} does not contain declared merge key: {key}")


def _same(a: Any, b: Any) -> bool:
    # Go interface equality on decoded JSON scalars (float64 80 == 80, true != 1)
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return a == b


def _kind(v: Any) -> str:
    return "map" if isinstance(v, dict) else "slice" if isinstance(v, list) else _go_type(v)


# -- field metadata from the schema ----------------------------------------------------------

def _lookup(sch: Any, key: str) -> tuple[Any, str, str]:
    """forkedjson.LookupPatchMetadata: (field schema, patch strategy, merge key)."""
    if sch is None:
        return None, "", ""
    props = getattr(sch, "properties", None) or {}
    if key in props:
        f = props[key]
        strategies = [s for s in (getattr(f, "patch_strategy", None) or "").split(",") if s]
        if len(strategies) > 2:
            raise SMPError(f"unexpected patch strategy: {strategies}")
        retain = "retainKeys" in strategies
        others = [s for s in strategies if s != "retainKeys"]
        if len(strategies) == 2 and not retain:
            raise SMPError(f"unexpected patch strategy: {strategies}")
        return f, (others[0] if others else ""), getattr(f, "merge_key", None) or ""
    additional = getattr(sch, "additional", None)
    if additional is not None or not props:
        return additional, "", ""
    name = getattr(sch, "go_type", None) or ""
    raise SMPError(f'unable to find api field in struct {name} for the json field "{key}"')


def _items(sch: Any) -> Any:
    return getattr(sch, "items", None) if sch is not None else None


# -- mergeMap --------------------------------------------------------------------------------

def _merge_map(original: dict, patch: dict, sch: Any) -> dict:
    if DIRECTIVE in patch:
        d = patch[DIRECTIVE]
        if d == "replace":
            del patch[DIRECTIVE]
            return patch
        if d == "delete":
            return {}
        raise SMPError(f"unknown patch type: {_gofmt(d)} in map: {_gofmt(patch)}")
    _apply_retain_keys(original, patch)
    _merge_set_element_order(original, patch, sch)
    for k in list(patch):
        pv = patch[k]
        delete_list = False
        if k.startswith(DELETE_FROM_PRIMITIVE_LIST):
            k = _extract_key(k, DELETE_FROM_PRIMITIVE_LIST, BAD_PRIMITIVE_LIST)
            delete_list = True
        if pv is None:
            original.pop(k, None)
            continue
        if k not in original:
            original[k] = pv
            continue
        if _kind(original[k]) != _kind(pv):
            original[k] = pv
            continue
        ftype, strategy, merge_key = _lookup(sch, k)  # unknown struct fields fail here
        if isinstance(pv, dict):
            original[k] = pv if strategy == "replace" else _merge_map(original[k], pv, ftype)
        elif isinstance(pv, list):
            original[k] = (_merge_slice(original[k], pv, _items(ftype), merge_key, delete_list)
                           if strategy == "merge" else pv)
        else:
            original[k] = pv
    return original


def _extract_key(s: str, prefix: str, error: str) -> str:
    head, sep, rest = s.partition("/")
    if not sep or head != prefix:
        raise SMPError(error, 400)
    return rest


def _apply_retain_keys(original: dict, patch: dict) -> None:
    """applyRetainKeysDirective: clear the keys of original that are not retained."""
    if RETAIN_KEYS not in patch:
        return
    retain = patch.pop(RETAIN_KEYS)
    if not isinstance(retain, list):
        raise SMPError(BAD_RETAIN_KEYS, 400)
    keep = [r for r in retain]
    for k, v in patch.items():
        if v is None or k.startswith(DELETE_FROM_PRIMITIVE_LIST) or k.startswith(SET_ELEMENT_ORDER):
            continue
        if not any(_same(k, r) for r in keep):
            raise SMPError(BAD_RETAIN_KEYS, 400)
    for k in list(original):
        if not any(_same(k, r) for r in keep):
            del original[k]


def _merge_set_element_order(original: dict, patch: dict, sch: Any) -> None:
    """mergePatchIntoOriginal: merge each ordered list now, then order it by
    $setElementOrder > order in the patch > order in the live list."""
    for key in [k for k in patch if k.startswith(SET_ELEMENT_ORDER)]:
        order = patch.pop(key)
        if not isinstance(order, list):
            raise _bad_arg_type("[]interface {}", order)
        field = _extract_key(key, SET_ELEMENT_ORDER, BAD_SET_ELEMENT_ORDER)
        found_o, found_p = field in original, field in patch
        o_val = original.get(field)
        p_val = patch.get(field)
        if found_o and not isinstance(o_val, list):
            raise _bad_arg_type("[]interface {}", o_val)
        if found_p and not isinstance(p_val, list):
            raise _bad_arg_type("[]interface {}", p_val)
        ftype, strategy, merge_key = _lookup(sch, field)
        _validate_order(p_val or [], order, merge_key)
        if found_o and not found_p:
            merged = o_val
        elif found_p and not found_o:
            merged = p_val
        elif found_o and found_p:
            merged = (_merge_slice(o_val, p_val, _items(ftype), merge_key, False)
                      if strategy == "merge" else p_val)
        else:
            continue
        if merge_key:
            in_order, server_only = _partition_maps(merged, order, merge_key)
        else:
            in_order = [v for v in merged if any(_same(v, o) for o in order)]
            server_only = [v for v in merged if not any(_same(v, o) for o in order)]
        kind = _element_kind(o_val or [], p_val or [])
        original[field] = _normalize_order(in_order, server_only, order, o_val or [], merge_key, kind)
        patch.pop(field, None)


def _validate_order(patch_list: list, order: list, merge_key: str) -> None:
    """validatePatchWithSetOrderList: patch items must appear in the order list, in order."""
    if not order or not patch_list:
        return
    if merge_key:
        non_delete, _ = _extract_to_delete(patch_list)
    else:
        non_delete = patch_list
    pi = oi = 0
    while pi < len(non_delete) and oi < len(order):
        item = non_delete[pi]
        if isinstance(item, dict) and DIRECTIVE in item:
            pi += 1
            continue
        if _merge_key_equal(item, order[oi], merge_key):
            pi += 1
        oi += 1
    if pi < len(non_delete) and oi >= len(order):
        raise SMPError(f"The order in patch list:\n{_gofmt(patch_list)}\n doesn't match "
                       f"{SET_ELEMENT_ORDER} list:\n{_gofmt(order)}\n")


def _merge_key_equal(left: Any, right: Any, merge_key: str) -> bool:
    if not merge_key:
        return _same(left, right)
    for side in (left, right):
        if not isinstance(side, dict):
            raise _bad_arg_type("map[string]interface {}", side)
        if merge_key not in side:
            raise _no_merge_key(side, merge_key)
    return _same(left[merge_key], right[merge_key])


# -- mergeSlice ------------------------------------------------------------------------------

def _element_kind(*lists: list) -> str:
    """sliceElementType: every element of the lists has one JSON type, not a list."""
    kind = None
    for lst in lists:
        for v in lst:
            k = _kind(v)
            if kind is None:
                if k == "slice":
                    raise SMPError(NO_LIST_OF_LISTS, 422)
                kind = k
            elif k != kind:
                raise SMPError("list element types are not identical: "
                               + _gofmt([list(x) for x in lists]))
    if kind is None:
        raise SMPError("no elements in any of the given slices")
    return kind


def _merge_slice(original: list, patch: list, item_sch: Any, merge_key: str, delete_list: bool) -> list:
    if not original and not patch:
        return original
    kind = _element_kind(original, patch)
    if kind != "map":
        if delete_list:
            return [v for v in original if not any(_same(v, d) for d in patch)]
        merged = _dedup_scalars(original + patch)
    else:
        if not merge_key:
            what = "struct" if getattr(item_sch, "properties", None) else "map"
            raise SMPError(f"cannot merge lists without merge key for type {what}")
        original, patch = _special_elements(original, patch, merge_key)
        merged = _merge_without_special(original, patch, merge_key, item_sch)
    if merge_key:
        in_patch, server_only = _partition_maps(merged, patch, merge_key)
    else:
        in_patch = [v for v in merged if any(_same(v, p) for p in patch)]
        server_only = [v for v in merged if not any(_same(v, p) for p in patch)]
    return _normalize_order(in_patch, server_only, patch, original, merge_key, kind)


def _dedup_scalars(s: list) -> list:
    # deduplicateScalars: a duplicate is overwritten by the last element (order changes)
    s = list(s)
    length = len(s) - 1
    i = 0
    while i < length:
        j = i + 1
        while j <= length:
            if _same(s[i], s[j]):
                s[j] = s[length]
                s = s[:length]
                length -= 1
                j -= 1
            j += 1
        i += 1
    return s


def _special_elements(original: list, patch: list, merge_key: str) -> tuple[list, list]:
    """mergeSliceWithSpecialElements: apply ``$patch`` items (delete / replace)."""
    plain = []
    replace = False
    for v in patch:
        if DIRECTIVE not in v:
            plain.append(v)
            continue
        d = v[DIRECTIVE]
        if d == "delete":
            if merge_key not in v:
                raise _no_merge_key(v, merge_key)
            original = [o for o in original
                        if not (isinstance(o, dict) and merge_key in o and _same(o[merge_key], v[merge_key]))]
        elif d == "replace":
            replace = True
        elif d == "merge":
            raise SMPError("merging lists cannot yet be specified in the patch")
        else:
            raise SMPError(f"unknown patch type: {_gofmt(d)} in map: {_gofmt(v)}")
    if replace:
        return plain, []
    return original, plain


def _find(items: list, merge_key: str, value: Any) -> int:
    for i, v in enumerate(items):
        if not isinstance(v, dict):
            raise SMPError(f"value for key {i} is not a map.")
        if merge_key in v and _same(v[merge_key], value):
            return i
    return -1


def _merge_without_special(original: list, patch: list, merge_key: str, item_sch: Any) -> list:
    original = list(original)
    for v in patch:
        if merge_key not in v:
            raise _no_merge_key(v, merge_key)
        i = _find(original, merge_key, v[merge_key])
        if i >= 0:
            original[i] = _merge_map(original[i], v, item_sch)
        else:
            original.append(v)
    return original


def _partition_maps(items: list, by: list, merge_key: str) -> tuple[list, list]:
    in_by, rest = [], []
    for v in items:
        if not isinstance(v, dict):
            raise _bad_arg_type("map[string]interface {}", v)
        if merge_key not in v:
            raise _no_merge_key(v, merge_key)
        (in_by if _find(by, merge_key, v[merge_key]) >= 0 else rest).append(v)
    return in_by, rest


def _extract_to_delete(items: list) -> tuple[list, list]:
    keep, delete = [], []
    for v in items:
        if not isinstance(v, dict):
            raise _bad_arg_type("map[string]interface {}", v)
        (delete if v.get(DIRECTIVE) == "delete" else keep).append(v)
    return keep, delete


def _index(items: list, v: Any, merge_key: str, kind: str) -> int:
    get = (lambda x: x.get(merge_key) if isinstance(x, dict) else None) if kind == "map" else (lambda x: x)
    for i, x in enumerate(items):
        if _same(get(v), get(x)):
            return i
    return -1


def _normalize_slice_order(to_sort: list, order: list, merge_key: str, kind: str) -> list:
    to_delete: list = []
    if kind == "map":
        for lst in (to_sort, order):
            for item in lst:
                if not isinstance(item, dict):
                    raise _bad_arg_type("map[string]interface {}", item)
                if merge_key not in item:
                    raise _no_merge_key(item, merge_key)
        to_sort, to_delete = _extract_to_delete(to_sort)
    big = len(order)
    ranked = sorted(to_sort, key=lambda x: (i if (i := _index(order, x, merge_key, kind)) >= 0 else big))
    return ranked + to_delete


def _normalize_order(patch_items: list, server_only: list, patch_order: list, server_order: list,
                     merge_key: str, kind: str) -> list:
    """normalizeElementOrder + mergeSortedSlice: keep the patch's relative order and the live
    list's, interleaving server-only items where the live list had them."""
    patch_items = _normalize_slice_order(patch_items, patch_order, merge_key, kind)
    server_only = _normalize_slice_order(server_only, server_order, merge_key, kind)
    out = []
    i = j = 0
    while i < len(server_only) or j < len(patch_items):
        if i >= len(server_only):
            out.append(patch_items[j])
            j += 1
        elif j >= len(patch_items):
            out.append(server_only[i])
            i += 1
        else:
            li = _index(server_order, server_only[i], merge_key, kind)
            ri = _index(server_order, patch_items[j], merge_key, kind)
            if li >= 0 and ri >= 0 and li < ri:
                out.append(server_only[i])
                i += 1
            else:
                out.append(patch_items[j])
                j += 1
    return out
