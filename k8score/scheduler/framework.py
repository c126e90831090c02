"""The Scheduling Framework runtime: runs one profile's plugins, in order, with weights.

As ``pkg/scheduler/framework/runtime/framework.go``. A :class:`Profile` lists
plugin instances in "multi-point" order with a score weight each; the framework
sorts them into extension points by the interfaces they implement.

Scoring, with a worked example. For each Score plugin ``p`` and feasible node ``n``::

    raw(p, n)        = p.score(pod, n)                      # plugin's own scale
    normalized(p, n) = p.normalize_score(raw(p, ·))[n]      # into [0, 100], if p has it
    weighted(p, n)   = normalized(p, n) * weight(p)
    total(n)         = sum over p of weighted(p, n)

With the default profile, node-2 scoring TaintToleration 100, NodeResourcesFit 37
and BalancedAllocation 87 totals 100*3 + 37*1 + 87*1 = 424 (NodeAffinity, weight 2,
skips itself in PreScore when the pod states no preferred node affinity).

>>> from k8score.scheduler.plugins import default_profile
>>> fw = Framework(default_profile())
>>> [p.name for p in fw.filter_plugins][:6]
['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit']
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, Iterable

from .handle import Handle, PluginSpec, instantiate
from .interface import (EXTENSION_POINTS, MAX_NODE_SCORE, MIN_NODE_SCORE, CycleState, FilterPlugin,
                        Plugin, PluginError, PostFilterResult, PreFilterResult, QueueSortPlugin,
                        ScorePlugin)
from .nodeinfo import NodeInfo, pod_key
from .scores import NodeScores, PluginScore, ScoreTable
from .status import Code, Status

__all__ = ["Framework", "Profile", "PluginScore", "NodeScores", "ScoreTable", "CycleState", "Status", "Code",
           "MAX_NODE_SCORE", "MIN_NODE_SCORE"]

#: pkg/scheduler/apis/config/types.go: DefaultPercentageOfNodesToScore = 0 (adaptive)
DEFAULT_PERCENTAGE_OF_NODES_TO_SCORE = 0


class Profile:
    """A scheduler profile: ``schedulerName`` plus plugins ``[(plugin, weight), ...]``.

    ``percentage_of_nodes_to_score`` = 0 (or None) means the adaptive default
    (see :func:`~k8score.scheduler.algorithm.num_feasible_nodes_to_find`).
    """

    def __init__(self, scheduler_name: str, plugins: Iterable[tuple[Plugin | PluginSpec, int]],
                 percentage_of_nodes_to_score: int | None = None, expand: Any = None):
        """``plugins``: plugin instances or :class:`~.handle.PluginSpec` (built by the
        framework with its handle). ``expand(built_by_name) -> {point: [names]}`` places
        plugins at extension points (a KubeSchedulerConfiguration's per-point enable /
        disable, :func:`~.config.expand_points`); without it every plugin serves every
        point it implements, in profile order."""
        self.scheduler_name = scheduler_name
        self.plugins = list(plugins)
        self.percentage_of_nodes_to_score = percentage_of_nodes_to_score
        self.expand = expand
        names = [p.name for p, _ in self.plugins]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"plugins {dupes} appear more than once in profile {scheduler_name!r}")


def filter_verdict(pl: Plugin, s: Status) -> Status:
    """A non-success Filter status as the framework reports it: stamped with the plugin,
    and anything but a rejection or an error turned into an error."""
    s.plugin = pl.name
    if not s.is_rejected() and s.code != Code.ERROR:
        return Status(Code.ERROR, f"plugin {pl.name} returned {s.code} in Filter", plugin=pl.name)
    return s


_node_name = attrgetter("name")


class Framework(Handle):
    """Runs the plugins of one :class:`Profile`; it is also the plugins' :class:`~.handle.Handle`
    (upstream ``frameworkImpl``).

    Every service (``client``, ``recorder``, ``informer_factory``, ``snapshot``,
    ``waiting_pods``, ``nominator``, ``rng``) is given here; then each profile entry that
    is a :class:`~.handle.PluginSpec` is built with this handle (``NewFramework`` calling
    the factories). Entries that are already plugin instances (hand-built profiles in
    tests) are adopted: given this handle unless they have one.

    Plugins may also call ``run_filter_with_nominated_pods`` and the PreFilter
    extensions (``run_pre_filter_extension_add_pod`` / ``..._remove_pod``): what-if
    filtering, e.g. preemption's dry run.
    """

    def __init__(self, profile: Profile, client: Any = None, *, recorder: Any = None,
                 informer_factory: Any = None, snapshot: Any = None, waiting_pods: Any = None,
                 nominator: Any = None, rng: Any = None, clock: Any = None):
        super().__init__(client=client, recorder=recorder, informer_factory=informer_factory,
                         snapshot=snapshot, waiting_pods=waiting_pods, nominator=nominator, rng=rng,
                         clock=clock)
        self.profile = profile
        self.scheduler_name = profile.scheduler_name
        self.weights: dict[str, int] = {}
        #: the built plugins with their weights, in profile order
        self.plugins: list[tuple[Plugin, int]] = []
        self._by_name: dict[str, Plugin] = {}
        self._points: dict[str, list[Plugin]] = {name: [] for name, _ in EXTENSION_POINTS}
        for entry, weight in profile.plugins:
            if isinstance(entry, PluginSpec):
                plugin = instantiate(entry, self)
            else:
                plugin = entry
                # a hand-built instance joins this framework (a restarted scheduler's new one)
                plugin.handle = self
            self.plugins.append((plugin, weight))
            self._by_name[plugin.name] = plugin
            if profile.expand is None:
                for point, iface in EXTENSION_POINTS:
                    if isinstance(plugin, iface):
                        self._points[point].append(plugin)
            if isinstance(plugin, ScorePlugin):
                if weight is None or weight <= 0:
                    weight = 1  # upstream: a score plugin with weight 0 gets 1
                self.weights[plugin.name] = weight
        if profile.expand is not None:
            for point, names in profile.expand(self._by_name).items():
                self._points[point] = [self._by_name[n] for n in names]
            scoring = {pl.name for pl in self._points["Score"]}
            self.weights = {n: w for n, w in self.weights.items() if n in scoring}
        if len(self._points["QueueSort"]) > 1:
            raise ValueError("only one QueueSort plugin may be enabled")
        if not self._points["Bind"]:
            raise ValueError("at least one Bind plugin is needed")

    # -- introspection ---------------------------------------------------------
    @property
    def queue_sort(self) -> QueueSortPlugin | None:
        qs = self._points["QueueSort"]
        return qs[0] if qs else None  # type: ignore[return-value]

    @property
    def filter_plugins(self) -> list[FilterPlugin]:
        return self._points["Filter"]  # type: ignore[return-value]

    @property
    def score_plugins(self) -> list[ScorePlugin]:
        return self._points["Score"]  # type: ignore[return-value]

    def plugins_at(self, point: str) -> list[Plugin]:
        return list(self._points[point])

    def has_filter_plugins(self) -> bool:
        return bool(self._points["Filter"])

    def has_score_plugins(self) -> bool:
        return bool(self._points["Score"])

    def has_post_filter_plugins(self) -> bool:
        return bool(self._points["PostFilter"])

    def plugin(self, name: str) -> Plugin | None:
        return self._by_name.get(name)

    def run_pre_enqueue(self, pod: dict) -> Status | None:
        """PreEnqueue plugins in order; the first rejection (plugin name stamped) or None."""
        for pl in self._points["PreEnqueue"]:
            s = pl.pre_enqueue(pod)  # type: ignore[attr-defined]
            if s is not None and not s.is_success():
                s.plugin = pl.name
                return s
        return None

    # -- scheduling cycle --------------------------------------------------------
    def run_pre_filter(self, state: CycleState, pod: dict,
                       nodes: list[NodeInfo]) -> tuple[PreFilterResult, Status, set[str]]:
        """Run every PreFilter; returns the merged node subset, the status, and the
        plugins that rejected (for queueing)."""
        result = PreFilterResult(None)
        rejected: set[str] = set()
        for pl in self._points["PreFilter"]:
            r, s = pl.pre_filter(state, pod, nodes)  # type: ignore[attr-defined]
            if s is not None and s.is_skip():
                state.skip_filter_plugins.add(pl.name)
                continue
            if s is not None and not s.is_success():
                s.plugin = pl.name
                if s.is_rejected():
                    rejected.add(pl.name)
                return result, s, rejected
            if r is not None and not r.all_nodes():
                rejected.add(pl.name)  # narrowing counts: upstream lists these in the diagnosis
                if result.all_nodes():
                    result = PreFilterResult(set(r.node_names))
                else:
                    result = PreFilterResult(result.node_names & r.node_names)
                if not result.node_names:
                    s = Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE,
                               f"node(s) didn't satisfy plugin(s) [{' '.join(sorted(rejected))}] "
                               f"simultaneously", plugin=pl.name)
                    return result, s, rejected
        # the per-node Filter loop runs only the plugins PreFilter did not skip
        skip = state.skip_filter_plugins
        state.filter_plugins = [pl for pl in self._points["Filter"] if pl.name not in skip]
        return result, Status.success(), rejected

    def run_pre_filter_extension_add_pod(self, state: CycleState, pod: dict, added, node_info: NodeInfo) -> None:
        """Tell PreFilter states that ``added`` (a PodInfo) is on ``node_info`` (``RunPreFilterExtensionAddPod``)."""
        skip = state.skip_filter_plugins
        for pl in self._points["PreFilter"]:
            if pl.add_pod is not None and pl.name not in skip:  # type: ignore[attr-defined]
                pl.add_pod(state, pod, added, node_info)  # type: ignore[attr-defined]

    def run_pre_filter_extension_remove_pod(self, state: CycleState, pod: dict, removed,
                                            node_info: NodeInfo) -> None:
        """Tell PreFilter states that ``removed`` left ``node_info`` (``RunPreFilterExtensionRemovePod``)."""
        skip = state.skip_filter_plugins
        for pl in self._points["PreFilter"]:
            if pl.remove_pod is not None and pl.name not in skip:  # type: ignore[attr-defined]
                pl.remove_pod(state, pod, removed, node_info)  # type: ignore[attr-defined]

    def run_filter(self, state: CycleState, pod: dict, node_info: NodeInfo) -> Status | None:
        """All Filter plugins on one node, stopping at the first rejection (None = fits)."""
        plugins = state.filter_plugins
        if plugins is None:
            skip = state.skip_filter_plugins
            plugins = [pl for pl in self._points["Filter"] if pl.name not in skip]
        for pl in plugins:
            s = pl.filter(state, pod, node_info)  # type: ignore[attr-defined]
            if s is not None and s.code != Code.SUCCESS:
                return filter_verdict(pl, s)
        return None

    def run_filter_with_nominated_pods(self, state: CycleState, pod: dict,
                                       node_info: NodeInfo) -> Status | None:
        """``RunFilterPluginsWithNominatedPods``: Filter with the pods nominated to this node
        (equal or higher priority, not ``pod`` itself) counted as running; if that passes,
        Filter again without them (affinity to a nominated pod must not be relied on).
        Without nominations on the node it is :meth:`run_filter`."""
        nominator = self.nominator
        if nominator is None or not nominator.has_pods_on(node_info.name):
            return self.run_filter(state, pod, node_info)
        prio = int((pod.get("spec") or {}).get("priority") or 0)
        key = pod_key(pod)
        added = [pi for pi in nominator.pods_for_node(node_info.name) if pi.priority >= prio and pi.key != key]
        if not added:
            return self.run_filter(state, pod, node_info)
        # addGENominatedPods: on copies, telling the PreFilter states about each pod
        st, ni = state.clone(), node_info.clone()
        for pi in added:
            ni.add_pod(pi)
            self.run_pre_filter_extension_add_pod(st, pod, pi, ni)
        s = self.run_filter(st, pod, ni)
        if s is not None:
            return s
        return self.run_filter(state, pod, node_info)

    def run_post_filter(self, state: CycleState, pod: dict,
                        node_statuses: dict[str, Status]) -> tuple[PostFilterResult | None, Status]:
        """PostFilter plugins until one succeeds (e.g. preemption nominates a node).

        ``node_statuses`` has the Filter status of every node (``NodeToStatus``)."""
        messages: list[str] = []
        result: PostFilterResult | None = None
        rejector = ""
        for pl in self._points["PostFilter"]:
            r, s = pl.post_filter(state, pod, node_statuses)  # type: ignore[attr-defined]
            s.plugin = pl.name
            if s.is_success() or s.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
                return r, s
            if not s.is_rejected():
                return None, Status(Code.ERROR, s.message, plugin=pl.name)
            if r is not None:
                result = r
            messages.extend(s.reasons)
            rejector = rejector or pl.name
        return result, Status(Code.UNSCHEDULABLE, *messages, plugin=rejector)

    def run_pre_score(self, state: CycleState, pod: dict, nodes: list[NodeInfo]) -> Status:
        for pl in self._points["PreScore"]:
            s = pl.pre_score(state, pod, nodes)  # type: ignore[attr-defined]
            if s is None or s.is_success():
                continue
            if s.is_skip():
                state.skip_score_plugins.add(pl.name)
                continue
            return Status(Code.ERROR, f"running PreScore plugin {pl.name!r}: {s.message}", plugin=pl.name)
        return Status.success()

    def run_score(self, state: CycleState, pod: dict,
                  nodes: list[NodeInfo]) -> tuple[ScoreTable, Status]:
        """Score, normalize, weight, sum: a :class:`~.scores.ScoreTable` over ``nodes`` (in
        that order; a sequence of :class:`NodeScores` for readers).

        Each plugin scores all the nodes in one call (``score_nodes``: the per-node Score
        unless the plugin inlines its formula), and the table keeps flat lists, so the cost
        per node is a few list slots, not objects."""
        names = state.node_values("name", _node_name, nodes)
        table = ScoreTable(names)
        skip = state.skip_score_plugins
        for pl in self._points["Score"]:
            if pl.name in skip:
                continue
            try:
                raw = pl.score_nodes(state, pod, nodes)  # type: ignore[attr-defined]
            except PluginError as e:
                return table, Status(Code.ERROR, f"plugin {pl.name!r} failed with: {e}", plugin=pl.name)
            normalized = raw
            norm = pl.normalize_score  # type: ignore[attr-defined]
            norm_list = getattr(pl, "normalize_score_list", None)
            if norm_list is not None:
                # the same numbers, on the list in node order (no dict per plugin per cycle)
                normalized = norm_list(state, pod, raw)
            elif norm is not None:
                by_name = dict(zip(names, raw))
                s = norm(state, pod, by_name)
                if s is not None and not s.is_success():
                    return table, Status(Code.ERROR, f"plugin {pl.name!r} failed with: {s.message}",
                                         plugin=pl.name)
                normalized = [by_name[n] for n in names]
            if normalized and (max(normalized) > MAX_NODE_SCORE or min(normalized) < MIN_NODE_SCORE):
                bad = next(v for v in normalized if not MIN_NODE_SCORE <= v <= MAX_NODE_SCORE)
                return table, Status(
                    Code.ERROR, f"plugin {pl.name!r} returns an invalid score {bad}, it should in the "
                                f"range of [{MIN_NODE_SCORE}, {MAX_NODE_SCORE}] after normalizing",
                    plugin=pl.name)
            table.add(pl.name, self.weights[pl.name], raw, normalized)
        return table, Status.success()

    def run_reserve(self, state: CycleState, pod: dict, node_name: str) -> Status:
        for pl in self._points["Reserve"]:
            s = pl.reserve(state, pod, node_name)  # type: ignore[attr-defined]
            if s is not None and not s.is_success():
                s.plugin = pl.name
                if not s.is_rejected():
                    s = Status(Code.ERROR, f"running Reserve plugin {pl.name!r}: {s.message}", plugin=pl.name)
                return s
        return Status.success()

    def run_unreserve(self, state: CycleState, pod: dict, node_name: str) -> None:
        """Every Reserve plugin's ``unreserve``, in reverse order."""
        for pl in reversed(self._points["Reserve"]):
            pl.unreserve(state, pod, node_name)  # type: ignore[attr-defined]

    def run_permit(self, state: CycleState, pod: dict, node_name: str) -> tuple[Status, dict[str, float]]:
        """Success, a rejection, or Wait with ``{plugin: timeout seconds}`` still to answer."""
        waiting: dict[str, float] = {}
        for pl in self._points["Permit"]:
            s, timeout = pl.permit(state, pod, node_name)  # type: ignore[attr-defined]
            if s is None or s.is_success():
                continue
            s.plugin = pl.name
            if s.is_wait():
                # pkg/scheduler/framework/runtime/framework.go: maxTimeout = 15 minutes
                waiting[pl.name] = min(float(timeout), 15 * 60.0)
                continue
            if s.is_rejected():
                return s, {}
            return Status(Code.ERROR, f"running Permit plugin {pl.name!r}: {s.message}", plugin=pl.name), {}
        if waiting:
            return Status(Code.WAIT, "one or more plugins asked to wait"), waiting
        return Status.success(), {}

    # -- binding cycle -----------------------------------------------------------
    def run_pre_bind(self, state: CycleState, pod: dict, node_name: str) -> Status:
        for pl in self._points["PreBind"]:
            s = pl.pre_bind(state, pod, node_name)  # type: ignore[attr-defined]
            if s is not None and not s.is_success():
                s.plugin = pl.name
                return s
        return Status.success()

    def run_bind(self, state: CycleState, pod: dict, node_name: str) -> Status:
        for pl in self._points["Bind"]:
            s = pl.bind(state, pod, node_name)  # type: ignore[attr-defined]
            if s is not None and s.is_skip():
                continue
            if s is not None and not s.is_success():
                s.plugin = pl.name
                return s
            return Status.success()
        return Status(Code.SKIP, "all bind plugins skipped the pod")

    def run_post_bind(self, state: CycleState, pod: dict, node_name: str) -> None:
        for pl in self._points["PostBind"]:
            pl.post_bind(state, pod, node_name)  # type: ignore[attr-defined]

    def events_for(self, plugin_names: Iterable[str]) -> list:
        """Cluster events registered by the named plugins (empty list = any event)."""
        out = []
        for name in plugin_names:
            pl = self.plugin(name)
            if pl is None:
                continue
            evs = pl.events_to_register()
            if not evs:
                return []
            out.extend(evs)
        return out
