"""Raft as a pure state machine, after etcd-io/raft.

Nothing here touches a network, a disk or a clock: the caller ticks a ``RawNode``, steps it
with messages, and handles each ``Ready`` (persist, send, apply, ``advance``). See
``rawnode.py`` for the contract and a runnable example, ``testing.py`` for an in-memory
network that drives several nodes.

Scope: single-step membership changes (no joint consensus / ConfChangeV2), ReadOnlySafe
reads (no lease-based reads), no byte-based flow control (MaxSizePerMsg, MaxInflightBytes,
MaxUncommittedEntriesSize), no asynchronous storage writes.
"""

from .rawnode import Config, Ready, RawNode, Status, StepError
from .raft import ProposalDroppedError
from .storage import CompactedError, MemoryStorage, SnapOutOfDateError, UnavailableError
from .types import (ConfChange, ConfChangeAddLearnerNode, ConfChangeAddNode,
                    ConfChangeRemoveNode, ConfState, Entry, EntryConfChange, EntryNormal,
                    HardState, Message, ReadState, Snapshot, SoftState, StateCandidate,
                    StateFollower, StateLeader, StatePreCandidate)

__all__ = [
    "CompactedError", "Config", "ConfChange", "ConfChangeAddLearnerNode", "ConfChangeAddNode",
    "ConfChangeRemoveNode", "ConfState", "Entry", "EntryConfChange", "EntryNormal", "HardState",
    "MemoryStorage", "Message", "ProposalDroppedError", "RawNode", "ReadState", "Ready",
    "SnapOutOfDateError", "Snapshot", "SoftState", "StateCandidate", "StateFollower",
    "StateLeader", "StatePreCandidate", "Status", "StepError", "UnavailableError",
]
