"""Applying a Txn to the store (server/etcdserver/txn/txn.go), mixed into Store.

All compares, nested ones included, are evaluated first against the keyspace as it
was before the txn (compareToPath); then every request the chosen path needs is
checked (missing lease, compacted or future read revision) before the first write;
then the ops run in order under one new revision, which is committed only if
something was written.
"""

from __future__ import annotations

from .txn import OpDelete, OpGet, OpPut, OpTxn, check_txn, is_serializable_read
from .types import (ERR_COMPACTED, ERR_EMPTY_KEY, ERR_FUTURE_REV, ERR_LEASE_NOT_FOUND,
                    DeleteRangeResponse, EtcdError, Header, InnerHeader, KeyValue, PutResponse,
                    RangeResponse, TxnResponse)


class TxnApplier:
    """The Txn half of :class:`~k8score.etcd.Store` (uses its private read/write helpers)."""

    def txn(self, compare=(), success=(), failure=()) -> TxnResponse:
        """Txn: if every compare holds run ``success`` else ``failure``, atomically.

        All writes share one new revision; a txn that writes nothing keeps the revision.
        """
        compare, success, failure = list(compare), list(success), list(failure)
        check_txn(compare, success, failure)
        if not is_serializable_read(success, failure):
            self._reqs += 1
        # Every compare, nested ones included, sees the keyspace as it was before the
        # txn (txn.go compareToPath): the branches to take are fixed up front, then the
        # requests on that path are checked (checkRequests) before anything is written.
        path = self._path(compare, success, failure)
        ok = path[0]
        branch = success if ok else failure
        self._precheck(branch, iter(path[1:]))
        rev = self.revision + 1
        changes: list[KeyValue] = []
        prevs: list[KeyValue | None] = []
        responses = self._run_ops(branch, rev, changes, prevs, iter(path[1:]))
        if changes:
            self._commit(rev, changes, prevs)
        return TxnResponse(Header(self.revision), ok, responses)

    def _path(self, compare, success, failure) -> list[bool]:
        ok = self._compare_all(compare)
        path = [ok]
        for op in success if ok else failure:
            if isinstance(op, OpTxn):
                path.extend(self._path(op.compare, op.success, op.failure))
        return path

    def _compare_all(self, compare) -> bool:
        for c in compare:
            if not c.range_end:
                if not c.matches(self._live.get(c.key)):
                    return False
                continue
            kvs = [self._live[k] for k in self._live_range(c.key, c.range_end)]
            if not kvs:
                if c.target == "value" or not c.matches(None):
                    return False
            elif not all(c.matches(kv) for kv in kvs):
                return False
        return True

    def _precheck(self, ops, path) -> None:
        """Fail before any write: missing leases, bad read revisions (txn.go checkRequests)."""
        for op in ops:
            if isinstance(op, OpGet):
                if op.revision > self.revision:
                    raise EtcdError(ERR_FUTURE_REV)
                if 0 < op.revision < self.compact_revision:
                    raise EtcdError(ERR_COMPACTED)
            elif isinstance(op, OpPut):
                if op.lease and op.lease not in self._leases:
                    raise EtcdError(ERR_LEASE_NOT_FOUND)
                if op.ignore_value or op.ignore_lease:
                    self._ignored(self._live.get(op.key), op.value, op.lease, op.ignore_value,
                                  op.ignore_lease)
            elif isinstance(op, OpTxn):
                self._precheck(op.success if next(path) else op.failure, path)

    def _run_ops(self, ops, rev, changes, prevs, path) -> list:
        out = []
        for op in ops:
            if isinstance(op, OpPut):
                old = self._live.get(op.key)
                value, lease = op.value, op.lease
                if op.ignore_value or op.ignore_lease:
                    value, lease = self._ignored(old, value, lease, op.ignore_value,
                                                 op.ignore_lease)
                changes.append(self._put(op.key, value, lease, rev, old))
                prevs.append(old)
                out.append(PutResponse(InnerHeader(rev), old if op.prev_kv else None))
            elif isinstance(op, OpGet):
                # Reads inside a txn see the txn's own earlier writes (storeTxnWrite.Range).
                out.append(self._read_in_txn(op, rev if changes else rev - 1))
            elif isinstance(op, OpDelete):
                keys = self._live_range(op.key, op.range_end)
                tombs, olds = self._delete_keys(keys, rev)
                changes.extend(tombs)
                prevs.extend(olds)
                at = rev if changes else rev - 1
                out.append(DeleteRangeResponse(InnerHeader(at), len(keys),
                                               olds if op.prev_kv else []))
            else:
                ok = next(path)
                sub = self._run_ops(op.success if ok else op.failure, rev, changes, prevs, path)
                at = rev if changes else rev - 1
                out.append(TxnResponse(InnerHeader(at), ok, sub))
        return out

    def _read_in_txn(self, op: OpGet, at: int) -> RangeResponse:
        if not op.key:
            raise EtcdError(ERR_EMPTY_KEY)
        revision = 0 if op.revision <= 0 or op.revision == at else op.revision
        if op.sort_order == "none" and op.sort_target == "key":
            return self._range(op.key, op.range_end, op.limit, revision, op.count_only,
                               op.keys_only, at, InnerHeader)
        r = self._sorted(self._range(op.key, op.range_end, 0, revision, op.count_only, False,
                                     at, InnerHeader), op.limit, op.sort_order, op.sort_target)
        if op.keys_only:
            r.kvs = [KeyValue(kv.key, "", kv.create_revision, kv.mod_revision, kv.version,
                              kv.lease) for kv in r.kvs]
        return r
