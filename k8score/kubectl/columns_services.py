"""``kubectl get services|endpoints|endpointslices`` columns (pkg/printers/internalversion/
printers.go: printService with getServiceExternalIP and makePortString, printEndpoints with
formatEndpoints, printEndpointSlice).

Registered into :data:`k8score.kubectl.columns.TABLES`.

>>> svc = {"metadata": {"name": "web"}, "spec": {"type": "NodePort", "clusterIP": "10.96.0.9",
...        "ports": [{"port": 80, "nodePort": 30080}]}}
>>> _service_row(svc, 0.0, False)[:5]
['web', 'NodePort', '10.96.0.9', '<none>', '80:30080/TCP']
"""

from __future__ import annotations

from .selectorfmt import format_labels
from .timefmt import since


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _age(obj: dict, now: float) -> str:
    return since(_meta(obj).get("creationTimestamp"), now)


def _external_ip(svc: dict) -> str:
    # printers.go getServiceExternalIP
    spec = svc.get("spec") or {}
    kind = spec.get("type", "ClusterIP")
    external = spec.get("externalIPs") or []
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) or "<none>"
    if kind == "LoadBalancer":
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        lb = sorted({i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")})
        # loadBalancerStatusStringer clips to loadBalancerWidth (16) only when not wide, and the
        # API server always renders Tables wide (pkg/printers/storage/storage.go): never clipped
        lb_ips = ",".join(lb)
        if external:
            return ",".join((lb_ips.split(",") if lb_ips else []) + external)
        return lb_ips or "<pending>"
    if kind == "ExternalName":
        return spec.get("externalName", "")
    return "<unknown>"


def service_ports(ports: list | None) -> str:
    """printers.go makePortString: ``80/TCP`` or ``80:30080/TCP``, comma separated."""
    out = []
    for p in ports or ():
        proto = p.get("protocol", "TCP")
        if p.get("nodePort"):
            out.append(f"{p.get('port')}:{p['nodePort']}/{proto}")
        else:
            out.append(f"{p.get('port')}/{proto}")
    return ",".join(out)


def _service_row(svc: dict, now: float, wide: bool) -> list[str]:
    spec = svc.get("spec") or {}
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    row = [_meta(svc).get("name", ""), spec.get("type", "ClusterIP"), ips[0] if ips else "<none>",
           _external_ip(svc), service_ports(spec.get("ports")) or "<none>", _age(svc, now)]
    if wide:
        row.append(format_labels(spec.get("selector")))
    return row


def format_endpoints(ep: dict, port_names: set[str] | None = None) -> str:
    """printers.go formatEndpoints: up to 3 ``ip:port``, then ``+ N more...``."""
    subsets = ep.get("subsets") or []
    if not subsets:
        return "<none>"
    items: list[str] = []
    count, more = 0, False
    for ss in subsets:
        addrs = [a.get("ip", "") for a in ss.get("addresses") or ()]
        ports = ss.get("ports") or []
        if not ports:
            count += len(addrs)
            for ip in addrs:
                if len(items) == 3:
                    more = True
                    break
                items.append(ip)
            continue
        for p in ports:
            if port_names is None or p.get("name", "") in port_names:
                count += len(addrs)
                for ip in addrs:
                    if len(items) == 3:
                        more = True
                        break
                    host = f"[{ip}]" if ":" in ip else ip
                    items.append(f"{host}:{p.get('port')}")
    if not items:   # only notReadyAddresses (printers.go formatEndpoints: len(list) == 0)
        return "<none>"
    text = ",".join(items)
    return f"{text} + {count - 3} more..." if more else text


def _endpoints_row(ep: dict, now: float, wide: bool) -> list[str]:
    return [_meta(ep).get("name", ""), format_endpoints(ep), _age(ep, now)]


def _list_with_more(items: list[str], count: int) -> str:
    """printers.go listWithMoreString (max 3): ``a,b,c + 2 more...``, ``<unset>`` when empty."""
    if count > 3:
        return f"{','.join(items[:3])} + {count - 3} more..."
    return ",".join(items) or "<unset>"


def _endpointslice_row(eps: dict, now: float, wide: bool) -> list[str]:
    """printers.go printEndpointSlice: formatDiscoveryPorts (port, else name, else ``*``) and
    formatDiscoveryEndpoints (every address of every endpoint, ready or not)."""
    ports = [str(p["port"]) if p.get("port") is not None else (p.get("name") if p.get("name") is not None else "*")
             for p in eps.get("ports") or ()]
    addrs = [a for ep in eps.get("endpoints") or () for a in ep.get("addresses") or ()]
    return [_meta(eps).get("name", ""), eps.get("addressType", ""), _list_with_more(ports, len(ports)),
            _list_with_more(addrs, len(addrs)), _age(eps, now)]


#: plural -> (columns, row function), as in :data:`k8score.kubectl.columns.TABLES`
SERVICE_TABLES = {
    "services": ([("NAME", 0), ("TYPE", 0), ("CLUSTER-IP", 0), ("EXTERNAL-IP", 0), ("PORT(S)", 0),
                  ("AGE", 0), ("SELECTOR", 1)], _service_row),
    "endpoints": ([("NAME", 0), ("ENDPOINTS", 0), ("AGE", 0)], _endpoints_row),
    "endpointslices": ([("NAME", 0), ("ADDRESSTYPE", 0), ("PORTS", 0), ("ENDPOINTS", 0), ("AGE", 0)],
                       _endpointslice_row),
}
