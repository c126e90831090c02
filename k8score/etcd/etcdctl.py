"""etcdctl v3: run an etcdctl command line against a Store and return what it prints.

>>> from k8score.etcd import Store
>>> s = Store()
>>> etcdctl(s, "put foo bar")
'OK'
>>> etcdctl(s, "etcdctl get foo")
'foo\\nbar'
>>> etcdctl(s, "get foo --rev=1")
''
>>> etcdctl(s, "get")
'Error: get command needs one argument as key and an optional argument as range_end'

The output is what etcdctl 3.5 writes (stdout then stderr, as a terminal shows
them) for the same commands against a fresh etcd, without the final newline.
Flags, argument checks and messages follow etcdctl/ctlv3/command/*_command.go;
formats follow printer_simple.go / printer_json.go / printer_fields.go.
Commands that stream forever in a terminal (``watch``, ``lease keep-alive``
without ``--once``) print what they would print before waiting, and return.
"""

from __future__ import annotations

import shlex

from . import etcdctl_print as P
from .types import EtcdError, prefix_end

# etcdctl/ctlv3/ctl.go global flags: name -> type ("bool" | "str"); shorthands.
_GLOBAL = {
    "endpoints": "str", "debug": "bool", "write-out": "str", "hex": "bool",
    "dial-timeout": "str", "command-timeout": "str", "keepalive-time": "str",
    "keepalive-timeout": "str", "insecure-transport": "bool", "insecure-discovery": "bool",
    "insecure-skip-tls-verify": "bool", "cert": "str", "key": "str", "cacert": "str",
    "user": "str", "password": "str", "discovery-srv": "str", "discovery-srv-name": "str",
    "help": "bool",
}
_SHORT = {"w": "write-out", "h": "help"}

_COMMANDS = {
    ("put",): {"lease": "str", "prev-kv": "bool", "ignore-value": "bool",
               "ignore-lease": "bool"},
    ("get",): {"consistency": "str", "order": "str", "sort-by": "str", "limit": "int",
               "prefix": "bool", "from-key": "bool", "rev": "int", "keys-only": "bool",
               "count-only": "bool", "print-value-only": "bool"},
    ("del",): {"prefix": "bool", "prev-kv": "bool", "from-key": "bool"},
    ("compaction",): {"physical": "bool"},
    ("watch",): {"interactive": "bool", "prefix": "bool", "rev": "int", "prev-kv": "bool",
                 "progress-notify": "bool"},
    ("lease", "grant"): {},
    ("lease", "revoke"): {},
    ("lease", "timetolive"): {"keys": "bool"},
    ("lease", "list"): {},
    ("lease", "keep-alive"): {"once": "bool"},
    ("version",): {},
}
_GROUPS = {"lease"}
_SHORT_CMD = {"watch": {"i": "interactive"}}

ETCDCTL_VERSION = "3.5.16"   # the etcd release kubeadm deploys for recent Kubernetes minors


class _Exit(Exception):
    """etcdctl's ExitWithError: prints ``Error: <msg>`` and stops."""


def etcdctl(store, command_line: str) -> str:
    """Run one etcdctl command line (with or without the leading ``etcdctl``)."""
    out: list[str] = []
    try:
        args = shlex.split(command_line)
    except ValueError as e:
        return f"Error: {e}"
    if args and args[0] == "etcdctl":
        args = args[1:]
    try:
        _main(store, args, out)
    except _Exit as e:
        out.append(f"Error: {e}")
    except EtcdError as e:
        out.append(f"Error: {e}")
    return "\n".join(out)


# etcdctl commands that exist upstream but are not simulated.
_REAL_ONLY = ("txn", "alarm", "defrag", "endpoint", "move-leader", "member", "snapshot",
              "make-mirror", "lock", "elect", "auth", "user", "role", "check", "completion",
              "help", "downgrade")


def _suggest(typed: str) -> str:
    """cobra's "Did you mean this?" (Levenshtein distance <= 2, or a prefix)."""
    names = sorted({c[0] for c in _COMMANDS} | set(_REAL_ONLY))
    hits = [n for n in names if _distance(typed, n) <= 2 or n.startswith(typed.lower())]
    if not hits:
        return ""
    return "\n\nDid you mean this?\n" + "".join(f"\t{n}\n" for n in hits)


def _distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


# -- flag parsing (spf13/pflag semantics) ------------------------------------------
def _find_command(args):
    words = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            break
        if a.startswith("--"):
            name, eq, _ = a[2:].partition("=")
            if not eq and _GLOBAL.get(name) == "str":
                i += 1
        elif a.startswith("-") and len(a) > 1:
            if a[1] in _SHORT and _GLOBAL[_SHORT[a[1]]] == "str" and len(a) == 2:
                i += 1
        else:
            words.append(a)
            if len(words) == 2 or words[0] not in _GROUPS:
                break
        i += 1
    return tuple(words)


def _parse(args, spec, shorts):
    flags, pos = {}, []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            pos.extend(args[i + 1:])
            break
        if a.startswith("--") and len(a) > 2:
            name, eq, val = a[2:].partition("=")
            kind = spec.get(name)
            if kind is None:
                raise _Exit(f"unknown flag: --{name}")
            label = f"--{name}"
            short = next((s for s, n in shorts.items() if n == name), None)
            if short:
                label = f"-{short}, --{name}"
            if kind == "bool":
                flags[name] = _parse_bool(val, label) if eq else True
            else:
                if not eq:
                    if i + 1 >= len(args):
                        raise _Exit(f"flag needs an argument: --{name}")
                    i += 1
                    val = args[i]
                flags[name] = _convert(val, kind, label)
        elif a.startswith("-") and len(a) > 1:
            c = a[1]
            name = shorts.get(c)
            if name is None:
                raise _Exit(f"unknown shorthand flag: {c!r} in {a}")
            kind = spec[name]
            rest = a[2:]
            label = f"-{c}, --{name}"
            if kind == "bool":
                flags[name] = _parse_bool(rest[1:], label) if rest.startswith("=") else True
            else:
                if rest.startswith("="):
                    rest = rest[1:]
                if not rest:
                    if i + 1 >= len(args):
                        raise _Exit(f"flag needs an argument: {c!r} in -{c}")
                    i += 1
                    rest = args[i]
                flags[name] = _convert(rest, kind, label)
        else:
            pos.append(a)
        i += 1
    return flags, pos


def _parse_bool(val, label):
    if val in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if val in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise _Exit(f'invalid argument "{val}" for "{label}" flag: '
                f'strconv.ParseBool: parsing "{val}": invalid syntax')


def _convert(val, kind, label):
    if kind != "int":
        return val
    try:
        return _go_parse_int(val, 0)
    except _BadInt as e:
        raise _Exit(f'invalid argument "{val}" for "{label}" flag: {e}') from None


class _BadInt(Exception):
    pass


def _go_parse_int(s: str, base: int) -> int:
    """strconv.ParseInt(s, base, 64), with Go's error text."""
    body = s[1:] if s[:1] in "+-" else s
    try:
        if base == 0:
            low = body.lower()
            if low.startswith(("0x", "0o", "0b")) and len(body) > 2:
                v = int(body[2:], {"x": 16, "o": 8, "b": 2}[low[1]])
            elif body.startswith("0") and len(body) > 1:
                v = int(body[1:], 8)
            else:
                if not body.isdigit():
                    raise ValueError
                v = int(body, 10)
        else:
            if not body or body.startswith(("+", "-")) or "_" in body:
                raise ValueError
            v = int(body, base)
    except ValueError:
        raise _BadInt(f'strconv.ParseInt: parsing "{s}": invalid syntax') from None
    if s.startswith("-"):
        v = -v
    if not -(1 << 63) <= v < (1 << 63):
        raise _BadInt(f'strconv.ParseInt: parsing "{s}": value out of range')
    return v


# -- commands -------------------------------------------------------------------
def _main(store, args, out):
    cmd = _find_command(args)
    if not cmd:
        raise _Exit("no command given (try: put, get, del, compaction, lease, watch)")
    if cmd not in _COMMANDS:
        if cmd[0] in _GROUPS:
            if len(cmd) == 1:
                raise _Exit(f'"etcdctl {cmd[0]}" needs a subcommand')
            raise _Exit(f'unknown command "{cmd[1]}" for "etcdctl {cmd[0]}"')
        if cmd[0] in _REAL_ONLY:
            raise _Exit(f'"etcdctl {cmd[0]}" is not simulated here (try: put, get, del, '
                        'compaction, lease, watch)')
        raise _Exit(f'unknown command "{cmd[0]}" for "etcdctl"{_suggest(cmd[0])}')
    spec = dict(_GLOBAL)
    spec.update(_COMMANDS[cmd])
    shorts = dict(_SHORT)
    shorts.update(_SHORT_CMD.get(cmd[0], {}))
    flags, pos = _parse(args, spec, shorts)
    pos = pos[len(cmd):]
    fmt = flags.get("write-out", "simple")
    if fmt not in ("simple", "json", "fields", "protobuf", "table"):
        raise _Exit("unsupported output format")
    ctx = _Ctx(store, flags, fmt, out)
    _HANDLERS[cmd](ctx, pos)


class _Ctx:
    __slots__ = ("store", "flags", "fmt", "out", "is_hex")

    def __init__(self, store, flags, fmt, out):
        self.store = store
        self.flags = flags
        self.fmt = fmt
        self.out = out
        self.is_hex = flags.get("hex", False)

    def f(self, name, default=False):
        return self.flags.get(name, default)

    def emit(self, simple_lines, json_obj, fields_lines):
        """Print one response in the chosen format (table/protobuf: unsupported here)."""
        if self.fmt == "simple":
            self.out.extend(simple_lines)
        elif self.fmt == "json":
            self.out.append(P.to_json(json_obj))
        elif self.fmt == "fields":
            self.out.extend(fields_lines)
        else:
            raise _Exit(f"{self.fmt} is not supported as output format")


def _put(c: _Ctx, args):
    if not args:
        raise _Exit("put command needs 1 argument and input from stdin or 2 arguments")
    key = args[0]
    ignore_value = c.f("ignore-value")
    if ignore_value and len(args) > 1:
        raise _Exit("put command needs only 1 argument when 'ignore-value' is set")
    value = ""
    if not ignore_value:
        if len(args) < 2:   # no stdin here
            raise _Exit("put command needs 1 argument and input from stdin or 2 arguments")
        value = args[1]
    try:
        lease = _go_parse_int(c.f("lease", "0"), 16)
    except _BadInt as e:
        raise _Exit(f"bad lease ID ({e}), expecting ID in Hex") from None
    r = c.store.put(key, value, lease=lease, prev_kv=c.f("prev-kv"), ignore_value=ignore_value,
                    ignore_lease=c.f("ignore-lease"))
    simple = ["OK"]
    if r.prev_kv is not None:
        simple += P.simple_kv(r.prev_kv, False, c.is_hex)
    c.emit(simple, P.put_obj(r), P.fields_put(r))


def _range_args(c: _Ctx, args, what):
    """Key and range end from args and --prefix/--from-key (getGetOp / getDelOp)."""
    prefix, from_key = c.f("prefix"), c.f("from-key")
    if prefix and from_key:
        raise _Exit("`--prefix` and `--from-key` cannot be set at the same time, choose one")
    key = args[0]
    end = None
    if len(args) > 1:
        if prefix or from_key:
            raise _Exit("too many arguments, only accept one argument when `--prefix` or "
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


_ORDERS = {"ASCEND": "ascend", "DESCEND": "descend", "": "none"}
_TARGETS = {"CREATE": "create", "KEY": "key", "MODIFY": "mod", "VALUE": "value",
            "VERSION": "version", "": "key"}


def _get(c: _Ctx, args):
    if not args:
        raise _Exit("get command needs one argument as key and an optional argument as "
                    "range_end")
    if c.f("prefix") and c.f("from-key"):
        raise _Exit("`--prefix` and `--from-key` cannot be set at the same time, choose one")
    if c.f("keys-only") and c.f("count-only"):
        raise _Exit("`--keys-only` and `--count-only` cannot be set at the same time, "
                    "choose one")
    consistency = c.f("consistency", "l")
    if consistency not in ("l", "s"):
        raise _Exit(f'unknown consistency flag "{consistency}"')
    key, end = _range_args(c, args, "get")
    order = c.f("order", "")
    if order.upper() not in _ORDERS:
        raise _Exit(f"bad sort order {order}")
    target = c.f("sort-by", "")
    if target.upper() not in _TARGETS:
        raise _Exit(f"bad sort target {target}")
    rev = c.f("rev", 0)
    r = c.store.range(key, end, limit=max(c.f("limit", 0), 0), revision=rev if rev > 0 else 0,
                      count_only=c.f("count-only"), keys_only=c.f("keys-only"),
                      sort_order=_ORDERS[order.upper()], sort_target=_TARGETS[target.upper()])
    if c.f("count-only") and c.fmt != "fields":
        raise _Exit("--count-only is only for `--write-out=fields`")
    value_only = c.f("print-value-only")
    if value_only and c.fmt != "simple":
        raise _Exit("print-value-only is only for `--write-out=simple`")
    simple = []
    for kv in r.kvs:
        simple += P.simple_kv(kv, value_only, c.is_hex)
    c.emit(simple, P.range_obj(r), P.fields_get(r))


def _del(c: _Ctx, args):
    if not args or len(args) > 2:
        raise _Exit("del command needs one argument as key and an optional argument as "
                    "range_end")
    key, end = _range_args(c, args, "del")
    r = c.store.delete_range(key, end, prev_kv=c.f("prev-kv"))
    simple = [str(r.deleted)]
    for kv in r.prev_kvs:
        simple += P.simple_kv(kv, False, c.is_hex)
    c.emit(simple, P.delete_obj(r), P.fields_del(r))


def _compaction(c: _Ctx, args):
    if len(args) != 1:
        raise _Exit("compaction command needs 1 argument")
    try:
        rev = _go_parse_int(args[0], 10)
    except _BadInt as e:
        raise _Exit(str(e)) from None
    c.store.compact(rev)
    c.out.append(f"compacted revision {rev}")


def _lease_id(arg):
    try:
        return _go_parse_int(arg, 16)
    except _BadInt as e:
        raise _Exit(f"bad lease ID arg ({e}), expecting ID in Hex") from None


def _lease_grant(c: _Ctx, args):
    if len(args) != 1:
        raise _Exit("lease grant command needs TTL argument")
    try:
        ttl = _go_parse_int(args[0], 10)
    except _BadInt as e:
        raise _Exit(f"bad TTL ({e})") from None
    try:
        r = c.store.lease_grant(ttl)
    except EtcdError as e:
        raise _Exit(f"failed to grant lease ({e})\n") from None
    c.emit([f"lease {r.id:016x} granted with TTL({r.ttl}s)"], P.grant_obj(r), P.fields_lease(r))


def _lease_revoke(c: _Ctx, args):
    if len(args) != 1:
        raise _Exit("lease revoke command needs 1 argument")
    lid = _lease_id(args[0])
    try:
        r = c.store.lease_revoke(lid)
    except EtcdError as e:
        raise _Exit(f"failed to revoke lease ({e})\n") from None
    c.emit([f"lease {lid:016x} revoked"], P.revoke_obj(r), P.fields_header(r.header))


def _lease_timetolive(c: _Ctx, args):
    if len(args) != 1:
        raise _Exit("lease timetolive command needs lease ID as argument")
    keys = c.f("keys")
    r = c.store.lease_timetolive(_lease_id(args[0]), keys=keys)
    if r.granted_ttl == 0 and r.ttl == -1:
        simple = [f"lease {r.id:016x} already expired"]
    else:
        txt = f"lease {r.id:016x} granted with TTL({r.granted_ttl}s), remaining({r.ttl}s)"
        if keys:
            txt += f", attached keys([{' '.join(r.keys)}])"
        simple = [txt]
    c.emit(simple, P.timetolive_obj(r), P.fields_timetolive(r))


def _lease_list(c: _Ctx, args):
    r = c.store.lease_leases()
    simple = [f"found {len(r.leases)} leases"] + [f"{lid:016x}" for lid in r.leases]
    c.emit(simple, P.leases_obj(r), P.fields_leases(r))


def _lease_keepalive(c: _Ctx, args):
    if len(args) != 1:
        raise _Exit("lease keep-alive command needs lease ID as argument")
    lid = _lease_id(args[0])
    if c.f("once"):
        r = c.store.lease_keepalive(lid)
        c.emit([f"lease {r.id:016x} keepalived with TTL({r.ttl})"], P.keepalive_obj(r),
               P.fields_lease(r))
        return
    # The streaming form prints one line per renewal until interrupted; show the first.
    try:
        r = c.store.lease_keepalive(lid)
    except EtcdError:
        c.out.append(f"lease {lid:016x} expired or revoked.")
        return
    c.emit([f"lease {r.id:016x} keepalived with TTL({r.ttl})"], P.keepalive_obj(r),
           P.fields_lease(r))


def _watch(c: _Ctx, args):
    if c.f("interactive"):
        raise _Exit("interactive watch is not available here")
    if not args or len(args) > 2:
        raise _Exit("bad or no arguments")
    key = args[0]
    end = args[1] if len(args) > 1 else None
    if c.f("prefix"):
        if end is not None:
            raise _Exit("unexpected range_end")
        end = prefix_end(key) if key else "\0"
        key = key or "\0"
    responses = []
    w = c.store.watch(key, end, start_revision=max(c.f("rev", 0), 0), prev_kv=c.f("prev-kv"),
                      callback=responses.append)
    w.cancel()
    for resp in responses:
        if resp.canceled:
            c.out.append("watch was canceled (etcdserver: mvcc: required revision has been "
                         "compacted)")
            raise _Exit("watch is canceled by the server")
        if c.fmt == "simple":
            for e in resp.events:
                c.out.append(e.type)
                if e.prev_kv is not None:
                    c.out.extend(P.simple_kv(e.prev_kv, False, c.is_hex))
                c.out.extend(P.simple_kv(e.kv, False, c.is_hex))
        elif c.fmt == "json":
            c.out.append(P.to_json(P.watch_obj(resp)))
        else:
            raise _Exit(f"{c.fmt} is not supported as output format")


def _version(c: _Ctx, args):
    c.out.extend([f"etcdctl version: {ETCDCTL_VERSION}", "API version: 3.5"])


_HANDLERS = {
    ("put",): _put, ("get",): _get, ("del",): _del, ("compaction",): _compaction,
    ("watch",): _watch, ("version",): _version,
    ("lease", "grant"): _lease_grant, ("lease", "revoke"): _lease_revoke,
    ("lease", "timetolive"): _lease_timetolive, ("lease", "list"): _lease_list,
    ("lease", "keep-alive"): _lease_keepalive,
}
