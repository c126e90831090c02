"""Cluster events that can make an unschedulable pod schedulable (``framework/events.go``).

When a pod is rejected, the queue remembers which plugins rejected it. A later
cluster event moves it back to activeQ/backoffQ only if one of those plugins
registered interest in that event (``EnqueueExtensions.EventsToRegister``) —
a node's heartbeat does not wake pods that failed on ``Insufficient cpu``, a
node's allocatable growing does.

>>> old = {"metadata": {"name": "n"}, "spec": {}, "status": {"allocatable": {"cpu": "1"}}}
>>> new = {"metadata": {"name": "n"}, "spec": {"unschedulable": True}, "status": {"allocatable": {"cpu": "2"}}}
>>> str(node_update_action(old, new))
'UpdateNodeAllocatable|UpdateNodeTaint'
"""

from __future__ import annotations

import enum


class ActionType(enum.IntFlag):
    ADD = 1
    DELETE = 2
    UPDATE_NODE_ALLOCATABLE = 4
    UPDATE_NODE_LABEL = 8
    UPDATE_NODE_TAINT = 16        # also spec.unschedulable (upstream folds it into taints)
    UPDATE_NODE_CONDITION = 32
    UPDATE_POD_SCALE_DOWN = 64    # a pod's requests went down
    UPDATE_OTHER = 128
    UPDATE_POD_LABEL = 256        # an assigned pod's labels changed
    UPDATE = (UPDATE_NODE_ALLOCATABLE | UPDATE_NODE_LABEL | UPDATE_NODE_TAINT
              | UPDATE_NODE_CONDITION | UPDATE_POD_SCALE_DOWN | UPDATE_OTHER | UPDATE_POD_LABEL)
    ALL = ADD | DELETE | UPDATE

    def __str__(self) -> str:
        names = {ActionType.ADD: "Add", ActionType.DELETE: "Delete",
                 ActionType.UPDATE_NODE_ALLOCATABLE: "UpdateNodeAllocatable",
                 ActionType.UPDATE_NODE_LABEL: "UpdateNodeLabel",
                 ActionType.UPDATE_NODE_TAINT: "UpdateNodeTaint",
                 ActionType.UPDATE_NODE_CONDITION: "UpdateNodeCondition",
                 ActionType.UPDATE_POD_SCALE_DOWN: "UpdatePodScaleDown",
                 ActionType.UPDATE_POD_LABEL: "UpdatePodLabel",
                 ActionType.UPDATE_OTHER: "Update"}
        return "|".join(n for flag, n in names.items() if flag in self) or "None"


#: A queueing hint (``QueueingHintFn``): ``hint(pod, old, new) -> bool`` — True is
#: ``Queue`` (this event may make the rejected ``pod`` schedulable), False ``QueueSkip``.
#: ``old``/``new`` are the changed object before/after (None for an add / a delete).


class ClusterEvent:
    """A resource ("Node", "Pod" — assigned pods) and the action types of interest.

    As a plugin's registration (``ClusterEventWithHint``) it may carry a ``hint``;
    without one every matching event requeues the pod."""

    __slots__ = ("resource", "action", "label", "hint")

    def __init__(self, resource: str, action: ActionType, label: str = "", hint=None):
        self.resource = resource
        self.action = ActionType(action)
        self.label = label or f"{resource}{action}"
        self.hint = hint

    def matches(self, other: "ClusterEvent") -> bool:
        """Does the registered interest ``self`` cover the event ``other`` that happened?"""
        return (self.resource in ("*", other.resource)) and bool(self.action & other.action)

    def __repr__(self) -> str:
        return f"<ClusterEvent {self.label}>"


NODE_ADD = ClusterEvent("Node", ActionType.ADD, "NodeAdd")
ASSIGNED_POD_DELETE = ClusterEvent("Pod", ActionType.DELETE, "AssignedPodDelete")
ASSIGNED_POD_ADD = ClusterEvent("Pod", ActionType.ADD, "AssignedPodAdd")
UNSCHEDULABLE_TIMEOUT = ClusterEvent("*", ActionType.ALL, "UnschedulableTimeout")
FORCE_ACTIVATE = ClusterEvent("*", ActionType.ALL, "ForceActivate")


def node_update_action(old: dict, new: dict) -> ActionType:
    """Which scheduling-relevant parts of a node changed (``framework/events.go:
    NodeSchedulingPropertiesChange``). Heartbeat timestamps alone change nothing."""
    action = ActionType(0)
    o_spec, n_spec = old.get("spec") or {}, new.get("spec") or {}
    o_st, n_st = old.get("status") or {}, new.get("status") or {}
    if (o_st.get("allocatable") or {}) != (n_st.get("allocatable") or {}):
        action |= ActionType.UPDATE_NODE_ALLOCATABLE
    if ((old.get("metadata") or {}).get("labels") or {}) != ((new.get("metadata") or {}).get("labels") or {}):
        action |= ActionType.UPDATE_NODE_LABEL
    if (bool(o_spec.get("unschedulable")) != bool(n_spec.get("unschedulable"))
            or (o_spec.get("taints") or []) != (n_spec.get("taints") or [])):
        action |= ActionType.UPDATE_NODE_TAINT
    if _conditions(o_st) != _conditions(n_st):
        action |= ActionType.UPDATE_NODE_CONDITION
    return action


def _conditions(status: dict) -> list[tuple]:
    return sorted((c.get("type", ""), c.get("status", ""), c.get("reason", ""), c.get("message", ""))
                  for c in status.get("conditions") or ())
