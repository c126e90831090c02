"""The REST face of the API server: one function from request to response (h11 style).

``handle(api, request)`` takes ``{"method", "path", "query", "body", "headers"}`` and
returns ``{"code": int, "body": dict}`` with the same paths, status codes and Status
bodies as a real kube-apiserver, so a thin HTTP transport (for real ``kubectl``) or an
in-browser client can wrap it. No I/O happens here.

- ``query`` is a dict or a query string (``labelSelector=app%3Dweb&watch=true``);
  ``body`` a dict/list or JSON text; the PATCH flavour comes from ``Content-Type``.
- A watch (``GET ...?watch=true``) needs ``request["on_event"]``, a callback that gets
  each watch event dict (the transport writes them as JSON lines); the response then
  carries ``"watch"``, the :class:`~k8score.apiserver.watch.Watch` to ``stop()``.
- Discovery: ``/api``, ``/apis``, ``/api/v1``, ``/apis/<group>/<version>``, ``/version``.

>>> from k8score.sim import Loop
>>> from k8score.etcd import Store
>>> from k8score.apiserver import APIServer
>>> api = APIServer(Loop(), Store()); api.start()
>>> r = handle(api, {"method": "GET", "path": "/api/v1/namespaces/default/pods/nope"})
>>> r["code"], r["body"]["message"]
(404, 'pods "nope" not found')
>>> handle(api, {"method": "GET", "path": "/api/v1/namespaces"})["body"]["kind"]
'NamespaceList'
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from ..api.errors import ApiError, status
from ..api.resources import RESOURCES, ResourceInfo

_PATCH_TYPES = {
    "application/merge-patch+json": "merge",
    "application/json-patch+json": "json",
    "application/strategic-merge-patch+json": "strategic",
}
_SUBRESOURCES = {"pods": ("status", "binding"), "nodes": ("status",), "deployments": ("status",),
                 "replicasets": ("status",), "services": ("status",), "namespaces": ("status",)}


def _query(raw: Any) -> dict[str, str]:
    if not raw:
        return {}
    if isinstance(raw, dict):
        return {k: (v[0] if isinstance(v, list) else str(v)) for k, v in raw.items()}
    return {k: v[0] for k, v in parse_qs(str(raw).lstrip("?"), keep_blank_values=True).items()}


def _body(raw: Any) -> Any:
    if raw is None or isinstance(raw, (dict, list)):
        return raw
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError as e:
        raise ApiError.bad_request(f"error decoding request body: {e}") from None


def _route(path: str) -> tuple[Any, ...]:
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
    info = RESOURCES.get(rest[0])
    if info is None or (info.group, info.version) != group_version:
        raise ApiError(status(404, "NotFound", "the server could not find the requested resource",
                              {"causes": [{"reason": "UnexpectedServerResponse", "message": "404 page not found"}]}))
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if sub is not None and sub not in _SUBRESOURCES.get(info.plural, ()):
        raise ApiError(status(404, "NotFound", "the server could not find the requested resource"))
    return (info, namespace, name, sub)


def handle(api: Any, request: dict) -> dict:
    """Serve one request; never raises for API errors (they become Status bodies)."""
    try:
        return _serve(api, request)
    except ApiError as e:
        return {"code": e.code, "body": e.status}


def _serve(api: Any, request: dict) -> dict:
    method = request.get("method", "GET").upper()
    q = _query(request.get("query"))
    if "?" in request.get("path", ""):
        q = {**_query(request["path"].split("?", 1)[1]), **q}
    route = _route(request.get("path", "/"))
    if route[0] == "discovery":
        return {"code": 200, "body": discovery(route[1])}
    if route[0] == "resources":
        return {"code": 200, "body": resource_list(*route[1])}
    info, ns, name, sub = route
    headers = {k.lower(): v for k, v in (request.get("headers") or {}).items()}
    body = _body(request.get("body"))
    plural = info.plural
    if method == "GET":
        if name is None:
            if q.get("watch") in ("true", "1"):
                cb = request.get("on_event")
                if cb is None:
                    raise ApiError.bad_request("a watch request needs an on_event callback")
                w = api.watch(plural, cb, namespace=ns, resource_version=q.get("resourceVersion"),
                              label_selector=q.get("labelSelector"), field_selector=q.get("fieldSelector"),
                              send_initial_events=q.get("sendInitialEvents") == "true")
                return {"code": 200, "body": None, "watch": w}
            return {"code": 200, "body": api.list(plural, namespace=ns, label_selector=q.get("labelSelector"),
                                                  field_selector=q.get("fieldSelector"),
                                                  resource_version=q.get("resourceVersion"))}
        if sub not in (None, "status"):
            raise ApiError.method_not_allowed(f"{info.group_resource}/{sub}", "get")
        return {"code": 200, "body": api.get(plural, name, namespace=ns)}
    if method == "POST":
        if sub == "binding" or (name is None and sub is None):
            out = api.create(plural, body, namespace=ns, subresource=sub)
            return {"code": 201, "body": out}
        raise ApiError.method_not_allowed(info.group_resource, "create")
    if method == "PUT":
        if name is None:
            raise ApiError.method_not_allowed(info.group_resource, "update")
        if isinstance(body, dict):
            body.setdefault("metadata", {})
            if body["metadata"].get("name", name) != name:
                raise ApiError.bad_request(f"the name of the object ({body['metadata'].get('name')}) "
                                           f"does not match the name on the URL ({name})")
            body["metadata"]["name"] = name
        return {"code": 200, "body": api.update(plural, body, namespace=ns, subresource=sub)}
    if method == "PATCH":
        ctype = headers.get("content-type", "application/merge-patch+json").split(";")[0].strip()
        ptype = _PATCH_TYPES.get(ctype)
        if ptype is None:
            raise ApiError(status(415, "UnsupportedMediaType",
                                  f"the body of the request was in an unknown format - accepted media "
                                  f"types include: {', '.join(_PATCH_TYPES)}"))
        return {"code": 200, "body": api.patch(plural, name, body, patch_type=ptype, namespace=ns,
                                               subresource=sub)}
    if method == "DELETE":
        if name is None:
            raise ApiError.method_not_allowed(info.group_resource, "deletecollection")
        opts = body if isinstance(body, dict) else {}
        grace = q.get("gracePeriodSeconds", opts.get("gracePeriodSeconds"))
        policy = q.get("propagationPolicy", opts.get("propagationPolicy"))
        return {"code": 200, "body": api.delete(plural, name, namespace=ns,
                                                grace_period_seconds=int(grace) if grace is not None else None,
                                                propagation_policy=policy)}
    raise ApiError(status(405, "MethodNotAllowed", f"method {method} is not allowed"))


def _verbs(info: ResourceInfo) -> list[str]:
    return ["create", "delete", "get", "list", "patch", "update", "watch"]


def resource_list(group: str, version: str) -> dict:
    """APIResourceList for ``/api/v1`` or ``/apis/<group>/<version>`` (legacy discovery)."""
    gv = f"{group}/{version}" if group else version
    resources = []
    for info in RESOURCES.values():
        if (info.group, info.version) != (group, version):
            continue
        r = {"name": info.plural, "singularName": info.singular, "namespaced": info.namespaced,
             "kind": info.kind, "verbs": _verbs(info)}
        if info.short_names:
            r["shortNames"] = list(info.short_names)
        resources.append(r)
        for sub in _SUBRESOURCES.get(info.plural, ()):
            kind = "Binding" if sub == "binding" else info.kind
            verbs = ["create"] if sub == "binding" else ["get", "patch", "update"]
            resources.append({"name": f"{info.plural}/{sub}", "singularName": "",
                              "namespaced": info.namespaced, "kind": kind, "verbs": verbs})
    if not resources:
        raise ApiError(status(404, "NotFound", "the server could not find the requested resource"))
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}


def discovery(parts: list[str]) -> dict:
    if parts == ["api"]:
        return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
    if parts == ["apis"]:
        groups = []
        for info in RESOURCES.values():
            if info.group and all(g["name"] != info.group for g in groups):
                gv = {"groupVersion": info.api_version, "version": info.version}
                groups.append({"name": info.group, "versions": [gv], "preferredVersion": gv})
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
    if parts == ["version"]:
        return {"major": "1", "minor": "35", "gitVersion": "v1.35.0-k8score", "platform": "python"}
    raise ApiError(status(404, "NotFound", "the server could not find the requested resource"))
