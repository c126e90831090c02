"""PodTopologySpread's shared parts: a constraint, counting matching pods, per-node column functions.

``pkg/scheduler/framework/plugins/podtopologyspread/common.go`` (``topologySpreadConstraint``,
``countPodsMatchSelector``, ``nodeLabelsMatchSpreadConstraints``). Filtering
(:mod:`.pod_topology_spread`) and scoring (:mod:`.topology_spread_scoring`) both use them.
"""

from __future__ import annotations

import math

from ...api.taints import do_not_schedule, find_untolerated
from .helper import as_selector, with_label_values
from .node_affinity import required_matches

LABEL_HOSTNAME = "kubernetes.io/hostname"
LABEL_ZONE = "topology.kubernetes.io/zone"
DO_NOT_SCHEDULE, SCHEDULE_ANYWAY = "DoNotSchedule", "ScheduleAnyway"
#: first part of the plugin's snapshot column keys (PreFilter and PreScore share sums)
COLUMN = "PodTopologySpread"


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


def _node_count_fn(selector, namespace: str):
    """Per node: its pods matching (a hostname constraint's count)."""
    def node_count(ni):
        return count_matching(ni, selector, namespace) if ni.pods else 0
    return node_count


def _round_half_away(x: float) -> int:
    """Go's ``math.Round``: halves away from zero (Python's ``round`` goes to even)."""
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))
