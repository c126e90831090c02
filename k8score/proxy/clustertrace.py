"""``Cluster.trace``: follow a new connection from a pod, a node or the outside world.

:func:`cluster_trace` decides what the packet looks like and which node's rules it meets,
then walks them with that node's kube-proxy (:meth:`~.kubeproxy.KubeProxy.trace`, in the
cluster's proxy mode):

- **source** — a pod (``"default/client"``, or ``"client"`` in ``default``): its IP, and it
  enters its own node through the bridge; a **node** name: a process on the node (nat
  ``OUTPUT``); ``"external"`` (the client ``203.0.113.10``, RFC 5737's TEST-NET-3) or any IP
  that is not a pod's or a node's: a client outside the cluster;
- **destination** — ``ip``, ``ip:port`` or a DNS name resolved as the source would
  resolve it: through the cluster DNS (``c.network``) with the pod's ``/etc/resolv.conf``
  search list and ``ndots`` (musl's order, :func:`k8score.network.search_names`); the
  note says which name answered. Without a port (neither ``:port`` nor ``port=``) the
  Service at that address must have exactly one port;
- **entry node** — the source pod's node, or the source node; from outside: the node
  addressed (a NodePort ``<nodeIP>:<nodePort>``), else — a LoadBalancer IP, an external IP
  or a ClusterIP routed to the cluster — the node the simulated load balancer picks:
  **the first Ready node by name**. A pod addressing another node's IP (a NodePort there)
  is walked on that node.

The returned :class:`~.tracefmt.Trace` carries the notes above, the client's ephemeral
port (``source_port``, 32768-60999 from a seeded generator), the pod behind the chosen
endpoint (``endpoint_name``) and, if masqueraded, the node address used (``snat``). An
accepted connection is added to the entry node's conntrack table (``conntrack -L``).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from .tracefmt import Trace

#: RFC 5737 TEST-NET-3: the "external" client's address.
EXTERNAL_CLIENT = "203.0.113.10"
# /proc/sys/net/ipv4/ip_local_port_range default
_EPHEMERAL = (32768, 60999)


def cluster_trace(c: Any, src: str, dst: str, port: int | None = None, protocol: str = "TCP") -> Trace:
    """See the module docstring; ``c`` is a :class:`k8score.Cluster`."""
    protocol = protocol.upper()
    notes: list[str] = []
    src_ip, src_node, src_net, pod_src = _source(c, src, notes)
    host, dport = _split(dst)
    if port is not None:
        if dport is not None and dport != int(port):
            raise ValueError(f"port {port} contradicts the destination {dst!r}")
        dport = int(port)
    dst_ip = host if _is_ip(host) else _resolve(c, host, src_net, notes)
    if dport is None:
        dport = _only_port(c, dst_ip, protocol)
    node = _entry_node(c, src_node, dst_ip, notes)
    proxy = c.kube_proxies[node]
    bridged = pod_src and node == src_node
    t = proxy.trace(src_ip, dst_ip, dport, protocol, bridged=bridged)
    t.notes = notes + t.notes
    t.source_port = c._trace_ports.randint(*_EPHEMERAL)
    node_ip = c.hosts[node].ip
    if t.masquerade:
        t.snat = node_ip
    if t.endpoint:
        t.endpoint_name = _pod_with_ip(c, t.endpoint.rpartition(":")[0].strip("[]"))
    c.conntrack[node].add(t, c.loop.now, node_ip)
    return t


def _source(c: Any, src: str, notes: list[str]) -> tuple[str, str | None, Any, bool]:
    """``(ip, node, network namespace or None, is a pod)``."""
    if src == "external":
        notes.append(f"from an external client {EXTERNAL_CLIENT}")
        return EXTERNAL_CLIENT, None, None, False
    if src in c.hosts:
        h = c.hosts[src]
        notes.append(f"from a process on {src} ({h.ip})")
        return h.ip, src, h.net, False
    if _is_ip(src):
        for name, h in c.hosts.items():
            if h.ip == src:
                notes.append(f"from a process on {name} ({src})")
                return src, name, h.net, False
        pod = _pod_with_ip(c, src)
        if pod is None:
            notes.append(f"from an external client {src}")
            return src, None, None, False
        src = pod
    ns, _, name = src.rpartition("/")
    pod = c.api.get("pods", name, namespace=ns or "default")
    ip = (pod.get("status") or {}).get("podIP")
    node = (pod.get("spec") or {}).get("nodeName")
    if not ip or not node:
        raise ValueError(f"pod {ns or 'default'}/{name} has no IP yet (not running on a node)")
    host_network = (pod.get("spec") or {}).get("hostNetwork") is True
    notes.append(f"from pod {ns or 'default'}/{name} ({ip}) on {node}" + (" [hostNetwork]" if host_network else ""))
    return ip, node, c.network.namespaces.get(ip), not host_network


def _split(dst: str) -> tuple[str, int | None]:
    host, sep, p = dst.rpartition(":")
    if sep and p.isdigit() and host and not host.endswith(":"):
        return host.strip("[]"), int(p)
    return dst, None


def _resolve(c: Any, name: str, net: Any, notes: list[str]) -> str:
    from ..network import search_names   # late: k8score.network imports the proxy's users
    if net is None:
        raise ValueError(f"cannot resolve {name!r} from outside the cluster: give an IP address")
    tried = search_names(name, net.search, net.ndots)
    try:
        ips = c.network.resolve(name, net)
    except Exception as e:   # NetError: the resolver's own words
        raise ValueError(f"cannot resolve {name!r}: {e}") from None
    answered = _answering_name(c, net, tried, ips[0])
    notes.append(f"dns: {name} -> {answered} = {ips[0]} (nameserver {net.nameserver or 'none'})")
    if net.search:
        notes.append(f"     search {' '.join(net.search)}; ndots:{net.ndots}")
    return ips[0]


def _answering_name(c: Any, net: Any, tried: list[str], ip: str) -> str:
    for candidate in tried:
        try:
            reply = c.network.query(net, candidate, "A")
        except Exception:   # noqa: BLE001 - a silent server: the resolver moved on or gave up
            continue
        if ip in reply.addresses():
            return candidate
    return tried[-1]


def _only_port(c: Any, ip: str, protocol: str) -> int:
    for svc in c.api.list("services", namespace=None)["items"]:
        spec = svc.get("spec") or {}
        ips = [spec.get("clusterIP"), *(spec.get("externalIPs") or ()),
               *(i.get("ip") for i in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ())]
        if ip in ips:
            ports = [p for p in spec.get("ports") or () if (p.get("protocol") or "TCP") == protocol]
            if len(ports) == 1:
                return int(ports[0]["port"])
            raise ValueError(f"Service {svc['metadata']['name']} has {len(ports)} {protocol} ports: give port=")
    raise ValueError(f"no port given for {ip}: use 'ip:port' or port=")


def _node_ips(c: Any) -> dict[str, str]:
    return {h.ip: name for name, h in c.hosts.items()}


def _entry_node(c: Any, src_node: str | None, dst_ip: str, notes: list[str]) -> str:
    addressed = _node_ips(c).get(dst_ip)
    if addressed is not None and addressed != src_node:
        if src_node is not None:
            notes.append(f"the packet leaves {src_node} and enters {addressed}, the node addressed")
        return addressed
    if src_node is not None:
        return src_node
    ready = sorted(n["metadata"]["name"] for n in c.api.list("nodes")["items"] if _ready(n))
    if not ready:
        raise ValueError("no Ready node to receive external traffic")
    notes.append(f"the load balancer sends it to {ready[0]} (the first Ready node by name)")
    return ready[0]


def _ready(node: dict) -> bool:
    return any(cd.get("type") == "Ready" and cd.get("status") == "True"
               for cd in (node.get("status") or {}).get("conditions") or ())


def _pod_with_ip(c: Any, ip: str) -> str | None:
    for p in c.api.list("pods", namespace=None)["items"]:
        if (p.get("status") or {}).get("podIP") == ip and not (p.get("spec") or {}).get("hostNetwork"):
            return f"{p['metadata']['namespace']}/{p['metadata']['name']}"
    return None


def _is_ip(s: str) -> bool:
    try:
        ipaddress.ip_address(s)
        return True
    except ValueError:
        return False
