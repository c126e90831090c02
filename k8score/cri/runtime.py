"""The container runtime behind the CRI: one base, two flavours (containerd and CRI-O).

The kubelet never runs containers itself: it asks a runtime over the Container Runtime
Interface (k8s.io/cri-api ``pkg/apis/runtime/v1/api.proto``), a gRPC API with two services.
:class:`RuntimeBase` offers the same calls, named after the RPCs in snake_case, with the
messages as dicts keyed by the proto's JSON (camelCase) names:

- **RuntimeService**: ``version``, ``status``, ``runtime_config``, ``update_runtime_config``;
  sandboxes (:mod:`.sandbox`); containers (:mod:`.lifecycle`); ``exec_sync``/``exec``/
  ``attach`` (:mod:`.exec`); stats (:mod:`.stats`); ``get_container_events``;
- **ImageService** (:mod:`.imageservice`).

Calls that take time complete through a callback on the virtual clock. Timestamps in messages
are Unix nanoseconds (the simulation's second 0 is ``2026-01-01T00:00:00Z``;
:func:`virtual_seconds` converts back). Every call is appended to :attr:`RuntimeBase.calls`
(the last 750 to 1,000: the kubelet polls every second, and a 5,000-node cluster keeps one
log per node).

The flavours differ where the real ones do: version strings, image IDs, the log line
timestamps, the image store, error texts (a missing image, a missing executable — runc under
containerd fails at *start*, crun under CRI-O at *create*), runtime handlers.

>>> from k8score.sim import Loop
>>> rt = Containerd(Loop(0), "node-1")
>>> rt.version()["runtimeName"], CriO(Loop(0), "node-1").version()["runtimeVersion"]
('containerd', '1.34.1')
"""

from __future__ import annotations

import random
from typing import Any, Callable

from ..kubelet import images as img
from ..node.host import Host
from ..sim.clock import EPOCH
from .errors import CRIError
from .exec import ExecMixin
from .imageservice import ImageServiceMixin
from .lifecycle import LifecycleMixin
from .logs import containerd_timestamp, crio_timestamp
from .sandbox import SandboxMixin
from .stats import StatsMixin

_EPOCH_NS = int(EPOCH.timestamp()) * 1_000_000_000
RUNTIME_API_VERSION = "v1"
#: The pause image both runtimes ship as their default (containerd 2.1 ``sandbox_image``,
#: CRI-O 1.34 ``pause_image``).
PAUSE_IMAGE = "registry.k8s.io/pause:3.10"
EVENT_TYPES = ("CONTAINER_CREATED_EVENT", "CONTAINER_STARTED_EVENT", "CONTAINER_STOPPED_EVENT",
               "CONTAINER_DELETED_EVENT")


def virtual_seconds(ns: int) -> float:
    """A message timestamp (Unix ns) as virtual seconds since the simulation started."""
    return (int(ns) - _EPOCH_NS) / 1e9


#: how many calls :attr:`RuntimeBase.calls` keeps (a quarter is dropped when it is full)
_CALL_LOG = 1000


class RuntimeBase(ImageServiceMixin, SandboxMixin, LifecycleMixin, ExecMixin, StatsMixin):
    # -- what a flavour sets -------------------------------------------------------
    NAME = ""
    VERSION = ""              # VersionResponse.runtimeVersion
    NODE_VERSION = ""         # what the Node's status.nodeInfo.containerRuntimeVersion shows after "://"
    PAUSE_IMAGE = PAUSE_IMAGE
    CGROUP_DRIVER = "SYSTEMD"
    IMAGE_STORE = ""
    EXEC_CHECK_AT_CREATE = False
    HANDLERS: tuple[str, ...] = ()

    def __init__(self, loop: Any, node_name: str = "", host: Host | None = None, network: Any = None,
                 seed: int | None = None):
        self.loop = loop
        self.node_name = node_name
        seed_value = loop.rng.getrandbits(64) if seed is None else seed
        self.rng = random.Random(seed_value)
        self.bandwidth = self.rng.uniform(12e6, 25e6)  # bytes/s from the registry
        # a second stream for what runs inside containers, so programs cannot shift the
        # runtime's own draws (ids, timings)
        self._aux = random.Random(seed_value ^ 0x5EED5EED)
        #: The node's machine: log files and bind-mounted volumes live on its filesystem.
        self.host = host if host is not None else Host(node_name or "node", "", loop)
        self.network = network
        self.images: dict[str, dict] = {}        # normalized ref -> Image message
        self.sandboxes: dict[str, Any] = {}      # id -> Sandbox
        self.containers: dict[str, Any] = {}     # id -> Container
        self.calls: list[tuple[float, str, str]] = []
        self.STREAM_ADDRESS = f"127.0.0.1:{self._aux.randrange(32768, 61000)}"
        self._specs: dict[str, Any] = {}
        self._forbidden: dict[str, None] = {}
        self._pod_cidr: str | None = None
        self._ip_used: dict[str, str] = {}       # ip -> sandbox id
        self._last_ip: int | None = None
        self._subscribers: list[Callable[[dict], Any]] = []
        self._owner = f"{self.NAME}/{node_name}"
        self._add_image(self.PAUSE_IMAGE)        # pinned: present from the start

    # -- bookkeeping ------------------------------------------------------------------
    def _log(self, call: str, detail: str = "") -> None:
        self.calls.append((self.loop.now, call, detail))
        if len(self.calls) > _CALL_LOG:
            del self.calls[:_CALL_LOG // 4]

    def _new_id(self) -> str:
        return f"{self.rng.getrandbits(256):064x}"

    def _proc_rng(self) -> random.Random:
        return random.Random(self._aux.getrandbits(64))

    def _later(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        self.loop.call_later(delay, fn, *args, owner=self._owner)

    def _ns(self, seconds: float) -> int:
        return _EPOCH_NS + round(seconds * 1_000_000_000)

    def _image_ref(self, ref: str) -> str:
        return img.repo_digest(ref)

    def log_timestamp(self, seconds: float) -> str:     # pragma: no cover - set by the flavour
        raise NotImplementedError

    # -- events (GetContainerEvents) -----------------------------------------------------
    def get_container_events(self, fn: Callable[[dict], Any]) -> Callable[[], None]:
        """Subscribe ``fn(ContainerEventResponse)``; returns a function that unsubscribes.

        An event: ``containerId``, ``containerEventType`` (one of :data:`EVENT_TYPES`),
        ``createdAt`` (ns), ``podSandboxStatus``, ``containersStatuses`` (the pod's containers).
        Sandboxes send events too (their ``containerId`` is the sandbox ID), as containerd
        does. Events are delivered on the loop right after the change, in order.
        """
        self._log("GetContainerEvents")
        self._subscribers.append(fn)

        def cancel() -> None:
            if fn in self._subscribers:
                self._subscribers.remove(fn)
        return cancel

    def _emit(self, cid: str, sandbox_id: str, kind: str) -> None:
        if not self._subscribers:
            return
        sb = self.sandboxes.get(sandbox_id)
        event = {"containerId": cid, "containerEventType": kind, "createdAt": self._ns(self.loop.now),
                 "podSandboxStatus": sb.status_message(self._ns) if sb is not None else None,
                 "containersStatuses": [c.status_message(self) for c in self._sorted(
                     x for x in self.containers.values() if x.sandbox_id == sandbox_id)]}
        for fn in list(self._subscribers):
            self.loop.call_soon(fn, event, owner=self._owner)

    # -- RuntimeService: runtime ---------------------------------------------------------
    def power_off(self) -> None:
        """The machine is gone: every container and sandbox with it, and the work this runtime
        had scheduled (its timers, its containers' processes included, carry its owner tag)
        never happens. Not a CRI call."""
        self.loop.cancel_owned(self._owner)
        for sb in self.sandboxes.values():
            if sb.net is not None and self.network is not None:
                self.network.detach(sb.ip)
        self.containers.clear()
        self.sandboxes.clear()

    def version(self, version: str = "") -> dict:
        self._log("Version")
        return {"version": "0.1.0", "runtimeName": self.NAME, "runtimeVersion": self.VERSION,
                "runtimeApiVersion": RUNTIME_API_VERSION}

    def status(self, verbose: bool = False) -> dict:
        """RuntimeReady always; NetworkReady once the CNI has a pod CIDR to hand out.

        ``status()["status"]["conditions"]`` is the proto's place; ``status()["conditions"]``
        repeats it for callers written against the earlier shape.
        """
        net = {"type": "NetworkReady", "status": self._pod_cidr is not None, "reason": "", "message": ""}
        if self._pod_cidr is None:
            net.update(reason="NetworkPluginNotReady",
                       message="Network plugin returns error: cni plugin not initialized")
        conditions = [{"type": "RuntimeReady", "status": True, "reason": "", "message": ""}, net]
        out = {"status": {"conditions": conditions}, "conditions": conditions,
               "runtimeHandlers": [{"name": h, "features": {"recursiveReadOnlyMounts": True,
                                                            "userNamespaces": True}} for h in self.HANDLERS],
               "features": {"supplementalGroupsPolicy": True}}
        if verbose:
            out["info"] = self._status_info()
        return out

    def _status_info(self) -> dict:
        return {}

    def runtime_config(self) -> dict:
        """RuntimeConfig: the cgroup driver the kubelet must use (both flavours: systemd)."""
        return {"linux": {"cgroupDriver": self.CGROUP_DRIVER}}

    def update_runtime_config(self, pod_cidr: str | dict) -> None:
        """UpdateRuntimeConfig: the pod CIDR the CNI hands addresses from."""
        if isinstance(pod_cidr, dict):
            pod_cidr = ((pod_cidr.get("runtimeConfig") or pod_cidr).get("networkConfig") or {}).get("podCidr", "")
        self._log("UpdateRuntimeConfig", f"podCIDR={pod_cidr}")
        if pod_cidr and pod_cidr != self._pod_cidr:
            self._pod_cidr = pod_cidr
            self._last_ip = None

    # -- flavour texts -------------------------------------------------------------------
    def _pull_not_found(self, ref: str) -> CRIError:   # pragma: no cover - set by the flavour
        raise NotImplementedError

    def _exec_not_found(self, exe: str) -> str:   # pragma: no cover - set by the flavour
        raise NotImplementedError

    def _exec_start_failed(self, exec_id: str, exe: str) -> str:   # pragma: no cover - set by the flavour
        raise NotImplementedError


class Containerd(RuntimeBase):
    """containerd 2.1.4 with runc and its CRI plugin (``internal/cri``)."""

    NAME = "containerd"
    VERSION = "v2.1.4"
    NODE_VERSION = "2.1.4"
    IMAGE_STORE = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs"
    HANDLERS = ("runc", "")

    def log_timestamp(self, seconds: float) -> str:
        return containerd_timestamp(seconds)

    def _pull_not_found(self, ref: str) -> CRIError:
        return CRIError("NotFound", f'failed to pull and unpack image "{ref}": failed to resolve reference '
                                    f'"{ref}": {ref}: not found')

    def _exec_not_found(self, exe: str) -> str:
        # containerd container_start.go wraps runc's create error (runc libcontainer)
        return ('failed to create containerd task: failed to create shim task: OCI runtime create failed: '
                'runc create failed: unable to start container process: error during container init: '
                f'exec: "{exe}": executable file not found in $PATH: unknown')

    def _exec_start_failed(self, exec_id: str, exe: str) -> str:
        return (f'failed to exec in container: failed to start exec "{exec_id}": OCI runtime exec failed: '
                f'exec failed: unable to start container process: exec: "{exe}": executable file not found '
                f'in $PATH: unknown')

    def _status_info(self) -> dict:
        return {"config": {"containerd": {"defaultRuntimeName": "runc"},
                           "cni": {"binDir": "/opt/cni/bin", "confDir": "/etc/cni/net.d"},
                           "sandboxImage": self.PAUSE_IMAGE},
                "lastCNILoadStatus": "OK" if self._pod_cidr else "cni config load failed: no network config "
                                                                "found in /etc/cni/net.d: cni plugin not "
                                                                "initialized: failed to load cni config"}


class CriO(RuntimeBase):
    """CRI-O 1.34 with crun (its default OCI runtime) and conmon."""

    NAME = "cri-o"
    VERSION = "1.34.1"
    NODE_VERSION = "1.34.1"
    IMAGE_STORE = "/var/lib/containers/storage/overlay-images"
    EXEC_CHECK_AT_CREATE = True
    HANDLERS = ("crun", "runc", "")

    def log_timestamp(self, seconds: float) -> str:
        return crio_timestamp(seconds)

    def _image_id(self, ref: str) -> str:
        return img.image_id(ref).split(":", 1)[1]   # containers/storage IDs carry no "sha256:"

    def _pull_not_found(self, ref: str) -> CRIError:
        repo = img.repository(ref)
        tag = ref[len(repo) + 1:] if ref.startswith(repo + ":") else ref.rsplit("@", 1)[-1]
        return CRIError("Unknown", f"reading manifest {tag} in {repo}: manifest unknown")

    def _exec_not_found(self, exe: str) -> str:
        # crun: "executable file `x` not found in $PATH"; CRI-O runs it at CreateContainer
        return f"container create failed: executable file `{exe}` not found in $PATH: No such file or directory"

    def _exec_start_failed(self, exec_id: str, exe: str) -> str:
        return (f"command error: executable file `{exe}` not found in $PATH: No such file or directory, "
                f"stdout: , stderr: , exit code -1")

    def _status_info(self) -> dict:
        return {"config": {"crio": {"runtime": {"default_runtime": "crun", "cgroup_manager": "systemd"},
                                    "image": {"pause_image": self.PAUSE_IMAGE}}}}


#: What ``Cluster(runtime=...)`` names map to.
FLAVOURS: dict[str, type[RuntimeBase]] = {"containerd": Containerd, "cri-o": CriO}

__all__ = ["RuntimeBase", "Containerd", "CriO", "FLAVOURS", "CRIError", "PAUSE_IMAGE", "EVENT_TYPES",
           "virtual_seconds", "RUNTIME_API_VERSION"]
