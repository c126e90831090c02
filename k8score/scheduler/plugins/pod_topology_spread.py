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
"""

from __future__ import annotations

import math

from ...api.taints import do_not_schedule, find_untolerated
from ..events import ActionType, ClusterEvent
from ..interface import MAX_NODE_SCORE, FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin
from ..status import Status
from .helper import as_selector, selector_matches, snapshot_for, with_label_values
from .node_affinity import required_matches

# podtopologyspread/plugin.go: ErrReasonConstraintsNotMatch, ErrReasonNodeLabelNotMatch
ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"
LABEL_HOSTNAME = "kubernetes.io/hostname"
LABEL_ZONE = "topology.kubernetes.io/zone"
DO_NOT_SCHEDULE, SCHEDULE_ANYWAY = "DoNotSchedule", "ScheduleAnyway"
# plugin.go: systemDefaultConstraints
SYSTEM_DEFAULT_CONSTRAINTS = (
    {"topologyKey": LABEL_HOSTNAME, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 3},
    {"topologyKey": LABEL_ZONE, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 5},
)
_PRE_FILTER_KEY = "PreFilterPodTopologySpread"
_PRE_SCORE_KEY = "PreScorePodTopologySpread"
_INVALID = -1


class Constraint:
    """``topologySpreadConstraint``: the API constraint with its selector parsed."""

    __slots__ = ("max_skew", "key", "selector", "min_domains", "honor_affinity", "honor_taints")

    def __init__(self, c: dict, pod_labels: dict, selector=None):
        self.max_skew = int(c.get("maxSkew") or 1)
        self.key = c.get("topologyKey") or ""
        if selector is None:
            selector = with_label_values(as_selector(c.get("labelSelector")), pod_labels,
                                         c.get("matchLabelKeys"))
        self.selector = selector
        self.min_domains = int(c.get("minDomains") or 1)           # nil is 1
        self.honor_affinity = (c.get("nodeAffinityPolicy") or "Honor") == "Honor"
        self.honor_taints = (c.get("nodeTaintsPolicy") or "Ignore") == "Honor"

    def includes(self, pod: dict, ni) -> bool:
        """``matchNodeInclusionPolicies``."""
        if self.honor_affinity and not required_matches(pod, ni.labels, ni.name):
            return False
        if self.honor_taints and ni.taints and find_untolerated(
                ni.taints, (pod.get("spec") or {}).get("tolerations") or [], do_not_schedule) is not None:
            return False
        return True


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


def count_matching(ni, selector, namespace: str) -> int:
    """``countPodsMatchSelector``: pods on the node in ``namespace`` matching, not terminating."""
    if selector is None:
        return 0
    n = 0
    for p in ni.pods.values():
        if p.namespace == namespace and not p.terminating and selector.matches(p.labels):
            n += 1
    return n


def _selector_key(selector):
    """A hashable stand-in for ``selector`` (its sorted requirements; None matches nothing)."""
    return None if selector is None else tuple(selector.requirements)


def _domain_count_fn(keys: tuple, key: str, selector, namespace: str):
    """Per node: ``(its value of key, pods matching)``, or None for a node PreFilter leaves
    out (no Node object, or a topology key of the pod's constraints missing)."""
    def domain_count(ni):
        labels = ni.labels
        if ni.node is None or not all(k in labels for k in keys):
            return None
        return labels[key], (count_matching(ni, selector, namespace) if ni.pods else 0)
    return domain_count


def _label_fn(key: str):
    def label(ni):
        return ni.labels.get(key)
    return label


def _inclusion_trivial(pod: dict, constraints: list[Constraint]) -> bool:
    """Every node passes every constraint's inclusion policies: no taint policy to honor,
    and no required node affinity / nodeSelector for the affinity policy to check."""
    if any(c.honor_taints for c in constraints):
        return False
    spec = pod.get("spec") or {}
    na = (spec.get("affinity") or {}).get("nodeAffinity") or {}
    return not spec.get("nodeSelector") and not na.get("requiredDuringSchedulingIgnoredDuringExecution")


def _keys_present(labels: dict, constraints: list[Constraint]) -> bool:
    return all(c.key in labels for c in constraints)


class PodTopologySpread(PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin):
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
                          (PodTopologySpread, "matching", keys, c.key, _selector_key(c.selector), ns),
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

    # -- score -------------------------------------------------------------------
    def pre_score(self, state, pod, nodes):
        constraints = self._constraints(pod, SCHEDULE_ANYWAY)
        if not constraints or not nodes:
            return Status.skip()
        require_all = bool((pod.get("spec") or {}).get("topologySpreadConstraints")) or not self.system_defaulted
        ignored: set[str] = set()
        counts: list[dict[str, int] | None] = [None if c.key == LABEL_HOSTNAME else {} for c in constraints]
        for ni in nodes:
            labels = ni.labels
            if require_all and not _keys_present(labels, constraints):
                ignored.add(ni.name)
                continue
            for i, c in enumerate(constraints):
                m = counts[i]
                if m is not None:
                    # upstream files a node without the key under the value "" (system
                    # defaults only): it counts as a domain for the weight, never scores
                    m.setdefault(labels.get(c.key, ""), 0)
        weights = []
        for i, c in enumerate(constraints):
            size = len(nodes) - len(ignored) if counts[i] is None else len(counts[i])
            weights.append(math.log(size + 2))        # topologyNormalizingWeight
        if any(k for m in counts if m for k in m):   # some labelled domain to count
            ns = (pod.get("metadata") or {}).get("namespace") or "default"
            trivial = _inclusion_trivial(pod, constraints)
            zoned = [(i, c, counts[i]) for i, c in enumerate(constraints) if counts[i]]
            for ni in snapshot_for(self, nodes).node_infos:
                if not ni.pods:
                    continue          # adds 0 to its domain: skip before reading anything
                labels = ni.labels
                if require_all and not _keys_present(labels, constraints):
                    continue
                for i, c, m in zoned:
                    value = labels.get(c.key)
                    if value is None or value not in m:
                        continue
                    if not trivial and not c.includes(pod, ni):
                        continue
                    m[value] += count_matching(ni, c.selector, ns)
        ns = (pod.get("metadata") or {}).get("namespace") or "default"
        state.write(_PRE_SCORE_KEY, (constraints, counts, weights, ignored, ns))
        return None

    def score(self, state, pod, node_info):
        constraints, counts, weights, ignored, ns = state.get(_PRE_SCORE_KEY)
        if node_info.name in ignored:
            return 0
        labels = node_info.labels
        total = 0.0
        for i, c in enumerate(constraints):
            value = labels.get(c.key)
            if value is None:
                continue
            m = counts[i]
            cnt = count_matching(node_info, c.selector, ns) if m is None else m.get(value, 0)
            total += cnt * weights[i] + (c.max_skew - 1)     # scoreForCount
        return _round_half_away(total)

    def normalize_score(self, state, pod, scores):
        data = state.get(_PRE_SCORE_KEY)
        if data is None:
            return None
        ignored = data[3]
        valid = [v for k, v in scores.items() if k not in ignored]
        lo, hi = (min(valid), max(valid)) if valid else (0, 0)
        for k, v in scores.items():
            if k in ignored:
                scores[k] = 0
            elif hi == 0:
                scores[k] = MAX_NODE_SCORE
            else:
                scores[k] = MAX_NODE_SCORE * (hi + lo - v) // hi
        return None

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


def _round_half_away(x: float) -> int:
    """Go's ``math.Round``: halves away from zero (Python's ``round`` goes to even)."""
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))
