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
from ..lang import Text
from ..sim.clock import parse
from .base import Controller

CLUSTER_CIDR = "10.244.0.0/16"  # kubeadm podSubnet as flannel's kube-flannel.yml expects
NODE_CIDR_MASK_SIZE = 24        # nodeipam: defaultNodeMaskCIDRIPv4 = 24
#: The pod network of a cluster too big for 10.244.0.0/16's 256 node blocks: the /11 that
#: holds 10.244.0.0/16, 8,192 blocks of /24 (Kubernetes' published limit is 5,000 nodes).
#: ``--cluster-cidr`` is the installer's choice upstream (kubeadm's ``podSubnet``); GKE,
#: for one, sizes it from the node count the same way.
LARGE_CLUSTER_CIDR = "10.224.0.0/11"

_ALL = "nodes"  # one key: allocation is a single, ordered decision over the waiting nodes


def default_cluster_cidr(nodes: int) -> str:
    """The ``--cluster-cidr`` a ``Cluster(nodes=N)`` gets unless it names one: 10.244.0.0/16
    (every page's pod IPs) while each node fits a /24 of it, else :data:`LARGE_CLUSTER_CIDR`.

    >>> default_cluster_cidr(3), default_cluster_cidr(256), default_cluster_cidr(5000)
    ('10.244.0.0/16', '10.244.0.0/16', '10.224.0.0/11')
    """
    return CLUSTER_CIDR if nodes <= 256 else LARGE_CLUSTER_CIDR


class NodeIpamController(Controller):
    """Allocation costs O(nodes waiting for a CIDR) per sync: the blocks in use and the nodes
    waiting are kept up to date from the node informer's events, never recomputed from a
    list of every node (at 5,000 nodes registering at once that list made boot quadratic).
    A node left without a block (the cluster CIDR is exhausted) gets the ``CIDRNotAvailable``
    event (range_allocator.go ``RecordNodeStatusChange``) each time it is retried, and its
    kubelet keeps it NotReady (no pod network), so the node lifecycle controller taints it."""

    name = "nodeipam"
    kind = "node-ipam-controller"
    watches = ("nodes",)
    writes = ("nodes",)
    summary = Text("从集群 Pod 网段（10.244.0.0/16）为每个节点分配一个 /24 的 podCIDR",
                   "Allocates each node a /24 podCIDR from the cluster's Pod network (10.244.0.0/16)")
    event_component = "cidrAllocator"

    def setup(self) -> None:
        self.network = ipaddress.ip_network(getattr(self.host, "cluster_cidr", None) or CLUSTER_CIDR)
        self._blocks = self.network.num_addresses >> (32 - NODE_CIDR_MASK_SIZE)
        self._next = 0
        self._assigned: dict[str, str] = {}  # node -> CIDR we patched, until the cache shows it
        self._used: dict[str, str] = {}      # CIDR -> node holding it (in the cache or patched)
        self._cidr_of: dict[str, str] = {}   # node -> its CIDR in the cache
        self._waiting: set[str] = set()      # nodes without a CIDR
        self.node_informer = self.informer("nodes")
        self.node_informer.add_event_handler(on_add=self._changed, on_update=lambda o, n: self._changed(n),
                                             on_delete=self._deleted)

    def _changed(self, node: dict) -> None:
        key = key_func(node)
        cidr = (node.get("spec") or {}).get("podCIDR")
        old = self._cidr_of.get(key)
        if old != cidr and old is not None and self._used.get(old) == key:
            del self._used[old]
        if cidr:
            self._cidr_of[key] = cidr
            self._used[cidr] = key
            self._waiting.discard(key)
            self._assigned.pop(key, None)
            return
        self._cidr_of.pop(key, None)
        self._waiting.add(key)
        self.queue.add(_ALL)

    def _deleted(self, node: dict) -> None:
        key = key_func(node)
        self._waiting.discard(key)
        for cidr in (self._cidr_of.pop(key, None), self._assigned.pop(key, None)):
            if cidr is not None and self._used.get(cidr) == key:
                del self._used[cidr]   # its block is free again

    def sync(self, key: Any) -> None:
        waiting = [n for n in (self.node_informer.get(k) for k in self._waiting if k not in self._assigned)
                   if n is not None]
        waiting.sort(key=lambda n: (parse(n["metadata"]["creationTimestamp"])
                                    if n["metadata"].get("creationTimestamp") else 0.0, n["metadata"]["name"]))
        for node in waiting:
            cidr = self._allocate()
            if cidr is None:
                self.recorder.event(node, "Normal", "CIDRNotAvailable",
                                    f"Node {node['metadata']['name']} status is now: CIDRNotAvailable")
                continue
            self.client.patch("nodes", node["metadata"]["name"], {"spec": {"podCIDR": cidr, "podCIDRs": [cidr]}})
            self._assigned[key_func(node)] = cidr
            self._used[cidr] = key_func(node)

    def _block(self, idx: int) -> str:
        base = int(self.network.network_address) + (idx << (32 - NODE_CIDR_MASK_SIZE))
        return f"{ipaddress.IPv4Address(base)}/{NODE_CIDR_MASK_SIZE}"

    def _allocate(self) -> str | None:
        """cidrset.AllocateNext: the next free block after the last one given (round robin)."""
        for i in range(self._blocks):
            idx = (self._next + i) % self._blocks
            cidr = self._block(idx)
            if cidr not in self._used:
                self._next = idx + 1
                return cidr
        return None
