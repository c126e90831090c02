"""Memoising pure functions of JSON values, keyed by their ``marshal`` bytes.

Pods created by a ReplicaSet share one spec; defaulting and validating it again for
every replica is the same pure computation. The key is ``marshal.dumps(value, 2)`` (C
speed, distinguishes ``True`` from ``1``); values marshal cannot encode just skip the
cache. The table is bounded: when full it is cleared (simple, and deterministic).
"""

from __future__ import annotations

from marshal import dumps as _dumps
from marshal import loads
from typing import Any, Callable

from .jsonutil import MARSHAL_VERSION, copy_json


def dumps(value: Any) -> bytes:
    return _dumps(value, MARSHAL_VERSION)  # no back-references: copies never share dicts

_MAX = 512


class SpecMemo:
    """``apply(value)`` runs ``fn`` on a fresh copy of ``value`` and returns
    ``(that copy, fn's result)``; repeated values are answered from the cache.

    ``fn`` must be pure: it may mutate its argument and return an extra result, and must
    depend on nothing else. ``value`` itself is never modified.
    """

    def __init__(self, fn: Callable[[Any], Any]):
        self._fn = fn
        self._table: dict[bytes, tuple[bytes, Any]] = {}

    def apply(self, value: Any) -> tuple[Any, Any]:
        try:
            key = dumps(value)
        except ValueError:  # not plain JSON data: no caching (copy_json refuses cycles)
            fresh = copy_json(value)
            return fresh, self._fn(fresh)
        hit = self._table.get(key)
        if hit is not None:
            return loads(hit[0]), hit[1]
        fresh = loads(key)
        extra = self._fn(fresh)
        if len(self._table) >= _MAX:
            self._table.clear()
        self._table[key] = (dumps(fresh), extra)
        return fresh, extra


class ResultMemo:
    """``call(value)`` = ``fn(value)`` for a function that does not mutate, cached."""

    def __init__(self, fn: Callable[[Any], Any]):
        self._fn = fn
        self._table: dict[bytes, Any] = {}

    def call(self, value: Any) -> Any:
        try:
            key = dumps(value)
        except ValueError:
            return self._fn(value)
        try:
            return self._table[key]
        except KeyError:
            pass
        out = self._fn(value)
        if len(self._table) >= _MAX:
            self._table.clear()
        self._table[key] = out
        return out


class CopyMemo:
    """``call(*args)`` = ``fn(*args)`` for a pure function of JSON values whose result the
    caller may mutate: answers are kept marshalled and every call gets a fresh copy."""

    def __init__(self, fn: Callable[..., Any], size: int = 4096):
        self._fn = fn
        self._size = size
        self._table: dict[bytes, bytes] = {}

    def call(self, *args: Any) -> Any:
        try:
            key = dumps(args)
        except ValueError:
            return self._fn(*args)
        hit = self._table.get(key)
        if hit is not None:
            return loads(hit)
        out = self._fn(*args)
        try:
            packed = dumps(out)
        except ValueError:
            return out
        if len(self._table) >= self._size:
            self._table.clear()
        self._table[key] = packed
        return out


class BoundedCache:
    """``get(key, compute)``: the value kept for ``key``, else ``compute(key)``, kept. At most
    ``size`` entries: when full the table is cleared (the hot keys come back at once)."""

    __slots__ = ("_table", "_size")

    def __init__(self, size: int):
        self._table: dict = {}
        self._size = size

    def get(self, key: Any, compute: Callable[[Any], Any]) -> Any:
        table = self._table
        try:
            return table[key]
        except KeyError:
            pass
        value = compute(key)
        if len(table) >= self._size:
            table.clear()
        table[key] = value
        return value

    def __len__(self) -> int:
        return len(self._table)
