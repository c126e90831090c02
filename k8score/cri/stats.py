"""Resource usage (cri-api ``ContainerStats``, ``ListContainerStats``, ``ListPodSandboxStats``).

Memory is the model's: the image's resident size plus what its processes allocated
(:meth:`k8score.container.process.Proc.alloc`); ``workingSetBytes`` = ``usageBytes`` = RSS
here (no page cache is modelled). ``availableBytes`` is the limit minus the working set, as
the proto defines it, and only present under a limit. CPU is the container's cpu cgroup
(:mod:`k8score.container.cpu`): ``usageCoreNanoSeconds`` the cumulative CPU time,
``usageNanoCores`` the rate since the previous stats call, as containerd computes it
(internal/cri/server/container_stats_list.go getUsageNanoCores).
This is what the kubelet's eviction manager reads (``memory.available``, usage per pod).
A mixin of :class:`~k8score.cri.runtime.RuntimeBase`.
"""

from __future__ import annotations

from typing import Any

from .errors import CRIError


def _value(n: int) -> dict:
    return {"value": str(int(n))}    # protobuf JSON writes uint64 as a string


class StatsMixin:
    def _stats(self, c: Any) -> dict:
        now = self._ns(self.loop.now)
        running = c.state == "CONTAINER_RUNNING"
        used = c.memory.usage if running else 0
        mem = {"timestamp": now, "workingSetBytes": _value(used), "usageBytes": _value(used),
               "rssBytes": _value(used), "pageFaults": _value(0), "majorPageFaults": _value(0)}
        if c.memory.limit is not None:
            mem["availableBytes"] = _value(max(0, c.memory.limit - used))
        return {"attributes": {"id": c.id, "metadata": dict(c.metadata),
                               "labels": dict(c.config.get("labels") or {}),
                               "annotations": dict(c.config.get("annotations") or {})},
                "cpu": self._cpu_stats(c, now, running),
                "memory": mem,
                "writableLayer": {"timestamp": now, "fsId": {"mountpoint": self.IMAGE_STORE},
                                  "usedBytes": _value(0), "inodesUsed": _value(0)}}

    def _cpu_stats(self, c: Any, now: int, running: bool) -> dict:
        cpu = getattr(c, "cpu", None)
        if cpu is None or not running:
            return {"timestamp": now, "usageCoreNanoSeconds": _value(0), "usageNanoCores": _value(0)}
        used = cpu.usage()
        return {"timestamp": now, "usageCoreNanoSeconds": _value(round(used * 1e9)),
                "usageNanoCores": _value(round(cpu.rate() * 1e9))}

    def container_stats(self, container_id: str) -> dict:
        """ContainerStats of one container (``NotFound`` for an unknown ID)."""
        self._log("ContainerStats", container_id[:13])
        c = self.containers.get(container_id)
        if c is None:
            raise CRIError("NotFound", f'failed to find container "{container_id}": not found')
        return self._stats(c)

    def list_container_stats(self, filter: dict | None = None) -> list[dict]:   # noqa: A002 - the proto's name
        """ListContainerStats of running containers; ``filter``: ``id``, ``podSandboxId``."""
        self._log("ListContainerStats")
        f = filter or {}
        return [self._stats(c) for c in self._sorted(self.containers.values())
                if c.state == "CONTAINER_RUNNING" and (not f.get("id") or c.id == f["id"])
                and (not f.get("podSandboxId") or c.sandbox_id == f["podSandboxId"])]

    def list_pod_sandbox_stats(self) -> list[dict]:
        """ListPodSandboxStats: per ready sandbox, the sum of its containers' memory and CPU."""
        self._log("ListPodSandboxStats")
        out = []
        for sb in sorted(self.sandboxes.values(), key=lambda s: (s.created, s.id)):
            if sb.state != "SANDBOX_READY":
                continue
            cs = [self._stats(c) for c in self._sorted(self.containers.values())
                  if c.sandbox_id == sb.id and c.state == "CONTAINER_RUNNING"]
            used = sum(int(s["memory"]["workingSetBytes"]["value"]) for s in cs)
            cpu_ns = sum(int(s["cpu"]["usageCoreNanoSeconds"]["value"]) for s in cs)
            cores = sum(int(s["cpu"]["usageNanoCores"]["value"]) for s in cs)
            out.append({"attributes": {"id": sb.id, "metadata": dict(sb.metadata),
                                       "labels": dict(sb.config.get("labels") or {}),
                                       "annotations": dict(sb.config.get("annotations") or {})},
                        "linux": {"memory": {"timestamp": self._ns(self.loop.now), "workingSetBytes": _value(used),
                                             "usageBytes": _value(used)},
                                  "cpu": {"timestamp": self._ns(self.loop.now),
                                          "usageCoreNanoSeconds": _value(cpu_ns), "usageNanoCores": _value(cores)},
                                  "containers": cs}})
        return out


__all__ = ["StatsMixin"]
