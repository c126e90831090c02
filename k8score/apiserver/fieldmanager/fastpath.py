"""The common update answered without decoding managedFields: reuse the stored entries.

Most writes after a create are a writer refreshing fields it already owns — the kubelet's
pod and node status, a Lease's ``renewTime``, a controller's status counters. For those,
:func:`update_managed_fields`'s full path (decode every entry into a :class:`Set`, subtract
the change from each, encode them all again) ends where it began: the same entries, with the
writer's ``time`` re-stamped. This module gets that answer from the *encoded* entries.

Contract: :func:`reuse` returns exactly the list the full path returns, or None when it
cannot tell cheaply (then the caller runs the full path). It answers only when

- the entries are *canonical*: exactly what ``encode(decode(entries))`` gives, key order
  included (:func:`canonical`) — what the API server itself stores, so reusing them cannot
  change a byte;
- no other manager owns a path the write changed or removed (their sets stay as they are,
  managerfieldsupdater.go / update.go ``Update``).

Then only the writer's entry may change: kept (nothing it owns changed), re-stamped (it
changed only fields it owns), or — when its own set changes — edited in its encoded form
(:func:`_drop`, :func:`_add`), which gives the one canonical document of the new set.

Membership is read off the fieldsV1 trie directly: in a canonical document a path is a
member when its node is ``{}`` or holds ``"."`` (serialize.go emitContentsV1).

>>> fv = {"f:spec": {"f:holderIdentity": {}, "f:renewTime": {}}}
>>> _subset(Set.from_paths([(("f", "spec"), ("f", "renewTime"))]), fv)
True
>>> _disjoint(Set.from_paths([(("f", "spec"),)]), fv)
True
"""

from __future__ import annotations

from typing import Any

from ..jsonutil import copy_json
from ..memo import BoundedCache, dumps
from .fieldpath import (FieldsV1Error, Set, _has_float, deserialize_pe, serialize_pe, sort_key, to_fields_v1)
from .managers import MAX_UPDATE_MANAGERS, STRIP_SET

# the holder name managedfieldsupdater.go gives the write's own changes; an entry already
# called so would be overwritten by the full path
_HOLDER = "current-operation"

# key orders encode() writes: with/without time, with/without subresource
_SHAPES = frozenset((("manager", "operation", "apiVersion") + t + ("fieldsType", "fieldsV1") + s)
                    for t in ((), ("time",)) for s in ((), ("subresource",)))

_CACHE_MAX = 1 << 16
_KEYS: dict = {}   # fieldsV1 key text -> sort key of its PE, or None when not canonical
_CANONICAL = BoundedCache(1 << 14)   # marshal bytes of a fieldsV1 document -> whether encode writes it so


def _key_info(k: str) -> Any:
    """The sort key of the PE ``k`` names when ``k`` is exactly how serialize_pe writes it
    (and names no float: ``80.0`` and ``80`` are one PE but two texts); else None."""
    try:
        return _KEYS[k]
    except KeyError:
        pass
    info = None
    try:
        pe = deserialize_pe(k)
        if pe is not None and not _has_float(pe[1]) and serialize_pe(pe) == k:
            info = sort_key(pe)
    except (FieldsV1Error, ValueError, TypeError):
        pass
    if len(_KEYS) >= _CACHE_MAX:
        _KEYS.clear()
    _KEYS[k] = info
    return info


def _text(pe: tuple) -> str | None:
    if pe[0] == "f":
        return "f:" + pe[1]
    if _has_float(pe[1]):   # 80.0 and 80 are one PE (and one dict key) but two texts
        return None
    return serialize_pe(pe)


# -- canonical entries --------------------------------------------------------------------

def canonical(entries: Any) -> bool:
    """Whether ``entries`` is exactly what managers.encode writes for what it decodes to:
    valid entries in encode's key order, sorted as encode sorts them, one per manager
    identifier, each with a non-empty canonical fieldsV1, at most MAX_UPDATE_MANAGERS
    Update entries (capmanagers.go would merge more)."""
    if type(entries) is not list or not entries:
        return False
    try:
        return _canonical_entries(entries)
    except TypeError:   # keys that do not order (the full path's sort would fail the same way)
        return False


def _canonical_entries(entries: list) -> bool:
    prev = None
    idents = set()
    updates = 0
    for e in entries:
        if type(e) is not dict or tuple(e) not in _SHAPES:
            return False
        m, op, av, ft = e["manager"], e["operation"], e["apiVersion"], e["fieldsType"]
        t, sub = e.get("time", ""), e.get("subresource", "")
        if (type(m) is not str or m == _HOLDER or op not in ("Apply", "Update") or type(av) is not str
                or not av or ft != "FieldsV1" or type(t) is not str or type(sub) is not str
                or ("time" in e and not t) or ("subresource" in e and not sub)):
            return False
        order = (op, t, m, av, sub)
        if prev is not None and not prev < order:
            return False
        prev = order
        ident = (m, op, "" if op == "Apply" else av, sub)
        if ident in idents:
            return False
        idents.add(ident)
        updates += op == "Update"
        fv = e["fieldsV1"]
        if type(fv) is not dict or not fv or not _canonical_set(fv):
            return False
    return updates <= MAX_UPDATE_MANAGERS


def _canonical_set(fv: dict) -> bool:
    # memoised on the marshal bytes (key order included): an object's entries repeat from
    # one write to the next, and the entries of one ReplicaSet's pods are alike
    try:
        key = dumps(fv)
    except ValueError:
        return False   # not plain JSON data
    return _CANONICAL.get(key, lambda _: _canonical_fields(fv, False))


def _canonical_fields(d: dict, member: bool) -> bool:
    """serialize.go emitContentsV1's output: keys strictly in PE order, each a canonical PE
    text over an object, then ``".": {}`` last exactly when the node is a member with
    children (``member``: allowed here)."""
    prev = None
    for k, v in d.items():
        if k == ".":
            if not member or prev is None or v != {} or type(v) is not dict:
                return False
            prev = "."   # nothing may follow it
            continue
        if prev == ".":
            return False
        info = _key_info(k)
        if info is None or (prev is not None and not prev < info) or type(v) is not dict:
            return False
        prev = info
        if v and not _canonical_fields(v, True):
            return False
    return True


# -- membership on encoded sets -----------------------------------------------------------

class _Unsure(Exception):
    """A PE whose text is ambiguous: let the full path decide."""


def _child(d: dict, pe: tuple) -> Any:
    return d.get(_text_or_raise(pe))


def _disjoint(s: Set, d: dict) -> bool:
    """No path of ``s`` is a member of the canonical fieldsV1 ``d``."""
    for pe in s.members:
        v = _child(d, pe)
        if v is not None and (not v or "." in v):
            return False
    for pe, c in s.children.items():
        v = _child(d, pe)
        if v and not _disjoint(c, v):
            return False
    return True


def _subset(s: Set, d: dict) -> bool:
    """Every path of ``s`` is a member of the canonical fieldsV1 ``d``."""
    for pe in s.members:
        v = _child(d, pe)
        if v is None or (v and "." not in v):
            return False
    for pe, c in s.children.items():
        if c.empty():
            continue
        v = _child(d, pe)
        if not v or not _subset(c, v):
            return False
    return True


# -- the answer ---------------------------------------------------------------------------

def reuse(entries: list, added: Set, modified: Set, removed: Set, manager: str, api_version: str,
          subresource: str, now_text: str) -> list | None:
    """managedFields after an Update by ``manager`` (already defaulted) whose filtered
    comparison is (added, modified, removed), from :func:`canonical` ``entries``; None when
    another manager loses a field (or a PE is ambiguous): the full path answers that."""
    changed = modified.union(added)
    gone = changed.union(removed)
    # the write's own changes, as managedfieldsupdater.go strips them (stripmeta.go)
    current = changed.difference(removed).difference(STRIP_SET)
    mine = None
    updates = 0
    try:
        for i, e in enumerate(entries):
            updates += e["operation"] == "Update"
            if (e["manager"] == manager and e["operation"] == "Update" and e["apiVersion"] == api_version
                    and e.get("subresource", "") == subresource):
                mine = i
            elif not _disjoint(gone, e["fieldsV1"]):
                return None
        if mine is None:
            if current.empty():
                return copy_json(entries)
            if updates + 1 > MAX_UPDATE_MANAGERS:
                return None   # capmanagers.go would merge the oldest
            out = copy_json(entries)
            out.append(_entry(manager, api_version, subresource, now_text, to_fields_v1(current)))
            return _sorted(out)
        fv = entries[mine]["fieldsV1"]
        same = (_disjoint(removed, fv) and _disjoint(changed.difference(current), fv)
                and _subset(current, fv))
    except _Unsure:
        return None
    out = copy_json(entries)
    if same:   # the writer's set is unchanged: at most its time moves
        if current.empty():
            return out
        out[mine] = _entry(manager, api_version, subresource, now_text, out[mine]["fieldsV1"])
        return _sorted(out)
    # only the writer's set changes: (S - gone) | current, edited in its encoded form
    fv = out[mine]["fieldsV1"]
    try:
        _drop(fv, gone)
        _add(fv, current)
    except _Unsure:
        return None
    if not fv:
        del out[mine]
        return out
    t = now_text if not current.empty() else entries[mine].get("time")
    out[mine] = _entry(manager, api_version, subresource, t, fv)
    return _sorted(out)


def _drop(d: dict, s: Set) -> None:
    """Take the paths of ``s`` out of the canonical fieldsV1 node ``d``, in place, leaving it
    canonical (a node left without children disappears, or stays as ``{}`` if a member)."""
    for pe in s.members:
        t = _text_or_raise(pe)
        v = d.get(t)
        if v is None:
            continue
        if not v:
            del d[t]
        elif "." in v:
            del v["."]   # still a parent of its children, no longer a member
    for pe, c in s.children.items():
        t = _text_or_raise(pe)
        v = d.get(t)
        if not v:
            continue   # absent, or a leaf: no children to take
        _drop(v, c)
        if len(v) == ("." in v):   # no children left
            if "." in v:
                d[t] = {}
            else:
                del d[t]


def _add(d: dict, s: Set) -> None:
    """Put the paths of ``s`` into the canonical fieldsV1 node ``d``, in place, in PE order."""
    grew = False
    for pe in s.members:
        t = _text_or_raise(pe)
        v = d.get(t)
        if v is None:
            d[t] = {}
            grew = True
        elif v and "." not in v:
            v["."] = {}
    for pe, c in s.children.items():
        if c.empty():
            continue
        t = _text_or_raise(pe)
        v = d.get(t)
        if v is None:
            v = d[t] = {}
            grew, member = True, False
        else:
            member = not v or "." in v
        _add(v, c)
        if member and "." not in v:
            v["."] = {}   # a member leaf that gained children
    if grew or ("." in d and next(reversed(d)) != "."):
        _resort(d)


def _resort(d: dict) -> None:
    keys = [k for k in d if k != "."]
    infos = [_key_info(k) for k in keys]
    if None in infos:
        raise _Unsure
    items = [(k, d[k]) for _, k in sorted(zip(infos, keys))]
    if "." in d:
        items.append((".", {}))
    d.clear()
    d.update(items)


def _text_or_raise(pe: tuple) -> str:
    t = _text(pe)
    if t is None:
        raise _Unsure
    return t


def _entry(manager: str, api_version: str, subresource: str, time: str | None, fields_v1: dict) -> dict:
    # managers.encode's key order
    e: dict = {"manager": manager, "operation": "Update", "apiVersion": api_version}
    if time:
        e["time"] = time
    e["fieldsType"] = "FieldsV1"
    e["fieldsV1"] = fields_v1
    if subresource:
        e["subresource"] = subresource
    return e


def _sorted(out: list) -> list:
    # managers.encode's order (sortEncodedManagedFields)
    out.sort(key=lambda e: (e["operation"], e.get("time") or "", e["manager"], e["apiVersion"],
                            e.get("subresource", "")))
    return out
