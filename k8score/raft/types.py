"""Raft's wire and state types, with upstream's describe format for log lines.

Mirrors ``etcd-io/raft`` ``raftpb/raft.proto`` (Message, Entry, HardState, ConfState,
Snapshot, ConfChange) and ``util.go`` (``DescribeMessage``, ``DescribeEntry``,
``DescribeHardState``, ``DescribeSnapshot``). All values are frozen dataclasses, so a message
handed to ``step`` can never be changed behind the state machine's back; the one deviation
from upstream's field names is ``from_`` (``from`` is a Python keyword).

>>> m = Message(MsgVote, to=2, from_=1, term=1, log_term=1, index=2)
>>> print(m)
1->2 MsgVote Term:1 Log:1/2
>>> print(Entry(term=1, index=3, data=b"put k v"))
1/3 EntryNormal "put k v"
"""

from __future__ import annotations

from dataclasses import dataclass, field
import json

NONE = 0  # raft.go: None is a placeholder node ID used when there is no leader.

# raftpb/raft.proto MessageType; the names are the enum values, as in Go's String().
MsgHup = "MsgHup"
MsgBeat = "MsgBeat"
MsgProp = "MsgProp"
MsgApp = "MsgApp"
MsgAppResp = "MsgAppResp"
MsgVote = "MsgVote"
MsgVoteResp = "MsgVoteResp"
MsgSnap = "MsgSnap"
MsgHeartbeat = "MsgHeartbeat"
MsgHeartbeatResp = "MsgHeartbeatResp"
MsgUnreachable = "MsgUnreachable"
MsgSnapStatus = "MsgSnapStatus"
MsgCheckQuorum = "MsgCheckQuorum"
MsgTransferLeader = "MsgTransferLeader"
MsgTimeoutNow = "MsgTimeoutNow"
MsgReadIndex = "MsgReadIndex"
MsgReadIndexResp = "MsgReadIndexResp"
MsgPreVote = "MsgPreVote"
MsgPreVoteResp = "MsgPreVoteResp"

# util.go isLocalMsg / isResponseMsg.
LOCAL_MSGS = frozenset({MsgHup, MsgBeat, MsgUnreachable, MsgSnapStatus, MsgCheckQuorum})
RESPONSE_MSGS = frozenset({MsgAppResp, MsgVoteResp, MsgHeartbeatResp, MsgUnreachable,
                           MsgReadIndexResp, MsgPreVoteResp})


def vote_resp_type(t: str) -> str:
    """util.go voteRespMsgType: the response type for a (pre-)vote request."""
    return {MsgVote: MsgVoteResp, MsgPreVote: MsgPreVoteResp}[t]


EntryNormal = "EntryNormal"
EntryConfChange = "EntryConfChange"

# raft.go StateType and its String().
StateFollower = "StateFollower"
StateCandidate = "StateCandidate"
StateLeader = "StateLeader"
StatePreCandidate = "StatePreCandidate"

# raft.go campaignTransfer: the context that lets a vote bypass the leader lease.
CAMPAIGN_TRANSFER = b"CampaignTransfer"


def _quote(data: bytes) -> str:
    """Go's ``%q`` of a byte slice for printable ASCII (what transcripts use)."""
    out = []
    for b in data:
        c = chr(b)
        if c in '"\\':
            out.append("\\" + c)
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append("\\x%02x" % b)
    return '"' + "".join(out) + '"'


@dataclass(frozen=True)
class Entry:
    """One log entry. ``data`` of an EntryConfChange is ``ConfChange.marshal()``."""

    term: int = 0
    index: int = 0
    type: str = EntryNormal
    data: bytes = b""

    def __str__(self) -> str:  # util.go DescribeEntry
        if self.type == EntryConfChange:
            formatted = ConfChange.unmarshal(self.data).short()
        else:
            formatted = _quote(self.data)
        return f"{self.term}/{self.index} {self.type} {formatted}"


@dataclass(frozen=True)
class ConfState:
    """Voters and learners of a configuration (raftpb ConfState, no joint consensus)."""

    voters: tuple = ()
    learners: tuple = ()

    def __str__(self) -> str:  # util.go DescribeConfState, with the joint fields empty
        return (f"Voters:{_golist(self.voters)} VotersOutgoing:[] "
                f"Learners:{_golist(self.learners)} LearnersNext:[] AutoLeave:false")


def _golist(ids) -> str:
    return "[" + " ".join(str(i) for i in ids) + "]"


@dataclass(frozen=True)
class SnapshotMetadata:
    conf_state: ConfState = ConfState()
    index: int = 0
    term: int = 0


@dataclass(frozen=True)
class Snapshot:
    """A state-machine image at ``metadata.index``; ``data`` is opaque to raft."""

    data: bytes = b""
    metadata: SnapshotMetadata = SnapshotMetadata()

    def is_empty(self) -> bool:  # util.go IsEmptySnap
        return self.metadata.index == 0

    def __str__(self) -> str:  # util.go DescribeSnapshot
        m = self.metadata
        return f"Index:{m.index} Term:{m.term} ConfState:{m.conf_state}"


EMPTY_SNAPSHOT = Snapshot()


@dataclass(frozen=True)
class HardState:
    """What must be on disk before messages go out: term, vote and commit index."""

    term: int = 0
    vote: int = 0
    commit: int = 0

    def is_empty(self) -> bool:
        return self == EMPTY_HARD_STATE

    def __str__(self) -> str:  # util.go DescribeHardState
        vote = f" Vote:{self.vote}" if self.vote else ""
        return f"Term:{self.term}{vote} Commit:{self.commit}"


EMPTY_HARD_STATE = HardState()


@dataclass(frozen=True)
class SoftState:
    """Volatile state, never persisted: who leads and this node's role."""

    lead: int = NONE
    raft_state: str = StateFollower

    def __str__(self) -> str:  # util.go DescribeSoftState
        return f"Lead:{self.lead} State:{self.raft_state}"


@dataclass(frozen=True)
class ReadState:
    """A ReadIndex answer: reads for ``request_ctx`` are linearizable once applied >= index."""

    index: int
    request_ctx: bytes

    def __str__(self) -> str:  # Go's %v of the struct
        return f"{{{self.index} {_quote(self.request_ctx)}}}"


ConfChangeAddNode = "ConfChangeAddNode"
ConfChangeRemoveNode = "ConfChangeRemoveNode"
ConfChangeUpdateNode = "ConfChangeUpdateNode"
ConfChangeAddLearnerNode = "ConfChangeAddLearnerNode"
_CC_LETTER = {ConfChangeAddNode: "v", ConfChangeRemoveNode: "r",
              ConfChangeUpdateNode: "u", ConfChangeAddLearnerNode: "l"}


@dataclass(frozen=True)
class ConfChange:
    """A single membership change (raftpb ConfChange, "v1"); adding a learner's id as a voter
    promotes it. ``context`` is opaque (etcd puts the member's URLs there)."""

    type: str
    node_id: int
    context: bytes = b""

    def short(self) -> str:  # raftpb/confchange.go ConfChangesToString: v4, l4, r4, u4
        return f"{_CC_LETTER[self.type]}{self.node_id}"

    def marshal(self) -> bytes:
        return json.dumps({"type": self.type, "node_id": self.node_id,
                           "context": self.context.decode("latin-1")}, sort_keys=True).encode()

    @staticmethod
    def unmarshal(data: bytes) -> "ConfChange":
        d = json.loads(data.decode())
        return ConfChange(d["type"], d["node_id"], d["context"].encode("latin-1"))

    @staticmethod
    def parse(text: str) -> "ConfChange":
        """``v4`` adds voter 4, ``l4`` learner 4, ``r4`` removes 4 (ConfChangesFromString)."""
        kinds = {v: k for k, v in _CC_LETTER.items()}
        return ConfChange(kinds[text[0]], int(text[1:]))


@dataclass(frozen=True)
class Message:
    """A raft message. Fields keep raftpb's names; ``Term:0`` marks a local message."""

    type: str
    to: int = NONE
    from_: int = NONE
    term: int = 0
    log_term: int = 0
    index: int = 0
    entries: tuple = ()
    commit: int = 0
    vote: int = 0
    snapshot: Snapshot | None = None
    reject: bool = False
    reject_hint: int = 0
    context: bytes = field(default=b"", compare=True)

    def __str__(self) -> str:  # util.go describeMessageWithIndent
        s = f"{_target(self.from_)}->{_target(self.to)} {self.type} Term:{self.term} " \
            f"Log:{self.log_term}/{self.index}"
        if self.reject:
            s += f" Rejected (Hint: {self.reject_hint})"
        if self.commit:
            s += f" Commit:{self.commit}"
        if self.vote:
            s += f" Vote:{self.vote}"
        if len(self.entries) == 1:
            s += f" Entries:[{self.entries[0]}]"
        elif len(self.entries) > 1:
            s += " Entries:[" + "".join(f"\n  {e}" for e in self.entries) + "\n]"
        if self.snapshot is not None and not self.snapshot.is_empty():
            s += f"\n  Snapshot: {self.snapshot}"
        return s


def _target(id_: int) -> str:
    return "None" if id_ == NONE else "%x" % id_
