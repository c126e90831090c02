"""The cluster membership each etcd member keeps (server/etcdserver/api/membership/cluster.go).

Every member holds its own :class:`Membership`: the initial members, then every applied
membership change (``member add`` / ``remove`` / ``promote`` travel through raft as conf
changes whose context is the member, JSON-encoded, as etcd's ``ConfChange.Context``), plus
the attributes a member publishes when it first starts (its name and client URLs: until
then ``member list`` shows it ``unstarted``). It is part of the snapshot, like etcd's
``members`` bucket in the backend.

The quorum guards of ``--strict-reconfig-check`` (on by default) live here too; "started"
means *has published its name once*, not "running now" (membership/member.go IsStarted).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

# server/etcdserver/errors.go and api/v3rpc/rpctypes/error.go: what etcdctl prints.
ERR_MEMBER_NOT_FOUND = "etcdserver: member not found"
ERR_PEER_URL_EXISTS = "etcdserver: Peer URLs already exists"
ERR_MEMBER_NOT_LEARNER = "etcdserver: can only promote a learner member"
ERR_LEARNER_NOT_READY = "etcdserver: can only promote a learner member which is in sync with leader"
ERR_TOO_MANY_LEARNERS = "etcdserver: too many learner members in cluster"
ERR_NOT_ENOUGH_STARTED = "etcdserver: re-configuration failed due to not enough started members"
ERR_UNHEALTHY = "etcdserver: unhealthy cluster"
ERR_BAD_TRANSFEREE = "etcdserver: bad leader transferee"
ERR_NOT_LEADER = "etcdserver: not leader"
ERR_LEADER_TRANSFER_TIMEOUT = "etcdserver: request timed out, leader transfer took too long"
# server/etcdserver/server.go: a removed member's process exits with this.
REMOVED = "the member has been permanently removed from the cluster"

# server/etcdserver/api/membership/cluster.go maxLearners; server.go readyPercent.
MAX_LEARNERS = 1
READY_PERCENT = 0.9


@dataclass
class MemberInfo:
    """membership.Member: RaftAttributes (peer URLs, learner) and Attributes (name, client URLs)."""

    id: int
    peer_urls: list
    name: str = ""
    client_urls: list = field(default_factory=list)
    is_learner: bool = False

    @property
    def started(self) -> bool:
        return bool(self.name)

    def to_context(self, **extra) -> bytes:
        d = {"id": self.id, "peerURLs": self.peer_urls, "name": self.name,
             "clientURLs": self.client_urls, "isLearner": self.is_learner}
        d.update(extra)
        return json.dumps(d, sort_keys=True).encode()

    @staticmethod
    def from_context(data: bytes) -> tuple["MemberInfo", dict]:
        d = json.loads(data.decode())
        info = MemberInfo(d.pop("id"), list(d.pop("peerURLs")), d.pop("name"),
                          list(d.pop("clientURLs")), d.pop("isLearner"))
        return info, d

    def copy(self) -> "MemberInfo":
        return MemberInfo(self.id, list(self.peer_urls), self.name, list(self.client_urls),
                          self.is_learner)


def compute_member_id(peer_urls: list, token: str, unix_time: int | None = None) -> int:
    """membership/member.go computeMemberID: sha1(sorted peer URLs + cluster token [+ the
    add time in Unix seconds, for ``member add``]), first 8 bytes big-endian."""
    b = "".join(sorted(peer_urls)) + token
    if unix_time is not None:
        b += str(unix_time)
    return int.from_bytes(hashlib.sha1(b.encode()).digest()[:8], "big")


def compute_cluster_id(member_ids) -> int:
    """membership/cluster.go genID: sha1 over the sorted initial member ids (8 bytes each)."""
    b = b"".join(i.to_bytes(8, "big") for i in sorted(member_ids))
    return int.from_bytes(hashlib.sha1(b).digest()[:8], "big")


class Membership:
    """One member's view: ``members`` by id, ``removed`` ids (never to return)."""

    def __init__(self, cluster_id: int, members: list[MemberInfo]):
        self.cluster_id = cluster_id
        self.members: dict[int, MemberInfo] = {m.id: m for m in members}
        self.removed: set[int] = set()

    def copy(self) -> "Membership":
        c = Membership(self.cluster_id, [m.copy() for m in self.members.values()])
        c.removed = set(self.removed)
        return c

    def sorted(self) -> list[MemberInfo]:
        """cluster.go Members(): sorted by id, as ``member list`` prints them."""
        return [self.members[i] for i in sorted(self.members)]

    def voters(self) -> list[MemberInfo]:
        return [m for m in self.sorted() if not m.is_learner]

    def by_peer_urls(self, urls) -> MemberInfo | None:
        want = sorted(urls)
        return next((m for m in self.sorted() if sorted(m.peer_urls) == want), None)

    # -- checks before proposing (server.go mayAddMember / mayRemoveMember / mayPromoteMember)
    def validate_add(self, info: MemberInfo) -> str:
        """ValidateConfigurationChange for an add; returns an error text or ''."""
        urls = {u for m in self.members.values() for u in m.peer_urls}
        if info.id in self.removed:
            return "etcdserver: ID removed"
        if info.id in self.members or any(u in urls for u in info.peer_urls):
            return ERR_PEER_URL_EXISTS
        if info.is_learner and sum(m.is_learner for m in self.members.values()) + 1 > MAX_LEARNERS:
            return ERR_TOO_MANY_LEARNERS
        return ""

    def ready_to_add_voter(self) -> bool:
        """cluster.go IsReadyToAddVotingMember: the new voter (not started yet) must not take
        the started voters below a quorum of the enlarged cluster."""
        voters = self.voters()
        nmembers, nstarted = len(voters) + 1, sum(m.started for m in voters)
        if nstarted == 1 and nmembers == 2:
            return True   # a one-member cluster may always grow
        return nstarted >= nmembers // 2 + 1

    def ready_to_remove_voter(self, id_: int) -> bool:
        """cluster.go IsReadyToRemoveVotingMember: the started voters left make a quorum."""
        rest = [m for m in self.voters() if m.id != id_]
        nstarted = sum(m.started for m in rest)
        return nstarted > 0 and nstarted >= len(rest) // 2 + 1

    def ready_to_promote(self, id_: int) -> bool:
        """cluster.go IsReadyToPromoteMember: the promoted learner counts as started."""
        voters = self.voters()
        nmembers, nstarted = len(voters) + 1, sum(m.started for m in voters) + 1
        return nstarted >= nmembers // 2 + 1
