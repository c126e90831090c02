"""InterPodAffinity: place pods near (affinity) or away from (anti-affinity) other pods.

``pkg/scheduler/framework/plugins/interpodaffinity`` (``filtering.go``, ``scoring.go``,
``plugin.go``) and ``framework/types.go`` (``AffinityTerm``, ``NewPodInfo``).

A term matches a pod when the pod's namespace is in the term's namespaces (empty list and
no namespaceSelector: the term owner's namespace; ``namespaceSelector: {}``: all) and the
labelSelector (plus ``matchLabelKeys`` / ``mismatchLabelKeys`` from the owner's labels)
matches the pod's labels. Topology pairs are ``(topologyKey, node's value)``.

Filter, from counts PreFilter computes once per pod:

* existing pods' required anti-affinity terms matching the incoming pod, counted per pair:
  a node in a counted pair fails ``node(s) didn't satisfy existing pods anti-affinity rules``;
* the incoming pod's required affinity: every term's pair on the node must hold a pod
  matching *all* terms (unless no such pod exists anywhere and the pod matches its own
  terms — the first pod of a group), else ``node(s) didn't match pod affinity rules``
  (UnschedulableAndUnresolvable);
* its required anti-affinity: no matching pod in the node's pair of any term, else
  ``node(s) didn't match pod anti-affinity rules``.

Score: per pair, + weight of each preferred affinity term matched by an existing pod,
- weight for preferred anti-affinity, + ``hardPodAffinityWeight`` (1) for each existing
pod's required affinity term the incoming pod matches, +/- the existing pods' preferred
terms; a node's raw score sums its pairs; normalized ``100 * (s - min) / (max - min)``.
Worked example: preferred affinity weight 10 to app=db on hostname; node-1 has one db pod,
node-2 none: raw 10, 0 -> 100, 0.
"""

from __future__ import annotations

from ..events import ActionType, ClusterEvent
from ..interface import MAX_NODE_SCORE, FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin
from ..nodeinfo import PodInfo
from ..status import Status
from .helper import as_selector, snapshot_for, with_label_values

# interpodaffinity/filtering.go
ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
# config/v1/defaults.go: DefaultHardPodAffinitySymmetricWeight = 1
DEFAULT_HARD_POD_AFFINITY_WEIGHT = 1
_PRE_FILTER_KEY = "PreFilterInterPodAffinity"
_PRE_SCORE_KEY = "PreScoreInterPodAffinity"


class AffinityTerm:
    """``framework.AffinityTerm`` (+ ``WeightedAffinityTerm``'s weight)."""

    __slots__ = ("selector", "namespaces", "ns_selector", "key", "weight")

    def __init__(self, term: dict, owner_ns: str, owner_labels: dict, weight: int = 0):
        sel = as_selector(term.get("labelSelector"))
        sel = with_label_values(sel, owner_labels, term.get("matchLabelKeys"), "in")
        self.selector = with_label_values(sel, owner_labels, term.get("mismatchLabelKeys"), "notin")
        nss = term.get("namespaces") or ()
        nss_sel = term.get("namespaceSelector")
        self.namespaces = set(nss) if (nss or nss_sel is not None) else {owner_ns}
        self.ns_selector = as_selector(nss_sel)         # None: matches no namespace
        self.key = term.get("topologyKey") or ""
        self.weight = weight

    def matches(self, pi: PodInfo, ns_labels: dict | None) -> bool:
        if pi.namespace in self.namespaces or (
                self.ns_selector is not None and self.ns_selector.matches(ns_labels or {})):
            return self.selector is not None and self.selector.matches(pi.labels)
        return False


def terms_of(pi: PodInfo) -> tuple[list, list, list, list]:
    """(required affinity, required anti-affinity, preferred affinity, preferred anti-affinity),
    parsed once per PodInfo and kept on it."""
    if pi.terms is None:
        aff = pi.affinity or {}
        pa, paa = aff.get("podAffinity") or {}, aff.get("podAntiAffinity") or {}
        ns, labels = pi.namespace, pi.labels
        req = "requiredDuringSchedulingIgnoredDuringExecution"
        pref = "preferredDuringSchedulingIgnoredDuringExecution"
        pi.terms = ([AffinityTerm(t, ns, labels) for t in pa.get(req) or ()],
                    [AffinityTerm(t, ns, labels) for t in paa.get(req) or ()],
                    [AffinityTerm(w.get("podAffinityTerm") or {}, ns, labels, int(w.get("weight") or 0))
                     for w in pa.get(pref) or ()],
                    [AffinityTerm(w.get("podAffinityTerm") or {}, ns, labels, int(w.get("weight") or 0))
                     for w in paa.get(pref) or ()])
    return pi.terms


class _FilterState:
    """PreFilter's counts per topology pair (``preFilterState``)."""

    __slots__ = ("pod", "ns_labels", "req_aff", "req_anti", "existing", "affinity", "anti", "self_match")

    def __init__(self, pod, ns_labels, req_aff, req_anti, existing, affinity, anti):
        self.pod, self.ns_labels, self.req_aff, self.req_anti = pod, ns_labels, req_aff, req_anti
        self.existing, self.affinity, self.anti = existing, affinity, anti
        self.self_match = _matches_all(req_aff, pod)

    def clone(self) -> "_FilterState":
        return _FilterState(self.pod, self.ns_labels, self.req_aff, self.req_anti,
                            dict(self.existing), dict(self.affinity), dict(self.anti))


def _has_pod_affinity(pod: dict) -> bool:
    aff = (pod.get("spec") or {}).get("affinity") or {}
    return bool(aff.get("podAffinity") or aff.get("podAntiAffinity"))


def _matches_all(terms: list[AffinityTerm], pi: PodInfo) -> bool:
    """``podMatchesAllAffinityTerms`` (no terms: False)."""
    return bool(terms) and all(t.matches(pi, None) for t in terms)


class InterPodAffinity(PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin):
    name = "InterPodAffinity"

    def __init__(self, hard_pod_affinity_weight: int = DEFAULT_HARD_POD_AFFINITY_WEIGHT,
                 ignore_preferred_terms_of_existing_pods: bool = False):
        self.hard_weight = hard_pod_affinity_weight
        self.ignore_existing_preferred = ignore_preferred_terms_of_existing_pods

    def _ns_labels(self, ns: str) -> dict | None:
        """``GetNamespaceLabelsSnapshot`` through the scheduler's namespace informer."""
        factory = self.handle.informer_factory if self.handle is not None else None
        if factory is None:
            return {}
        obj = factory.informer("namespaces").get(ns)
        return ((obj or {}).get("metadata") or {}).get("labels") or {}

    def _merge_namespaces(self, terms: list[AffinityTerm]) -> list[AffinityTerm]:
        """``mergeAffinityTermNamespacesIfNotEmpty``: resolve the incoming pod's
        namespaceSelectors into namespace names through the namespace lister."""
        factory = self.handle.informer_factory if self.handle is not None else None
        out = []
        for t in terms:
            # an empty selector ({}: every namespace) stays as it is, as upstream's Empty() check
            if t.ns_selector is not None and not t.ns_selector.empty() and factory is not None:
                c = AffinityTerm.__new__(AffinityTerm)
                c.selector, c.key, c.weight, c.ns_selector = t.selector, t.key, t.weight, None
                c.namespaces = set(t.namespaces)
                for ns in factory.informer("namespaces").list():
                    meta = ns.get("metadata") or {}
                    if t.ns_selector.matches(meta.get("labels") or {}):
                        c.namespaces.add(meta.get("name"))
                t = c
            out.append(t)
        return out

    # -- filter ------------------------------------------------------------------
    def pre_filter(self, state, pod, nodes):
        with_anti = snapshot_for(self, nodes).have_pods_with_required_anti_affinity
        if not with_anti and not _has_pod_affinity(pod):
            return None, Status.skip()        # the common case, decided without parsing the pod
        pi = PodInfo(pod)
        req_aff, req_anti, _, _ = terms_of(pi) if pi.affinity else ([], [], [], [])
        if not req_aff and not req_anti and not with_anti:
            return None, Status.skip()
        req_aff, req_anti = self._merge_namespaces(req_aff), self._merge_namespaces(req_anti)
        ns_labels = self._ns_labels(pi.namespace)
        existing: dict[tuple[str, str], int] = {}
        for ni in with_anti:
            labels = ni.labels
            for other in ni.with_required_anti_affinity.values():
                for t in terms_of(other)[1]:
                    if t.key in labels and t.matches(pi, ns_labels):
                        pair = (t.key, labels[t.key])
                        existing[pair] = existing.get(pair, 0) + 1
        if not existing and not req_aff and not req_anti:
            return None, Status.skip()        # filtering.go: nothing can reject a node
        affinity: dict[tuple[str, str], int] = {}
        anti: dict[tuple[str, str], int] = {}
        if req_aff or req_anti:
            # a pod counts only on a node that has a term's topology key: skip the others whole
            keys = {t.key for t in req_aff} | {t.key for t in req_anti}
            for ni in nodes:
                labels = ni.labels
                if not ni.pods or keys.isdisjoint(labels):
                    continue
                for other in ni.pods.values():
                    if req_aff and _matches_all(req_aff, other):
                        for t in req_aff:
                            if t.key in labels:
                                pair = (t.key, labels[t.key])
                                affinity[pair] = affinity.get(pair, 0) + 1
                    for t in req_anti:
                        if t.key in labels and t.matches(other, None):
                            pair = (t.key, labels[t.key])
                            anti[pair] = anti.get(pair, 0) + 1
        state.write(_PRE_FILTER_KEY, _FilterState(pi, ns_labels, req_aff, req_anti, existing, affinity, anti))
        return None, None

    def add_pod(self, state, pod, added, node_info):
        self._update(state, added, node_info, 1)

    def remove_pod(self, state, pod, removed, node_info):
        self._update(state, removed, node_info, -1)

    @staticmethod
    def _update(state, other: PodInfo, ni, delta: int) -> None:
        """``preFilterState.updateWithPod``: a what-if added or removed ``other`` on ``ni``."""
        s = state.get(_PRE_FILTER_KEY)
        if s is None or ni.node is None:
            return
        labels = ni.labels

        def bump(m, key):
            if key in labels:
                pair = (key, labels[key])
                m[pair] = m.get(pair, 0) + delta
                if m[pair] == 0:
                    del m[pair]
        if other.required_anti_affinity:
            for t in terms_of(other)[1]:
                if t.matches(s.pod, s.ns_labels):
                    bump(s.existing, t.key)
        if s.req_aff and _matches_all(s.req_aff, other):
            for t in s.req_aff:
                bump(s.affinity, t.key)
        for t in s.req_anti:
            if t.matches(other, None):
                bump(s.anti, t.key)

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
        req_aff, req_anti, existing, affinity, anti, self_match = (
            data.req_aff, data.req_anti, data.existing, data.affinity, data.anti, data.self_match)
        labels = node_info.labels
        # satisfyPodAffinity
        if req_aff:
            pods_exist = True
            for t in req_aff:
                value = labels.get(t.key)
                if value is None:
                    return Status.unresolvable(ERR_REASON_AFFINITY)
                if affinity.get((t.key, value), 0) <= 0:
                    pods_exist = False
            if not pods_exist and not (not affinity and self_match):
                return Status.unresolvable(ERR_REASON_AFFINITY)
        # satisfyPodAntiAffinity
        if anti:
            for t in req_anti:
                value = labels.get(t.key)
                if value is not None and anti.get((t.key, value), 0) > 0:
                    return Status.unschedulable(ERR_REASON_ANTI_AFFINITY)
        # satisfyExistingPodsAntiAffinity
        if existing:
            for pair in labels.items():
                if existing.get(pair, 0) > 0:
                    return Status.unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY)
        return None

    # -- score -------------------------------------------------------------------
    def pre_score(self, state, pod, nodes):
        if not nodes:
            return None
        snap = snapshot_for(self, nodes)
        if not _has_pod_affinity(pod) and not snap.have_pods_with_affinity:
            return Status.skip()              # nothing could score: no terms anywhere
        pi = PodInfo(pod)
        _, _, pref_aff, pref_anti = terms_of(pi) if pi.affinity else ([], [], [], [])
        has_constraints = bool(pref_aff or pref_anti)
        if self.ignore_existing_preferred and not has_constraints:
            return Status.skip()
        all_nodes = snap.node_infos if has_constraints else snap.have_pods_with_affinity
        pref_aff, pref_anti = self._merge_namespaces(pref_aff), self._merge_namespaces(pref_anti)
        ns_labels = self._ns_labels(pi.namespace)
        scores: dict[str, dict[str, int]] = {}

        def add(term, weight, target, ns_lbls, labels):
            if term.key in labels and term.matches(target, ns_lbls):
                m = scores.setdefault(term.key, {})
                m[labels[term.key]] = m.get(labels[term.key], 0) + weight

        for ni in all_nodes:
            labels = ni.labels
            if ni.node is None or not labels:
                continue
            for other in (ni.pods if has_constraints else ni.with_affinity).values():
                for t in pref_aff:                                   # processExistingPod
                    add(t, t.weight, other, None, labels)
                for t in pref_anti:
                    add(t, -t.weight, other, None, labels)
                if other.affinity is None:
                    continue
                o_req, _, o_pref, o_pref_anti = terms_of(other)
                if self.hard_weight > 0:
                    for t in o_req:
                        add(t, self.hard_weight, pi, ns_labels, labels)
                for t in o_pref:
                    add(t, t.weight, pi, ns_labels, labels)
                for t in o_pref_anti:
                    add(t, -t.weight, pi, ns_labels, labels)
        if not scores:
            return Status.skip()
        state.write(_PRE_SCORE_KEY, scores)
        return None

    def score(self, state, pod, node_info):
        scores = state.get(_PRE_SCORE_KEY)
        labels = node_info.labels
        total = 0
        for key, values in scores.items():
            value = labels.get(key)
            if value is not None:
                total += values.get(value, 0)
        return total

    def normalize_score(self, state, pod, scores):
        if not state.get(_PRE_SCORE_KEY) or not scores:
            return None
        lo, hi = min(scores.values()), max(scores.values())
        diff = hi - lo
        for k, v in scores.items():
            # float64 arithmetic then int64(), as upstream
            scores[k] = int(MAX_NODE_SCORE * ((v - lo) / diff)) if diff > 0 else 0
        return None

    # -- queueing hints (plugin.go EventsToRegister) -------------------------------
    def events_to_register(self):
        return (ClusterEvent("Pod", ActionType.ADD | ActionType.UPDATE_POD_LABEL | ActionType.DELETE,
                             hint=self._after_pod_change),
                ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_LABEL,
                             hint=self._after_node_change))

    def _after_pod_change(self, pod, old, new):
        """``isSchedulableAfterPodChange``: a pod appearing (or changing labels) that matches
        the pod's required affinity; a pod going away that matched its anti-affinity or had
        anti-affinity against it."""
        pi = PodInfo(pod)
        req_aff, req_anti, _, _ = terms_of(pi) if pi.affinity else ([], [], [], [])
        if new is not None:
            n = PodInfo(new)
            if old is not None and (old.get("metadata") or {}).get("labels") == n.labels:
                return False
            return any(t.matches(n, None) for t in req_aff)
        o = PodInfo(old)
        if o.required_anti_affinity and any(t.matches(pi, self._ns_labels(pi.namespace))
                                            for t in terms_of(o)[1]):
            return True
        return any(t.matches(o, None) for t in req_anti)

    def _after_node_change(self, pod, old, new):
        """``isSchedulableAfterNodeChange``: a node (or label change) bringing a topology key
        of the pod's terms."""
        pi = PodInfo(pod)
        terms = terms_of(pi) if pi.affinity else ([], [], [], [])
        keys = {t.key for t in terms[0] + terms[1]}
        o = ((old or {}).get("metadata") or {}).get("labels") or {}
        n = ((new or {}).get("metadata") or {}).get("labels") or {}
        if not keys:
            return True     # rejected for existing pods' anti-affinity: any new domain may help
        return any(o.get(k) != n.get(k) for k in keys)
