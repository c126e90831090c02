"""A node's machine: its filesystem and its journal (CONTRACT; shared by kubelet, runtime and ``c.ssh``).

- ``fs``: the host's :class:`k8score.container.fs.FileSystem` — ``/etc/kubernetes/manifests``
  (static pods), ``/var/log/pods`` and ``/var/log/containers`` (container logs the runtime writes),
  ``/var/lib/kubelet/pods/<uid>/volumes/...`` (pod volumes, bind-mounted into containers);
- ``journal``: systemd-journald's records ``(virtual time, unit, message)``; the kubelet logs
  with :meth:`Host.log` (``journalctl -u kubelet`` prints them);
- ``net``: the host network namespace (a :class:`k8score.container.net.PodNet` at the node IP),
  from which the kubelet probes pods;
- ``watchers``: ``fn(path)`` callbacks told by :meth:`Host.notify` that a path changed (what
  inotify gives the kubelet's static pod source; ``c.ssh`` file commands notify);
- ``components``: the control-plane processes this machine runs as static pods
  (``{"kube-apiserver": ControlPlaneProcess, ...}``; empty on workers; see
  :mod:`k8score.node.controlplane`).
"""

from __future__ import annotations

from typing import Any

from ..container.fs import FileSystem

#: The nodes' kernel (Ubuntu 24.04's HWE kernel): the Node's ``nodeInfo.kernelVersion``, and what
#: ``uname -r`` prints in every container on it (containers share the host's kernel).
KERNEL_RELEASE = "6.8.0-85-generic"
KERNEL_VERSION = "#85-Ubuntu SMP PREEMPT_DYNAMIC"
MANIFESTS_DIR = "/etc/kubernetes/manifests"
POD_LOGS_DIR = "/var/log/pods"
CONTAINER_LOGS_DIR = "/var/log/containers"
KUBELET_PODS_DIR = "/var/lib/kubelet/pods"
_JOURNAL_MAX = 5000


class Host:
    def __init__(self, name: str, ip: str, loop: Any, net: Any = None):
        self.name = name
        self.ip = ip
        self.loop = loop
        self.fs = FileSystem(clock=lambda: loop.now)
        for d in (MANIFESTS_DIR, POD_LOGS_DIR, CONTAINER_LOGS_DIR, KUBELET_PODS_DIR):
            self.fs.mkdir(d, parents=True)
        self.fs.write("/etc/hostname", name + "\n")
        self.net = net
        self.journal: list[tuple[float, str, str]] = []
        self.watchers: list[Any] = []
        self.components: dict[str, Any] = {}

    def log(self, unit: str, message: str) -> None:
        """Append a journald record for ``unit`` (``kubelet``, ``containerd``...)."""
        self.journal.append((self.loop.now, unit, message))
        if len(self.journal) > _JOURNAL_MAX:
            del self.journal[: _JOURNAL_MAX // 5]

    def notify(self, path: str) -> None:
        """Tell the watchers that ``path`` was written, created or removed (inotify)."""
        for fn in list(self.watchers):
            fn(path)
