"""A simulated cloud behind the cloud-provider interface shape (k8s.io/cloud-provider cloud.go).

The cloud is plain data with no clock: machines, load balancers and routes, changed only by
calls. ``Interface`` upstream hands out four optional parts; so does :class:`SimulatedCloud`:

- :meth:`SimulatedCloud.instances_v2` — ``InstancesV2`` (``instance_exists``,
  ``instance_shutdown``, ``instance_metadata``), looked up by ``spec.providerID`` when the Node
  has one, else by node name (the machine's hostname);
- :meth:`SimulatedCloud.load_balancer` — ``LoadBalancer`` (``get_load_balancer``,
  ``get_load_balancer_name``, ``ensure_load_balancer``, ``update_load_balancer``,
  ``ensure_load_balancer_deleted``);
- :meth:`SimulatedCloud.routes` — ``Routes`` (``list_routes``, ``create_route``, ``delete_route``);
- :meth:`SimulatedCloud.zones` — ``Zones`` (``get_zone_by_provider_id``, ``get_zone_by_node_name``).

Layout (documented choices, not upstream facts): one region ``k8score-1`` with zones
``k8score-1a``, ``k8score-1b``, ``k8score-1c``; the n-th machine created goes to zone n mod 3
(round robin: node-1 in a, node-2 in b, node-3 in c, node-4 in a...). Instance IDs look like
EC2's (``i-`` + 17 hex digits) from a generator seeded by the cluster seed, apart from the
loop's. A machine's type names its size (``k8score.4cpu-8gi``); its addresses are its
InternalIP and Hostname (no public IPs: a private node pool). Load balancer IPs come from
TEST-NET-1, ``192.0.2.0/24`` (RFC 5737, reserved for documentation), lowest free first
from ``192.0.2.10`` (``c.trace``'s external client is TEST-NET-3's ``203.0.113.10``). Provider IDs read ``k8score://<region>/<zone>/<instance-id>``.

>>> cloud = SimulatedCloud(seed=0)
>>> m = cloud.create_machine("node-1", "192.168.0.11", {"cpu": "4", "memory": "8Gi"})
>>> m.zone, m.instance_type, m.provider_id.startswith("k8score://k8score-1/k8score-1a/i-")
('k8score-1a', 'k8score.4cpu-8gi', True)
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass, field
from typing import Any

REGION = "k8score-1"
ZONES = ("k8score-1a", "k8score-1b", "k8score-1c")
PROVIDER_NAME = "k8score"
#: RFC 5737 TEST-NET-1: documentation addresses, never routed on the internet.
LB_RANGE = "192.0.2.0/24"
_LB_FIRST = 10


class InstanceNotFound(LookupError):
    """cloudprovider.InstanceNotFound: "instance not found"."""

    def __init__(self) -> None:
        super().__init__("instance not found")


@dataclass
class Machine:
    """A virtual machine: what the cloud console lists."""
    name: str
    instance_id: str
    instance_type: str
    zone: str
    internal_ip: str
    state: str = "running"          # "running" | "stopped"

    @property
    def region(self) -> str:
        return REGION

    @property
    def provider_id(self) -> str:
        return f"{PROVIDER_NAME}://{REGION}/{self.zone}/{self.instance_id}"

    def addresses(self) -> list[dict]:
        return [{"type": "InternalIP", "address": self.internal_ip}, {"type": "Hostname", "address": self.name}]


@dataclass
class LoadBalancer:
    """A cloud load balancer: a public IP forwarding each port to the nodes' NodePort."""
    name: str
    service: str                     # "<namespace>/<name>", for the reader
    ip: str
    ports: list[dict] = field(default_factory=list)   # {"protocol", "port", "nodePort"}
    hosts: list[str] = field(default_factory=list)    # node names, sorted


@dataclass
class Route:
    """cloudprovider.Route: send ``destination_cidr`` to ``target_node``."""
    name: str
    target_node: str
    destination_cidr: str
    blackhole: bool = False


def _instance_type(capacity: dict) -> str:
    cpu = str(capacity.get("cpu", "4"))
    mem = str(capacity.get("memory", "8Gi")).lower()
    return f"{PROVIDER_NAME}.{cpu}cpu-{mem}"


class SimulatedCloud:
    """The cloud a cluster runs on (``Cluster(cloud=True)``: ``c.cloud``)."""

    def __init__(self, seed: int = 0):
        self._rng = random.Random(f"cloud/{seed}")
        self.machines: dict[str, Machine] = {}
        self.load_balancers: dict[str, LoadBalancer] = {}
        self._routes: dict[str, Route] = {}
        self._created = 0

    # -- the cloud's own API (what `kubeadm join` on a new VM and the console do) ------------
    def create_machine(self, name: str, internal_ip: str, capacity: dict) -> Machine:
        if name in self.machines:
            raise ValueError(f"machine {name!r} already exists")
        zone = ZONES[self._created % len(ZONES)]
        self._created += 1
        instance_id = f"i-{self._rng.getrandbits(68):017x}"
        m = self.machines[name] = Machine(name, instance_id, _instance_type(capacity), zone, internal_ip)
        return m

    def delete_machine(self, name: str) -> None:
        self.machines.pop(name, None)

    def shutdown(self, name: str) -> None:
        """Power the machine off (it still exists: InstanceShutdown is true)."""
        self.machines[name].state = "stopped"

    def power_on(self, name: str) -> None:
        self.machines[name].state = "running"

    def list_machines(self) -> list[Machine]:
        return sorted(self.machines.values(), key=lambda m: m.name)

    def list_load_balancers(self) -> list[LoadBalancer]:
        return sorted(self.load_balancers.values(), key=lambda lb: lb.service)

    def list_routes(self) -> list[Route]:
        return sorted(self._routes.values(), key=lambda r: (r.target_node, r.destination_cidr))

    # -- Interface ------------------------------------------------------------------------
    def provider_name(self) -> str:
        return PROVIDER_NAME

    def instances_v2(self) -> tuple["_InstancesV2", bool]:
        return _InstancesV2(self), True

    def load_balancer(self) -> tuple["_LoadBalancers", bool]:
        return _LoadBalancers(self), True

    def routes(self) -> tuple["_Routes", bool]:
        return _Routes(self), True

    def zones(self) -> tuple["_Zones", bool]:
        return _Zones(self), True

    # -- lookups ----------------------------------------------------------------------------
    def _machine_for(self, node: dict) -> Machine | None:
        pid = (node.get("spec") or {}).get("providerID")
        if pid:
            return next((m for m in self.machines.values() if m.provider_id == pid), None)
        return self.machines.get(node["metadata"]["name"])


class _InstancesV2:
    def __init__(self, cloud: SimulatedCloud):
        self.cloud = cloud

    def instance_exists(self, node: dict) -> bool:
        return self.cloud._machine_for(node) is not None

    def instance_shutdown(self, node: dict) -> bool:
        m = self.cloud._machine_for(node)
        if m is None:
            raise InstanceNotFound()
        return m.state == "stopped"

    def instance_metadata(self, node: dict) -> dict:
        """cloudprovider.InstanceMetadata: providerID, instanceType, nodeAddresses, zone, region."""
        m = self.cloud._machine_for(node)
        if m is None:
            raise InstanceNotFound()
        return {"providerID": m.provider_id, "instanceType": m.instance_type,
                "nodeAddresses": m.addresses(), "zone": m.zone, "region": m.region}


class _Zones:
    def __init__(self, cloud: SimulatedCloud):
        self.cloud = cloud

    def get_zone_by_node_name(self, name: str) -> dict:
        m = self.cloud.machines.get(name)
        if m is None:
            raise InstanceNotFound()
        return {"failureDomain": m.zone, "region": m.region}

    def get_zone_by_provider_id(self, provider_id: str) -> dict:
        m = next((m for m in self.cloud.machines.values() if m.provider_id == provider_id), None)
        if m is None:
            raise InstanceNotFound()
        return {"failureDomain": m.zone, "region": m.region}


def default_load_balancer_name(service: dict) -> str:
    """cloud.go DefaultLoadBalancerName: "a" + the UID without dashes, at most 32 characters."""
    ret = "a" + str(service["metadata"].get("uid", "")).replace("-", "")
    return ret[:32]


class _LoadBalancers:
    def __init__(self, cloud: SimulatedCloud):
        self.cloud = cloud

    def get_load_balancer_name(self, cluster_name: str, service: dict) -> str:
        return default_load_balancer_name(service)

    def get_load_balancer(self, cluster_name: str, service: dict) -> tuple[dict | None, bool]:
        lb = self.cloud.load_balancers.get(self.get_load_balancer_name(cluster_name, service))
        return (_status(lb), True) if lb is not None else (None, False)

    def ensure_load_balancer(self, cluster_name: str, service: dict, nodes: list[dict]) -> dict:
        name = self.get_load_balancer_name(cluster_name, service)
        lb = self.cloud.load_balancers.get(name)
        if lb is None:
            meta = service["metadata"]
            lb = LoadBalancer(name, f"{meta.get('namespace')}/{meta['name']}", self._free_ip(service))
            self.cloud.load_balancers[name] = lb
        lb.ports = [{"protocol": p.get("protocol", "TCP"), "port": p.get("port"), "nodePort": p.get("nodePort")}
                    for p in (service.get("spec") or {}).get("ports") or () if isinstance(p, dict)]
        lb.hosts = sorted(n["metadata"]["name"] for n in nodes)
        return _status(lb)

    def update_load_balancer(self, cluster_name: str, service: dict, nodes: list[dict]) -> None:
        lb = self.cloud.load_balancers.get(self.get_load_balancer_name(cluster_name, service))
        if lb is None:
            raise LookupError("load balancer not found")
        lb.hosts = sorted(n["metadata"]["name"] for n in nodes)

    def ensure_load_balancer_deleted(self, cluster_name: str, service: dict) -> None:
        self.cloud.load_balancers.pop(self.get_load_balancer_name(cluster_name, service), None)

    def _free_ip(self, service: dict) -> str:
        used = {lb.ip for lb in self.cloud.load_balancers.values()}
        wanted = (service.get("spec") or {}).get("loadBalancerIP")
        net = ipaddress.ip_network(LB_RANGE)
        if wanted and wanted not in used and _in(wanted, net):
            return wanted
        for host in list(net.hosts())[_LB_FIRST - 1:]:
            if str(host) not in used:
                return str(host)
        raise RuntimeError(f"no free address in {LB_RANGE}")


def _in(ip: str, net: Any) -> bool:
    try:
        return ipaddress.ip_address(ip) in net
    except ValueError:
        return False


def _status(lb: LoadBalancer) -> dict:
    # core/v1 defaulting gives an ingress with an IP ipMode "VIP" (LoadBalancerIPMode, GA 1.32)
    return {"ingress": [{"ip": lb.ip, "ipMode": "VIP"}]}


class _Routes:
    def __init__(self, cloud: SimulatedCloud):
        self.cloud = cloud

    def list_routes(self, cluster_name: str) -> list[Route]:
        return [self.cloud._routes[k] for k in sorted(self.cloud._routes)]

    def create_route(self, cluster_name: str, name_hint: str, route: Route) -> None:
        route.name = f"{cluster_name}-{name_hint}"
        self.cloud._routes[route.name] = route

    def delete_route(self, cluster_name: str, route: Route) -> None:
        self.cloud._routes.pop(route.name, None)
