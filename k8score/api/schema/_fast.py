"""The fast path of :mod:`decode`: one compiled predicate per Schema, cached on it.

``fast_checker(schema)(value)`` is True when ``value`` is already exactly what the API
server would store — right JSON kinds, numbers in range, no unknown fields, no nulls, no
duplicate keys, quantities and times canonical, finite floats. Then ``decode`` returns the
body as it is; anything else goes to the precise walker, which builds the object and the
error messages. Most requests take only this path, so the predicates are small closures
specialised per schema (strings, int32, maps of strings...) with no path bookkeeping.

``max_depth(schema)`` bounds how deep a value that passes can nest, so that a pass also
proves the request-body limits (limits.check_value) for schemas that are not recursive.
"""

from __future__ import annotations

from typing import Any, Callable

from . import scalars
from .limits import MAX_DEPTH
from .model import Schema

Check = Callable[[Any], bool]
_I32 = scalars.INT_RANGE["int32"]
_I64 = scalars.INT_RANGE["int64"]


def _is_str(v: Any) -> bool:
    return type(v) is str


def _is_bool(v: Any) -> bool:
    return type(v) is bool


def _is_i32(v: Any) -> bool:
    return type(v) is int and -2147483648 <= v <= 2147483647


def _is_i64(v: Any) -> bool:
    return type(v) is int and -9223372036854775808 <= v <= 9223372036854775807


def _is_number(v: Any) -> bool:
    t = type(v)
    if t is float:
        return v - v == 0.0  # finite
    return t is int and -(1 << 1023) < v < (1 << 1023)


def _is_int_or_string(v: Any) -> bool:
    t = type(v)
    return t is str or (t is int and -2147483648 <= v <= 2147483647)


def _canonical_cache(fn: Callable[[Any], str]) -> Check:
    ok: dict = {}

    def check(v: Any) -> bool:
        if type(v) is not str:
            return False
        r = ok.get(v)
        if r is None:
            try:
                r = fn(v) == v
            except scalars.GoError:
                r = False
            if len(ok) < 4096:
                ok[v] = r
        return r
    return check


_is_quantity = _canonical_cache(scalars.quantity)
_is_time = _canonical_cache(lambda v: scalars.time(v, False))
_is_microtime = _canonical_cache(lambda v: scalars.time(v, True))


def _is_bytes(v: Any) -> bool:  # not cached: Secret values can be large
    if type(v) is not str:
        return False
    try:
        return scalars.b64(v) == v
    except scalars.GoError:
        return False


def is_json(v: Any, depth: int = MAX_DEPTH) -> bool:
    """Plain JSON (dict/list/str/int/finite float/bool/None), str keys, at most ``depth`` deep."""
    t = type(v)
    if t is str or t is int or t is bool or v is None:
        return True
    if t is float:
        return v - v == 0.0
    if depth <= 0:
        return False
    if t is dict:
        for k, x in v.items():
            if type(k) is not str or not is_json(x, depth - 1):
                return False
        return True
    if t is list:
        for x in v:
            if not is_json(x, depth - 1):
                return False
        return True
    return False


#: how deep a ``raw`` value (FieldsV1, RawExtension) may nest on the fast path: deeper ones
#: take the precise walker (same answer, slower), so that :func:`max_depth` stays bounded
RAW_FAST_DEPTH = 32


def _is_raw(v: Any) -> bool:
    return is_json(v, RAW_FAST_DEPTH)


_SCALARS: dict = {("string", None): _is_str, ("string", "byte"): _is_bytes,
                  ("boolean", None): _is_bool, ("integer", "int32"): _is_i32,
                  ("integer", "int64"): _is_i64, ("integer", None): _is_i64,
                  ("number", None): _is_number, ("number", "double"): _is_number}
_CODECS: dict = {"quantity": _is_quantity, "int-or-string": _is_int_or_string,
                 "time": _is_time, "microtime": _is_microtime, "raw": _is_raw}


def fast_checker(s: Schema) -> Check:
    """The cached predicate for ``s`` (compiled on first use; cycles are fine)."""
    f = s._compiled
    if f is None:
        f = _compile(s)
    return f


def _compile(s: Schema) -> Check:
    if s.codec is not None:
        s._compiled = _CODECS[s.codec]
        return s._compiled
    t = s.type
    if t == "object" and s.additional is not None:
        s._compiled = f = _map(s.additional)
    elif t == "object" and s.name is not None:
        s._compiled = f = _struct(s)
    elif t == "array":
        s._compiled = f = _array(s.items)
    elif t in ("string", "boolean", "integer", "number"):
        s._compiled = f = _SCALARS.get((t, s.format)) or _SCALARS[(t, None)]
    else:
        s._compiled = f = is_json
    return f


def _struct(s: Schema) -> Check:
    fns: dict[str, Check] = {}
    props = s.properties

    def check(v: Any) -> bool:
        if type(v) is not dict:
            return False
        for k, x in v.items():
            f = fns.get(k)
            if f is None:
                sub = props.get(k)
                if sub is None or type(k) is not str:
                    return False
                f = fns[k] = fast_checker(sub)
            if x is None or not f(x):
                return False
        return True
    return check


def _map(elem: Schema) -> Check:
    if elem.codec is None and elem.type == "string" and elem.format is None:
        def check_strings(v: Any) -> bool:
            if type(v) is not dict:
                return False
            for k, x in v.items():
                if type(x) is not str or type(k) is not str:
                    return False
            return True
        return check_strings
    cell: list[Check] = []

    def check(v: Any) -> bool:
        if type(v) is not dict:
            return False
        f = cell[0] if cell else _fill(cell, elem)
        for k, x in v.items():
            if type(k) is not str or x is None or not f(x):
                return False
        return True
    return check


def _array(elem: Schema | None) -> Check:
    if elem is None:
        return lambda v: type(v) is list and is_json(v)
    if elem.codec is None and elem.type == "string" and elem.format is None:
        def check_strings(v: Any) -> bool:
            if type(v) is not list:
                return False
            for x in v:
                if type(x) is not str:
                    return False
            return True
        return check_strings
    cell: list[Check] = []

    def check(v: Any) -> bool:
        if type(v) is not list:
            return False
        f = cell[0] if cell else _fill(cell, elem)
        for x in v:
            if x is None or not f(x):
                return False
        return True
    return check


def _fill(cell: list, s: Schema) -> Check:
    cell.append(fast_checker(s))
    return cell[0]


_UNBOUNDED = 1 << 30
_DEPTHS: dict[Schema, int] = {}   # Schema -> max_depth (schemas are shared and never change)


def max_depth(s: Schema) -> int:
    """The deepest nesting of maps and lists in any value ``fast_checker(s)`` accepts (a
    map or list value itself counts 1, as limits.check_value counts), or a huge number
    when no schema bound holds: recursive schemas (a CRD's JSONSchemaProps), untyped
    values. A value that passes the fast check and whose schema gives at most
    ``MAX_DEPTH`` therefore also passes ``check_value`` (no NaN/Infinity: the fast check
    wants finite floats)."""
    d = _DEPTHS.get(s)
    if d is None:
        d = _depth(s, set())
    return d


def _depth(s: Schema | None, seen: set) -> int:
    if s is None:
        return _UNBOUNDED   # an untyped array's items: is_json's bound only
    d = _DEPTHS.get(s)
    if d is not None:
        return d
    if s in seen:
        return _UNBOUNDED   # a cycle: any depth fits
    seen.add(s)
    if s.codec is not None:
        d = RAW_FAST_DEPTH if s.codec == "raw" else 0
    elif s.type == "object" and s.additional is not None:
        d = 1 + _depth(s.additional, seen)
    elif s.type == "object" and s.name is not None:
        d = 1 + max([_depth(p, seen) for p in s.properties.values()] or [0])
    elif s.type == "array":
        d = 1 + _depth(s.items, seen)
    elif s.type in ("string", "boolean", "integer", "number"):
        d = 0
    else:
        d = _UNBOUNDED   # is_json's relative bound only
    seen.discard(s)
    d = min(d, _UNBOUNDED)
    _DEPTHS[s] = d
    return d
