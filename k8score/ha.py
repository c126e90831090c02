"""An HA control plane: several API servers behind a load balancer, leader-elected
schedulers and controller managers (``Cluster(control_planes=3)``).

The layout is kubeadm's "stacked etcd" HA topology (kubeadm docs, "Options for Highly
Available Topology"): control plane ``i`` runs ``etcd-i``, ``kube-apiserver-i`` (its etcd
client pinned to the local member: ``--etcd-servers=https://127.0.0.1:2379``), and
``kube-scheduler-i`` / ``kube-controller-manager-i``, which talk to the *local* API server
``kube-apiserver-i`` (kubeadm's scheduler.conf / controller-manager.conf use the
LocalAPIEndpoint since 1.19, kubernetes/kubernetes#94398) and campaign for their Lease
(:mod:`k8score.leaderelection`): a leader whose API server stops cannot renew, gives up within
RenewDeadline, and a replica on another control plane takes over once the Lease expires.
Everything else — kubelets, kube-proxies, add-ons, the reader's ``c.api`` / ``c.kubectl`` —
goes through the load balancer (``--control-plane-endpoint``).

:class:`APIServerLB` is that load balancer as clients see it — it stands wherever one API
server stood (``Client(lb)``): a request goes to the backend the balancer is on — the first
healthy one (a TCP health check: the process runs) — and stays there (an HTTP/2 connection
sticks to its backend); when that backend stops, the next request goes to the next healthy
one. Watches opened on a stopped backend end (its watch cache closes them) and the informers
re-list / re-watch through the balancer (client-go's reflector), landing on a healthy one.
With every backend down kubectl's connection is refused.

What the API servers share is what upstream keeps in etcd: the Service IP / NodePort
allocations (one allocator here); things a process is told at start (webhook servers, the
kubelets' addresses, aggregated APIs) are registered on every backend; CustomResourceDefinitions
are served by every server (:class:`CRDServing`).
"""

from __future__ import annotations

from typing import Any

from .apiserver import APIServer
from .leaderelection import LeaderElected


class _FanOut:
    """A per-backend registry seen as one: registrations go to every backend, reads to the
    balancer's current backend."""

    def __init__(self, lb: "APIServerLB", attr: str):
        self._lb = lb
        self._attr = attr

    def register(self, *args: Any, **kw: Any) -> Any:
        out = None
        for s in self._lb.servers:
            out = getattr(s, self._attr).register(*args, **kw)
        return out

    def unregister(self, *args: Any, **kw: Any) -> Any:
        out = None
        for s in self._lb.servers:
            out = getattr(s, self._attr).unregister(*args, **kw)
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(getattr(self._lb.backend, self._attr), name)


#: The load balancer's address (kubeadm's --control-plane-endpoint): what kubectl dials. The
#: control planes are 192.168.0.10..12 (their etcd peer URLs), the balancer just below them.
CONTROL_PLANE_ENDPOINT = "192.168.0.9"


class APIServerLB:
    """The control-plane endpoint in front of ``servers`` (API servers on one loop)."""

    kind = "load-balancer"
    advertise_address = CONTROL_PLANE_ENDPOINT

    def __init__(self, loop: Any, servers: list[APIServer]):
        if not servers:
            raise ValueError("a load balancer needs at least one API server")
        self.loop = loop
        self.servers = list(servers)
        self._pin = 0
        #: each server serves the CRDs any of them stored
        self.crds = CRDServing(loop, self.servers)
        self.registry = _FanOut(self, "registry")
        self.kubelets = _FanOut(self, "kubelets")
        self.webhooks = _FanOut(self, "webhooks")
        #: ``(virtual time, backend name)`` each time the balancer moved to another backend.
        self.failovers: list[tuple[float, str]] = []

    @property
    def backend(self) -> APIServer:
        """The API server requests go to now (the current one while it runs, else the next
        running one; the current one when none runs, which then answers 503 — kubectl
        reports the balancer's connection refused)."""
        n = len(self.servers)
        for i in range(n):
            s = self.servers[(self._pin + i) % n]
            if s.running:
                if i:
                    self._pin = (self._pin + i) % n
                    self.failovers.append((self.loop.now, s.name))
                return s
        return self.servers[self._pin]

    # -- what a Client and the cluster use of an API server ------------------------------------
    def serve(self, req: Any) -> Any:
        return self.backend.serve(req)

    def handle(self, request: dict) -> dict:
        return self.backend.handle(request)

    def authorize_path(self, *args: Any, **kw: Any) -> Any:
        return self.backend.authorize_path(*args, **kw)

    @property
    def last_trace(self) -> Any:
        return self.servers[self._pin].last_trace

    @property
    def running(self) -> bool:
        return any(s.running for s in self.servers)

    def start(self) -> None:
        """Start every backend that is not running (the cluster's boot)."""
        for s in self.servers:
            s.start()

    def __getattr__(self, name: str) -> Any:
        # lister, traces, audit, store, cachers...: the current backend's
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.backend, name)

    def __repr__(self) -> str:
        return f"<APIServerLB backends={[s.name for s in self.servers]} on={self.servers[self._pin].name}>"


#: How often each API server reconciles the custom resources it serves with the stored
#: CustomResourceDefinitions (upstream: the apiextensions-apiserver's CRD informer, per server).
CRD_SYNC_PERIOD = 1.0


class CRDServing:
    """Every API server serves every Established CRD, whichever server created it.

    The server that handles a CRD's write serves it at once (its strategy hooks); the
    others catch up within :data:`CRD_SYNC_PERIOD` from their own watch cache, as each
    upstream API server's apiextensions handler follows its CRD informer. A restarted server
    restores the stored CRDs at start (``restore``) before it answers."""

    def __init__(self, loop: Any, servers: list[APIServer]):
        self.servers = servers
        self._seen: dict[tuple[str, str], tuple[int, Any]] = {}   # (server, crd) -> (generation, strategy)
        loop.every(CRD_SYNC_PERIOD, self.sync, owner="kube-apiserver/apiextensions")

    def sync(self) -> None:
        from .apiserver.registry.crd import established, serve, storage_version, unserve
        for s in self.servers:
            if not s.running:
                continue
            served = {st.crd_name: st for st in s.registry.strategies() if hasattr(st, "crd_name")}
            stored = {}
            for crd in s.lister.list("customresourcedefinitions"):
                try:
                    if established(crd) and storage_version(crd) is not None:
                        stored[crd["metadata"]["name"]] = crd
                except (KeyError, TypeError, AttributeError, ValueError):
                    continue   # a CRD that does not decode is served by nobody
            for name, crd in stored.items():
                gen, st = crd["metadata"].get("generation"), served.get(name)
                seen = self._seen.get((s.name, name))
                if st is None or (seen is not None and seen[1] is st and seen[0] != gen):
                    serve(s, crd)
                    st = next((x for x in s.registry.strategies() if getattr(x, "crd_name", None) == name), None)
                self._seen[(s.name, name)] = (gen, st)
            for name in sorted(served.keys() - stored.keys()):
                unserve(s, {"metadata": {"name": name}})
                self._seen.pop((s.name, name), None)


class ControlPlaneAPIServer(APIServer):
    """``kube-apiserver-i`` of an HA control plane: an API server that also keeps its IP in the
    ``kubernetes`` Service's endpoints through a master lease
    (:class:`~k8score.apiserver.masterleases.KubernetesServiceController`, upstream's default
    ``--endpoint-reconciler-type=lease``). :meth:`stop` is a crash (the lease expires after
    15 s); :meth:`shutdown` is SIGTERM (it removes its lease first)."""

    def __init__(self, *args: Any, **kw: Any):
        super().__init__(*args, **kw)
        from .apiserver.masterleases import KubernetesServiceController
        #: the kubernetes-service controller of this server (``.log``: its klog lines)
        self.kubernetes_service = KubernetesServiceController(self, self.advertise_address)

    def on_start(self) -> None:
        super().on_start()
        self.kubernetes_service.start()

    def shutdown(self) -> None:
        """Graceful termination (the kubelet's SIGTERM): the pre-shutdown hook removes this
        server's endpoint (controller.go Stop), then the server stops."""
        if self.running:
            self.kubernetes_service.stop()
            self.stop()


def build_apiservers(loop: Any, etcd_cluster: Any, count: int, seed: int) -> list[APIServer]:
    """``kube-apiserver-1..N``, each over an etcd client pinned to ``etcd-i``, sharing the
    Service allocations (upstream's allocation bitmaps live in etcd)."""
    servers = [ControlPlaneAPIServer(loop, etcd_cluster.client(f"etcd-{i}"),
                         seed=seed if i == 1 else f"{seed}/{i}",   # distinct uid streams
                         name=f"kube-apiserver-{i}", advertise_address=f"192.168.0.{9 + i}")
               for i in range(1, count + 1)]
    for s in servers[1:]:
        s.services = servers[0].services
    return servers


def hostname(i: int) -> str:
    """Control plane ``i``'s machine name (the first part of each holder identity)."""
    return f"control-plane-{i}"


def leader_elected(loop: Any, apis: list, inners: list, component: str, seed: int) -> list[LeaderElected]:
    """Wrap ``inners`` (one per control plane) as ``<component>-1..N`` campaigning for the Lease
    ``kube-system/<component>``, replica ``i`` through ``apis[i]`` (its local API server)."""
    user, source = {"kube-scheduler": ("system:kube-scheduler", "default-scheduler"),
                    "kube-controller-manager": ("system:kube-controller-manager",
                                                "kube-controller-manager")}[component]
    out = []
    for i, inner in enumerate(inners, start=1):
        inner.name = f"{component}-{i}"   # its timers and error log carry the replica's name
        profiles = getattr(inner, "profiles", None)
        if profiles:   # cmd/kube-scheduler/app/options: events as the first profile's schedulerName
            source = profiles[0].scheduler_name
        out.append(LeaderElected(loop, apis[i - 1], inner, name=f"{component}-{i}", lock_name=component,
                                 hostname=hostname(i), user=user, event_component=source, seed=seed))
    return out


def active(components: list[LeaderElected]) -> list[str]:
    """The replicas whose work runs now (at most one, the leader)."""
    return [c.name for c in components if c.running and c.leading]
