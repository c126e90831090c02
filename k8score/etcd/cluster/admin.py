"""The Cluster and Maintenance services of an etcd member: what ``etcdctl member ...``,
``move-leader``, ``endpoint status`` and ``alarm list`` ask the member they reach.

Reimplements server/etcdserver/server.go (AddMember, RemoveMember, PromoteMember,
UpdateMember, MoveLeader, mayAddMember, mayRemoveMember, isLearnerReady) and api/v3rpc/maintenance.go
(Status, HashKV). A membership change is a raft conf change proposed through the member that got
the request (a follower forwards it to the leader); the call returns once that member has
applied it, the network pumped at once as for any client request (client.py), or fails
with ``etcdserver: request timed out``.
"""

from __future__ import annotations

from typing import Any

from ...raft import ConfChange, ConfChangeAddLearnerNode, ConfChangeAddNode, ConfChangeRemoveNode
from ...raft.types import ConfChangeUpdateNode
from ...raft.raft import ProposalDroppedError
from ...sim import clock
from ..types import RAFT_TERM, EtcdError
from .client import ERR_DEADLINE, ERR_NO_LEADER, ERR_TIMEOUT
from .membership import (ERR_BAD_TRANSFEREE, ERR_LEADER_TRANSFER_TIMEOUT, ERR_LEARNER_NOT_READY,
                         ERR_MEMBER_NOT_FOUND, ERR_MEMBER_NOT_LEARNER, ERR_NOT_ENOUGH_STARTED,
                         ERR_PEER_URL_EXISTS,
                         ERR_UNHEALTHY, READY_PERCENT, MemberInfo, compute_member_id)

# server/etcdserver/server.go: MoveLeader waits for the transferee to lead within the
# request's deadline; etcdctl's --command-timeout default is 5 s.
MOVE_LEADER_TIMEOUT = 5.0
# version/version.go: the server version the simulated members report.
SERVER_VERSION = "3.5.16"


def _serving(m: Any) -> None:
    if m.paused:
        raise EtcdError(ERR_DEADLINE)
    if not m.running:
        raise EtcdError(ERR_DEADLINE)


def _connected(ec: Any, via: Any, id_: int) -> bool:
    """rafthttp ActiveSince != 0: the peer runs and the network links it to ``via``."""
    if id_ == via.id:
        return True
    peer = ec.member_by_id(id_)
    return peer is not None and peer.available and ec.network.connected(via.id, id_)


def _propose(ec: Any, via: Any, cc_type: str, info: MemberInfo, **extra: Any) -> list:
    # request ids for conf changes, apart from the Client's own (etcd's reqIDGen)
    req = ec._conf_req = getattr(ec, "_conf_req", 1 << 40) + 1
    cc = ConfChange(cc_type, info.id, info.to_context(origin=via.id, req=req, **extra))
    if not via.leader:
        ec.network.pump(lambda: via.leader != 0)
    try:
        via.node.propose_conf_change(cc)
    except ProposalDroppedError:
        raise EtcdError(ERR_NO_LEADER) from None
    via.process_ready()
    if not ec.network.pump(lambda: req in via.results):
        raise EtcdError(ERR_TIMEOUT if via.leader else ERR_NO_LEADER)
    return via.results.pop(req)


def member_add(ec: Any, via: Any, peer_urls: list, learner: bool = False) -> tuple:
    """AddMember: (the new member, the member list after it)."""
    _serving(via)
    unix = int(clock.EPOCH.timestamp() + ec.loop.now)
    # api/v3rpc/member.go MemberAdd: membership.NewMember("", urls, "", &now)
    info = MemberInfo(compute_member_id(peer_urls, "", unix), list(peer_urls), is_learner=learner)
    ms = via.membership
    err = ms.validate_add(info)
    if not err and not learner and not ms.ready_to_add_voter():
        err = ERR_NOT_ENOUGH_STARTED
    if not err and not all(_connected(ec, via, v.id) for v in ms.voters()):
        err = ERR_UNHEALTHY          # isConnectedFullySince: every voter reachable
    if err:
        raise EtcdError(err)
    members = _propose(ec, via, ConfChangeAddLearnerNode if learner else ConfChangeAddNode, info)
    return info, members


def member_remove(ec: Any, via: Any, id_: int) -> list:
    _serving(via)
    ms = via.membership
    target = ms.members.get(id_)
    if target is None:
        raise EtcdError(ERR_MEMBER_NOT_FOUND)
    if not target.is_learner:
        if not ms.ready_to_remove_voter(id_):
            raise EtcdError(ERR_NOT_ENOUGH_STARTED)
        # "downed member is safe to remove since it's not part of the active quorum"
        if _connected(ec, via, id_) or id_ == via.id:
            voters = ms.voters()
            active = sum(_connected(ec, via, v.id) for v in voters)
            if active - 1 < 1 + (len(voters) - 1) // 2:
                raise EtcdError(ERR_UNHEALTHY)
    return _propose(ec, via, ConfChangeRemoveNode, target)


def member_update(ec: Any, via: Any, id_: int, peer_urls: list) -> list:
    """UpdateMember (api/v3rpc/member.go MemberUpdate): a ConfChangeUpdateNode carrying the
    member's new peer URLs; ValidateConfigurationChange wants the member to exist and the
    URLs not to belong to another member."""
    _serving(via)
    ms = via.membership
    target = ms.members.get(id_)
    if target is None:
        raise EtcdError(ERR_MEMBER_NOT_FOUND)
    taken = {u for m in ms.members.values() if m.id != id_ for u in m.peer_urls}
    if any(u in taken for u in peer_urls):
        raise EtcdError(ERR_PEER_URL_EXISTS)
    info = target.copy()
    info.peer_urls = list(peer_urls)
    return _propose(ec, via, ConfChangeUpdateNode, info, update=True)


def hash_kv(ec: Any, m: Any, rev: int = 0) -> dict:
    """maintenance.go HashKV, answered by ``m`` from its own keyspace (restore.hash_kv)."""
    from .restore import hash_kv as _hash
    _serving(m)
    h, compacted, _ = _hash(m.store, rev)
    s = status(ec, m)
    return {"header": {"cluster_id": s["cluster_id"], "member_id": m.id,
                       "revision": m.store.revision, "raft_term": s["raft_term"]},
            "hash": h, "compact_revision": compacted}


def learner_ready(ec: Any, via: Any, id_: int) -> bool:
    """isLearnerReady, on the leader: the learner's match index is >= 90% of the leader's."""
    lead = ec.member_by_id(via.leader)
    if lead is None or not lead.is_leader:
        raise EtcdError(ERR_NO_LEADER)
    prs = lead.node.raft.trk.progress
    if id_ not in prs:
        return True
    return prs[id_].match >= prs[lead.id].match * READY_PERCENT


def member_promote(ec: Any, via: Any, id_: int) -> list:
    _serving(via)
    if not learner_ready(ec, via, id_):
        raise EtcdError(ERR_LEARNER_NOT_READY)
    ms = via.membership
    if not ms.ready_to_promote(id_):
        raise EtcdError(ERR_NOT_ENOUGH_STARTED)
    target = ms.members.get(id_)
    if target is None:
        raise EtcdError(ERR_MEMBER_NOT_FOUND)
    if not target.is_learner:
        raise EtcdError(ERR_MEMBER_NOT_LEARNER)
    promoted = target.copy()
    promoted.is_learner = False
    return _propose(ec, via, ConfChangeAddNode, promoted, promote=True)


def move_leader(ec: Any, via: Any, id_: int) -> None:
    """MoveLeader (maintenance.go): only the leader accepts it; the transferee must be a
    voter; returns once it leads, or fails after the request's deadline."""
    _serving(via)
    from .membership import ERR_NOT_LEADER
    if not via.is_leader:
        raise EtcdError(ERR_NOT_LEADER)
    info = via.membership.members.get(id_)
    if info is None or info.is_learner:
        raise EtcdError(ERR_BAD_TRANSFEREE)
    via.node.transfer_leader(id_)
    via.process_ready()
    target = ec.member_by_id(id_)
    ok = ec.network.pump(lambda: target is not None and target.is_leader)
    if not ok:
        # the transferee needs more appends first: give it virtual time (heartbeats)
        ok = ec.loop.run(until=ec.loop.now + MOVE_LEADER_TIMEOUT,
                         predicate=lambda: target is not None and target.is_leader)
    if not ok:
        raise EtcdError(ERR_LEADER_TRANSFER_TIMEOUT)


def db_size(store: Any) -> tuple[int, int]:
    """(dbSize, dbSizeInUse) in bytes: bbolt's 4 KiB pages over a fresh etcd's 24 KiB file
    (16 KiB in use), one more page per 4 KiB of key/value history. An estimate."""
    used = 0
    for versions in store._hist.values():
        for kv in versions:
            used += len(getattr(kv, "key", "")) + len(getattr(kv, "value", "") or "") + 64
    pages = -(-used // 4096)
    return 24576 + pages * 4096, 16384 + pages * 4096


def status(ec: Any, m: Any) -> dict:
    """maintenance.go Status of member ``m`` (raises when it cannot answer)."""
    _serving(m)
    st = m.node.status() if m.node is not None else None
    size, in_use = db_size(m.store)
    info = m.membership.members.get(m.id)
    leader, term, index = m.leader, (st.term if st else 0), (st.commit if st else 0)
    if m.direct:   # a lone member leads itself; its log: the bootstrap entries, one per write
        leader, term, index = m.id, RAFT_TERM, 3 + m.store.revision
    errors = [] if leader else [ERR_NO_LEADER]
    return {"cluster_id": m.membership.cluster_id or ec.cluster_id, "member_id": m.id,
            "revision": m.store.revision, "raft_term": term,
            "version": SERVER_VERSION, "db_size": size, "leader": leader,
            "raft_index": index, "raft_applied_index": index if m.direct else m.applied,
            "db_size_in_use": in_use, "is_learner": bool(info and info.is_learner),
            "errors": errors}
