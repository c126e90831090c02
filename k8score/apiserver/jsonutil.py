"""Small helpers for JSON values (plain dicts, lists, strings, numbers)."""

from __future__ import annotations

import json
from marshal import dumps as _mdumps
from marshal import loads as _mloads
from typing import Any

#: Compact JSON text, as stored in etcd (non-ASCII kept as is). Objects reaching it were
#: copied by copy_json, which refuses circular ones, so the circularity check is skipped.
encode_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False).encode


# ObjectMeta field order in the Go type (so stored JSON reads like a real cluster's)
_META_ORDER = ("name", "generateName", "namespace", "uid", "resourceVersion", "generation",
               "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
               "annotations", "ownerReferences", "finalizers")


def ordered_meta(meta: dict) -> dict:
    out = {k: meta[k] for k in _META_ORDER if k in meta}
    if len(out) != len(meta):
        for k, v in meta.items():
            out.setdefault(k, v)
    return out


#: marshal format 2 has no back-references: a dict shared by two fields of the input
#: (``labels`` reused in selector and template, say) becomes two independent dicts.
MARSHAL_VERSION = 2


def copy_json(value: Any) -> Any:
    """Deep copy of a JSON value. marshal round-trips plain dicts/lists/str/numbers in C
    (several times faster than copy.deepcopy); anything else falls back to recursion."""
    try:
        return _mloads(_mdumps(value, MARSHAL_VERSION))
    except ValueError:
        try:
            return _copy_slow(value)
        except RecursionError:
            raise ValueError("object is nested too deeply (or contains itself)") from None


def _copy_slow(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy_slow(v) if isinstance(v, (dict, list)) else v for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_slow(v) if isinstance(v, (dict, list)) else v for v in value]
    return value
