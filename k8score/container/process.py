"""Processes inside a simulated container: programs are generators driven by the virtual clock.

A *program* is a plain Python generator function ``program(proc) -> Generator[Syscall, Any, int]``
(SimPy's processes, see ``shared/STYLE.md``). It runs instantly until it yields a syscall:

- ``yield Sleep(seconds)`` — the process sleeps on the virtual clock;
- ``yield Pause()`` — it waits until a signal arrives (``sleep infinity``, a server's accept loop);
- ``yield Wait(process)`` — it waits for a child :class:`Process` to exit and gets its exit code;
- ``yield Busy(seconds)`` — it computes: runnable until it had ``seconds`` of CPU time, which
  under the container's CPU limit takes longer (:mod:`k8score.container.cpu`).

Its ``return`` value is the exit code. An uncaught exception in a program is a bug in k8score,
not in the container: it is recorded on ``proc.stderr`` and the process exits 255 (so a reader's
edited manifest can never crash a component).

**Signals** (``signal(7)``, ``kill(1)``): :meth:`Process.signal` delivers ``SIGTERM`` (15),
``SIGINT`` (2), ``SIGHUP`` (1), ``SIGQUIT`` (3) or ``SIGKILL`` (9).

- ``SIGKILL`` always ends the process with exit status 137 (128 + 9) — it cannot be handled.
- Another signal runs the handler the program installed with ``proc.on_signal[sig] = fn``
  (``fn(sig)`` is called; it may call :meth:`Proc.exit` or return to ignore it); with no handler
  the default action applies: *terminate with 128 + sig* — **except for PID 1**, for which the
  Linux kernel drops signals that have no handler installed (``pid_namespaces(7)``: "the only
  signals that can be sent to the init process are those for which init has established a
  handler"). That is why ``sleep 3600`` as a container's command ignores ``SIGTERM`` and the
  kubelet has to ``SIGKILL`` it after the grace period (exit 137).

**Memory**: :meth:`Proc.alloc` adds to the container's resident memory; when it would exceed the
container's limit the kernel's OOM killer ends the process with ``SIGKILL`` (137) and
``oom_killed`` is set (the runtime reports the reason ``OOMKilled``).

>>> from k8score.sim import Loop
>>> def prog(proc):
...     proc.stdout.write("hello\\n")
...     yield Sleep(2)
...     return 3
>>> loop = Loop(0); p = Process(loop, prog, Proc(argv=["x"]), pid1=True); _ = p.start()
>>> _ = loop.run(until=5); (p.exit_code, p.finished_at, p.proc.stdout.getvalue())
(3, 2.0, 'hello\\n')
"""

from __future__ import annotations

from typing import Any, Callable, Generator, Iterable

from .cpu import Cpu

SIGHUP, SIGINT, SIGQUIT, SIGKILL, SIGTERM = 1, 2, 3, 9, 15
SIGNAL_NAMES = {SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGKILL: "SIGKILL", SIGTERM: "SIGTERM"}


class Sleep:
    """Syscall: sleep ``seconds`` of virtual time (``nanosleep``)."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float):
        self.seconds = max(0.0, float(seconds))


class Pause:
    """Syscall: block until a signal arrives (``pause(2)``)."""

    __slots__ = ()


class Wait:
    """Syscall: wait for ``process`` to exit (``waitpid``); the yield evaluates to its exit code."""

    __slots__ = ("process",)

    def __init__(self, process: "Process"):
        self.process = process


class Busy:
    """Syscall: use ``seconds`` of CPU time (at most one core; the container's CFS quota may
    make it take longer, see :class:`k8score.container.cpu.Cpu`)."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float):
        self.seconds = max(0.0, float(seconds))


Syscall = Sleep | Pause | Wait | Busy
Program = Callable[["Proc"], Generator[Any, Any, int]]


class ExitProcess(BaseException):
    """Raised by :meth:`Proc.exit` inside a program (like ``_exit(2)``); not an error."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


class Stream:
    """A process's stdout or stderr: text written is passed on to ``sink(text)`` and, with
    ``keep`` (the default), kept for :meth:`getvalue`.

    ``sink`` is where the runtime collects container logs (CRI log files); ``getvalue()``
    returns everything written (what ``ExecSync`` returns). A container's own PID 1 streams
    are ``keep=False``: their text lives in the log file only, so a chatty container does not
    grow memory without bound.
    """

    def __init__(self, sink: Callable[[str], Any] | None = None, keep: bool = True):
        self._parts: list[str] = []
        self._sink = sink
        self._keep = keep

    def write(self, text: str) -> int:
        if text:
            if self._keep:
                self._parts.append(text)
            if self._sink is not None:
                self._sink(text)
        return len(text)

    def getvalue(self) -> str:
        return "".join(self._parts)


class Proc:
    """What a running program sees — its ``argv``, environment, filesystem and the outside world.

    Fields (all optional for tests; the runtime fills them):

    - ``argv``: the command line (``argv[0]`` is the program name);
    - ``env``: environment variables (a ``dict``, ordered as the kubelet set them);
    - ``fs``: the container's :class:`k8score.container.fs.FileSystem`; ``cwd`` the working dir;
    - ``hostname``: the pod's hostname; ``stdin``: text read by ``cat`` with no file;
    - ``stdout`` / ``stderr``: :class:`Stream`;
    - ``net``: the pod's view of the network (:class:`k8score.container.net.PodNet`), or None;
    - ``clock``: a callable returning the virtual time (seconds since the simulation started);
    - ``epoch``: the wall-clock time the simulation's second 0 stands for (for ``date``);
    - ``rng``: a seeded ``random.Random``;
    - ``memory``: the container's :class:`Memory` (shared by every process in it);
    - ``spawn``: ``spawn(argv, proc) -> Process`` starts a child program (the shell runs
      external commands with it); set by the runtime.
    - ``on_signal``: ``{signum: handler}`` installed by the program (``trap`` in the shell).
    """

    def __init__(self, argv: list[str] | None = None, *, env: dict[str, str] | None = None, fs: Any = None,
                 cwd: str = "/", hostname: str = "localhost", stdin: str = "",
                 stdout: Stream | None = None, stderr: Stream | None = None, net: Any = None,
                 clock: Callable[[], float] | None = None, epoch: float = 0.0, rng: Any = None,
                 memory: "Memory | None" = None, spawn: Callable[..., "Process"] | None = None,
                 cpu: Any = None):
        self.argv = list(argv or [])
        self.env = dict(env or {})
        self.fs = fs
        self.cwd = cwd
        self.hostname = hostname
        self.stdin = stdin
        self.stdout = stdout if stdout is not None else Stream()
        self.stderr = stderr if stderr is not None else Stream()
        self.net = net
        self.clock = clock or (lambda: 0.0)
        self.epoch = epoch
        self.rng = rng
        self.memory = memory if memory is not None else Memory(None)
        #: the container's cpu cgroup (:class:`k8score.container.cpu.Cpu`, shared like ``memory``)
        self.cpu = cpu if cpu is not None else Cpu(None, self.clock)
        self.spawn = spawn
        self.on_signal: dict[int, Callable[[int], Any]] = {}
        self.allocated = 0  # bytes this process holds (freed when it exits)

    def now(self) -> float:
        return self.clock()

    def exit(self, code: int) -> None:
        """End the program now with ``code`` (raises :class:`ExitProcess`)."""
        raise ExitProcess(code)

    def alloc(self, nbytes: int) -> None:
        """Touch ``nbytes`` more memory; over the container's limit the OOM killer strikes."""
        self.memory.charge(self, nbytes)

    def child(self, argv: list[str], **overrides: Any) -> "Proc":
        """A Proc for a child process: same env, fs, cwd, streams and world unless overridden."""
        kw: dict[str, Any] = dict(env=dict(self.env), fs=self.fs, cwd=self.cwd, hostname=self.hostname,
                                  stdin=self.stdin, stdout=self.stdout, stderr=self.stderr, net=self.net,
                                  clock=self.clock, epoch=self.epoch, rng=self.rng, memory=self.memory,
                                  spawn=self.spawn, cpu=self.cpu)
        kw.update(overrides)
        return Proc(argv, **kw)


class OOMKill(BaseException):
    """Raised into a program whose allocation the OOM killer refused."""


class Memory:
    """A container's memory cgroup: ``limit`` bytes (None: unlimited), ``usage`` in bytes."""

    def __init__(self, limit: int | None, base: int = 0):
        self.limit = limit
        self.usage = base
        self.oom_kills = 0

    def charge(self, proc: Proc, nbytes: int) -> None:
        if nbytes <= 0:
            return
        if self.limit is not None and self.usage + nbytes > self.limit:
            self.oom_kills += 1
            raise OOMKill()
        self.usage += nbytes
        proc.allocated += nbytes

    def release(self, proc: Proc) -> None:
        self.usage = max(0, self.usage - proc.allocated)
        proc.allocated = 0


class Process:
    """One running program, stepped by the loop. ``on_exit(process)`` callbacks fire once."""

    def __init__(self, loop: Any, program: Program, proc: Proc, *, pid1: bool = False, owner: str | None = None):
        self.loop = loop
        self.program = program
        self.proc = proc
        self.pid1 = pid1
        self.owner = owner
        self.exit_code: int | None = None
        self.signalled: int | None = None   # the signal that ended it, if any
        self.oom_killed = False
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self._gen: Generator[Any, Any, int] | None = None
        self._timer: Any = None
        self._waiting_on: Process | None = None
        self._busy: Any = None          # the cpu task of a Busy syscall in progress
        self._exit_callbacks: list[Callable[[Process], Any]] = []

    @property
    def running(self) -> bool:
        return self.started_at is not None and self.exit_code is None

    def on_exit(self, fn: Callable[["Process"], Any]) -> None:
        if self.exit_code is not None:
            fn(self)
        else:
            self._exit_callbacks.append(fn)

    def start(self) -> "Process":
        self.started_at = self.loop.now
        try:
            self._gen = self.program(self.proc)
        except ExitProcess as e:
            self._finish(e.code)
            return self
        if not hasattr(self._gen, "send"):   # a plain function returned its exit code
            self._finish(int(self._gen or 0))
            return self
        self._advance(None)
        return self

    # -- stepping ---------------------------------------------------------------
    def _advance(self, value: Any, throw: BaseException | None = None) -> None:
        if self.exit_code is not None or self._gen is None:
            return
        self._timer = None
        self._waiting_on = None
        self._busy = None
        try:
            call = self._gen.throw(throw) if throw is not None else self._gen.send(value)
        except StopIteration as stop:
            self._finish(_code(stop.value))
            return
        except ExitProcess as e:
            self._finish(e.code)
            return
        except OOMKill:
            self.oom_killed = True
            self._finish(128 + SIGKILL, signalled=SIGKILL)
            return
        except Exception as exc:  # noqa: BLE001 - a k8score bug must not crash the node
            self.proc.stderr.write(f"k8score: internal error in {self.proc.argv[:1]}: {exc!r}\n")
            self._finish(255)
            return
        self._block(call)

    def _block(self, call: Any) -> None:
        if isinstance(call, Sleep):
            self._timer = self.loop.call_later(call.seconds, self._advance, None, owner=self.owner)
        elif isinstance(call, Wait):
            child = call.process
            self._waiting_on = child
            child.on_exit(lambda c: self._child_done(c))
        elif isinstance(call, Busy):
            self._busy = self.proc.cpu.run(self.loop, call.seconds, self._busy_done, self.owner)
        elif isinstance(call, Pause) or call is None:
            pass  # woken only by a signal
        else:
            self._advance(None, TypeError(f"unknown syscall {call!r}"))

    def _busy_done(self) -> None:
        if self._busy is not None and self.exit_code is None:
            self._advance(None)

    def _child_done(self, child: "Process") -> None:
        if self._waiting_on is child and self.exit_code is None:
            self.loop.call_soon(self._resume_from_wait, child, owner=self.owner)

    def _resume_from_wait(self, child: "Process") -> None:
        if self._waiting_on is child:
            self._advance(child.exit_code)

    # -- signals ------------------------------------------------------------------
    def signal(self, sig: int) -> bool:
        """Deliver ``sig``; returns whether it had any effect (False: ignored or already exited)."""
        if self.exit_code is None and self.started_at is None:
            self._finish(128 + sig, signalled=sig)
            return True
        if self.exit_code is not None:
            return False
        if sig == SIGKILL:
            self._kill(SIGKILL)
            return True
        handler = self.proc.on_signal.get(sig)
        if handler is None:
            if self.pid1:
                return False       # init ignores signals it has no handler for
            self._kill(sig)
            return True
        self._cancel_block()
        try:
            handler(sig)
        except ExitProcess as e:
            self._close()
            self._finish(e.code)
            return True
        # the handler returned: resume whatever the program was blocked in (a sleep is cut
        # short, as a signal interrupts nanosleep; the program decides what to do next)
        self.loop.call_soon(self._advance, None, owner=self.owner)
        return True

    def _kill(self, sig: int) -> None:
        self._cancel_block()
        self._close()
        self._finish(128 + sig, signalled=sig)

    def _cancel_block(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._waiting_on = None
        if self._busy is not None:
            self.proc.cpu.cancel(self._busy)
            self._busy = None

    def _close(self) -> None:
        if self._gen is not None:
            try:
                self._gen.close()
            except BaseException:  # noqa: BLE001 - a program's cleanup cannot veto a kill
                pass

    def _finish(self, code: int, signalled: int | None = None) -> None:
        if self.exit_code is not None:
            return
        self._cancel_block()
        self.exit_code = int(code) & 0xFF
        self.signalled = signalled
        self.finished_at = self.loop.now
        self.proc.memory.release(self.proc)
        callbacks, self._exit_callbacks = self._exit_callbacks, []
        for fn in callbacks:
            fn(self)


def _code(value: Any) -> int:
    if value is None:
        return 0
    return int(value)


def run_to_completion(loop: Any, program: Program, proc: Proc, *, until: float | None = None) -> Process:
    """Start ``program`` and run the loop until it exits (tests and ``ExecSync``-style helpers)."""
    p = Process(loop, program, proc)
    p.start()
    loop.run(until=until, predicate=lambda: p.exit_code is not None)
    return p


def iter_lines(text: str) -> Iterable[str]:
    return text.splitlines()


__all__ = ["Sleep", "Pause", "Wait", "Busy", "Proc", "Process", "Stream", "Memory", "ExitProcess", "OOMKill",
           "SIGHUP", "SIGINT", "SIGQUIT", "SIGKILL", "SIGTERM", "SIGNAL_NAMES", "Program", "run_to_completion"]
