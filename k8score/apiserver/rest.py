"""The REST face of the API server: one function from request to response (h11 style).

``handle(api, request)`` takes ``{"method", "path", "query", "body", "headers"}`` and
returns ``{"code": int, "body": dict}`` with the same paths, status codes and Status
bodies as a real kube-apiserver, so a thin HTTP transport (for real ``kubectl``) or an
in-browser client can wrap it. No I/O happens here.

- ``query`` is a dict or a query string (``labelSelector=app%3Dweb&watch=true``);
  ``body`` a dict/list or JSON text; the PATCH flavour comes from ``Content-Type``.
- A watch (``GET ...?watch=true``) needs ``request["on_event"]``, a callback that gets
  each watch event dict (the transport writes them as JSON lines); the response then
  carries ``"watch"``, the :class:`~k8score.apiserver.cacher_watch.CacheWatch` to ``stop()``.
- Discovery: ``/api``, ``/apis``, ``/api/v1``, ``/apis/<group>/<version>``, ``/version``.

>>> from k8score.sim import Loop
>>> from k8score.etcd import Store
>>> from k8score.apiserver import APIServer
>>> from k8score.apiserver.request import user_from_name
>>> api = APIServer(Loop(), Store()); api.start()
>>> r = handle(api, {"method": "GET", "path": "/api/v1/namespaces/default/pods/nope"})
>>> r["code"], r["body"]["message"]   # no credentials: system:anonymous
(403, 'pods "nope" is forbidden: User "system:anonymous" cannot get resource "pods" in API group "" in the namespace "default"')
>>> admin = {"user": user_from_name("kubernetes-admin")}  # what an authenticating transport adds
>>> r = handle(api, {"method": "GET", "path": "/api/v1/namespaces/default/pods/nope", **admin})
>>> r["code"], r["body"]["message"]
(404, 'pods "nope" not found')
>>> handle(api, {"method": "GET", "path": "/api/v1/namespaces", **admin})["body"]["kind"]
'NamespaceList'
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from ..api.errors import ApiError, status
from ..api.resources import ResourceInfo
from ..api.schema.limits import check_body
from .registry.strategy import subresource_discovery
from .request import Request
from .table import to_table, wants_table
from ..kubeversion import server_info

_PATCH_TYPES = {
    "application/merge-patch+json": "merge",
    "application/json-patch+json": "json",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
}
#: query parameters that are request options (metav1.ListOptions, CreateOptions, ...)
_OPTIONS = ("labelSelector", "fieldSelector", "resourceVersion", "resourceVersionMatch", "limit",
            "continue", "dryRun", "fieldManager", "fieldValidation", "force", "gracePeriodSeconds",
            "propagationPolicy", "sendInitialEvents", "allowWatchBookmarks", "timeoutSeconds")
#: query parameters of connect-style subresources (core/v1 PodLogOptions; PodExecOptions needs a
#: streaming upgrade this transport does not offer)
_SUBRESOURCE_OPTIONS = {"log": ("container", "follow", "previous", "sinceSeconds", "sinceTime", "timestamps",
                                "tailLines", "limitBytes", "insecureSkipTLSVerifyBackend", "stream")}


def _query(raw: Any) -> dict[str, str]:
    if not raw:
        return {}
    if isinstance(raw, dict):
        return {str(k): (v[0] if isinstance(v, list) and v else str(v)) for k, v in raw.items()}
    return {k: v[0] for k, v in parse_qs(str(raw).lstrip("?"), keep_blank_values=True).items()}


def _body(raw: Any) -> Any:
    if raw is None or isinstance(raw, (dict, list)):
        return raw
    check_body(raw)  # 413 past the 3 MiB request limit
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ApiError.bad_request(f"error decoding request body: {e}") from None
    try:
        return json.loads(raw, parse_constant=_no_constant) if raw.strip() else None
    except (ValueError, RecursionError) as e:
        raise ApiError.bad_request(f"error decoding request body: {e}") from None


def _yaml_body(raw: str | bytes) -> Any:
    """An apply configuration: YAML (JSON is YAML too), one document."""
    from ..api.schema.yamlload import YAMLError, load_yaml_documents
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        docs = load_yaml_documents(text)
    except YAMLError as e:
        raise ApiError.bad_request(f"error decoding YAML: {e}") from None
    return docs[0] if len(docs) == 1 else docs


def _no_constant(name: str) -> Any:
    raise ValueError(f"invalid character '{name[0]}' looking for beginning of value")


def _not_found() -> ApiError:
    return ApiError(status(404, "NotFound", "the server could not find the requested resource",
                           {"causes": [{"reason": "UnexpectedServerResponse", "message": "404 page not found"}]}))


def _route(api: Any, path: str) -> tuple[Any, ...]:
    """``/api/v1/namespaces/ns/pods/name/status`` -> (info, namespace, name, subresource)."""
    parts = [p for p in path.split("?")[0].split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group_version, rest = ("", "v1"), parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group_version, rest = (parts[1], parts[2]), parts[3:]
    else:
        return ("discovery", parts)
    if not rest:
        return ("resources", group_version)
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
        namespace, rest = rest[1], rest[2:]  # /namespaces/<ns>/<plural>/...
    plural = rest[0] if not group_version[0] else f"{rest[0]}.{group_version[0]}"
    info = api.registry.table.get(plural)
    if info is None or info.version != group_version[1] or len(rest) > 3:
        raise _not_found()
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    return (info, namespace, name, sub)


def handle(api: Any, request: dict) -> dict:
    """Serve one request; never raises for API errors (they become Status bodies)."""
    try:
        return _serve(api, request)
    except ApiError as e:
        return {"code": e.code, "body": e.status}


def to_request(api: Any, request: dict) -> Any:
    """The :class:`~k8score.apiserver.request.Request` an HTTP-shaped request stands for,
    or a ``("discovery"|"resources", ...)`` tuple for the non-resource paths."""
    method = str(request.get("method", "GET")).upper()
    path = str(request.get("path", "/"))
    q = _query(request.get("query"))
    if "?" in path:
        q = {**_query(path.split("?", 1)[1]), **q}
    route = _route(api, path)
    if route[0] in ("discovery", "resources"):
        return route
    info, ns, name, sub = route
    headers = {str(k).lower(): v for k, v in (request.get("headers") or {}).items()}
    raw = request.get("body")
    if method == "PATCH" and str(headers.get("content-type", "")).startswith("application/apply-patch+yaml") \
            and isinstance(raw, (str, bytes)):
        body = _yaml_body(raw)
    else:
        body = _body(raw)
    options = {k: q[k] for k in _OPTIONS + _SUBRESOURCE_OPTIONS.get(sub or "", ()) if k in q}
    patch_type = None
    if method == "GET":
        verb = "get" if name else ("watch" if q.get("watch") in ("true", "1") else "list")
    elif method == "POST":
        if name and not sub:
            raise ApiError.method_not_allowed(info.group_resource, "create")
        verb = "create"
    elif method == "PUT":
        if name is None:
            raise ApiError.method_not_allowed(info.group_resource, "update")
        verb = "update"
        if isinstance(body, dict):
            meta = body.setdefault("metadata", {})
            if isinstance(meta, dict) and meta.get("name", name) != name:
                raise ApiError.bad_request(f"the name of the object ({meta.get('name')}) "
                                           f"does not match the name on the URL ({name})")
            if isinstance(meta, dict):
                meta["name"] = name
    elif method == "PATCH":
        verb = "patch"
        ctype = str(headers.get("content-type", "application/merge-patch+json")).split(";")[0].strip()
        patch_type = _PATCH_TYPES.get(ctype)
        if patch_type is None:
            raise ApiError(status(415, "UnsupportedMediaType",
                                  f"the body of the request was in an unknown format - accepted media "
                                  f"types include: {', '.join(_PATCH_TYPES)}"))
    elif method == "DELETE":
        verb = "delete" if name else "deletecollection"
        if isinstance(body, dict):  # DeleteOptions in the body
            for k in ("gracePeriodSeconds", "propagationPolicy", "dryRun"):
                if k in body and k not in options:
                    options[k] = body[k]
    else:
        raise ApiError(status(405, "MethodNotAllowed", f"method {method} is not allowed"))
    return Request(verb, info.group_resource, ns, name, sub, body, options, request.get("user"),
                   headers, path, patch_type, request.get("on_event"), cert=request.get("cert"))


def _serve(api: Any, request: dict) -> dict:
    req = to_request(api, request)
    if isinstance(req, tuple):
        # a non-resource request (/api, /apis/apps/v1, /version): authenticated and authorized
        # on its path (system:discovery, system:public-info-viewer grant these)
        method = str(request.get("method", "GET")).upper()
        path = "/" + "/".join(req[1] if req[0] == "discovery" else
                              (["api", req[1][1]] if not req[1][0] else ["apis", *req[1]]))
        api.authorize_path(request.get("headers") or {}, request.get("user"), request.get("cert"),
                           method.lower() if method != "GET" else "get", path)
        if req[0] == "discovery":
            return {"code": 200, "body": discovery(api, req[1])}
        return {"code": 200, "body": resource_list(api, *req[1])}
    out = api.serve(req)
    if req.verb == "watch":
        return {"code": 200, "body": None, "watch": out}
    if isinstance(out, str):   # pods/log: the log stream as text/plain (rest/log.go LogREST)
        return {"code": 200, "body": None, "text": out}
    if req.verb in ("get", "list") and wants_table(req.headers.get("accept")):
        info = api.registry.resolve(req.resource)
        out = to_table(info, out, api.loop.now, str(_query(request.get("query")).get("includeObject")
                                                      or "Metadata"), api=api)
    return {"code": 201 if req.verb == "create" and not req.dry_run else 200, "body": out}


def _verbs(info: ResourceInfo) -> list[str]:
    # the same verbs as aggregated discovery (review kinds: [create]; namespaces: no deletecollection)
    from ..api.resources import verbs
    return list(verbs(info))


def resource_list(api: Any, group: str, version: str) -> dict:
    """APIResourceList for ``/api/v1`` or ``/apis/<group>/<version>`` (legacy discovery)."""
    gv = f"{group}/{version}" if group else version
    resources = []
    for strategy in api.registry.strategies():
        info = strategy.info
        if (info.group, info.version) != (group, version):
            continue
        r = {"name": info.plural, "singularName": info.singular, "namespaced": info.namespaced,
             "kind": info.kind, "verbs": _verbs(info)}
        if info.short_names:
            r["shortNames"] = list(info.short_names)
        resources.append(r)
        for sub, rk, verbs in subresource_discovery(strategy):
            entry = {"name": f"{info.plural}/{sub}", "singularName": "", "namespaced": info.namespaced,
                     "kind": rk["kind"], "verbs": verbs}
            if rk["group"] != info.group or rk["version"] != info.version:
                entry.update(group=rk["group"], version=rk["version"])
            resources.append(entry)
    if not resources:
        raise ApiError(status(404, "NotFound", "the server could not find the requested resource"))
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}


# pkg/controlplane/apiserver/aggregator.go DefaultGenericAPIServicePriorities (group priority):
# discovery lists groups highest first; custom resource groups come after them
_GROUP_PRIORITY = {"apiregistration.k8s.io": 18000, "apps": 17800, "events.k8s.io": 17750,
                   "authentication.k8s.io": 17700, "authorization.k8s.io": 17600, "autoscaling": 17500,
                   "batch": 17400, "certificates.k8s.io": 17300, "networking.k8s.io": 17200,
                   "policy": 17100, "rbac.authorization.k8s.io": 17000, "storage.k8s.io": 16800,
                   "admissionregistration.k8s.io": 16700, "scheduling.k8s.io": 16600,
                   "coordination.k8s.io": 16500, "apiextensions.k8s.io": 16400, "node.k8s.io": 16300,
                   "discovery.k8s.io": 16200, "flowcontrol.apiserver.k8s.io": 16100}


def discovery(api: Any, parts: list[str]) -> dict:
    if parts == ["api"]:
        return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
    if parts == ["apis"]:
        groups: dict[str, dict] = {}
        for info in api.registry.table:
            if info.group and info.group not in groups:
                gv = {"groupVersion": info.api_version, "version": info.version}
                groups[info.group] = {"name": info.group, "versions": [gv], "preferredVersion": gv}
        order = sorted(groups, key=lambda g: (-_GROUP_PRIORITY.get(g, 1000), g))
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [groups[g] for g in order]}
    if parts == ["version"]:
        return server_info()  # k8score/kubeversion.py: the simulated release
    raise ApiError(status(404, "NotFound", "the server could not find the requested resource"))
