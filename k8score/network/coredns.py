"""``CoreDNS``: the cluster's DNS server, reading Services and Endpoints through the API server.

``CoreDNS(loop, api)`` is the component ``coredns`` (plane ``addon``) running kubeadm's
Corefile (cmd/kubeadm/app/phases/addons/dns/manifests.go ``CoreDNSConfigMap``)::

    .:53 {
        kubernetes cluster.local in-addr.arpa ip6.arpa {
           pods insecure
           fallthrough in-addr.arpa ip6.arpa
           ttl 30
        }
        forward . /etc/resolv.conf
    }

On start it list+watches **Services**, **Endpoints** and **Namespaces** (and **Pods** with
``pods verified`` only — plugin/kubernetes/kubernetes.go ``initPodCache``) as the
ServiceAccount ``kube-system/coredns`` (kubeadm's ``system:coredns`` ClusterRole grants
exactly list/watch on these; see :mod:`.addon`). Upstream watches EndpointSlices when the
API serves ``discovery.k8s.io/v1`` and falls back to Endpoints otherwise
(``endpointSliceSupported``); k8score serves Endpoints only, so Endpoints it is.

It answers (:mod:`.records`) once its informers have synced, or 5 s after start whatever
they hold ("starting server with unsynced Kubernetes API", plugin/kubernetes/kubernetes.go
``InitKubeCache``). Stopped, it answers nothing: clients time out. Names outside the
cluster zone go to ``forward``: the simulation has no Internet, so only the names given in
``external`` (``{"example.com": ["93.184.215.14"]}``) resolve; the rest are NXDOMAIN.
Not modelled: ``cache 30`` (answers always reflect the informers), ``loadbalance`` (A
records keep endpoint order), ``autopath``.

This component is the *engine*; the sockets belong to the pods of kubeadm's ``coredns``
Deployment (:mod:`.addon`), whose program (:mod:`k8score.container.images.coredns`) listens on
UDP/TCP 53, ``:8080/health``, ``:8181/ready`` and ``:9153/metrics`` and hands every question
to :meth:`handle` (reached as ``proc.net.network.dns``). A query to the ``kube-dns`` Service
IP reaches a pod through kube-proxy's DNAT like any Service traffic; stopping this component
makes the pods' ``/ready`` fail, so they leave the Service's endpoints.

>>> dns = CoreDNS(c.loop, c.apiserver); dns.start()                 # doctest: +SKIP
>>> dns.query("kubernetes.default.svc.cluster.local").addresses()   # doctest: +SKIP
['10.96.0.1']
"""

from __future__ import annotations

from typing import Any

from ..client import Client, SharedInformerFactory
from ..client.worker import ErrorLog
from ..container.net import DnsQuery, DnsRecord, DnsReply
from ..lang import Text
from ..sim import Component
from .records import KUBEADM_TTL, KubernetesZone

#: kubeadm's ServiceAccount for the CoreDNS Deployment (``serviceAccountName: coredns``).
COREDNS_USER = "system:serviceaccount:kube-system:coredns"
#: plugin/kubernetes/kubernetes.go InitKubeCache: ``timeout := 5 * time.Second``.
SYNC_TIMEOUT = 5.0


class CoreDNS(Component):
    kind = "coredns"
    plane = "addon"
    watches = ("services", "endpoints", "namespaces")
    writes = ()
    summary = Text("集群 DNS：监听 Service、Endpoints 和 Namespace，回答 <svc>.<ns>.svc.cluster.local 等名字的查询",
                   "Cluster DNS: watches Services, Endpoints and Namespaces and answers queries for names such as <svc>.<ns>.svc.cluster.local")

    def __init__(self, loop: Any, api: Any, name: str = "coredns", *, zone: str = "cluster.local",
                 pod_mode: str = "insecure", ttl: int = KUBEADM_TTL, user: str = COREDNS_USER,
                 external: dict[str, list[str]] | None = None):
        super().__init__(name, loop)
        self.api = api
        self.user = user
        self.plugin = KubernetesZone(zone, pod_mode=pod_mode, ttl=ttl)
        self.external = {k.rstrip(".").lower(): list(v) for k, v in (external or {}).items()}
        self.errors = ErrorLog(loop, name)
        #: Every question answered, oldest first (bounded): ``(time, src, name, qtype, rcode)``.
        self.log: list[tuple[float, str, str, str, str]] = []
        self.factory: SharedInformerFactory | None = None
        self.services: Any = None
        self.endpoints: Any = None
        self.namespaces: Any = None
        self.pods: Any = None
        self._serving = False

    # -- lifecycle ----------------------------------------------------------------------
    def on_start(self) -> None:
        self.factory = SharedInformerFactory(Client(self.api, user=self.user), self.loop)
        self.services = self.factory.informer("services")
        self.endpoints = self.factory.informer("endpoints")
        self.namespaces = self.factory.informer("namespaces")
        self.pods = None
        if self.plugin.pod_mode == "verified":
            self.pods = self.factory.informer("pods")
            self.pods.add_indexer("podIP", _pod_ips)
        for inf in self.factory.informers():
            inf.errors = self.errors
        self._serving = False
        self.factory.start()
        self.call_later(SYNC_TIMEOUT, self._start_unsynced)

    def on_stop(self) -> None:
        self._serving = False
        if self.factory is not None:
            self.factory.stop()

    def _start_unsynced(self) -> None:
        if not self._serving and not self.factory.has_synced:
            self.errors.error("plugin/kubernetes: starting server with unsynced Kubernetes API")
        self._serving = True

    @property
    def ready(self) -> bool:
        """Answering queries: running, and synced (or past the 5 s wait)."""
        if not self.running or self.factory is None:
            return False
        if not self._serving and self.factory.has_synced:
            self._serving = True
        return self._serving

    # -- DNS -------------------------------------------------------------------------------
    def query(self, name: str, qtype: str = "A", src_ip: str = "") -> DnsReply | None:
        """Answer one question; None when not serving (the client sees a timeout)."""
        if not self.ready:
            return None
        q = DnsQuery(name, qtype, src_ip)
        try:
            reply = self._answer(q)
        except Exception as exc:  # noqa: BLE001 - an object CoreDNS cannot read answers SERVFAIL
            # plugin/errors: the plugin chain's error is logged and the client gets SERVFAIL
            self.errors.handle(f"[ERROR] plugin/errors: 2 {q.name}. {q.qtype}: unreadable Kubernetes object", exc)
            reply = DnsReply(q.name, q.qtype, rcode="SERVFAIL")
        self.log.append((self.loop.now, src_ip, q.name, q.qtype, reply.rcode))
        if len(self.log) > 1000:
            del self.log[:200]
        return reply

    def handle(self, q: DnsQuery) -> DnsReply | None:
        """What a coredns pod's UDP/TCP-53 socket does with a question (its program calls this)."""
        return self.query(q.name, q.qtype, q.src_ip)

    def _answer(self, q: DnsQuery) -> DnsReply:
        if self.plugin.handles(q.name):
            return self.plugin.answer(self, q.name, q.qtype)
        if q.qtype == "PTR":
            hit = self.plugin.reverse(self, q.name)
            if hit is not None:
                return hit
        # forward . /etc/resolv.conf — the world outside the cluster
        reply = DnsReply(q.name, q.qtype)
        ips = self.external.get(q.name.lower())
        if ips is None:
            reply.rcode = "NXDOMAIN"
        elif q.qtype in ("A", "AAAA"):
            reply.answers = [DnsRecord(q.name, q.qtype, KUBEADM_TTL, ip) for ip in ips
                             if (":" in ip) == (q.qtype == "AAAA")]
        return reply

    def metrics_text(self) -> str:
        """plugin/metrics' ``coredns_dns_responses_total`` by rcode, over the engine's log."""
        counts: dict[str, int] = {}
        for _t, _src, _name, _qt, rcode in self.log:
            counts[rcode] = counts.get(rcode, 0) + 1
        lines = ["# TYPE coredns_dns_responses_total counter"]
        lines += [f'coredns_dns_responses_total{{rcode="{rc}",server="dns://:53",zone="."}} {n}'
                  for rc, n in sorted(counts.items())]
        return "\n".join(lines) + "\n"

    # -- ClusterView (records.py reads the informers through these) -------------------------
    def service(self, namespace: str, name: str) -> dict | None:
        return self.services.get(f"{namespace}/{name}") if self.services is not None else None

    def endpoints_of(self, namespace: str, name: str) -> dict | None:
        return self.endpoints.get(f"{namespace}/{name}") if self.endpoints is not None else None

    def namespace_exists(self, namespace: str) -> bool:
        return self.namespaces is not None and self.namespaces.get(namespace) is not None

    def pods_with_ip(self, ip: str) -> list[dict]:
        return self.pods.by_index("podIP", ip) if self.pods is not None else []

    def all_services(self) -> list[dict]:
        return self.services.list() if self.services is not None else []

    def all_endpoints(self) -> list[dict]:
        return self.endpoints.list() if self.endpoints is not None else []


def _pod_ips(pod: dict) -> list[str]:
    status = pod.get("status") or {}
    ips = [p.get("ip") for p in status.get("podIPs") or () if p.get("ip")]
    return ips or ([status["podIP"]] if status.get("podIP") else [])
