"""The node IPAM controller (pkg/controller/nodeipam, RangeAllocator + cidrset).

Each node gets its own slice of the cluster's pod network in ``spec.podCIDR``; the
node's CNI plugin hands pod IPs out of it. We use kubeadm's usual flannel setting,
``--cluster-cidr=10.244.0.0/16`` with ``--node-cidr-mask-size=24`` (the IPv4 default,
cmd/kube-controller-manager nodeipam options): node *i* gets ``10.244.<i>.0/24``, 256
nodes of 254 pod addresses each. Like cidrset, the allocator hands out the next free
block after the last one it gave (round robin), so a freed block is not reused at once.
Nodes without a CIDR are served oldest first (creation time, then name).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..client.meta import key_func
from ..sim.clock import parse
from .base import Controller

CLUSTER_CIDR = "10.244.0.0/16"  # kubeadm podSubnet as flannel's kube-flannel.yml expects
NODE_CIDR_MASK_SIZE = 24        # nodeipam: defaultNodeMaskCIDRIPv4 = 24

_ALL = "nodes"  # one key: allocation is a single, ordered decision over all nodes


class NodeIpamController(Controller):
    name = "nodeipam"
    kind = "node-ipam-controller"
    watches = ("nodes",)
    writes = ("nodes",)
    summary = "从集群 Pod 网段（10.244.0.0/16）为每个节点分配一个 /24 的 podCIDR"
    event_component = "cidrAllocator"

    def setup(self) -> None:
        self.network = ipaddress.ip_network(CLUSTER_CIDR)
        self.blocks = list(self.network.subnets(new_prefix=NODE_CIDR_MASK_SIZE))
        self._next = 0
        self._assigned: dict[str, str] = {}  # node -> CIDR we patched, until the cache shows it
        self.node_informer = self.informer("nodes")
        self.node_informer.add_event_handler(on_add=self._changed, on_update=lambda o, n: self._changed(n),
                                             on_delete=self._deleted)

    def _changed(self, node: dict) -> None:
        if not (node.get("spec") or {}).get("podCIDR"):
            self.queue.add(_ALL)

    def _deleted(self, node: dict) -> None:
        self._assigned.pop(key_func(node), None)  # its block is free again

    def sync(self, key: Any) -> None:
        nodes = self.node_informer.list()
        used = {n["spec"]["podCIDR"] for n in nodes if (n.get("spec") or {}).get("podCIDR")}
        for name in list(self._assigned):
            if self.node_informer.get(name) is None:
                del self._assigned[name]
        used.update(self._assigned.values())
        waiting = [n for n in nodes if not (n.get("spec") or {}).get("podCIDR")
                   and key_func(n) not in self._assigned]
        waiting.sort(key=lambda n: (parse(n["metadata"]["creationTimestamp"])
                                    if n["metadata"].get("creationTimestamp") else 0.0, n["metadata"]["name"]))
        for node in waiting:
            cidr = self._allocate(used)
            if cidr is None:
                self.recorder.event(node, "Normal", "CIDRNotAvailable",
                                    f"Node {node['metadata']['name']} status is now: CIDRNotAvailable")
                continue
            self.client.patch("nodes", node["metadata"]["name"], {"spec": {"podCIDR": cidr, "podCIDRs": [cidr]}})
            self._assigned[key_func(node)] = cidr
            used.add(cidr)

    def _allocate(self, used: set[str]) -> str | None:
        for i in range(len(self.blocks)):
            idx = (self._next + i) % len(self.blocks)
            cidr = str(self.blocks[idx])
            if cidr not in used:
                self._next = idx + 1
                return cidr
        return None
