"""ash's builtins: commands that run inside the shell itself (``shell/ash.c`` ``builtintab``).

``: true false cd pwd export unset set exit trap wait kill eval exec shift break continue .``
plus the NOFORK applets ash runs in-process: ``echo printf test [``.

Messages follow ``ash_msg_and_raise_error`` (``sh: exit: line 1: Illegal number: x``); an error
in a *special* builtin (``exit``, ``trap``, ``export``, ``shift``...) ends a non-interactive shell
with status 2, an error in ``cd`` only sets ``$?`` to 2 (``evalcommand`` / ``evalbltin``).
"""

from __future__ import annotations

import posixpath
from typing import Any, Generator

from ..process import SIGHUP, SIGINT, SIGKILL, SIGQUIT, SIGTERM, Wait
from .interp import IO, LoopCtl, Shell, ShellExit, run_inline

Gen = Generator[Any, Any, Any]

#: signal names ash's ``trap``/``kill`` accept (signal(7) numbers on x86-64)
SIGNALS = {"EXIT": 0, "HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "KILL": SIGKILL, "USR1": 10,
           "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": SIGTERM, "CHLD": 17, "WINCH": 28}
_NAMES = {v: k for k, v in SIGNALS.items()}


def signal_number(spec: str) -> int | None:
    """``TERM``, ``SIGTERM``, ``term`` or ``15`` -> 15; None when unknown."""
    if spec.isdigit():
        return int(spec) if int(spec) in _NAMES else None
    name = spec.upper()
    name = name[3:] if name.startswith("SIG") else name
    return SIGNALS.get(name)


def _fatal(sh: Shell, msg: str, io: IO) -> None:
    sh.error(msg, io)
    raise ShellExit(2)


def _number(sh: Shell, text: str, io: IO) -> int:
    if not text.isdigit():
        _fatal(sh, f"Illegal number: {text}", io)     # shell/ash.c msg_illnum
    return int(text)


def b_colon(sh: Shell, argv: list[str], io: IO) -> Gen:
    return 0
    yield


def b_false(sh: Shell, argv: list[str], io: IO) -> Gen:
    return 1
    yield


def b_exit(sh: Shell, argv: list[str], io: IO) -> Gen:
    code = _number(sh, argv[1], io) if len(argv) > 1 else sh.status
    raise ShellExit(code & 0xFF)
    yield


def b_cd(sh: Shell, argv: list[str], io: IO) -> Gen:
    args = [a for a in argv[1:] if a not in ("-L", "-P")]
    dest = args[0] if args else (sh.getvar("HOME") or "/")
    if dest == "-":
        dest = sh.getvar("OLDPWD") or sh.cwd
    path = posixpath.normpath(posixpath.join(sh.cwd, dest))
    if not sh.fs.isdir(path):
        why = "Not a directory" if sh.fs.exists(path) else "No such file or directory"
        sh.error(f"can't cd to {dest}: {why}", io)
        return 2
    sh.vars["OLDPWD"], sh.cwd = sh.cwd, path
    sh.vars["PWD"] = path
    return 0
    yield


def b_pwd(sh: Shell, argv: list[str], io: IO) -> Gen:
    io.out.write(sh.cwd + "\n")
    return 0
    yield


def b_export(sh: Shell, argv: list[str], io: IO) -> Gen:
    if len(argv) == 1 or argv[1] == "-p":
        for name in sorted(sh.exported):
            if name in sh.vars:
                io.out.write(f"export {name}={_quote(sh.vars[name])}\n")
        return 0
    for arg in argv[1:]:
        name, eq, value = arg.partition("=")
        if eq:
            sh.vars[name] = value
        sh.exported.add(name)
    return 0
    yield


def b_unset(sh: Shell, argv: list[str], io: IO) -> Gen:
    for name in argv[1:]:
        if name in ("-v", "-f"):
            continue
        sh.vars.pop(name, None)
        sh.exported.discard(name)
    return 0
    yield


def b_set(sh: Shell, argv: list[str], io: IO) -> Gen:
    args = argv[1:]
    if not args:
        for name in sorted(sh.vars):
            io.out.write(f"{name}={_quote(sh.vars[name])}\n")
        return 0
    while args and args[0][:1] in "-+" and args[0] not in ("-", "--"):
        opt = args.pop(0)
        if opt in ("-o", "+o"):
            name = args.pop(0) if args else ""
            if name == "errexit":
                sh.errexit = opt == "-o"
            continue
        if "e" in opt:
            sh.errexit = opt[0] == "-"
    if args and args[0] in ("-", "--"):
        args.pop(0)
        sh.params = args
    elif args:
        sh.params = args
    return 0
    yield


def b_shift(sh: Shell, argv: list[str], io: IO) -> Gen:
    n = _number(sh, argv[1], io) if len(argv) > 1 else 1
    if n > len(sh.params):
        _fatal(sh, "can't shift that many", io)
    sh.params = sh.params[n:]
    return 0
    yield


def b_break(sh: Shell, argv: list[str], io: IO) -> Gen:
    """``break``/``continue [N]`` (ash ``breakcmd``): N <= 0 is an illegal number; N is capped
    at the loop nesting, and outside any loop the command does nothing (status 0)."""
    n = _number(sh, argv[1], io) if len(argv) > 1 else 1
    if n <= 0:
        _fatal(sh, f"Illegal number: {argv[1]}", io)
    n = min(n, sh.loopnest)
    if n > 0:
        raise LoopCtl(argv[0], n)
    return 0
    yield


def b_eval(sh: Shell, argv: list[str], io: IO) -> Gen:
    sh.cmdname = None
    return (yield from sh.run_source(" ".join(argv[1:]), io))


def b_source(sh: Shell, argv: list[str], io: IO) -> Gen:
    if len(argv) < 2:
        return 0
    path = posixpath.join(sh.cwd, argv[1])
    if not sh.fs.isfile(path):
        _fatal(sh, f"can't open '{argv[1]}': No such file or directory", io)
    sh.cmdname = None
    return (yield from sh.run_source(sh.fs.read(path), io))


def b_exec(sh: Shell, argv: list[str], io: IO) -> Gen:
    if len(argv) == 1:          # `exec >file`: the redirections stay for the rest of the shell
        sh.io = io
        return 0
    sh.cmdname = None
    raise ShellExit((yield from sh.external(argv[1:], {}, io)))


def b_trap(sh: Shell, argv: list[str], io: IO) -> Gen:
    args = argv[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args or args[0] == "-p":
        for sig in sorted(sh.traps):
            io.out.write(f"trap -- {_quote(sh.traps[sig])} {_NAMES[sig]}\n")
        return 0
    action, sigs = (None, args) if len(args) == 1 or args[0].isdigit() else (args[0], args[1:])
    for spec in sigs:
        sig = signal_number(spec)
        if sig is None:
            _fatal(sh, f"{spec}: bad trap", io)
        if action is None or action == "-":
            sh.traps.pop(sig, None)
            sh.proc.on_signal.pop(sig, None)
            continue
        sh.traps[sig] = action
        if sig not in (0, SIGKILL):
            sh.proc.on_signal[sig] = sh.on_signal
    return 0
    yield


def b_wait(sh: Shell, argv: list[str], io: IO) -> Gen:
    wanted = [a for a in argv[1:]]
    targets = sh.jobs if not wanted else [(p, c) for p, c in sh.jobs if str(p) in wanted]
    status = 0 if not wanted or targets else 127
    for pid, child in list(targets):
        while child.exit_code is None:
            yield Wait(child)
            trapped = [s for s in sh.pending if sh.traps.get(s)]
            if child.exit_code is None and trapped:
                # POSIX 2.11: a trapped signal makes `wait` return at once with 128+sig
                return 128 + trapped[0]
        status = child.exit_code
        sh.jobs = [(p, c) for p, c in sh.jobs if c is not child]
    return status


def b_kill(sh: Shell, argv: list[str], io: IO) -> Gen:
    args = argv[1:]
    sig = SIGTERM
    if args and args[0] == "-l":
        io.out.write(" ".join(_NAMES[n] for n in sorted(_NAMES) if n) + "\n")
        return 0
    if args and args[0] == "-s" and len(args) > 1:
        spec, args = args[1], args[2:]
        sig = signal_number(spec)
        if sig is None:
            _bb(sh, io, f"bad signal name '{spec}'")
            return 1
    elif args and args[0].startswith("-") and len(args[0]) > 1:
        spec, args = args[0][1:], args[1:]
        sig = signal_number(spec)
        if sig is None:
            _bb(sh, io, f"bad signal name '{spec}'")
            return 1
    if not args:
        _bb(sh, io, "you need to specify whom to kill")
        return 1
    status = 0
    for target in args:
        if target.startswith("%") and target[1:].isdigit() and 0 < int(target[1:]) <= len(sh.jobs):
            target = str(sh.jobs[int(target[1:]) - 1][0])
        if not target.lstrip("-").isdigit():
            _bb(sh, io, f"invalid number '{target}'")
            status = 1
            continue
        pid = int(target)
        child = next((c for p, c in sh.jobs if p == pid), None)
        if child is not None:
            child.signal(sig)
        elif pid == sh.pid:
            _signal_self(sh, sig)
        else:
            _bb(sh, io, f"can't kill pid {pid}: No such process")
            status = 1
    return status
    yield


def _bb(sh: Shell, io: IO, msg: str) -> None:
    """A libbb message from a NOFORK applet run by ash: ``applet_name`` is the shell's."""
    io.err.write(f"{posixpath.basename(sh.arg0)}: {msg}\n")


def _signal_self(sh: Shell, sig: int) -> None:
    if sig in sh.traps:
        sh.pending.append(sig)
    elif sig == SIGKILL or sh.pid != 1:      # PID 1 drops signals it has no handler for
        raise ShellExit(128 + sig)


def _applet(name: str):
    def run(sh: Shell, argv: list[str], io: IO) -> Gen:
        from . import PROGRAMS
        proc = sh.proc.child(argv, env=sh.environ(), stdin=io.stdin, stdout=io.out, stderr=io.err,
                             cwd=sh.cwd, fs=sh.fs)
        proc.applet_name = posixpath.basename(sh.arg0)
        return (yield from run_inline(PROGRAMS[name], proc))
    return run


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


BUILTINS = {
    ":": b_colon, "true": b_colon, "false": b_false, "exit": b_exit, "cd": b_cd, "pwd": b_pwd,
    "export": b_export, "unset": b_unset, "set": b_set, "shift": b_shift, "break": b_break,
    "continue": b_break, "eval": b_eval, ".": b_source, "source": b_source, "exec": b_exec,
    "trap": b_trap, "wait": b_wait, "kill": b_kill, "echo": _applet("echo"),
    "printf": _applet("printf"), "test": _applet("test"), "[": _applet("["),
}
