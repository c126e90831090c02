"""One etcd member: a RawNode, its disk (WAL + snapshot), and the MVCC store it applies to.

The member follows the raft ``Ready`` contract (k8score/raft/rawnode.py) as etcd's
``server/etcdserver/raft.go`` does: persist (snapshot, entries, hard state) to ``self.disk``,
send the messages over the peer network, apply committed entries in order to ``self.store``
(each member its own copy: revisions agree because every member applies the same log), then
``advance``. Ticks come from the virtual clock: every ``--heartbeat-interval`` (100 ms, times
``clock_skew`` for a member with a slow clock).

What survives ``stop()``/``start()`` is ``self.disk`` (the WAL and the snap files): a restart
builds a new RawNode from it, restores the store from the last snapshot and re-applies the
committed entries after it. ``start(wipe=True)`` starts from an empty data directory.

Entries carry a ``Request`` (etcd's InternalRaftRequest) by reference instead of protobuf
bytes: its operands (Compare/Op objects, strings) are immutable, so every member applying
it sees the same request.
"""

from __future__ import annotations

import random
from typing import Any

from ...raft import (Config, ConfChange, ConfChangeAddLearnerNode, ConfChangeAddNode,
                     ConfChangeRemoveNode, ConfState, EntryConfChange, MemoryStorage, RawNode,
                     StateLeader, StepError)
from ...raft.raft import ProposalDroppedError
from ...sim import Component
from ..store import Store
from ..types import EtcdError
from . import image
from .membership import REMOVED, MemberInfo, Membership

# server/etcdserver/server.go DefaultSnapshotCount: applied entries between two snapshots.
DEFAULT_SNAPSHOT_COUNT = 10_000
# server/etcdserver/server.go DefaultSnapshotCatchUpEntries: entries kept after a snapshot
# so a slightly lagging follower catches up from the log rather than a snapshot.
DEFAULT_CATCH_UP_ENTRIES = 5_000
# server/embed/config.go DefaultTickMs (--heartbeat-interval 100 ms) and DefaultElectionTicks
# (--election-timeout 1000 ms = 10 ticks).
TICK_SECONDS = 0.1
ELECTION_TICKS = 10
HEARTBEAT_TICKS = 1
# server/etcdserver/api/v3rpc/interceptor.go monitorLeader: every election timeout a member
# counts whether it knows a leader; after maxNoLeaderCnt (3) in a row without one it cancels
# the streams opened WithRequireLeader (the watches) with "etcdserver: no leader".
MAX_NO_LEADER_CNT = 3
#: kubeadm's etcd --data-dir (cmd/kubeadm/app/constants EtcdDataDir): where each member's
#: WAL and snap files live, and where ``etcdutl snapshot restore`` must write to replace them.
DATA_DIR = "/var/lib/etcd"
# The leader checks for expired leases once a second (lessor.go revokeExpiredLeases loop
# runs every 500 ms; the virtual clock does it on a 1 s beat like the single member did).
LEASE_CHECK_SECONDS = 1.0


class Request(bytes):
    """What an entry carries: ``op`` is a Store method name applied with ``args``/``kwargs``;
    ``origin`` is the member whose client waits for the result (etcd's wait.Wait by id).
    Its bytes are a short description (``put foo``), which raft's log lines print."""

    def __new__(cls, id_: int, origin: int, op: str, args: tuple, kwargs: dict):
        head = args[0] if args and isinstance(args[0], (str, int)) else f"#{id_}"
        self = super().__new__(cls, f"{op} {head}".encode("utf-8", "replace")[:80])
        self.id, self.origin, self.op, self.args, self.kwargs = id_, origin, op, args, kwargs
        return self

    def __repr__(self) -> str:
        return f"<Request {self.op}#{self.id}>"


class Member(Component):
    """``name`` (etcd-1...) with raft id ``id_`` among ``peers`` (ids), on ``network``."""

    kind = "etcd"
    plane = "control-plane"

    def __init__(self, name: str, id_: int, peers: list[int], loop: Any, network: Any,
                 seed: int = 0, direct: bool = False,
                 snapshot_count: int = DEFAULT_SNAPSHOT_COUNT,
                 catch_up_entries: int = DEFAULT_CATCH_UP_ENTRIES,
                 peer_urls: list | None = None, client_urls: list | None = None,
                 membership: Membership | None = None, discover: Any = None):
        super().__init__(name, loop)
        self.id = id_
        self.peers = list(peers)
        self.network = network
        self.seed = seed
        #: a single member with nothing to agree on: requests go straight to the store
        self.direct = direct
        self.snapshot_count = snapshot_count
        self.catch_up_entries = catch_up_entries
        self.store = Store(seed=seed)
        self.disk = MemoryStorage()         # the WAL and snap files: survive stop/start
        self.node: RawNode | None = None
        self.conf_state = ConfState(voters=tuple(sorted(peers)))
        self.paused = False
        self.held: list = []                # messages the kernel buffered while paused
        self.clock_skew = 1.0               # > 1: a slow clock, ticks further apart
        self.results: dict[int, Any] = {}   # request id -> response or EtcdError
        self.read_states: dict[bytes, int] = {}
        self.applied = 0
        self.panic = ""                     # why the process last exited on its own
        self.listeners: list = []           # callables(member, what): "stopped", "started", "restored"
        self._starts = 0
        #: --initial-advertise-peer-urls / --advertise-client-urls
        self.peer_urls = list(peer_urls or [])
        self.client_urls = list(client_urls or [])
        #: this member's view of the cluster membership (membership.py); the copy it booted
        #: with (what the log replays onto after a restart without a snapshot)
        self.membership = membership or Membership(0, [MemberInfo(i, []) for i in self.peers])
        self._boot_membership = self.membership.copy()
        #: ``discover()`` -> a running peer's Membership (etcd's getClusterFromRemotePeers,
        #: how a member started with an empty data dir and --initial-cluster-state=existing
        #: learns its id and the configuration)
        self.discover = discover
        self._removed = False
        self._ticks = 0
        self.data_dir = DATA_DIR
        #: election timeouts in a row without a leader (interceptor.go monitorLeader)
        self.no_leader_count = 0

    # -- lifecycle ----------------------------------------------------------------------------
    def on_start(self) -> None:
        self._starts += 1
        self.no_leader_count = 0
        if self.direct:
            self.every(1.0, lambda: self.store.advance(self.loop.now))
        else:
            self._boot()
            self._ticker = self.every(TICK_SECONDS * self.clock_skew, self._tick)
            self.every(LEASE_CHECK_SECONDS, self._revoke_expired)
        self._notify("started")

    def on_stop(self) -> None:
        self.paused = False
        self.held = []
        self.results.clear()
        self.read_states.clear()
        self._notify("stopped")

    def wipe(self) -> None:
        """Remove the data directory (only while stopped): the member restarts empty."""
        if self.running:
            raise RuntimeError(f"{self.name} is running: stop it before wiping its data")
        image.wipe(self.store, self.seed)
        self.disk = MemoryStorage()
        self.node = None
        self.applied = 0
        self._removed = False

    @property
    def has_data(self) -> bool:
        """The data directory holds a WAL or a snapshot (etcdutl refuses to restore over it)."""
        return self.disk.last_index() > 0 or not self.disk.snapshot().is_empty()

    def load_data_dir(self, dd: Any) -> None:
        """Take the data directory ``etcdutl snapshot restore`` wrote (a
        :class:`~.restore.DataDir`) as this member's: its id, its cluster's membership, the
        keyspace, and a raft log that starts at the restore's snapshot (term 1). Only while
        stopped, with an empty data directory (``wipe()`` it first)."""
        if self.running or self.has_data:
            raise RuntimeError(f'data-dir "{self.data_dir}" not empty or could not be read')
        if self.network.members.get(self.id) is self:
            del self.network.members[self.id]
        self.id = dd.member_id
        self.network.members[self.id] = self
        self.peers = list(dd.voters)
        self.disk = MemoryStorage()
        self.disk.apply_snapshot(dd.raft_snapshot())
        self.disk.set_hard_state(dd.hard_state())
        self.conf_state = ConfState(voters=tuple(dd.voters))
        self.membership = dd.membership.copy()
        self._boot_membership = dd.membership.copy()
        self.node, self.applied, self._removed, self.panic = None, 0, False, ""

    def _boot(self) -> None:
        """A RawNode over what the disk holds (a restart replays the WAL after the snapshot)."""
        snap = self.disk.snapshot()
        if self.disk.last_index() == 0 and snap.is_empty() and self.discover is not None:
            self._join()
        if not snap.is_empty():
            self.membership = image.restore(self.store, snap.data) or self.membership
            self.conf_state = snap.metadata.conf_state
        else:
            if self.node is not None or self.applied:
                image.wipe(self.store, self.seed)   # no snapshot yet: rebuild from the log alone
            self.membership = self._boot_membership.copy()
        if self.id in self.membership.removed:
            # server.go: a removed member that restarts with its old data exits at once
            self.panic = REMOVED
            self.loop.call_later(0, self.stop)
        self.applied = snap.metadata.index
        rng = random.Random(f"etcd/{self.seed}/{self.id}/{self._starts}")
        boot = self._boot_membership
        cfg = Config(id=self.id, peers=[m.id for m in boot.sorted() if not m.is_learner],
                     learners=[m.id for m in boot.sorted() if m.is_learner],
                     election_tick=ELECTION_TICKS,
                     heartbeat_tick=HEARTBEAT_TICKS, applied=self.applied, rng=rng)
        self.node = RawNode(cfg, self.disk)
        self._notify("restored")
        self.process_ready()

    def _join(self) -> None:
        """An empty data directory: ask a running peer for the membership and take the id
        registered for our peer URLs (membership.ValidateClusterAndAssignIDs). A member
        re-added after ``member remove`` gets the new id ``member add`` chose; one that was
        never removed keeps its id (and panics when the leader's commit index is ahead)."""
        remote = self.discover(self)
        if remote is None:
            return
        mine = remote.by_peer_urls(self.peer_urls) if self.peer_urls else None
        if mine is None:
            return
        if mine.id != self.id:
            self.network.members.pop(self.id, None)
            self.id = mine.id
            self.network.members[self.id] = self
        self._boot_membership = remote.copy()

    def set_clock_skew(self, factor: float) -> None:
        """A slow (factor > 1) or fast clock: ticks ``factor`` x 100 ms apart from now on."""
        self.clock_skew = factor
        if self.running and not self.direct:
            self._ticker.cancel()
            self._ticker = self.every(TICK_SECONDS * factor, self._tick)

    def pause(self) -> None:
        """SIGSTOP: no ticks, nothing stepped (messages queue up) until :meth:`resume`."""
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        held, self.held = self.held, []
        for m in held:
            self.receive(m)

    def _notify(self, what: str) -> None:
        for fn in list(self.listeners):
            fn(self, what)

    # -- raft inputs ----------------------------------------------------------------------------
    def _tick(self) -> None:
        if self.paused or self.node is None:
            return
        self.node.tick()
        self._ticks += 1
        if self._ticks % ELECTION_TICKS == 0:
            self._maybe_publish()
            self._monitor_leader()
        self.process_ready()

    def _monitor_leader(self) -> None:
        """interceptor.go monitorLeader: after MAX_NO_LEADER_CNT election timeouts without a
        leader, cancel this member's WithRequireLeader watches (the clients re-watch)."""
        if self.leader:
            self.no_leader_count = 0
            return
        self.no_leader_count += 1
        if self.no_leader_count >= MAX_NO_LEADER_CNT:
            self._notify("leader-lost")

    def _maybe_publish(self) -> None:
        """server.go publishV3: a member whose name and client URLs the membership does not
        hold yet (``unstarted`` in ``member list``; or restored by etcdutl, which knows only
        names and peer URLs) proposes them, retrying until applied."""
        info = self.membership.members.get(self.id)
        if info is None or not self.node.raft.lead or (
                info.name and info.client_urls == self.client_urls):
            return
        try:
            self.node.propose(Request(0, 0, "_publish", (self.id, self.name, tuple(self.client_urls)), {}))
        except ProposalDroppedError:
            pass

    def receive(self, m: Any) -> None:
        if self.node is None or self.paused:
            return
        try:
            self.node.step(m)
        except StepError:       # a message from a peer this member does not know: dropped
            return
        except ProposalDroppedError:   # a forwarded MsgProp reached a member with no leader:
            return                     # raft stepFollower drops it (found by etcd/robustness)
        except AssertionError as e:
            # raft panics (e.g. a member restarted with its data wiped is told to commit
            # entries it no longer has); the etcd process exits with the panic.
            self.panic = f"panic: {e}"
            self.stop()
            return
        self.process_ready()

    def report_snapshot(self, to: int, failed: bool) -> None:
        if self.node is not None:
            self.node.report_snapshot(to, failed)

    def propose(self, req: Request) -> None:
        """Raises ProposalDroppedError when this member knows no leader."""
        self.node.propose(req)
        self.process_ready()

    def read_index(self, ctx: bytes) -> None:
        self.node.read_index(ctx)
        self.process_ready()

    @property
    def is_leader(self) -> bool:
        return self.node is not None and self.node.raft.state == StateLeader

    @property
    def leader(self) -> int:
        return self.node.raft.lead if self.node is not None else 0

    @property
    def available(self) -> bool:
        return self.running and not self.paused

    # -- the Ready loop -----------------------------------------------------------------------
    def process_ready(self) -> None:
        rn = self.node
        while rn.has_ready():
            rd = rn.ready()
            if not rd.snapshot.is_empty():          # persist: snapshot, entries, hard state
                self.disk.apply_snapshot(rd.snapshot)
                self.membership = image.restore(self.store, rd.snapshot.data) or self.membership
                self.conf_state = rd.snapshot.metadata.conf_state
                self.applied = rd.snapshot.metadata.index
                self._notify("restored")
            self.disk.append(rd.entries)
            if not rd.hard_state.is_empty():
                self.disk.set_hard_state(rd.hard_state)
            for m in rd.messages:                   # send, only after persisting
                self.network.send(m)
            for e in rd.committed_entries:          # apply, in log order
                self._apply(e)
            for rs in rd.read_states:
                self.read_states[rs.request_ctx] = rs.index
            rn.advance(rd)
            if rd.soft_state is not None and rd.soft_state.raft_state == StateLeader:
                self._promote_leases()
            self._maybe_snapshot()
            if self._removed:
                self.panic = REMOVED
                self.stop()
                return

    def _apply(self, e: Any) -> None:
        self.applied = e.index
        if e.type == EntryConfChange:
            cc = ConfChange.unmarshal(e.data)
            self.conf_state = self.node.apply_conf_change(cc)
            self._apply_membership(cc)
            return
        req = e.data
        if not isinstance(req, Request):
            return                                  # the empty entry of a new leader's term
        if req.op == "_publish":                    # ClusterMemberAttrSet
            info = self.membership.members.get(req.args[0])
            if info is not None:
                info.name, info.client_urls = req.args[1], list(req.args[2])
            return
        store = self.store
        store.now = self.loop.now
        try:
            result = getattr(store, req.op)(*req.args, **req.kwargs)
        except EtcdError as err:
            result = err
        if req.origin == self.id:
            self.results[req.id] = result

    def _apply_membership(self, cc: ConfChange) -> None:
        """server.go applyConfChange: the member in the context joins, is promoted or leaves
        this member's membership; the member that proposed it gets the new member list."""
        if not cc.context:
            return
        info, extra = MemberInfo.from_context(cc.context)
        ms = self.membership
        if cc.type == ConfChangeRemoveNode:
            ms.members.pop(cc.node_id, None)
            ms.removed.add(cc.node_id)
            if cc.node_id == self.id:
                self._removed = True
        elif extra.get("update") and cc.node_id in ms.members:   # UpdateRaftAttributes
            ms.members[cc.node_id].peer_urls = list(info.peer_urls)
        elif extra.get("promote") and cc.node_id in ms.members:
            ms.members[cc.node_id].is_learner = False
        elif cc.type in (ConfChangeAddNode, ConfChangeAddLearnerNode):
            ms.members[cc.node_id] = info
        if extra.get("origin") == self.id:
            self.results[extra["req"]] = [m.copy() for m in ms.sorted()]

    def _maybe_snapshot(self) -> None:
        """etcdserver triggerSnapshot: every ``snapshot_count`` applied entries, snapshot the
        store and compact the raft log, keeping ``catch_up_entries`` for slow followers."""
        snap_index = self.disk.snapshot().metadata.index
        if self.applied - snap_index <= self.snapshot_count:
            return
        self.disk.create_snapshot(self.applied, self.conf_state, image.image(self.store, self.membership))
        keep_from = self.applied - self.catch_up_entries
        if keep_from > self.disk.first_index():
            self.disk.compact(keep_from)

    # -- leases ---------------------------------------------------------------------------------
    def _promote_leases(self) -> None:
        """lessor.go Promote: a new leader extends every lease by its TTL from now."""
        now = self.loop.now
        for lease in self.store._leases.values():
            lease.deadline = max(lease.deadline, now + lease.ttl)

    def _revoke_expired(self) -> None:
        """Only the leader revokes expired leases, by proposing LeaseRevoke through raft."""
        if self.paused or not self.is_leader:
            return
        now = self.loop.now
        for lid in [lease.id for lease in self.store._leases.values() if lease.deadline <= now]:
            try:
                self.node.propose(Request(0, 0, "lease_revoke", (lid,), {}))
            except ProposalDroppedError:
                return
        self.process_ready()

    def status(self) -> dict:
        # a stopped process has no raft state to report (its WAL is on disk, not in memory)
        st = self.node.status() if self.node is not None and self.running else None
        return {"name": self.name, "id": self.id, "running": self.running, "paused": self.paused,
                "state": st.raft_state if st else "", "term": st.term if st else 0,
                "leader": st.lead if st else 0, "commit": st.commit if st else 0,
                "applied": self.applied, "revision": self.store.revision}
