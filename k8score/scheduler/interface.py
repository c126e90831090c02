"""Plugin interfaces: one small class per extension point (``framework/interface.go``).

A plugin is a class with a ``name`` that subclasses every extension point it
implements; the :class:`~k8score.scheduler.framework.Framework` finds them with
``isinstance``. Calls happen in this order in one scheduling attempt::

    scheduling cycle (one pod at a time):
      PreFilter -> Filter (per node) -> [PostFilter if no node fits]
      -> PreScore -> Score (per node) -> NormalizeScore -> Reserve -> Permit
    binding cycle (may overlap the next pod's scheduling cycle):
      [wait on Permit] -> PreBind -> Bind -> PostBind
      any failure: Unreserve (reverse order), pod back to the queue

Success is ``None`` (or ``Status.success()``), like upstream's nil ``*Status``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from .status import Status

if TYPE_CHECKING:  # pragma: no cover
    from .events import ClusterEvent
    from .nodeinfo import NodeInfo
    from .queue import QueuedPodInfo

#: Highest score a Score plugin may return after normalization (``framework.MaxNodeScore``).
MAX_NODE_SCORE = 100
#: Lowest score (``framework.MinNodeScore``).
MIN_NODE_SCORE = 0


class PluginError(Exception):
    """Raised by ``Score`` for an internal error; the framework turns it into ``Code.ERROR``."""


class CycleState:
    """Data plugins share within one scheduling attempt, stored under the plugin's own key.

    Upstream ``CycleState`` stores ``StateData`` by string key; a PreFilter or
    PreScore computes something once per pod and the per-node Filter/Score
    calls read it. :meth:`read` checks the type so a plugin cannot silently
    read another plugin's data.

    >>> s = CycleState()
    >>> s.write("PreScoreTaintToleration", [])
    >>> s.read("PreScoreTaintToleration", list)
    []
    """

    __slots__ = ("_data", "get", "skip_filter_plugins", "skip_score_plugins", "filter_plugins", "node_range")

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        #: ``get(key, default=None)``: the value or ``default`` — the dict's own ``get``,
        #: because Filter and Score call it once per node
        self.get = self._data.get
        #: plugins whose PreFilter returned Skip: their Filter is not called this cycle
        self.skip_filter_plugins: set[str] = set()
        #: plugins whose PreScore returned Skip: their Score is not called this cycle
        self.skip_score_plugins: set[str] = set()
        #: the Filter plugins to run per node, fixed once PreFilter is done (None: not yet)
        self.filter_plugins: list | None = None
        #: ``(snapshot, start, count)`` while the algorithm hands ``filter_nodes`` /
        #: ``score_nodes`` exactly ``snapshot.node_infos[start:start + count]`` (wrapping
        #: round), or ``start`` a list: exactly the nodes at those positions (some were
        #: rejected): a plugin may then read per-node values from ``snapshot.column_range``.
        #: None otherwise (what-ifs on copies, narrowed node lists): plugins use the nodes.
        self.node_range: tuple | None = None

    def write(self, key: str, value: Any) -> None:
        self._data[key] = value

    def read(self, key: str, kind: type | tuple[type, ...] = object) -> Any:
        """The value under ``key``; KeyError if absent, TypeError if not a ``kind``."""
        value = self._data[key]
        if not isinstance(value, kind):
            raise TypeError(f"{key!r} holds {type(value).__name__}, expected {kind}")
        return value

    def delete(self, key: str) -> None:
        self._data.pop(key, None)

    def node_values(self, key: Any, fn: Any, nodes: list) -> list:
        """``[fn(n) for n in nodes]``, read from the snapshot's column ``key`` (kept across
        cycles, recomputed only for changed nodes) when :attr:`node_range` says where
        ``nodes`` sit in it."""
        rng = self.node_range
        if rng is not None:
            snap, start, count = rng
            return snap.column_range(key, fn, start, count)
        return list(map(fn, nodes))

    def clone(self) -> "CycleState":
        """A copy for a what-if (preemption's dry run per node): values with a ``clone()``
        method are cloned, the rest shared (``CycleState.Clone``)."""
        c = CycleState()
        for k, v in self._data.items():
            c._data[k] = v.clone() if hasattr(v, "clone") else v
        c.skip_filter_plugins = set(self.skip_filter_plugins)
        c.skip_score_plugins = set(self.skip_score_plugins)
        c.filter_plugins = self.filter_plugins
        return c


class Plugin:
    """Base of every plugin. ``name`` appears in statuses, events and explanations."""

    name: ClassVar[str] = ""
    #: the :class:`~k8score.scheduler.handle.Handle` (the framework running this plugin,
    #: upstream ``framework.Handle``), given when the framework builds the plugin
    handle: Any = None

    def start_informers(self, factory: Any, move: Any) -> None:
        """When the scheduler starts: request the informers this plugin reads beyond pods and
        nodes, and call ``move(ClusterEvent)`` from their handlers (queueing). Default: none."""

    def events_to_register(self) -> tuple["ClusterEvent", ...]:
        """Cluster events that may make a pod this plugin rejected schedulable again
        (``EnqueueExtensions.EventsToRegister``), each with an optional queueing hint
        ``hint(pod, old, new) -> bool``. Empty means: any event."""
        return ()


class PreEnqueuePlugin(Plugin):
    def pre_enqueue(self, pod: dict) -> Status | None:
        """Before the pod enters activeQ (and on each update while it waits): a rejection
        keeps it gated in unschedulablePods (e.g. SchedulingGates)."""
        raise NotImplementedError


class QueueSortPlugin(Plugin):
    def less(self, a: "QueuedPodInfo", b: "QueuedPodInfo") -> bool:
        """True if ``a`` should be scheduled before ``b``. Exactly one per profile."""
        raise NotImplementedError


class PreFilterResult:
    """A PreFilter may narrow the nodes to evaluate (``None`` = all nodes)."""

    __slots__ = ("node_names",)

    def __init__(self, node_names: set[str] | None = None):
        self.node_names = node_names

    def all_nodes(self) -> bool:
        return self.node_names is None


class PreFilterPlugin(Plugin):
    #: ``PreFilterExtensions``: set to methods ``add_pod(state, pod, added: PodInfo, node_info)``
    #: and ``remove_pod(state, pod, removed: PodInfo, node_info)`` in plugins whose PreFilter
    #: state counts other pods, so a what-if (preemption removing victims) can update it.
    add_pod = None
    remove_pod = None

    def pre_filter(self, state: CycleState, pod: dict,
                   nodes: list["NodeInfo"]) -> tuple[PreFilterResult | None, Status | None]:
        """Once per pod before filtering. A rejection rejects every node; ``Skip``
        means this plugin's Filter is not needed for this pod."""
        raise NotImplementedError


class FilterPlugin(Plugin):
    def filter(self, state: CycleState, pod: dict, node_info: "NodeInfo") -> Status | None:
        """Can ``pod`` run on this node? Called for many nodes: must not mutate
        ``state`` or ``node_info``. Return Unschedulable (preemption might help) or
        UnschedulableAndUnresolvable (it cannot)."""
        raise NotImplementedError

    def filter_nodes(self, state: CycleState, pod: dict, nodes: list["NodeInfo"]) -> list[Status | None]:
        """:meth:`filter` of each node, in order. A plugin on the default profile's hot path
        overrides it to answer the common "fits" without a call per node; the verdicts
        must be the same."""
        filt = self.filter
        return [filt(state, pod, ni) for ni in nodes]


class PostFilterResult:
    __slots__ = ("nominated_node_name",)

    def __init__(self, nominated_node_name: str = ""):
        self.nominated_node_name = nominated_node_name


class PostFilterPlugin(Plugin):
    def post_filter(self, state: CycleState, pod: dict,
                    node_statuses: dict[str, Status]) -> tuple[PostFilterResult | None, Status]:
        """Only when no node passed Filter (e.g. preemption). Its message is appended
        to the FailedScheduling event."""
        raise NotImplementedError


class PreScorePlugin(Plugin):
    def pre_score(self, state: CycleState, pod: dict, nodes: list["NodeInfo"]) -> Status | None:
        """Once per pod with the feasible nodes; ``Skip`` disables this plugin's Score."""
        raise NotImplementedError


class ScorePlugin(Plugin):
    #: Set to a method ``normalize_score(state, pod, scores: dict[str, int]) -> Status|None``
    #: in plugins whose raw scores are not already in [0, MAX_NODE_SCORE].
    normalize_score = None

    def score(self, state: CycleState, pod: dict, node_info: "NodeInfo") -> int:
        """A raw score for one feasible node (raise :class:`PluginError` on internal errors).
        After normalization it must lie in [MIN_NODE_SCORE, MAX_NODE_SCORE]; the
        framework multiplies it by the plugin's weight."""
        raise NotImplementedError

    def score_nodes(self, state: CycleState, pod: dict, nodes: list["NodeInfo"]) -> list[int]:
        """Raw scores of ``nodes``, in order: :meth:`score` for each. A plugin on the default
        profile's hot path overrides it with its formula inlined (no call per node); the
        numbers must be the same."""
        score = self.score
        return [score(state, pod, ni) for ni in nodes]


class ReservePlugin(Plugin):
    def reserve(self, state: CycleState, pod: dict, node_name: str) -> Status | None:
        """Claim per-node state for the assumed pod (before binding)."""
        raise NotImplementedError

    def unreserve(self, state: CycleState, pod: dict, node_name: str) -> None:
        """Undo :meth:`reserve`. Must be idempotent, and may be called even if this
        plugin's ``reserve`` never ran (a later plugin failed)."""
        raise NotImplementedError


class PermitPlugin(Plugin):
    def permit(self, state: CycleState, pod: dict, node_name: str) -> tuple[Status | None, float]:
        """Approve, reject, or ``Wait`` (with a timeout in seconds) before binding."""
        raise NotImplementedError


class PreBindPlugin(Plugin):
    def pre_bind(self, state: CycleState, pod: dict, node_name: str) -> Status | None:
        """Work that must finish before the binding (e.g. provisioning a volume)."""
        raise NotImplementedError


class BindPlugin(Plugin):
    def bind(self, state: CycleState, pod: dict, node_name: str) -> Status | None:
        """Bind the pod. Return ``Skip`` to let the next Bind plugin handle it;
        the first non-Skip result ends the extension point."""
        raise NotImplementedError


class PostBindPlugin(Plugin):
    def post_bind(self, state: CycleState, pod: dict, node_name: str) -> None:
        """Informational, after a successful bind (cleanup)."""
        raise NotImplementedError


EXTENSION_POINTS: tuple[tuple[str, type], ...] = (
    ("PreEnqueue", PreEnqueuePlugin), ("QueueSort", QueueSortPlugin), ("PreFilter", PreFilterPlugin), ("Filter", FilterPlugin),
    ("PostFilter", PostFilterPlugin), ("PreScore", PreScorePlugin), ("Score", ScorePlugin),
    ("Reserve", ReservePlugin), ("Permit", PermitPlugin), ("PreBind", PreBindPlugin),
    ("Bind", BindPlugin), ("PostBind", PostBindPlugin),
)
