"""Field paths and sets of them, and their ``fieldsV1`` JSON form.

Mirrors sigs.k8s.io/structured-merge-diff fieldpath/ (element.go, path.go, set.go,
serialize.go, serialize-pe.go). A path element (PE) is a hashable tuple:

- ``("f", name)`` — a field of a map or struct, serialised ``f:name``;
- ``("k", ((key, v), ...))`` — an item of an associative list, by its key fields sorted by
  name, serialised ``k:{"name":"nginx"}``;
- ``("v", v)`` — an item of a set-list (a primitive), serialised ``v:"x"``;
- ``("i", n)`` — a list index, serialised ``i:0``.

Values inside PEs are *frozen* (:func:`freeze`): tagged tuples that hash, compare and sort as
upstream's ``value.Compare`` does (numbers < strings < bools < lists < maps < null), so that
``True`` and ``1`` stay different keys.

A :class:`Set` is a trie: ``members`` (PEs that are themselves in the set) and ``children``
(PE -> sub-Set). ``fieldsV1`` lists, per level, members as ``{}`` and children as objects,
merged in PE order, a child that is also a member getting a ``".": {}`` entry:

>>> s = Set.from_paths([(("f", "spec"), ("f", "replicas")),
...                     (("f", "spec"), ("f", "c"), ("k", (("name", freeze("x")),)))])
>>> to_fields_v1(s)
{'f:spec': {'f:c': {'k:{"name":"x"}': {}}, 'f:replicas': {}}}
>>> from_fields_v1(to_fields_v1(s)) == s
True
>>> path_string((("f", "spec"), ("f", "c"), ("k", (("name", freeze("x")),)), ("f", "image")))
'.spec.c[name="x"].image'
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Iterator

from ..memo import BoundedCache

PE = tuple
Path = tuple

# element.go PathElement.Compare: field names sort before keys, keys before values,
# values before indexes.
_RANK = {"f": 0, "k": 1, "v": 2, "i": 3}


# -- values -----------------------------------------------------------------------------

def freeze(v: Any) -> tuple:
    """A hashable, totally ordered stand-in for a JSON value (value/value.go CompareUsing)."""
    if isinstance(v, bool):
        return (2, v)
    if isinstance(v, (int, float)):
        return (0, v)
    if isinstance(v, str):
        return (1, v)
    if isinstance(v, list):
        return (3, tuple(freeze(x) for x in v))
    if isinstance(v, dict):
        return (4, tuple(sorted((str(k), freeze(x)) for k, x in v.items())))
    return (5, None)


def thaw(f: tuple) -> Any:
    """The JSON value a frozen value stands for."""
    tag = f[0]
    if tag == 3:
        return [thaw(x) for x in f[1]]
    if tag == 4:
        return {k: thaw(x) for k, x in f[1]}
    return f[1] if tag != 5 else None


def go_json(v: Any) -> str:
    """Compact JSON as Go's encoding/json writes it (HTML characters escaped)."""
    s = json.dumps(v, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _go_to_string(v: Any) -> str:
    # value.go ToString: strings %q, numbers and bools %v
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, list):
        return "[" + ",".join(_go_to_string(x) for x in v) + "]"
    if isinstance(v, dict):
        return "".join(f"{k}={_go_to_string(x)}" for k, x in v.items())
    return str(v)


# -- path elements -------------------------------------------------------------------------

def field(name: str) -> PE:
    return ("f", name)


def key(item_keys: dict) -> PE:
    """The PE of an associative-list item from its key fields (a dict name -> value)."""
    return ("k", tuple(sorted((k, freeze(v)) for k, v in item_keys.items())))


def value(v: Any) -> PE:
    return ("v", freeze(v))


def sort_key(pe: PE) -> tuple:
    return (_RANK[pe[0]], pe[1])


def pe_string(pe: PE) -> str:
    """element.go PathElement.String: ``.name``, ``[name="x",protocol="TCP"]``, ``[=v]``, ``[0]``."""
    kind, payload = pe
    if kind == "f":
        return "." + payload
    if kind == "k":
        return "[" + ",".join(f"{k}={_go_to_string(thaw(v))}" for k, v in payload) + "]"
    if kind == "v":
        return f"[={_go_to_string(thaw(payload))}]"
    return f"[{payload}]"


def path_string(path: Iterable[PE]) -> str:
    """path.go Path.String — the form conflict messages print (``.spec.replicas``)."""
    return "".join(pe_string(pe) for pe in path)


# Key texts repeat across every object of a kind (``k:{"type":"Ready"}``): both directions
# are memoised, bounded (cleared when full). PEs holding a float are not cached by PE: 80.0
# and 80 are equal keys of a dict but serialise differently.
_SERIALIZED = BoundedCache(1 << 16)
_DESERIALIZED = BoundedCache(1 << 16)


def _has_float(payload: Any) -> bool:
    if type(payload) is float:
        return True
    if type(payload) is tuple:
        return any(_has_float(x) for x in payload)
    return False


def serialize_pe(pe: PE) -> str:
    """serialize-pe.go SerializePathElement: ``f:name``, ``k:{...}``, ``v:...``, ``i:N``."""
    kind, payload = pe
    if kind == "f":
        return "f:" + payload
    if _has_float(payload):   # before the lookup: (0, 80.0) would find (0, 80)'s text
        return _serialize(kind, payload)
    return _SERIALIZED.get(pe, _serialize_pe)


def _serialize_pe(pe: PE) -> str:
    return _serialize(*pe)


def _serialize(kind: str, payload: Any) -> str:
    if kind == "k":
        return "k:{" + ",".join(go_json(k) + ":" + go_json(thaw(v)) for k, v in payload) + "}"
    if kind == "v":
        return "v:" + go_json(thaw(payload))
    return f"i:{payload}"


class FieldsV1Error(ValueError):
    """A ``fieldsV1`` document that does not parse (upstream drops such managedFields)."""


def deserialize_pe(s: str) -> PE | None:
    """The PE a ``fieldsV1`` key names; None for an unknown prefix (upstream ignores those)."""
    return _DESERIALIZED.get(s, _deserialize)


def _deserialize(s: str) -> PE | None:
    if len(s) < 2:
        raise FieldsV1Error("key must be 2 characters long:")
    if s[1] != ":":
        raise FieldsV1Error(f"missing colon: {s}")
    kind, rest = s[0], s[2:]
    if kind == "f":
        return ("f", rest)
    if kind == "i":
        try:
            return ("i", int(rest))
        except ValueError as e:
            raise FieldsV1Error(str(e)) from None
    if kind in ("k", "v"):
        try:
            v = json.loads(rest)
        except ValueError as e:
            raise FieldsV1Error(str(e)) from None
        if kind == "v":
            return value(v)
        if not isinstance(v, dict):
            raise FieldsV1Error(f"expected an object in {s}")
        return key(v)
    return None


# -- sets ---------------------------------------------------------------------------------

class Set:
    """A set of paths as a trie (fieldpath/set.go). Operations return new sets.

    The results of :meth:`union`, :meth:`difference` (and apply's exclusions) share the
    subtrees they did not change with their operands, instead of copying them (a pod's
    status write copied its whole field set several times): only a set being built
    (:meth:`insert` on a fresh ``Set()``) is ever mutated; :meth:`copy` gives a private one.
    """

    __slots__ = ("members", "children")

    def __init__(self) -> None:
        self.members: set = set()
        self.children: dict = {}

    @classmethod
    def from_paths(cls, paths: Iterable[Path]) -> "Set":
        s = cls()
        for p in paths:
            s.insert(p)
        return s

    def insert(self, path: Path) -> None:
        if not path:
            return
        node = self
        for pe in path[:-1]:
            child = node.children.get(pe)
            if child is None:
                child = node.children[pe] = Set()
            node = child
        node.members.add(path[-1])

    def child(self, pe: PE) -> "Set":
        """The sub-Set under ``pe``, created empty if missing (for a set being built)."""
        c = self.children.get(pe)
        if c is None:
            c = self.children[pe] = Set()
        return c

    def has(self, path: Path) -> bool:
        node = self
        for pe in path[:-1]:
            node = node.children.get(pe)
            if node is None:
                return False
        return bool(path) and path[-1] in node.members

    def with_prefix(self, pe: PE) -> "Set":
        return self.children.get(pe) or Set()

    def empty(self) -> bool:
        return not self.members and all(c.empty() for c in self.children.values())

    def copy(self) -> "Set":
        out = Set()
        out.members = set(self.members)
        out.children = {pe: c.copy() for pe, c in self.children.items()}
        return out

    def union(self, other: "Set") -> "Set":
        out = Set()
        out.members = self.members | other.members
        out.children = dict(self.children)
        for pe, c in other.children.items():
            mine = out.children.get(pe)
            out.children[pe] = c if mine is None else mine.union(c)
        return out

    def intersection(self, other: "Set") -> "Set":
        out = Set()
        out.members = self.members & other.members
        for pe, c in self.children.items():
            if pe in other.children:
                sub = c.intersection(other.children[pe])
                if not sub.empty():
                    out.children[pe] = sub
        return out

    def difference(self, other: "Set") -> "Set":
        """Paths of self not in other (a member removed does not remove its children)."""
        out = Set()
        out.members = self.members - other.members
        for pe, c in self.children.items():
            sub = c.difference(other.children[pe]) if pe in other.children else c
            if not sub.empty():
                out.children[pe] = sub
        return out

    def paths(self, prefix: Path = ()) -> Iterator[Path]:
        """Every path, in upstream's iteration order (members of a level, then children)."""
        for pe in sorted(self.members, key=sort_key):
            yield prefix + (pe,)
        for pe in sorted(self.children, key=sort_key):
            yield from self.children[pe].paths(prefix + (pe,))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Set) and sorted(self.paths(), key=_path_key) == sorted(
            other.paths(), key=_path_key)

    def __repr__(self) -> str:
        return "Set(" + ", ".join(path_string(p) for p in self.paths()) + ")"


def _path_key(path: Path) -> tuple:
    return tuple(sort_key(pe) for pe in path)


def to_fields_v1(s: Set) -> dict:
    """serialize.go emitContentsV1 as a JSON object (dict order is upstream's key order)."""
    return _emit(s, include_self=False)


def _emit(s: Set, include_self: bool) -> dict:
    out: dict = {}
    members = s.members
    # a child emits {} exactly when it is empty (no member anywhere below it)
    live = {}
    for pe, c in s.children.items():
        sub = _emit(c, pe in members)
        if sub:
            live[pe] = sub
    for pe in sorted(members | live.keys(), key=sort_key):
        out[serialize_pe(pe)] = live.get(pe, {})
    if include_self and out:
        out["."] = {}
    return out


def from_fields_v1(doc: Any) -> Set:
    """serialize.go FromJSON: ``{}`` under a key is a member; ``"."`` marks a child as member too."""
    if not isinstance(doc, dict):
        raise FieldsV1Error("fieldsV1 must be a JSON object")
    children, _ = _read(doc)
    return children or Set()


def _read(doc: dict) -> tuple[Set | None, bool]:
    children: Set | None = None
    is_member = False
    for k, sub in doc.items():
        if k == ".":
            is_member = True
            continue
        pe = deserialize_pe(k)
        if pe is None:
            continue
        if not isinstance(sub, dict):
            raise FieldsV1Error(f"expected an object under {k}")
        grand, child_member = _read(sub)
        if children is None:
            children = Set()
        if child_member:
            children.members.add(pe)
        if grand is not None:
            children.children[pe] = grand
    if children is None:
        is_member = True
    return children, is_member
