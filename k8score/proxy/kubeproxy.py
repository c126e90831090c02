"""kube-proxy: turns Services and their endpoints into this node's packet rules.

``KubeProxy(loop, api, "node-1", mode="iptables")`` is the component ``kube-proxy/node-1``
(plane ``node``) in one of upstream's Linux modes (``--proxy-mode``):

- ``"iptables"`` (the default; pkg/proxy/iptables/proxier.go): :meth:`rules` is the
  node's ``iptables-save``;
- ``"ipvs"`` (pkg/proxy/ipvs/proxier.go; ``ipvs_scheduler`` is ``--ipvs-scheduler``,
  default ``rr``): :mod:`.ipvs` — virtual servers (:meth:`ipvsadm`), ``kube-ipvs0``
  (:meth:`ip_addr`), ipsets (:meth:`ipset_list`) and the few iptables rules left
  (:meth:`rules`). **Deprecated upstream in 1.35** (KEP-5495, kubernetes/kubernetes#134539;
  CHANGELOG-1.35: "Marked ipvs mode in kube-proxy as deprecated, which will be removed in a
  future version of Kubernetes. Users are encouraged to migrate to nftables"): it never
  reached parity with the other modes and the kernel's IPVS is little maintained; at start
  kube-proxy logs :data:`IPVS_DEPRECATION` (cmd/kube-proxy/app/server_linux.go);
- ``"nftables"`` (pkg/proxy/nftables/proxier.go, GA in 1.33): :mod:`.nftables` — the
  ``ip kube-proxy`` table (:meth:`nft_list_ruleset`).

(The ``userspace`` mode was removed in 1.26.) On start it

- list+watches **Services** and **EndpointSlices** (``discovery.k8s.io/v1``, what kube-proxy
  reads since 1.21; :mod:`.endpointslices`), both through informers filtered like
  upstream's (cmd/kube-proxy/app/server.go: ``!service.kubernetes.io/service-proxy-name``
  — Services another proxy implements — and ``!service.kubernetes.io/headless``; slices of
  any ``endpointslice.kubernetes.io/managed-by``), and its own **Node** (its addresses:
  ``--dst-type LOCAL`` is how NodePorts match). While the API server does not serve
  EndpointSlices (written by kube-controller-manager's EndpointSlice controllers);
- tracks changes like ``ServiceChangeTracker`` / ``EndpointsChangeTracker``: a change
  that leaves the service-port map or the endpoint list as it was (a status update, a
  resync) is dropped and causes no sync;
- waits until both informers have synced ("Not syncing iptables until Services and
  Endpoints have been received from master"), then syncs once — a **full** sync;
- re-syncs through a :class:`~.runner.BoundedFrequencyRunner`: at most 2 syncs in a burst,
  then one per ``minSyncPeriod`` (1 s), and at least every ``syncPeriod`` (30 s).

In iptables mode every sync computes the whole ruleset (:func:`~.iptables.generate`) but hands
``iptables-restore --noflush`` only what changed: the fixed chains always, the chains of
Services whose Service or endpoints changed since the last sync, and ``-X`` for service
chains no longer used (upstream's partial sync; a full sync — the first, and one per
hour, ``proxyutil.FullSyncPeriod`` — writes every chain and re-checks the jump rules).
:attr:`KubeProxy.tables` is the node's netfilter state that results; :meth:`rules`
prints it as ``iptables-save``, :meth:`restore_input` shows the last sync's input, and
:attr:`sync_log` says what each sync wrote. (Upstream also records one ``Starting``
Event for the node at start-up; not modelled.) Stopped, it leaves the rules in place —
traffic keeps flowing to the endpoints of the last sync. In IPVS and nftables mode every
sync rebuilds the mode's whole state (:func:`~.ipvs.ipvs_state`,
:func:`~.nftables.nftables_table`); :meth:`trace` walks whichever mode is in force.

>>> p = KubeProxy(c.loop, c.apiserver, "node-1"); p.start()      # doctest: +SKIP
>>> print(p.rules()); print(p.trace("10.244.1.5", "10.96.0.20", 80))  # doctest: +SKIP
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass
from typing import Any

from ..client import Client, SharedInformerFactory
from ..client.meta import key_func
from ..client.worker import ErrorLog
from ..lang import Text
from ..sim import Component
from .endpointslices import endpoint_slices_map, service_of
from .iptables import DEFAULT_CLUSTER_CIDR, MASQUERADE_BIT, generate, install_jumps, is_service_chain
from .ipvs import DEFAULT_SCHEDULER, SCHEDULERS, IpvsState, ipvs_state
from .ipvs_print import ip_addr_show, ipset_list, ipvsadm_ln
from .nftables import NftTable, nftables_table
from .nftables_print import list_ruleset
from .ruleset import RuleSet
from .runner import BoundedFrequencyRunner
from .servicemap import service_ports
from .tables import NodeTables
from .trace import trace
from .trace_ipvs import IpvsScheduler, trace_ipvs
from .trace_nft import trace_nft
from .tracefmt import Trace

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
#: cmd/kube-proxy/app/server_linux.go (kubernetes#134539): logged, and recorded as a Warning
#: Event ``IPVSDeprecation``, when kube-proxy starts in IPVS mode.
IPVS_DEPRECATION = ("The ipvs proxier is now deprecated and may be removed in a future release. "
                    "Please use 'nftables' instead.")
#: cmd/kube-proxy/app: the --proxy-mode values on Linux.
MODES = ("iptables", "ipvs", "nftables")
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
    mode: str = "iptables"
    virtual_servers: int = 0          # ipvs: virtual servers, real servers, ipset members
    real_servers: int = 0
    ipset_entries: int = 0
    nft_chains: int = 0               # nftables: chains, rules, map/set elements
    nft_rules: int = 0
    nft_elements: int = 0

    def __str__(self) -> str:
        why = "; ".join(self.reasons) or "no change"
        head = (f"{self.time:8.3f}s  sync: {self.services} service ports, {self.endpoints} endpoints "
                f"({self.ready_endpoints} ready) -> ")
        if self.mode == "ipvs":
            return (head + f"{self.virtual_servers} virtual servers, {self.real_servers} real servers, "
                    f"{self.ipset_entries} ipset members, {self.filter_rules} filter + {self.nat_rules} nat "
                    f"rules  ({why})")
        if self.mode == "nftables":
            return (head + f"{self.nft_chains} nft chains, {self.nft_rules} rules, "
                    f"{self.nft_elements} map/set elements  ({why})")
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
    summary = Text("每个节点上的网络代理：监听 Service 和 EndpointSlice，把它们翻译成本节点的 iptables / IPVS / nftables 规则，让发往 ClusterIP/NodePort 的流量被 DNAT 到某个就绪的 Pod",
                   "The network proxy on every node: watches Services and EndpointSlices and turns them into this node's iptables / IPVS / nftables rules, so traffic to a ClusterIP/NodePort is DNATed to a ready Pod")

    def __init__(self, loop: Any, api: Any, node_name: str, mode: str = "iptables", *,
                 ipvs_scheduler: str = DEFAULT_SCHEDULER,
                 cluster_cidr: str | None = DEFAULT_CLUSTER_CIDR, sync_period: float = SYNC_PERIOD,
                 min_sync_period: float = MIN_SYNC_PERIOD, masquerade_all: bool = False,
                 masquerade_bit: int = MASQUERADE_BIT, localhost_nodeports: bool = True):
        if mode not in MODES:
            # cmd/kube-proxy/app/server_linux.go: an unknown mode is a startup error
            raise ValueError(f'unsupported proxy mode "{mode}": one of {", ".join(MODES)}')
        if ipvs_scheduler not in SCHEDULERS:
            raise ValueError(f'unsupported IPVS scheduler "{ipvs_scheduler}": one of {", ".join(SCHEDULERS)}')
        super().__init__(f"kube-proxy/{node_name}", loop)
        self.ipvs_scheduler = ipvs_scheduler
        #: IPVS mode: the node's IPVS state after the last sync, and the kernel's scheduler state.
        self.ipvs: IpvsState | None = None
        self.ipvs_sched = IpvsScheduler()
        #: nftables mode: the ``ip kube-proxy`` table after the last sync.
        self.nft: NftTable | None = None
        self.api = api
        self.node_name = node_name
        self.mode = mode
        self.cluster_cidr = cluster_cidr
        self.masquerade_all = masquerade_all
        self.masquerade_bit = masquerade_bit
        self.localhost_nodeports = localhost_nodeports
        #: The node's netfilter state (survives kube-proxy restarts, like the kernel's).
        self.tables = NodeTables()
        self._restore_input = ""
        self._last_full: float | None = None
        self.sync_period = sync_period
        self.min_sync_period = min_sync_period
        #: Every sync, oldest first (bounded): see :class:`SyncRecord`.
        self.sync_log: list[SyncRecord] = []
        #: ``-m recent`` state for ClientIP session affinity: ``(KUBE-SEP chain, client) -> time``.
        self.recent: dict[tuple[str, str], float] = {}
        #: Seeded from the loop: traces without an explicit rng are reproducible per seed.
        self._rng: random.Random | int = loop.rng.getrandbits(32)   # seeded now, made when first used
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
    @property
    def rng(self) -> random.Random:
        """Draws of traced packets without their own rng (a 2.5 KB state: made when first needed)."""
        if not isinstance(self._rng, random.Random):
            self._rng = random.Random(self._rng)
        return self._rng

    def on_start(self) -> None:
        self.client = Client(self.api, user="system:serviceaccount:kube-system:kube-proxy")
        self.factory = SharedInformerFactory(self.client, self.loop)
        if self.mode == "ipvs":
            self.errors.error(IPVS_DEPRECATION)   # upstream: logger.Error(nil, message)
        self.services = self.factory.informer("services", label_selector=INFORMER_LABEL_SELECTOR)
        self.endpoints = self.factory.informer("endpointslices", label_selector=INFORMER_LABEL_SELECTOR)
        self.nodes = self.factory.informer("nodes", field_selector=f"metadata.name={self.node_name}")
        self.services.errors = self.endpoints.errors = self.nodes.errors = self.errors
        self.services.add_event_handler(
            on_add=lambda s: self._changed("Service", None, s),
            on_update=lambda o, n: self._changed("Service", o, n),
            on_delete=lambda s: self._changed("Service", s, None))
        kind = "EndpointSlice"
        self.endpoints.add_event_handler(
            on_add=lambda e: self._changed(kind, None, e),
            on_update=lambda o, n: self._changed(kind, o, n),
            on_delete=lambda e: self._changed(kind, e, None))
        if self.mode != "iptables":
            # NodePorts are virtual servers / nodeport-ips elements per node address: a
            # change of the node's addresses is a change of the rules.
            self.nodes.add_event_handler(
                on_add=lambda n: self._changed("Node", None, n),
                on_update=lambda o, n: self._changed("Node", o, n),
                on_delete=lambda n: self._changed("Node", n, None))
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
        """The node's current iptables rules as ``iptables-save`` prints them (filter + nat,
        or ``iptables-save -t <table>``); empty before the first sync, and in nftables mode
        (kube-proxy writes no iptables rules there)."""
        if self._last_full is None or self.mode == "nftables":
            return ""
        return self.tables.save(table) if table else self.tables.save()

    def ipvsadm(self) -> str:
        """``ipvsadm -Ln``: the virtual and real servers (IPVS mode; other modes: none)."""
        return ipvsadm_ln(self.ipvs or IpvsState())

    def ipset_list(self, name: str | None = None) -> str:
        """``ipset list [NAME]`` (IPVS mode; other modes have no sets: empty, or ipset's
        "does not exist" message for a NAME)."""
        if self.ipvs is None:
            return "" if name is None else "ipset v7.1: The set with the given name does not exist\n"
        return ipset_list(self.ipvs, name)

    def ip_addr(self) -> str:
        """``ip addr show kube-ipvs0`` (IPVS mode; "" in other modes: the device does not exist)."""
        if self.ipvs is None:
            return ""
        return ip_addr_show(self.ipvs, node_name=self.node_name)

    def nft_list_ruleset(self) -> str:
        """``nft list ruleset`` — kube-proxy's ``ip kube-proxy`` table (nftables mode; "" otherwise)."""
        return list_ruleset([self.nft]) if self.nft is not None else ""

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

    def pod_cidr(self) -> str | None:
        """This node's ``spec.podCIDR`` (its pods sit behind the node's bridge)."""
        node = self.nodes.get(self.node_name) if self.nodes is not None else None
        return ((node or {}).get("spec") or {}).get("podCIDR")

    def trace(self, src_ip: str, dst_ip: str, dst_port: int, protocol: str = "TCP",
              rng: random.Random | None = None, *, bridged: bool | None = None) -> Trace:
        """Follow a new connection through this node's rules in the current mode
        (:func:`.trace.trace`, :func:`.trace_ipvs.trace_ipvs`, :func:`.trace_nft.trace_nft`).

        ``rng`` draws the random endpoint choices (default: this proxy's seeded rng);
        ``bridged`` says the packet came from a pod on this node (default: ``src_ip`` is
        in the node's pod CIDR). Affinity and IPVS scheduler state persist across calls.
        """
        rng = rng or self.rng
        if self.mode == "ipvs":
            if bridged is None:
                cidr = self.pod_cidr()
                bridged = bool(cidr) and _in_cidr(src_ip, cidr)
            state = self.ipvs or IpvsState()
            t = trace_ipvs(state, src_ip, dst_ip, dst_port, protocol, node_ips=self.local_ips(),
                           scheduler=self.ipvs_sched, rng=rng, bridged=bridged, now=self.loop.now,
                           rules=self.ruleset())
        elif self.mode == "nftables":
            t = trace_nft(self.nft or nftables_table([], {}), src_ip, dst_ip, dst_port, protocol,
                          node_ips=self.local_ips(), rng=rng, affinity=self.recent, now=self.loop.now)
        else:
            t = trace(self, src_ip, dst_ip, dst_port, protocol, rng)
        t.node, t.mode = self.node_name, self.mode
        return t

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
        if kind == "Node":
            return [a.get("address") for a in ((obj.get("status") or {}).get("addresses") or ())
                    if isinstance(a, dict) and a.get("type") in ("InternalIP", "ExternalIP")]
        return endpoint_slices_map([obj], self.node_name, on_error=unreadable)

    def _maybe_initialize(self) -> None:
        self._init_scheduled = False
        nodes_ok = self.mode == "iptables" or self.nodes.has_synced
        if self._initialized or not (self.services.has_synced and self.endpoints.has_synced and nodes_ok):
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
        epmap = endpoint_slices_map(self.endpoints.list(), self.node_name, on_error=_skip)
        reasons = tuple(why for _, why, _ in self._pending.values()) or (reason,)
        base = dict(time=now, reasons=reasons, services=len(sps),
                    endpoints=sum(len(v) for v in epmap.values()),
                    ready_endpoints=sum(1 for v in epmap.values() for e in v if e.ready), mode=self.mode)
        if self.mode == "iptables":
            record = self._sync_iptables(sps, epmap, full, base)
        else:
            record = self._sync_whole(sps, epmap, base)
        self._ruleset = None
        self._pending = {}
        if full:
            self._last_full = now
        self.sync_log.append(record)
        if len(self.sync_log) > _SYNC_LOG_SIZE:
            del self.sync_log[: len(self.sync_log) - _SYNC_LOG_SIZE]

    def _sync_iptables(self, sps: list, epmap: dict, full: bool, base: dict) -> SyncRecord:
        """iptables mode: a full or partial ``iptables-restore --noflush``."""
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
        return SyncRecord(**base, filter_rules=self.tables.rule_count("filter"),
                          nat_rules=self.tables.rule_count("nat"), nat_chains=len(self.tables.user_chains("nat")),
                          full=full, rewritten=tuple(rewritten), restore_lines=self._restore_input.count("\n"),
                          deleted_chains=len(stale))

    def _sync_whole(self, sps: list, epmap: dict, base: dict) -> SyncRecord:
        """IPVS / nftables mode: the mode's whole state from the service and endpoint maps."""
        node_ips = self.local_ips()
        if self.mode == "ipvs":
            st = self.ipvs = ipvs_state(sps, epmap, node_ips=node_ips, scheduler=self.ipvs_scheduler,
                                        cluster_cidr=self.cluster_cidr, masquerade_all=self.masquerade_all,
                                        masquerade_bit=self.masquerade_bit)
            self.tables = NodeTables()
            self._restore_input = st.iptables
            self.tables.restore(st.iptables)
            return SyncRecord(**base, filter_rules=self.tables.rule_count("filter"),
                              nat_rules=self.tables.rule_count("nat"),
                              nat_chains=len(self.tables.user_chains("nat")),
                              rewritten=tuple(sorted({sp.service_name for sp in sps})),
                              virtual_servers=len(st.virtual_servers),
                              real_servers=sum(len(v.real_servers) for v in st.virtual_servers.values()),
                              ipset_entries=sum(len(x.entries) for x in st.ipsets.values()))
        t = self.nft = nftables_table(sps, epmap, cluster_cidr=self.cluster_cidr,
                                      node_port_addresses=node_ips or None, masquerade_all=self.masquerade_all)
        self._restore_input = ""
        return SyncRecord(**base, filter_rules=0, nat_rules=0, nat_chains=0,
                          rewritten=tuple(sorted({sp.service_name for sp in sps})),
                          nft_chains=len(t.chains), nft_rules=sum(len(c.rules) for c in t.chains.values()),
                          nft_elements=sum(len(x.elements) for x in t.sets.values()))


def _service_key(kind: str, obj: dict) -> str | None:
    """The Service (``ns/name``) a changed object belongs to: whose chains a partial sync rewrites."""
    meta = obj.get("metadata") or {}
    if kind == "Node":
        return None
    if kind == "EndpointSlice":
        try:
            return service_of(obj)
        except (ValueError, TypeError):
            return None
    return f"{meta.get('namespace') or 'default'}/{meta.get('name', '')}"


def _in_cidr(ip: str, cidr: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


def _skip(obj: dict, exc: Exception) -> None:
    """Left out of a sync: :meth:`KubeProxy._distil` logged it when it changed."""
