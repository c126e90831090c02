"""Defaulting: fill the ``default`` of every absent field the schema declares one for.

Upstream: k8s.io/apiextensions-apiserver pkg/apiserver/schema/defaulting/algorithm.go
(``Default``), applied by the custom resource decoder after pruning — on request bodies
and on every object read from etcd, so a default added to a CRD later shows on old objects
when they are read. A field that is present but ``null`` and not ``nullable`` gets its
default too. Defaults apply only where the parent object exists (a missing ``spec`` is not
created to hold ``spec.replicas``'s default).

>>> from .structural import Structural
>>> s = Structural.of({"type": "object", "properties": {"spec": {"type": "object",
...     "properties": {"replicas": {"type": "integer", "default": 1}}}}})
>>> obj = {"spec": {}}; default(obj, s); obj
{'spec': {'replicas': 1}}
"""

from __future__ import annotations

import copy
from typing import Any

from .structural import Structural


def _null_to_default(v: Any, s: Structural | None) -> bool:
    return v is None and s is not None and not s.nullable and s.has_default


def default(x: Any, s: Structural | None) -> None:
    """Apply the schema's defaults to ``x`` in place."""
    if s is None:
        return
    if isinstance(x, dict):
        for k, prop in s.properties.items():
            if prop.has_default and (k not in x or _null_to_default(x[k], prop)):
                x[k] = copy.deepcopy(prop.default)
        for k in sorted(x):
            sub = s.properties.get(k)
            if sub is None and s.additional is not None:
                sub = s.additional
                if _null_to_default(x[k], sub):
                    x[k] = copy.deepcopy(sub.default)
            default(x[k], sub)
    elif isinstance(x, list):
        for i in range(len(x)):
            if _null_to_default(x[i], s.items):
                x[i] = copy.deepcopy(s.items.default)
            default(x[i], s.items)
