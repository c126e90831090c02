"""Transaction building blocks: ``Compare`` and the request ops a txn branch runs.

They mirror clientv3's ``Compare(Value(k), "=", v)`` / ``OpPut`` / ``OpGet`` /
``OpDelete`` / ``OpTxn``::

    s.txn([Compare.version("/registry/pods/default/web", "=", 0)],
          success=[OpPut("/registry/pods/default/web", "{...}")],
          failure=[OpGet("/registry/pods/default/web")])

The checks here are the ones etcd runs before a txn is applied
(server/etcdserver/api/v3rpc/key.go: checkTxnRequest, checkIntervals) and the
comparison rules of server/etcdserver/txn/txn.go (applyCompare / compareKV).
"""

from __future__ import annotations

from .types import ERR_DUPLICATE_KEY, ERR_EMPTY_KEY, ERR_TOO_MANY_OPS, EtcdError, KeyValue

# server/embed/config.go: DefaultMaxTxnOps
MAX_TXN_OPS = 128

_TARGETS = ("value", "version", "create", "mod", "lease")
_RESULTS = ("=", "!=", "<", ">")


class Compare:
    """One guard of a txn: ``target`` of ``key`` (or of each key in [key, range_end)) vs value.

    target: "value" | "version" | "create" | "mod" | "lease"; result: "=" | "!=" | "<" | ">".
    A missing key compares as version/create/mod/lease 0; a value compare on a
    missing key always fails (etcd's rule).
    """

    __slots__ = ("key", "target", "result", "value", "range_end")

    def __init__(self, key: str, target: str, result: str, value, range_end: str | None = None):
        if target not in _TARGETS:
            raise ValueError(f"unknown compare target {target!r}")
        if result not in _RESULTS:
            raise ValueError(f"unknown compare result {result!r}")
        self.key = key
        self.target = target
        self.result = result
        self.value = value
        self.range_end = range_end

    # ``value`` is the field holding the operand, so the constructor is ``value_``.
    @classmethod
    def value_(cls, key, result, value, range_end=None):
        return cls(key, "value", result, value, range_end)

    @classmethod
    def version(cls, key, result, value, range_end=None):
        return cls(key, "version", result, value, range_end)

    @classmethod
    def create(cls, key, result, value, range_end=None):
        return cls(key, "create", result, value, range_end)

    @classmethod
    def mod(cls, key, result, value, range_end=None):
        return cls(key, "mod", result, value, range_end)

    @classmethod
    def lease(cls, key, result, value, range_end=None):
        return cls(key, "lease", result, value, range_end)

    def matches(self, kv: KeyValue | None) -> bool:
        """compareKV: does this guard hold for ``kv`` (None = missing key)?"""
        t = self.target
        if t == "value":
            if kv is None:
                return False
            have = kv.value
        elif kv is None:
            have = 0
        elif t == "version":
            have = kv.version
        elif t == "create":
            have = kv.create_revision
        elif t == "mod":
            have = kv.mod_revision
        else:
            have = kv.lease
        want = self.value
        r = self.result
        if r == "=":
            return have == want
        if r == "!=":
            return have != want
        if r == "<":
            return have < want
        return have > want

    def __repr__(self):
        end = f", range_end={self.range_end!r}" if self.range_end else ""
        return f"Compare({self.key!r}, {self.target!r}, {self.result!r}, {self.value!r}{end})"


class OpPut:
    __slots__ = ("key", "value", "lease", "prev_kv", "ignore_value", "ignore_lease")

    def __init__(self, key: str, value: str = "", lease: int = 0, prev_kv: bool = False,
                 ignore_value: bool = False, ignore_lease: bool = False):
        self.key = key
        self.value = value
        self.lease = lease
        self.prev_kv = prev_kv
        self.ignore_value = ignore_value
        self.ignore_lease = ignore_lease

    def __repr__(self):
        return f"OpPut({self.key!r}, {self.value!r})"


class OpGet:
    __slots__ = ("key", "range_end", "limit", "revision", "count_only", "keys_only",
                 "sort_order", "sort_target", "serializable")

    def __init__(self, key: str, range_end: str | None = None, limit: int = 0, revision: int = 0,
                 count_only: bool = False, keys_only: bool = False, sort_order: str = "none",
                 sort_target: str = "key", serializable: bool = False):
        self.serializable = serializable
        self.sort_order = sort_order
        self.sort_target = sort_target
        self.key = key
        self.range_end = range_end
        self.limit = limit
        self.revision = revision
        self.count_only = count_only
        self.keys_only = keys_only

    def __repr__(self):
        return f"OpGet({self.key!r}, range_end={self.range_end!r})"


class OpDelete:
    __slots__ = ("key", "range_end", "prev_kv")

    def __init__(self, key: str, range_end: str | None = None, prev_kv: bool = False):
        self.key = key
        self.range_end = range_end
        self.prev_kv = prev_kv

    def __repr__(self):
        return f"OpDelete({self.key!r}, range_end={self.range_end!r})"


class OpTxn:
    __slots__ = ("compare", "success", "failure")

    def __init__(self, compare=(), success=(), failure=()):
        self.compare = list(compare)
        self.success = list(success)
        self.failure = list(failure)

    def __repr__(self):
        return f"OpTxn({self.compare!r}, {self.success!r}, {self.failure!r})"


def check_txn(compare, success, failure) -> None:
    """Reject a txn the way etcd's gRPC layer does, before anything is applied."""
    if max(len(compare), len(success), len(failure)) > MAX_TXN_OPS:
        raise EtcdError(ERR_TOO_MANY_OPS)
    for c in compare:
        if not c.key:
            raise EtcdError(ERR_EMPTY_KEY)
    for op in (*success, *failure):
        if isinstance(op, OpTxn):
            check_txn(op.compare, op.success, op.failure)
        elif not op.key:
            raise EtcdError(ERR_EMPTY_KEY)
        elif not isinstance(op, (OpPut, OpGet, OpDelete)):
            raise TypeError(f"not a txn op: {op!r}")
    _check_intervals(success)
    _check_intervals(failure)


def is_serializable_read(success, failure) -> bool:
    """isTxnReadonly and isTxnSerializable (v3_server.go): only serializable gets, if any.

    Such a txn is answered locally; any other takes an id for raft or a read index.
    """
    return all(isinstance(op, OpGet) and op.serializable for op in (*success, *failure))


def _in_range(key: str, start: str, end: str | None) -> bool:
    if not end:
        return key == start
    if end == "\0":
        return key >= start
    return start <= key < end


def _check_intervals(ops) -> tuple[list, set]:
    """checkIntervals: within one branch a key may be written once, and not both put and deleted.

    Returns (delete ranges, put keys) of the branch, nested txns included (a nested
    txn contributes the union of its two branches: either may run).
    """
    dels: list[tuple[str, str | None]] = []
    puts: set[str] = set()
    for op in ops:
        if isinstance(op, OpDelete):
            dels.append((op.key, op.range_end))
    for op in ops:
        if isinstance(op, OpTxn):
            sdels, sputs = _check_intervals(op.success)
            fdels, fputs = _check_intervals(op.failure)
            for k in sorted(sputs | fputs):
                if k in puts:
                    raise EtcdError(ERR_DUPLICATE_KEY)
                for start, end in dels:
                    if _in_range(k, start, end):
                        raise EtcdError(ERR_DUPLICATE_KEY)
            puts |= sputs | fputs
            dels.extend(sdels)
            dels.extend(fdels)
    for op in ops:
        if isinstance(op, OpPut):
            if op.key in puts:
                raise EtcdError(ERR_DUPLICATE_KEY)
            for start, end in dels:
                if _in_range(op.key, start, end):
                    raise EtcdError(ERR_DUPLICATE_KEY)
            puts.add(op.key)
    return dels, puts
