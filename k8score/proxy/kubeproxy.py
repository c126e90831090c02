"""kube-proxy: turns Services and their endpoints into this node's packet rules.

``KubeProxy(loop, api, "node-1")`` is the component ``kube-proxy/node-1`` (plane
``node``), in iptables mode (pkg/proxy/iptables/proxier.go). On start it

- list+watches **Services** and **EndpointSlices** (``discovery.k8s.io/v1``, what kube-proxy
  reads since 1.21; :mod:`.endpointslices`), both through informers filtered like
  upstream's (cmd/kube-proxy/app/server.go: ``!service.kubernetes.io/service-proxy-name``
  — Services another proxy implements — and ``!service.kubernetes.io/headless``; slices of
  any ``endpointslice.kubernetes.io/managed-by``), and its own **Node** (its addresses:
  ``--dst-type LOCAL`` is how NodePorts match). While the API server does not serve
  EndpointSlices it falls back to Endpoints objects (see :attr:`KubeProxy.endpoints_resource`);
- tracks changes like ``ServiceChangeTracker`` / ``EndpointsChangeTracker``: a change
  that leaves the service-port map or the endpoint list as it was (a status update, a
  resync) is dropped and causes no sync;
- waits until both informers have synced ("Not syncing iptables until Services and
  Endpoints have been received from master"), then syncs once — a **full** sync;
- re-syncs through a :class:`~.runner.BoundedFrequencyRunner`: at most 2 syncs in a burst,
  then one per ``minSyncPeriod`` (1 s), and at least every ``syncPeriod`` (30 s).

Every sync computes the whole ruleset (:func:`~.iptables.generate`) but hands
``iptables-restore --noflush`` only what changed: the fixed chains always, the chains of
Services whose Service or endpoints changed since the last sync, and ``-X`` for service
chains no longer used (upstream's partial sync; a full sync — the first, and one per
hour, ``proxyutil.FullSyncPeriod`` — writes every chain and re-checks the jump rules).
:attr:`KubeProxy.tables` is the node's netfilter state that results; :meth:`rules`
prints it as ``iptables-save``, :meth:`restore_input` shows the last sync's input, and
:attr:`sync_log` says what each sync wrote. (Upstream also records one ``Starting``
Event for the node at start-up; not modelled.) Stopped, it leaves the rules in place —
traffic keeps flowing to the endpoints of the last sync.

>>> p = KubeProxy(c.loop, c.apiserver, "node-1"); p.start()      # doctest: +SKIP
>>> print(p.rules()); print(p.trace("10.244.1.5", "10.96.0.20", 80))  # doctest: +SKIP
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from ..client import Client, SharedInformerFactory
from ..client.meta import key_func
from ..client.worker import ErrorLog
from ..sim import Component
from .endpointslices import endpoint_slices_map, service_of
from .iptables import DEFAULT_CLUSTER_CIDR, MASQUERADE_BIT, generate, install_jumps, is_service_chain
from .ruleset import RuleSet
from .runner import BoundedFrequencyRunner
from .servicemap import endpoints_map, service_ports
from .tables import NodeTables
from .trace import Trace, trace

# pkg/proxy/apis/config/v1alpha1/defaults.go: IPTables.SyncPeriod 30s, IPTables.MinSyncPeriod 1s.
# (Recent upstream uses syncPeriod to check a canary chain and re-syncs fully only hourly;
# with nothing here to flush the rules behind kube-proxy's back, we simply re-sync.)
SYNC_PERIOD = 30.0
MIN_SYNC_PERIOD = 1.0
# pkg/proxy/iptables/proxier.go: burstSyncs := 2
BURST_SYNCS = 2
# pkg/proxy/util/utils.go: FullSyncPeriod = 1 * time.Hour — a partial sync otherwise
FULL_SYNC_PERIOD = 3600.0
# cmd/kube-proxy/app/server.go: noProxyName / noHeadlessEndpoints label requirements
# (k8s.io/api/core/v1 well_known_labels.go: LabelServiceProxyName, IsHeadlessService)
INFORMER_LABEL_SELECTOR = "!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless"
#: Entries kept in :attr:`KubeProxy.sync_log`.
_SYNC_LOG_SIZE = 200


@dataclass(frozen=True)
class SyncRecord:
    """One ``syncProxyRules`` run: when, why, what it wrote, and how big the result is."""

    time: float
    reasons: tuple[str, ...]
    services: int          # service ports programmed
    endpoints: int         # endpoints known (all service ports, ready or not)
    ready_endpoints: int   # of which ready: the ones traffic is sent to
    filter_rules: int      # rules now in the node's tables (kube-proxy's and the jumps)
    nat_rules: int
    nat_chains: int
    full: bool = True                 # a full sync: every service chain rewritten
    rewritten: tuple[str, ...] = ()   # Services (ns/name) whose chains this sync wrote
    restore_lines: int = 0            # lines handed to iptables-restore
    deleted_chains: int = 0           # stale KUBE-SVC/SEP/... chains removed (-X)

    def __str__(self) -> str:
        why = "; ".join(self.reasons) or "no change"
        kind = "full" if self.full else f"partial, {len(self.rewritten)} services rewritten"
        return (f"{self.time:8.3f}s  sync: {self.services} service ports, {self.endpoints} endpoints "
                f"({self.ready_endpoints} ready) -> "
                f"{self.filter_rules} filter + {self.nat_rules} nat rules, {self.nat_chains} nat chains  "
                f"[{kind}; {self.restore_lines} lines restored]  ({why})")


class KubeProxy(Component):
    kind = "kube-proxy"
    plane = "node"
    watches = ("services", "endpointslices", "nodes")
    writes = ()
    summary = "每个节点上的网络代理：监听 Service 和 EndpointSlice，把它们翻译成本节点的 iptables 规则，让发往 ClusterIP/NodePort 的流量被 DNAT 到某个就绪的 Pod"

    def __init__(self, loop: Any, api: Any, node_name: str, mode: str = "iptables", *,
                 cluster_cidr: str | None = DEFAULT_CLUSTER_CIDR, sync_period: float = SYNC_PERIOD,
                 min_sync_period: float = MIN_SYNC_PERIOD, masquerade_all: bool = False,
                 masquerade_bit: int = MASQUERADE_BIT, localhost_nodeports: bool = True,
                 endpoints_resource: str | None = None):
        if mode != "iptables":
            raise ValueError(f'unsupported proxy mode "{mode}": k8score implements "iptables" only')
        super().__init__(f"kube-proxy/{node_name}", loop)
        self.api = api
        self.node_name = node_name
        self.mode = mode
        self.cluster_cidr = cluster_cidr
        self.masquerade_all = masquerade_all
        self.masquerade_bit = masquerade_bit
        self.localhost_nodeports = localhost_nodeports
        #: The node's netfilter state (survives kube-proxy restarts, like the kernel's).
        self.tables = NodeTables()
        #: What endpoints are read from: "endpointslices" (upstream), or "endpoints" while this
        #: build has no EndpointSlice controller to write slices. ``None``: decided at start.
        self.endpoints_resource = endpoints_resource
        self._endpoints_choice = endpoints_resource
        self._restore_input = ""
        self._last_full: float | None = None
        self.sync_period = sync_period
        self.min_sync_period = min_sync_period
        #: Every sync, oldest first (bounded): see :class:`SyncRecord`.
        self.sync_log: list[SyncRecord] = []
        #: ``-m recent`` state for ClientIP session affinity: ``(KUBE-SEP chain, client) -> time``.
        self.recent: dict[tuple[str, str], float] = {}
        #: Seeded from the loop: traces without an explicit rng are reproducible per seed.
        self.rng = random.Random(loop.rng.getrandbits(32))
        self.client: Client | None = None
        self.factory: SharedInformerFactory | None = None
        self.services: Any = None
        self.endpoints: Any = None
        self.nodes: Any = None
        #: Services/Endpoints it could not read (left out of the rules), kept across restarts.
        self.errors = ErrorLog(loop, self.name)
        self._runner = BoundedFrequencyRunner(self, self._sync, min_sync_period, sync_period, BURST_SYNCS)
        # what changed since the last sync: object -> (its state at the last sync, why)
        self._pending: dict[str, tuple[Any, str]] = {}
        self._ruleset: RuleSet | None = None
        self._initialized = False
        self._init_scheduled = False

    # -- lifecycle ----------------------------------------------------------------------
    def on_start(self) -> None:
        self.client = Client(self.api, user="system:serviceaccount:kube-system:kube-proxy")
        self.factory = SharedInformerFactory(self.client, self.loop)
        self.endpoints_resource = self._endpoints_choice or _endpoints_source(self.api)
        self.services = self.factory.informer("services", label_selector=INFORMER_LABEL_SELECTOR)
        self.endpoints = self.factory.informer(self.endpoints_resource, label_selector=INFORMER_LABEL_SELECTOR)
        self.nodes = self.factory.informer("nodes", field_selector=f"metadata.name={self.node_name}")
        self.services.errors = self.endpoints.errors = self.nodes.errors = self.errors
        self.services.add_event_handler(
            on_add=lambda s: self._changed("Service", None, s),
            on_update=lambda o, n: self._changed("Service", o, n),
            on_delete=lambda s: self._changed("Service", s, None))
        kind = "EndpointSlice" if self.endpoints_resource == "endpointslices" else "Endpoints"
        self.endpoints.add_event_handler(
            on_add=lambda e: self._changed(kind, None, e),
            on_update=lambda o, n: self._changed(kind, o, n),
            on_delete=lambda e: self._changed(kind, e, None))
        self._initialized = False
        self._init_scheduled = True   # on_start checks once the informers have listed
        self._pending = {}
        self._runner.start()
        self.factory.start()
        self._maybe_initialize()

    def on_stop(self) -> None:
        # The rules stay in the kernel: traffic keeps flowing to the endpoints of the last
        # sync — stale ones included — until kube-proxy is back.
        if self.factory is not None:
            self.factory.stop()

    # -- public ---------------------------------------------------------------------------
    def rules(self, table: str | None = None) -> str:
        """The node's current rules as ``iptables-save`` prints them (filter + nat, or
        ``iptables-save -t <table>``); empty before the first sync."""
        if self._last_full is None:
            return ""
        return self.tables.save(table) if table else self.tables.save()

    def restore_input(self) -> str:
        """What the last sync handed to ``iptables-restore --noflush``."""
        return self._restore_input

    def ruleset(self) -> RuleSet:
        """The current rules parsed (lazily, per chain) for the tracer."""
        if self._ruleset is None:
            self._ruleset = RuleSet.parse(self.rules())
        return self._ruleset

    def local_ips(self) -> list[str]:
        """This node's addresses (from its Node object), for ``--dst-type LOCAL``."""
        node = self.nodes.get(self.node_name) if self.nodes is not None else None
        addrs = ((node or {}).get("status") or {}).get("addresses") or ()
        return [a["address"] for a in addrs if a.get("type") in ("InternalIP", "ExternalIP")]

    def trace(self, src_ip: str, dst_ip: str, dst_port: int, protocol: str = "TCP",
              rng: random.Random | None = None) -> Trace:
        """Follow a new connection through this node's rules (see :func:`.trace.trace`)."""
        return trace(self, src_ip, dst_ip, dst_port, protocol, rng or self.rng)

    @property
    def initialized(self) -> bool:
        return self._initialized

    # -- change tracking ----------------------------------------------------------------------
    def _changed(self, kind: str, old: dict | None, new: dict | None) -> None:
        """ServiceChangeTracker / EndpointsChangeTracker ``Update``.

        Changes to one object accumulate: ``previous`` is its state at the last sync,
        ``current`` its latest. When they are equal (a status-only update, or an add and
        a delete between two syncs) nothing is pending for it and no sync is asked for.
        """
        obj = new if new is not None else old
        key = f"{kind} {key_func(obj)}"
        pending = self._pending.get(key)
        previous = pending[0] if pending is not None else self._distil(kind, old)
        current = self._distil(kind, new)
        if previous == current:
            self._pending.pop(key, None)
            return
        verb = "added" if old is None else "deleted" if new is None else "updated"
        self._pending[key] = (previous, f"{key} {verb}" if pending is None else f"{key} changed",
                              _service_key(kind, obj))
        if self._initialized:
            self._runner.run()
        elif not self._init_scheduled:  # an informer synced late (the API server was down)
            self._init_scheduled = True
            self.call_soon(self._maybe_initialize)

    def _distil(self, kind: str, obj: dict | None) -> Any:
        """What kube-proxy keeps of an object: its service ports, or its endpoints."""
        if obj is None:
            return [] if kind == "Service" else {}
        # The one place a broken object is logged (once per change); syncs skip it quietly.
        def unreadable(o: dict, exc: Exception) -> None:
            self.errors.handle(f"skipping {kind} {key_func(o)}", exc)

        if kind == "Service":
            return service_ports([obj], on_error=unreadable)
        if kind == "EndpointSlice":
            return endpoint_slices_map([obj], self.node_name, on_error=unreadable)
        return endpoints_map([obj], self.node_name, on_error=unreadable)

    def _maybe_initialize(self) -> None:
        self._init_scheduled = False
        if self._initialized or not (self.services.has_synced and self.endpoints.has_synced):
            return
        # OnServiceSynced / OnEndpointSlicesSynced: sync unconditionally, once.
        self._initialized = True
        self._pending["initial"] = (None, "informers synced", None)
        self._sync("initial")

    # -- sync -------------------------------------------------------------------------------
    def _sync(self, reason: str) -> None:
        if not self._initialized:  # e.g. the periodic run while the API server was down
            self._maybe_initialize()
            return
        now = self.loop.now
        full = self._last_full is None or now - self._last_full >= FULL_SYNC_PERIOD
        sps = service_ports(self.services.list(), on_error=_skip)
        if self.endpoints_resource == "endpointslices":
            epmap = endpoint_slices_map(self.endpoints.list(), self.node_name, on_error=_skip)
        else:
            epmap = endpoints_map(self.endpoints.list(), self.node_name, on_error=_skip)
        rin = generate(sps, epmap, cluster_cidr=self.cluster_cidr, masquerade_all=self.masquerade_all,
                       masquerade_bit=self.masquerade_bit, localhost_nodeports=self.localhost_nodeports,
                       node_ip=next(iter(self.local_ips()), None))
        changed = {svc for _, _, svc in self._pending.values() if svc}
        # Services whose chains this sync (re)wrote — possibly to nothing (no endpoints, deleted)
        rewritten = sorted({sp.service_name for sp in sps} if full else changed)
        # Chains to delete: ours (isServiceChainName) that this sync no longer wants.
        stale = [c for c in self.tables.user_chains("nat") if is_service_chain(c) and c not in rin.active_nat_chains]
        if full:
            install_jumps(self.tables)  # EnsureChain + EnsureRule(Prepend): full syncs only
        self._restore_input = rin.text(None if full else changed, stale)
        self.tables.restore(self._restore_input)
        if full:
            self._last_full = now
        self._ruleset = None
        reasons = tuple(why for _, why, _ in self._pending.values()) or (reason,)
        self._pending = {}
        self.sync_log.append(SyncRecord(
            time=now, reasons=reasons, services=len(sps),
            endpoints=sum(len(v) for v in epmap.values()),
            ready_endpoints=sum(1 for v in epmap.values() for e in v if e.ready),
            filter_rules=self.tables.rule_count("filter"), nat_rules=self.tables.rule_count("nat"),
            nat_chains=len(self.tables.user_chains("nat")), full=full, rewritten=tuple(rewritten),
            restore_lines=self._restore_input.count("\n"), deleted_chains=len(stale)))
        if len(self.sync_log) > _SYNC_LOG_SIZE:
            del self.sync_log[: len(self.sync_log) - _SYNC_LOG_SIZE]


def _service_key(kind: str, obj: dict) -> str | None:
    """The Service (``ns/name``) a changed object belongs to: whose chains a partial sync rewrites."""
    meta = obj.get("metadata") or {}
    if kind == "EndpointSlice":
        try:
            return service_of(obj)
        except (ValueError, TypeError):
            return None
    return f"{meta.get('namespace') or 'default'}/{meta.get('name', '')}"


def _endpoints_source(api: Any) -> str:
    """"endpointslices" when the API server serves them and kube-controller-manager has an
    EndpointSlice controller to write them; "endpoints" otherwise (transitional: until
    both exist, slices would stay empty and every Service would REJECT)."""
    from ..controllers.manager import CONTROLLERS  # late: the manager imports much
    registry = getattr(api, "registry", None)
    try:
        served = registry is not None and registry.resolve("endpointslices") is not None
    except Exception:  # noqa: BLE001 - not found, however the table says it
        served = False
    return "endpointslices" if served and "endpointslice" in CONTROLLERS else "endpoints"


def _skip(obj: dict, exc: Exception) -> None:
    """Left out of a sync: :meth:`KubeProxy._distil` logged it when it changed."""
