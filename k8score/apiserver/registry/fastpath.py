"""Shortcuts of the write path that give exactly what the general steps give, cheaper.

* :func:`fast_decodes` — the schema decoder's own fast path (decode.py): the body is
  already what decoding would store, with no warnings;
* :func:`drop_struct_nulls` — removes the nulls the decoder drops from struct fields
  (sigs.k8s.io/json leaves a Go struct field at its zero value for ``null``, and the
  field is then omitted: ``lastProbeTime: null`` in a status patch), so that body too
  takes the fast path;
* :func:`differs` — whether two objects certainly encode differently, before encoding
  the stored one to compare (registry store.go GuaranteedUpdate skips a write that
  changes nothing).
"""

from __future__ import annotations

from typing import Any

from ...api.schema._fast import fast_checker


def fast_decodes(schema: Any, obj: dict) -> bool:
    """decode.py's first step: ``obj`` is exactly what it would return, with no warnings."""
    try:
        return fast_checker(schema)(obj)
    except RecursionError:
        return False


def drop_struct_nulls(schema: Any, value: Any, depth: int = 0) -> None:
    """Delete, in place, every null held by a known field of a struct in ``value``, walking
    it along ``schema`` (struct fields, list items, map values). The decoder drops exactly
    these (decode.py ``_struct``: a null field decodes to nothing, with no error and no
    warning), so its answer on ``value`` is the same before and after. Nulls in maps and
    lists (which decode to zero values) and under unknown fields are left alone."""
    if depth > 64 or schema is None or schema.codec is not None:
        return
    t = type(value)
    if t is dict and schema.type == "object":
        if schema.additional is not None:
            for x in value.values():
                if type(x) in (dict, list):
                    drop_struct_nulls(schema.additional, x, depth + 1)
        elif schema.name is not None:
            props = schema.properties
            nulls = None
            for k, x in value.items():
                if x is None:
                    if k in props:
                        nulls = (nulls or []) + [k]
                elif type(x) in (dict, list):
                    drop_struct_nulls(props.get(k), x, depth + 1)
            if nulls:
                for k in nulls:
                    del value[k]
    elif t is list and schema.type == "array" and schema.items is not None:
        for x in value:
            if type(x) in (dict, list):
                drop_struct_nulls(schema.items, x, depth + 1)


def differs(new: dict, old: dict) -> bool:
    """True when ``new`` and ``old`` certainly encode differently, ``metadata.resourceVersion``
    aside (unequal JSON values never share an encoding); False when they may be the same
    (equal values can still differ in key order or ``1`` / ``1.0``: the encodings decide)."""
    if new.keys() != old.keys():
        return True
    for k, v in new.items():
        w = old[k]
        if k == "metadata" and type(v) is dict and type(w) is dict:
            if len(v) - ("resourceVersion" in v) != len(w) - ("resourceVersion" in w):
                return True
            for mk, mv in v.items():
                if mk != "resourceVersion" and (mk not in w or mv != w[mk]):
                    return True
        elif v != w:
            return True
    return False
