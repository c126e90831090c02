"""The kubelet's probe manager: liveness, readiness and startup probes (``pkg/kubelet/prober``).

``ProbeManager(kubelet)`` uses ``kubelet.loop`` (virtual clock; one draw from ``loop.rng``
seeds the manager's own RNG for first-run jitter), ``kubelet.runtime.exec_sync`` (exec
probes), ``kubelet.host.net`` (the node's network namespace: httpGet/tcpSocket/grpc probes
go from the node IP to the pod IP), ``kubelet.recorder`` (events) and, when present,
``kubelet.call_later`` (so the workers stop with the kubelet; a restarted kubelet builds a
new manager, whose fresh start time brings back the first-run jitter, as upstream).

The kubelet tells it what happens to containers and asks it two questions::

    pm = ProbeManager(kubelet)
    pm.on_change = lambda pod_key: ...                       # readiness/startup result changed
    pm.on_liveness_failure = lambda pod_key, name, message: ...  # kill (and restart) it
    pm.add_pod(pod)                                          # a worker per container and probe
    pm.container_started(uid, "app", "containerd://ab12", started_at=12.5, pod_ip="10.244.1.5")
    pm.is_started(uid, "app"), pm.is_ready(uid, "app")      # -> containerStatuses started/ready
    pm.container_stopped(uid, "app")
    pm.stop_liveness_and_startup(uid)                        # the pod is terminating
    pm.remove_pod(uid)

Semantics (``prober_manager.go`` ``UpdatePodStatus``): a running container is *started* when
its startup probe succeeded, or when it has none; it is *ready* when started and its readiness
probe's last recorded result is success, or when it has none. Results belong to a container
ID: a restarted container starts over (readiness false, liveness success, startup unknown).

Events (``prober.go``), on the pod with ``fieldPath: spec.containers{<name>}``:
``Warning Unhealthy "<Kind> probe failed: <output>"`` on every failing run,
``Warning ProbeWarning "<Kind> probe warning: <output>"`` for a redirect that was not followed,
``Warning Unhealthy "<Kind> probe errored and resulted in unknown state: <error>"`` when the
probe could not run (the run is then not counted). ``<Kind>`` is ``Liveness``, ``Readiness``
or ``Startup``. When liveness (or startup) reaches ``failureThreshold``, ``on_liveness_failure``
gets the message the kubelet's ``Killing`` event shows (``kuberuntime_manager.go``
``computePodActions``): ``Container <name> failed liveness probe, will be restarted`` (``startup
probe`` for startup; without ``, will be restarted`` when ``restartPolicy`` is ``Never``).

Readiness is probed right after a container starts (or its startup probe succeeds): upstream's
``UpdatePodStatus`` sends the readiness worker a manual trigger from the pod sync that such an
event causes; here :meth:`container_started` and a startup success send it directly, so
:meth:`is_ready` stays a pure query. Callbacks run on the loop (``call_soon``), never inside a
call into the manager.

A server that answers 500 fails its liveness probe three times, 10 s apart (the defaults):

>>> from types import SimpleNamespace
>>> from k8score.container.net import HttpResponse, Network
>>> from k8score.sim.loop import Loop
>>> loop, net = Loop(seed=0), Network()
>>> net.attach("10.244.1.5").listen(8080, lambda req: HttpResponse(500))
>>> kubelet = SimpleNamespace(loop=loop, runtime=None, running=True, call_later=loop.call_later,
...                           recorder=SimpleNamespace(event=lambda *args, **kw: None),
...                           host=SimpleNamespace(net=net.attach("192.168.0.11")))
>>> pm = ProbeManager(kubelet)
>>> pm.on_liveness_failure = lambda key, name, message: print(loop.now, key, message)
>>> _ = loop.run(until=30)          # long after the kubelet started: no first-run jitter
>>> pm.add_pod({"metadata": {"name": "web", "namespace": "default", "uid": "u1"},
...             "spec": {"containers": [{"name": "app", "livenessProbe": {"httpGet": {"port": 8080}}}]}})
>>> pm.container_started("u1", "app", "containerd://c1", started_at=30.0, pod_ip="10.244.1.5")
>>> _ = loop.run(until=100)
50.0 default/web Container app failed liveness probe, will be restarted
"""

from __future__ import annotations

import random
from typing import Any, Callable

from . import probe_spec as ps
from .probe_worker import ProbeWorker

#: Linux net.ipv4.ip_local_port_range default: the client ports Go's dialer gets
_EPHEMERAL_PORTS = (32768, 60999)
_KINDS = (ps.STARTUP, ps.READINESS, ps.LIVENESS)   # prober_manager.go AddPod order


class ContainerState:
    """What the manager knows of one container (the status manager's view, upstream)."""

    __slots__ = ("container_id", "running", "terminated", "started_at", "pod_ip")

    def __init__(self, container_id: str, started_at: float, pod_ip: str | None):
        self.container_id = container_id
        self.running = True
        self.terminated = False
        self.started_at = float(started_at)
        self.pod_ip = pod_ip


class ProbeManager:
    def __init__(self, kubelet: Any):
        self.kubelet = kubelet
        self.loop = kubelet.loop
        #: prober_manager.go manager.start: within one period of it, first runs are jittered
        self.start = self.loop.now
        self._rng: random.Random | int = self.loop.rng.getrandbits(64)   # seeded now, made when first used
        #: ``on_change(pod_key)``: a readiness or startup result changed; sync the pod status.
        self.on_change: Callable[[str], Any] | None = None
        #: ``on_liveness_failure(pod_key, container_name, message)``: kill the container.
        self.on_liveness_failure: Callable[[str, str, str], Any] | None = None
        self._pods: dict[str, dict] = {}
        self._workers: dict[tuple[str, str, str], ProbeWorker] = {}
        self._containers: dict[tuple[str, str], ContainerState] = {}
        self._results: dict[str, dict[str, str]] = {k: {} for k in _KINDS}

    @property
    def rng(self) -> random.Random:
        """Jitter of first probe runs and ephemeral ports (a 2.5 KB state: made when first needed)."""
        if not isinstance(self._rng, random.Random):
            self._rng = random.Random(self._rng)
        return self._rng

    # -- the kubelet's calls ---------------------------------------------------------
    def add_pod(self, pod: dict) -> None:
        """Start a worker for every probe of every container (and sidecar) of ``pod``.
        Idempotent: probes that already have a worker keep it (probe specs are immutable)."""
        uid = _uid(pod)
        self._pods[uid] = pod
        spec = pod.get("spec") or {}
        targets = [(c, False) for c in spec.get("containers") or ()]
        targets += [(c, True) for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"]
        for container, is_init in targets:
            for kind in _KINDS:
                key = (uid, container.get("name", ""), kind)
                if container.get(ps.FIELD[kind]) and key not in self._workers:
                    worker = self._workers[key] = ProbeWorker(self, kind, pod, container, is_init)
                    worker.start()

    def remove_pod(self, uid: str) -> None:
        """Stop the pod's workers and forget its containers and results."""
        for key in [k for k in self._workers if k[0] == uid]:
            self._workers[key].stop()
        for key in [k for k in self._containers if k[0] == uid]:
            del self._containers[key]
        self._pods.pop(uid, None)

    def stop_liveness_and_startup(self, uid: str) -> None:
        """The pod is terminating: no more liveness/startup probes (readiness goes on)."""
        for key in [k for k in self._workers if k[0] == uid and k[2] != ps.READINESS]:
            self._workers[key].stop()

    def container_started(self, uid: str, name: str, container_id: str, started_at: float,
                          pod_ip: str | None = None) -> None:
        """A new container ``container_id`` runs since ``started_at`` (virtual seconds).
        ``pod_ip`` is the sandbox IP (else the pod's ``status.podIP`` is used)."""
        self._containers[(uid, name)] = ContainerState(container_id, started_at, pod_ip)
        if self.is_started(uid, name):
            self._trigger_readiness(uid, name)

    def container_stopped(self, uid: str, name: str) -> None:
        """The container exited (or was killed); its probes record failure until a new one starts."""
        state = self._containers.get((uid, name))
        if state is not None:
            state.running, state.terminated = False, True

    def is_started(self, uid: str, name: str) -> bool:
        state = self._containers.get((uid, name))
        if state is None or not state.running:
            return False
        result = self._results[ps.STARTUP].get(state.container_id)
        if result is not None:
            return result == ps.SUCCESS
        return (uid, name, ps.STARTUP) not in self._workers   # no startup probe: started

    def is_ready(self, uid: str, name: str) -> bool:
        if not self.is_started(uid, name):
            return False
        state = self._containers[(uid, name)]
        if self._results[ps.READINESS].get(state.container_id) == ps.SUCCESS:
            return True
        return (uid, name, ps.READINESS) not in self._workers  # no readiness probe: ready

    # -- for the workers ---------------------------------------------------------------
    @property
    def runtime(self) -> Any:
        return self.kubelet.runtime

    def host_net(self) -> Any:
        return self.kubelet.host.net

    def ephemeral_port(self) -> int:
        return self.rng.randint(*_EPHEMERAL_PORTS)

    def schedule(self, delay: float, fn: Callable[[], Any]) -> Any:
        return self.kubelet.call_later(delay, fn)   # the kubelet's timer: it ends when the kubelet stops

    def current_pod(self, pod: dict) -> dict:
        return self._pods.get(_uid(pod), pod)

    def container_state(self, pod: dict, name: str) -> ContainerState | None:
        return self._containers.get((_uid(pod), name))

    def worker_exited(self, worker: ProbeWorker) -> None:
        key = (_uid(worker.pod), worker.name, worker.kind)
        if self._workers.get(key) is worker:
            del self._workers[key]

    def results_remove(self, kind: str, container_id: str) -> None:
        self._results[kind].pop(container_id, None)

    def results_set(self, worker: ProbeWorker, result: str) -> None:
        """results.Manager.Set: record, and tell the kubelet only when the value changed."""
        if not worker.container_id:
            return
        table = self._results[worker.kind]
        if table.get(worker.container_id) == result:
            return
        table[worker.container_id] = result
        uid, name, pod_key = _uid(worker.pod), worker.name, _pod_key(worker.pod)
        if worker.kind == ps.STARTUP and result == ps.SUCCESS:
            self._trigger_readiness(uid, name)
        if worker.kind != ps.LIVENESS and self.on_change is not None:
            self.schedule(0.0, lambda: self.on_change(pod_key))
        state = self._containers.get((uid, name))
        running = state is not None and state.running and state.container_id == worker.container_id
        # only a running container is killed; an exited one is the pod sync's business already
        if worker.kind != ps.READINESS and result == ps.FAILURE and running and \
                self.on_liveness_failure is not None:
            message = self._kill_message(worker)
            self.schedule(0.0, lambda: self.on_liveness_failure(pod_key, name, message))

    def report(self, worker: ProbeWorker, result: str, output: str, err: str | None) -> str | None:
        """prober.probe: record the run's event; the verdict (success/failure), None on error."""
        kind = worker.kind
        if err is not None:
            self._event(worker, "Unhealthy", f"{kind} probe errored and resulted in {result} state: {err}")
            return None
        if result == ps.SUCCESS:
            return ps.SUCCESS
        if result == ps.WARNING:
            self._event(worker, "ProbeWarning", f"{kind} probe warning: {output}")
            return ps.SUCCESS
        if result == ps.FAILURE:
            self._event(worker, "Unhealthy", f"{kind} probe failed: {output}")
        return ps.FAILURE   # unknown without an error also counts as a failure

    # -- internals ---------------------------------------------------------------------
    def _trigger_readiness(self, uid: str, name: str) -> None:
        worker = self._workers.get((uid, name, ps.READINESS))
        if worker is not None:
            worker.trigger()

    def _kill_message(self, worker: ProbeWorker) -> str:
        message = f"Container {worker.name} failed {worker.kind.lower()} probe"
        policy = (worker.pod.get("spec") or {}).get("restartPolicy") or "Always"
        restartable = worker.init_container and worker.container.get("restartPolicy") == "Always"
        if policy != "Never" or restartable:
            message += ", will be restarted"
        return message

    def _event(self, worker: ProbeWorker, reason: str, message: str) -> None:
        recorder = self.kubelet.recorder
        if not self.kubelet.running:
            return
        pod = worker.pod
        if "kind" not in pod:
            pod = {"apiVersion": "v1", "kind": "Pod", **pod}
        field = "spec.initContainers" if worker.init_container else "spec.containers"
        recorder.event(pod, "Warning", reason, message, field_path=f"{field}{{{worker.name}}}")


def _uid(pod: dict) -> str:
    return str((pod.get("metadata") or {}).get("uid") or "")


def _pod_key(pod: dict) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace') or 'default'}/{meta.get('name')}"


__all__ = ["ProbeManager", "ContainerState"]
