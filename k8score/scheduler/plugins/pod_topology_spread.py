"""PodTopologySpread: spread matching pods evenly across topology domains.

``pkg/scheduler/framework/plugins/podtopologyspread`` (``filtering.go``, ``scoring.go``,
``common.go``, ``plugin.go``).

Constraints come from ``spec.topologySpreadConstraints``; a pod without any that belongs
to a Service, ReplicationController, ReplicaSet or StatefulSet gets the **system default
constraints** (hostname maxSkew 3, zone maxSkew 5, both ScheduleAnyway) with a selector
built from those owners (``helper.DefaultSelector``).

Filter (``whenUnsatisfiable: DoNotSchedule``): PreFilter counts the matching pods per
domain over the eligible nodes (all topology keys present, ``nodeAffinityPolicy`` Honor
by default, ``nodeTaintsPolicy`` Ignore by default). A node passes when, for every
constraint, ``count(domain) + selfMatch - globalMin <= maxSkew``; ``globalMin`` is 0
while fewer than ``minDomains`` domains exist. Worked example: maxSkew 1 over zones
a (2 pods) and b (0 pods): a node in a gives 2 + 1 - 0 = 3 > 1 and is rejected; b gives 1.
When every node passes the inclusion policies (the usual case), the per-domain counts are
sums the snapshot keeps across cycles (:meth:`~..nodeinfo.Snapshot.column_totals`, keyed by
selector, namespace and keys): a cycle recounts only the nodes changed since the last one,
where upstream rebuilds ``TpPairToMatchNum`` from every node each cycle.

Score (``ScheduleAnyway`` and the defaults): per node
``sum(count(domain) * log(domains + 2) + maxSkew - 1)`` (the hostname constraint counts
the node's own pods and uses the number of scored nodes as its domain count), rounded;
then ``100 * (max + min - s) // max``. Worked example (defaults, 3 nodes without zone
labels, 0/1/2 matching pods): weight log(5) = 1.609; raw 2, 4, 5 -> 100*(5+2-2)//5 = 100,
60, 40.
Score lives in :mod:`.topology_spread_scoring` (``scoring.go``), shared parts in
:mod:`.topology_spread_common` (``common.go``).
"""

from __future__ import annotations

from ..events import ActionType, ClusterEvent
from ..interface import FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin
from ..status import Status
from .helper import selector_matches
from .topology_spread_common import (COLUMN, DO_NOT_SCHEDULE, LABEL_HOSTNAME, LABEL_ZONE,  # noqa: F401
                                     SCHEDULE_ANYWAY, Constraint, _domain_count_fn, _inclusion_trivial,
                                     _keys_present, _label_fn, _selector_key,
                                     count_matching)
from .topology_spread_scoring import SpreadScoring

# podtopologyspread/plugin.go: ErrReasonConstraintsNotMatch, ErrReasonNodeLabelNotMatch
ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"
# plugin.go: systemDefaultConstraints
SYSTEM_DEFAULT_CONSTRAINTS = (
    {"topologyKey": LABEL_HOSTNAME, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 3},
    {"topologyKey": LABEL_ZONE, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 5},
)
_PRE_FILTER_KEY = "PreFilterPodTopologySpread"


class _FilterState:
    """PreFilter's counts: matching pods per constraint and domain, and each constraint's
    global minimum (``criticalPaths[i][0].MatchNum``)."""

    __slots__ = ("constraints", "counts", "minimums")

    def __init__(self, constraints, counts):
        self.constraints = constraints
        self.counts = counts
        self.minimums = [min(m.values()) if m else 0 for m in counts]

    def clone(self) -> "_FilterState":
        return _FilterState(self.constraints, [dict(m) for m in self.counts])


class PodTopologySpread(SpreadScoring, PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin):
    name = "PodTopologySpread"

    def __init__(self, default_constraints: tuple[dict, ...] = SYSTEM_DEFAULT_CONSTRAINTS,
                 defaulting_type: str = "System"):
        self.default_constraints = tuple(default_constraints)
        self.system_defaulted = defaulting_type == "System"

    # -- constraints -------------------------------------------------------------
    def _constraints(self, pod: dict, action: str | None) -> list[Constraint]:
        """The pod's constraints with ``whenUnsatisfiable == action`` (None: all), or the
        default constraints when it has none (``filterTopologySpreadConstraints``,
        ``buildDefaultConstraints``)."""
        labels = (pod.get("metadata") or {}).get("labels") or {}
        own = (pod.get("spec") or {}).get("topologySpreadConstraints") or ()
        if own:
            return [Constraint(c, labels) for c in own
                    if action is None or c.get("whenUnsatisfiable") == action]
        defaults = [c for c in self.default_constraints
                    if action is None or c.get("whenUnsatisfiable") == action]
        if not defaults:
            return []
        selector = self.default_selector(pod)
        if selector is None or selector.empty():
            return []
        return [Constraint(c, labels, selector) for c in defaults]

    def default_selector(self, pod: dict):
        """``helper.DefaultSelector``: the labels of the Services selecting the pod, plus the
        selector of its controlling RC / ReplicaSet / StatefulSet (None without listers)."""
        from ...api.selectors import LabelSelector, cached_label_selector
        factory = self.handle.informer_factory if self.handle is not None else None
        if factory is None:
            return None
        meta = pod.get("metadata") or {}
        ns, labels = meta.get("namespace") or "default", meta.get("labels") or {}
        merged: dict[str, str] = {}
        for svc in factory.informer("services").list(ns):
            sel = (svc.get("spec") or {}).get("selector")
            if sel and all(labels.get(k) == v for k, v in sel.items()):
                merged.update(sel)
        reqs = [(k, "=", (v,)) for k, v in merged.items()]
        owner = next((o for o in meta.get("ownerReferences") or () if o.get("controller")), None)
        if owner is not None:
            kind = (owner.get("apiVersion"), owner.get("kind"))
            resource = {("v1", "ReplicationController"): "replicationcontrollers",
                        ("apps/v1", "ReplicaSet"): "replicasets",
                        ("apps/v1", "StatefulSet"): "statefulsets"}.get(kind)
            obj = factory.informer(resource).get(f"{ns}/{owner.get('name')}") if resource else None
            if obj is not None:
                sel = (obj.get("spec") or {}).get("selector")
                if resource == "replicationcontrollers":
                    merged.update(sel or {})
                    reqs = [(k, "=", (v,)) for k, v in merged.items()]
                elif sel is not None:
                    reqs += list(cached_label_selector(sel).requirements)
        return LabelSelector(reqs)

    # -- filter ------------------------------------------------------------------
    def pre_filter(self, state, pod, nodes):
        constraints = self._constraints(pod, DO_NOT_SCHEDULE)
        if not constraints:
            return None, Status.skip()
        ns = (pod.get("metadata") or {}).get("namespace") or "default"
        trivial = _inclusion_trivial(pod, constraints)
        snap = self.handle.snapshot if self.handle is not None else None
        if trivial and snap is not None and nodes is snap.node_infos:
            # every node counts for every constraint: the per-domain sums depend on the
            # selector, namespace and keys alone, and the snapshot keeps them across cycles
            # (upstream rebuilds TpPairToMatchNum each cycle; here only changed nodes cost)
            keys = tuple(c.key for c in constraints)
            counts = [{v: t[1] for v, t in snap.column_totals(
                          (COLUMN, "matching", keys, c.key, _selector_key(c.selector), ns),
                          _domain_count_fn(keys, c.key, c.selector, ns)).items()}
                      for c in constraints]
            state.write(_PRE_FILTER_KEY, _FilterState(constraints, counts))
            return None, None
        counts: list[dict[str, int]] = [{} for _ in constraints]
        for ni in nodes:
            labels = ni.labels
            if ni.node is None or not _keys_present(labels, constraints):
                continue
            for i, c in enumerate(constraints):
                if not trivial and not c.includes(pod, ni):
                    continue
                value = labels[c.key]
                n = count_matching(ni, c.selector, ns) if ni.pods else 0
                counts[i][value] = counts[i].get(value, 0) + n
        state.write(_PRE_FILTER_KEY, _FilterState(constraints, counts))
        return None, None

    def add_pod(self, state, pod, added, node_info):
        self._update(state, pod, added, node_info, 1)

    def remove_pod(self, state, pod, removed, node_info):
        self._update(state, pod, removed, node_info, -1)

    def _update(self, state, pod, other, ni, delta):
        """``updateWithPod``: a what-if added or removed ``other`` (a PodInfo) on ``ni``."""
        s = state.get(_PRE_FILTER_KEY)
        ns = (pod.get("metadata") or {}).get("namespace") or "default"
        if s is None or other.namespace != ns or ni.node is None:
            return
        labels = ni.labels
        if not _keys_present(labels, s.constraints):
            return
        for i, c in enumerate(s.constraints):
            if not selector_matches(c.selector, other.labels) or not c.includes(pod, ni):
                continue
            m = s.counts[i]
            m[labels[c.key]] = m.get(labels[c.key], 0) + delta
            s.minimums[i] = min(m.values())

    def _pre_filter_state(self, pod):
        """PreFilter's data when Filter is called on its own (what-if checks, tests)."""
        from ..interface import CycleState
        tmp = CycleState()
        snap = self.handle.snapshot if self.handle is not None else None
        _, s = self.pre_filter(tmp, pod, snap.node_infos if snap is not None else [])
        return None if s is not None else tmp.get(_PRE_FILTER_KEY)

    def filter(self, state, pod, node_info):
        data = state.get(_PRE_FILTER_KEY)
        if data is None:
            data = self._pre_filter_state(pod)
            if data is None:
                return None
        constraints, counts, minimums = data.constraints, data.counts, data.minimums
        labels = node_info.labels
        pod_labels = (pod.get("metadata") or {}).get("labels") or {}
        for i, c in enumerate(constraints):
            value = labels.get(c.key)
            if value is None:
                return Status.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH)
            global_min = minimums[i] if len(counts[i]) >= c.min_domains else 0
            self_match = 1 if selector_matches(c.selector, pod_labels) else 0
            if counts[i].get(value, 0) + self_match - global_min > c.max_skew:
                return Status.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH)
        return None

    def filter_nodes(self, state, pod, nodes):
        """:meth:`filter` of each node, with what depends on the pod alone (its own match,
        the global minimum) worked out once: per constraint a node fails when
        ``count[value] > maxSkew + globalMin - selfMatch``."""
        data = state.get(_PRE_FILTER_KEY)
        if data is None:
            return super().filter_nodes(state, pod, nodes)
        pod_labels = (pod.get("metadata") or {}).get("labels") or {}
        # one status of each kind for the whole call: every rejected node gets the same
        # (immutable) verdict, as it would get an equal one from filter()
        unresolvable = Status.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH)
        unschedulable = Status.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH)
        rng = state.node_range
        out = None
        for i, c in enumerate(data.constraints):
            counts = data.counts[i]
            # a node fails when count[value] > maxSkew + globalMin - selfMatch
            limit = (c.max_skew + (data.minimums[i] if len(counts) >= c.min_domains else 0)
                     - (1 if selector_matches(c.selector, pod_labels) else 0))
            by_value = {v: None if n <= limit else unschedulable for v, n in counts.items()}
            by_value[None] = unresolvable                 # the node lacks the key
            absent = None if 0 <= limit else unschedulable
            if rng is not None:
                # the nodes' topology values, kept per node in the snapshot across cycles
                snap, start, count = rng
                values = snap.column_range(("node-label", c.key), _label_fn(c.key), start, count)
            else:
                key = c.key
                values = [ni.labels.get(key) for ni in nodes]
            if absent is None:      # always so (limit >= 0): a missing value passes, as get gives
                verdicts = list(map(by_value.get, values))
            else:
                get = by_value.get
                verdicts = [get(v, absent) for v in values]
            if out is None:
                out = verdicts
            else:      # the first constraint a node fails gives its verdict
                out = [a if a is not None else b for a, b in zip(out, verdicts)]
        return out if out is not None else [None] * len(nodes)

    # -- queueing hints (plugin.go EventsToRegister) -------------------------------
    def events_to_register(self):
        return (ClusterEvent("Pod", ActionType.ADD | ActionType.UPDATE_POD_LABEL | ActionType.DELETE,
                             hint=self._after_pod_change),
                ClusterEvent("Node", ActionType.ADD | ActionType.DELETE | ActionType.UPDATE_NODE_LABEL
                             | ActionType.UPDATE_NODE_TAINT, hint=self._after_node_change))

    def _after_pod_change(self, pod, old, new):
        """``isSchedulableAfterPodChange``: an assigned pod in the pod's namespace whose
        labels (now or before) match a constraint's selector."""
        ns = (pod.get("metadata") or {}).get("namespace") or "default"
        for p in (old, new):
            if p is not None and ((p.get("metadata") or {}).get("namespace") or "default") != ns:
                return False
        constraints = self._constraints(pod, None)
        old_l = ((old or {}).get("metadata") or {}).get("labels") or {}
        new_l = ((new or {}).get("metadata") or {}).get("labels") or {}
        if old is not None and new is not None:
            return any(selector_matches(c.selector, old_l) != selector_matches(c.selector, new_l)
                       for c in constraints)
        changed = new_l if new is not None else old_l
        return any(selector_matches(c.selector, changed) for c in constraints)

    def _after_node_change(self, pod, old, new):
        """``isSchedulableAfterNodeChange``: a node carrying every topology key appeared or
        went, or its topology values (or taints, under nodeTaintsPolicy Honor) changed."""
        constraints = self._constraints(pod, None)
        o = ((old or {}).get("metadata") or {}).get("labels") or {}
        n = ((new or {}).get("metadata") or {}).get("labels") or {}
        if old is None or new is None:
            return _keys_present(n if old is None else o, constraints)
        if any(o.get(c.key) != n.get(c.key) for c in constraints):
            return True
        return any(c.honor_taints for c in constraints) and \
            ((old.get("spec") or {}).get("taints") or []) != ((new.get("spec") or {}).get("taints") or [])
