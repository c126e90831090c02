"""etcdctl txn: compares, success ops and failure ops read from stdin (txn_command.go).

Standard input holds three blocks, each ended by an empty line::

    mod("key1") > "0"

    put key1 "overwrote-key1"

    put key1 "created-key1"
    put key2 "some extra key"

"""

from __future__ import annotations

import codecs
import json
import re

from . import etcdctl_kv as kv
from . import etcdctl_print as P
from .etcdctl_print import go_quote
from .etcdctl_args import BadInt, Ctx, Exit, FlagError, go_parse_int, parse
from .etcdctl_help import cobra_usage_lines
from .txn import Compare
from .types import DeleteRangeResponse, PutResponse, RangeResponse

TXN_FLAGS = {"interactive": "bool"}

_ARG_RE = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|[^\'"\s]\S*[^\'"\s]?')
_QUOTED = r'"(?:[^"\\]|\\.)*"|`[^`]*`'
_KEY_RE = re.compile(rf"\s*({_QUOTED})\)")
_OP_VAL_RE = re.compile(rf"\s*(\S+)(?:\s+({_QUOTED}))?")
_TARGETS = {"ver": "version", "version": "version", "c": "create", "create": "create",
            "m": "mod", "mod": "mod", "val": "value", "value": "value", "lease": "lease"}


def _unquote(q: str) -> str:
    """Go's %q scan of a "double-quoted" or `raw` string."""
    if q.startswith("`"):
        return q[1:-1]
    try:
        return json.loads(q)
    except ValueError:
        return codecs.decode(q[1:-1], "unicode_escape")


def argify(line: str) -> list[str]:
    """etcdctl's Argify, including its single-quote slicing (``[1:len(args)-1]``)."""
    args = _ARG_RE.findall(line)
    n = len(args)
    for i, a in enumerate(args):
        if a.startswith("'"):
            if n - 1 < 1 or n - 1 > len(a):
                raise Exit(f"panic: runtime error: slice bounds out of range [:{n - 1}] "
                           f"with length {len(a)}")
            args[i] = a[1:n - 1]
        elif a.startswith('"'):
            args[i] = _unquote(a)
    return args


def parse_compare(line: str) -> Compare:
    """ParseCompare: ``target("key") op "value"`` (scanned as Go's ``%q) %s %q``)."""
    target, paren, rest = line.partition("(")
    if not paren:
        raise Exit(f"malformed comparison: {line}")
    key = op = val = ""
    ok = False
    m = _KEY_RE.match(rest)
    if m:
        key = _unquote(m.group(1))
        m2 = _OP_VAL_RE.match(rest, m.end())
        if m2:
            op = m2.group(1)
            if m2.group(2) is not None:
                val, ok = _unquote(m2.group(2)), True
    if not ok:
        raise Exit(f"malformed comparison: {line}; got {target}({go_quote(key)}) {op} "
                   f"{go_quote(val)}")
    name = _TARGETS.get(target)
    if name is None:
        raise Exit(f"malformed comparison: {line} (unknown target {target})")
    if op not in ("=", "!=", "<", ">"):
        raise Exit("panic: Unknown result op")   # clientv3.Compare panics
    operand = val
    if name != "value":
        try:
            operand = go_parse_int(val, 16 if name == "lease" else 10)
        except BadInt:
            raise Exit(f"invalid txn compare request: {line}") from None
    return Compare(key, name, op, operand)


def parse_op(line: str):
    """parseRequestUnion: a put / get / del line, with that command's flags."""
    args = argify(line)
    if len(args) < 2:
        raise Exit(f"invalid txn compare request: {line}")
    specs = {"put": kv.PUT_FLAGS, "get": kv.GET_FLAGS, "del": kv.DEL_FLAGS}
    spec = specs.get(args[0])
    if spec is None:
        raise Exit(f"invalid txn request: {line}")
    spec = dict(spec, help="bool")
    try:
        flags, pos = parse(args[1:], spec, {"h": "help"})
    except FlagError:
        # the fresh cobra command prints its (default-template) usage; errors are silenced
        raise Exit(f"invalid txn request: {line}", cobra_usage_lines(args[0])) from None

    def f(name, default=False):
        return flags.get(name, default)

    if args[0] == "put":
        return kv.put_op(f, pos, "")
    if args[0] == "get":
        return kv.get_op(f, pos)
    return kv.del_op(f, pos)


class _Lines:
    """bufio.Reader.ReadString('\\n') over the given stdin: EOF before a newline is an error."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def read(self) -> str:
        nl = self.text.find("\n", self.pos)
        if nl < 0:
            raise Exit("EOF")
        line = self.text[self.pos:nl]
        self.pos = nl + 1
        return line.strip()


def txn(c: Ctx, args):
    if args:
        raise Exit("txn command does not accept argument")
    interactive = c.f("interactive")
    lines = _Lines(c.stdin)
    if interactive:
        c.out.append("compares:")
    compares = []
    while line := lines.read():
        compares.append(parse_compare(line))
    blocks = []
    for prompt in ("success requests (get, put, del):", "failure requests (get, put, del):"):
        if interactive:
            c.out.append(prompt)
        ops = []
        while line := lines.read():
            ops.append(parse_op(line))
        blocks.append(ops)
    r = c.store.txn(compares, blocks[0], blocks[1])
    _print_txn(c, r)


def _print_txn(c: Ctx, r):
    if c.fmt == "simple":
        c.out.append("SUCCESS" if r.succeeded else "FAILURE")
        for sub in r.responses:
            c.out.append("")
            if isinstance(sub, PutResponse):
                kv.print_put(c, sub)
            elif isinstance(sub, RangeResponse):
                kv.print_get(c, sub)
            else:
                kv.print_del(c, sub)
    elif c.fmt == "json":
        c.out.append(P.to_json(P.txn_obj(r)))
    elif c.fmt == "fields":
        c.out.extend(P.fields_header(r.header))
        c.out.append(f'"Succeeded" : {"true" if r.succeeded else "false"}')
        for sub in r.responses:
            if isinstance(sub, PutResponse):
                c.out.extend(P.fields_put(sub))
            elif isinstance(sub, RangeResponse):
                c.out.extend(P.fields_get(sub))
            elif isinstance(sub, DeleteRangeResponse):
                c.out.extend(P.fields_del(sub))
    else:
        raise Exit(f"{c.fmt} not supported as output format")

