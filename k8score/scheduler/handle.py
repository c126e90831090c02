"""The Handle plugins receive at construction, and how plugins are built from a registry.

As ``staging/src/k8s.io/kube-scheduler/framework/interface.go`` (``Handle``) and
``pkg/scheduler/framework/runtime/registry.go`` (``PluginFactory``, ``Registry``,
``Merge``). Upstream's ``frameworkImpl`` *is* the handle: ``NewFramework`` calls every
plugin's factory with its args and itself. Here too: :class:`~.framework.Framework`
subclasses :class:`Handle`, receives every service in its constructor, and only then
builds the plugins, so a plugin's ``__init__``-time handle is complete. The services:

=====================  =================================================================
``client``             API calls (``ClientSet``): bindings, pod status, deletions
``recorder``           Events (``EventRecorder``)
``informer_factory``   the scheduler's SharedInformerFactory: listers for Services,
                       ReplicaSets, Namespaces, PodDisruptionBudgets ... (None standalone)
``snapshot``           the cycle's :class:`~.nodeinfo.Snapshot` (``SnapshotSharedLister``)
``waiting_pods``       pods held by Permit (``GetWaitingPod`` / ``IterateOverWaitingPods``)
``nominator``          pods nominated to nodes by preemption (``PodNominator``)
``rng``                the seeded random source (tie breaks, preemption's offset)
``now()``              the scheduler's clock (virtual seconds)
=====================  =================================================================

A plugin factory is ``factory(args: dict, handle: Handle) -> Plugin``. In-tree plugins
are classes whose keyword arguments are their args (``NodeResourcesFit(strategy=...)``);
:func:`instantiate` accepts both. A reader's own plugin needs only a ``name`` and the
methods of the extension points it implements (subclass
:class:`~.interface.FilterPlugin`, :class:`~.interface.ScorePlugin`, ...)::

    class PreferSSD(ScorePlugin):
        name = "PreferSSD"
        def __init__(self, args, handle):
            self.handle = handle
        def score(self, state, pod, node_info):
            return 100 if node_info.node["metadata"]["labels"].get("disk") == "ssd" else 0

    Scheduler(loop, api, registry={"PreferSSD": PreferSSD}, config=...)
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from .interface import Plugin


class Handle:
    """What a plugin may use of the scheduler (upstream ``framework.Handle``).

    Every attribute is given when the framework is constructed; a restarted scheduler
    process builds new frameworks (new handles, new plugin instances), as a new
    kube-scheduler process would.
    """

    client: Any
    recorder: Any
    informer_factory: Any
    snapshot: Any
    waiting_pods: Any
    nominator: Any
    rng: Any

    def __init__(self, client: Any = None, recorder: Any = None, informer_factory: Any = None,
                 snapshot: Any = None, waiting_pods: Any = None, nominator: Any = None,
                 rng: Any = None, clock: Callable[[], float] | None = None):
        self.client = client
        self._clock = clock
        self.recorder = recorder
        self.informer_factory = informer_factory
        self.snapshot = snapshot
        self.waiting_pods = waiting_pods
        self.nominator = nominator
        self.rng = rng

    def now(self) -> float:
        """Virtual seconds (0.0 for a framework without a clock: unit tests)."""
        return self._clock() if self._clock is not None else 0.0

    def lister(self, resource: str) -> Any:
        """The informer (cache + indexers) for ``resource`` from the scheduler's factory,
        or None when the framework runs without one (unit tests, what-ifs)."""
        f = self.informer_factory
        return f.informer(resource) if f is not None else None


#: ``PluginFactory``: (args, handle) -> plugin
PluginFactory = Callable[[dict, Handle], Plugin]


class PluginSpec:
    """A plugin not built yet: its name, factory and args (one entry of a profile)."""

    __slots__ = ("name", "factory", "args")

    def __init__(self, name: str, factory: Callable[..., Plugin], args: dict | None = None):
        self.name = name
        self.factory = factory
        self.args = dict(args or {})

    def __repr__(self) -> str:
        return f"PluginSpec({self.name!r})"


def instantiate(spec: PluginSpec, handle: Handle) -> Plugin:
    """Build one plugin with its handle.

    A :class:`~.interface.Plugin` subclass is called with its args as keywords and given
    the handle before anything can call it (the in-tree plugins); any other factory is
    called ``factory(args, handle)`` (upstream's ``PluginFactory`` signature). A plugin
    class whose ``__init__`` takes ``(args, handle)`` may be registered directly too.
    """
    f = spec.factory
    if isinstance(f, type) and issubclass(f, Plugin) and not _takes_args_handle(f):
        plugin = f(**spec.args)
        plugin.handle = handle
    else:
        plugin = f(spec.args, handle)
        if not isinstance(plugin, Plugin):
            raise TypeError(f"plugin {spec.name!r} must subclass an extension point of "
                            f"k8score.scheduler.interface (FilterPlugin, ScorePlugin, ...)")
        if plugin.handle is None:
            plugin.handle = handle
    if not plugin.name:
        raise ValueError(f"plugin factory for {spec.name!r} built a plugin without a name")
    return plugin


def _takes_args_handle(cls: type) -> bool:
    """True when ``cls.__init__`` has exactly the parameters ``(self, args, handle)``."""
    init = cls.__init__
    if init is object.__init__:
        return False
    try:
        params = list(inspect.signature(init).parameters)
    except (TypeError, ValueError):
        return False
    return params == ["self", "args", "handle"]
