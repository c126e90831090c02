"""The etcd v3 MVCC key-value store of one member, as a pure state machine.

It keeps every version of every key (until compaction) and a single cluster
revision that every write bumps by one (server/storage/mvcc). Time is not read
here: leases expire when the owner calls :meth:`Store.advance` with its clock.

>>> s = Store()
>>> s.revision
1
>>> s.put("foo", "bar").header.revision
2
>>> kv = s.range("foo").kvs[0]
>>> (kv.value, kv.create_revision, kv.mod_revision, kv.version)
('bar', 2, 2, 1)

Data layout, chosen for a lean write path:

* ``_live``: key -> latest KeyValue of every existing key;
* ``_hist``: key -> list of its versions (tombstones included), oldest first;
* ``_live_keys`` / ``_all_keys``: sorted key lists (bisect) for range reads now / in the past;
* ``_log``: one tuple of changed KeyValues per revision, for watch replay.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort

from .lease import Lessor
from .txn_apply import TxnApplier
from .types import (ERR_COMPACTED, ERR_EMPTY_KEY, ERR_FUTURE_REV, ERR_KEY_NOT_FOUND,
                    ERR_LEASE_NOT_FOUND, ERR_LEASE_PROVIDED, ERR_VALUE_PROVIDED,
                    CompactionResponse, DeleteRangeResponse, EtcdError, Header, KeyValue,
                    PutResponse, RangeResponse)
from .watch import WatchHub


def _mod_rev(kv: KeyValue) -> int:
    return kv.mod_revision


_SORT_ATTRS = {"key": "key", "version": "version", "create": "create_revision",
               "mod": "mod_revision", "value": "value"}


class Store(TxnApplier, WatchHub, Lessor):
    """An etcd member's keyspace: KV, Txn, Watch, Lease and Compact, applied synchronously.

    ``seed`` fixes the lease id generator; ``now`` is the owner's clock at creation
    (seconds), later moved forward with :meth:`advance`.
    """

    def __init__(self, seed: int = 0, now: float = 0.0):
        self.revision = 1           # a fresh etcd starts at revision 1
        self.compact_revision = 0
        self._compacted = False
        self._live: dict[str, KeyValue] = {}
        self._hist: dict[str, list[KeyValue]] = {}
        self._live_keys: list[str] = []
        self._all_keys: list[str] = []
        self._log: list[tuple] = [()]   # _log[r - _log_base] = changes of revision r
        self._log_base = 1
        WatchHub.__init__(self)
        Lessor.__init__(self, seed, now)

    # -- reads ----------------------------------------------------------------
    def range(self, key: str, range_end: str | None = None, limit: int = 0, revision: int = 0,
              count_only: bool = False, keys_only: bool = False, sort_order: str = "none",
              sort_target: str = "key", serializable: bool = False) -> RangeResponse:
        """Range: one key, or [key, range_end) ("\\0" = no upper bound), at ``revision`` (0 = now).

        ``count`` is the number of matching keys whatever ``limit`` says; ``more`` tells
        that ``limit`` cut the list. ``sort_order`` "none" | "ascend" | "descend" by
        ``sort_target`` "key" | "version" | "create" | "mod" | "value" (keys ascend otherwise).
        ``serializable`` only changes bookkeeping (a linearizable read takes a request id,
        which shows in later lease ids); a single member always answers from its own state.
        """
        if not key:
            raise EtcdError(ERR_EMPTY_KEY)
        if not serializable:
            self._reqs += 1     # a linearizable read asks the leader for its read index
        if sort_order != "none" or sort_target != "key":
            return self._sorted_range(key, range_end, limit, revision, count_only, keys_only,
                                      sort_order, sort_target)
        cur = self.revision
        if revision >= cur or revision <= 0:
            if revision > cur:
                raise EtcdError(ERR_FUTURE_REV)
            revision = 0
        elif revision < self.compact_revision:
            raise EtcdError(ERR_COMPACTED)
        return self._range(key, range_end, limit, revision, count_only, keys_only, cur)

    def _sorted_range(self, key, range_end, limit, revision, count_only, keys_only, order,
                      target) -> RangeResponse:
        r = self._sorted(self.range(key, range_end, 0, revision, count_only, serializable=True),
                         limit, order, target)
        if keys_only:   # apply.go strips values after sorting
            r.kvs = [KeyValue(kv.key, "", kv.create_revision, kv.mod_revision, kv.version,
                              kv.lease) for kv in r.kvs]
        return r

    @staticmethod
    def _sorted(r: RangeResponse, limit, order, target) -> RangeResponse:
        # v3_server/apply.go Range: a non-key target sorts ascending by default; key
        # ascending is the natural order. Sorting needs every match, then the limit cuts.
        if target != "key" and order == "none":
            order = "ascend"
        elif target == "key" and order == "ascend":
            order = "none"
        kvs = r.kvs
        if order != "none":
            attr = _SORT_ATTRS[target]
            kvs = sorted(kvs, key=lambda kv: getattr(kv, attr), reverse=order == "descend")
        if limit > 0 and len(kvs) > limit:
            return RangeResponse(r.header, kvs[:limit], r.count, True)
        return RangeResponse(r.header, kvs, r.count, False)

    def _range(self, key, range_end, limit, revision, count_only, keys_only, header_rev,
               header=Header):
        kvs, count = self._read(key, range_end, revision, limit)
        more = False
        if count_only:
            kvs = []
        else:
            if limit > 0 and len(kvs) > limit:
                kvs = kvs[:limit]
            more = limit > 0 and count > len(kvs)
            if keys_only:
                kvs = [KeyValue(kv.key, "", kv.create_revision, kv.mod_revision, kv.version,
                                kv.lease) for kv in kvs]
        return RangeResponse(header(header_rev), kvs, count, more)

    def _read(self, key, range_end, revision, limit):
        """(kvs, count) of the range at ``revision`` (0 = latest); kvs may be cut to ``limit``."""
        if not revision:
            if not range_end:
                kv = self._live.get(key)
                return ([kv], 1) if kv is not None else ([], 0)
            keys = self._live_keys
            lo = bisect_left(keys, key)
            hi = len(keys) if range_end == "\0" else bisect_left(keys, range_end, lo)
            if hi <= lo:
                return [], 0
            stop = lo + limit if 0 < limit < hi - lo else hi
            live = self._live
            return [live[k] for k in keys[lo:stop]], hi - lo
        if not range_end:
            kv = self._kv_at(key, revision)
            return ([kv], 1) if kv is not None else ([], 0)
        keys = self._all_keys
        lo = bisect_left(keys, key)
        hi = len(keys) if range_end == "\0" else bisect_left(keys, range_end, lo)
        kvs = []
        for k in keys[lo:hi]:
            kv = self._kv_at(k, revision)
            if kv is not None:
                kvs.append(kv)
        return kvs, len(kvs)

    def _kv_at(self, key: str, revision: int) -> KeyValue | None:
        """The version of ``key`` visible at ``revision`` (None if absent or deleted)."""
        h = self._hist.get(key)
        if h is None:
            return None
        i = bisect_right(h, revision, key=_mod_rev) - 1
        if i < 0:
            return None
        kv = h[i]
        return kv if kv.version else None

    # -- writes ---------------------------------------------------------------
    def put(self, key: str, value: str, lease: int = 0, prev_kv: bool = False,
            ignore_value: bool = False, ignore_lease: bool = False) -> PutResponse:
        """Put: always a new revision, even when the value does not change."""
        if not key:
            raise EtcdError(ERR_EMPTY_KEY)
        self._reqs += 1
        old = self._live.get(key)
        if ignore_value or ignore_lease:
            value, lease = self._ignored(old, value, lease, ignore_value, ignore_lease)
        if lease and lease not in self._leases:
            raise EtcdError(ERR_LEASE_NOT_FOUND)
        rev = self.revision + 1
        if old is not None and not old.lease and not lease:
            # hot path: overwrite of a key without leases
            kv = KeyValue(key, value, old.create_revision, rev, old.version + 1, 0)
            self._hist[key].append(kv)
            self._live[key] = kv
            old.pack()      # superseded: history, held compressed
        else:
            kv = self._put(key, value, lease, rev, old)
        self.revision = rev
        self._log.append((kv,))
        if self._watchers:
            self._notify(rev, (kv,), (old,))
        return PutResponse(Header(rev), old if prev_kv else None)

    def _ignored(self, old, value, lease, ignore_value, ignore_lease):
        if old is None:
            raise EtcdError(ERR_KEY_NOT_FOUND)
        if ignore_value:
            if value:
                raise EtcdError(ERR_VALUE_PROVIDED)
            value = old.value
        if ignore_lease:
            if lease:
                raise EtcdError(ERR_LEASE_PROVIDED)
            lease = old.lease
        return value, lease

    def _put(self, key, value, lease, rev, old) -> KeyValue:
        if old is None:
            kv = KeyValue(key, value, rev, rev, 1, lease)
            insort(self._live_keys, key)
            h = self._hist.get(key)
            if h is None:
                self._hist[key] = [kv]
                insort(self._all_keys, key)
            else:
                h.append(kv)
        else:
            kv = KeyValue(key, value, old.create_revision, rev, old.version + 1, lease)
            self._hist[key].append(kv)
            old.pack()
            if old.lease:
                self._detach(old.lease, key)
        if lease:
            self._attach(lease, key)
        self._live[key] = kv
        return kv

    def _delete(self, key, rev) -> tuple[KeyValue, KeyValue]:
        """Tombstone a live key at ``rev``; returns (tombstone, deleted kv)."""
        old = self._live.pop(key)
        keys = self._live_keys
        del keys[bisect_left(keys, key)]
        tomb = KeyValue(key, "", 0, rev, 0, 0)
        self._hist[key].append(tomb)
        old.pack()
        if old.lease:
            self._detach(old.lease, key)
        return tomb, old

    def _live_range(self, key, range_end) -> list[str]:
        if not range_end:
            return [key] if key in self._live else []
        keys = self._live_keys
        lo = bisect_left(keys, key)
        hi = len(keys) if range_end == "\0" else bisect_left(keys, range_end, lo)
        return keys[lo:hi]

    def delete_range(self, key: str, range_end: str | None = None,
                     prev_kv: bool = False) -> DeleteRangeResponse:
        """DeleteRange: all matching keys go in ONE revision; nothing matching, no new revision."""
        if not key:
            raise EtcdError(ERR_EMPTY_KEY)
        self._reqs += 1
        keys = self._live_range(key, range_end)
        if not keys:
            return DeleteRangeResponse(Header(self.revision), 0, [])
        rev = self.revision + 1
        tombs, olds = self._delete_keys(keys, rev)
        self._commit(rev, tombs, olds)
        return DeleteRangeResponse(Header(rev), len(keys), olds if prev_kv else [])

    def _delete_keys(self, keys, rev):
        tombs, olds = [], []
        for k in keys:
            t, o = self._delete(k, rev)
            tombs.append(t)
            olds.append(o)
        return tombs, olds

    def _commit(self, rev, changes, prevs) -> None:
        """Make ``rev`` current: log its changes and tell the watchers."""
        self.revision = rev
        changes = tuple(changes)
        self._log.append(changes)
        if self._watchers:
            self._notify(rev, changes, tuple(prevs))

    # -- compaction -----------------------------------------------------------
    def compact(self, revision: int) -> CompactionResponse:
        """Compact: drop every version superseded at ``revision``; later reads below it fail."""
        self._reqs += 1
        # etcd's compactMainRev starts at -1, so compacting at 0 once is a harmless no-op.
        floor = self.compact_revision if self.compact_revision or self._compacted else -1
        if revision <= floor:
            raise EtcdError(ERR_COMPACTED)
        if revision > self.revision:
            raise EtcdError(ERR_FUTURE_REV)
        self._compacted = True
        if revision == 0:
            return CompactionResponse(Header(self.revision))
        self.compact_revision = revision
        gone = []
        for key, h in self._hist.items():
            i = bisect_right(h, revision, key=_mod_rev) - 1
            if i < 0:
                continue
            if h[i].version == 0 and h[i].mod_revision < revision:
                # A tombstone below the compaction point goes too; one AT it stays, so a
                # watch from that revision still sees the delete (etcd PR #18274, in 3.5.16).
                i += 1
            if i:
                del h[:i]
                if not h:
                    gone.append(key)
        for key in gone:
            del self._hist[key]
        if gone:
            gone_set = set(gone)
            self._all_keys = [k for k in self._all_keys if k not in gone_set]
        # Watch replay needs every change from ``revision`` on.
        del self._log[:revision - self._log_base]
        self._log_base = revision
        return CompactionResponse(Header(self.revision))

    def _changes(self, rev: int) -> tuple:
        return self._log[rev - self._log_base]
