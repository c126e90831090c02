"""Service IPs and NodePorts: what the Service REST storage allocates on create
(pkg/registry/core/service/storage/alloc.go), and gives back on delete."""

from __future__ import annotations

import random
from typing import Any, Callable

from ..api.errors import ApiError
from ..api.field import invalid
from .ipalloc import SERVICE_CIDR, AllocationError, IPAllocator, PortAllocator


class ServiceAllocator:
    def __init__(self, rng: random.Random, cidr: str = SERVICE_CIDR):
        self._rng = rng
        self.cidr = cidr
        self.ips = IPAllocator(cidr, rng)
        self.ports = PortAllocator(rng)
        self.first_ip = str(self.ips.network.network_address + 1)  # reserved for "kubernetes"

    def rebuild(self, api: Any) -> None:
        """Re-learn what is allocated from the stored Services (after a restart)."""
        self.ips = IPAllocator(self.cidr, self._rng)
        self.ports = PortAllocator(self._rng)
        for svc in api.lister.list("services"):
            spec = svc.get("spec") if isinstance(svc.get("spec"), dict) else {}
            ip = spec.get("clusterIP")
            if isinstance(ip, str) and ip != "None" and self.ips.contains(ip):
                try:
                    self.ips.allocate(ip)
                except AllocationError:
                    pass
            for p in spec.get("ports") or ():
                if isinstance(p, dict) and isinstance(p.get("nodePort"), int):
                    try:
                        self.ports.allocate(p["nodePort"])
                    except AllocationError:
                        pass

    def allocate(self, svc: dict) -> Callable[[], None]:
        """Fill spec.clusterIP(s)/ipFamilies/nodePorts of a new Service; returns an undo."""
        spec = svc["spec"]
        name = svc["metadata"].get("name", "")
        stype = spec.get("type")
        taken_ip: str | None = None
        taken_ports: list[int] = []

        def undo() -> None:
            self.ips.release(taken_ip)
            for p in taken_ports:
                self.ports.release(p)

        try:
            if stype != "ExternalName":
                want = spec.get("clusterIP") or None
                if want != "None":
                    try:
                        taken_ip = self.ips.allocate(want)
                    except AllocationError as e:
                        raise ApiError.invalid("Service", name, [invalid(
                            "spec.clusterIPs", [want], f"failed to allocate IP {want}: {e}")]) from None
                    spec["clusterIP"] = taken_ip
                spec["clusterIPs"] = [spec["clusterIP"]]
                spec.setdefault("ipFamilies", ["IPv4"])
                spec.setdefault("ipFamilyPolicy", "SingleStack")
            if stype in ("NodePort", "LoadBalancer"):
                for i, p in enumerate(spec.get("ports") or ()):
                    try:
                        p["nodePort"] = self.ports.allocate(p.get("nodePort") or None)
                    except AllocationError as e:
                        raise ApiError.invalid("Service", name, [invalid(
                            f"spec.ports[{i}].nodePort", p.get("nodePort"), str(e))]) from None
                    taken_ports.append(p["nodePort"])
        except ApiError:
            undo()
            raise
        return undo

    def release(self, svc: dict) -> None:
        spec = svc.get("spec") or {}
        self.ips.release(spec.get("clusterIP"))
        for p in spec.get("ports") or ():
            self.ports.release(p.get("nodePort"))
