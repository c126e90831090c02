"""NodeAffinity: ``spec.nodeSelector`` and ``spec.affinity.nodeAffinity``.

``pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go`` and
``k8s.io/component-helpers/scheduling/corev1/nodeaffinity``.

* Filter: the node's labels must contain every ``nodeSelector`` pair, **and** match
  at least one ``requiredDuringSchedulingIgnoredDuringExecution`` term (terms are
  ORed; the expressions inside a term are ANDed; a term with no expressions
  matches nothing). Failure: ``node(s) didn't match Pod's node affinity/selector``.
* PreFilter: a pod pinned with ``matchFields: metadata.name In [...]`` only has
  those nodes examined (a :class:`~k8score.scheduler.interface.PreFilterResult`).
* Score: the sum of the weights of the ``preferredDuringScheduling...`` terms the node
  matches, then scaled so the best node gets 100. Worked example: preferences
  ``disk=ssd`` (weight 80) and ``zone=a`` (weight 20); node-1 has both (100),
  node-2 only ``disk=ssd`` (80), node-3 neither (0) -> 100, 80, 0.
"""

from __future__ import annotations

from ..events import ActionType, ClusterEvent
from ..interface import (MAX_NODE_SCORE, FilterPlugin, PreFilterPlugin, PreFilterResult, PreScorePlugin,
                         ScorePlugin)
from ..status import Status
from .helper import default_normalize_score

# node_affinity.go: ErrReasonPod, errReasonConflict
ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector"
ERR_REASON_CONFLICT = "pod affinity terms conflict"
_PRE_FILTER_KEY = "PreFilterNodeAffinity"
_PRE_SCORE_KEY = "PreScoreNodeAffinity"


def _requirement_matches(req: dict, labels: dict) -> bool:
    """One ``NodeSelectorRequirement`` against a label (or field) map."""
    key, op = req.get("key", ""), req.get("operator", "")
    values = req.get("values") or []
    has = key in labels
    if op == "In":
        return has and labels[key] in values
    if op == "NotIn":
        return not has or labels[key] not in values
    if op == "Exists":
        return has
    if op == "DoesNotExist":
        return not has
    if op in ("Gt", "Lt"):
        if not has or len(values) != 1:
            return False
        try:
            mine, theirs = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return mine > theirs if op == "Gt" else mine < theirs
    return False  # unknown operators never match (upstream: a parse error, ignored)


def term_matches(term: dict, node_labels: dict, node_name: str) -> bool:
    """A ``NodeSelectorTerm``: all its expressions and fields hold; an empty term matches nothing."""
    exprs = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not exprs and not fields:
        return False
    field_map = {"metadata.name": node_name}
    return (all(_requirement_matches(r, node_labels) for r in exprs)
            and all(_requirement_matches(r, field_map) for r in fields))


def _required_terms(pod: dict) -> list[dict] | None:
    na = ((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}
    required = na.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        return None
    return list(required.get("nodeSelectorTerms") or [])


def required_matches(pod: dict, node_labels: dict, node_name: str) -> bool:
    """``nodeaffinity.GetRequiredNodeAffinity(pod).Match(node)``."""
    selector = (pod.get("spec") or {}).get("nodeSelector") or {}
    if any(node_labels.get(k) != v for k, v in selector.items()):
        return False
    terms = _required_terms(pod)
    if terms is None:
        return True
    return any(term_matches(t, node_labels, node_name) for t in terms)


class NodeAffinity(PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin):
    name = "NodeAffinity"

    def pre_filter(self, state, pod, nodes):
        terms = _required_terms(pod)
        if terms is None and not (pod.get("spec") or {}).get("nodeSelector"):
            return None, Status.skip()        # nothing to check for this pod
        if not terms:
            return None, None
        names: set[str] | None = None
        for t in terms:
            term_names: set[str] | None = None
            for r in t.get("matchFields") or []:
                if r.get("key") == "metadata.name" and r.get("operator") == "In":
                    vals = set(r.get("values") or [])
                    term_names = vals if term_names is None else term_names & vals
            if term_names is None:
                return None, None             # this term can match any node (terms are ORed)
            names = term_names if names is None else names | term_names
        if not names:
            return None, Status.unresolvable(ERR_REASON_CONFLICT)
        return PreFilterResult(names), None

    def filter(self, state, pod, node_info):
        if required_matches(pod, node_info.labels, node_info.name):
            return None
        return Status.unresolvable(ERR_REASON_POD)

    def pre_score(self, state, pod, nodes):
        na = ((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}
        preferred = [p for p in na.get("preferredDuringSchedulingIgnoredDuringExecution") or []
                     if p.get("weight")]
        if not preferred:
            return Status.skip()
        state.write(_PRE_SCORE_KEY, preferred)
        return None

    def score(self, state, pod, node_info):
        preferred = state.get(_PRE_SCORE_KEY) or []
        labels = node_info.labels
        return sum(int(p["weight"]) for p in preferred
                   if term_matches(p.get("preference") or {}, labels, node_info.name))

    def normalize_score(self, state, pod, scores):
        return default_normalize_score(MAX_NODE_SCORE, False, scores)

    def events_to_register(self):
        return (ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_LABEL, hint=self._after_node_change),)

    def _after_node_change(self, pod, old, new):
        """``isSchedulableAfterNodeChange``: the node matches now and did not before."""
        if new is None:
            return False
        meta = new.get("metadata") or {}
        if not required_matches(pod, meta.get("labels") or {}, meta.get("name", "")):
            return False
        if old is None:
            return True
        ometa = old.get("metadata") or {}
        return not required_matches(pod, ometa.get("labels") or {}, ometa.get("name", ""))
