"""Aggregated discovery (apidiscovery.k8s.io/v2): every group, version and resource in one answer.

Upstream: staging/src/k8s.io/api/apidiscovery/v2/types.go (``APIGroupDiscoveryList``,
``APIVersionDiscovery``, ``APIResourceDiscovery``, ``APISubresourceDiscovery``) and
staging/src/k8s.io/apiserver/pkg/endpoints/discovery/aggregated/handler.go (served on
``/api`` and ``/apis`` when the Accept header asks for it; otherwise the legacy
``APIVersions`` / ``APIGroupList``, which clients fall back to).

Pure data: the HTTP transport picks the form by :func:`wants_aggregated` and sends
``AGGREGATED_V2`` as the Content-Type (client-go decides by the response Content-Type).
"""

from __future__ import annotations

from typing import Any
from ..api.resources import verbs
from .registry.strategy import subresource_discovery

# handler.go: the media type clients ask for and the server answers with
AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]  # api.resources.VERBS
# upstream categories (pkg/registry/*/storage: CategoriesProvider): `kubectl get all`
_ALL = {"pods", "replicationcontrollers", "services", "daemonsets", "deployments", "replicasets",
        "statefulsets", "horizontalpodautoscalers", "cronjobs", "jobs"}


def wants_aggregated(accept: Any) -> bool:
    """Whether an Accept header lists the v2 APIGroupDiscoveryList JSON form."""
    for part in str(accept or "").split(","):
        params = {p.strip().partition("=")[0]: p.strip().partition("=")[2] for p in part.split(";")[1:]}
        if part.strip().startswith("application/json") and params.get("g") == "apidiscovery.k8s.io" \
                and params.get("v") == "v2" and params.get("as") == "APIGroupDiscoveryList":
            return True
    return False


def aggregated(api: Any, legacy: bool) -> dict:
    """The APIGroupDiscoveryList for ``/api`` (``legacy``: the core group) or ``/apis``."""
    from .rest import _GROUP_PRIORITY  # the group order of legacy discovery
    groups: dict[str, dict[str, list]] = {}
    for strategy in api.registry.strategies():
        info = strategy.info
        if (info.group == "") != legacy:
            continue
        groups.setdefault(info.group, {}).setdefault(info.version, []).append(_resource(strategy))
    order = sorted(groups, key=lambda g: (-_GROUP_PRIORITY.get(g, 1000), g))
    items = []
    for g in order:
        versions = [{"version": v, "resources": sorted(groups[g][v], key=lambda r: r["resource"]),
                     "freshness": "Current"} for v in sorted(groups[g])]
        items.append({"metadata": {"name": g, "creationTimestamp": None} if g else {"creationTimestamp": None},
                      "versions": versions})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
            "metadata": {}, "items": items}


def _resource(strategy: Any) -> dict:
    info = strategy.info
    kind = {"group": info.group, "version": info.version, "kind": info.kind}
    r: dict = {"resource": info.plural, "responseKind": kind,
               "scope": "Namespaced" if info.namespaced else "Cluster",
               "singularResource": info.singular, "verbs": list(verbs(info))}  # review kinds: [create]
    if info.short_names:
        r["shortNames"] = list(info.short_names)
    if info.plural in _ALL and not info.group.endswith(".k8s.io"):
        r["categories"] = ["all"]
    subs = subresource_discovery(strategy)
    if subs:
        r["subresources"] = [{"subresource": s, "responseKind": rk, "verbs": vs} for s, rk, vs in subs]
    return r
