"""The etcd client the API server holds (clientv3 in miniature): one Store-like object over
the members, balancing across endpoints and failing over, with etcd's errors.

API requests are synchronous here (no virtual time passes inside ``api.serve``), so a request
runs its raft round trips at once: a write is proposed through the pinned endpoint (a
follower forwards it to the leader), then the peer network is *pumped* — every message in
flight delivered now, ignoring latency but honouring partitions, drops and stopped or paused
members — until the entry is applied on that endpoint. If no quorum can commit it, the
request fails with ``etcdserver: request timed out`` (the entry may still commit later: the
outcome is unknown, as with a real etcd); a member that knows no leader answers
``etcdserver: no leader``. Linearizable reads take a ReadIndex the same way; ``serializable``
reads answer from the endpoint's own store.

Endpoint choice (clientv3's balancer): requests stick to one endpoint; when it is stopped
(connection refused) the client moves to the next endpoint and retries; a write that
reached raft is never retried (clientv3 retries only requests that never left the client).
With every endpoint down the error is gRPC's Unavailable.

Watches (``watch()``) follow the endpoint: when their member stops, is wiped, or restores a
snapshot, they reopen on an available member from the last revision they delivered + 1
(clientv3 watch resumption), so the API server's watch cache sees every revision once.

RequireLeader (clientv3 ``WithRequireLeader``, which the API server's etcd3 watcher and
``etcdctl watch`` use; ``Client(require_leader=True)``, as :meth:`EtcdCluster.client` makes
them): a member that has known no leader for 3 election timeouts cancels such watches with
``etcdserver: no leader`` (v3rpc/interceptor.go monitorLeader, watch.go), and a new one is
refused while it knows no leader. The watch's callback gets that canceled response; the
client then re-watches from the next revision on a member that has a leader (what the API
server's reflector does after the error), retrying every election timeout until one has.

A single-member cluster short-circuits raft (one voter commits at once): requests go
straight to the store while the member runs.
"""

from __future__ import annotations

from typing import Any

from ...raft.raft import ProposalDroppedError
from ..types import EtcdError, Header, WatchResponse
from .member import ELECTION_TICKS, TICK_SECONDS, Member, Request

# server/etcdserver/errors/errors.go ErrTimeout, ErrNoLeader (the gRPC descriptions
# api/v3rpc/rpctypes/error.go ErrGRPCTimeout, ErrGRPCNoLeader).
ERR_TIMEOUT = "etcdserver: request timed out"
ERR_NO_LEADER = "etcdserver: no leader"
# What grpc-go reports when no endpoint accepts a connection (clientv3 over a dead etcd).
ERR_UNAVAILABLE = ('rpc error: code = Unavailable desc = connection error: desc = "transport: '
                   'Error while dialing: dial tcp 127.0.0.1:2379: connect: connection refused"')
# A paused (SIGSTOP) member accepts the connection and never answers: the caller's deadline.
ERR_DEADLINE = "context deadline exceeded"

_WRITES = ("put", "delete_range", "txn", "compact", "lease_revoke")


def _down(m: Member) -> None:
    """A lone member that cannot answer: refused (stopped) or silent (paused)."""
    raise EtcdError(ERR_UNAVAILABLE if not m.running else ERR_DEADLINE)


class ClientWatch:
    """A watch that survives its member: ``cancel()`` stops it for good."""

    def __init__(self, client: "Client", args: dict, callback: Any, start: int,
                 require_leader: bool = False):
        self._client = client
        self.require_leader = require_leader
        #: (virtual time, member, reason) each time a member canceled this watch
        self.interruptions: list[tuple[float, str, str]] = []
        self._args = args
        self._callback = callback
        self.next_rev = start       # the first revision not yet delivered
        self.member: Member | None = None
        self._w: Any = None
        self.canceled = False

    @property
    def id(self) -> int:
        return self._w.id if self._w is not None else -1

    def _on(self, resp: Any) -> None:
        if resp.events:
            self.next_rev = resp.events[-1].kv.mod_revision + 1
        elif resp.header.revision >= self.next_rev and not getattr(resp, "canceled", False):
            self.next_rev = resp.header.revision + 1
        self._callback(resp)

    def _open(self, member: Member | None) -> None:
        if self._w is not None:
            self._w.cancel()
            self._w = None
        self.member = member
        if member is not None and not self.canceled:
            self._w = member.store.watch(start_revision=self.next_rev, callback=self._on, **self._args)

    def cancel(self) -> None:
        if not self.canceled:
            self.canceled = True
            if self._w is not None:
                self._w.cancel()
            self._client._watches.remove(self)


class Client:
    """A client over ``members`` (an :class:`~k8score.etcd.cluster.EtcdCluster`'s);
    ``require_leader``: its watches are WithRequireLeader watches."""

    def __init__(self, cluster: Any, require_leader: bool = False):
        self.cluster = cluster
        self.require_leader = require_leader
        self.members: list[Member] = cluster.members
        self._pin = 0
        # request ids unique across every client of the cluster (etcd's idutil generator is
        # per member: member id + time + counter): a member matches a result to its waiter by
        # id alone, so two clients numbering from 0 could get each other's late answers
        cluster._clients_made = getattr(cluster, "_clients_made", 0) + 1
        self._next_id = cluster._clients_made << 32
        self._watches: list[ClientWatch] = []
        self._direct = len(self.members) == 1 and self.members[0].direct
        for m in self.members:
            m.listeners.append(self._member_changed)
        if self._direct:
            self._bind_direct(self.members[0])

    def _bind_direct(self, m: Member) -> None:
        """One voter commits at once: while the member runs, requests are plain store calls
        (instance attributes shadow the raft-path methods below; the default cluster pays
        one ``running`` check per request)."""
        store = m.store

        def gate(fn: Any) -> Any:
            def call(*args: Any, **kw: Any) -> Any:
                if not m.running or m.paused:
                    _down(m)
                return fn(*args, **kw)
            return call

        store_txn, store_range = store.txn, store.range

        def txn(compare=(), success=(), failure=()) -> Any:   # the API server's every write
            if not m.running or m.paused:
                _down(m)
            return store_txn(compare, success, failure)

        def range_(key: str, range_end: str | None = None, **kw: Any) -> Any:
            if not m.running or m.paused:
                _down(m)
            return store_range(key, range_end, **kw)

        self.txn, self.range = txn, range_
        self.consistent_revision = gate(lambda: store.revision)   # a lone member is current
        for op in ("put", "delete_range", "txn", "compact", "lease_grant",
                   "lease_revoke", "lease_keepalive", "lease_timetolive", "lease_leases"):
            setattr(self, op, gate(getattr(store, op)))

    # -- endpoints --------------------------------------------------------------------------
    def _endpoint(self) -> Member:
        """The pinned member, moving on past stopped ones (connection refused)."""
        n = len(self.members)
        for i in range(n):
            m = self.members[(self._pin + i) % n]
            if m.running:
                self._pin = (self._pin + i) % n
                return m
        raise EtcdError(ERR_UNAVAILABLE)

    def use(self, name: str) -> "Client":
        """Pin the endpoint ``name`` (``etcdctl --endpoints``); returns the client."""
        self._pin = self.members.index(self.cluster.member(name))
        return self

    @property
    def endpoint(self) -> Member:
        return self.members[self._pin]

    @property
    def store(self) -> Any:
        """The pinned endpoint's keyspace (what a serializable read sees)."""
        return self.members[self._pin].store

    def _store(self) -> Any:
        if self._direct:
            return self.members[0].store
        try:
            return self._endpoint().store
        except EtcdError:
            return self.members[self._pin].store

    # Store-like bookkeeping the API server reads without a request (local, never failing).
    @property
    def revision(self) -> int:
        return self._store().revision

    @property
    def compact_revision(self) -> int:
        return self._store().compact_revision

    @property
    def _delivering(self) -> bool:
        return self._store()._delivering

    @property
    def _jobs(self) -> Any:
        return self._store()._jobs

    # -- requests ---------------------------------------------------------------------------
    def _write(self, op: str, args: tuple, kwargs: dict) -> Any:
        m = self._endpoint()
        if self._direct:
            if m.paused:
                raise EtcdError(ERR_DEADLINE)
            return getattr(m.store, op)(*args, **kwargs)
        if m.paused:
            raise EtcdError(ERR_DEADLINE)
        self._next_id += 1
        req = Request(self._next_id, m.id, op, args, kwargs)
        if not m.leader:   # a leader may be elected with its first append still in flight
            self.cluster.network.pump(lambda: m.leader != 0)
        try:
            m.propose(req)
        except ProposalDroppedError:
            raise EtcdError(ERR_NO_LEADER) from None
        results = m.results
        if not self.cluster.network.pump(lambda: req.id in results):
            raise EtcdError(ERR_TIMEOUT if m.leader else ERR_NO_LEADER)
        res = results.pop(req.id)
        if isinstance(res, EtcdError):
            raise res
        return res

    def _linearize(self, m: Member) -> None:
        """ReadIndex: wait until ``m`` has applied what the leader had committed."""
        if m.paused:
            raise EtcdError(ERR_DEADLINE)
        if self._direct:
            return
        if not m.leader:
            self.cluster.network.pump(lambda: m.leader != 0)
            if not m.leader:
                raise EtcdError(ERR_NO_LEADER)
        self._next_id += 1
        ctx = b"r%d" % self._next_id
        m.read_index(ctx)
        rs = m.read_states
        if not self.cluster.network.pump(lambda: ctx in rs and m.applied >= rs[ctx]):
            rs.pop(ctx, None)
            raise EtcdError(ERR_TIMEOUT if m.leader else ERR_NO_LEADER)
        del rs[ctx]

    def consistent_revision(self) -> int:
        """The revision a quorum read sees now (the watch cache's consistent-list check)."""
        m = self._endpoint()
        self._linearize(m)
        return m.store.revision

    def range(self, key: str, range_end: str | None = None, **kw: Any) -> Any:
        m = self._endpoint()
        if not kw.get("serializable"):
            self._linearize(m)
        elif m.paused:
            raise EtcdError(ERR_DEADLINE)
        return m.store.range(key, range_end, **kw)

    def put(self, key: str, value: str, *args: Any, **kw: Any) -> Any:
        return self._write("put", (key, value) + args, kw)

    def delete_range(self, key: str, range_end: str | None = None, **kw: Any) -> Any:
        return self._write("delete_range", (key, range_end), kw)

    def txn(self, compare=(), success=(), failure=()) -> Any:
        return self._write("txn", (list(compare), list(success), list(failure)), {})

    def compact(self, revision: int) -> Any:
        return self._write("compact", (revision,), {})

    def lease_grant(self, ttl: int, id: int = 0) -> Any:
        if self._direct:
            return self._write("lease_grant", (ttl, id), {})
        if not id:   # the serving member picks the id (etcdserver reqIDGen), every member applies it
            gen = self._endpoint().store
            id = gen._next_id()
            gen._next_id()
            while id in gen._leases:
                id = gen._next_id()
        return self._write("lease_grant", (ttl, id), {})

    def lease_revoke(self, id: int) -> Any:
        return self._write("lease_revoke", (id,), {})

    def lease_keepalive(self, id: int) -> Any:
        """Renewals go to the leader and are not replicated (lessor.go Renew)."""
        m = self._endpoint()
        if m.paused:
            raise EtcdError(ERR_DEADLINE)
        leader = m if self._direct else self.cluster.member_by_id(m.leader)
        if leader is None or not leader.available:
            raise EtcdError(ERR_NO_LEADER)
        leader.store.now = leader.loop.now
        return leader.store.lease_keepalive(id)

    def lease_timetolive(self, id: int, keys: bool = False) -> Any:
        m = self._endpoint()
        self._linearize(m)
        return m.store.lease_timetolive(id, keys)

    def lease_leases(self) -> Any:
        m = self._endpoint()
        self._linearize(m)
        return m.store.lease_leases()

    def advance(self, now: float) -> None:
        """Lease expiry is the members' own business (the leader revokes)."""

    def progress(self) -> None:
        self._endpoint().store.progress()

    # -- watches ----------------------------------------------------------------------------
    def watch(self, key: str, range_end: str | None = None, start_revision: int = 0,
              callback: Any = None, require_leader: bool | None = None, **kw: Any) -> ClientWatch:
        if callback is None:
            raise TypeError("watch() needs a callback")
        m = self._endpoint()
        start = start_revision if start_revision > 0 else m.store.revision + 1
        rl = self.require_leader if require_leader is None else require_leader
        w = ClientWatch(self, dict(key=key, range_end=range_end, **kw), callback, start,
                        require_leader=rl and not self._direct)
        self._watches.append(w)
        if w.require_leader and not m.leader:   # interceptor.go newStreamInterceptor
            self._rewatch(w, exclude=m)
        else:
            w._open(m)
        return w

    def _with_leader(self, exclude: Member | None) -> Member | None:
        """The first running member from the pinned one on that knows a leader."""
        n = len(self.members)
        for i in range(n):
            m = self.members[(self._pin + i) % n]
            if m is not exclude and m.available and m.leader:
                return m
        return None

    def _rewatch(self, w: ClientWatch, exclude: Member | None = None) -> None:
        """Re-open a require-leader watch on a member with a leader, or retry in one
        election timeout (the reflector's backoff, roughly)."""
        target = self._with_leader(exclude)
        w._open(target)
        if target is None and not w.canceled:
            def retry() -> None:
                if not w.canceled and w.member is None:
                    self._rewatch(w)
            self.cluster.loop.call_later(TICK_SECONDS * ELECTION_TICKS, retry)

    def _leader_lost(self, member: Member) -> None:
        for w in list(self._watches):
            if w.member is member and w.require_leader and not w.canceled:
                wid = w.id
                w._open(None)
                w.interruptions.append((self.cluster.loop.now, member.name, ERR_NO_LEADER))
                w._callback(WatchResponse(Header(member.store.revision), wid, [], canceled=True,
                                          cancel_reason=ERR_NO_LEADER))
                if not w.canceled:
                    self._rewatch(w, exclude=member)

    def _member_changed(self, member: Member, what: str) -> None:
        if self._direct:
            return
        if what == "leader-lost":
            self._leader_lost(member)
            return
        if what == "started":
            for w in list(self._watches):
                if w.member is None and not w.require_leader:
                    w._open(member)
            return
        target: Member | None = member
        if what == "stopped":
            try:
                target = self._endpoint()
            except EtcdError:
                target = None
        for w in list(self._watches):
            if w.member is member:
                if w.require_leader and (target is None or not target.leader):
                    self._rewatch(w, exclude=member if what == "stopped" else None)
                else:
                    w._open(target)

    def __repr__(self) -> str:
        return f"<etcd Client endpoints={[m.name for m in self.members]} pinned={self.endpoint.name}>"
