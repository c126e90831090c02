"""``service_router``: a packet to a Service IP goes where kube-proxy's rules send it.

:class:`KubeProxyRouter` is ``Network.service_router``: for a connection from the
namespace ``src`` to ``dst_ip:port`` it walks the rules of the kube-proxy on ``src.node``
(:meth:`k8score.proxy.KubeProxy.trace`, netfilter's walk for a new connection) and returns
the DNAT target ``(ip, port)``. What the client sees follows the verdict:

- DNAT to an endpoint -> the connection goes there (``None`` if the walk rewrote nothing:
  not a Service address, or this node's kube-proxy has not programmed it yet);
- ``REJECT`` — kube-proxy's rule for a Service with no ready endpoints
  (pkg/proxy/iptables/proxier.go: ``"has no endpoints" ... -j REJECT``, ICMP port
  unreachable) -> ``NetError("Connection refused")`` at once;
- ``DROP`` -> ``NetError("Connection timed out")``.

A namespace on a node without a kube-proxy (or with no node) gets no Service routing at all.
The last walk is kept in :attr:`KubeProxyRouter.last` to show how a packet went.
"""

from __future__ import annotations

from typing import Any

from ..container.net import NetError

#: Linux TCP gives up a connect() to a silent peer after ~127 s (6 SYN retries, tcp(7)).
CONNECT_TIMEOUT = 127.0


class KubeProxyRouter:
    def __init__(self, proxies: dict[str, Any]):
        #: node name -> its KubeProxy (the dict is read at each packet: proxies may come later).
        self.proxies = proxies
        self.last: Any = None

    def __call__(self, src: Any, dst_ip: str, port: int, proto: str = "TCP") -> tuple[str, int] | None:
        proxy = self.proxies.get(src.node)
        if proxy is None:
            return None
        t = proxy.trace(src.ip, dst_ip, int(port), proto)
        self.last = t
        if t.verdict == "REJECT":
            raise NetError("Connection refused")
        if t.verdict == "DROP":
            raise NetError("Connection timed out", seconds=CONNECT_TIMEOUT)
        if not t.dnat:
            return None
        ip, _, p = t.dnat.rpartition(":")
        return ip.strip("[]"), int(p)
