"""``Cluster``: a whole Kubernetes cluster on one virtual clock — the public API.

>>> from k8score import Cluster
>>> c = Cluster(nodes=2, seed=0)
>>> [n["metadata"]["name"] for n in c.get("nodes")]
['node-1', 'node-2']

Wiring (as in a kubeadm cluster): one etcd member, kube-apiserver (the only
component holding the store), kube-scheduler, kube-controller-manager, and per
worker node a kubelet (with a containerd-like CRI runtime) and a kube-proxy
(``proxy_mode``: ``"iptables"``, the default, ``"ipvs"`` — deprecated upstream since 1.35 — or
``"nftables"``). Every component
talks to the others only through the API server's list/watch/write API.

Layouts: by default the control plane is not a Node (as in managed clusters).
``Cluster(nodes=3, kubeadm=True)`` adds a node ``control-plane`` laid out as ``kubeadm init``
leaves it (:mod:`k8score.node.controlplane`): labelled ``node-role.kubernetes.io/control-plane``,
tainted ``node-role.kubernetes.io/control-plane:NoSchedule``, with etcd, kube-apiserver,
kube-controller-manager and kube-scheduler as static pods in ``kube-system``. ``runtime`` picks
the CRI implementation (``"containerd"`` or ``"cri-o"``). Every node is a machine
(:class:`k8score.node.Host`) a reader can log into: ``c.ssh("node-1", "crictl ps")``;
``c.trace("default/client", "web")`` follows a new connection through a node's Service rules.

Cloud: by default the machines run on a simulated cloud (``c.cloud``, :mod:`k8score.cloud`) and a
cloud-controller-manager initialises each Node (providerID, ``topology.kubernetes.io/zone`` —
``k8score-1a/b/c`` round robin — region and instance-type labels; the kubelets run with
``--cloud-provider=external``, so a Node is tainted ``node.cloudprovider.kubernetes.io/uninitialized``
until then), gives ``type: LoadBalancer`` Services an external IP (``192.0.2.10`` first), adds a
route per podCIDR and deletes Nodes whose machine is gone. ``Cluster(cloud=False)`` is bare metal:
none of that, and LoadBalancer Services stay ``<pending>``.

High availability: ``Cluster(control_planes=3)`` runs kubeadm's stacked-etcd HA layout
(:mod:`k8score.ha`): ``etcd-1..3``, ``kube-apiserver-1..3`` (each over its local member, each
with its own watch cache) behind a load balancer that ``c.api`` / ``c.kubectl``, kubelets and
kube-proxies go through (``c.apiserver`` is the balancer, ``c.apiservers`` the servers), and
``kube-scheduler-1..3`` / ``kube-controller-manager-1..3`` talking to their local API server
and leader-elected on Leases (:mod:`k8score.leaderelection`; ``c.leader("kube-scheduler")``,
``c.replicas``). With one control plane the names are the plain ones and there is no leader
election (it would add Lease writes to every page's output).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from .api.schema.yamlload import YAMLError, load_yaml_documents
from .apiserver import APIServer, ApiError
from .client import Client
from .client.informer import SharedInformer
from .cloud import CloudControllerManager, SimulatedCloud
from .controllers import KubeControllerManager
from .etcd import Store
from .etcd.etcdctl import etcdctl as _etcdctl
from .etcd.cluster import EtcdCluster
from .kubectl import Kubectl
from .kubelet import Kubelet
from .cri import FLAVOURS
from .livediagram import cluster_dot
from .network import build_network, install_addon
from .node import Host
from .node import controlplane as kubeadm_layout
from .node.netcmds import Conntrack, NetCommands
from .node.shell import NodeShell, ShellOutput
from .proxy import KubeProxy
from .proxy.clustertrace import cluster_trace
from .proxy.kubeproxy import MODES as _PROXY_MODES
from .proxy.kubeproxy import DEFAULT_CLUSTER_CIDR  # noqa: F401 - re-exported
from .controllers.nodeipam import default_cluster_cidr
from .network.kubeproxy_addon import KUBE_PROXY_BINARY, KubeProxyProcess, install_kube_proxy_addon
from .proxy.tracefmt import Trace
from .metrics import install as _install_metrics_server
from .scheduler import Scheduler
from .sim import Component, Loop

# Bootstrap budget: nodes register, get a podCIDR and turn Ready well within this.
_BOOT_SECONDS = 5.0
# kubeadm layout: how long bootstrap waits for the control-plane static pods to run.
_STATIC_BOOT_SECONDS = 60.0
# Cluster DNS: how long bootstrap waits for the coredns pods to be Ready, then one kube-proxy
# minSyncPeriod (1 s) so the new endpoints are in every node's rules.
_DNS_BOOT_SECONDS = 60.0
_PROXY_SYNC_SECONDS = 1.0


class _EtcdMember(Component):
    """The etcd member as a component in the cluster's list (a single member for now)."""

    kind = "etcd"
    plane = "control-plane"

    def __init__(self, loop: Loop, store: Store):
        super().__init__("etcd", loop)
        self.store = store

    def on_start(self) -> None:
        # etcd expires leases on its own clock; check once a second (virtual).
        self.every(1.0, lambda: self.store.advance(self.loop.now))


class Cluster:
    """A simulated cluster: control plane plus ``nodes`` worker nodes ``node-1..node-N``."""

    def __init__(self, nodes: int = 3, seed: int = 0, *, etcd_members: int = 1, node_cpu: str = "4",
                 node_memory: str = "8Gi", node_pods: int = 110, kubeadm: bool = False,
                 runtime: str = "containerd", proxy_mode: str = "iptables", cloud: bool = True,
                 metrics_server: bool = True, scheduler_config: Any = None,
                 scheduler_plugins: dict | None = None, pod_cidr: str | None = None,
                 epoch: Any = None, control_planes: int = 1,
                 apiserver_store: Any = None):
        if nodes < 0:
            raise ValueError("nodes must be >= 0")
        if proxy_mode not in _PROXY_MODES:
            raise ValueError(f"unknown proxy_mode {proxy_mode!r}: use one of {', '.join(_PROXY_MODES)}")
        #: kube-proxy's ``--proxy-mode`` on every node.
        self.proxy_mode = proxy_mode
        #: The pod network (``--cluster-cidr``), a /24 of it per node: 10.244.0.0/16 (256 nodes)
        #: unless ``pod_cidr`` names one; a cluster of more than 256 nodes gets 10.224.0.0/11
        #: (8,192 nodes; :func:`k8score.controllers.nodeipam.default_cluster_cidr`). A node
        #: beyond the network's blocks gets no podCIDR: ``CIDRNotAvailable``, NotReady, tainted.
        self.pod_cidr = pod_cidr or default_cluster_cidr(nodes)
        #: Each node's connection tracking table: the connections :meth:`trace` followed.
        self.conntrack: dict[str, Conntrack] = {}
        # the traced clients' ephemeral ports: seeded, apart from the loop's generator
        import random as _random
        self._trace_ports = _random.Random(f"trace-ports/{seed}")
        if runtime not in FLAVOURS:
            raise ValueError(f"unknown runtime {runtime!r}: use one of {', '.join(FLAVOURS)}")
        self.seed = seed
        self.kubeadm = kubeadm
        self.runtime = runtime
        # epoch: the wall time virtual time 0 stands for (k8score.sim.clock.epoch_offset)
        self.loop = Loop(seed, epoch=epoch)
        if etcd_members not in (1, 3, 5):
            raise ValueError(f"etcd_members must be 1, 3 or 5, got {etcd_members}")
        # control_planes=3: kubeadm's stacked-etcd HA layout (k8score.ha): etcd-1..3,
        # kube-apiserver-1..3 behind a load balancer, leader-elected schedulers and managers
        if control_planes not in (1, 3):
            raise ValueError(f"control_planes must be 1 or 3, got {control_planes}")
        if control_planes > 1:
            if etcd_members not in (1, control_planes):
                raise ValueError(f"control_planes={control_planes} runs {control_planes} stacked etcd members")
            etcd_members = control_planes
        #: How many control-plane instances run (1, or 3: ``c.leader(...)``, ``c.apiservers``).
        self.control_planes = control_planes
        if kubeadm and etcd_members > control_planes:
            raise ValueError("kubeadm=True runs one stacked etcd member (an HA control plane is not built yet)")
        #: The etcd members (``etcd``, or ``etcd-1``..``etcd-N``), their peer network and faults.
        self.etcd_cluster = EtcdCluster(self.loop, members=etcd_members, seed=seed)
        for _m in self.etcd_cluster.members:   # the lessors' clocks start where the loop's does (epoch)
            _m.store.advance(self.loop.now)
        self._etcd_member = self.etcd_cluster.members[0]
        # ``c.etcd``: a lone member's store itself (behind the API server's back), else the client.
        self.etcd = self._etcd_member.store if etcd_members == 1 else self.etcd_cluster.client()
        # etcd runs before the API server connects (kubeadm waits for it); several members
        # first elect a leader.
        self.etcd_cluster.start()
        self.etcd_cluster.wait_for_leader()
        if control_planes > 1:   # the clients' API server is the load balancer in front of them
            from .ha import APIServerLB, build_apiservers
            #: The API servers (``kube-apiserver-1..N``; one control plane: ``[c.apiserver]``).
            self.apiservers = build_apiservers(self.loop, self.etcd_cluster, control_planes, seed)
            self.apiserver = APIServerLB(self.loop, self.apiservers)
        else:
            # apiserver_store(loop): another Store-like etcd client for the API server (k8score
            # serve --etcd-servers: k8score.serve_etcd_gateway over a real etcd); the members stay idle
            self.apiserver = APIServer(self.loop, self.etcd_cluster.client() if apiserver_store is None
                                       else apiserver_store(self.loop), seed=seed)
            self.apiservers = [self.apiserver]
        self.api = Client(self.apiserver, user="kubernetes-admin")
        # The timeline is what `kubectl get events -w` would see, stamped with the virtual
        # time each Event reached the API server (a zero-latency watch).
        self._timeline: list[tuple[float, str, str]] = []
        self._event_watch = SharedInformer(Client(self.apiserver, user="kubernetes-admin", watch_latency=0.0),
                                           self.loop, "events")
        # the timeline reads five fields of each Event: its cache keeps only those
        self._event_watch.set_transform(self._timeline_fields)
        self._event_watch.add_event_handler(on_add=self._record_event,
                                            on_update=lambda old, new: self._record_event(new, old))
        # scheduler_config: a KubeSchedulerConfiguration (YAML or dict); scheduler_plugins: the
        # reader's plugins by name (k8score.scheduler.handle), enabled through that config
        self.scheduler = Scheduler(self.loop, self.apiserver, config=scheduler_config,
                                   registry=scheduler_plugins)
        self.controller_manager = KubeControllerManager(self.loop, self.apiserver, cluster_cidr=self.pod_cidr)
        #: The simulated cloud the machines run on (:class:`k8score.cloud.SimulatedCloud`:
        #: ``list_machines()``, ``list_load_balancers()``, ``list_routes()``); None on bare metal
        #: (``cloud=False``: no cloud-controller-manager, LoadBalancer Services stay ``<pending>``).
        self.cloud = SimulatedCloud(seed) if cloud else None
        self.cloud_controller_manager = (CloudControllerManager(self.loop, self.apiserver, self.cloud, seed=seed,
                                                                cluster_cidr=self.pod_cidr)
                                         if self.cloud is not None else None)
        capacity = {"cpu": str(node_cpu), "memory": str(node_memory), "pods": str(node_pods)}
        #: What a node added later has unless :meth:`add_node` says otherwise.
        self._node_capacity = dict(capacity)
        #: The "cloud disks" behind the CSI driver disk.csi.k8score.io (:class:`k8score.csi.DiskBackend`:
        #: ``disks`` by id, each with its zone, node and data), and the driver's controller plugin.
        from .csi import CSIController, DiskBackend
        self.disks = DiskBackend()
        self.csi_controller = CSIController(self.loop, self.apiserver, self.disks)
        self.kubelets: dict[str, Kubelet] = {}
        self.kube_proxies: dict[str, KubeProxy] = {}
        #: Each node's machine: filesystem, journal (``c.ssh`` works on it).
        self.hosts: dict[str, Host] = {}
        self._shells: dict[str, NodeShell] = {}
        self._components: dict[str, Component] = {
            "kube-apiserver": self.apiserver,
            "etcd": self._etcd_member,
            "kube-scheduler": self.scheduler,
            "kube-controller-manager": self.controller_manager,
        }
        if etcd_members > 1:   # etcd-1..etcd-N take the place of the lone "etcd"
            self._components = {**{k: v for k, v in self._components.items() if k != "kube-scheduler"
                                   and k != "kube-controller-manager" and k != "etcd"},
                                **{m.name: m for m in self.etcd_cluster.members},
                                "kube-scheduler": self.scheduler,
                                "kube-controller-manager": self.controller_manager}
        if control_planes > 1:
            self._ha_components(scheduler_config, scheduler_plugins)
        if self.cloud_controller_manager is not None:
            self._components["cloud-controller-manager"] = self.cloud_controller_manager
        #: The pod network: every pod and node reachable, Services through kube-proxy's rules,
        #: names through CoreDNS (kubeadm's ``kube-dns`` Service at 10.96.0.10).
        self.network = build_network(self, start=False, install=False)
        #: The kubeadm layout's control-plane nodes (``control-plane``, and with three control
        #: planes ``control-plane2``, ``control-plane3``: :mod:`k8score.node.controlplane`).
        self.control_plane_nodes = kubeadm_layout.control_plane_nodes(control_planes) if kubeadm else []
        names = self.control_plane_nodes + [f"node-{i}" for i in range(1, nodes + 1)]
        for name in names:
            self._add_node(name, capacity)
        for name, kubelet in self.kubelets.items():
            self._components[f"kubelet/{name}"] = kubelet
            self._components[f"kube-proxy/{name}"] = self.kube_proxies[name]
        self._components["coredns"] = self.network.dns   # kubeadm's DNS addon
        self._components["csi-controller"] = self.csi_controller   # the CSI driver's controller pod
        self._kubectl = Kubectl(self.api, lambda: self.loop.now,
                                wait=lambda pred, timeout: self.run(until=pred, timeout=timeout))
        self._event_watch.start()
        self.apiserver.start()
        install_addon(self.api)   # kubeadm's CoreDNS addon objects (the kube-dns Service, its RBAC)
        # kubeadm's kube-proxy addon: the DaemonSet whose pods run each node's kube-proxy
        install_kube_proxy_addon(self.api, self.proxy_mode, self.pod_cidr)
        from .storage_addon import install_storage_addon
        install_storage_addon(self.api)   # the default StorageClass `standard` (disk.csi.k8score.io)
        from .csi import install as install_csi_driver
        install_csi_driver(self.api)   # the driver's RBAC and CSIDriver object
        for comp in self._components.values():
            if not isinstance(comp, KubeProxy):   # started by their DaemonSet pods' processes
                comp.start()
        #: The metrics-server addon (``kubectl top``, the HPA's resource metrics), as managed
        #: clusters run it; ``metrics_server=False`` leaves the Metrics API unavailable, as kubeadm does.
        self.metrics_server = _install_metrics_server(self) if metrics_server else None
        # Let the nodes register and become Ready before the reader's first command.
        self.loop.run(until=self.loop.now + _BOOT_SECONDS)
        if kubeadm:
            self._mark_control_plane()
            self._wait_for_static_pods()
        self._wait_for_dns()
        self._boot_time = self.loop.now

    def _ha_components(self, scheduler_config: Any, scheduler_plugins: dict | None) -> None:
        """Control planes 1..N: kube-apiserver-i, etcd-i, and kube-scheduler-i /
        kube-controller-manager-i campaigning for their Lease (k8score.leaderelection);
        ``c.scheduler`` / ``c.controller_manager`` stay replica 1's."""
        from .ha import leader_elected
        # kubeadm (since 1.19, kubernetes#94398): scheduler.conf and controller-manager.conf
        # point at the local API server (LocalAPIEndpoint), not the load balancer
        local = self.apiservers
        scheds = [Scheduler(self.loop, api, config=scheduler_config, registry=scheduler_plugins) for api in local]
        kcms = [KubeControllerManager(self.loop, api, cluster_cidr=self.pod_cidr) for api in local]
        self.scheduler, self.controller_manager = scheds[0], kcms[0]
        #: The leader-elected replicas by component (``kube-scheduler``, ``kube-controller-manager``).
        self.replicas = {"kube-scheduler": leader_elected(self.loop, local, scheds, "kube-scheduler", self.seed),
                         "kube-controller-manager": leader_elected(self.loop, local, kcms,
                                                                   "kube-controller-manager", self.seed)}
        rest = {k: v for k, v in self._components.items()
                if k not in ("kube-apiserver", "kube-scheduler", "kube-controller-manager")
                and not k.startswith("etcd")}
        comps: dict[str, Component] = {s.name: s for s in self.apiservers}
        comps.update({m.name: m for m in self.etcd_cluster.members})
        for reps in self.replicas.values():
            comps.update({r.name: r for r in reps})
        comps.update(rest)
        self._components = comps

    def leader(self, component: str) -> str | None:
        """The replica of ``component`` (``kube-scheduler``, ``kube-controller-manager``) that
        leads now — holds the Lease and runs the work — or None (between leaders; always None
        with one control plane, which runs without leader election)."""
        for r in getattr(self, "replicas", {}).get(component, ()):
            if r.running and r.leading:
                return r.name
        return None

    def _wait_for_dns(self) -> None:
        """Return once cluster DNS answers: the coredns pods Ready behind ``kube-dns`` and
        kube-proxy's rules for it written (a cluster without a schedulable node never gets
        there: the wait is bounded, and DNS stays down as it would)."""
        def dns_ready() -> bool:
            slices = [s for s in self.apiserver.lister.list("endpointslices", "kube-system")
                      if (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name") == "kube-dns"]
            ready = any((ep.get("conditions") or {}).get("ready") for s in slices for ep in s.get("endpoints") or ())
            return ready and all(p.initialized for p in self.kube_proxies.values())
        if self.kube_proxies:
            self.loop.run(until=self.loop.now + _DNS_BOOT_SECONDS, predicate=dns_ready)
            self.loop.run(until=self.loop.now + _PROXY_SYNC_SECONDS)

    # -- nodes ----------------------------------------------------------------
    def _add_node(self, name: str, capacity: dict) -> None:
        """A machine (:class:`Host`) on the pod network, its CRI runtime, kubelet and kube-proxy."""
        cps = self.control_plane_nodes
        control_plane = name in cps
        ip = kubeadm_layout.node_ip(cps.index(name) + 1) if control_plane else kubeadm_layout.worker_ip(name, len(cps))
        host = Host(name, ip, self.loop, net=self.network.attach(ip, node=name, hostname=name))
        if control_plane:
            # kubeadm init / join --control-plane: the static pod manifests, and the processes
            # their containers run (control plane i's etcd-i, kube-apiserver-i, ...)
            i = cps.index(name) + 1
            kubeadm_layout.install(host, {comp: (inst, self._components[inst]) for comp, inst
                                          in kubeadm_layout.instance_names(i, len(cps)).items()}, i, cps)
        runtime = FLAVOURS[self.runtime](self.loop, name, host=host, network=self.network)
        if self.cloud is not None:
            self.cloud.create_machine(name, ip, capacity)   # the VM exists before its kubelet runs
        kubelet = Kubelet(self.loop, self.apiserver, name, capacity=dict(capacity), runtime=runtime,
                          host=host, internal_ip=ip, cloud_provider="external" if self.cloud is not None else None)
        self.apiserver.kubelets.register(name, kubelet.server)
        from .csi import NodeService
        kubelet.csi.add_plugin(NodeService(self.disks, name, host.fs, zone=kubelet.csi.node_zone))
        self.hosts[name] = host
        self.kubelets[name] = kubelet
        self.kube_proxies[name] = KubeProxy(self.loop, self.apiserver, name, mode=self.proxy_mode,
                                            cluster_cidr=self.pod_cidr)
        # kubeadm's kube-proxy DaemonSet: its pod's container on this node runs this KubeProxy
        proxy_process = KubeProxyProcess(self.kube_proxies[name])
        if not host.fs.exists("/run"):   # a Linux host's tmpfs (the DaemonSet's xtables.lock lives there)
            host.fs.mkdir("/run", parents=True)
        host.components[KUBE_PROXY_BINARY] = proxy_process
        host.components[f"kube-proxy/{name}"] = proxy_process   # Cluster.stop/start hold it
        self.conntrack[name] = Conntrack()

    def add_node(self, name: str | None = None, **resources: Any) -> str:
        """A new machine joins the cluster (``kubeadm join``); returns the node's name.

        ``name`` defaults to the first free ``node-N``; ``resources`` override the cluster's node
        capacity (``cpu="8"``, ``memory="16Gi"``, ``pods=50``). The machine's runtime, kubelet and
        kube-proxy start now; as on a real machine the kubelet then registers the Node, the
        nodeipam controller gives it a podCIDR and it turns Ready — run the cluster a few seconds
        (:meth:`run`). A name whose machine was removed (:meth:`remove_node`) may join again: its
        kubelet re-registers the Node object that stayed behind. On the simulated cloud the
        machine is created there first (the next zone round robin) and the cloud node controller
        initialises the Node as soon as it registers.
        """
        if name is None:
            taken = set(self.hosts) | {n["metadata"]["name"] for n in self.apiserver.lister.list("nodes")}
            n = 1
            while f"node-{n}" in taken:
                n += 1
            name = f"node-{n}"
        elif name in self.hosts:
            raise ValueError(f"node {name!r} already exists")
        capacity = dict(self._node_capacity)
        capacity.update({k: str(v) for k, v in resources.items()})
        self._add_node(name, capacity)
        for comp in (f"kubelet/{name}", f"kube-proxy/{name}"):
            self._components[comp] = self.kubelets[name] if comp.startswith("kubelet") else self.kube_proxies[name]
        # the kubelet starts; kube-proxy starts when the DaemonSet's pod runs on the new node
        self._components[f"kubelet/{name}"].start()
        return name

    def remove_node(self, name: str) -> None:
        """The machine ``name`` disappears (powered off, deleted from the cloud, unplugged).

        Its kubelet and kube-proxy stop for good (they leave :meth:`components`), its
        containers are gone with the runtime, and its network namespaces (the host's and every
        pod's) leave the pod network. The Node object stays: without a cloud provider nothing
        deletes it (upstream's cloud node lifecycle controller would). What follows is the
        control plane's doing: after ``--node-monitor-grace-period`` (50 s) the node lifecycle
        controller marks it ``Unknown``, its pods not Ready (a ``NodeNotReady`` Warning on each),
        taints it ``unreachable``, and 300 s later the taint-eviction controller deletes the
        pods — which stay ``Terminating`` with no kubelet to confirm. Deleting the Node object
        (``c.delete("nodes", name, namespace=None)``) lets PodGC remove them after its 40 s
        quarantine.

        On the simulated cloud (``Cluster(cloud=True)``, the default) the machine is also deleted
        from the cloud, so once the node is NotReady the cloud node lifecycle controller deletes
        the Node within its 5 s monitor period (``DeletingNode`` "Deleting node X because it does
        not exist in the cloud provider"), PodGC deletes its pods 40 s later and their owners
        replace them on the other nodes; the load balancers drop it and its route goes.
        """
        if name not in self.hosts:
            raise KeyError(f"no node {name!r}; nodes are: {', '.join(self.hosts)}")
        kubelet, proxy, host = self.kubelets.pop(name), self.kube_proxies.pop(name), self.hosts.pop(name)
        for comp in (f"kubelet/{name}", f"kube-proxy/{name}"):
            self._components.pop(comp, None)
        kubelet.stop()
        proxy.stop()
        self.apiserver.kubelets.unregister(name)
        kubelet.runtime.power_off()
        self.disks.remove_node(name)   # the machine's cloud disks come off it
        if self.cloud is not None:
            self.cloud.delete_machine(name)
        self.network.detach(host.ip)
        self._shells.pop(name, None)
        self.conntrack.pop(name, None)

    def _mark_control_plane(self) -> None:
        """kubeadm's markcontrolplane phase (phases/markcontrolplane): role label, LB exclusion, taint."""
        for name in self.control_plane_nodes:
            self._mark_node(name)

    def _mark_node(self, name: str) -> None:
        node = self.api.get("nodes", name)
        taints = list((node.get("spec") or {}).get("taints") or [])
        if kubeadm_layout.CONTROL_PLANE_TAINT not in taints:
            taints.append(dict(kubeadm_layout.CONTROL_PLANE_TAINT))
        self.api.patch("nodes", name, {"metadata": {"labels": {
            kubeadm_layout.LABEL_NODE_ROLE_CONTROL_PLANE: "",
            kubeadm_layout.LABEL_EXCLUDE_FROM_EXTERNAL_LB: ""}}, "spec": {"taints": taints}})

    def _wait_for_static_pods(self) -> None:
        """kubeadm init's wait-control-plane phase: until every component's static pod is Ready."""
        want = [f"{c}-{n}" for n in self.control_plane_nodes for c in kubeadm_layout.COMPONENTS]

        def ready() -> bool:
            # the watch cache, uncopied: this runs after every loop step (a get per pod, the
            # first one not Ready ends the check)
            lister = self.apiserver.lister
            return all(_is_ready(lister.get("pods", name, "kube-system") or {}) for name in want)

        self.loop.run(until=self.loop.now + _STATIC_BOOT_SECONDS, predicate=ready)

    def ssh(self, node: str, command: str, stdin: str | None = None) -> ShellOutput:
        """Run ``command`` in a shell on ``node`` as root; returns what it printed.

        The result is a ``str`` with ``.exit_code``. Commands: ``crictl ps|pods|images|inspect|
        logs|exec``, ``ls``/``cat``/``tee``/``rm``/``mkdir``/``mv``/``cp`` on the node's files
        (``/etc/kubernetes/manifests``, ``/var/log/pods``), ``systemctl status kubelet``,
        ``journalctl -u kubelet``, ``hostname`` (:mod:`k8score.node.shell`); the network tools
        ``iptables-save [-t nat|filter]``, ``iptables -t nat -L KUBE-SERVICES -n [--line-numbers]``,
        ``ipvsadm -Ln``, ``ipset list [NAME]``, ``nft list ruleset``, ``ip addr [show DEV]``,
        ``ip route``, ``conntrack -L`` (:mod:`k8score.node.netcmds`). ``stdin`` feeds the
        command (``c.ssh("node-1", "tee /etc/kubernetes/manifests/web.yaml", stdin=yaml_text)``).
        """
        if node not in self.hosts:
            return ShellOutput(f"ssh: Could not resolve hostname {node}: Name or service not known\n", 255)
        shell = self._shells.get(node)
        if shell is None:
            kubelet = self.kubelets[node]
            runtime = kubelet.runtime
            crio = runtime.version()["runtimeName"] == "cri-o"
            endpoint = "unix:///var/run/crio/crio.sock" if crio else "unix:///var/run/containerd/containerd.sock"
            pause = runtime.PAUSE_IMAGE
            net = NetCommands(node, self.hosts[node].ip, self.kube_proxies[node],
                              nodes=lambda: self.api.list("nodes")["items"], conntrack=self.conntrack[node],
                              now=lambda: self.loop.now)
            shell = self._shells[node] = NodeShell(
                self.hosts[node], runtime, kubelet,
                run_until=lambda pred, timeout: self.loop.run(until=self.loop.now + timeout, predicate=pred),
                cri_endpoint=endpoint, pause_image=pause, netcmds=net)
        return shell(command, stdin)

    def trace(self, src: str, dst: str, port: int | None = None, protocol: str = "TCP") -> Trace:
        """Follow one new connection from ``src`` to ``dst`` through a node's Service rules.

        ``src``: a pod (``"default/client"`` or ``"client"``), a node name (a process on the
        node), ``"external"`` or an outside IP. ``dst``: a ClusterIP, ``<nodeIP>:<nodePort>``,
        a LoadBalancer IP, an external IP or a DNS name (resolved through the cluster DNS with
        the pod's resolv.conf search list); ``port`` when ``dst`` has none (optional if the
        Service has one port). The packet walks the rules of the node it enters — the source
        pod's node; the node addressed for a NodePort; for outside traffic to an LB IP, the
        first Ready node by name (the simulated load balancer) — in the cluster's
        ``proxy_mode``. The :class:`~k8score.proxy.tracefmt.Trace` lists every rule, chain and
        IPVS entry met, the DNAT (``t.dnat``, ``t.endpoint``, ``t.endpoint_name``) and SNAT
        (``t.masquerade``, ``t.snat``), and ``t.verdict`` (ACCEPT, DROP, REJECT) with
        ``t.reason``; ``print(t)`` shows it. Random choices come from the node's kube-proxy
        generator (seeded by the cluster seed); an accepted connection shows in
        ``c.ssh(node, "conntrack -L")``. See :mod:`k8score.proxy.clustertrace`.

        >>> t = c.trace("default/client", "web", 80)           # doctest: +SKIP
        >>> t.verdict, t.endpoint_name                          # doctest: +SKIP
        ('ACCEPT', 'default/web-7d4b9c8f6-x2x9k')
        """
        return cluster_trace(self, src, dst, port, protocol)

    # -- time -------------------------------------------------------------
    @property
    def now(self) -> float:
        """Virtual seconds since the cluster started."""
        return self.loop.now

    def run(self, seconds: float | None = None, until: Callable[[], bool] | None = None,
            timeout: float = 3600.0) -> bool:
        """Advance virtual time by ``seconds``, or until ``until()`` is true (at most ``timeout`` s).

        Returns whether ``until`` became true (True when only ``seconds`` is given).
        """
        if seconds is None and until is None:
            raise ValueError("run() needs seconds= or until=")
        if until is None:
            self.loop.run(until=self.loop.now + seconds)
            return True
        limit = self.loop.now + (seconds if seconds is not None else timeout)
        return self.loop.run(until=limit, predicate=until)

    # -- objects ------------------------------------------------------------
    def apply(self, manifest: str | dict | list) -> list[dict]:
        """Create or update objects from YAML text (multi-document), a dict or a list of dicts."""
        docs = _documents(manifest)
        return [self._kubectl.apply_object(doc) for doc in docs]

    def get(self, resource: str, name: str | None = None, namespace: str | None = "default",
            **selectors: Any) -> Any:
        """One object (with ``name``) or a list of objects (dicts, Kubernetes JSON)."""
        info = self.api.resolve(resource)
        ns = namespace if info.namespaced else None
        if name is not None:
            return self.api.get(info.plural, name, namespace=ns)
        return self.api.list(info.plural, namespace=ns, **selectors)["items"]

    def delete(self, resource: str, name: str, namespace: str = "default", **options: Any) -> dict:
        info = self.api.resolve(resource)
        return self.api.delete(info.plural, name, namespace=namespace if info.namespaced else None, **options)

    def events(self, namespace: str | None = None) -> list[dict]:
        """All Events in the order they were recorded (oldest first)."""
        items = self.api.list("events", namespace=namespace)["items"]
        return sorted(items, key=lambda e: int(e["metadata"]["resourceVersion"]))

    def timeline(self, since: float = 0.0) -> list[tuple[float, str, str]]:
        """``(virtual seconds, component, "Reason: Kind/name: message")`` for every Event, in order.

        ``since`` drops what happened before that virtual time (e.g. node registration).
        """
        return [entry for entry in self._timeline if entry[0] >= since]

    @staticmethod
    def _timeline_fields(ev: dict) -> dict:
        """What :meth:`_record_event` reads of an Event (plus the keys the informer needs)."""
        meta = ev.get("metadata") if isinstance(ev.get("metadata"), dict) else {}
        return {"metadata": {k: meta[k] for k in ("name", "namespace", "resourceVersion") if k in meta},
                **{k: ev[k] for k in ("count", "source", "involvedObject", "reason", "message") if k in ev}}

    def _record_event(self, ev: dict, old: dict | None = None) -> None:
        if old is not None and ev.get("count") == old.get("count"):
            return
        src = ev.get("source") if isinstance(ev.get("source"), dict) else {}
        comp = str(src.get("component", "")) + (f"/{src['host']}" if src.get("host") else "")
        obj = ev.get("involvedObject") if isinstance(ev.get("involvedObject"), dict) else {}
        count = ev.get("count") or 1
        # exec probe output keeps its newline in the Event (prober.go); a timeline line does not
        text = f"{ev.get('reason')}: {obj.get('kind')}/{obj.get('name')}: {str(ev.get('message')).rstrip()}"
        self._timeline.append((self.loop.now, comp, text + (f" (x{count})" if count > 1 else "")))

    def print_timeline(self, since: float = 0.0) -> None:
        for t, comp, text in self.timeline(since):
            print(f"{t:7.3f}s  {comp:<26} {text}")

    # -- tools ----------------------------------------------------------------
    def kubectl(self, command: str, stdin: str | None = None) -> str:
        """Run a kubectl command line against the cluster; returns what kubectl prints."""
        return self._kubectl.run(command, stdin=stdin)

    def etcdctl(self, command: str) -> str:
        """Run an etcdctl v3 command line against the cluster's etcd; returns what it prints."""
        return _etcdctl(self.etcd, command, cluster=self.etcd_cluster)

    def etcdutl(self, command: str, on: str | None = None) -> str:
        """Run an etcdutl command line (``snapshot status|restore``) on the machine of etcd
        member ``on`` (default: the member ``--name`` names); returns what it prints."""
        from .etcd.etcdutl import etcdutl
        return etcdutl(self.etcd_cluster, command, on=on)

    def _etcd_member_named(self, name: str) -> Any:
        try:
            return self.etcd_cluster.member(name)
        except (KeyError, ValueError, LookupError):
            return None

    def components(self) -> list[str]:
        return list(self._components)

    def component(self, name: str) -> Component:
        try:
            return self._components[name]
        except KeyError:
            member = self._etcd_member_named(name)
            if member is not None:   # a member added later (etcdctl member add + ec.add_process)
                return member
            raise KeyError(f"no component {name!r}; components are: {', '.join(self._components)}") from None

    def stop(self, name: str, wipe: bool = False) -> None:
        """Stop a component (its timers and watches end) — e.g. to see what breaks without it.
        ``wipe=True`` (an etcd member) also removes its data directory: a lost disk.

        In the kubeadm layout a control-plane component is also its static pod's process: the
        container exits with an error and keeps failing (``CrashLoopBackOff``) until :meth:`start`.
        A node's name stops the machine's components together: its kubelet, kube-proxy and, on a
        kubeadm control-plane node, its etcd, kube-apiserver, kube-controller-manager and
        kube-scheduler instances (as a machine that hangs: nothing reports their end).
        """
        if name in self.hosts and name not in self._components:
            for comp in self._machine_components(name):
                self.stop(comp)
            return
        comp = self.component(name)
        if wipe and not hasattr(comp, "wipe"):
            raise ValueError(f"{name} has no data directory to wipe")
        self._hold(name, True)
        comp.stop()
        if wipe:
            comp.wipe()

    def start(self, name: str, wipe: bool = False) -> None:
        """Start a stopped component. An etcd member restarts from its WAL and snapshot, or,
        with ``wipe=True``, from an empty data directory (it then catches up from the leader).
        A node's name starts what :meth:`stop` stopped on it."""
        if name in self.hosts and name not in self._components and not wipe:
            for comp in reversed(self._machine_components(name)):
                self.start(comp)
            return
        comp = self.component(name)
        if wipe:
            if not hasattr(comp, "wipe"):
                raise ValueError(f"{name} has no data directory to wipe")
            if len(self.etcd_cluster.members) == 1:
                raise ValueError("wiping the only etcd member would lose the cluster's data")
            comp.wipe()
        self._hold(name, False)
        comp.start()

    # -- faults (etcd members and their peer network: k8score.etcd.cluster) -------------------
    def pause(self, name: str) -> None:
        """SIGSTOP an etcd member: it neither ticks nor answers; messages to it queue up."""
        self.etcd_cluster.member(name).pause()

    def resume(self, name: str) -> None:
        """SIGCONT: the member steps what queued up and ticks again."""
        self.etcd_cluster.member(name).resume()

    def partition(self, *groups: list) -> None:
        """Cut the etcd peer network between groups of members, e.g.
        ``c.partition(["etcd-1"], ["etcd-2", "etcd-3"])``; members not named are isolated.
        (Clients keep reaching every member: only peer traffic is cut.)"""
        self.etcd_cluster.partition(*groups)

    def heal(self) -> None:
        """Undo :meth:`partition` and :meth:`faults`."""
        self.etcd_cluster.heal()

    def faults(self, drop: float = 0.0, delay: tuple | None = None, duplicate: float = 0.0,
               reorder: bool = False) -> None:
        """Faults on every etcd peer message from now on: lost with probability ``drop``,
        delayed by an extra uniform ``delay=(low, high)`` seconds, sent twice with probability
        ``duplicate``, and with ``reorder`` free to overtake earlier messages (else each pair
        keeps FIFO order, as TCP does). ``c.faults()`` clears them."""
        self.etcd_cluster.network.set_faults(drop, delay, duplicate, reorder)

    def slow_clock(self, name: str, factor: float) -> None:
        """Member ``name``'s clock runs ``factor`` times slower (its ticks further apart),
        from its next start or now if running."""
        m = self.etcd_cluster.member(name)
        if factor <= 0:
            raise ValueError("factor must be > 0")
        m.set_clock_skew(float(factor))

    def _machine_components(self, node: str) -> list[str]:
        """What runs on machine ``node``, in the order a power loss stops it: the kubelet first
        (so nothing reports the rest), kube-proxy, then its control-plane instances."""
        return [f"kubelet/{node}", f"kube-proxy/{node}"] + kubeadm_layout.machine_components(self.hosts[node])

    def _hold(self, name: str, held: bool) -> None:
        for host in self.hosts.values():
            proc = host.components.get(name)
            if proc is not None:
                proc.held = held

    def traces(self, last: int = 1) -> list:
        """The API server's traces of its ``last`` requests, oldest first: each prints as
        authentication -> authorization -> admission -> validation -> storage with the
        decision and reason at each step (``print(c.traces()[-1])``)."""
        return list(self.apiserver.traces)[-last:]

    def register_webhook(self, target: str, fn: Callable[[dict], dict]) -> None:
        """Serve an admission webhook from a Python function: ``target`` is
        ``"<namespace>/<service>/<path>"`` (what a webhook configuration's
        ``clientConfig.service`` names) or the ``clientConfig.url``; ``fn`` receives an
        ``admission.k8s.io/v1`` AdmissionReview and returns one with its ``response``."""
        self.apiserver.webhooks.register(target, fn)

    # -- recorded history (k8score.history) -----------------------------------------------
    def record(self, namespace: str | None = "default"):
        """Start recording what the live diagram draws (nodes; pods, owners, Services and
        Endpoints in ``namespace``, None for all) at every virtual instant it changes; returns
        the :class:`~k8score.history.History` (also :meth:`history`). Recording only watches: the
        run is the same with or without it. A second call keeps the first recording."""
        from .history import Recorder

        if getattr(self, "_recorder", None) is None:
            self._recorder = Recorder(self, namespace)
        return self._recorder.history

    def history(self):
        """The :class:`~k8score.history.History` :meth:`record` is filling (``h.frames()``,
        ``h.at(t)``, ``h.view()``)."""
        if getattr(self, "_recorder", None) is None:
            raise RuntimeError("nothing recorded: call c.record() before the changes you want to see")
        return self._recorder.history

    def timeline_view(self, since: float | None = None, until: float | None = None, max_frames: int = 60,
                      title: str | None = None):
        """``show(c.timeline_view(since=t0))``: the recorded history between ``since`` and
        ``until`` as a diagram with a time slider and the event log up to each frame."""
        return self.history().view(since=since, until=until, max_frames=max_frames, title=title)

    def diagram(self, namespace: str | None = "default") -> str:
        """Graphviz DOT of the current state: nodes and their pods, owners, services."""
        lst = lambda r, ns=namespace: self.api.list(r, namespace=ns)["items"]  # noqa: E731
        return cluster_dot(nodes=lst("nodes", None), pods=lst("pods"), deployments=lst("deployments"),
                           replicasets=lst("replicasets"), services=lst("services"),
                           endpoints=lst("endpoints"))

    def __repr__(self) -> str:
        return f"<Cluster nodes={len(self.kubelets)} seed={self.seed} now={self.now:.3f}s>"


def _is_ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


def _documents(manifest: str | dict | list) -> list[dict]:
    """The objects a manifest holds, as ``kubectl apply -f`` reads them.

    YAML goes through the bounded loader (sigs.k8s.io/yaml's outcomes: timestamps stay
    strings, alias bombs and NaN/Infinity refused); a ``kind: ...List`` document contributes
    its ``items``. Anything that is not an object — a scalar document, ``items`` that is not
    a list, an item that is not a mapping — is a 400 BadRequest, never a crash later.
    """
    if isinstance(manifest, dict):
        docs: Iterable[Any] = [manifest]
    elif isinstance(manifest, list):
        docs = manifest
    elif isinstance(manifest, str):
        try:
            docs = load_yaml_documents(manifest)
        except YAMLError as e:
            raise ApiError.bad_request(f"error converting YAML to JSON: {e}") from None
    else:
        raise TypeError("apply() takes YAML text, a dict or a list of dicts")
    out = []
    for doc in docs:
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise ApiError.bad_request(f"a manifest document must be a mapping, got {_json_type(doc)}")
        kind = doc.get("kind")
        if isinstance(kind, str) and kind.endswith("List") and "items" in doc:
            items = doc["items"]
            if not isinstance(items, list):
                raise ApiError.bad_request(f'error decoding {kind}: "items" must be a list, got {_json_type(items)}')
            for item in items:
                if not isinstance(item, dict):
                    raise ApiError.bad_request(f"error decoding {kind}: every item must be a mapping, "
                                               f"got {_json_type(item)}")
                out.append(item)
        else:
            out.append(doc)
    return out


def _json_type(value: Any) -> str:
    """The JSON type name of a decoded value (what a reader wrote, not Python's name)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__
