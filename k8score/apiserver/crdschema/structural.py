"""A CustomResourceDefinition's OpenAPI v3 schema as a *structural* schema, and its rules.

Upstream: k8s.io/apiextensions-apiserver pkg/apiserver/schema/structural.go (the model),
convert.go (``NewStructural``), validation.go (``ValidateStructural``: "must not be empty
for specified object fields", metadata only name/generateName, ...), and
pkg/apis/apiextensions/validation/validation.go (``specStandardValidatorV3``: supported
types, forbidden keywords).

A structural schema says, for every node, its ``type`` and its fields; value validations
(``minimum``, ``pattern``, ``enum``...) hang off the node. k8score keeps the schema as the
plain JSONSchemaProps dict the user wrote and wraps it in :class:`Structural` nodes built
once per CRD version; nothing here mutates the dict.

>>> s = Structural.of({"type": "object", "properties": {"spec": {"type": "object",
...     "properties": {"replicas": {"type": "integer", "default": 1}}}}})
>>> s.properties["spec"].properties["replicas"].default
1
>>> [str(e) for e in validate_structural({"type": "object", "properties": {"a": {}}}, "s")]
['s.properties[a].type: Required value: must not be empty for specified object fields']
"""

from __future__ import annotations

from typing import Any

from ...api.field import FieldError, forbidden, invalid, not_supported, required

_MISSING = object()

# validation.go openapiV3Types (NotSupported lists them sorted, as sets.String.List() does)
OPENAPI_V3_TYPES = ("array", "boolean", "integer", "number", "object", "string")
# specStandardValidatorV3.validate: keywords a CRD schema may not use, and why
_UNSUPPORTED = (("id", "id is not supported"),
                ("additionalItems", "additionalItems is not supported"),
                ("patternProperties", "patternProperties is not supported"),
                ("definitions", "definitions is not supported"),
                ("dependencies", "dependencies is not supported"),
                ("$ref", "$ref is not supported"))
# value validations that nest (anyOf & co.) may not carry these (validateNestedValueValidation)
_NESTED_FORBIDDEN = (("type", "must be empty to be structural"),
                     ("additionalProperties", "must be undefined to be structural"),
                     ("default", "must be undefined to be structural"),
                     ("title", "must be empty to be structural"),
                     ("description", "must be empty to be structural"),
                     ("nullable", "must be false to be structural"),
                     ("x-kubernetes-preserve-unknown-fields", "must be false to be structural"),
                     ("x-kubernetes-embedded-resource", "must be false to be structural"),
                     ("x-kubernetes-int-or-string", "must be false to be structural"),
                     ("x-kubernetes-list-map-keys", "must be empty to be structural"),
                     ("x-kubernetes-list-type", "must be undefined to be structural"),
                     ("x-kubernetes-map-type", "must be undefined to be structural"))
_ROOT, _ITEM, _FIELD = "root", "item", "field"
_EMPTY_TYPE = {_ROOT: "must not be empty at the root",
               _ITEM: "must not be empty for specified array items",
               _FIELD: "must not be empty for specified object fields"}


class Structural:
    """One node of a structural schema (read-only; built by :meth:`of`).

    ``type`` ("" when unset), ``properties`` (name -> node), ``items``, ``additional``
    (a map's value schema, or None), ``default`` (``_MISSING`` when unset, test with
    :attr:`has_default`), ``nullable``, ``preserve_unknown``, ``int_or_string``,
    ``embedded``, and ``raw``: the JSONSchemaProps dict for the value validations.
    """

    __slots__ = ("type", "properties", "items", "additional", "default", "nullable",
                 "preserve_unknown", "int_or_string", "embedded", "raw")

    @classmethod
    def of(cls, raw: Any) -> "Structural | None":
        if not isinstance(raw, dict):
            return None
        s = cls()
        s.raw = raw
        t = raw.get("type")
        s.type = t if isinstance(t, str) else ""
        props = raw.get("properties")
        s.properties = {k: n for k, v in sorted(props.items()) if (n := cls.of(v)) is not None} \
            if isinstance(props, dict) else {}
        s.items = cls.of(raw.get("items"))
        add = raw.get("additionalProperties")
        # additionalProperties: true is "any value" (a node with no type, keeping everything)
        s.additional = cls.of(add) if isinstance(add, dict) else (
            cls.of({"x-kubernetes-preserve-unknown-fields": True}) if add is True else None)
        s.default = raw.get("default", _MISSING)
        s.nullable = raw.get("nullable") is True
        s.preserve_unknown = raw.get("x-kubernetes-preserve-unknown-fields") is True
        s.int_or_string = raw.get("x-kubernetes-int-or-string") is True
        s.embedded = raw.get("x-kubernetes-embedded-resource") is True
        return s

    @property
    def has_default(self) -> bool:
        return self.default is not _MISSING

    def __repr__(self) -> str:
        return f"<Structural {self.type or 'any'} {sorted(self.properties)}>"


def _key(path: str, name: str) -> str:
    return f"{path}[{name}]"  # field.Path.Key


def validate_schema(raw: Any, path: str) -> list[FieldError]:
    """The OpenAPI checks of a CRD schema (``ValidateCustomResourceDefinitionOpenAPISchema``
    with ``specStandardValidatorV3``): supported types, unsupported keywords, extensions."""
    if not isinstance(raw, dict):
        return [invalid(path, raw, "must be an object")]
    errs: list[FieldError] = []
    t = raw.get("type")
    if t == "null":
        errs.append(forbidden(f"{path}.type", "type cannot be set to null, use nullable as an alternative"))
    elif t not in (None, "") and t not in OPENAPI_V3_TYPES:
        errs.append(not_supported(f"{path}.type", t, list(OPENAPI_V3_TYPES)))
    for key, msg in _UNSUPPORTED:
        if key in raw:
            errs.append(forbidden(f"{path}.{key}", msg))
    if raw.get("uniqueItems") is True:
        errs.append(forbidden(f"{path}.uniqueItems",
                              "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"))
    if isinstance(raw.get("items"), list):
        errs.append(forbidden(f"{path}.items", "items must be a schema object and not an array"))
    add = raw.get("additionalProperties")
    if add is not None and raw.get("properties"):
        if add is False or isinstance(add, dict):
            errs.append(forbidden(f"{path}.additionalProperties",
                                  "additionalProperties and properties are mutual exclusive"))
    if isinstance(add, dict):
        errs += validate_schema(add, f"{path}.additionalProperties")
    props = raw.get("properties")
    if isinstance(props, dict):
        for name in sorted(props):
            errs += validate_schema(props[name], _key(f"{path}.properties", name))
    if isinstance(raw.get("items"), dict):
        errs += validate_schema(raw["items"], f"{path}.items")
    for key in ("allOf", "anyOf", "oneOf"):
        for i, sub in enumerate(raw.get(key) or []):
            errs += validate_schema(sub, f"{path}.{key}[{i}]")
    if "x-kubernetes-preserve-unknown-fields" in raw and raw["x-kubernetes-preserve-unknown-fields"] is not True:
        errs.append(invalid(f"{path}.x-kubernetes-preserve-unknown-fields",
                            raw["x-kubernetes-preserve-unknown-fields"], "must be true or undefined"))
    lt = raw.get("x-kubernetes-list-type")
    if lt is not None:
        if t != "array":
            errs.append(required(f"{path}.type", "must be array if x-kubernetes-list-type is specified")
                        if not t else invalid(f"{path}.type", t,
                                              "must be array if x-kubernetes-list-type is specified"))
        elif lt not in ("atomic", "set", "map"):
            errs.append(not_supported(f"{path}.x-kubernetes-list-type", lt, ["atomic", "set", "map"]))
    return errs


def validate_structural(raw: dict, path: str) -> list[FieldError]:
    """``ValidateStructural``: the schema must be structural (errors sorted by text, as upstream)."""
    errs = _invariants(raw, _ROOT, path)
    return sorted(errs, key=str)


def _invariants(raw: Any, lvl: str, path: str) -> list[FieldError]:
    if not isinstance(raw, dict):
        return []
    errs: list[FieldError] = []
    t = raw.get("type") if isinstance(raw.get("type"), str) else ""
    if t == "array" and "items" not in raw:
        errs.append(required(f"{path}.items", "must be specified"))
    if isinstance(raw.get("items"), dict):
        errs += _invariants(raw["items"], _ITEM, f"{path}.items")
    props = raw.get("properties") if isinstance(raw.get("properties"), dict) else {}
    for name in sorted(props):
        errs += _invariants(props[name], _FIELD, _key(f"{path}.properties", name))
    add = raw.get("additionalProperties")
    if add is not None and add is not False:
        if lvl == _ROOT:
            errs.append(forbidden(f"{path}.additionalProperties", "must not be used at the root"))
        if isinstance(add, dict):
            errs += _invariants(add, _FIELD, f"{path}.additionalProperties")
    ios, puf = raw.get("x-kubernetes-int-or-string") is True, raw.get("x-kubernetes-preserve-unknown-fields") is True
    if ios and puf:
        errs.append(invalid(f"{path}.x-kubernetes-preserve-unknown-fields", True,
                            "must be false if x-kubernetes-int-or-string is true"))
    if not _int_or_string_pattern(raw):
        for key in ("anyOf", "allOf", "oneOf"):
            for i, sub in enumerate(raw.get(key) or []):
                errs += _nested(sub, f"{path}.{key}[{i}]")
    if isinstance(raw.get("not"), dict):
        errs += _nested(raw["not"], f"{path}.not")
    embedded = raw.get("x-kubernetes-embedded-resource") is True
    if embedded and t != "object":
        errs.append(required(f"{path}.type", "must be object if x-kubernetes-embedded-resource is true")
                    if not t else invalid(f"{path}.type", t,
                                          "must be object if x-kubernetes-embedded-resource is true"))
    elif not t and not ios and not puf:
        errs.append(required(f"{path}.type", _EMPTY_TYPE[lvl]))
    if lvl == _ROOT and t and t != "object":
        errs.append(invalid(f"{path}.type", t, "must be object at the root"))
    check_meta = lvl == _ROOT or embedded
    for name in ("kind", "apiVersion"):
        sub = props.get(name)
        if check_meta and isinstance(sub, dict) and sub.get("type") != "string":
            errs.append(invalid(f"{_key(path + '.properties', name)}.type", sub.get("type") or "",
                                "must be string"))
    meta = props.get("metadata")
    if isinstance(meta, dict):
        mpath = _key(f"{path}.properties", "metadata")
        if check_meta and meta.get("type") != "object":
            errs.append(invalid(f"{mpath}.type", meta.get("type") or "", "must be object"))
        if lvl == _ROOT and _meta_has_more(meta):
            errs.append(forbidden(mpath, "must not specify anything other than name and generateName, "
                                  "but metadata is implicitly specified"))
    return errs


def _meta_has_more(meta: dict) -> bool:
    # validateStructuralMetadataInvariants: at the root, metadata may only restrict
    # name/generateName (its type and default are ignored; descriptions count as "more")
    props = meta.get("properties") or {}
    if isinstance(props, dict) and set(props) - {"name", "generateName"}:
        return True
    return any(k not in ("type", "default", "properties") for k in meta)


def _int_or_string_pattern(raw: dict) -> bool:
    # isIntOrStringAnyOfPattern: anyOf [{type: integer}, {type: string}] is allowed as is
    return raw.get("anyOf") == [{"type": "integer"}, {"type": "string"}]


def _nested(raw: Any, path: str) -> list[FieldError]:
    if not isinstance(raw, dict):
        return []
    errs = [forbidden(f"{path}.{key}", msg) for key, msg in _NESTED_FORBIDDEN
            if key in raw and raw[key] not in (False, None, "", [])]
    props = raw.get("properties")
    if isinstance(props, dict):
        if "metadata" in props:
            errs.append(forbidden(_key(f"{path}.properties", "metadata"),
                                  "must not be specified in a nested context"))
        for name in sorted(props):
            if name != "metadata":
                errs += _nested(props[name], _key(f"{path}.properties", name))
    if isinstance(raw.get("items"), dict):
        errs += _nested(raw["items"], f"{path}.items")
    return errs
