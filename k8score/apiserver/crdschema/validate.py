"""Validate a custom resource against its structural schema, with kube-openapi's messages.

Upstream: k8s.io/apiextensions-apiserver pkg/apiserver/validation/validation.go
(``ValidateCustomResource`` -> ``kubeOpenAPIResultToFieldErrors``) over
k8s.io/kube-openapi pkg/validation/validate (type.go, object_validator.go,
slice_validator.go, validator.go) and pkg/validation/errors/schema.go for the texts:

- a wrong type is ``TypeInvalid`` whose value is the JSON type found:
  ``spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"``;
  ``null`` where the field is not ``nullable`` reports type ``"null"``;
- ``required`` -> ``spec.image: Required value``; ``enum`` -> ``Unsupported value``;
  ``maxLength`` -> ``Too long: may not be more than N bytes``; ``maxItems`` /
  ``maxProperties`` -> ``Too many: 4: must have at most 3 items``;
- everything else is ``Invalid value: <value>: <path> in body should ...``.

Paths are the kube-openapi ones: fields joined by ``.``, list items as ``[i]``.
String ``format``\\ s (date-time, ...) are not checked (upstream's strfmt registry).

>>> from .structural import Structural
>>> s = Structural.of({"type": "object", "properties": {"spec": {"type": "object",
...     "properties": {"cronSpec": {"type": "string"}}}}})
>>> [str(e) for e in validate({"spec": {"cronSpec": 5}}, s)]
['spec.cronSpec: Invalid value: "integer": spec.cronSpec in body must be of type string: "integer"']
"""

from __future__ import annotations

import json
import re
from typing import Any

from ...api.field import FieldError, invalid, not_supported, required, too_long, type_invalid
from .structural import Structural

_IN = "body"


def json_type(value: Any) -> str:
    """The JSON type kube-openapi infers for a decoded value (type.go schemaInfoForType)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _num(v: Any) -> str:
    # Go %v of a float64: 5 not 5.0
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e21:
        return str(int(v))
    return str(v)


def _too_many(path: str, actual: int, limit: int) -> FieldError:
    return FieldError("TooMany", path, actual, f"must have at most {limit} items")


def validate(obj: Any, s: Structural | None, path: str = "") -> list[FieldError]:
    """Every violation of ``s`` in ``obj`` (the whole object; ``apiVersion``/``kind``/
    ``metadata`` at the root are checked elsewhere)."""
    errs: list[FieldError] = []
    if s is not None:
        _node(obj, s, path, errs, root=True)
    return errs


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _node(v: Any, s: Structural, path: str, errs: list[FieldError], root: bool = False) -> None:
    raw = s.raw
    name = path  # kube-openapi's name; "" at the root of a default value
    if v is None:
        want = s.type or ("integer,string" if s.int_or_string else "")
        if want and not s.nullable:
            errs.append(type_invalid(path, "null", f"{name} in {_IN} must be of type {want}: \"null\""))
        return
    found = json_type(v)
    if s.int_or_string:
        if found not in ("integer", "string"):
            errs.append(type_invalid(path, found, f"{name} in {_IN} must be of type integer,string: "
                                     f"{json.dumps(found)}"))
            return
    elif s.type and not _type_ok(s.type, v, found):
        errs.append(type_invalid(path, found, f"{name} in {_IN} must be of type {s.type}: {json.dumps(found)}"))
        return
    enum = raw.get("enum")
    if isinstance(enum, list) and enum and v not in enum:
        errs.append(not_supported(path, v, [e if isinstance(e, str) else json.dumps(e) for e in enum]))
    if isinstance(v, str):
        _string(v, raw, path, name, errs)
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        _number(v, raw, path, name, errs)
    elif isinstance(v, list):
        _array(v, s, path, name, errs)
    elif isinstance(v, dict):
        _object(v, s, path, name, errs, root)


def _type_ok(t: str, v: Any, found: str) -> bool:
    if t == found:
        return True
    if t == "integer" and found == "number":
        return float(v).is_integer()  # isFloatInt: 3.0 is an integer
    return t == "number" and found == "integer"


def _string(v: str, raw: dict, path: str, name: str, errs: list[FieldError]) -> None:
    n = len(v)  # kube-openapi counts runes (utf8.RuneCountInString)
    if isinstance(raw.get("maxLength"), int) and n > raw["maxLength"]:
        errs.append(too_long(path, raw["maxLength"]))
    if isinstance(raw.get("minLength"), int) and n < raw["minLength"]:
        errs.append(invalid(path, v, f"{name} in {_IN} should be at least {raw['minLength']} chars long"))
    pattern = raw.get("pattern")
    if isinstance(pattern, str):
        try:
            ok = re.search(pattern, v) is not None
        except re.error:
            ok = True  # a bad pattern was refused when the CRD was created
        if not ok:
            errs.append(invalid(path, v, f"{name} in {_IN} should match '{pattern}'"))


def _number(v: float, raw: dict, path: str, name: str, errs: list[FieldError]) -> None:
    hi, lo, mult = raw.get("maximum"), raw.get("minimum"), raw.get("multipleOf")
    if isinstance(hi, (int, float)):
        if raw.get("exclusiveMaximum") is True and v >= hi:
            errs.append(invalid(path, v, f"{name} in {_IN} should be less than {_num(hi)}"))
        elif v > hi:
            errs.append(invalid(path, v, f"{name} in {_IN} should be less than or equal to {_num(hi)}"))
    if isinstance(lo, (int, float)):
        if raw.get("exclusiveMinimum") is True and v <= lo:
            errs.append(invalid(path, v, f"{name} in {_IN} should be greater than {_num(lo)}"))
        elif v < lo:
            errs.append(invalid(path, v, f"{name} in {_IN} should be greater than or equal to {_num(lo)}"))
    if isinstance(mult, (int, float)) and mult > 0 and (v / mult) != int(v / mult):
        errs.append(invalid(path, v, f"{name} in {_IN} should be a multiple of {_num(mult)}"))


def _array(v: list, s: Structural, path: str, name: str, errs: list[FieldError]) -> None:
    raw = s.raw
    if isinstance(raw.get("maxItems"), int) and len(v) > raw["maxItems"]:
        errs.append(_too_many(path, len(v), raw["maxItems"]))
    if isinstance(raw.get("minItems"), int) and len(v) < raw["minItems"]:
        errs.append(invalid(path, len(v), f"{name} in {_IN} should have at least {raw['minItems']} items"))
    if s.items is not None:
        for i, item in enumerate(v):
            _node(item, s.items, f"{path}[{i}]", errs)


def _object(v: dict, s: Structural, path: str, name: str, errs: list[FieldError], root: bool) -> None:
    raw = s.raw
    if isinstance(raw.get("maxProperties"), int) and len(v) > raw["maxProperties"]:
        errs.append(_too_many(path, len(v), raw["maxProperties"]))
    if isinstance(raw.get("minProperties"), int) and len(v) < raw["minProperties"]:
        errs.append(invalid(path, len(v), f"{name} in {_IN} should have at least "
                            f"{raw['minProperties']} properties"))
    for key in raw.get("required") or ():
        if isinstance(key, str) and key not in v:
            errs.append(required(_child(path, key), ""))
    for key in sorted(v):
        if root and key in ("apiVersion", "kind", "metadata"):
            continue  # validated as ObjectMeta / by the decoder (objectmeta/validation.go)
        sub = s.properties.get(key, s.additional)
        if sub is not None:
            _node(v[key], sub, _child(path, key), errs)
