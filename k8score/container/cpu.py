"""A container's cpu cgroup: CPU time used, limited by the CFS quota.

Two kinds of work consume CPU:

- a process's ``yield Busy(seconds)`` (:class:`k8score.container.process.Busy`): the process is
  runnable until it has had ``seconds`` of CPU time; it then resumes;
- :meth:`Cpu.burn` from a synchronous handler (an HTTP server's request): the work joins the
  container's run queue (its *backlog*) and nobody waits for it — HTTP in the model answers at
  once (see :mod:`k8score.container.net`), so the server's work is queued and done later.

**CFS quota** (``cpu.cfs_quota_us / cpu.cfs_period_us``, pkg/kubelet/cm/helpers_linux.go
MilliCPUToQuota: ``quota = milliCPU * 100000 / 1000`` per ``100000`` µs period): a container with
a ``500m`` limit gets at most 0.5 core. Runnable work shares that capacity: each busy process
runs at ``min(1 core, capacity / runnable)`` (one thread each), the backlog (a server's many
workers) takes the rest. So ``Busy(1)`` alone under ``500m`` takes 2 s of virtual time.
Without a limit the backlog is done at once and a busy process runs at one core.

The counter is ``used`` (core-seconds since the container started), read with
:meth:`Cpu.usage`; containerd's ``usageNanoCores`` is the rate between two stats calls
(:meth:`Cpu.rate`).

>>> t = [0.0]; cpu = Cpu(limit=0.5, clock=lambda: t[0])
>>> cpu.burn(2.0); t[0] = 1.0; cpu.usage()
0.5
>>> t[0] = 10.0; cpu.usage(), cpu.backlog
(2.0, 0.0)
"""

from __future__ import annotations

from typing import Any, Callable

#: pkg/kubelet/cm/helpers_linux.go: QuotaPeriod = 100000 (µs), MinQuotaPeriod = 1000
CFS_PERIOD_US = 100000
_EPS = 1e-12


class Cpu:
    """One container's cpu cgroup: ``limit`` cores (None: no quota), ``clock() -> seconds``."""

    def __init__(self, limit: float | None = None, clock: Callable[[], float] | None = None):
        self.limit = limit if limit and limit > 0 else None
        self.clock = clock or (lambda: 0.0)
        self.used = 0.0          # core-seconds consumed, settled up to self._t
        self.backlog = 0.0       # core-seconds queued by burn()
        self._tasks: list[list[Any]] = []   # [remaining core-seconds, done callback]
        self._t = self.clock()
        self._timer: Any = None
        self._loop: Any = None
        self._owner: str | None = None
        self._sample = (self._t, 0.0)
        self._bound = clock is not None

    def bind(self, clock: Callable[[], float]) -> None:
        """Use ``clock`` from now on (the runtime binds it when the container's first process
        starts; later calls keep the first clock)."""
        if self._bound:
            return
        self._bound = True
        self.clock = clock
        self._t = clock()
        self._sample = (self._t, self.used)

    # -- the public face ------------------------------------------------------------------
    def usage(self) -> float:
        """Core-seconds used so far (``usageCoreNanoSeconds`` / 1e9)."""
        self._settle()
        return self.used

    def rate(self) -> float:
        """Cores used since the previous call (containerd's ``usageNanoCores``: the counter's
        delta over the time since the last stats sample; 0 on the first call)."""
        now, used = self.clock(), self.usage()
        t0, u0 = self._sample
        self._sample = (now, used)
        return (used - u0) / (now - t0) if now > t0 else 0.0

    def set_limit(self, limit: float | None) -> None:
        """A new quota (UpdateContainerResources): work so far is settled at the old one."""
        self._settle()
        self.limit = limit if limit and limit > 0 else None
        self._reschedule()

    def burn(self, seconds: float) -> None:
        """Queue ``seconds`` of CPU work nobody waits for (a request a server handles)."""
        if seconds <= 0:
            return
        self._settle()
        if self.limit is None and not self._tasks:
            self.used += seconds       # no quota: done at once
            return
        self.backlog += seconds
        self._reschedule()

    def run(self, loop: Any, seconds: float, done: Callable[[], Any], owner: str | None = None) -> list:
        """A process needs ``seconds`` of CPU; ``done()`` is called (from the loop) once it had
        them. Returns a handle for :meth:`cancel` (a signal interrupts the process)."""
        self._settle()
        self._loop, self._owner = loop, owner
        task = [max(0.0, float(seconds)), done]
        self._tasks.append(task)
        self._reschedule()
        return task

    def cancel(self, task: list) -> None:
        self._settle()
        if task in self._tasks:
            self._tasks.remove(task)
            self._reschedule()

    # -- processor sharing ----------------------------------------------------------------
    def _rates(self) -> tuple[float, float]:
        """(rate of each busy task, rate of the backlog) in cores."""
        n = len(self._tasks)
        cap = self.limit
        if cap is None:
            return 1.0, (float("inf") if self.backlog > _EPS else 0.0)
        share = n + (1 if self.backlog > _EPS else 0)
        per_task = min(1.0, cap / share) if n else 0.0
        return per_task, (cap - n * per_task if self.backlog > _EPS else 0.0)

    def _settle(self) -> None:
        now = self.clock()
        while now > self._t + _EPS and (self._tasks or self.backlog > _EPS):
            per_task, back = self._rates()
            if back == float("inf"):
                self.used += self.backlog
                self.backlog = 0.0
                continue
            step = now - self._t
            if self._tasks:
                step = min(step, min(t[0] for t in self._tasks) / per_task)
            if self.backlog > _EPS and back > 0:
                step = min(step, self.backlog / back)
            for t in self._tasks:
                t[0] -= per_task * step
            self.backlog = max(0.0, self.backlog - back * step)
            self.used += per_task * step * len(self._tasks) + back * step
            self._t += step
            finished = [t for t in self._tasks if t[0] <= _EPS]
            if finished:
                self._tasks = [t for t in self._tasks if t[0] > _EPS]
                for t in finished:
                    self._loop.call_soon(t[1], owner=self._owner)
        self._t = max(self._t, now)

    def _reschedule(self) -> None:
        """One timer at the next moment a busy task finishes (the backlog needs none: it is
        settled whenever someone looks)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._tasks or self._loop is None:
            return
        per_task, back = self._rates()
        nxt = min(t[0] for t in self._tasks) / per_task
        if self.backlog > _EPS and 0 < back < float("inf"):
            nxt = min(nxt, self.backlog / back)     # rates change when the backlog drains
        self._timer = self._loop.call_later(max(0.0, nxt), self._tick, owner=self._owner)

    def _tick(self) -> None:
        self._timer = None
        self._settle()
        self._reschedule()


def quota_cores(resources: dict) -> float | None:
    """The limit in cores of CRI ``LinuxContainerResources`` (``cpuQuota`` / ``cpuPeriod``)."""
    quota = int(resources.get("cpuQuota") or 0)
    period = int(resources.get("cpuPeriod") or CFS_PERIOD_US)
    return quota / period if quota > 0 and period > 0 else None


__all__ = ["Cpu", "CFS_PERIOD_US", "quota_cores"]
