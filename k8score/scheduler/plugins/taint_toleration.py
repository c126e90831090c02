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
from .helper import default_normalize_score

_PRE_SCORE_KEY = "PreScoreTaintToleration"


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

    def normalize_score(self, state, pod, scores):
        return default_normalize_score(MAX_NODE_SCORE, True, scores)

    def events_to_register(self):
        return (ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_TAINT),)
