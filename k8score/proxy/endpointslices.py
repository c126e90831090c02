"""The endpoints of each service port, from EndpointSlices (``pkg/proxy/endpointslicecache.go``).

kube-proxy has read ``discovery.k8s.io/v1`` EndpointSlices, not Endpoints, since 1.21. A
Service's endpoints may be spread over several slices (at most 100 endpoints each); the
cache merges every slice labelled ``kubernetes.io/service-name: <svc>`` into one list per
service port:

- a slice without that label cannot be attributed and is an error
  (``endpointSliceCacheKeys``: "no kubernetes.io/service-name label set on endpoint slice");
- only ``addressType: IPv4`` slices feed the IPv4 proxier (IPv6 and FQDN slices are
  another family's, or nobody's);
- a port with no name field, or no/zero port number, is skipped; the port's protocol
  defaults to TCP (API defaulting);
- an endpoint contributes its **first** address only; ``conditions.ready`` nil means
  ready, ``serving`` nil means "same as ready" (``BaseEndpointInfo.IsServing``),
  ``terminating`` nil means not terminating; ``nodeName`` equal to this node makes it
  local;
- the same ``ip:port`` seen twice (an endpoint moving between slices, or a reused pod IP)
  keeps the non-terminating one;
- each list is sorted by the ``ip:port`` string ("to simplify diffing"), so
  ``10.244.1.10:80`` sorts before ``10.244.1.2:80`` — the KUBE-SEP order follows.

>>> s = {"metadata": {"name": "web-abc", "namespace": "default",
...                   "labels": {"kubernetes.io/service-name": "web"}},
...      "addressType": "IPv4", "ports": [{"name": "", "port": 8080, "protocol": "TCP"}],
...      "endpoints": [{"addresses": ["10.244.1.5"], "conditions": {"ready": True}, "nodeName": "node-1"}]}
>>> endpoint_slices_map([s], "node-1")[("default", "web", "", "TCP")][0]
Endpoint(ip='10.244.1.5', port=8080, ready=True, node_name='node-1', is_local=True, serving=True, terminating=False)
"""

from __future__ import annotations

from .servicemap import Endpoint, EndpointsMap, ErrorHandler, _int, _ip, _protocol, _str

# k8s.io/api/discovery/v1 well_known_labels.go: LabelServiceName, LabelManagedBy
LABEL_SERVICE_NAME = "kubernetes.io/service-name"
LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
_MAX_PORT = 65535


def service_of(slice_: dict) -> str:
    """``namespace/service`` of a slice (``endpointSliceCacheKeys``); ValueError without the label."""
    meta = slice_.get("metadata") or {}
    svc = (meta.get("labels") or {}).get(LABEL_SERVICE_NAME)
    if not svc:
        raise ValueError(f"no {LABEL_SERVICE_NAME} label set on endpoint slice: {meta.get('name', '')}")
    return f"{_str(meta.get('namespace') or 'default')}/{_str(svc)}"


def endpoint_slices_map(slices: list[dict], node_name: str, on_error: ErrorHandler | None = None,
                        address_type: str = "IPv4") -> EndpointsMap:
    """``(namespace, service, portName, protocol) -> endpoints`` merged over all slices.

    Slices are read in ``namespace/name`` order so the duplicate rule is deterministic
    (upstream walks a Go map). ``on_error(slice, exc)`` receives a slice kube-proxy cannot
    read; without it the error raises.
    """
    merged: dict[tuple[str, str, str, str], dict[str, Endpoint]] = {}
    ordered = sorted(slices, key=lambda s: ((s.get("metadata") or {}).get("namespace") or "",
                                            str((s.get("metadata") or {}).get("name") or "")))
    for sl in ordered:
        try:
            found = _slice_endpoints(sl, node_name, address_type)
        except Exception as exc:  # noqa: BLE001 - one unreadable slice loses only its own endpoints
            if on_error is None:
                raise
            on_error(sl, exc)
            continue
        for key, e in found:
            bucket = merged.setdefault(key, {})
            if str(e) not in bucket or not e.terminating:
                bucket[str(e)] = e
    return {k: [v[s] for s in sorted(v)] for k, v in merged.items() if v}


def _slice_endpoints(sl: dict, node_name: str, address_type: str
                     ) -> list[tuple[tuple[str, str, str, str], Endpoint]]:
    ns, svc = service_of(sl).split("/", 1)
    if (sl.get("addressType") or "IPv4") != address_type:
        return []
    found = []
    for port in sl.get("ports") or ():
        if "name" not in port or port.get("name") is None:  # "Ignoring port with nil name"
            continue
        num = port.get("port")
        if not num:  # "Ignoring invalid endpoint port"
            continue
        key = (ns, svc, _str(port["name"]), _protocol(port.get("protocol") or "TCP"))
        num = _int(num, 1, _MAX_PORT, "port")
        for ep in sl.get("endpoints") or ():
            addrs = ep.get("addresses") or ()
            if not addrs:  # "Ignoring invalid endpoint port with empty address"
                continue
            cond = ep.get("conditions") or {}
            ready = cond.get("ready") is None or cond.get("ready") is True
            serving = cond.get("serving")
            node = ep.get("nodeName")
            found.append((key, Endpoint(
                ip=_ip(addrs[0], "addresses"), port=num, ready=ready, node_name=node,
                is_local=bool(node_name) and node == node_name,
                serving=ready if serving is None else serving is True,
                terminating=cond.get("terminating") is True)))
    return found
