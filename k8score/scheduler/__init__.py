"""kube-scheduler: the Scheduling Framework, its default plugins, and the component.

Layout (mirrors ``pkg/scheduler``):

- :mod:`.status`, :mod:`.interface` — ``Status``/``Code``, ``CycleState``, one plugin
  interface per extension point (``framework/interface.go``);
- :mod:`.framework` — ``Profile`` and the ``Framework`` that runs a profile's plugins;
- :mod:`.handle` — the ``Handle`` plugins get at construction, ``PluginSpec``, plugin factories;
- :mod:`.config` — ``KubeSchedulerConfiguration``: profiles, plugin sets, args, validation;
- :mod:`.nominator` — pods nominated to nodes by preemption;
- :mod:`.plugins` — SchedulingGates, NodeName, NodeUnschedulable, TaintToleration, NodeAffinity,
  NodePorts, NodeResourcesFit, PodTopologySpread, InterPodAffinity, NodeResourcesBalancedAllocation,
  ImageLocality, DefaultPreemption, PrioritySort, DefaultBinder (+ the volume plugins);
  ``default_profile()``;
- :mod:`.nodeinfo`, :mod:`.cache` — ``NodeInfo``, ``Snapshot``, the scheduler cache
  with assumed pods (``backend/cache``);
- :mod:`.queue` — activeQ / backoffQ / unschedulablePods (``backend/queue``);
- :mod:`.algorithm` — filter, ``numFeasibleNodesToFind``, score, ``selectHost``;
- :mod:`.waiting` — pods held by Permit plugins;
- :mod:`.explain` — why a pod went where it went;
- :mod:`.testing` — ``make_node`` / ``make_pod`` builders for tests and examples;
- :mod:`.scheduler` — the ``Scheduler`` component (informers, events, binding).

>>> from k8score.scheduler import Framework, default_profile
>>> fw = Framework(default_profile())
>>> [(p.name, fw.weights[p.name]) for p in fw.score_plugins][:5]
[('TaintToleration', 3), ('NodeAffinity', 2), ('NodeResourcesFit', 1), ('PodTopologySpread', 2), ('InterPodAffinity', 2)]
"""

from .algorithm import Algorithm, FitError, NoNodesAvailable, ScheduleResult, num_feasible_nodes_to_find
from .cache import SchedulerCache
from .explain import AttemptRecord, format_explanation
from .framework import Framework, NodeScores, PluginScore, Profile, ScoreTable
from .handle import Handle, PluginSpec
from .interface import (MAX_NODE_SCORE, BindPlugin, CycleState, FilterPlugin, PermitPlugin, Plugin,
                        PluginError, PostBindPlugin, PostFilterPlugin, PreBindPlugin, PreEnqueuePlugin,
                        PreFilterPlugin, PreFilterResult, PreScorePlugin, QueueSortPlugin, ReservePlugin,
                        ScorePlugin)
from .nodeinfo import NodeInfo, PodInfo, Snapshot
from .plugins import DEFAULT_SCHEDULER_NAME, REGISTRY, build_profile, default_profile
from .queue import SchedulingQueue, backoff_duration
from .status import Code, Status
from .config import ConfigError, load_config


def __getattr__(name: str):
    # the component pulls in k8score.client; import it only when asked for
    if name == "Scheduler":
        from .scheduler import Scheduler
        return Scheduler
    raise AttributeError(name)


__all__ = [
    "Scheduler", "Framework", "Profile", "Status", "Code", "CycleState", "NodeInfo", "PodInfo", "Snapshot",
    "SchedulerCache", "SchedulingQueue", "Algorithm", "FitError", "NoNodesAvailable", "ScheduleResult",
    "AttemptRecord", "format_explanation", "num_feasible_nodes_to_find", "backoff_duration",
    "default_profile", "build_profile", "REGISTRY", "DEFAULT_SCHEDULER_NAME", "MAX_NODE_SCORE",
    "NodeScores", "PluginScore", "ScoreTable", "Plugin", "PluginError", "PreEnqueuePlugin", "QueueSortPlugin", "PreFilterPlugin",
    "PreFilterResult", "FilterPlugin", "PostFilterPlugin", "PreScorePlugin", "ScorePlugin",
    "ReservePlugin", "PermitPlugin", "PreBindPlugin", "BindPlugin", "PostBindPlugin",
    "Handle", "PluginSpec", "load_config", "ConfigError",
]
