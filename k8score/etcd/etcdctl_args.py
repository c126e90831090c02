"""etcdctl's command line: spf13/pflag flag parsing, Go number parsing, cobra's suggestions.

The messages are the ones pflag/cobra/strconv print, so a mistyped command line
gets the same ``Error: ...`` line a real etcdctl shows.
"""

from __future__ import annotations

import shlex
from typing import Callable

from . import etcdctl_print as P
from ..cobra import suggestions
from .types import EtcdError

# etcdctl/ctlv3/ctl.go global flags: name -> type ("bool" | "str" | "int"); shorthands.
GLOBAL = {
    "endpoints": "str", "debug": "bool", "write-out": "str", "hex": "bool",
    "dial-timeout": "str", "command-timeout": "str", "keepalive-time": "str",
    "keepalive-timeout": "str", "insecure-transport": "bool", "insecure-discovery": "bool",
    "insecure-skip-tls-verify": "bool", "cert": "str", "key": "str", "cacert": "str",
    "user": "str", "password": "str", "discovery-srv": "str", "discovery-srv-name": "str",
    "help": "bool",
}
SHORT = {"w": "write-out", "h": "help", "d": "discovery-srv"}


class Exit(Exception):
    """etcdctl's ExitWithError: prints ``Error: <msg>`` and stops.

    ``before`` holds lines printed ahead of the error (a usage text, say).
    """

    def __init__(self, msg: str, before: list[str] | None = None):
        super().__init__(msg)
        self.before = before or []


class FlagError(Exit):
    """A command line cobra/pflag rejects: cobra prints the usage too."""


def run_command_line(prog: str, command_line: str, main: Callable[[list[str], list[str]], None]) -> str:
    """The shell around etcdctl and etcdutl: split ``command_line`` as a shell would, drop a
    leading ``prog``, run ``main(args, out)`` and return what it printed, one line each.
    Never raises for a bad command: :class:`Exit` (and an etcd error) end the output with
    the ``Error: ...`` line both tools print (ExitWithError)."""
    out: list[str] = []
    try:
        args = shlex.split(command_line)
    except ValueError as e:
        return f"Error: {e}"
    if args and args[0] == prog:
        args = args[1:]
    try:
        main(args, out)
    except Exit as e:
        out += e.before + [f"Error: {e}"]
    except EtcdError as e:
        out.append(f"Error: {e}")
    return "\n".join(out)


def suggest(typed: str, names) -> str:
    """cobra's "Did you mean this?" over etcdctl's command names."""
    return suggestions(typed, sorted(set(names)))


# -- flag parsing (spf13/pflag semantics) ------------------------------------------
def find_command(args):
    """The first two positional words (a command and maybe a subcommand)."""
    words = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            break
        if a.startswith("--"):
            name, eq, _ = a[2:].partition("=")
            if not eq and GLOBAL.get(name) == "str":
                i += 1
        elif a.startswith("-") and len(a) > 1:
            if a[1] in SHORT and GLOBAL[SHORT[a[1]]] == "str" and len(a) == 2:
                i += 1
        else:
            words.append(a)
            if len(words) == 2:
                break
        i += 1
    return tuple(words)


def parse(args, spec, shorts):
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
                raise FlagError(f"unknown flag: --{name}")
            label = f"--{name}"
            short = next((s for s, n in shorts.items() if n == name), None)
            if short:
                label = f"-{short}, --{name}"
            if kind == "bool":
                flags[name] = _parse_bool(val, label) if eq else True
            else:
                if not eq:
                    if i + 1 >= len(args):
                        raise FlagError(f"flag needs an argument: --{name}")
                    i += 1
                    val = args[i]
                flags[name] = _convert(val, kind, label)
        elif a.startswith("-") and len(a) > 1:
            c = a[1]
            name = shorts.get(c)
            if name is None:
                raise FlagError(f"unknown shorthand flag: {c!r} in {a}")
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
                        raise FlagError(f"flag needs an argument: {c!r} in -{c}")
                    i += 1
                    rest = args[i]
                flags[name] = _convert(rest, kind, label)
        else:
            pos.append(a)
        i += 1
    return flags, pos


def int_arg(text: str, base: int, message: str = "{}") -> int:
    """``text`` parsed as Go's strconv.ParseInt(text, base, 64) does; a bad one ends the
    command with ``message``, its ``{}`` the strconv error (each command words its own)."""
    try:
        return go_parse_int(text, base)
    except BadInt as e:
        raise Exit(message.format(e)) from None


def _parse_bool(val, label):
    if val in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if val in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise FlagError(f'invalid argument "{val}" for "{label}" flag: '
                f'strconv.ParseBool: parsing "{val}": invalid syntax')


def _convert(val, kind, label):
    if kind != "int":
        return val
    try:
        return go_parse_int(val, 0)
    except BadInt as e:
        raise FlagError(f'invalid argument "{val}" for "{label}" flag: {e}') from None


class BadInt(Exception):
    pass


def go_parse_int(s: str, base: int) -> int:
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
        raise BadInt(f'strconv.ParseInt: parsing "{s}": invalid syntax') from None
    if s.startswith("-"):
        v = -v
    if not -(1 << 63) <= v < (1 << 63):
        raise BadInt(f'strconv.ParseInt: parsing "{s}": value out of range')
    return v


class Ctx:
    """One command run: the store, parsed flags, output format, stdin and the output lines."""

    __slots__ = ("store", "flags", "fmt", "out", "is_hex", "stdin", "cluster")

    def __init__(self, store, flags, fmt, out, stdin="", cluster=None):
        self.store = store
        self.cluster = cluster if cluster is not None else getattr(store, "cluster", None)
        self.stdin = stdin
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
            raise Exit(f"{self.fmt} not supported as output format")
