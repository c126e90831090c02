"""Helpers shared by the applets: libbb's message prefix and file access relative to ``cwd``."""

from __future__ import annotations

import posixpath
from typing import Any

from ...fs import FileSystem


def applet(proc: Any) -> str:
    """libbb ``applet_name``: the shell's name when ash runs the applet as a builtin."""
    return getattr(proc, "applet_name", None) or posixpath.basename(proc.argv[0] if proc.argv else "busybox")


def err(proc: Any, msg: str) -> None:
    """``bb_error_msg``: ``<applet>: <msg>`` on stderr."""
    proc.stderr.write(f"{applet(proc)}: {msg}\n")


def fs(proc: Any) -> FileSystem:
    if proc.fs is None:
        proc.fs = FileSystem(clock=proc.clock)
    return proc.fs


def path(proc: Any, name: str) -> str:
    return posixpath.normpath(posixpath.join(proc.cwd or "/", name))


def read_input(proc: Any, name: str) -> str:
    """Contents of ``name`` (``-`` is stdin); raises FSError."""
    if name == "-":
        return proc.stdin
    p = path(proc, name)
    if p in ("/dev/null", "/dev/zero"):
        return ""
    return fs(proc).read(p)


#: The longest text one command builds in memory (a printf field, seq's output, a shell
#: variable). A model limit, not an upstream number: beyond it the command fails as a real one
#: does when malloc fails (libbb ``bb_die_memory_exhausted``: ``<applet>: out of memory``), so
#: ``seq 100000000`` or ``x=$x$x`` in a loop cannot exhaust the simulator's own memory.
MAX_TEXT = 16 * 1024 * 1024
OUT_OF_MEMORY = "out of memory"           # libbb/messages.c bb_msg_memory_exhausted


class BadOption(ValueError):
    """An option letter the applet does not know (``getopt32`` then shows the usage, exit 1)."""


def bad_option(proc: Any, letter: str) -> int:
    """glibc ``getopt``'s message for an unknown short option, as busybox images print it
    (``posix/getopt.c``: ``%s: invalid option -- '%c'``); busybox's usage text that follows
    (``libbb/appletlib.c`` ``bb_show_usage``) is not modelled. Exit status 1 (``xfunc_error_retval``)."""
    err(proc, f"invalid option -- '{letter}'")
    return 1


def split_opts(args: list[str], letters: str, with_value: str = "") -> tuple[dict[str, Any], list[str]]:
    """getopt32-style parsing: ``-nv``, ``-n 5``, ``-n5``; stops at ``--`` or the first operand.

    An unknown letter raises :class:`BadOption` (every applet in ``PROGRAMS`` is guarded, see
    :func:`k8score.container.shell.applets.guard`)."""
    opts: dict[str, Any] = {}
    rest = list(args)
    while rest and rest[0].startswith("-") and rest[0] != "-":
        a = rest.pop(0)
        if a == "--":
            break
        k = 1
        while k < len(a):
            ch = a[k]
            if ch in with_value:
                value = a[k + 1:] or (rest.pop(0) if rest else "")
                opts[ch] = value
                break
            if ch not in letters:
                raise BadOption(ch)
            opts[ch] = True
            k += 1
    return opts, rest
