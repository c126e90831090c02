"""A minimal OpenAPI v3 (``/openapi/v3``): the paths and operations of every resource.

Upstream: k8s.io/kube-openapi/pkg/handler3 (the root ``{"paths": {"apis/apps/v1":
{"serverRelativeURL": "/openapi/v3/apis/apps/v1?hash=..."}}}`` and one document per
group/version) and k8s.io/apiserver/pkg/endpoints/installer.go (each operation carries
``x-kubernetes-group-version-kind`` and the query parameters it accepts).

Why it exists this early: kubectl's default ``--validate=strict`` asks the OpenAPI v3
document whether the PATCH operation of a kind takes ``fieldValidation``
(cli-runtime/pkg/resource/query_param_verifier_v3.go ``supportsQueryParamV3``); when it
does, kubectl leaves validation to the server (``fieldValidation=Strict``), which k8score
implements. Without any document, ``kubectl apply -f`` fails with "failed to download
openapi". ``components.schemas`` (openapi_schemas.py) come from k8score's own schemas and
each CustomResourceDefinition's: ``kubectl explain`` and client-side apply's strategic
merge patch read them. ``/openapi/v2`` (:func:`swagger`) is the same in Swagger 2.0 form
(k8s.io/kube-openapi/pkg/handler), for clients that still ask for it.

Pure data, deterministic; the hash is of the document's JSON. Documents are memoised per
API server until the set of served resources (or a CRD) changes.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from typing import Any

from . import openapi_schemas as schemas
from ..kubeversion import GIT_VERSION

# installer.go: the query parameters of a PATCH (metav1.PatchOptions)
_PATCH_PARAMS = ("dryRun", "fieldManager", "fieldValidation", "force")
_WRITE_PARAMS = ("dryRun", "fieldManager", "fieldValidation")


def _params(names: tuple[str, ...]) -> list[dict]:
    out = [{"name": n, "in": "query", "schema": {"type": "boolean" if n == "force" else "string",
                                                  "uniqueItems": True}} for n in names]
    return out


def _gv_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def group_versions(api: Any) -> list[tuple[str, str]]:
    """The (group, version) pairs the registry serves, core first."""
    seen = {(s.info.group, s.info.version) for s in api.registry.strategies()}
    return sorted(seen, key=lambda gv: (gv[0] != "", gv))


_CACHE: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def _served(api: Any, group: str | None = None, version: str | None = None) -> list[Any]:
    return [s for s in api.registry.strategies()
            if group is None or (s.info.group, s.info.version) == (group, version)]


def _crd(api: Any, strategy: Any) -> dict | None:
    name = getattr(strategy, "crd_name", None)
    return api.lister.get("customresourcedefinitions", name) if name else None


def _signature(api: Any, strategies: list[Any]) -> tuple:
    """What a document depends on: the resources served and their CRDs' versions."""
    out = []
    for s in strategies:
        crd = _crd(api, s)
        out.append((s.info, (crd or {}).get("metadata", {}).get("resourceVersion")))
    return tuple(out)


def _memo(api: Any, key: tuple, make: Any) -> Any:
    try:
        cache = _CACHE.setdefault(api, {})
    except TypeError:   # an API server that cannot be weakly referenced: no memo
        return make()
    if key not in cache:
        if len(cache) > 256:
            cache.clear()
        cache[key] = make()
    return cache[key]


def _components(api: Any, strategies: list[Any], refs: str, v3: bool) -> dict:
    """The named schemas of the kinds ``strategies`` serve (CRDs: their own schemas)."""
    roots, custom = [], {}
    for s in strategies:
        info = s.info
        crd = _crd(api, s)
        if crd is not None:
            version = next((v for v in crd["spec"].get("versions") or () if v.get("name") == info.version), {})
            name, schema = schemas.crd_definition(info.group, info.version, info.kind,
                                                  (version.get("schema") or {}).get("openAPIV3Schema"), refs)
            custom[name] = schema
            roots.append("meta.v1.ObjectMeta")
            continue
        d = schemas.kind_definition(info.api_version, info.kind)
        if d is not None:
            roots.append(d)
    out = schemas.definitions(roots, refs, v3)
    out.update(custom)
    return dict(sorted(out.items()))


def document(api: Any, group: str, version: str) -> dict | None:
    """The OpenAPI v3 document of one group/version (None when it is not served)."""
    strategies = _served(api, group, version)
    return _memo(api, ("v3", group, version, _signature(api, strategies)),
                 lambda: _document(api, group, version, strategies))


def _document(api: Any, group: str, version: str, strategies: list[Any]) -> dict | None:
    paths = _paths(strategies, group, version)
    if not paths:
        return None
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": GIT_VERSION},
            "paths": paths,
            "components": {"schemas": _components(api, strategies, "#/components/schemas/", True)}}


def swagger(api: Any) -> dict:
    """``/openapi/v2``: every group/version's paths and definitions in one Swagger 2.0 document."""
    strategies = _served(api)
    return _memo(api, ("v2", _signature(api, strategies)), lambda: _swagger(api, strategies))


def _swagger(api: Any, strategies: list[Any]) -> dict:
    paths: dict[str, dict] = {}
    for group, version in group_versions(api):
        paths.update(_paths(strategies, group, version))
    return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": GIT_VERSION},
            "paths": dict(sorted(paths.items())),
            "definitions": _components(api, strategies, "#/definitions/", False)}


def _paths(strategies: list[Any], group: str, version: str) -> dict[str, dict]:
    paths: dict[str, dict] = {}
    for strategy in strategies:
        info = strategy.info
        if (info.group, info.version) != (group, version):
            continue
        gvk = {"group": info.group, "version": info.version, "kind": info.kind}
        base = "/" + _gv_path(group, version) + ("/namespaces/{namespace}" if info.namespaced else "")
        tag = f"{info.group or 'core'}_{version}"
        op = f"{info.kind}"
        item = f"{base}/{info.plural}/{{name}}"
        paths[f"{base}/{info.plural}"] = {
            "get": _op(f"list{op}", tag, gvk, "list", ()),
            "post": _op(f"create{op}", tag, gvk, "post", _WRITE_PARAMS),
        }
        paths[item] = {
            "get": _op(f"read{op}", tag, gvk, "get", ()),
            "put": _op(f"replace{op}", tag, gvk, "put", _WRITE_PARAMS),
            "patch": _op(f"patch{op}", tag, gvk, "patch", _PATCH_PARAMS),
            "delete": _op(f"delete{op}", tag, gvk, "delete", ("dryRun",)),
        }
        if strategy.status_subresource:
            paths[f"{item}/status"] = {
                "get": _op(f"read{op}Status", tag, gvk, "get", ()),
                "put": _op(f"replace{op}Status", tag, gvk, "put", _WRITE_PARAMS),
                "patch": _op(f"patch{op}Status", tag, gvk, "patch", _PATCH_PARAMS),
            }
    return dict(sorted(paths.items()))


def _op(op_id: str, tag: str, gvk: dict, action: str, params: tuple[str, ...]) -> dict:
    return {"tags": [tag], "operationId": op_id, "parameters": _params(params),
            "responses": {"200": {"description": "OK"}, "401": {"description": "Unauthorized"}},
            "x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk}


def root(api: Any) -> dict:
    """``/openapi/v3``: where each group/version's document is (handler3 ``OpenAPIV3Discovery``)."""
    paths = {}
    for group, version in group_versions(api):
        doc = document(api, group, version)
        digest = _memo(api, ("hash", id(doc)), lambda: hashlib.sha512(
            json.dumps(doc, sort_keys=True).encode()).hexdigest().upper()[:128])
        paths[_gv_path(group, version)] = {
            "serverRelativeURL": f"/openapi/v3/{_gv_path(group, version)}?hash={digest}"}
    return {"paths": paths}


def for_path(api: Any, path: str) -> dict | None:
    """The answer for ``/openapi/v3`` or ``/openapi/v3/<api/v1|apis/g/v>``; None: 404."""
    rest = path[len("/openapi/v3"):].strip("/")
    if not rest:
        return root(api)
    parts = rest.split("/")
    if parts[0] == "api" and len(parts) == 2:
        return document(api, "", parts[1])
    if parts[0] == "apis" and len(parts) == 3:
        return document(api, parts[1], parts[2])
    return None
