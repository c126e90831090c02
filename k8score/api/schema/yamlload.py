"""YAML manifests to JSON values, as kubectl's sigs.k8s.io/yaml ``YAMLToJSON`` does.

sigs.k8s.io/yaml decodes with go-yaml v2 into ``interface{}`` and converts the result to
JSON (yaml.go ``convertToJSONableObject``); k8score mirrors the visible outcomes:

- timestamps stay strings (go-yaml v2 keeps ``2024-01-01`` a string for interface{});
- ``!!binary`` becomes the decoded bytes as a string (go-yaml decode.go), ``!!set`` a map
  of nulls (go-yaml has no sets); keys become strings (``1`` → ``"1"``, ``true`` → ``"true"``);
- ``.inf``/``.nan`` cannot become JSON: ``json: unsupported value: +Inf``;
- alias expansion is bounded by go-yaml's rule (decode.go ``allowedAliasRatio``): past 1000
  values and 100 alias-expanded ones, at most 99% (falling to 10% for huge documents) may
  come from aliases — ``yaml: document contains excessive aliasing``; an anchor inside its
  own value is ``yaml: anchor 'a' value contains itself``.

>>> load_yaml_documents("a: 2024-01-01\\nb: !!set {x}\\n---\\n1: !!binary aGk=\\n")
[{'a': '2024-01-01', 'b': {'x': None}}, {'1': 'hi'}]
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

import yaml

_LOW, _HIGH = 400_000, 4_000_000  # go-yaml decode.go alias_ratio_range_low/high


class YAMLError(ValueError):
    """A manifest that cannot become JSON; the message is go-yaml's / sigs.k8s.io/yaml's."""


def _allowed_alias_ratio(count: int) -> float:
    if count <= _LOW:
        return 0.99
    if count >= _HIGH:
        return 0.10
    return 0.99 - 0.89 * ((count - _LOW) / (_HIGH - _LOW))


class _Loader(yaml.SafeLoader):
    """SafeLoader without the types JSON lacks; anchors remembered for error messages."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.node_anchor: dict[int, str] = {}
        self.obj_anchor: dict[int, str] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        node = super().compose_node(parent, index)
        if getattr(event, "anchor", None) and not isinstance(event, yaml.AliasEvent):
            self.node_anchor[id(node)] = event.anchor
        return node

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        obj = super().construct_object(node, deep)
        name = self.node_anchor.get(id(node))
        if name is not None:
            self.obj_anchor[id(obj)] = name
        return obj


def _as_str(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return loader.construct_scalar(node)


def _binary(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    try:
        data = base64.b64decode(loader.construct_scalar(node), validate=False)
    except (binascii.Error, ValueError):
        raise YAMLError("yaml: !!binary value contains invalid base64 data") from None
    return data.decode("utf-8", "replace")


def _set(loader: yaml.SafeLoader, node: yaml.Node) -> dict:
    return {k: None for k in loader.construct_mapping(node)} if isinstance(node, yaml.MappingNode) else {}


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _as_str)
_Loader.add_constructor("tag:yaml.org,2002:binary", _binary)
_Loader.add_constructor("tag:yaml.org,2002:set", _set)


def load_yaml_documents(text: str) -> list[Any]:
    """Every document of a YAML stream as JSON values (dict/list/str/int/float/bool/None).

    Empty documents are skipped. Raises YAMLError (a ValueError) for bad YAML, excessive
    aliasing and values JSON cannot hold.
    """
    try:
        loader = _Loader(text)
        try:
            docs = []
            while loader.check_node():
                node = loader.get_node()
                docs.append((loader.obj_anchor, loader.construct_document(node)))
        finally:
            loader.dispose()
    except YAMLError:
        raise
    except yaml.YAMLError as e:
        raise YAMLError(f"yaml: {e}") from None
    except RecursionError:
        raise YAMLError("yaml: exceeded max depth") from None
    return [_Converter(anchors).convert(value) for anchors, value in docs if value is not None]


class _Converter:
    """Copy a constructed document into plain JSON values, counting like go-yaml.

    PyYAML shares one object per anchor; every later visit of an already-seen container is
    an alias expansion, so the count matches go-yaml's decode/alias counters.
    """

    def __init__(self, anchors: dict[int, str]):
        self.decoded = 0
        self.aliased = 0
        self.seen: set[int] = set()
        self.anchors = anchors

    def convert(self, value: Any) -> Any:
        return self._walk(value, False, [])

    def _count(self, in_alias: bool) -> None:
        self.decoded += 1
        if in_alias:
            self.aliased += 1
        if (self.aliased > 100 and self.decoded > 1000
                and self.aliased / self.decoded > _allowed_alias_ratio(self.decoded)):
            raise YAMLError("yaml: document contains excessive aliasing")

    def _walk(self, v: Any, in_alias: bool, path: list[int]) -> Any:
        self._count(in_alias)
        if isinstance(v, (dict, list)):
            vid = id(v)
            if vid in path:
                name = self.anchors.get(vid, "")
                raise YAMLError(f"yaml: anchor '{name}' value contains itself")
            if vid in self.seen:
                in_alias = True
            self.seen.add(vid)
            if len(path) > 1000:
                raise YAMLError("yaml: exceeded max depth")
            path.append(vid)
            try:
                if isinstance(v, dict):
                    return {_key(k): self._walk(x, in_alias, path) for k, x in v.items()}
                return [self._walk(x, in_alias, path) for x in v]
            finally:
                path.pop()
        if isinstance(v, float) and not math.isfinite(v):
            raise YAMLError("json: unsupported value: " + ("NaN" if v != v else "+Inf" if v > 0 else "-Inf"))
        if v is None or isinstance(v, (str, bool, int, float)):
            return v
        raise YAMLError(f"json: unsupported type: {type(v).__name__}")


def _key(k: Any) -> str:
    # sigs.k8s.io/yaml convertToJSONableObject: map keys as JSON strings
    if isinstance(k, str):
        return k
    if isinstance(k, bool):
        return "true" if k else "false"
    if isinstance(k, int):
        return str(k)
    if isinstance(k, float):
        if k != k:
            return ".nan"
        if math.isinf(k):
            return ".inf" if k > 0 else "-.inf"
        return repr(k)
    raise YAMLError(f"unsupported map key of type: {type(k).__name__}, key: {k!r}")

