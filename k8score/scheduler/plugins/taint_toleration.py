"""TaintToleration: filter on NoSchedule/NoExecute taints, prefer fewer PreferNoSchedule ones.

``pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go``.

Score, worked example: a pod without tolerations; node-a has no
PreferNoSchedule taints, node-b has 1, node-c has 2. Raw scores (intolerable
taint counts) 0, 1, 2; :func:`default_normalize_score` with ``reverse=True`` and
max 2 gives 100 - 100*0/2 = 100, 100 - 100*1/2 = 50, 100 - 100*2/2 = 0.
"""

from __future__ import annotations

from ..events import ActionType, ClusterEvent
from ..interface import MAX_NODE_SCORE, FilterPlugin, PreScorePlugin, ScorePlugin
from ..status import Status
from ...api.taints import PREFER_NO_SCHEDULE, do_not_schedule, find_untolerated, tolerations_tolerate
from .helper import default_normalize_list, default_normalize_score

_PRE_SCORE_KEY = "PreScoreTaintToleration"


def _has_taints(ni) -> bool:
    return bool(ni.taints)


def _tainted(state, nodes) -> list:
    """Whether each node has taints: from the snapshot's column when the algorithm says
    where ``nodes`` lie in it (``state.node_range``), else from the nodes."""
    rng = state.node_range
    if rng is not None:
        snap, start, count = rng
        return snap.column_range("tainted", _has_taints, start, count)
    return list(map(_has_taints, nodes))


class TaintToleration(FilterPlugin, PreScorePlugin, ScorePlugin):
    name = "TaintToleration"

    def filter(self, state, pod, node_info):
        if not node_info.taints:
            return None
        tolerations = (pod.get("spec") or {}).get("tolerations") or []
        taint = find_untolerated(node_info.taints, tolerations, do_not_schedule)
        if taint is None:
            return None
        # taint_toleration.go: "node(s) had untolerated taint {%s: %s}"
        return Status.unresolvable(
            f"node(s) had untolerated taint {{{taint.get('key', '')}: {taint.get('value', '')}}}")

    def filter_nodes(self, state, pod, nodes):
        filt = self.filter   # only a tainted node can say no
        tainted = _tainted(state, nodes)
        if not any(tainted):
            return [None] * len(nodes)
        return [filt(state, pod, ni) if t else None for t, ni in zip(tainted, nodes)]

    def pre_score(self, state, pod, nodes):
        tolerations = (pod.get("spec") or {}).get("tolerations") or ()
        # an empty effect means every effect, PreferNoSchedule included
        prefer = [t for t in tolerations if (t.get("effect") or "") in ("", PREFER_NO_SCHEDULE)]
        state.write(_PRE_SCORE_KEY, prefer)
        return None

    def score(self, state, pod, node_info):
        prefer = state.get(_PRE_SCORE_KEY)
        if prefer is None:
            self.pre_score(state, pod, [node_info])
            prefer = state.read(_PRE_SCORE_KEY, list)
        return sum(1 for t in node_info.taints
                   if t.get("effect") == PREFER_NO_SCHEDULE and not tolerations_tolerate(prefer, t))

    def score_nodes(self, state, pod, nodes):
        """:meth:`score` of every node: 0 for all when none has a taint (the usual case)."""
        if not any(_tainted(state, nodes)):
            return [0] * len(nodes)
        return super().score_nodes(state, pod, nodes)

    def normalize_score(self, state, pod, scores):
        return default_normalize_score(MAX_NODE_SCORE, True, scores)

    def normalize_score_list(self, state, pod, scores):
        """:meth:`normalize_score` on a list in node order (no dict per cycle)."""
        return default_normalize_list(MAX_NODE_SCORE, True, scores)

    def events_to_register(self):
        return (ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_TAINT, hint=self._after_node_change),)

    def _after_node_change(self, pod, old, new):
        """``isSchedulableAfterNodeChange``: the node's taints are tolerated now and were not."""
        if new is None:
            return False
        tolerations = (pod.get("spec") or {}).get("tolerations") or []

        def ok(node):
            taints = (node.get("spec") or {}).get("taints") or []
            return find_untolerated(taints, tolerations, do_not_schedule) is None
        return ok(new) and (old is None or not ok(old))
