"""Compact decoded objects in the watch cache: interned keys, subtrees shared between versions.

A decoded JSON object is mostly overhead in CPython: a pod of 4.5 KB of JSON becomes about
30 KB of dicts, lists and strings, 12 KB of them key strings that every other pod repeats.
The watch cache holds each object's current state plus, in its history window, the states
before it (watch_cache.go keeps its cyclic buffer of events the same way), so a pod that
changed six times is held six times. Two exact, value-preserving reductions, applied once
per etcd event by the :class:`~.cacher.Cacher`:

* interning — every dict key, and every string value up to 40 characters, becomes the
  interned string (``sys.intern``), so all objects share one ``"terminationMessagePath"``.
  ``marshal``-based copies (:func:`~.jsonutil.copy_json`) keep them interned, so the
  informers' copies share them too;
* sharing — :func:`compact` makes a new version reuse every subtree of the previous version
  that is *exactly* equal to its own (same key order, ``False`` is not ``0``): a status update
  keeps the old ``spec``, a bind the old ``status``, so history costs what changed, not a
  whole object per event.

Both rely on the cache's contract (cacher_watch.py): its objects are read-only — receivers get
copies — so two versions may share a subtree. Values, key order and the top-level object's
identity are unchanged; only which equal strings/subtrees are the same Python object changes.
"""

from __future__ import annotations

import sys
from marshal import dumps as _mdumps
from typing import Any

_intern = sys.intern
#: string values up to this length are interned too: timestamps, names, "True", "Ready",
#: image and manager names repeat across objects (longer ones are mostly unique)
_SHORT = 40


def compact(new: dict, old: dict | None) -> dict:
    """``new`` (a decoded object; same identity, modified in place) with its keys interned
    and, when ``old`` (the previous version, already compact) is given, every subtree and
    string equal to ``old``'s at the same path (dicts by key, lists by position) replaced by
    ``old``'s."""
    fixed = _compact(new, old if type(old) is dict else None, top=True)
    if fixed is not new:
        new.clear()
        new.update(fixed)
    return new


def _compact(v: Any, o: Any, top: bool = False) -> Any:
    """The compact form of ``v`` (dict or list) given its counterpart ``o`` in the previous
    version (None if none): ``o`` itself when equal, else a new container."""
    if o is not None and not top and type(o) is type(v) and v == o and _same(v, o):
        return o
    if type(v) is dict:
        get = o.get if type(o) is dict else None
        out = {}
        for k, x in v.items():
            t = type(x)
            if t is dict or t is list:
                x = _compact(x, get(k) if get is not None else None)
            elif t is str:
                if len(x) <= _SHORT:
                    x = _intern(x)
                elif get is not None:
                    ox = get(k)
                    if ox is not x and type(ox) is str and ox == x:
                        x = ox
            out[_intern(k) if type(k) is str else k] = x
        return out
    olen = len(o) if type(o) is list else 0
    out = []
    for i, x in enumerate(v):
        t = type(x)
        if t is dict or t is list:
            x = _compact(x, o[i] if i < olen else None)
        elif t is str:
            if len(x) <= _SHORT:
                x = _intern(x)
            elif i < olen:
                ox = o[i]
                if ox is not x and type(ox) is str and ox == x:
                    x = ox
        out.append(x)
    return out


def _same(a: Any, b: Any) -> bool:
    """Exactly the same JSON value: ``==`` alone is not (``False == 0``, ``1 == 1.0``, and
    dicts compare without their key order). marshal format 0 writes bools, ints and floats
    as distinct types, dicts in order, and strings whether interned or not alike."""
    try:
        return _mdumps(a, 0) == _mdumps(b, 0)
    except ValueError:
        return False
