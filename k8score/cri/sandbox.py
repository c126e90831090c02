"""Pod sandboxes (cri-api ``RunPodSandbox``, ``StopPodSandbox``, ``RemovePodSandbox``,
``PodSandboxStatus``, ``ListPodSandbox``).

A sandbox is the pod's pause container and network namespace. ``RunPodSandbox`` runs the
CNI plugin, which hands out the next free IP of the node's pod CIDR (host-local IPAM: the
``.1`` address is the bridge's gateway, pods get ``.2`` onwards, and the allocator continues
after the last address it gave, wrapping around), attaches the namespace to the cluster
:class:`~k8score.container.net.Network` (when the runtime has one) with the sandbox's DNS
settings, and writes the pod's ``resolv.conf`` from ``config["dnsConfig"]`` the way containerd
does (``internal/cri/server/sandbox_run_linux.go`` parseDNSOptions: a ``search`` line, one
``nameserver`` line per server, an ``options`` line).

A sandbox whose ``linux.securityContext.namespaceOptions.network`` is ``NODE`` (a
``hostNetwork: true`` pod) gets no network namespace of its own: no CNI call, so it does not
wait for the pod network; its IP is the node's and its containers share the node's
:class:`~k8score.container.net.PodNet` (``Host.net``), as containerd does for host-network pods.

``StopPodSandbox`` kills the pod's containers at once (SIGKILL: the kubelet stopped them
gracefully before) and releases the IP (CNI DEL). A mixin of :class:`~k8score.cri.runtime.RuntimeBase`.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Callable

from ..container.process import SIGKILL
from ..network.resolvconf import podnet_options, render_resolv_conf
from .errors import CRIError

#: Simulated time for the pause container + CNI ADD (virtual seconds).
SANDBOX_SECONDS = 0.25


def _network_mode(config: dict) -> str:
    opts = ((config.get("linux") or {}).get("securityContext") or {}).get("namespaceOptions") or {}
    return opts.get("network", "POD")


def _pod_hosts(net: Any) -> range | list[int]:
    """The addresses the bridge CNI (host-local IPAM) gives pods, as ints: the network's hosts
    without the first (.1 is the bridge, the gateway). A ``range``, so membership and position
    cost O(1) instead of listing 253 addresses (65,533 for a /16) per sandbox; tiny networks,
    where ``hosts()`` has special cases (/31, /32, /127, /128), are listed."""
    if net.num_addresses <= 4:
        return [int(h) for h in net.hosts()][1:]
    first = int(net.network_address) + 1   # hosts() starts after the network address ...
    last = int(net.broadcast_address) - (1 if net.version == 4 else 0)   # ... IPv4 also drops broadcast
    return range(first + 1, last + 1)

class Sandbox:
    """One pod sandbox (what ``PodSandboxStatus`` reports)."""

    def __init__(self, sid: str, config: dict, ip: str, created: float):
        self.id = sid
        self.config = config
        self.metadata = dict(config.get("metadata") or {})
        self.state = "SANDBOX_READY"
        self.created = created
        self.ip = ip
        self.net: Any = None          # the pod's PodNet on the cluster network, if any
        self.host_network = _network_mode(config) == "NODE"
        self.resolv = render_resolv_conf(config.get("dnsConfig")) if config.get("dnsConfig") else None

    def status_message(self, ns: Callable[[float], int]) -> dict:
        opts = ((self.config.get("linux") or {}).get("securityContext") or {}).get("namespaceOptions") or {}
        return {"id": self.id, "metadata": dict(self.metadata), "state": self.state,
                "createdAt": ns(self.created), "network": {"ip": self.ip, "additionalIps": []},
                "linux": {"namespaces": {"options": {"network": opts.get("network", "POD"),
                                                     "pid": opts.get("pid", "CONTAINER"),
                                                     "ipc": opts.get("ipc", "POD")}}},
                "labels": dict(self.config.get("labels") or {}),
                "annotations": dict(self.config.get("annotations") or {}), "runtimeHandler": ""}

    def list_message(self, ns: Callable[[float], int]) -> dict:
        return {"id": self.id, "metadata": dict(self.metadata), "state": self.state,
                "createdAt": ns(self.created), "labels": dict(self.config.get("labels") or {}),
                "annotations": dict(self.config.get("annotations") or {}), "runtimeHandler": ""}


class SandboxMixin:
    def run_pod_sandbox(self, config: dict, callback: Callable[[dict | None, CRIError | None], Any],
                        runtime_handler: str = "") -> None:
        """Create the pod's sandbox; ``callback(PodSandboxStatus, None)`` or ``callback(None, err)``.

        ``config`` is a ``PodSandboxConfig``: ``metadata`` (name, uid, namespace, attempt),
        ``hostname``, ``logDirectory``, ``dnsConfig`` (servers, searches, options), ``labels``,
        ``annotations``. The status's ``id`` is the sandbox ID (``RunPodSandboxResponse.podSandboxId``).
        """
        meta = config.get("metadata") or {}
        self._log("RunPodSandbox", f"{meta.get('namespace')}/{meta.get('name')}")
        if _network_mode(config) == "NODE":
            sandbox = Sandbox(self._new_id(), dict(config), self.host.ip, self.loop.now)
            sandbox.net = self.host.net
            self._later(SANDBOX_SECONDS * self.rng.uniform(0.8, 1.2), self._sandbox_ready, sandbox, callback)
            return
        if self._pod_cidr is None:
            err = CRIError("Unknown", 'failed to setup network for sandbox: plugin type="flannel" failed '
                                      '(add): loadFlannelSubnetEnv failed: open /run/flannel/subnet.env: '
                                      'no such file or directory')
            self._later(SANDBOX_SECONDS, callback, None, err)
            return
        sandbox_id = self._new_id()
        ip = self._allocate_ip(sandbox_id)
        if ip is None:
            err = CRIError("Unknown", f"failed to allocate for range 0: no IP addresses available in range "
                                      f"set: {self._pod_cidr}")
            self._later(SANDBOX_SECONDS, callback, None, err)
            return
        sandbox = Sandbox(sandbox_id, dict(config), ip, self.loop.now)
        self._later(SANDBOX_SECONDS * self.rng.uniform(0.8, 1.2), self._sandbox_ready, sandbox, callback)

    def _sandbox_ready(self, sandbox: Sandbox, callback: Callable[..., Any]) -> None:
        self.sandboxes[sandbox.id] = sandbox
        if self.network is not None and not sandbox.host_network:
            sandbox.net = self.network.attach(sandbox.ip, node=self.node_name,
                                              hostname=sandbox.config.get("hostname") or sandbox.metadata.get("name", ""),
                                              **podnet_options(sandbox.config.get("dnsConfig") or {}))
        log_dir = sandbox.config.get("logDirectory")
        if log_dir:
            self.host.fs.mkdir(log_dir, parents=True)
        self._emit(sandbox.id, sandbox.id, "CONTAINER_CREATED_EVENT")
        self._emit(sandbox.id, sandbox.id, "CONTAINER_STARTED_EVENT")
        callback(sandbox.status_message(self._ns), None)

    def _allocate_ip(self, sandbox_id: str) -> str | None:
        hosts = _pod_hosts(ipaddress.ip_network(self._pod_cidr))
        if not hosts:
            return None
        start = 0
        if self._last_ip is not None and self._last_ip in hosts:
            start = hosts.index(self._last_ip) + 1
        for i in range(len(hosts)):
            cand = hosts[(start + i) % len(hosts)]
            ip = str(ipaddress.ip_address(cand))
            if ip not in self._ip_used:
                self._ip_used[ip] = sandbox_id
                self._last_ip = cand
                return ip
        return None

    def stop_pod_sandbox(self, sandbox_id: str) -> None:
        """StopPodSandbox: kill what still runs, tear the network down; idempotent."""
        self._log("StopPodSandbox", sandbox_id[:13])
        self._stop_sandbox(sandbox_id)

    def _stop_sandbox(self, sandbox_id: str) -> None:
        sb = self.sandboxes.get(sandbox_id)
        if sb is None:
            return
        for c in list(self.containers.values()):
            if c.sandbox_id == sandbox_id and c.state == "CONTAINER_RUNNING" and c.process is not None:
                c.process.signal(SIGKILL)
        if sb.state == "SANDBOX_READY":
            sb.state = "SANDBOX_NOTREADY"
            self._emit(sb.id, sb.id, "CONTAINER_STOPPED_EVENT")
        if sb.ip and not sb.host_network and self._ip_used.get(sb.ip) == sandbox_id:
            del self._ip_used[sb.ip]  # the CNI DEL releases the address
            if self.network is not None and self.network.namespaces.get(sb.ip) is sb.net:
                self.network.detach(sb.ip)

    def remove_pod_sandbox(self, sandbox_id: str) -> None:
        """RemovePodSandbox: stop it if needed, remove its containers; removing twice succeeds."""
        self._log("RemovePodSandbox", sandbox_id[:13])
        if sandbox_id in self.sandboxes:
            self._stop_sandbox(sandbox_id)   # part of the same RPC, not a second call
            for cid in [cid for cid, c in self.containers.items() if c.sandbox_id == sandbox_id]:
                self._remove(cid)
            del self.sandboxes[sandbox_id]
            self._emit(sandbox_id, sandbox_id, "CONTAINER_DELETED_EVENT")

    def pod_sandbox_status(self, sandbox_id: str, verbose: bool = False) -> dict:
        """PodSandboxStatus; an unknown ID is ``NotFound`` as containerd reports it."""
        self._log("PodSandboxStatus", sandbox_id[:13])
        sb = self.sandboxes.get(sandbox_id)
        if sb is None:
            raise CRIError("NotFound", f'an error occurred when try to find sandbox "{sandbox_id}": not found')
        status = sb.status_message(self._ns)
        out: dict = {"status": status, "containersStatuses": [
            c.status_message(self) for c in self._sorted(x for x in self.containers.values()
                                                         if x.sandbox_id == sandbox_id)],
            "timestamp": self._ns(self.loop.now)}
        if verbose:
            out["info"] = {"pid": "1", "runtimeHandler": "", "cniResult": {"ip": sb.ip}}
        return out

    def list_pod_sandbox(self, filter: dict | None = None) -> list[dict]:   # noqa: A002 - the proto's name
        """ListPodSandbox; ``filter``: ``id``, ``state`` (``{"state": "SANDBOX_READY"}``), ``labelSelector``."""
        self._log("ListPodSandbox")
        f = filter or {}
        out = []
        for sb in sorted(self.sandboxes.values(), key=lambda s: (s.created, s.id)):
            if f.get("id") and not sb.id.startswith(f["id"]):
                continue
            if (f.get("state") or {}).get("state") not in (None, sb.state):
                continue
            labels = sb.config.get("labels") or {}
            if any(labels.get(k) != v for k, v in (f.get("labelSelector") or {}).items()):
                continue
            out.append(sb.list_message(self._ns))
        return out


__all__ = ["SandboxMixin", "Sandbox", "SANDBOX_SECONDS"]
