"""Messages of the etcd v3 API (api/etcdserverpb/rpc.proto, api/mvccpb/kv.proto), as plain objects.

Field names follow the protobuf names in snake_case, so ``resp.header.revision``,
``kv.mod_revision`` and ``wresp.compact_revision`` read like the Go client.
Responses are values: the store never mutates one after handing it out, and a
``KeyValue`` is shared between the store's history and every reader (treat it as
read-only).
"""

from __future__ import annotations

from typing import Any
from zlib import compress as _compress
from zlib import decompress as _decompress

# Identity printed in response headers. A real cluster's ids are random; these are
# fixed so that runs (and `etcdctl -w json` output) are reproducible.
CLUSTER_ID = 14841639068965178418
MEMBER_ID = 10276657743932975437
RAFT_TERM = 2

# api/v3rpc/rpctypes/error.go — the messages a client sees.
ERR_EMPTY_KEY = "etcdserver: key is not provided"
ERR_COMPACTED = "etcdserver: mvcc: required revision has been compacted"
ERR_FUTURE_REV = "etcdserver: mvcc: required revision is a future revision"
ERR_LEASE_NOT_FOUND = "etcdserver: requested lease not found"
ERR_LEASE_EXIST = "etcdserver: lease already exists"
ERR_LEASE_TTL_TOO_LARGE = "etcdserver: too large lease TTL"
ERR_TOO_MANY_OPS = "etcdserver: too many operations in txn request"
ERR_DUPLICATE_KEY = "etcdserver: duplicate key given in txn request"
ERR_KEY_NOT_FOUND = "etcdserver: key not found"
ERR_VALUE_PROVIDED = "etcdserver: value is provided"
ERR_LEASE_PROVIDED = "etcdserver: lease is provided"

PUT = "PUT"        # mvccpb.Event_PUT
DELETE = "DELETE"  # mvccpb.Event_DELETE


class EtcdError(Exception):
    """An error etcd returns to a client; ``str(err)`` is etcd's exact message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def prefix_end(key: str) -> str:
    """The range end that selects every key starting with ``key`` (clientv3.GetPrefixRangeEnd).

    The last character is incremented; characters that cannot be incremented are
    dropped first. An empty key, or one made only of such characters, gives "\\0",
    which etcd reads as "no upper bound".

    >>> prefix_end("/registry/pods/")
    '/registry/pods0'
    >>> prefix_end("")
    '\\x00'
    """
    end = key
    while end:
        c = ord(end[-1])
        if c < 0x10FFFF:
            nxt = c + 1
            if 0xD800 <= nxt <= 0xDFFF:  # skip surrogates: they never appear in UTF-8 keys
                nxt = 0xE000
            return end[:-1] + chr(nxt)
        end = end[:-1]
    return "\0"


class KeyValue:
    """mvccpb.KeyValue. A deletion is recorded as a tombstone: ``version == 0``.

    :meth:`pack` keeps the value zlib-compressed (the store packs a version once a newer one
    supersedes it: history is read rarely, and bbolt keeps it on disk, not in memory);
    ``value`` reads the same str or bytes either way."""

    __slots__ = ("key", "_value", "create_revision", "mod_revision", "version", "lease")

    def __init__(self, key: str, value: str, create_revision: int, mod_revision: int,
                 version: int, lease: int = 0):
        self.key = key
        self._value = value
        self.create_revision = create_revision
        self.mod_revision = mod_revision
        self.version = version
        self.lease = lease

    @property
    def value(self) -> Any:
        v = self._value
        return v.unpack() if type(v) is _Packed else v

    @value.setter
    def value(self, v: Any) -> None:
        self._value = v

    def pack(self) -> None:
        """Hold the value compressed from now on (values under 256 bytes stay as they are)."""
        v = self._value
        if type(v) is not _Packed and len(v) >= _PACK_MIN:
            self._value = _Packed(v)

    def _tuple(self):
        return (self.key, self.value, self.create_revision, self.mod_revision, self.version,
                self.lease)

    def __eq__(self, other):
        return isinstance(other, KeyValue) and self._tuple() == other._tuple()

    def __hash__(self):
        return hash(self._tuple())

    def __repr__(self):
        return (f"KeyValue(key={self.key!r}, value={self.value!r}, "
                f"create_revision={self.create_revision}, mod_revision={self.mod_revision}, "
                f"version={self.version}, lease={self.lease})")


#: values shorter than this are not worth compressing
_PACK_MIN = 256


class _Packed:
    """A str or bytes value, zlib-compressed (level 1: fast; JSON shrinks to about a third)."""

    __slots__ = ("data", "text")

    def __init__(self, value: Any):
        self.text = type(value) is str
        raw = value.encode("utf-8", "surrogatepass") if self.text else bytes(value)
        self.data = _compress(raw, 1)

    def unpack(self) -> Any:
        raw = _decompress(self.data)
        return raw.decode("utf-8", "surrogatepass") if self.text else raw


class Header:
    """etcdserverpb.ResponseHeader: ``revision`` is the store's revision when the request ran."""

    __slots__ = ("revision",)
    cluster_id = CLUSTER_ID
    member_id = MEMBER_ID
    raft_term = RAFT_TERM

    def __init__(self, revision: int):
        self.revision = revision

    def __repr__(self):
        return f"Header(revision={self.revision})"


class InnerHeader(Header):
    """The header of a response nested in a TxnResponse: etcd fills in only the revision."""

    __slots__ = ()
    cluster_id = 0
    member_id = 0
    raft_term = 0


class _Response:
    __slots__ = ()

    def __repr__(self):
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({fields})"


class PutResponse(_Response):
    __slots__ = ("header", "prev_kv")

    def __init__(self, header: Header, prev_kv: KeyValue | None = None):
        self.header = header
        self.prev_kv = prev_kv


class RangeResponse(_Response):
    __slots__ = ("header", "kvs", "count", "more")

    def __init__(self, header: Header, kvs: list, count: int, more: bool = False):
        self.header = header
        self.kvs = kvs
        self.count = count
        self.more = more


class DeleteRangeResponse(_Response):
    __slots__ = ("header", "deleted", "prev_kvs")

    def __init__(self, header: Header, deleted: int, prev_kvs: list):
        self.header = header
        self.deleted = deleted
        self.prev_kvs = prev_kvs


class TxnResponse(_Response):
    """``responses`` holds one Put/Range/DeleteRange/TxnResponse per op of the branch taken."""

    __slots__ = ("header", "succeeded", "responses")

    def __init__(self, header: Header, succeeded: bool, responses: list):
        self.header = header
        self.succeeded = succeeded
        self.responses = responses


class CompactionResponse(_Response):
    __slots__ = ("header",)

    def __init__(self, header: Header):
        self.header = header


class Event(_Response):
    """mvccpb.Event: ``type`` "PUT" or "DELETE"; a DELETE's ``kv`` has only key and mod_revision."""

    __slots__ = ("type", "kv", "prev_kv")

    def __init__(self, type: str, kv: KeyValue, prev_kv: KeyValue | None = None):
        self.type = type
        self.kv = kv
        self.prev_kv = prev_kv


class WatchResponse(_Response):
    """One message on a watch: all events of one revision, or a created/canceled/progress note.

    An empty ``events`` list with neither ``created`` nor ``canceled`` set is a
    progress notification: nothing in the watched range changed up to ``header.revision``.
    """

    __slots__ = ("header", "watch_id", "created", "canceled", "compact_revision",
                 "cancel_reason", "events")

    def __init__(self, header: Header, watch_id: int, events: list, created: bool = False,
                 canceled: bool = False, compact_revision: int = 0, cancel_reason: str = ""):
        self.header = header
        self.watch_id = watch_id
        self.events = events
        self.created = created
        self.canceled = canceled
        self.compact_revision = compact_revision
        self.cancel_reason = cancel_reason

    @property
    def is_progress_notify(self) -> bool:
        return not self.events and not self.created and not self.canceled \
            and self.compact_revision == 0


class LeaseGrantResponse(_Response):
    __slots__ = ("header", "id", "ttl")

    def __init__(self, header: Header, id: int, ttl: int):
        self.header = header
        self.id = id
        self.ttl = ttl


class LeaseRevokeResponse(_Response):
    __slots__ = ("header",)

    def __init__(self, header: Header):
        self.header = header


class LeaseKeepAliveResponse(_Response):
    __slots__ = ("header", "id", "ttl")

    def __init__(self, header: Header, id: int, ttl: int):
        self.header = header
        self.id = id
        self.ttl = ttl


class LeaseTimeToLiveResponse(_Response):
    """``ttl``: remaining whole seconds, -1 when there is no such lease (then granted_ttl is 0)."""

    __slots__ = ("header", "id", "ttl", "granted_ttl", "keys")

    def __init__(self, header: Header, id: int, ttl: int, granted_ttl: int, keys: list):
        self.header = header
        self.id = id
        self.ttl = ttl
        self.granted_ttl = granted_ttl
        self.keys = keys


class LeaseLeasesResponse(_Response):
    """``leases`` is a list of lease ids (LeaseStatus.ID), oldest grant first."""

    __slots__ = ("header", "leases")

    def __init__(self, header: Header, leases: list):
        self.header = header
        self.leases = leases
