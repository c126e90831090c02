"""Leases: keys that disappear when their owner stops renewing (server/lease/lessor.go).

The lessor never reads a clock: the owner passes its time to :meth:`Lessor.advance`
and leases whose deadline has passed are revoked then, each in one revision that
deletes all of its keys (a lease with no keys bumps nothing).
"""

from __future__ import annotations

from .types import (ERR_LEASE_EXIST, ERR_LEASE_NOT_FOUND, ERR_LEASE_TTL_TOO_LARGE, MEMBER_ID,
                    EtcdError, Header, LeaseGrantResponse, LeaseKeepAliveResponse,
                    LeaseLeasesResponse, LeaseRevokeResponse, LeaseTimeToLiveResponse)

# server/lease/lessor.go: MaxLeaseTTL
MAX_LEASE_TTL = 9_000_000_000
# server/etcdserver/server.go: minTTL = (3 * ElectionTicks / 2) * heartbeat, rounded up to
# whole seconds: (3 * 10 / 2) * 100ms = 1.5s -> 2s with the default 100ms/1000ms timings.
MIN_LEASE_TTL = 2
# A request takes some time to reach etcd: a lease asked about in the same instant
# it was granted already reports TTL-1 remaining seconds, as a real etcd does
# (LeaseTimeToLive truncates the remaining duration to whole seconds).
_REQUEST_LATENCY = 0.001

# pkg/idutil/id.go: ids are <16 bits of member id><40 bits of ms timestamp><8-bit counter>.
_TS_BITS, _CNT_BITS = 40, 8
_SUFFIX_BITS = _TS_BITS + _CNT_BITS
_EPOCH_MS = 1_767_225_600_000   # 2026-01-01T00:00:00Z, the simulation's epoch


class _Lease:
    __slots__ = ("id", "ttl", "deadline", "keys")

    def __init__(self, lid: int, ttl: int, deadline: float):
        self.id = lid
        self.ttl = ttl
        self.deadline = deadline
        self.keys: dict[str, None] = {}   # insertion-ordered set


class Lessor:
    """The lease half of :class:`~k8score.etcd.Store` (mixed in; deletes through the store)."""

    def __init__(self, seed: int, now: float):
        self.now = float(now)
        self._leases: dict[int, _Lease] = {}
        prefix = (MEMBER_ID & 0xFFFF) << _SUFFIX_BITS
        ts = (_EPOCH_MS + int(now * 1000) + seed * 7919) & ((1 << _TS_BITS) - 1)
        self._id_prefix = prefix
        self._id_base = ts << _CNT_BITS
        # Every raft request and linearizable read takes the next id from the same
        # generator (etcdserver reqIDGen), so lease ids skip one per such request.
        self._reqs = 0

    def _next_id(self) -> int:
        self._reqs += 1
        lid = self._id_prefix | ((self._id_base + self._reqs) & ((1 << _SUFFIX_BITS) - 1))
        return lid & ((1 << 63) - 1)

    def lease_grant(self, ttl: int, id: int = 0) -> LeaseGrantResponse:
        """Grant a lease of ``ttl`` seconds (at least 2, etcd's minimum); id 0 = pick one."""
        if ttl > MAX_LEASE_TTL:
            raise EtcdError(ERR_LEASE_TTL_TOO_LARGE)
        if id == 0:
            # LeaseGrant takes one id for the lease and one for its raft request.
            id = self._next_id()
            self._next_id()
            while id in self._leases:
                id = self._next_id()
        elif id in self._leases:
            raise EtcdError(ERR_LEASE_EXIST)
        ttl = max(int(ttl), MIN_LEASE_TTL)
        self._leases[id] = _Lease(id, ttl, self.now + ttl)
        return LeaseGrantResponse(Header(self.revision), id, ttl)

    def lease_revoke(self, id: int) -> LeaseRevokeResponse:
        """Revoke: delete every attached key in one revision, then forget the lease."""
        self._reqs += 1
        lease = self._leases.get(id)
        if lease is None:
            raise EtcdError(ERR_LEASE_NOT_FOUND)
        self._revoke(lease)
        return LeaseRevokeResponse(Header(self.revision))

    def _revoke(self, lease: _Lease) -> None:
        keys = sorted(lease.keys)   # lessor.Revoke deletes keys in sorted order
        del self._leases[lease.id]
        keys = [k for k in keys if k in self._live]
        if keys:
            rev = self.revision + 1
            tombs, olds = self._delete_keys(keys, rev)
            self._commit(rev, tombs, olds)

    def lease_keepalive(self, id: int) -> LeaseKeepAliveResponse:
        """Renew: the deadline becomes now + TTL."""
        lease = self._leases.get(id)
        if lease is None:
            raise EtcdError(ERR_LEASE_NOT_FOUND)
        lease.deadline = self.now + lease.ttl
        return LeaseKeepAliveResponse(Header(self.revision), id, lease.ttl)

    def lease_timetolive(self, id: int, keys: bool = False) -> LeaseTimeToLiveResponse:
        """Granted TTL, remaining whole seconds (-1 if there is no such lease) and, with
        ``keys``, the attached keys (sorted)."""
        lease = self._leases.get(id)
        if lease is None:
            return LeaseTimeToLiveResponse(Header(self.revision), id, -1, 0, [])
        remaining = max(int(lease.deadline - self.now - _REQUEST_LATENCY), 0)
        return LeaseTimeToLiveResponse(Header(self.revision), id, remaining, lease.ttl,
                                       sorted(lease.keys) if keys else [])

    def lease_leases(self) -> LeaseLeasesResponse:
        """Every lease id, in grant order."""
        return LeaseLeasesResponse(Header(self.revision), list(self._leases))

    def advance(self, now: float) -> None:
        """Move the lessor's clock to ``now``; revoke leases whose deadline has passed,
        earliest deadline first (ties: lower id first)."""
        if now > self.now:
            self.now = float(now)
        if not self._leases:
            return
        due = [lease for lease in self._leases.values() if lease.deadline <= self.now]
        due.sort(key=lambda lease: (lease.deadline, lease.id))
        for lease in due:
            if lease.id in self._leases:
                self._reqs += 1     # the leader proposes a LeaseRevoke
                self._revoke(lease)

    def _attach(self, lid: int, key: str) -> None:
        self._leases[lid].keys[key] = None

    def _detach(self, lid: int, key: str) -> None:
        lease = self._leases.get(lid)
        if lease is not None:
            lease.keys.pop(key, None)
