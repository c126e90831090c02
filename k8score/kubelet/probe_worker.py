"""One probe worker: periodically probes one container with one probe (``pkg/kubelet/prober/worker.go``).

The worker is a small state machine on the virtual clock, one per (pod, container, probe kind):

- **first run**: if the kubelet's probe manager started less than ``periodSeconds`` ago, the
  worker first waits a random fraction of the period (``rand.Float64() * period``: after a
  kubelet restart probes would otherwise all fire at once); otherwise it probes at once.
  Then a ticker fires every ``periodSeconds``. A tick that comes while an (exec) probe is still
  running is kept (Go's ticker buffers one) and the probe runs again right after; further
  ticks are dropped. A *manual trigger* (see :meth:`ProbeWorker.trigger`) runs the probe now
  and restarts the ticker from this moment.
- **each run** (``doProbe``): no container yet -> wait. A new container ID -> forget the old
  result, record the kind's initial value (readiness ``failure``, liveness ``success``,
  startup ``unknown``) and leave *on hold*. On hold -> skip. Container not running -> record
  ``failure``; stop for good if it terminated and the pod's ``restartPolicy`` is ``Never``.
  ``int(seconds since the container started) < initialDelaySeconds`` -> skip. Liveness and
  readiness wait until the container has *started* (no startup probe, or it succeeded); the
  startup probe stops once it has. Then probe: a probe error is thrown away; otherwise the
  run of equal results grows and, once it reaches ``failureThreshold`` (or
  ``successThreshold``), the result is recorded. A liveness failure — or any startup
  verdict — puts the worker *on hold* until the kubelet starts a new container (issues
  21751 and 117153: no exec into a dying container, no extra runs).

So with ``periodSeconds: 5, failureThreshold: 3`` the liveness failure is recorded on the
third failing run, 10 s after the first one.
"""

from __future__ import annotations

import math
from typing import Any

from . import probe_exec, probe_net
from . import probe_spec as ps

#: pkg/kubelet/prober/worker.go newWorker: the result recorded for a new container
INITIAL_VALUE = {ps.READINESS: ps.FAILURE, ps.LIVENESS: ps.SUCCESS, ps.STARTUP: ps.UNKNOWN}
#: pkg/kubelet/prober/prober.go maxProbeRetries: an erroring probe is tried this often per run
MAX_PROBE_RETRIES = 3


class ProbeWorker:
    def __init__(self, manager: Any, kind: str, pod: dict, container: dict, init_container: bool = False):
        self.manager = manager
        self.kind = kind
        self.pod = pod
        self.container = container
        self.init_container = init_container
        self.spec = ps.defaulted(container[ps.FIELD[kind]])
        self.period = float(self.spec["periodSeconds"])
        self.container_id: str | None = None
        self.last_result: str | None = None
        self.result_run = 0
        self.on_hold = False
        self.stopped = False
        self.busy = False            # an exec probe is in flight
        self._timer: Any = None
        self._origin = 0.0           # when the ticker was (re)started
        self._consumed = 0.0         # the last tick already acted on
        self._triggered = False      # a buffered manual trigger
        self._looping = False        # the first run (after the jitter) has happened

    @property
    def name(self) -> str:
        return self.container["name"]

    # -- scheduling ------------------------------------------------------------------
    def start(self) -> None:
        m = self.manager
        delay = 0.0
        if self.period > m.loop.now - m.start:
            delay = m.rng.random() * self.period
        self._timer = m.schedule(delay, self._first)

    def stop(self) -> None:
        """worker.stop: idempotent; the worker drops its results and leaves the manager."""
        if self.stopped:
            return
        self.stopped = True
        if self._timer is not None:
            self._timer.cancel()
        if self.container_id:
            self.manager.results_remove(self.kind, self.container_id)
        self.manager.worker_exited(self)

    def trigger(self) -> None:
        """The manual trigger (``manualTriggerCh``, buffer 1): probe now, restart the ticker."""
        if self.stopped:
            return
        if not self._looping and getattr(self._timer, "when", None) == self.manager.loop.now:
            return                   # the first run is due this instant anyway
        if not self._looping or self.busy or self._timer is None:
            self._triggered = True   # picked up after the first (or the running) probe
            return
        if not self._triggered:
            self._timer.cancel()
            self._triggered = True
            self._timer = self.manager.schedule(0.0, self._after_wait)

    def _first(self) -> None:
        self._looping = True
        self._origin = self._consumed = self.manager.loop.now
        self._run()

    def _after_wait(self) -> None:
        if self._triggered:
            self._triggered = False
            self._origin = self._consumed = self.manager.loop.now  # probeTicker.Reset(period)
        self._run()

    def _wait(self) -> None:
        """After a run that keeps going: wait for the next tick or a buffered trigger."""
        if self.stopped:
            return
        now = self.manager.loop.now
        if self._triggered:
            self._timer = self.manager.schedule(0.0, self._after_wait)
            return
        k = math.floor((now - self._origin) / self.period + 1e-9)
        latest = self._origin + k * self.period
        if latest > self._consumed + 1e-9:           # a tick fired while probing
            self._consumed = latest
            self._timer = self.manager.schedule(0.0, self._after_wait)
            return
        nxt = latest + self.period
        self._consumed = nxt
        self._timer = self.manager.schedule(max(0.0, nxt - now), self._after_wait)

    def _run(self) -> None:
        if self.stopped:
            return
        self._timer = None
        self._do_probe()

    def _finish(self, keep_going: bool) -> None:
        self.busy = False
        if keep_going:
            self._wait()
        else:
            self.stop()

    # -- doProbe ---------------------------------------------------------------------
    def _do_probe(self) -> None:
        m = self.manager
        state = m.container_state(self.pod, self.name)
        if state is None or not state.container_id:
            self._finish(True)   # not created yet, or deleted: wait for more information
            return
        if state.container_id != self.container_id:
            if self.container_id:
                m.results_remove(self.kind, self.container_id)
            self.container_id = state.container_id
            m.results_set(self, INITIAL_VALUE[self.kind])
            self.on_hold = False  # a new container: resume probing
        if self.on_hold:
            self._finish(True)
            return
        if not state.running:
            m.results_set(self, ps.FAILURE)
            restartable = self.init_container and self.container.get("restartPolicy") == "Always"
            policy = (self.pod.get("spec") or {}).get("restartPolicy") or "Always"
            # ContainerRestartRules (alpha) is off: the pod's restartPolicy decides
            self._finish(not state.terminated or policy != "Never" or restartable)
            return
        # + 1 ns: a tick computed as now + delay may land a float ulp short of the whole second
        if int(m.loop.now - state.started_at + 1e-9) < self.spec["initialDelaySeconds"]:
            self._finish(True)
            return
        started = m.is_started(self.pod["metadata"].get("uid"), self.name)
        if started == (self.kind == ps.STARTUP):
            # startup stops once started; the others wait for it
            self._finish(True)
            return
        self.busy = True
        self._attempt(state, MAX_PROBE_RETRIES)

    def _attempt(self, state: Any, retries: int) -> None:
        def done(result: str, output: str, err: str | None) -> None:
            if err is not None and retries > 1:
                self._attempt(state, retries - 1)   # runProbeWithRetries: only errors retry
                return
            self._record(result, output, err)
        self._action(state, done)

    def _action(self, state: Any, done: Any) -> None:
        m = self.manager
        spec, c = self.spec, self.container
        latest = m.current_pod(self.pod)   # the newest pod object add_pod was given
        pod_ip = state.pod_ip or ((latest.get("status") or {}).get("podIP") or "")
        timeout = float(spec["timeoutSeconds"])
        if isinstance(spec.get("exec"), dict):
            probe_exec.exec_probe(m.runtime, self.container_id, spec, c, done)
        elif isinstance(spec.get("httpGet"), dict):
            done(*probe_net.http_probe(m.host_net(), spec["httpGet"], c, pod_ip, timeout,
                                       ephemeral_port=m.ephemeral_port()))
        elif isinstance(spec.get("tcpSocket"), dict):
            done(*probe_net.tcp_probe(m.host_net(), spec["tcpSocket"], c, pod_ip, timeout))
        elif isinstance(spec.get("grpc"), dict):
            done(*probe_net.grpc_probe(m.host_net(), spec["grpc"], pod_ip, timeout))
        else:
            meta = self.pod.get("metadata") or {}
            # prober.go unknownProberAction; format.Pod is "<name>_<namespace>(<uid>)"
            done(ps.UNKNOWN, "", f"missing probe handler for {meta.get('name')}_{meta.get('namespace')}"
                                 f"({meta.get('uid')}):{self.name}")

    def _record(self, result: str, output: str, err: str | None) -> None:
        if self.stopped:
            return
        verdict = self.manager.report(self, result, output, err)   # events, as prober.probe
        if verdict is None:
            self._finish(True)   # prober error: throw the result away
            return
        if verdict == self.last_result:
            self.result_run += 1
        else:
            self.last_result, self.result_run = verdict, 1
        if (verdict == ps.FAILURE and self.result_run < self.spec["failureThreshold"]) or \
                (verdict == ps.SUCCESS and self.result_run < self.spec["successThreshold"]):
            self._finish(True)   # below the threshold: the recorded state stays
            return
        self.manager.results_set(self, verdict)
        if (self.kind == ps.LIVENESS and verdict == ps.FAILURE) or self.kind == ps.STARTUP:
            self.on_hold = True
            self.result_run = 0
        self._finish(True)


__all__ = ["ProbeWorker", "INITIAL_VALUE", "MAX_PROBE_RETRIES"]
