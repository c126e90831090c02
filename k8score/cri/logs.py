"""Container log files as the runtime writes them, and the paths the kubelet asks for.

**Paths** (pkg/kubelet/kuberuntime/helpers.go ``BuildPodLogsDirectory``,
``BuildContainerLogsDirectory``; kuberuntime_container.go ``legacyLogSymlink``):

- pod log directory ``/var/log/pods/<namespace>_<name>_<uid>`` (``PodSandboxConfig.logDirectory``);
- container log ``<container>/<restartCount>.log`` under it (``ContainerConfig.logPath``);
- the legacy link ``/var/log/containers/<pod>_<namespace>_<container>-<id>.log`` (what log
  shippers tail). Our host filesystem has no symlinks: the link is the *same file* entered in
  both directories (a hard link), so it shows every line as the real symlink does.

**Line format** (the CRI logging format, k8s.io/cri-api ``LogTagFull``/``LogTagPartial``;
containerd ``internal/cri/io/logger.go`` ``redirectLogs``; CRI-O's conmon
``src/ctr_logging.c`` ``set_k8s_timestamp``)::

    <timestamp> <stdout|stderr> <F|P> <text>

``F`` ends a line the program terminated with ``\\n``; ``P`` is a fragment — text still
unterminated when the stream closed (the container exited). Timestamps differ by runtime:
containerd formats with Go's ``time.RFC3339Nano`` (trailing zeros of the fraction dropped,
``Z`` for UTC): ``2026-01-01T00:00:05.25Z``; conmon prints nine digits and a numeric offset:
``2026-01-01T00:00:05.250000000+00:00``. Nodes run in UTC here.

>>> containerd_timestamp(5.25), crio_timestamp(5.25)
('2026-01-01T00:00:05.25Z', '2026-01-01T00:00:05.250000000+00:00')
>>> parse_line("2026-01-01T00:00:05Z stdout F hello")
('2026-01-01T00:00:05Z', 'stdout', 'F', 'hello')
"""

from __future__ import annotations

import datetime as _dt
import posixpath
from typing import Any, Callable

from ..sim.clock import EPOCH

POD_LOGS_ROOT = "/var/log/pods"
#: pkg/kubelet/kuberuntime/kuberuntime_container.go: legacyContainerLogsDir
LEGACY_CONTAINER_LOGS_DIR = "/var/log/containers"
#: kuberuntime_container.go: ext4MaxFileNameLen — the link name is cut to fit
_EXT4_MAX_FILENAME = 255


def pod_logs_directory(namespace: str, name: str, uid: str) -> str:
    """helpers.go BuildPodLogsDirectory: ``/var/log/pods/<ns>_<name>_<uid>``."""
    return posixpath.join(POD_LOGS_ROOT, f"{namespace}_{name}_{uid}")


def container_log_path(container: str, restart_count: int) -> str:
    """kuberuntime_container.go generateContainerConfig: ``<container>/<restartCount>.log``."""
    return f"{container}/{restart_count}.log"


def legacy_log_symlink(container_id: str, container: str, pod: str, namespace: str) -> str:
    """kuberuntime_container.go legacyLogSymlink/logSymlink (name cut to ext4's 255 bytes)."""
    name = f"{pod}_{namespace}_{container}-{container_id}"
    name = name[: _EXT4_MAX_FILENAME - len(".log")]
    return posixpath.join(LEGACY_CONTAINER_LOGS_DIR, name + ".log")


def _split(seconds: float) -> tuple[str, int]:
    total = round(seconds * 1_000_000_000)
    secs, nanos = divmod(total, 1_000_000_000)
    base = (EPOCH + _dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%S")
    return base, nanos


def containerd_timestamp(seconds: float) -> str:
    """Go ``time.RFC3339Nano`` in UTC (containerd internal/cri/io/logger.go timestampFormat)."""
    base, nanos = _split(seconds)
    frac = f"{nanos:09d}".rstrip("0")
    return f"{base}.{frac}Z" if frac else f"{base}Z"


def crio_timestamp(seconds: float) -> str:
    """conmon set_k8s_timestamp: ``%Y-%m-%dT%H:%M:%S.%09ld`` plus ``+HH:MM``."""
    base, nanos = _split(seconds)
    return f"{base}.{nanos:09d}+00:00"


def parse_line(line: str) -> tuple[str, str, str, str]:
    """Split a CRI log line into ``(timestamp, stream, tag, text)`` (kubelet pkg/kubelet/kuberuntime/logs)."""
    ts, stream, tag, text = (line.split(" ", 3) + ["", "", ""])[:4]
    return ts, stream, tag, text


class LogWriter:
    """Both streams of one container into one log file on the host (containerd's serial writer).

    ``write(stream, text)`` buffers per stream until a newline; ``close()`` flushes what is
    left as a ``P`` line. ``listeners`` get ``(stream, text)`` live (``Attach``, ``logs -f``).
    A write into a directory that is gone (pod removed) is dropped, as containerd logs
    "Fail to write ... to log file" and drains the container's output anyway.
    """

    def __init__(self, fs: Any, path: str, clock: Callable[[], float], stamp: Callable[[float], str]):
        self.fs = fs
        self.path = path
        self.clock = clock
        self.stamp = stamp
        self.listeners: list[Callable[[str, str], Any]] = []
        self._pending = {"stdout": "", "stderr": ""}
        self.closed = False
        try:
            fs.mkdir(posixpath.dirname(path), parents=True)
            if not fs.exists(path):
                fs.write(path, "")
        except OSError:
            pass

    def sink(self, stream: str) -> Callable[[str], None]:
        return lambda text: self.write(stream, text)

    def write(self, stream: str, text: str) -> None:
        if self.closed or not text:
            return
        for fn in list(self.listeners):
            fn(stream, text)
        data = self._pending[stream] + text
        *lines, rest = data.split("\n")
        self._pending[stream] = rest
        for line in lines:
            self._emit(stream, "F", line)

    def close(self) -> None:
        """The container exited: an unterminated last line is written as partial (``P``)."""
        if self.closed:
            return
        for stream in ("stdout", "stderr"):
            if self._pending[stream]:
                self._emit(stream, "P", self._pending[stream])
                self._pending[stream] = ""
        self.closed = True

    def _emit(self, stream: str, tag: str, line: str) -> None:
        try:
            self.fs.write(self.path, f"{self.stamp(self.clock())} {stream} {tag} {line}\n", append=True)
        except OSError:
            pass


def hard_link(fs: Any, src: str, dst: str) -> bool:
    """Enter the file at ``src`` under the name ``dst`` too (both names share one file).

    Uses the filesystem's node lookup: :class:`k8score.container.fs.FileSystem` has no link
    operation, and the legacy log link must follow the growing file.
    """
    try:
        node = fs._node(src)                                    # noqa: SLF001 - see docstring
        fs.mkdir(posixpath.dirname(dst), parents=True)
        parent = fs._node(posixpath.dirname(dst))               # noqa: SLF001
        parent.entries[posixpath.basename(dst)] = node
        return True
    except (OSError, AttributeError):
        return False


__all__ = ["pod_logs_directory", "container_log_path", "legacy_log_symlink", "containerd_timestamp",
           "crio_timestamp", "parse_line", "LogWriter", "hard_link", "LEGACY_CONTAINER_LOGS_DIR"]
