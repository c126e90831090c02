"""The result of every plugin call: a :class:`Status` with a small :class:`Code` enum.

Mirrors ``k8s.io/kube-scheduler/framework`` (``interface.go``: ``Code``, ``Status``).
A plugin returns ``None`` or ``Status.success()`` for success; the framework
stamps the plugin's name on any other status so explanations can say *who*
rejected a node.

>>> s = Status(Code.UNSCHEDULABLE, "Insufficient cpu").with_plugin("NodeResourcesFit")
>>> s.is_rejected(), s.message, s.plugin
(True, 'Insufficient cpu', 'NodeResourcesFit')
"""

from __future__ import annotations

import enum

class Code(enum.IntEnum):
    """What a status means, and what it does to the pod in the scheduling queue.

    Values and order as upstream ``framework.Code``.
    """

    #: The plugin ran correctly and found the pod schedulable (nil status is the same).
    SUCCESS = 0
    #: Internal plugin error or unexpected input; the pod goes to backoffQ and is retried.
    ERROR = 1
    #: The pod does not fit *now*; preemption (PostFilter) may help. The pod parks in
    #: unschedulablePods until a cluster event might make it schedulable.
    UNSCHEDULABLE = 2
    #: The pod can never fit this node whatever is preempted (wrong node name,
    #: untolerated taint): preemption skips such nodes.
    UNSCHEDULABLE_AND_UNRESOLVABLE = 3
    #: Permit only: the pod waits (gang scheduling, quotas) until allowed or timed out.
    WAIT = 4
    #: PreFilter/PreScore only: this plugin has nothing to do for this pod; the
    #: framework skips its Filter/Score for the cycle.
    SKIP = 5
    #: The pod waits for something outside the scheduler (a controller, a claim);
    #: treated like Unschedulable but retried only when the plugin says so.
    PENDING = 6

    def __str__(self) -> str:  # the spelling upstream logs use
        return _CODE_NAMES[self]


_CODE_NAMES = {
    Code.SUCCESS: "Success",
    Code.ERROR: "Error",
    Code.UNSCHEDULABLE: "Unschedulable",
    Code.UNSCHEDULABLE_AND_UNRESOLVABLE: "UnschedulableAndUnresolvable",
    Code.WAIT: "Wait",
    Code.SKIP: "Skip",
    Code.PENDING: "Pending",
}


class Status:
    """A code, human-readable reasons (upstream wording) and the plugin that produced it."""

    __slots__ = ("code", "reasons", "plugin")

    def __init__(self, code: Code = Code.SUCCESS, *reasons: str, plugin: str = ""):
        self.code = Code(code)
        self.reasons: tuple[str, ...] = tuple(reasons)
        self.plugin = plugin

    # -- constructors ------------------------------------------------------
    @classmethod
    def success(cls) -> "Status":
        return cls(Code.SUCCESS)

    @classmethod
    def error(cls, message: str) -> "Status":
        return cls(Code.ERROR, message)

    @classmethod
    def unschedulable(cls, *reasons: str) -> "Status":
        return cls(Code.UNSCHEDULABLE, *reasons)

    @classmethod
    def unresolvable(cls, *reasons: str) -> "Status":
        return cls(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, *reasons)

    @classmethod
    def skip(cls) -> "Status":
        return cls(Code.SKIP)

    def with_plugin(self, plugin: str) -> "Status":
        self.plugin = plugin
        return self

    # -- predicates ----------------------------------------------------------
    def is_success(self) -> bool:
        return self.code == Code.SUCCESS

    def is_skip(self) -> bool:
        return self.code == Code.SKIP

    def is_wait(self) -> bool:
        return self.code == Code.WAIT

    def is_rejected(self) -> bool:
        """Unschedulable, UnschedulableAndUnresolvable or Pending (upstream ``IsRejected``)."""
        return self.code in (Code.UNSCHEDULABLE, Code.UNSCHEDULABLE_AND_UNRESOLVABLE, Code.PENDING)

    @property
    def message(self) -> str:
        """Reasons joined with ", " (upstream ``Status.Message``)."""
        return ", ".join(self.reasons)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Status):
            return NotImplemented
        return (self.code, self.reasons, self.plugin) == (other.code, other.reasons, other.plugin)

    def __hash__(self) -> int:
        return hash((self.code, self.reasons, self.plugin))

    def __repr__(self) -> str:
        who = f" plugin={self.plugin}" if self.plugin else ""
        return f"<Status {self.code}{who} {self.message!r}>"

