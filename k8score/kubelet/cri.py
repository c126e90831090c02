"""A simulated container runtime with the shape of the CRI (k8s.io/cri-api ``runtime/v1/api.proto``).

The kubelet never runs containers itself: it asks a runtime over the Container Runtime
Interface, a gRPC API with two services. This class offers the same calls, named after
the RPCs, and behaves like containerd with runc and a CNI plugin:

- **ImageService**: ``pull_image``, ``list_images``, ``image_status``, ``remove_image``;
- **RuntimeService**: ``version``, ``status``, ``update_runtime_config``,
  ``run_pod_sandbox`` / ``stop_pod_sandbox`` / ``remove_pod_sandbox`` / ``list_pod_sandbox``,
  ``create_container`` / ``start_container`` / ``stop_container`` / ``remove_container``,
  ``list_containers``, ``container_status``.

Calls that take time complete through a callback on the virtual clock: pulling an image
takes its (invented, stable) size over a seeded download speed; starting a sandbox runs the
CNI plugin, which hands out the next free IP of the node's pod CIDR (host-local IPAM: the
``.1`` address is the bridge's gateway, pods get ``.2`` onwards). Images whose name says
they do not exist (``doesnotexist``, ``nonexistent``, ``notfound``) — or any added with
:meth:`ContainerRuntime.forbid_image` — fail to pull with containerd's error text.
Every call is appended to :attr:`ContainerRuntime.calls` for explanations.
"""

from __future__ import annotations

import ipaddress
import random
from typing import Any, Callable

from . import images as img

RUNTIME_NAME = "containerd"
RUNTIME_VERSION = "2.1.4"
RUNTIME_API_VERSION = "v1"
#: containerd 2.x's default sandbox ("pause") image (config: sandbox_image / pinned image).
PAUSE_IMAGE = "registry.k8s.io/pause:3.10"

_MISSING_WORDS = ("doesnotexist", "nonexistent", "notfound", "does-not-exist")
#: Simulated timings (virtual seconds). Registry round trip before the first byte,
#: a per-runtime download speed drawn once from the seeded RNG, and small runc/CNI costs.
_REGISTRY_RTT = 0.4
_SANDBOX_SECONDS = 0.25
_CREATE_SECONDS = 0.05
_START_SECONDS = 0.08
_STOP_SECONDS = 0.12


class CRIError(Exception):
    """A failed CRI call (a gRPC status: ``code`` and ``desc``)."""

    def __init__(self, code: str, desc: str):
        super().__init__(f"rpc error: code = {code} desc = {desc}")
        self.code = code
        self.desc = desc


class ContainerRuntime:
    def __init__(self, loop: Any, node_name: str = "", seed: int | None = None):
        self.loop = loop
        self.node_name = node_name
        self.rng = random.Random(loop.rng.getrandbits(64) if seed is None else seed)
        self.bandwidth = self.rng.uniform(12e6, 25e6)  # bytes/s from the registry
        self.images: dict[str, dict] = {}        # normalized ref -> Image
        self.sandboxes: dict[str, dict] = {}     # id -> PodSandbox
        self.containers: dict[str, dict] = {}    # id -> Container
        self.calls: list[tuple[float, str, str]] = []
        self._forbidden: dict[str, None] = {}
        self._pod_cidr: str | None = None
        self._ip_used: dict[str, str] = {}       # ip -> sandbox id
        self._last_ip: int | None = None
        self._add_image(PAUSE_IMAGE)             # pinned: present from the start

    # -- bookkeeping ---------------------------------------------------------------
    def _log(self, call: str, detail: str = "") -> None:
        self.calls.append((self.loop.now, call, detail))
        if len(self.calls) > 2000:
            del self.calls[:500]

    def _new_id(self) -> str:
        return f"{self.rng.getrandbits(256):064x}"

    def _later(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        self.loop.call_later(delay, fn, *args, owner=f"{RUNTIME_NAME}/{self.node_name}")

    def _add_image(self, image: str) -> dict:
        ref = img.normalize(image)
        entry = {"id": img.image_id(ref), "repoTags": [ref], "repoDigests": [img.repo_digest(ref)],
                 "size": str(img.image_size(ref)), "pinned": ref == PAUSE_IMAGE}
        self.images[ref] = entry
        return entry

    def forbid_image(self, image: str) -> None:
        """Make pulls of ``image`` fail as if the registry did not have it."""
        self._forbidden[img.normalize(image)] = None

    def _exists_in_registry(self, ref: str) -> bool:
        low = ref.lower()
        return ref not in self._forbidden and not any(w in low for w in _MISSING_WORDS)

    # -- RuntimeService: runtime ---------------------------------------------------
    def version(self) -> dict:
        self._log("Version")
        return {"version": "0.1.0", "runtimeName": RUNTIME_NAME, "runtimeVersion": RUNTIME_VERSION,
                "runtimeApiVersion": RUNTIME_API_VERSION}

    def status(self) -> dict:
        """RuntimeReady always; NetworkReady once the CNI has a pod CIDR to hand out."""
        net = {"type": "NetworkReady", "status": self._pod_cidr is not None}
        if self._pod_cidr is None:
            net.update(reason="NetworkPluginNotReady",
                       message="Network plugin returns error: cni plugin not initialized")
        return {"conditions": [{"type": "RuntimeReady", "status": True}, net]}

    def update_runtime_config(self, pod_cidr: str) -> None:
        self._log("UpdateRuntimeConfig", f"podCIDR={pod_cidr}")
        if pod_cidr != self._pod_cidr:
            self._pod_cidr = pod_cidr
            self._last_ip = None

    # -- ImageService ----------------------------------------------------------------
    def list_images(self) -> list[dict]:
        self._log("ListImages")
        return [dict(v) for _, v in sorted(self.images.items())]

    def image_status(self, image: str) -> dict | None:
        self._log("ImageStatus", image)
        entry = self.images.get(img.normalize(image))
        return dict(entry) if entry else None

    def remove_image(self, image: str) -> None:
        self._log("RemoveImage", image)
        self.images.pop(img.normalize(image), None)

    def pull_image(self, image: str, callback: Callable[[str | None, CRIError | None], Any]) -> float:
        """Start a pull; ``callback(image_ref, None)`` or ``callback(None, error)`` later.

        Returns how long the pull will take (virtual seconds).
        """
        self._log("PullImage", image)
        ref = img.normalize(image)
        if not self._exists_in_registry(ref):
            delay = _REGISTRY_RTT + self.rng.uniform(0.3, 1.2)
            err = CRIError("NotFound", f'failed to pull and unpack image "{ref}": failed to resolve '
                                       f'reference "{ref}": {ref}: not found')
            self._later(delay, callback, None, err)
            return delay
        size = img.image_size(ref)
        if ref in self.images:
            # Layers already unpacked: containerd only resolves the manifest again.
            delay = round(_REGISTRY_RTT * self.rng.uniform(0.6, 1.0), 6)
        else:
            delay = round(_REGISTRY_RTT + size / self.bandwidth * self.rng.uniform(0.9, 1.1), 6)
        self._later(delay, self._pulled, ref, callback)
        return delay

    def _pulled(self, ref: str, callback: Callable[[str | None, CRIError | None], Any]) -> None:
        entry = self.images.get(ref) or self._add_image(ref)
        callback(entry["id"], None)

    # -- RuntimeService: sandboxes ------------------------------------------------
    def run_pod_sandbox(self, config: dict, callback: Callable[[dict | None, CRIError | None], Any]) -> None:
        """Create the pod's sandbox (pause container + network namespace; the CNI gives it an IP)."""
        meta = config.get("metadata") or {}
        self._log("RunPodSandbox", f"{meta.get('namespace')}/{meta.get('name')}")
        if self._pod_cidr is None:
            err = CRIError("Unknown", 'failed to setup network for sandbox: plugin type="flannel" failed '
                                      '(add): loadFlannelSubnetEnv failed: open /run/flannel/subnet.env: '
                                      'no such file or directory')
            self._later(_SANDBOX_SECONDS, callback, None, err)
            return
        sandbox_id = self._new_id()
        ip = self._allocate_ip(sandbox_id)
        if ip is None:
            err = CRIError("Unknown", f"failed to allocate for range 0: no IP addresses available in range "
                                      f"set: {self._pod_cidr}")
            self._later(_SANDBOX_SECONDS, callback, None, err)
            return
        sandbox = {"id": sandbox_id, "metadata": meta, "state": "SANDBOX_READY",
                   "createdAt": self.loop.now, "labels": dict(config.get("labels") or {}),
                   "network": {"ip": ip}}
        self._later(_SANDBOX_SECONDS * self.rng.uniform(0.8, 1.2), self._sandbox_ready, sandbox, callback)

    def _sandbox_ready(self, sandbox: dict, callback: Callable[..., Any]) -> None:
        self.sandboxes[sandbox["id"]] = sandbox
        callback(dict(sandbox), None)

    def _allocate_ip(self, sandbox_id: str) -> str | None:
        net = ipaddress.ip_network(self._pod_cidr)
        hosts = [int(h) for h in net.hosts()][1:]  # .1 is the bridge (gateway)
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
        self._log("StopPodSandbox", sandbox_id[:13])
        sb = self.sandboxes.get(sandbox_id)
        if sb is None:
            return
        for c in self.containers.values():
            if c["podSandboxId"] == sandbox_id and c["state"] == "CONTAINER_RUNNING":
                self._exit(c, 137, "Error")
        sb["state"] = "SANDBOX_NOTREADY"
        ip = sb.get("network", {}).get("ip")
        if ip and self._ip_used.get(ip) == sandbox_id:
            del self._ip_used[ip]  # the CNI DEL releases the address

    def remove_pod_sandbox(self, sandbox_id: str) -> None:
        self._log("RemovePodSandbox", sandbox_id[:13])
        if sandbox_id in self.sandboxes:
            self.stop_pod_sandbox(sandbox_id)
            for cid in [cid for cid, c in self.containers.items() if c["podSandboxId"] == sandbox_id]:
                del self.containers[cid]
            del self.sandboxes[sandbox_id]

    def list_pod_sandbox(self) -> list[dict]:
        self._log("ListPodSandbox")
        return [dict(s) for s in sorted(self.sandboxes.values(), key=lambda s: (s["createdAt"], s["id"]))]

    # -- RuntimeService: containers -------------------------------------------------
    def create_container(self, sandbox_id: str, config: dict,
                         callback: Callable[[str | None, CRIError | None], Any]) -> None:
        name = (config.get("metadata") or {}).get("name")
        self._log("CreateContainer", name or "")
        if sandbox_id not in self.sandboxes:
            self._later(_CREATE_SECONDS, callback, None, CRIError("NotFound", f"sandbox {sandbox_id} not found"))
            return
        ref = img.normalize((config.get("image") or {}).get("image", ""))
        if ref not in self.images:
            self._later(_CREATE_SECONDS, callback, None,
                        CRIError("NotFound", f'failed to get image "{ref}": not found'))
            return
        cid = self._new_id()
        self.containers[cid] = {"id": cid, "podSandboxId": sandbox_id, "metadata": {"name": name},
                                "image": {"image": ref}, "imageRef": self.images[ref]["id"],
                                "state": "CONTAINER_CREATED", "createdAt": self.loop.now,
                                "startedAt": None, "finishedAt": None, "exitCode": 0, "reason": ""}
        self._later(_CREATE_SECONDS, callback, cid, None)

    def start_container(self, container_id: str, callback: Callable[[CRIError | None], Any]) -> None:
        self._log("StartContainer", container_id[:13])
        c = self.containers.get(container_id)
        if c is None:
            self._later(_START_SECONDS, callback, CRIError("NotFound", f"container {container_id} not found"))
            return
        self._later(_START_SECONDS * self.rng.uniform(0.8, 1.2), self._started, c, callback)

    def _started(self, c: dict, callback: Callable[..., Any]) -> None:
        c["state"] = "CONTAINER_RUNNING"
        c["startedAt"] = self.loop.now
        callback(None)

    def stop_container(self, container_id: str, timeout: float,
                       callback: Callable[[CRIError | None], Any] | None = None) -> None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds; our containers exit on SIGTERM."""
        self._log("StopContainer", f"{container_id[:13]} timeout={timeout:g}")
        c = self.containers.get(container_id)
        if c is None or c["state"] != "CONTAINER_RUNNING":
            if callback is not None:
                self._later(0.0, callback, None)
            return
        delay = min(_STOP_SECONDS * self.rng.uniform(0.8, 1.2), max(timeout, 0.0))
        self._later(delay, self._stopped, c, callback)

    def _stopped(self, c: dict, callback: Callable[..., Any] | None) -> None:
        if c["state"] == "CONTAINER_RUNNING":
            self._exit(c, 0, "Completed")
        if callback is not None:
            callback(None)

    def _exit(self, c: dict, code: int, reason: str) -> None:
        c["state"] = "CONTAINER_EXITED"
        c["finishedAt"] = self.loop.now
        c["exitCode"] = code
        c["reason"] = reason

    def remove_container(self, container_id: str) -> None:
        self._log("RemoveContainer", container_id[:13])
        self.containers.pop(container_id, None)

    def list_containers(self, sandbox_id: str | None = None) -> list[dict]:
        self._log("ListContainers")
        cs = [c for c in self.containers.values() if sandbox_id is None or c["podSandboxId"] == sandbox_id]
        return [dict(c) for c in sorted(cs, key=lambda c: (c["createdAt"], c["id"]))]

    def container_status(self, container_id: str) -> dict | None:
        self._log("ContainerStatus", container_id[:13])
        c = self.containers.get(container_id)
        return dict(c) if c else None
