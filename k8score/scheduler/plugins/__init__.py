"""In-tree plugins and the default profile (``pkg/scheduler/framework/plugins``).

:data:`REGISTRY` maps plugin names to factories, so a profile can be described
by names and weights like a ``KubeSchedulerConfiguration``; adding one of
upstream's other plugins (NodePorts, PodTopologySpread, InterPodAffinity,
ImageLocality, VolumeBinding...) is a new module plus a registry entry.

The default profile follows ``pkg/scheduler/apis/config/v1/default_plugins.go``
(multi-point order, score weights), restricted to the plugins implemented here:

=================================  ======  ======================================
plugin                             weight  extension points
=================================  ======  ======================================
SchedulingGates                    -       PreEnqueue
PrioritySort                       -       QueueSort
NodeUnschedulable                  -       Filter
NodeName                           -       Filter
TaintToleration                    3       Filter, PreScore, Score
NodeAffinity                       2       PreFilter, Filter, PreScore, Score
NodePorts                          -       PreFilter, Filter
NodeResourcesFit                   1       PreFilter, Filter, PreScore, Score
(volume plugins)                   -       (added by their modules)
PodTopologySpread                  2       PreFilter, Filter, PreScore, Score
InterPodAffinity                   2       PreFilter, Filter, PreScore, Score
DefaultPreemption                  -       PostFilter
NodeResourcesBalancedAllocation    1       PreScore, Score
ImageLocality                      1       PreScore, Score
DefaultBinder                      -       Bind
=================================  ======  ======================================

To add a plugin to the default profile, register it in :data:`REGISTRY` and insert its
``(name, weight)`` into :data:`DEFAULT_PLUGINS` at upstream's position.
"""

from __future__ import annotations

from typing import Callable, Iterable

from ..framework import Profile
from ..interface import Plugin
from .balanced_allocation import BalancedAllocation
from .default_binder import DefaultBinder
from .default_preemption import DefaultPreemption
from .fit import NodeResourcesFit
from .image_locality import ImageLocality
from .inter_pod_affinity import InterPodAffinity
from .node_ports import NodePorts
from .pod_topology_spread import PodTopologySpread
from .scheduling_gates import SchedulingGates
from .node_affinity import NodeAffinity
from .node_name import NodeName
from .node_unschedulable import NodeUnschedulable
from .queue_sort import PrioritySort
from .taint_toleration import TaintToleration
from .node_volume_limits import NodeVolumeLimits
from .volume_binding import VolumeBinding
from .volume_restrictions import VolumeRestrictions
from .volume_zone import VolumeZone

#: pkg/scheduler/apis/config/types.go / v1 defaults: DefaultSchedulerName
DEFAULT_SCHEDULER_NAME = "default-scheduler"

REGISTRY: dict[str, Callable[..., Plugin]] = {
    SchedulingGates.name: SchedulingGates,
    PrioritySort.name: PrioritySort,
    NodeUnschedulable.name: NodeUnschedulable,
    NodeName.name: NodeName,
    TaintToleration.name: TaintToleration,
    NodeAffinity.name: NodeAffinity,
    NodeResourcesFit.name: NodeResourcesFit,
    DefaultPreemption.name: DefaultPreemption,
    BalancedAllocation.name: BalancedAllocation,
    DefaultBinder.name: DefaultBinder,
    NodePorts.name: NodePorts,
    PodTopologySpread.name: PodTopologySpread,
    InterPodAffinity.name: InterPodAffinity,
    ImageLocality.name: ImageLocality,
    VolumeRestrictions.name: VolumeRestrictions,
    NodeVolumeLimits.name: NodeVolumeLimits,
    VolumeBinding.name: VolumeBinding,
    VolumeZone.name: VolumeZone,
}

#: (name, weight) in upstream multi-point order; weight 0 for non-score plugins
#: (pkg/scheduler/apis/config/v1/default_plugins.go: getDefaultPlugins)
DEFAULT_PLUGINS: tuple[tuple[str, int], ...] = (
    ("SchedulingGates", 0),
    ("PrioritySort", 0),
    ("NodeUnschedulable", 0),
    ("NodeName", 0),
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodePorts", 0),
    ("NodeResourcesFit", 1),
    ("VolumeRestrictions", 0),
    ("NodeVolumeLimits", 0),
    ("VolumeBinding", 0),
    ("VolumeZone", 0),
    ("PodTopologySpread", 2),
    ("InterPodAffinity", 2),
    ("DefaultPreemption", 0),
    ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
    ("DefaultBinder", 0),
)


def build_profile(scheduler_name: str = DEFAULT_SCHEDULER_NAME,
                  plugins: Iterable[tuple[str, int]] = DEFAULT_PLUGINS,
                  args: dict[str, dict] | None = None,
                  percentage_of_nodes_to_score: int | None = None) -> Profile:
    """A profile from plugin names and weights; ``args`` gives constructor kwargs per plugin,
    e.g. ``{"NodeResourcesFit": {"strategy": "MostAllocated"}}``."""
    args = args or {}
    built = []
    for name, weight in plugins:
        if name not in REGISTRY:
            raise ValueError(f"plugin {name!r} does not exist (known: {sorted(REGISTRY)})")
        built.append((REGISTRY[name](**args.get(name, {})), weight))
    return Profile(scheduler_name, built, percentage_of_nodes_to_score)


def default_profile() -> Profile:
    """A fresh default-scheduler profile (plugin instances are per profile)."""
    return build_profile()


__all__ = ["REGISTRY", "DEFAULT_PLUGINS", "DEFAULT_SCHEDULER_NAME", "build_profile", "default_profile",
           "PrioritySort", "NodeUnschedulable", "NodeName", "TaintToleration", "NodeResourcesFit",
           "BalancedAllocation", "DefaultBinder", "DefaultPreemption", "NodeAffinity", "NodePorts",
           "PodTopologySpread", "InterPodAffinity", "ImageLocality", "SchedulingGates"]
