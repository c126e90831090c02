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
openapi". Not yet here: ``components.schemas`` (``kubectl explain``, client-side schema
validation) — k8score.api.schema holds them in its own form.

Pure data, deterministic; the hash is of the document's JSON.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

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


def document(api: Any, group: str, version: str) -> dict | None:
    """The OpenAPI v3 document of one group/version (None when it is not served)."""
    paths: dict[str, dict] = {}
    for strategy in api.registry.strategies():
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
    if not paths:
        return None
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.35.0"},
            "paths": dict(sorted(paths.items())), "components": {"schemas": {}}}


def _op(op_id: str, tag: str, gvk: dict, action: str, params: tuple[str, ...]) -> dict:
    return {"tags": [tag], "operationId": op_id, "parameters": _params(params),
            "responses": {"200": {"description": "OK"}, "401": {"description": "Unauthorized"}},
            "x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk}


def root(api: Any) -> dict:
    """``/openapi/v3``: where each group/version's document is (handler3 ``OpenAPIV3Discovery``)."""
    paths = {}
    for group, version in group_versions(api):
        doc = document(api, group, version)
        digest = hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest().upper()[:128]
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
