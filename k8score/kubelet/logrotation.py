"""The kubelet's container log manager: rotate CRI log files before they fill the disk.

Upstream ``pkg/kubelet/logs/container_log_manager.go``: every ``logMonitorPeriod`` (10 s) the
kubelet looks at each running container's log file; one larger than ``containerLogMaxSize``
(default ``10Mi``, pkg/kubelet/apis/config/v1beta1/defaults.go) is rotated: older rotated
files beyond ``containerLogMaxFiles`` (default 5, counting the live file) are removed, the
live file is renamed to ``<path>.<YYYYMMDD-hhmmss>`` (``timestampFormat = "20060102-150405"``)
and the runtime is told to ``ReopenContainerLog`` so later lines go to a fresh file. So
``kubectl logs`` shows only what was written since the last rotation, and a chatty container
costs at most ``maxSize × maxFiles`` on the node.

Not modelled: upstream gzips every rotated file but the newest (``<path>.<ts>.gz``); here
rotated files stay uncompressed (the model's files are text), which the sizes reflect.
"""

from __future__ import annotations

import posixpath
from typing import Any

from ..sim.clock import EPOCH

#: pkg/kubelet/apis/config/v1beta1/defaults.go: ContainerLogMaxSize "10Mi", ContainerLogMaxFiles 5
CONTAINER_LOG_MAX_SIZE = 10 * 1024 * 1024
CONTAINER_LOG_MAX_FILES = 5
#: pkg/kubelet/logs/container_log_manager.go: logMonitorPeriod
LOG_MONITOR_PERIOD = 10.0


def rotated_name(path: str, now: float) -> str:
    """``0.log`` -> ``0.log.20260101-000010`` (the virtual wall clock, UTC)."""
    import datetime as _dt
    t = EPOCH + _dt.timedelta(seconds=int(now))
    return f"{path}.{t.strftime('%Y%m%d-%H%M%S')}"


class ContainerLogManager:
    def __init__(self, kubelet: Any, max_size: int = CONTAINER_LOG_MAX_SIZE,
                 max_files: int = CONTAINER_LOG_MAX_FILES):
        self.kubelet = kubelet
        self.max_size = max_size
        self.max_files = max_files
        #: (virtual time, log path, rotated-to path) of each rotation, for explanations
        self.rotations: list[tuple[float, str, str]] = []

    def start(self) -> None:
        self.kubelet.every(LOG_MONITOR_PERIOD, self.rotate_logs)

    def rotate_logs(self) -> None:
        runtime, fs = self.kubelet.runtime, self.kubelet.host.fs
        for c in runtime.list_containers():
            if c.get("state") != "CONTAINER_RUNNING":
                continue
            status = runtime.container_status(c["id"]) or {}
            path = status.get("logPath")
            if not path or not fs.isfile(path) or fs.stat(path)["size"] < self.max_size:
                continue
            self._rotate(c["id"], path)

    def _rotate(self, container_id: str, path: str) -> None:
        fs = self.kubelet.host.fs
        directory, base = posixpath.split(path)
        rotated = sorted(n for n in fs.listdir(directory) if n.startswith(base + "."))
        # removeExcessLogs: keep max_files - 2 old ones (+ the one made now + the live file)
        keep = max(self.max_files - 2, 0)
        for name in rotated[: max(len(rotated) - keep, 0)]:
            fs.remove(posixpath.join(directory, name))
        target = rotated_name(path, self.kubelet.loop.now)
        fs.rename(path, target)
        try:
            self.kubelet.runtime.reopen_container_log(container_id)
        except Exception as exc:  # noqa: BLE001 - the container exited meanwhile: its file stays rotated
            self.kubelet.errors.handle(f"Failed to rotate log for container {container_id[:13]}", exc)
        self.rotations.append((self.kubelet.loop.now, path, target))
        self.kubelet.log("I", "container_log_manager.go:376", "Rotated container log", path=path, rotatedTo=target)
