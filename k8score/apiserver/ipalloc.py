"""ClusterIP and NodePort allocation for Services (pkg/registry/core/service/ipallocator,
portallocator), deterministic from a seeded RNG.

The service CIDR is kube-apiserver's ``--service-cluster-ip-range`` (kubeadm default
``10.96.0.0/12``); the first address, 10.96.0.1, is reserved for the ``kubernetes``
Service. Since v1.27 the range is split (KEP-3070): a small lower band for addresses
users ask for, and dynamic allocation prefers the upper band. NodePorts come from
``--service-node-port-range`` (default 30000-32767).

>>> import random
>>> a = IPAllocator("10.96.0.0/12", random.Random(0))
>>> a.allocate("10.96.0.1")
'10.96.0.1'
>>> ip = a.allocate(); ip.startswith("10.") and ip != "10.96.0.1"
True
"""

from __future__ import annotations

import ipaddress
import random

SERVICE_CIDR = "10.96.0.0/12"          # kubeadm default --service-cluster-ip-range
NODE_PORT_RANGE = (30000, 32767)       # kube-apiserver --service-node-port-range default


class AllocationError(Exception):
    pass


class IPAllocator:
    def __init__(self, cidr: str, rng: random.Random):
        net = ipaddress.ip_network(cidr)
        self.network = net
        self._base = int(net.network_address)
        self._size = net.num_addresses - 2          # no network / broadcast address
        # ipallocator.calculateRangeOffset: min(max(16, size/16), 256) addresses are "static"
        self._offset = min(max(16, net.num_addresses // 16), 256)
        self._rng = rng
        self._used: dict[int, str] = {}

    def contains(self, ip: str) -> bool:
        try:
            return ipaddress.ip_address(ip) in self.network
        except ValueError:
            return False

    def allocate(self, ip: str | None = None) -> str:
        if ip is not None:
            n = int(ipaddress.ip_address(ip)) - self._base
            if not 1 <= n <= self._size:
                raise AllocationError(f"the provided IP ({ip}) is not in the valid range. "
                                      f"The range of valid IPs is {self.network}")
            if n in self._used:
                raise AllocationError(f"the provided IP ({ip}) is already allocated")
            self._used[n] = ip
            return ip
        dynamic = self._size - self._offset
        start = self._rng.randrange(dynamic)
        for i in range(self._size):
            # scan the upper (dynamic) band from a random start, then the lower band
            n = self._offset + 1 + (start + i) % dynamic if i < dynamic else i - dynamic + 1
            if n not in self._used:
                text = str(ipaddress.ip_address(self._base + n))
                self._used[n] = text
                return text
        raise AllocationError("range is full")

    def release(self, ip: str | None) -> None:
        if ip and self.contains(ip):
            self._used.pop(int(ipaddress.ip_address(ip)) - self._base, None)


class PortAllocator:
    def __init__(self, rng: random.Random, lo: int = NODE_PORT_RANGE[0], hi: int = NODE_PORT_RANGE[1]):
        self.lo, self.hi = lo, hi
        self._rng = rng
        self._used: dict[int, bool] = {}

    def allocate(self, port: int | None = None) -> int:
        if port is not None:
            if not self.lo <= port <= self.hi:
                raise AllocationError(f"provided port is not in the valid range. "
                                      f"The range of valid ports is {self.lo}-{self.hi}")
            if port in self._used:
                raise AllocationError("provided port is already allocated")
            self._used[port] = True
            return port
        span = self.hi - self.lo + 1
        start = self._rng.randrange(span)
        for i in range(span):
            p = self.lo + (start + i) % span
            if p not in self._used:
                self._used[p] = True
                return p
        raise AllocationError("range is full")

    def release(self, port: int | None) -> None:
        if port:
            self._used.pop(port, None)
