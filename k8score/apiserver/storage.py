"""The API server's view of etcd: JSON values under /registry keys, guarded writes.

Like k8s.io/apiserver/pkg/storage/etcd3/store.go: an object is stored *without*
``metadata.resourceVersion``; on the way out its resourceVersion is set from the key's
``mod_revision``. Every write is an etcd transaction whose comparison makes it
optimistic: create only if the key does not exist (``create_revision == 0``), update or
delete only if the key is still at the revision that was read (``mod_revision == rv``).
The server turns a failed comparison into 409 AlreadyExists / Conflict.

Reads at an old revision below the compaction point raise ApiError 410 (Expired).

etcd's own failures (``etcdserver: request timed out``, ``etcdserver: no leader``, an
unreachable endpoint: see k8score.etcd.cluster) reach the client as upstream's apiserver
passes them on: storage/etcd3 returns the error unchanged and
endpoints/handlers/responsewriters/status.go ErrorToAPIStatus makes any error that is not
an APIStatus a 500 Status with no reason and the error's text as its message — kubectl
prints ``Error from server: etcdserver: request timed out``.
"""

from __future__ import annotations

import json
from typing import Any

from ..etcd import Compare, EtcdError, OpDelete, OpPut, prefix_end
from ..etcd.types import ERR_COMPACTED
from ..api.errors import ApiError, status
from .jsonutil import encode_json

_loads = json.loads
# Errors of the etcd cluster itself rather than of the request (k8score.etcd.cluster.client).
_CLUSTER_ERRORS = ("etcdserver: request timed out", "etcdserver: no leader", "rpc error:",
                   "context deadline exceeded")


def encode(obj: dict) -> str:
    """JSON text for etcd (compact; the resourceVersion is not stored)."""
    meta = obj["metadata"]
    rv = meta.pop("resourceVersion", None)
    try:
        return encode_json(obj)
    finally:
        if rv is not None:
            meta["resourceVersion"] = rv


def decode(value: str | bytes, mod_revision: int) -> dict:
    obj = _loads(value)
    obj["metadata"]["resourceVersion"] = str(mod_revision)
    return obj


def try_decode(value: str | bytes, mod_revision: int) -> dict | None:
    """:func:`decode`, or None for a value that is not a Kubernetes object."""
    try:
        obj = _loads(value)
        meta = obj["metadata"]
        if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
            return None
        meta["resourceVersion"] = str(mod_revision)
        return obj
    except (ValueError, TypeError, KeyError):
        return None


def etcd_unavailable(e: EtcdError) -> ApiError:
    """status.go ErrorToAPIStatus for a plain error: code 500, reason unset, its text."""
    st = status(500, "", str(e))
    del st["reason"]   # StatusReasonUnknown is "" and omitted from the JSON
    return ApiError(st)


def _translate(e: EtcdError) -> Exception:
    return etcd_unavailable(e) if e.message.startswith(_CLUSTER_ERRORS) else e


class EventLeases:
    """Events expire: they are written with an etcd lease of ``--event-ttl`` (1 h).

    As storage/etcd3/lease_manager.go does, one lease is shared by the events written
    within a short window (5 % of the TTL, at most 60 s, at most 1000 objects) and is
    granted for TTL + that window, so no event lives less than the TTL.
    """

    TTL = 3600            # kube-apiserver --event-ttl default (1h)
    REUSE_SECONDS = 60    # lease_manager.go defaultLeaseReuseDurationSeconds
    REUSE_PERCENT = 0.05  # lease_manager.go defaultLeaseReuseDurationPercent
    MAX_OBJECTS = 1000    # lease_manager.go defaultLeaseMaxObjectCount

    def __init__(self, store: Any):
        self.store = store
        self._id = 0
        self._until = -1.0
        self._count = 0

    def lease(self, now: float, ttl: int = TTL) -> int:
        if self._id and now < self._until and self._count < self.MAX_OBJECTS:
            self._count += 1
            return self._id
        reuse = min(self.REUSE_SECONDS, int(ttl * self.REUSE_PERCENT))
        try:
            self._id = self.store.lease_grant(ttl + reuse).id
        except EtcdError as e:
            raise _translate(e) from None
        self._until = now + reuse
        self._count = 1
        return self._id


class Storage:
    """Typed access to an etcd ``Store`` (see k8score.etcd) for the API server: the only
    code that reads or writes etcd.

    A stored value that does not decode (written behind the API server's back, e.g.
    ``etcdctl put /registry/pods/default/evil bar``) never breaks other objects: a get of
    it is a 500 Status, a list skips it and records the error in ``decode_errors``.
    """

    def __init__(self, store: Any, now: Any = lambda: 0.0):
        self.store = store
        self._now = now
        self._events = EventLeases(store)
        self._handoff: tuple[str, dict] | None = None   # (value, object) of the write under way
        #: ``(key, message)`` of stored values that failed to decode (most recent last)
        self.decode_errors: list[tuple[str, str]] = []

    # -- objects ---------------------------------------------------------------
    def decode_kv(self, kv: Any) -> dict | None:
        """The object stored in ``kv`` (resourceVersion = its mod revision), or None if the
        value is not a Kubernetes object (the error is recorded)."""
        try:
            obj = _loads(kv.value)
            meta = obj["metadata"]
            if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
                raise ValueError("metadata.name is missing")
            meta["resourceVersion"] = str(kv.mod_revision)
            return obj
        except (ValueError, TypeError, KeyError) as e:
            msg = f"object {kv.key!r} from etcd could not be decoded: {type(e).__name__}: {e}"
            self.decode_errors.append((kv.key, msg))
            del self.decode_errors[:-100]
            return None

    def get_object(self, strategy: Any, name: str, namespace: str | None) -> tuple[dict, int] | None:
        """``(object, mod_revision)`` or None when absent; 500 when it does not decode."""
        kv = self.get(strategy.key(name, namespace))
        if kv is None:
            return None
        obj = self.decode_kv(kv)
        if obj is None:
            raise ApiError.internal(self.decode_errors[-1][1])
        return obj, kv.mod_revision

    def list_objects(self, strategy: Any, namespace: str | None = None,
                     revision: int = 0) -> tuple[list[dict], int]:
        """Every decodable object under the resource's prefix, in key order, and the revision."""
        kvs, rev = self.list(strategy.prefix(namespace), revision)
        out = []
        for kv in kvs:
            obj = self.decode_kv(kv)
            if obj is not None:
                out.append(obj)
        return out, rev

    def lease_for(self, strategy: Any) -> int:
        """The etcd lease an expiring object (an Event) is written with."""
        return self._events.lease(self._now(), strategy.ttl)

    @property
    def revision(self) -> int:
        return self.store.revision

    @property
    def compact_revision(self) -> int:
        return self.store.compact_revision

    def consistent_read(self) -> None:
        """k8s.io/apiserver cacher.go GetList with ConsistentListFromCache (GA in 1.34): a list
        without a resourceVersion first gets etcd's current revision by a quorum read, so
        with etcd down or without quorum it fails with etcd's error. (A bare Store, as in unit
        tests, has no such hook and is always current.)"""
        fresh = getattr(self.store, "consistent_revision", None)
        if fresh is not None:
            try:
                fresh()
            except EtcdError as e:
                raise _translate(e) from None

    # -- reads -----------------------------------------------------------------
    def get(self, key: str) -> Any:
        """The KeyValue at ``key`` or None."""
        try:
            kvs = self.store.range(key).kvs
        except EtcdError as e:
            raise _translate(e) from None
        return kvs[0] if kvs else None

    def list(self, prefix: str, revision: int = 0) -> tuple[list, int]:
        """``(kvs, revision)`` under ``prefix`` at ``revision`` (0: now), in key order."""
        try:
            r = self.store.range(prefix, prefix_end(prefix), revision=revision)
        except EtcdError as e:
            raise self._read_error(e, revision, "list") from None
        return r.kvs, r.header.revision

    def _read_error(self, e: EtcdError, revision: int, what: str) -> ApiError:
        if revision and revision > self.store.revision:
            return ApiError.too_large_resource_version(revision, self.store.revision)
        if e.message == ERR_COMPACTED:
            return ApiError.expired(f"The resourceVersion for the provided {what} is too old.")
        if e.message.startswith(_CLUSTER_ERRORS):
            return etcd_unavailable(e)
        return ApiError.internal(str(e))

    # -- guarded writes --------------------------------------------------------
    def create(self, key: str, value: str, lease: int = 0) -> int | None:
        """Put ``value`` if ``key`` does not exist; the new revision, or None if it exists."""
        return self._txn(key, "create", 0, value, lease)

    def update(self, key: str, value: str, mod_revision: int, lease: int = 0,
               handoff: dict | None = None) -> int | None:
        """Put ``value`` if ``key`` is still at ``mod_revision``; new revision or None.
        (An etcd put without a lease detaches the key from its lease.)

        ``handoff``: an object of plain JSON types (exact dict, list, str, int, float, bool,
        None) whose encoding ``value`` is, which the caller gives up: the watch cache takes
        it (:meth:`take`) instead of decoding ``value`` again."""
        if handoff is None:
            return self._txn(key, "mod", mod_revision, value, lease)
        self._handoff = (value, handoff)
        try:
            return self._txn(key, "mod", mod_revision, value, lease)
        finally:
            self._handoff = None

    def take(self, value: Any) -> dict | None:
        """The object handed over with the write of this very ``value`` (the same str
        object, so it is exactly what decoding it gives), once; else None."""
        h = self._handoff
        if h is None or h[0] is not value:
            return None
        self._handoff = None
        return h[1]

    def delete(self, key: str, mod_revision: int) -> int | None:
        """Delete ``key`` if still at ``mod_revision``; the deletion's revision or None."""
        return self._txn(key, "mod", mod_revision, None)

    def delete_prefixes(self, prefixes: list[str], keys: list[str]) -> int:
        """Delete everything under ``prefixes`` and the exact ``keys`` in one transaction
        (one revision, so watchers see the whole removal at once); returns that revision."""
        ops = [OpDelete(p, prefix_end(p)) for p in prefixes] + [OpDelete(k) for k in keys]
        try:
            return self.store.txn([], ops, []).header.revision
        except EtcdError as e:
            raise _translate(e) from None

    def _txn(self, key: str, target: str, expect: int, value: str | None, lease: int = 0) -> int | None:
        op = OpPut(key, value, lease) if value is not None else OpDelete(key)
        try:
            r = self.store.txn([Compare(key, target, "=", expect)], [op], [])
        except EtcdError as e:
            raise _translate(e) from None
        return r.header.revision if r.succeeded else None
