"""``components.schemas`` of the OpenAPI documents, from k8score's own schemas.

Upstream: k8s.io/kube-openapi/pkg/builder3 (each Go type a named schema such as
``io.k8s.api.apps.v1.DeploymentSpec``; a field of a named type is ``allOf: [{$ref}]`` in v3
or a ``$ref`` in v2; top-level kinds carry ``x-kubernetes-group-version-kind``) and
k8s.io/apiextensions-apiserver/pkg/controller/openapi/builder/builder.go (a CRD version's
schema is named by its group reversed, version and kind: ``com.example.v1.Widget``, with
``metadata`` a reference to ObjectMeta).

kubectl reads them for ``explain`` (kubectl/pkg/explain/v2/templates/plaintext.tmpl finds
the schema whose GVK list holds the resource's, follows ``$ref``/``allOf``/``items``/
``additionalProperties``) and for the strategic merge patch of client-side ``apply``
(``x-kubernetes-patch-strategy``/``-patch-merge-key``), so the extensions come through as
stored. k8score's tables (k8score/api/schema/_data.py) carry no descriptions: every field
explains as ``<no description>``.

Pure data, deterministic (sorted), memoised per definition.

>>> s = definitions(["apps.v1.Deployment"], "#/components/schemas/")
>>> s["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"]
[{'group': 'apps', 'kind': 'Deployment', 'version': 'v1'}]
>>> s["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["template"]
{'allOf': [{'$ref': '#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec'}], 'default': {}}
"""

from __future__ import annotations

from typing import Any, Iterable

from ..api.schema.model import _data

# where a k8score definition's package lives upstream (the OpenAPI name's prefix)
_PACKAGES = {"meta": "io.k8s.apimachinery.pkg.apis.meta", "resource": "io.k8s.apimachinery.pkg.api.resource",
             "intstr": "io.k8s.apimachinery.pkg.util.intstr", "runtime": "io.k8s.apimachinery.pkg.runtime",
             "apiextensions": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions"}
# upstream's own OpenAPI for the types with custom JSON (apimachinery: resource/quantity.go
# OpenAPIV3OneOfTypes string|number; intstr.go x-kubernetes-int-or-string)
_SPECIAL = {
    "resource.Quantity": {"oneOf": [{"type": "string"}, {"type": "number"}]},
    "intstr.IntOrString": {"x-kubernetes-int-or-string": True},
    "apiextensions.v1.JSON": {"x-kubernetes-preserve-unknown-fields": True},
    "runtime.RawExtension": {"type": "object"},
}
_EXT = (("lt", "x-kubernetes-list-type"), ("lk", "x-kubernetes-list-map-keys"),
        ("mk", "x-kubernetes-patch-merge-key"), ("ps", "x-kubernetes-patch-strategy"),
        ("mt", "x-kubernetes-map-type"))


# the standard texts of every kind's first three fields (apimachinery meta/v1 TypeMeta and
# the ObjectMeta field comment; builder.go gives a CRD's the same)
_TYPE_META = {
    "apiVersion": "APIVersion defines the versioned schema of this representation of an object. Servers "
                  "should convert recognized schemas to the latest internal value, and may reject "
                  "unrecognized values. More info: https://git.k8s.io/community/contributors/devel/"
                  "sig-architecture/api-conventions.md#resources",
    "kind": "Kind is a string value representing the REST resource this object represents. Servers may "
            "infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. "
            "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/"
            "api-conventions.md#types-kinds",
    "metadata": "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/"
                "sig-architecture/api-conventions.md#metadata",
}


def _describe_type_meta(props: dict) -> None:
    for k, text in _TYPE_META.items():
        if k in props:
            props[k] = {**props[k], "description": text}


def openapi_name(name: str) -> str:
    """``apps.v1.Deployment`` → ``io.k8s.api.apps.v1.Deployment`` (upstream's definition name)."""
    pkg, _, rest = name.partition(".")
    return f"{_PACKAGES.get(pkg, 'io.k8s.api.' + pkg)}.{rest}"


def _gvks() -> dict[str, list[dict]]:
    """Definition name -> the GVKs it is the schema of (``_data.KINDS`` inverted)."""
    global _GVK
    if _GVK is None:
        _GVK = {}
        for key, name in sorted(_data.KINDS.items()):
            api_version, _, kind = key.rpartition("/")
            group, _, version = api_version.rpartition("/")
            _GVK.setdefault(name, []).append({"group": group, "kind": kind, "version": version})
    return _GVK


_GVK: dict[str, list[dict]] | None = None


def _ext(out: dict, raw: dict) -> None:
    for k, key in _EXT:
        if k in raw:
            out[key] = list(raw[k]) if k == "lk" else raw[k]
    if raw.get("pu"):
        out["x-kubernetes-preserve-unknown-fields"] = True


def _prop(raw: Any, refs: str, v3: bool, seen: set[str]) -> dict:
    """A field's schema; the definitions it names are added to ``seen``."""
    if isinstance(raw, str):
        seen.add(raw)
        ref = {"$ref": refs + openapi_name(raw)}
        # builder3: a struct-typed field is allOf[$ref] with its zero value as default
        struct = _data.DEFS[raw].get("t") == "object" and raw not in _SPECIAL
        return {"allOf": [ref], "default": {}} if v3 and struct else ref
    if "$" in raw:
        seen.add(raw["$"])
        ref = {"$ref": refs + openapi_name(raw["$"])}
        out: dict = {"allOf": [ref]} if v3 else dict(ref)
        _ext(out, raw)
        return out
    out = {}
    if raw.get("t"):
        out["type"] = raw["t"]
    if raw.get("f"):
        out["format"] = raw["f"]
    if "e" in raw:
        out["enum"] = list(raw["e"])
    if "i" in raw:
        out["items"] = _prop(raw["i"], refs, v3, seen)
    if "a" in raw:
        out["additionalProperties"] = _prop(raw["a"], refs, v3, seen)
    _ext(out, raw)
    return out


def _definition(name: str, refs: str, v3: bool, seen: set[str]) -> dict:
    if name in _SPECIAL:
        return dict(_SPECIAL[name])
    raw = _data.DEFS[name]
    out: dict = {}
    if raw.get("t"):
        out["type"] = raw["t"]
    if raw.get("f"):
        out["format"] = raw["f"]
    if raw.get("p"):
        out["properties"] = {k: _prop(v, refs, v3, seen) for k, v in sorted(raw["p"].items())}
    if raw.get("r"):
        out["required"] = list(raw["r"])
    if "a" in raw:
        out["additionalProperties"] = _prop(raw["a"], refs, v3, seen)
    _ext(out, raw)
    gvks = _gvks().get(name)
    if gvks:
        out["x-kubernetes-group-version-kind"] = [dict(g) for g in gvks]
        _describe_type_meta(out.get("properties") or {})
    return out


def definitions(roots: Iterable[str], refs: str, v3: bool = True) -> dict[str, dict]:
    """The named schemas of ``roots`` (k8score definition names) and of every definition
    they reach, by upstream name, sorted; ``refs`` prefixes each ``$ref``
    (``#/components/schemas/`` in v3, ``#/definitions/`` in v2)."""
    todo = sorted(set(roots))
    done: dict[str, dict] = {}
    while todo:
        name = todo.pop()
        if name in done:
            continue
        seen: set[str] = set()
        done[name] = _definition(name, refs, v3, seen)
        todo.extend(sorted(seen - set(done)))
    return {openapi_name(n): done[n] for n in sorted(done, key=openapi_name)}


def kind_definition(api_version: str, kind: str) -> str | None:
    """The k8score definition name of a built-in kind (``apps/v1``, ``Deployment``), or None."""
    return _data.KINDS.get(f"{api_version}/{kind}")


def crd_definition(group: str, version: str, kind: str, schema: dict | None, refs: str) -> tuple[str, dict]:
    """A CRD version's named schema (builder.go): ``openAPIV3Schema`` with apiVersion, kind
    and metadata (a reference to ObjectMeta) and the GVK extension."""
    name = ".".join(reversed(group.split("."))) + f".{version}.{kind}"
    out = _strip(dict(schema or {"type": "object", "x-kubernetes-preserve-unknown-fields": True}))
    props = dict(out.get("properties") or {})
    props["apiVersion"] = {"type": "string"}
    props["kind"] = {"type": "string"}
    props["metadata"] = {"$ref": refs + openapi_name("meta.v1.ObjectMeta")}
    _describe_type_meta(props)
    out["properties"] = dict(sorted(props.items()))
    out.setdefault("type", "object")
    out["x-kubernetes-group-version-kind"] = [{"group": group, "kind": kind, "version": version}]
    return name, out


def _strip(schema: Any) -> Any:
    """A CRD schema as published: only JSON values (the CRD's own, copied)."""
    if isinstance(schema, dict):
        return {k: _strip(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_strip(v) for v in schema]
    return schema
