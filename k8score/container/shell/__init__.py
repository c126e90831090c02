"""A POSIX-shell subset and the busybox applets: what ``sh -c "..."`` in a container runs.

``PROGRAMS`` maps a program name to a program (``prog(proc)``, see
:mod:`k8score.container.process`): ``sh`` (also ``ash``, ``bash``) and the busybox applets
``sleep echo printf date cat touch rm ls mkdir test [ true false env hostname wget nslookup head
tail grep egrep wc kill tee seq expr id pwd uname``.

What is modelled (upstream: busybox ``shell/ash.c`` and the applets' sources, cited per module):

- ``sh -c SCRIPT [NAME [ARGS...]]``, ``sh FILE``, script on stdin; options ``-e`` (``set -e``),
  ``-x``/``-u``/``-s`` accepted and ignored;
- lists ``;`` ``&&`` ``||`` ``&`` (background; ``wait``, ``$!``), pipelines ``|`` (stages run one
  after another, each one's output the next one's input), ``!``; ``if/elif/else``, ``while``,
  ``until``, ``for``, ``case``, ``{ }``, ``( )``, ``break``/``continue``;
- words: single/double quotes, backslash, ``$VAR ${VAR} ${VAR:-d}`` and the other POSIX
  parameter forms, ``$? $$ $! $# $@ $* $0 $1..``, ``$(cmd)``/backquotes, ``$((arith))``, ``~``,
  field splitting on IFS whitespace, globbing against the container filesystem;
- redirections ``> >> < 2>&1 >&2 2>/dev/null`` (``/dev/stdout``, ``/proc/1/fd/1`` too);
- builtins ``: true false cd pwd export unset set exit trap wait kill eval exec shift . echo
  printf test [``; ``trap 'cmd' TERM``/``trap - TERM``/``trap '' TERM``/``trap ... EXIT``;
- **time**: every simple command costs 1 ms of virtual time (:data:`COMMAND_COST`), so an
  endless loop without ``sleep`` still advances the clock and can be stopped;
- **signals**: a shell with no trap running as PID 1 ignores ``SIGTERM`` (the kernel's rule,
  see :mod:`k8score.container.process`); a trap runs after the foreground command ends, so
  ``trap 'exit 0' TERM; while true; do sleep 1; done`` exits within a second of ``SIGTERM``;
- messages are ash's: ``sh: foo: not found`` (127), ``sh: syntax error: unexpected "fi"`` (2),
  ``sh: can't create /x/y: nonexistent directory`` (1), ``sh: cd: line 1: can't cd to /x: No
  such file or directory`` (2), ``sh: exit: line 1: Illegal number: x`` (2).

- **limits** (model limits, each failing with a clear message instead of exhausting the
  simulator): compound commands, ``eval``/``.``/trap actions, subshells and ``$(...)`` nest at
  most :data:`.lexer.MAX_NESTING` levels (``sh: nesting too deep ...``, 2); one string (a
  variable, ``seq``'s output, a ``printf`` field) holds at most :data:`.applets.common.MAX_TEXT`
  (16 MiB) — beyond it ``out of memory`` as when malloc fails; ``$(( ))`` is 64-bit
  (``arith_t``), wrapping as the CPU does.

Not modelled: functions, here-documents, ``read``, job control (``fg``/``bg``/``jobs``),
arrays and other bash extensions (``bash`` is ash here, as in busybox images), concurrency
inside a pipeline, file permissions and users other than root.

>>> from k8score.sim import Loop
>>> from k8score.container.process import Proc, Process
>>> loop = Loop(0)
>>> p = Process(loop, PROGRAMS["sh"], Proc(["sh", "-c", "echo hi; exit 3"], clock=lambda: loop.now)).start()
>>> _ = loop.run(until=1); (p.exit_code, p.proc.stdout.getvalue())
(3, 'hi\\n')
"""

from __future__ import annotations

from typing import Any, Callable, Generator

from ..process import Process
from .applets import PROGRAMS as _APPLETS
from .interp import COMMAND_COST, Shell, ShellExit

Gen = Generator[Any, Any, Any]


def sh(proc: Any) -> Gen:
    """The shell program: ``sh [-e] -c SCRIPT [NAME ARGS...] | sh FILE [ARGS...] | sh < script``."""
    argv = list(proc.argv) or ["sh"]
    arg0, args = argv[0], argv[1:]
    want_c = errexit = False
    while args and args[0][:1] in "-+" and len(args[0]) > 1:
        opt = args.pop(0)
        if opt == "--":
            break
        for ch in opt[1:]:
            if ch == "c":
                want_c = True
            elif ch == "e":
                errexit = opt[0] == "-"
            elif ch not in "xuvsilmnf":
                proc.stderr.write(f"{arg0}: illegal option -{ch}\n")
                return 2
    script_mode = False
    if want_c:
        if not args:
            proc.stderr.write(f"{arg0}: -c requires an argument\n")
            return 2
        script = args.pop(0)
        if args:                                  # POSIX: sh -c CMD NAME ARGS... sets $0
            arg0, script_mode = args.pop(0), True
    elif args:
        name = args.pop(0)
        try:
            script = proc.fs.read(name if name.startswith("/") else (proc.cwd.rstrip("/") + "/" + name))
        except Exception:  # noqa: BLE001 - FSError or no filesystem: ash's "can't open"
            proc.stderr.write(f"{arg0}: can't open '{name}': No such file or directory\n")
            return 127
        arg0, script_mode = name, True
    else:
        script = proc.stdin
    shell = Shell(proc, arg0, args)
    shell.script_mode = script_mode
    shell.errexit = errexit
    state = getattr(proc, "sh_state", None)       # a background job started by a parent shell
    if state:
        shell.vars.update(state["vars"])
        shell.exported |= state["exported"]
        shell.pid = state["pid"]
    try:
        status = yield from shell.run_source(script)
    except ShellExit as e:
        status = e.code
    shell.status = status
    try:
        yield from shell.run_exit_trap()
    except ShellExit as e:
        shell.status = e.code
    return shell.status


PROGRAMS: dict[str, Callable[..., Any]] = {"sh": sh, "ash": sh, "bash": sh, **_APPLETS}


def spawner(loop: Any, programs: dict[str, Callable[..., Any]] | None = None,
            owner: str | None = None) -> Callable[[list[str], Any], Process | None]:
    """A ``proc.spawn`` for tests and hosts without a runtime: ``argv[0]``'s basename is looked
    up in ``programs`` (default :data:`PROGRAMS`); unknown -> None (the shell says ``not
    found``). The child inherits the spawner, so its own children are found the same way."""
    table = PROGRAMS if programs is None else programs

    def spawn(argv: list[str], proc: Any) -> Process | None:
        prog = table.get(argv[0].rsplit("/", 1)[-1]) if argv else None
        if prog is None:
            return None
        proc.spawn = spawn
        return Process(loop, prog, proc, owner=owner).start()
    return spawn


__all__ = ["PROGRAMS", "COMMAND_COST", "sh", "spawner"]
