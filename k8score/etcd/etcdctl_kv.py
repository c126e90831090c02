"""etcdctl put / get / del / compaction / watch (etcdctl/ctlv3/command/*_command.go).

Each of put/get/del is split like upstream: ``*_op`` turns arguments and flags into a
request (also used by ``txn`` for its lines), the command runs it and prints.
"""

from __future__ import annotations

from . import etcdctl_print as P
from .etcdctl_args import Ctx, Exit, int_arg
from .txn import OpDelete, OpGet, OpPut
from .types import prefix_end

PUT_FLAGS = {"lease": "str", "prev-kv": "bool", "ignore-value": "bool", "ignore-lease": "bool"}
GET_FLAGS = {"consistency": "str", "order": "str", "sort-by": "str", "limit": "int",
             "prefix": "bool", "from-key": "bool", "rev": "int", "keys-only": "bool",
             "count-only": "bool", "print-value-only": "bool"}
DEL_FLAGS = {"prefix": "bool", "prev-kv": "bool", "from-key": "bool"}
COMPACTION_FLAGS = {"physical": "bool"}
WATCH_FLAGS = {"interactive": "bool", "prefix": "bool", "rev": "int", "prev-kv": "bool",
               "progress-notify": "bool"}

_ORDERS = {"ASCEND": "ascend", "DESCEND": "descend", "": "none"}
_TARGETS = {"CREATE": "create", "KEY": "key", "MODIFY": "mod", "VALUE": "value",
            "VERSION": "version", "": "key"}


def put_op(f, args, stdin: str) -> OpPut:
    """getPutOp. ``f(name, default)`` reads a flag; the value may come from stdin."""
    if not args:
        raise Exit("put command needs 1 argument and input from stdin or 2 arguments")
    key = args[0]
    ignore_value = f("ignore-value", False)
    if ignore_value and len(args) > 1:
        raise Exit("put command needs only 1 argument when 'ignore-value' is set")
    value = ""
    if not ignore_value:
        if len(args) > 1:
            value = args[1]
        elif stdin:
            value = stdin     # ioutil.ReadAll: the whole input, newline included
        else:
            raise Exit("put command needs 1 argument and input from stdin or 2 arguments")
    lease = int_arg(f("lease", "0"), 16, "bad lease ID ({}), expecting ID in Hex")
    return OpPut(key, value, lease=lease, prev_kv=f("prev-kv", False),
                 ignore_value=ignore_value, ignore_lease=f("ignore-lease", False))


def _key_range(f, args):
    """Key and range end from args and --prefix/--from-key (clientv3 WithPrefix/WithFromKey)."""
    prefix, from_key = f("prefix", False), f("from-key", False)
    if prefix and from_key:
        raise Exit("`--prefix` and `--from-key` cannot be set at the same time, choose one")
    key = args[0]
    end = None
    if len(args) > 1:
        if prefix or from_key:
            raise Exit("too many arguments, only accept one argument when `--prefix` or "
                       "`--from-key` is set")
        end = args[1]
    if prefix:
        if not key:
            key, end = "\0", "\0"
        else:
            end = prefix_end(key)
    if from_key:
        if not key:
            key = "\0"
        end = "\0"
    return key, end


def get_op(f, args) -> OpGet:
    """getGetOp."""
    if not args:
        raise Exit("get command needs one argument as key and an optional argument as "
                   "range_end")
    if f("prefix", False) and f("from-key", False):
        raise Exit("`--prefix` and `--from-key` cannot be set at the same time, choose one")
    if f("keys-only", False) and f("count-only", False):
        raise Exit("`--keys-only` and `--count-only` cannot be set at the same time, "
                   "choose one")
    consistency = f("consistency", "l")
    if consistency not in ("l", "s"):
        raise Exit(f'unknown consistency flag "{consistency}"')
    key, end = _key_range(f, args)
    order = f("order", "")
    if order.upper() not in _ORDERS:
        raise Exit(f"bad sort order {order}")
    target = f("sort-by", "")
    if target.upper() not in _TARGETS:
        raise Exit(f"bad sort target {target}")
    rev = f("rev", 0)
    op = OpGet(key, end, limit=max(f("limit", 0), 0), revision=rev if rev > 0 else 0,
               count_only=f("count-only", False), keys_only=f("keys-only", False))
    op.sort_order = _ORDERS[order.upper()]
    op.sort_target = _TARGETS[target.upper()]
    op.serializable = consistency == "s"
    return op


def del_op(f, args) -> OpDelete:
    """getDelOp."""
    if not args or len(args) > 2:
        raise Exit("del command needs one argument as key and an optional argument as "
                   "range_end")
    key, end = _key_range(f, args)
    return OpDelete(key, end, prev_kv=f("prev-kv", False))


# -- printing (shared with txn) ------------------------------------------------------
def print_put(c: Ctx, r):
    simple = ["OK"]
    if r.prev_kv is not None:
        simple += P.simple_kv(r.prev_kv, False, c.is_hex)
    c.emit(simple, P.put_obj(r), P.fields_put(r))


def print_get(c: Ctx, r, value_only=False):
    simple = []
    for kv in r.kvs:
        simple += P.simple_kv(kv, value_only, c.is_hex)
    c.emit(simple, P.range_obj(r), P.fields_get(r))


def print_del(c: Ctx, r):
    simple = [str(r.deleted)]
    for kv in r.prev_kvs:
        simple += P.simple_kv(kv, False, c.is_hex)
    c.emit(simple, P.delete_obj(r), P.fields_del(r))


# -- commands ------------------------------------------------------------------------
def put(c: Ctx, args):
    op = put_op(c.f, args, c.stdin)
    print_put(c, c.store.put(op.key, op.value, lease=op.lease, prev_kv=op.prev_kv,
                             ignore_value=op.ignore_value, ignore_lease=op.ignore_lease))


def get(c: Ctx, args):
    op = get_op(c.f, args)
    r = c.store.range(op.key, op.range_end, limit=op.limit, revision=op.revision,
                      count_only=op.count_only, keys_only=op.keys_only,
                      sort_order=op.sort_order, sort_target=op.sort_target,
                      serializable=op.serializable)
    # etcdctl checks these after the request has been answered
    if op.count_only and c.fmt != "fields":
        raise Exit("--count-only is only for `--write-out=fields`")
    value_only = c.f("print-value-only")
    if value_only and c.fmt != "simple":
        raise Exit("print-value-only is only for `--write-out=simple`")
    print_get(c, r, value_only)


def delete(c: Ctx, args):
    op = del_op(c.f, args)
    print_del(c, c.store.delete_range(op.key, op.range_end, prev_kv=op.prev_kv))


def compaction(c: Ctx, args):
    if len(args) != 1:
        raise Exit("compaction command needs 1 argument")
    rev = int_arg(args[0], 10)
    c.store.compact(rev)
    c.out.append(f"compacted revision {rev}")


def watch(c: Ctx, args):
    """The events a watch prints before it would wait for more (replay of --rev history)."""
    if c.f("interactive"):
        raise Exit("interactive watch is not simulated here")
    if not args or len(args) > 2:
        raise Exit("bad or no arguments")
    key = args[0]
    end = args[1] if len(args) > 1 else None
    if c.f("prefix"):
        if end is not None:
            raise Exit("unexpected range_end")
        end = prefix_end(key) if key else "\0"
        key = key or "\0"
    responses = []
    w = c.store.watch(key, end, start_revision=max(c.f("rev", 0), 0), prev_kv=c.f("prev-kv"),
                      callback=responses.append)
    w.cancel()
    for resp in responses:
        if resp.canceled:   # printWatchCh: note on stderr, the response is still displayed
            c.out.append("watch was canceled (etcdserver: mvcc: required revision has been "
                         "compacted)")
        if c.fmt == "simple":
            for e in resp.events:
                c.out.append(e.type)
                if e.prev_kv is not None:
                    c.out.extend(P.simple_kv(e.prev_kv, False, c.is_hex))
                c.out.extend(P.simple_kv(e.kv, False, c.is_hex))
        elif c.fmt == "json":
            c.out.append(P.to_json(P.watch_obj(resp)))
        elif c.fmt == "fields":
            c.out.extend(P.fields_watch(resp))
        else:
            raise Exit(f"{c.fmt} not supported as output format")
        if resp.canceled:
            raise Exit("watch is canceled by the server")
