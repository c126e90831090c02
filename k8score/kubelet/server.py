"""The kubelet's own API on port 10250: container logs and exec (pkg/kubelet/server/server.go).

The API server never reads a container's log or runs a command in it itself: for
``pods/log`` and ``pods/exec`` it finds the pod's node and calls that node's kubelet
(see :mod:`k8score.apiserver.registry.podconnect`). This module is that kubelet endpoint:

- ``GET /containerLogs/<ns>/<pod>/<container>?previous&tailLines&limitBytes&timestamps&
  sinceSeconds&sinceTime&follow`` -> :meth:`KubeletServer.container_logs`. The kubelet picks
  the container instance from the pod's status exactly as ``validateContainerLogStatus``
  (pkg/kubelet/kubelet_pods.go) does, then reads the runtime's CRI log file on the node —
  ``/var/log/pods/<ns>_<name>_<uid>/<container>/<restartCount>.log``, one record a line:
  ``<RFC3339Nano> <stdout|stderr> <P|F> <text>`` (``P`` = partial line, continued by the next
  record) — as pkg/kubelet/kuberuntime/logs/logs.go ``ReadLogs`` does: ``tailLines`` counts
  records from the end of the file, ``limitBytes`` cuts the output, ``timestamps`` prefixes
  each line with its time in RFC3339Nano with nine digits.
- ``POST /exec/<ns>/<pod>/<container>?command=...`` -> :meth:`KubeletServer.exec`: the
  running container of that name is asked to run the command through the runtime's
  ``exec_sync``; the answer is an :class:`ExecStream` that completes on the virtual clock.
- ``POST /run/<ns>/<pod>/<container>?cmd=...`` -> :meth:`KubeletServer.run` (legacy: ``cmd``
  split on spaces, server.go getRun).
- ``GET /metrics/resource`` -> :meth:`KubeletServer.resource_metrics`: CPU and memory of the
  node, its pods and containers in Prometheus text (what metrics-server scrapes).

Errors are :class:`KubeletError` ``(HTTP code, plain-text body)`` — what the kubelet writes with
``response.WriteError`` — and the API server turns them into what ``kubectl`` shows.

Not modelled: ``follow`` returns what the file holds now (kubectl's ``-f`` loop lives in
:mod:`k8score.kubectl.logs`); exec's stdin is the whole input at once; the
``PodLogsQuerySplitStreams`` ``stream`` option (alpha, off by default).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable

from ..cri.errors import CRIError
from ..sim.clock import EPOCH

#: pkg/kubelet/apis/config/v1beta1/defaults.go: the kubelet's port (KubeletPort 10250)
KUBELET_PORT = 10250
_POD_LOGS = "/var/log/pods"


class KubeletError(Exception):
    """A non-2xx answer of the kubelet: ``code`` and the plain-text ``body``."""

    def __init__(self, code: int, body: str):
        super().__init__(body)
        self.code = code
        self.body = body


class ExecStream:
    """One exec session. ``done`` turns True when the command has exited (``exit_code``) or
    the session could not start (``failure``: the kubelet's plain-text error, which kubectl
    shows as ``error: unable to upgrade connection: <failure>``). ``stdout``/``stderr`` hold
    the command's output."""

    def __init__(self, command: list[str], container: str = ""):
        self.command = list(command)
        self.container = container
        self.stdout = ""
        self.stderr = ""
        self.exit_code: int | None = None
        self.failure: str | None = None
        self.internal = False
        self.done = False

    def _finish(self, stdout: str, stderr: str, exit_code: int | None) -> None:
        self.stdout, self.stderr, self.done = stdout or "", stderr or "", True
        self.exit_code = int(exit_code) if exit_code is not None else None

    def _fail(self, text: str, internal: bool = False) -> None:
        """``internal``: the session had started (the connection was upgraded) when the runtime
        failed — the streaming server answers an InternalError Status (kubectl: ``error: Internal
        error occurred: ...``); else the upgrade itself was refused."""
        self.failure, self.done, self.internal = text, True, internal

    def __repr__(self) -> str:
        state = "failed" if self.failure else ("exit %s" % self.exit_code if self.done else "running")
        return f"<ExecStream {self.command!r} {state}>"


class KubeletServer:
    """The kubelet API of one node.

    - ``host``: the node's :class:`~k8score.node.host.Host` (its ``fs`` holds the log files);
    - ``runtime``: the CRI runtime (its streaming ``exec``, else ``exec_sync``; ``container_status(id)``
      with the ``logPath``);
    - ``get_pod(namespace, name) -> dict | None``: the pod as this kubelet knows it, with the
      status it last generated (kubelet ``GetPodByName`` + status manager);
    - ``running() -> bool``: whether the kubelet process is up (a stopped kubelet refuses
      connections);
    - ``now() -> float``: the virtual clock (for ``sinceSeconds``).
    """

    def __init__(self, node_name: str, host: Any, runtime: Any,
                 get_pod: Callable[[str, str], dict | None],
                 running: Callable[[], bool] | None = None, now: Callable[[], float] | None = None):
        self.node_name = node_name
        self.host = host
        self.runtime = runtime
        self.get_pod = get_pod
        self._running = running or (lambda: True)
        self._now = now or (lambda: float(host.loop.now))

    @property
    def running(self) -> bool:
        return bool(self._running())

    @property
    def address(self) -> str:
        """``<node ip>:10250``, as errors of a refused connection name it."""
        return f"{self.host.ip or self.node_name}:{KUBELET_PORT}"

    # -- /containerLogs ------------------------------------------------------------------
    def container_logs(self, namespace: str, pod_name: str, container: str, options: dict | None = None) -> str:
        """The log text of ``container`` (server.go getContainerLogs + kubelet
        GetKubeletContainerLogs); raises :class:`KubeletError`."""
        opts = dict(options or {})
        pod = self.get_pod(namespace, pod_name)
        if pod is None:
            raise KubeletError(404, f'pod "{pod_name}" does not exist')
        if _container_spec(pod, container) is None:
            raise KubeletError(404, f'container "{container}" not found in pod "{pod_name}"')
        previous = _flag(opts.get("previous"))
        status, cid, attempt = _log_container(pod, container, previous)
        path = self._log_path(pod, container, cid, attempt)
        try:
            raw = self.host.fs.read(path)
        except OSError:
            # kuberuntime/logs ReadLogs: the path is resolved first (fs.EvalSymlinks)
            raise KubeletError(400, f'failed to try resolving symlinks in path "{path}": lstat {path}: '
                                    "no such file or directory") from None
        return render_log(raw, opts, self._now())

    def _log_path(self, pod: dict, container: str, container_id: str, attempt: int) -> str:
        # kuberuntime_container.go GetContainerLogs: the runtime's ContainerStatus names the file;
        # without one, the path the kubelet gave the runtime (BuildContainerLogsDirectory + attempt)
        raw_id = container_id.split("://", 1)[-1]
        if raw_id:
            try:
                st = self.runtime.container_status(raw_id)
            except Exception:  # a runtime that lost the container: fall back to the convention
                st = None
            if isinstance(st, dict):
                path = st.get("logPath") or (st.get("status") or {}).get("logPath")
                if isinstance(path, str) and path.startswith("/"):
                    return path
        meta = pod.get("metadata") or {}
        return (f"{_POD_LOGS}/{meta.get('namespace', 'default')}_{meta.get('name', '')}_{meta.get('uid', '')}"
                f"/{container}/{attempt}.log")

    # -- /exec and /run ---------------------------------------------------------------------
    def exec(self, namespace: str, pod_name: str, container: str, command: list[str],
             timeout: float = 0, stdin: str = "", tty: bool = False) -> ExecStream:
        """Run ``command`` in the running ``container`` (kubelet GetExec + the runtime's exec).
        The runtime's streaming ``exec`` (with ``stdin``/``tty``) is used when it has one, as
        upstream; else ``exec_sync`` (``timeout`` 0 means none, as ``ExecSyncRequest``)."""
        stream = ExecStream(command, container)
        pod = self.get_pod(namespace, pod_name)
        if pod is None:
            stream._fail("pod does not exist")  # server.go getExec: 404 "pod does not exist"
            return stream
        cid = _running_container_id(pod, container)
        if not cid:
            # kubelet_pods.go GetExec -> findContainer: no running container of that name
            stream._fail(f'container not found ("{container}")')
            return stream
        raw = cid.split("://", 1)[-1]

        def failed(e: Any) -> None:
            desc = e.desc if isinstance(e, CRIError) else str(e)
            if "failed to start exec" in desc:
                # the session was upgraded, then the process failed to start (no such executable):
                # the streaming server's "error executing command in container: ..." (cri/streaming)
                stream._fail(f"error executing command in container: {desc}", internal=True)
            else:
                # the runtime's Exec RPC refused (container not running): before the upgrade
                stream._fail(desc)
        try:
            if hasattr(self.runtime, "exec"):
                self.runtime.exec(raw, list(command), stream._finish, stdin=stdin, tty=tty, on_error=failed)
            else:   # tests/test_kubectl_logs_exec.py's stand-in runtime has ExecSync only
                self.runtime.exec_sync(raw, list(command), timeout, stream._finish)
        except Exception as e:
            failed(e)
        return stream

    # -- /metrics/resource -------------------------------------------------------------------
    def resource_metrics(self) -> str:
        """``GET /metrics/resource``: the Prometheus text metrics-server scrapes
        (pkg/kubelet/metrics/collectors/resource_metrics.go), read from the runtime's CRI stats
        (``ListContainerStats``): per container cumulative CPU core-seconds, working set and start
        time; per pod and for the node the sums; ``resource_scrape_error`` 0. Families come in
        name order, samples carry the stats' timestamp in milliseconds."""
        if not self.running:
            raise KubeletError(503, "kubelet is not running")
        stats = self.runtime.list_container_stats() if hasattr(self.runtime, "list_container_stats") else []
        rows: list[tuple[str, str, str, float, int, int]] = []   # ns, pod, container, cpu s, ws, ts ms
        starts: dict[tuple[str, str, str], float] = {}
        for st in stats:
            labels = (st.get("attributes") or {}).get("labels") or {}
            ns, pod = labels.get("io.kubernetes.pod.namespace"), labels.get("io.kubernetes.pod.name")
            name = labels.get("io.kubernetes.container.name")
            if not (ns and pod and name):
                continue
            cpu, mem = st.get("cpu") or {}, st.get("memory") or {}
            ts = int(cpu.get("timestamp") or 0) // 1_000_000
            rows.append((ns, pod, name, int(cpu["usageCoreNanoSeconds"]["value"]) / 1e9,
                         int(mem["workingSetBytes"]["value"]), ts))
            c = getattr(self.runtime, "containers", {}).get((st.get("attributes") or {}).get("id"))
            if c is not None and getattr(c, "started", None) is not None:
                starts[(ns, pod, name)] = EPOCH.timestamp() + c.started
        rows.sort()
        now_ms = int((EPOCH.timestamp() + self._now()) * 1000)
        pods: dict[tuple[str, str], list[float]] = {}
        for ns, pod, _, cpu_s, ws, _ts in rows:
            agg = pods.setdefault((ns, pod), [0.0, 0])
            agg[0] += cpu_s
            agg[1] += ws
        out: list[str] = []

        def family(name: str, kind: str, help_text: str, samples: list[str]) -> None:
            out.append(f"# HELP {name} [STABLE] {help_text}")
            out.append(f"# TYPE {name} {kind}")
            out.extend(samples)

        def lbl(ns: str, pod: str, name: str | None = None) -> str:
            return (f'{{container="{name}",namespace="{ns}",pod="{pod}"}}' if name is not None
                    else f'{{namespace="{ns}",pod="{pod}"}}')
        family("container_cpu_usage_seconds_total", "counter",
               "Cumulative cpu time consumed by the container in core-seconds",
               [f"container_cpu_usage_seconds_total{lbl(ns, p, n)} {_num(cpu_s)} {ts}" for ns, p, n, cpu_s, _, ts in rows])
        family("container_memory_working_set_bytes", "gauge", "Current working set of the container in bytes",
               [f"container_memory_working_set_bytes{lbl(ns, p, n)} {ws} {ts}" for ns, p, n, _, ws, ts in rows])
        family("container_start_time_seconds", "gauge", "Start time of the container since unix epoch in seconds",
               [f"container_start_time_seconds{lbl(ns, p, n)} {_num(starts[(ns, p, n)])} {ts}"
                for ns, p, n, _, _, ts in rows if (ns, p, n) in starts])
        family("node_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed by the node in core-seconds",
               [f"node_cpu_usage_seconds_total {_num(sum(r[3] for r in rows))} {now_ms}"])
        family("node_memory_working_set_bytes", "gauge", "Current working set of the node in bytes",
               [f"node_memory_working_set_bytes {sum(r[4] for r in rows)} {now_ms}"])
        family("pod_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed by the pod in core-seconds",
               [f"pod_cpu_usage_seconds_total{lbl(ns, p)} {_num(v[0])} {now_ms}" for (ns, p), v in pods.items()])
        family("pod_memory_working_set_bytes", "gauge", "Current working set of the pod in bytes",
               [f"pod_memory_working_set_bytes{lbl(ns, p)} {v[1]} {now_ms}" for (ns, p), v in pods.items()])
        family("resource_scrape_error", "gauge", "1 if there was an error while getting container metrics, 0 otherwise",
               ["resource_scrape_error 0"])
        return "\n".join(out) + "\n"

    def run(self, namespace: str, pod_name: str, container: str, cmd: str) -> ExecStream:
        """server.go getRun: for legacy reasons ``cmd`` is one string split on spaces."""
        return self.exec(namespace, pod_name, container, cmd.split(" "))


# -- which container instance (kubelet_pods.go validateContainerLogStatus) -----------------
def _container_spec(pod: dict, name: str) -> dict | None:
    spec = pod.get("spec") or {}
    for key in ("containers", "initContainers", "ephemeralContainers"):
        for c in spec.get(key) or ():
            if isinstance(c, dict) and c.get("name") == name:
                return c
    return None


def _container_status(pod: dict, name: str) -> dict | None:
    status = pod.get("status") or {}
    for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        for s in status.get(key) or ():
            if isinstance(s, dict) and s.get("name") == name:
                return s
    return None


def _log_container(pod: dict, name: str, previous: bool) -> tuple[dict, str, int]:
    """(status, container id, attempt) whose log to read, or the kubelet's error (400)."""
    pod_name = (pod.get("metadata") or {}).get("name", "")
    st = _container_status(pod, name)
    if st is None:
        raise KubeletError(400, f'container "{name}" in pod "{pod_name}" is not available')
    state = st.get("state") or {}
    last = (st.get("lastState") or {}).get("terminated")
    restarts = int(st.get("restartCount") or 0)
    if previous:
        if not last or not last.get("containerID"):
            raise KubeletError(400, f'previous terminated container "{name}" in pod "{pod_name}" not found')
        return st, last["containerID"], max(restarts - 1, 0)
    if state.get("running") is not None:
        return st, st.get("containerID") or "", restarts
    if state.get("terminated") is not None:
        term = state["terminated"]
        if term.get("containerID"):
            return st, term["containerID"], restarts
        if last and last.get("containerID"):
            return st, last["containerID"], max(restarts - 1, 0)
        raise KubeletError(400, f'container "{name}" in pod "{pod_name}" is terminated')
    if last is not None:
        if not last.get("containerID"):
            raise KubeletError(400, f'container "{name}" in pod "{pod_name}" is terminated')
        return st, last["containerID"], max(restarts - 1, 0)
    waiting = state.get("waiting")
    if waiting is not None:
        reason = waiting.get("reason") or ""
        # pkg/kubelet/images/types.go ErrImagePull / ErrImagePullBackOff get friendlier words
        text = {"ErrImagePull": "image can't be pulled",
                "ImagePullBackOff": "trying and failing to pull image"}.get(reason, reason)
        raise KubeletError(400, f'container "{name}" in pod "{pod_name}" is waiting to start: {text}')
    raise KubeletError(400, f'container "{name}" in pod "{pod_name}" is waiting to start - no logs yet')


def _running_container_id(pod: dict, name: str) -> str:
    st = _container_status(pod, name)
    if st is None or (st.get("state") or {}).get("running") is None:
        return ""
    return st.get("containerID") or ""


# -- the CRI log format (kuberuntime/logs/logs.go) -----------------------------------------
def parse_cri_line(line: str) -> tuple[str, str, bool, str] | None:
    """``(timestamp, stream, partial, text)`` of one record, None if malformed (skipped, as
    ReadLogs skips lines its parser rejects)."""
    parts = line.split(" ", 3)
    if len(parts) < 3 or parts[1] not in ("stdout", "stderr") or parts[2] not in ("P", "F"):
        return None
    return parts[0], parts[1], parts[2] == "P", parts[3] if len(parts) > 3 else ""


def _stamp(ts: str) -> tuple[float, str]:
    """(virtual seconds, RFC3339Nano with nine digits — logs.go timeFormatOut) of a record's time."""
    base, _, frac = ts.rstrip("Z").partition(".")
    try:
        t = _dt.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        return 0.0, ts
    digits = (frac + "000000000")[:9]
    return (t - EPOCH).total_seconds() + int(digits) / 1e9, f"{base}.{digits}Z"


def render_log(raw: str, options: dict, now: float) -> str:
    """The text the kubelet streams for a CRI log file's content ``raw`` and PodLogOptions."""
    records = [r for r in (parse_cri_line(line) for line in raw.split("\n") if line) if r is not None]
    tail = _int(options.get("tailLines"))
    if tail is not None and tail >= 0:
        records = records[len(records) - tail:] if tail else []
    since = None
    if _int(options.get("sinceSeconds")) is not None:
        since = now - _int(options.get("sinceSeconds"))  # type: ignore[operator]
    elif options.get("sinceTime"):
        since = _stamp(str(options["sinceTime"]))[0]
    stamps = _flag(options.get("timestamps"))
    out: list[str] = []
    pending = ""
    for ts, _stream, partial, text in records:
        secs, fixed = _stamp(ts)
        if since is not None and secs < since:
            continue
        if not pending and stamps:
            pending = fixed + " "
        pending += text
        if not partial:
            out.append(pending + "\n")
            pending = ""
    if pending:
        out.append(pending)
    text = "".join(out)
    limit = _int(options.get("limitBytes"))
    if limit is not None and limit > 0:
        text = text.encode()[:limit].decode(errors="ignore")
    return text


def _num(x: float) -> str:
    """A Prometheus sample value: Go's strconv.FormatFloat(x, 'g', -1, 64) for plain numbers."""
    return repr(float(x)) if x != int(x) else str(int(x))


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
