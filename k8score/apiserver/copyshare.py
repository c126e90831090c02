"""Copies of the watch cache's objects that share what did not change since the last copy.

The cache gives each read-only receiver of an event (informers) one copy of the event's object
(cacher_watch.py: never the cache's own). Its consecutive versions of one key share every
unchanged subtree (:mod:`.cacheshare`), so a copy of version *n* can take those subtrees from
the copy of version *n − 1* it made before: :func:`copy_like` copies only the changed parts.
Strings, numbers and booleans are immutable and are not copied at all. The result equals
``copy_json(obj)``; it is read-only like the copy it shares with.
"""

from __future__ import annotations

from typing import Any

from .jsonutil import copy_json


def copy_like(obj: Any, base: Any = None, base_copy: Any = None) -> Any:
    """A copy of ``obj`` (dict or list of JSON values). ``base``: an object ``obj`` may share
    subtrees with (the same Python objects at the same paths) and ``base_copy`` its copy:
    a subtree of ``obj`` that *is* ``base``'s at the same path is taken from ``base_copy``."""
    if base is None:
        return copy_json(obj)
    if obj is base:
        return base_copy
    t = type(obj)
    if t is dict:
        if type(base) is not dict or type(base_copy) is not dict:
            return copy_json(obj)
        get, cget = base.get, base_copy.get
        out = {}
        for k, v in obj.items():
            tv = type(v)
            if tv is dict or tv is list:
                b = get(k)
                if b is None:
                    out[k] = copy_json(v)
                elif b is v:
                    out[k] = cget(k)
                else:
                    out[k] = copy_like(v, b, cget(k))
            else:
                out[k] = v
        return out
    if t is list:
        if type(base) is not list or type(base_copy) is not list or len(base) != len(base_copy):
            return copy_json(obj)
        n = len(base)
        out = []
        for i, v in enumerate(obj):
            tv = type(v)
            if tv is dict or tv is list:
                if i >= n:
                    out.append(copy_json(v))
                else:
                    b = base[i]
                    out.append(base_copy[i] if b is v else copy_like(v, b, base_copy[i]))
            else:
                out.append(v)
        return out
    return obj


class EventCopies:
    """The one copy per object of one event that its read-only watchers share, made on first
    delivery. ``last`` (key -> (cache object, its copy), kept by the cacher's watchers) is the
    base each copy shares unchanged subtrees with; the new copy becomes the base while ``key``
    is in ``live`` (the cache's objects) — so deleted keys leave nothing behind."""

    __slots__ = ("_last", "_live", "_key", "_made")

    def __init__(self, last: dict, live: dict, key: str):
        self._last = last
        self._live = live
        self._key = key
        self._made: dict[int, Any] = {}

    def values(self) -> Any:
        """The copies made so far."""
        return self._made.values()

    def get(self, obj: Any, keep: bool = True) -> Any:
        """The copy of ``obj``. ``keep``: the receiver stores it, so it may serve as the base
        of the next copy (a receiver that slims or drops what it gets says False: holding
        its copy as a base would keep alive what nobody else does)."""
        # keyed by id: ``obj`` stays alive while the message that carries it does
        mine = self._made.get(id(obj))
        key = self._key
        if mine is None:
            base = self._last.get(key)
            mine = copy_json(obj) if base is None else copy_like(obj, base[0], base[1])
            self._made[id(obj)] = mine
        if keep and key in self._live:
            self._last[key] = (obj, mine)
        return mine
