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

    __slots__ = ("_data", "get", "skip_filter_plugins", "skip_score_plugins")

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        #: ``get(key, default=None)``: the value or ``default`` — the dict's own ``get``,
        #: because Filter and Score call it once per node
        self.get = self._data.get
        #: plugins whose PreFilter returned Skip: their Filter is not called this cycle
        self.skip_filter_plugins: set[str] = set()
        #: plugins whose PreScore returned Skip: their Score is not called this cycle
        self.skip_score_plugins: set[str] = set()

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


class Plugin:
    """Base of every plugin. ``name`` appears in statuses, events and explanations."""

    name: ClassVar[str] = ""
    #: the :class:`~k8score.scheduler.framework.Framework` running this plugin (upstream
    #: ``framework.Handle``); set when the profile is built
    handle: Any = None

    def events_to_register(self) -> tuple["ClusterEvent", ...]:
        """Cluster events that may make a pod this plugin rejected schedulable again
        (``EnqueueExtensions``). Empty means: any event."""
        return ()


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
    ("QueueSort", QueueSortPlugin), ("PreFilter", PreFilterPlugin), ("Filter", FilterPlugin),
    ("PostFilter", PostFilterPlugin), ("PreScore", PreScorePlugin), ("Score", ScorePlugin),
    ("Reserve", ReservePlugin), ("Permit", PermitPlugin), ("PreBind", PreBindPlugin),
    ("Bind", BindPlugin), ("PostBind", PostBindPlugin),
)
