"""Walking JSON objects with schema information: field sets, comparison, merge, removal.

Mirrors sigs.k8s.io/structured-merge-diff typed/ (tofieldset.go, compare.go, merge.go,
remove.go, helpers.go) and fieldpath/set.go ``EnsureNamedFieldsAreMembers``.

The schema is any object with the attributes of ``k8score.api.schema.Schema``: ``properties``
(declared struct fields), ``items``, ``additional`` (map values), ``list_type``
(``"atomic"|"set"|"map"|None``), ``map_keys``, ``merge_key``, ``patch_strategy``, ``map_type``
(``"atomic"`` for atomic maps) and optionally ``default``. ``None`` means "no type
information" (a CRD without a schema, an unknown field): maps are then granular, lists atomic
(upstream's deduced type). A list without ``list_type`` is an associative list keyed by its
``merge_key`` when its patch strategy is ``merge`` (kube-openapi schemaconv), else atomic.

>>> to_field_set({"spec": {"replicas": 3}}, None)
Set(.spec, .spec.replicas)
"""

from __future__ import annotations

import copy
from typing import Any

from .fieldpath import PE, Set, field, freeze, go_json, key, path_string, pe_string, value

# List-map key fields whose OpenAPI schema carries a default (core/v1 types.go
# ``+default="TCP"`` on ContainerPort.Protocol and ServicePort.Protocol), used when the schema
# object has no ``default`` attribute: ``k:{"containerPort":80,"protocol":"TCP"}``.
_KEY_DEFAULTS = {("ContainerPort", "protocol"): "TCP", ("ServicePort", "protocol"): "TCP"}

MISSING = object()  # "no value here" (Go's nil value.Value); distinct from JSON null


class TypedError(ValueError):
    """An object that does not fit its schema (upstream's typed.ValidationErrors)."""


# -- schema access --------------------------------------------------------------------------

def child_schema(sch: Any, name: str) -> tuple[Any, bool]:
    """(schema of map key ``name``, whether it is a declared struct field)."""
    if sch is None:
        return None, False
    props = getattr(sch, "properties", None) or {}
    if name in props:
        return props[name], True
    return getattr(sch, "additional", None), False


def items_schema(sch: Any) -> Any:
    return getattr(sch, "items", None) if sch is not None else None


def map_is_atomic(sch: Any) -> bool:
    return sch is not None and getattr(sch, "map_type", None) == "atomic"


def list_kind(sch: Any) -> tuple[str, tuple]:
    """``("atomic", ())``, ``("set", ())`` or ``("map", keys)`` for a list node."""
    if sch is None:
        return "atomic", ()
    lt = getattr(sch, "list_type", None)
    merge_key = getattr(sch, "merge_key", None)
    if lt == "map":
        keys = tuple(getattr(sch, "map_keys", None) or ((merge_key,) if merge_key else ()))
        return ("map", keys) if keys else ("set", ())
    if lt in ("set", "atomic"):
        return lt, ()
    strategies = (getattr(sch, "patch_strategy", None) or "").split(",")
    if "merge" in strategies:
        return ("map", (merge_key,)) if merge_key else ("set", ())
    return "atomic", ()


def item_pe(sch: Any, keys: tuple, kind: str, item: Any) -> PE:
    """helpers.go listItemToPathElement: the PE naming one item of a granular list."""
    if len(keys) == 1 and type(item) is dict:
        # the common one-key list (conditions by type, containers by name): the PE key()
        # builds, without sorting or freezing
        v = item.get(keys[0])
        if type(v) is str:
            return ("k", ((keys[0], (1, v)),))
    if kind == "set":
        if isinstance(item, dict):
            raise TypedError("associative list without keys has an element that's a map type")
        if isinstance(item, list):
            raise TypedError("not supported: associative list with lists as elements")
        if item is None:
            raise TypedError("associative list without keys has an element that's an explicit null")
        return value(item)
    if item is None:
        raise TypedError("associative list with keys may not have a null element")
    if not isinstance(item, dict):
        raise TypedError("associative list with keys may not have non-map elements")
    found = {}
    for k in keys:
        if k in item:
            found[k] = item[k]
        else:
            # a key field left out takes its schema default (ports' protocol: "TCP")
            isch = items_schema(sch)
            ks, _ = child_schema(isch, k)
            default = getattr(ks, "default", None) if ks is not None else None
            if default is None:
                default = _KEY_DEFAULTS.get((getattr(isch, "go_type", None), k))
            if default is not None:
                found[k] = default
    if not found:
        raise TypedError(f"associative list with keys has an element that omits all key fields "
                         f"{go_json(list(keys))} (and doesn't have default values for any key fields)")
    return key(found)


def _child_path_text(path: tuple) -> str:
    return path_string(path) or "."


# -- ToFieldSet -------------------------------------------------------------------------------

def to_field_set(obj: Any, sch: Any) -> Set:
    """tofieldset.go: every leaf, list item, and map key that is not a declared struct field
    (or holds null or ``{}``) is a member."""
    out = Set()
    _tfs(obj, sch, (), out)
    return out


def _tfs(v: Any, sch: Any, path: tuple, out: Set) -> None:
    if isinstance(v, dict):
        if map_is_atomic(sch):
            out.insert(path)
            return
        for k, x in v.items():
            sub, declared = child_schema(sch, k)
            p = path + (field(k),)
            _tfs(x, sub, p, out)
            if x is None or (isinstance(x, dict) and not x) or not declared:
                out.insert(p)
    elif isinstance(v, list):
        kind, keys = list_kind(sch)
        if kind == "atomic":
            out.insert(path)
            return
        pes = [_pe_or_raise(sch, keys, kind, x, path, i) for i, x in enumerate(v)]
        counts: dict = {}
        for pe in pes:
            counts[pe] = counts.get(pe, 0) + 1
        for pe, x in zip(pes, v):
            out.insert(path + (pe,))
            if counts[pe] == 1:  # duplicated items are owned as a whole, not descended
                _tfs(x, items_schema(sch), path + (pe,), out)
    else:
        out.insert(path)


def _pe_or_raise(sch: Any, keys: tuple, kind: str, item: Any, path: tuple, i: int) -> PE:
    try:
        return item_pe(sch, keys, kind, item)
    except TypedError as e:
        raise TypedError(f"{_child_path_text(path)}: element {i}: {e}") from None


def _list_pes(sch: Any, v: list, path: tuple, allow_dups: bool) -> list:
    kind, keys = list_kind(sch)
    pes = [_pe_or_raise(sch, keys, kind, x, path, i) for i, x in enumerate(v)]
    if not allow_dups:
        seen: set = set()
        for pe in pes:
            if pe in seen:
                raise TypedError(f"{_child_path_text(path)}: duplicate entries for key {pe_string(pe)}")
            seen.add(pe)
    return pes


def ensure_named_fields_are_members(s: Set, sch: Any) -> Set:
    """set.go: a declared struct field that has children is made a member too, so that
    removing the set removes the field itself (used by apply's pruning)."""
    out = Set()
    out.members = set(s.members)
    for pe, c in s.children.items():
        if pe[0] == "f":
            sub, declared = child_schema(sch, pe[1])
            if declared:
                out.members.add(pe)
        else:
            sub = items_schema(sch)
        out.children[pe] = ensure_named_fields_are_members(c, sub)
    return out


# -- Compare ---------------------------------------------------------------------------------

def equal(a: Any, b: Any) -> bool:
    """JSON equality (1 == 1.0, True != 1)."""
    return freeze(a) == freeze(b)


def compare(lhs: Any, rhs: Any, sch: Any) -> tuple[Set, Set, Set]:
    """compare.go: (added, modified, removed) going from lhs to rhs."""
    added, modified, removed = Set(), Set(), Set()
    _cmp(lhs, rhs, sch, (), added, modified, removed)
    return added, modified, removed


def _cmp(l: Any, r: Any, sch: Any, path: tuple, a: Set, m: Set, rm: Set) -> None:
    if l is r or (type(l) is type(r) and l == r):
        # an unchanged subtree or leaf (C-speed equality; same type, so 1 and True or 1.0
        # never meet here) adds, modifies and removes nothing
        return
    if l is MISSING:
        _added(r, sch, path, a)  # all of a new subtree is added (most of a create)
        return
    lmap, rmap = isinstance(l, dict), isinstance(r, dict)
    llist, rlist = isinstance(l, list), isinstance(r, list)
    leaf = True
    # a JSON null next to a map or list is walked like an empty one, without marking the node
    # added or removed (Go's nil slice of a non-omitempty field)
    if (lmap or rmap) and (lmap or l is MISSING or l is None) and (rmap or r is MISSING or r is None):
        lv = l if lmap else {}
        rv = r if rmap else {}
        if not map_is_atomic(sch) and (lv or rv):  # both empty: a leaf, keeping {} vs absent
            leaf = False
            for k in list(lv) + [k for k in rv if k not in lv]:
                x, y = lv.get(k, MISSING), rv.get(k, MISSING)
                if x is y or (type(x) is type(y) and x == y):
                    continue  # what _cmp would return at once, without the call
                _cmp(x, y, child_schema(sch, k)[0], path + (field(k),), a, m, rm)
    elif (llist or rlist) and (llist or l is MISSING or l is None) and (rlist or r is MISSING or r is None):
        lv = l if llist else []
        rv = r if rlist else []
        if list_kind(sch)[0] != "atomic" and (lv or rv):
            leaf = False
            _cmp_list(lv, rv, sch, path, a, m, rm)
    if leaf:
        if l is MISSING:
            a.insert(path)
        elif r is MISSING:
            rm.insert(path)
        elif not equal(l, r):
            m.insert(path)
    elif l is MISSING:
        a.insert(path)
    elif r is MISSING:
        rm.insert(path)


def _added(r: Any, sch: Any, path: tuple, a: Set) -> None:
    """``_cmp(MISSING, r, ...)`` without the comparisons: ``path`` and everything a granular
    ``r`` holds are added; items duplicated in a list are added as a whole (same walk
    order, same TypedErrors). The members go straight into their trie nodes."""
    if not path:  # the root itself is never a member (Set.insert ignores the empty path)
        _added_children(r, sch, path, a)
        return
    node = a
    for pe in path[:-1]:
        node = node.child(pe)
    _added_at(r, sch, path, node)


def _added_at(r: Any, sch: Any, path: tuple, parent: Set) -> None:
    # ``parent`` is the node of path[:-1]; every call adds at least path[-1] to it, so the
    # nodes created below are never left empty
    if (isinstance(r, dict) and r and not map_is_atomic(sch)) or \
            (isinstance(r, list) and r and list_kind(sch)[0] != "atomic"):
        _added_children(r, sch, path, parent.child(path[-1]))
    parent.members.add(path[-1])


def _added_children(r: Any, sch: Any, path: tuple, node: Set) -> None:
    """Everything under a granular ``r`` (at ``path``, whose node is ``node``) is added."""
    if isinstance(r, dict):
        if r and not map_is_atomic(sch):
            for k, x in r.items():
                _added_at(x, child_schema(sch, k)[0], path + (("f", k),), node)
    elif isinstance(r, list):
        if r and list_kind(sch)[0] != "atomic":
            groups: dict = {}
            for pe, x in zip(_list_pes(sch, r, path, True), r):
                groups.setdefault(pe, []).append(x)
            isch = items_schema(sch)
            for pe, xs in groups.items():
                if len(xs) == 1:
                    _added_at(xs[0], isch, path + (pe,), node)
                else:
                    node.members.add(pe)


def _cmp_list(l: list, r: list, sch: Any, path: tuple, a: Set, m: Set, rm: Set) -> None:
    lp = _list_pes(sch, l, path, True)
    rp = _list_pes(sch, r, path, True)
    lvals: dict = {}
    rvals: dict = {}
    order: list = []
    for pe, x in zip(lp, l):
        if pe not in lvals:
            order.append(pe)
        lvals.setdefault(pe, []).append(x)
    for pe, x in zip(rp, r):
        if pe not in rvals and pe not in lvals:
            order.append(pe)
        rvals.setdefault(pe, []).append(x)
    isch = items_schema(sch)
    for pe in order:
        ll, rl = lvals.get(pe, []), rvals.get(pe, [])
        p = path + (pe,)
        if len(ll) <= 1 and len(rl) <= 1:
            _cmp(ll[0] if ll else MISSING, rl[0] if rl else MISSING, isch, p, a, m, rm)
        elif len(ll) >= 2 and len(rl) >= 2:
            if len(ll) != len(rl) or not all(equal(x, y) for x, y in zip(ll, rl)):
                m.insert(p)
        elif len(ll) >= 2:  # duplicates before, not any more
            if rl:
                _cmp(MISSING, rl[0], isch, p, a, m, rm)
            rm.insert(p)
        else:  # new duplicates
            if ll:
                _cmp(ll[0], MISSING, isch, p, a, m, rm)
            a.insert(p)


# -- Merge -----------------------------------------------------------------------------------

def merge(lhs: Any, rhs: Any, sch: Any) -> Any:
    """merge.go with ruleKeepRHS: rhs wins on every leaf; granular maps merge key by key and
    associative lists item by item (keeping lhs's order for items rhs does not reorder)."""
    return _merge(lhs, rhs, sch, ())


def _merge(l: Any, r: Any, sch: Any, path: tuple) -> Any:
    if r is MISSING:
        return copy.deepcopy(l)
    if isinstance(r, dict) and (isinstance(l, dict) or l is MISSING) and not map_is_atomic(sch):
        lv = l if isinstance(l, dict) else {}
        if lv or r:
            out = {}
            for k in list(lv) + [k for k in r if k not in lv]:
                sub, _ = child_schema(sch, k)
                out[k] = _merge(lv.get(k, MISSING), r.get(k, MISSING), sub, path + (field(k),))
            return out
    if isinstance(r, list) and (isinstance(l, list) or l is MISSING) and list_kind(sch)[0] != "atomic":
        lv = l if isinstance(l, list) else []
        if lv or r:
            return _merge_list(lv, r, sch, path)
    return copy.deepcopy(r)


def _merge_list(l: list, r: list, sch: Any, path: tuple) -> list:
    rpes = _list_pes(sch, r, path, False)
    lpes = _list_pes(sch, l, path, True)
    obs_r = dict(zip(rpes, r))
    obs_l: dict = {}
    for pe, x in zip(lpes, l):
        obs_l[pe] = x if pe not in obs_l else None  # duplicated lhs items are not merged into
    shared = [pe for pe in rpes if pe in obs_l]
    next_shared = shared.pop(0) if shared else None
    merged_r: set = set()
    isch = items_schema(sch)
    out = []
    li = ri = 0
    while li < len(lpes) or ri < len(rpes):
        if li < len(lpes) and ri < len(rpes):
            pe = lpes[li]
            if pe == rpes[ri]:
                merged_r.add(pe)
                out.append(_merge(obs_l[pe], obs_r[pe], isch, path + (pe,)))
                li += 1
                ri += 1
                next_shared = shared.pop(0) if shared else None
                continue
            if pe in obs_r and next_shared is not None and next_shared != pe:
                li += 1  # a shared item, but rhs puts another one first
                continue
        if li < len(lpes):
            pe = lpes[li]
            if pe not in obs_r:
                out.append(copy.deepcopy(l[li]))
                li += 1
                continue
            if pe in merged_r:
                li += 1
        if ri < len(rpes):
            pe = rpes[ri]
            merged_r.add(pe)
            out.append(_merge(obs_l.get(pe, MISSING), obs_r[pe], isch, path + (pe,)))
            ri += 1
            if next_shared is not None and next_shared == pe:
                next_shared = shared.pop(0) if shared else None
    return out


# -- RemoveItems ------------------------------------------------------------------------------

def remove_items(obj: Any, to_remove: Set, sch: Any) -> Any:
    """remove.go (``removeItemsWithSchema``, not extracting): obj without the members of
    ``to_remove`` (a member removes the whole field or item). A map or list that the removal
    leaves empty, that was empty already, or that is atomic with something under it to remove,
    becomes null and stays in its parent (remove.go sets ``w.out`` only for a non-empty result):
    the parent still has the field, so a later field set still counts it. Null values decode
    as absent."""
    out = _remove(obj, to_remove, sch)
    return {} if out is None and isinstance(obj, dict) else out


def _remove(v: Any, s: Set, sch: Any) -> Any:
    if isinstance(v, dict):
        if not v or map_is_atomic(sch):
            return None
        out = {}
        for k, x in v.items():
            pe = field(k)
            if pe in s.members:
                continue
            sub = s.children.get(pe)
            if sub is not None and not sub.empty():
                x = _remove(x, sub, child_schema(sch, k)[0])
            out[k] = x
        return out if out else None
    if isinstance(v, list):
        kind, keys = list_kind(sch)
        if not v or kind == "atomic":
            return None
        out_l = []
        for x in v:
            pe = item_pe(sch, keys, kind, x)
            if pe in s.members:
                continue
            sub = s.children.get(pe)
            if sub is not None and not sub.empty():
                x = _remove(x, sub, items_schema(sch))
            out_l.append(x)
        return out_l if out_l else None
    return v
