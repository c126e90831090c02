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
>>> [p.name for p in fw.filter_plugins]
['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodeResourcesFit']
"""

from __future__ import annotations

from typing import Any, Iterable

from .interface import (EXTENSION_POINTS, MAX_NODE_SCORE, MIN_NODE_SCORE, CycleState, FilterPlugin,
                        Plugin, PluginError, PostFilterResult, PreFilterResult, QueueSortPlugin,
                        ScorePlugin)
from .nodeinfo import NodeInfo
from .status import Code, Status

__all__ = ["Framework", "Profile", "PluginScore", "NodeScores", "CycleState", "Status", "Code",
           "MAX_NODE_SCORE", "MIN_NODE_SCORE"]

#: pkg/scheduler/apis/config/types.go: DefaultPercentageOfNodesToScore = 0 (adaptive)
DEFAULT_PERCENTAGE_OF_NODES_TO_SCORE = 0


class Profile:
    """A scheduler profile: ``schedulerName`` plus plugins ``[(plugin, weight), ...]``.

    ``percentage_of_nodes_to_score`` = 0 (or None) means the adaptive default
    (see :func:`~k8score.scheduler.algorithm.num_feasible_nodes_to_find`).
    """

    def __init__(self, scheduler_name: str, plugins: Iterable[tuple[Plugin, int]],
                 percentage_of_nodes_to_score: int | None = None):
        self.scheduler_name = scheduler_name
        self.plugins = list(plugins)
        self.percentage_of_nodes_to_score = percentage_of_nodes_to_score
        names = [p.name for p, _ in self.plugins]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"plugins {dupes} appear more than once in profile {scheduler_name!r}")


class PluginScore:
    """One plugin's contribution to one node: raw, normalized, weight, weighted."""

    __slots__ = ("plugin", "raw", "normalized", "weight")

    def __init__(self, plugin: str, raw: int, normalized: int, weight: int):
        self.plugin, self.raw, self.normalized, self.weight = plugin, raw, normalized, weight

    @property
    def weighted(self) -> int:
        return self.normalized * self.weight

    def __repr__(self) -> str:
        return f"<{self.plugin} raw={self.raw} norm={self.normalized} x{self.weight}>"


class NodeScores:
    """All plugin scores of one node and their total (``NodePluginScores``)."""

    __slots__ = ("name", "_scores", "total")

    def __init__(self, name: str):
        self.name = name
        # (plugin, raw, normalized, weight) tuples: cheap to build on the hot path
        self._scores: list[tuple[str, int, int, int]] = []
        self.total = 0

    @property
    def scores(self) -> list[PluginScore]:
        return [PluginScore(*t) for t in self._scores]


class Framework:
    """Runs the plugins of one :class:`Profile`.

    Attributes plugins may use through ``self.handle`` (upstream ``framework.Handle``):
    ``client`` (API calls), ``snapshot`` (the cycle's
    :class:`~k8score.scheduler.nodeinfo.Snapshot`), ``recorder`` (events), ``rng``
    (seeded randomness), ``waiting_pods`` (allow/reject pods held by Permit),
    ``run_filter`` (what-if filtering, e.g. preemption's dry run).
    """

    def __init__(self, profile: Profile, client: Any = None):
        self.profile = profile
        self.scheduler_name = profile.scheduler_name
        self.client = client
        self.snapshot = None
        self.recorder = None
        self.rng = None
        self.waiting_pods = None
        self.weights: dict[str, int] = {}
        self._points: dict[str, list[Plugin]] = {name: [] for name, _ in EXTENSION_POINTS}
        for plugin, weight in profile.plugins:
            plugin.handle = self  # type: ignore[attr-defined]
            for point, iface in EXTENSION_POINTS:
                if isinstance(plugin, iface):
                    self._points[point].append(plugin)
            if isinstance(plugin, ScorePlugin):
                if weight is None or weight <= 0:
                    weight = 1  # upstream: a score plugin with weight 0 gets 1
                self.weights[plugin.name] = weight
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
        for p, _ in self.profile.plugins:
            if p.name == name:
                return p
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
        return result, Status.success(), rejected

    def run_filter(self, state: CycleState, pod: dict, node_info: NodeInfo) -> Status | None:
        """All Filter plugins on one node, stopping at the first rejection (None = fits)."""
        skip = state.skip_filter_plugins
        for pl in self._points["Filter"]:
            if skip and pl.name in skip:
                continue
            s = pl.filter(state, pod, node_info)  # type: ignore[attr-defined]
            if s is not None and s.code != Code.SUCCESS:
                s.plugin = pl.name
                if not s.is_rejected() and s.code != Code.ERROR:
                    s = Status(Code.ERROR, f"plugin {pl.name} returned {s.code} in Filter", plugin=pl.name)
                return s
        return None

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
                  nodes: list[NodeInfo]) -> tuple[list[NodeScores], Status]:
        """Score, normalize, weight, sum. Returns one :class:`NodeScores` per node, in ``nodes`` order."""
        results = [NodeScores(ni.name) for ni in nodes]
        names = [ni.name for ni in nodes]
        skip = state.skip_score_plugins
        for pl in self._points["Score"]:
            if pl.name in skip:
                continue
            score = pl.score  # type: ignore[attr-defined]
            try:
                raw = [score(state, pod, ni) for ni in nodes]
            except PluginError as e:
                return results, Status(Code.ERROR, f"plugin {pl.name!r} failed with: {e}", plugin=pl.name)
            normalized = raw
            norm = getattr(pl, "normalize_score", None)
            if norm is not None:
                by_name = dict(zip(names, raw))
                s = norm(state, pod, by_name)
                if s is not None and not s.is_success():
                    return results, Status(Code.ERROR, f"plugin {pl.name!r} failed with: {s.message}",
                                           plugin=pl.name)
                normalized = [by_name[n] for n in names]
            if normalized and (max(normalized) > MAX_NODE_SCORE or min(normalized) < MIN_NODE_SCORE):
                bad = next(v for v in normalized if not MIN_NODE_SCORE <= v <= MAX_NODE_SCORE)
                return results, Status(
                    Code.ERROR, f"plugin {pl.name!r} returns an invalid score {bad}, it should in the "
                                f"range of [{MIN_NODE_SCORE}, {MAX_NODE_SCORE}] after normalizing",
                    plugin=pl.name)
            name, weight = pl.name, self.weights[pl.name]
            for ns, r, v in zip(results, raw, normalized):
                ns._scores.append((name, r, v, weight))
                ns.total += v * weight
        return results, Status.success()

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
