"""The interpreter: runs the syntax tree of :mod:`.parser` as a generator on the virtual clock.

Contract (what a container observes):

- every simple command costs :data:`COMMAND_COST` (1 ms) of virtual time before it runs, so a
  busy loop (``while true; do :; done``) advances the clock and can be killed;
- shell builtins (:mod:`.builtins`: ``cd export exit trap wait kill echo printf test [ ...``) run
  inside the shell; other commands run as child processes through ``proc.spawn(argv, proc)``
  when the runtime set it (a ``sleep 3600`` is then a real child the shell waits for), else
  in-process from :data:`k8score.container.shell.PROGRAMS`. ``spawn`` returning ``None`` (or
  raising ``LookupError``/``FileNotFoundError``) means "no such executable": ``sh: foo: not
  found``, status 127 (``shell/ash.c`` ``shellexec``);
- pipelines run their stages one after the other, each stage's stdout being the next one's
  stdin; ``cmd &`` runs ``sh -c '<cmd>'`` as a child (synchronously when there is no spawn);
- ``trap`` installs ``proc.on_signal`` handlers that only *record* the signal; the action runs
  after the current foreground command finishes, as in ash (a trap does not interrupt a
  foreground ``sleep``, but it does interrupt the ``wait`` builtin, POSIX 2.11).
"""

from __future__ import annotations

import posixpath
from typing import Any, Generator

from ..fs import FileSystem
from ..process import ExitProcess, Sleep, Stream, Wait
from .expand import ExpandError, expand_pattern, expand_str, expand_words
from .applets.common import MAX_TEXT, OUT_OF_MEMORY
from .lexer import MAX_NESTING, NESTING_MESSAGE, NestingErr, SyntaxErr
from .parser import AndOr, Case, CmdList, For, Group, If, Loop, Parser, Pipeline, Simple

Gen = Generator[Any, Any, Any]

#: virtual seconds each simple command costs (a model constant, not an upstream number).
COMMAND_COST = 0.001


class ShellExit(Exception):
    """``exit N`` (or a fatal error): unwinds to the top of this shell (or subshell)."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


class LoopCtl(Exception):
    def __init__(self, kind: str, levels: int):
        super().__init__(kind)
        self.kind, self.levels = kind, levels


class IO:
    """A command's standard streams: ``stdin`` is text, ``out``/``err`` are :class:`Stream`."""

    __slots__ = ("stdin", "out", "err")

    def __init__(self, stdin: str, out: Stream, err: Stream):
        self.stdin, self.out, self.err = stdin, out, err


class Shell:
    def __init__(self, proc: Any, arg0: str, params: list[str], *, parent: "Shell | None" = None):
        self.proc = proc
        self.arg0 = arg0
        self.params = list(params)
        if parent is not None:
            self.vars = dict(parent.vars)
            self.exported = set(parent.exported)
            self.fs, self.cwd, self.status = parent.fs, parent.cwd, parent.status
            self.traps = {s: a for s, a in parent.traps.items() if a == ""}  # ignored stay ignored
            self.jobs, self.pid, self.last_bg = [], parent.pid, parent.last_bg
            self.errexit = parent.errexit
            self.loopnest = parent.loopnest
            self.depth = parent.depth + 1
        else:
            self.vars = dict(proc.env)
            self.exported = set(proc.env)
            self.fs = proc.fs if proc.fs is not None else FileSystem(clock=proc.clock)
            self.cwd = proc.cwd or "/"
            self.status = 0
            self.traps: dict[int, str] = {}
            self.jobs: list[tuple[int, Any]] = []
            self.pid = getattr(proc, "pid", None) or 1
            self.last_bg: int | None = None
            self.errexit = False
            self.loopnest = 0              # ash's loopnest: how many loops enclose the command
            self.depth = 0                 # nested sources/subshells on this generator stack
            self.vars.setdefault("IFS", " \t\n")
            self.vars.setdefault("PWD", self.cwd)
        self.is_sub = parent is not None
        self.script_mode = parent.script_mode if parent is not None else False
        self.last_subst = None
        self.pending: list[int] = []
        self.lineno = 1
        self.cmdname: str | None = None      # ash's commandname: set while a builtin runs
        self.io = IO(proc.stdin, proc.stdout, proc.stderr)
        self._next_pid = self.pid + 10

    # -- variables --------------------------------------------------------------------
    def getvar(self, name: str) -> str | None:
        if name.isdigit():
            return self.special(name)
        return self.vars.get(name)

    def setvar(self, name: str, value: str) -> None:
        if len(value) > MAX_TEXT:               # x=$x$x in a loop: ash's ckmalloc fails
            self.error(OUT_OF_MEMORY)
            raise ShellExit(2)
        self.vars[name] = value

    def special(self, ch: str) -> str | None:
        if ch == "?":
            return str(self.status)
        if ch == "$":
            return str(self.pid)
        if ch == "!":
            return "" if self.last_bg is None else str(self.last_bg)
        if ch == "#":
            return str(len(self.params))
        if ch in "*@":
            return " ".join(self.params)
        if ch == "-":
            return "e" if self.errexit else ""
        if ch == "0":
            return self.arg0
        k = int(ch)
        return self.params[k - 1] if 0 < k <= len(self.params) else None

    def environ(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in self.vars.items() if k in self.exported}
        env.update(extra or {})
        return env

    # -- messages (shell/ash.c ash_vmsg) -----------------------------------------------
    def error(self, msg: str, io: IO | None = None) -> None:
        prefix = f"{self.arg0}: "
        name = self.cmdname or (self.arg0 if self.script_mode else None)
        if name:
            if name != self.arg0:
                prefix += f"{name}: "
            prefix += f"line {self.lineno}: "
        (io or self.io).err.write(prefix + msg + "\n")

    # -- running ------------------------------------------------------------------------
    def run_source(self, src: str, io: IO | None = None) -> Gen:
        """Parse and run ``src`` line by line; returns the last status (ShellExit propagates)."""
        io = io or self.io
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                raise NestingErr()
            for cmd in Parser(src, MAX_NESTING - self.depth).commands():
                yield from self.run_list(cmd, io)
        except SyntaxErr as e:
            self.error(f"syntax error: {e}", io)
            raise ShellExit(2) from None
        except NestingErr:
            self.error(NESTING_MESSAGE, io)
            raise ShellExit(2) from None
        finally:
            self.depth -= 1
        return self.status

    def run_list(self, node: CmdList, io: IO) -> Gen:
        for ao, bg in node.items:
            if bg:
                yield from self._background(ao, io)
            else:
                yield from self._and_or(ao, io)
        return self.status

    def _and_or(self, node: AndOr, io: IO, cond: bool = False) -> Gen:
        status = yield from self._pipeline(node.first, io, cond or bool(node.rest))
        for k, (op, pl) in enumerate(node.rest):
            if (op == "&&") == (status == 0):
                last = k == len(node.rest) - 1
                status = yield from self._pipeline(pl, io, cond or not last)
        self.status = status
        return status

    def _pipeline(self, node: Pipeline, io: IO, cond: bool) -> Gen:
        if len(node.cmds) == 1:
            status = yield from self._command(node.cmds[0], io)
        else:
            data = io.stdin
            for k, cmd in enumerate(node.cmds):
                last = k == len(node.cmds) - 1
                out = io.out if last else Stream()
                sub = self.subshell()
                status = yield from sub.run_sub(lambda s, c=cmd, o=out, d=data: s._command(c, IO(d, o, io.err)))
                data = "" if last else out.getvalue()
        if node.negate:
            status = int(status == 0)
        self.status = status
        yield from self.run_traps()
        self.status = status
        if status and self.errexit and not cond and not node.negate:
            raise ShellExit(status)
        return status

    def _command(self, node: Any, io: IO) -> Gen:
        if isinstance(node, Simple):
            return (yield from self._simple(node, io))
        try:
            io = yield from self.redirect(getattr(node, "redirs", []), io)
        except _RedirError:
            self.status = 1
            return 1
        if isinstance(node, If):
            for cond, body in node.branches:
                if (yield from self._cond(cond, io)) == 0:
                    return (yield from self.run_list(body, io))
            if node.otherwise is not None:
                return (yield from self.run_list(node.otherwise, io))
            self.status = 0
            return 0
        if isinstance(node, Loop):
            return (yield from self._loop(node, io))
        if isinstance(node, For):
            return (yield from self._for(node, io))
        if isinstance(node, Case):
            return (yield from self._case(node, io))
        if isinstance(node, Group):
            if node.subshell:
                sub = self.subshell()
                status = yield from sub.run_sub(lambda s: s.run_list(node.body, io))
                self.status = status
                return status
            return (yield from self.run_list(node.body, io))
        raise TypeError(node)

    def _cond(self, node: CmdList, io: IO) -> Gen:
        for k, (ao, bg) in enumerate(node.items):
            if bg:
                yield from self._background(ao, io)
            else:
                yield from self._and_or(ao, io, cond=k == len(node.items) - 1)
        return self.status

    def _loop(self, node: Loop, io: IO) -> Gen:
        self.loopnest += 1
        try:
            return (yield from self._loop_body(node, io))
        finally:
            self.loopnest -= 1

    def _loop_body(self, node: Loop, io: IO) -> Gen:
        status = 0
        while True:
            try:                 # ash: a break in the condition list ends the loop too
                c = yield from self._cond(node.cond, io)
                if (c == 0) == node.until:
                    break
                status = yield from self.run_list(node.body, io)
            except LoopCtl as ctl:
                if ctl.levels > 1:
                    ctl.levels -= 1
                    raise
                if ctl.kind == "break":
                    break
        self.status = status
        return status

    def _for(self, node: For, io: IO) -> Gen:
        items = (yield from expand_words(self, node.words)) if node.words is not None else list(self.params)
        self.loopnest += 1
        try:
            return (yield from self._for_body(node, items, io))
        finally:
            self.loopnest -= 1

    def _for_body(self, node: For, items: list[str], io: IO) -> Gen:
        status = 0
        for item in items:
            self.setvar(node.var, item)
            try:
                status = yield from self.run_list(node.body, io)
            except LoopCtl as ctl:
                if ctl.levels > 1:
                    ctl.levels -= 1
                    raise
                if ctl.kind == "break":
                    break
        self.status = status
        return status

    def _case(self, node: Case, io: IO) -> Gen:
        import fnmatch
        word = yield from expand_str(self, node.word)
        for pats, body in node.items:
            for raw in pats:
                pat = yield from expand_pattern(self, raw)
                if fnmatch.fnmatchcase(word, pat):
                    if body is None:
                        self.status = 0
                        return 0
                    return (yield from self.run_list(body, io))
        self.status = 0
        return 0

    # -- simple commands --------------------------------------------------------------
    def _simple(self, node: Simple, io: IO) -> Gen:
        from .builtins import BUILTINS
        yield Sleep(COMMAND_COST)
        self.lineno = node.line
        self.last_subst: int | None = None
        try:
            argv = yield from expand_words(self, node.words)
            assigns = []
            for a in node.assigns:
                name, _, raw = a.partition("=")
                assigns.append((name, (yield from expand_str(self, raw))))
        except ExpandError as e:
            self.error(str(e), io)
            raise ShellExit(2) from None
        try:
            rio = yield from self.redirect(node.redirs, io)
        except _RedirError:
            self.status = 1
            return 1
        if not argv:
            for name, value in assigns:
                self.setvar(name, value)
            # a bare assignment's status is that of its last command substitution
            self.status = self.last_subst or 0
            return self.status
        builtin = BUILTINS.get(argv[0])
        if builtin is not None:
            self.cmdname = argv[0]
            try:
                status = yield from builtin(self, argv, rio)
            finally:
                self.cmdname = None
        else:
            status = yield from self.external(argv, {n: v for n, v in assigns}, rio)
        self.status = status
        return status

    def external(self, argv: list[str], env: dict[str, str], io: IO) -> Gen:
        """Run a program (spawned child, or in-process applet); returns its exit status."""
        child_proc = self.proc.child(argv, env=self.environ(env), stdin=io.stdin, stdout=io.out,
                                     stderr=io.err, cwd=self.cwd, fs=self.fs)
        child = self.spawn(argv, child_proc)
        if child is _NOT_FOUND:
            self.error(f"{argv[0]}: not found", io)
            return 127
        if child is not None:
            while child.exit_code is None:
                yield Wait(child)
            return child.exit_code
        from . import PROGRAMS
        prog = PROGRAMS.get(posixpath.basename(argv[0]))
        if prog is None or (argv[0].startswith("/") and not _on_path(argv[0])):
            self.error(f"{argv[0]}: not found", io)
            return 127
        return (yield from run_inline(prog, child_proc))

    def spawn(self, argv: list[str], child_proc: Any) -> Any:
        """A started child :class:`Process`, ``None`` when there is no ``proc.spawn``, or
        ``_NOT_FOUND``."""
        if self.proc.spawn is None:
            return None
        try:
            child = self.proc.spawn(argv, child_proc)
        except (LookupError, FileNotFoundError):
            child = None
        return _NOT_FOUND if child is None else child

    def _background(self, node: AndOr, io: IO) -> Gen:
        argv = [self.arg0, "-c", node.src]
        child_proc = self.proc.child(argv, env=self.environ(), stdin="", stdout=io.out, stderr=io.err,
                                     cwd=self.cwd, fs=self.fs)
        child_proc.sh_state = {"vars": dict(self.vars), "exported": set(self.exported), "pid": self._next_pid}
        child = self.spawn(argv, child_proc)
        if child is None or child is _NOT_FOUND:       # no runtime: run it to completion here
            sub = self.subshell()
            yield from sub.run_sub(lambda s: s._and_or(node, IO("", io.out, io.err)))
            child = None
        pid = getattr(child, "pid", None) or self._next_pid
        self._next_pid += 1
        if child is not None:
            # forget jobs that ended, except the last one ($! may still be waited for): a
            # `while :; do sleep 1 & done` loop must not keep every finished child alive
            last = len(self.jobs) - 1
            self.jobs = [job for k, job in enumerate(self.jobs) if k == last or job[1].exit_code is None]
            self.jobs.append((pid, child))
        self.last_bg = pid
        self.status = 0
        return 0

    # -- subshells ----------------------------------------------------------------------
    def subshell(self) -> "Shell":
        return Shell(self.proc, self.arg0, self.params, parent=self)

    def run_sub(self, body) -> Gen:
        """Run ``body(self)`` as a subshell: ``exit`` ends only the subshell."""
        try:
            yield from body(self)
        except ShellExit as e:
            self.status = e.code
        except LoopCtl:
            pass
        yield from self.run_exit_trap()
        return self.status

    def command_subst(self, src: str) -> Gen:
        out = Stream()
        sub = self.subshell()
        status = yield from sub.run_sub(lambda s: s.run_source(src, IO("", out, self.io.err)))
        self.status = self.last_subst = status
        return out.getvalue().rstrip("\n")

    # -- traps ----------------------------------------------------------------------------
    def on_signal(self, sig: int) -> None:
        """Installed in ``proc.on_signal`` by ``trap``: remember the signal for later."""
        self.pending.append(sig)

    def run_traps(self) -> Gen:
        while self.pending:
            sig = self.pending.pop(0)
            action = self.traps.get(sig)
            if action:
                saved = self.status
                yield from self.run_source(action)
                self.status = saved
        return None

    def run_exit_trap(self) -> Gen:
        action = self.traps.pop(0, None)
        if action:
            saved = self.status
            try:
                yield from self.run_source(action)
            except ShellExit as e:
                saved = e.code
            self.status = saved
        return None

    def redirect(self, redirs: list, io: IO) -> Gen:
        from .redirect import apply_redirections
        return (yield from apply_redirections(self, redirs, io))


class _RedirError(Exception):
    """A redirection failed (message already printed); the command's status is 1."""


_NOT_FOUND = object()
_PATH_DIRS = ("/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin")


def _on_path(path: str) -> bool:
    return posixpath.dirname(path) in _PATH_DIRS


def run_inline(prog: Any, proc: Any) -> Gen:
    """Drive ``prog(proc)`` inside the caller's generator (syscalls pass through)."""
    try:
        gen = prog(proc)
    except ExitProcess as e:
        return e.code
    if not hasattr(gen, "send"):
        return int(gen or 0)
    value = None
    while True:
        try:
            call = gen.send(value)
        except StopIteration as stop:
            return int(stop.value or 0)
        except ExitProcess as e:
            return e.code
        value = yield call
