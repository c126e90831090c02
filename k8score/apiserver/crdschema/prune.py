"""Pruning: drop every field the structural schema does not declare.

Upstream: k8s.io/apiextensions-apiserver pkg/apiserver/schema/pruning/algorithm.go
(``PruneWithOptions``) and defaulting/prunenulls.go (``PruneNonNullableNullsWithoutDefaults``),
run by the custom resource decoder (pkg/apiserver/customresource_handler.go
``unstructuredSchemaCoercer.apply``) on every request body and every object read from etcd.

- At the resource root ``apiVersion``, ``kind`` and ``metadata`` are always kept (the root
  is treated as an embedded resource); elsewhere an undeclared key is removed and its path
  recorded (``spec.someRandomField``, ``spec.items[0].x``), sorted, so ``fieldValidation``
  can report it as ``unknown field "spec.someRandomField"``.
- Below a node with ``x-kubernetes-preserve-unknown-fields: true`` unknown keys stay, but
  declared fields are still pruned inside.

>>> from .structural import Structural
>>> s = Structural.of({"type": "object", "properties": {"spec": {"type": "object",
...     "properties": {"image": {"type": "string"}}}}})
>>> obj = {"apiVersion": "v1", "spec": {"image": "x", "someRandomField": 42}, "extra": 1}
>>> prune(obj, s), obj
(['extra', 'spec.someRandomField'], {'apiVersion': 'v1', 'spec': {'image': 'x'}})
"""

from __future__ import annotations

from typing import Any

from .structural import Structural

_META_FIELDS = ("apiVersion", "kind", "metadata")


def prune(obj: Any, s: Structural | None) -> list[str]:
    """Remove undeclared fields from ``obj`` in place (``obj`` is a resource root);
    returns the sorted paths of what was removed."""
    unknown: list[str] = []
    _prune(obj, s, "", unknown, root=True)
    return sorted(unknown)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _prune(x: Any, s: Structural | None, path: str, unknown: list[str], root: bool = False) -> None:
    if s is not None and s.preserve_unknown:
        _skip(x, s, path, unknown, root)
        return
    embedded = root or (s is not None and s.embedded)
    if isinstance(x, dict):
        for k in sorted(x):
            if embedded and k in _META_FIELDS:
                continue
            sub = None if s is None else s.properties.get(k, s.additional)
            if sub is not None:
                _prune(x[k], sub, _join(path, k), unknown)
            else:
                unknown.append(_join(path, k))
                del x[k]
    elif isinstance(x, list):
        for i, v in enumerate(x):
            _prune(v, None if s is None else s.items, f"{path}[{i}]", unknown)


def _skip(x: Any, s: Structural, path: str, unknown: list[str], root: bool) -> None:
    if isinstance(x, dict):
        for k in sorted(x):
            if (root or s.embedded) and k in _META_FIELDS:
                continue
            sub = s.properties.get(k, s.additional)
            if sub is not None:
                _prune(x[k], sub, _join(path, k), unknown)
    elif isinstance(x, list) and s.items is not None:
        for i, v in enumerate(x):
            _skip(v, s.items, f"{path}[{i}]", unknown, False)


def prune_nulls(x: Any, s: Structural | None) -> None:
    """Drop ``null`` values of non-nullable fields that have no default (prunenulls.go)."""
    if s is None:
        return
    if isinstance(x, dict):
        for k in sorted(x):
            sub = s.properties.get(k, s.additional)
            if sub is None:
                continue
            if x[k] is None and not sub.nullable and not sub.has_default:
                del x[k]
            else:
                prune_nulls(x[k], sub)
    elif isinstance(x, list) and s.items is not None:
        for v in x:
            prune_nulls(v, s.items)
