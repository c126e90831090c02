"""kube-controller-manager: one process hosting many controllers over one informer factory.

Upstream (cmd/kube-controller-manager) each controller is started by name and they all
share a SharedInformerFactory, so a pod is listed and watched once for the ReplicaSet,
Deployment, Endpoints and garbage-collector controllers together. Stopping the component
is "the process died": informers and queues go away, and a restart lists everything again
and converges from what it finds — nothing is remembered across a restart. With several
control planes (``Cluster(control_planes=3)``) each replica runs only while it holds the
``kube-system/kube-controller-manager`` Lease (:mod:`k8score.leaderelection` starts and stops it).

>>> kcm = KubeControllerManager(loop, api)                       # doctest: +SKIP
>>> kcm.start(); kcm.controller("replicaset").queue              # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Iterable

from ..client import Client, SharedInformerFactory
from ..client.worker import ErrorLog
from ..lang import Text
from ..sim import Component
from .base import Controller
from .clusterroleaggregation import ClusterRoleAggregationController
from .daemonset import DaemonSetsController
from .deployment import DeploymentController
from .disruption import DisruptionController
from .endpoints import EndpointsController
from .endpointslice import EndpointSliceController
from .endpointslicemirroring import EndpointSliceMirroringController
from .garbagecollector import GarbageCollector
from .nodeipam import NodeIpamController
from .nodelifecycle import NodeLifecycleController
from .namespace import NamespaceController
from .replication import ReplicationManager
from .podgc import PodGCController
from .persistentvolume import PersistentVolumeController
from .volumeprotection import PVCProtectionController, PVProtectionController
from .attachdetach import AttachDetachController
from .replicaset import ReplicaSetController
from .resourcequota import ResourceQuotaController
from .rootcacert import RootCACertPublisher
from .serviceaccount import ServiceAccountsController
from .statefulset import StatefulSetController
from .tainteviction import TaintEvictionController
from .cronjob import CronJobController
from .job import JobController
from .ttlafterfinished import TTLAfterFinishedController
from .podautoscaler import HorizontalPodAutoscalerController

#: Controllers by upstream name, in start order.
CONTROLLERS: dict[str, type[Controller]] = {
    cls.name: cls for cls in (
        DeploymentController, ReplicaSetController, EndpointsController, EndpointSliceController,
        EndpointSliceMirroringController, ServiceAccountsController,
        GarbageCollector, NodeIpamController, NodeLifecycleController, TaintEvictionController,
        ResourceQuotaController, ClusterRoleAggregationController, RootCACertPublisher,
        DaemonSetsController, StatefulSetController,
        JobController, CronJobController, TTLAfterFinishedController, PodGCController,
        DisruptionController, NamespaceController, ReplicationManager,
        PersistentVolumeController, PVCProtectionController, PVProtectionController,
        AttachDetachController,
        HorizontalPodAutoscalerController,
    )
}


#: controller -> the kube-system ServiceAccount it runs as (cmd/kube-controller-manager/app
#: controller descriptors' ClientName; the taint-eviction controller shares node-controller's)
SERVICE_ACCOUNTS = {"endpoints": "endpoint-controller", "endpointslice": "endpointslice-controller",
                    "endpointslicemirroring": "endpointslicemirroring-controller",
                    "daemonset": "daemon-set-controller",
                    "job": "job-controller", "cronjob": "cronjob-controller",
                    "ttl-after-finished": "ttl-after-finished-controller",
                    "podgc": "pod-garbage-collector",
                    "disruption": "disruption-controller",
                    "persistentvolume-binder": "persistent-volume-binder",
                    "pvc-protection": "pvc-protection-controller", "pv-protection": "pv-protection-controller",
                    "attachdetach": "attachdetach-controller",
                    "replicationcontroller": "replication-controller",
                    "serviceaccount": "service-account-controller",
                    "garbagecollector": "generic-garbage-collector", "nodeipam": "node-controller",
                    "nodelifecycle": "node-controller", "taint-eviction-controller": "node-controller",
                    "root-ca-cert-publisher": "root-ca-cert-publisher",
                    "clusterrole-aggregation": "clusterrole-aggregation-controller",
                    "horizontalpodautoscaling": "horizontal-pod-autoscaler"}


class KubeControllerManager(Component):
    kind = "kube-controller-manager"
    plane = "control-plane"
    watches = tuple(dict.fromkeys(r for c in CONTROLLERS.values() for r in c.watches))
    writes = tuple(dict.fromkeys(r for c in CONTROLLERS.values() for r in c.writes))
    summary = Text("运行各类控制器（Deployment、ReplicaSet、Endpoints、垃圾回收等），不断把集群的实际状态推向期望状态",
                   "Runs the controllers (Deployment, ReplicaSet, Endpoints, garbage collection, ...), continually driving the cluster's actual state toward the desired state")

    def __init__(self, loop: Any, api: Any, controllers: Iterable[str] | None = None,
                 watch_latency: float | None = None, name: str = "kube-controller-manager",
                 cluster_cidr: str | None = None):
        super().__init__(name, loop)
        self.api = api
        #: ``--cluster-cidr``: the pod network the nodeipam controller slices (None: 10.244.0.0/16).
        self.cluster_cidr = cluster_cidr
        names = list(CONTROLLERS) if controllers is None else list(controllers)
        unknown = [n for n in names if n not in CONTROLLERS]
        if unknown:
            raise ValueError(f"unknown controller(s) {unknown}; known: {sorted(CONTROLLERS)}")
        self.enabled = names
        #: Watch delivery delay for this manager's informers (None: the API server's default).
        self.watch_latency = watch_latency
        self.client: Client | None = None
        self.factory: SharedInformerFactory | None = None
        self.controllers: dict[str, Controller] = {}
        #: Errors the controllers recovered from (``utilruntime.HandleError``), across restarts.
        self.errors = ErrorLog(loop, name)

    def on_start(self) -> None:
        self.client = Client(self.api, user="system:kube-controller-manager", watch_latency=self.watch_latency)
        self.factory = SharedInformerFactory(self.client, self.loop, latency=self.watch_latency)
        # --use-service-account-credentials (kubeadm's setting): the shared informers list and
        # watch as system:kube-controller-manager, each controller writes as its own
        # ServiceAccount, which the bootstrap policy's system:controller:* roles authorize
        self.controllers = {name: CONTROLLERS[name](self, self._client_for(name), self.factory)
                            for name in self.enabled}
        self.factory.start()

    def _client_for(self, controller: str) -> Client:
        sa = SERVICE_ACCOUNTS.get(controller, f"{controller}-controller")
        return Client(self.api, user=f"system:serviceaccount:kube-system:{sa}", watch_latency=self.watch_latency)

    def on_stop(self) -> None:
        if self.factory is not None:
            self.factory.stop()
        for c in self.controllers.values():
            c.stop()

    def controller(self, name: str) -> Controller:
        """The running controller called ``name`` (e.g. ``"replicaset"``)."""
        return self.controllers[name]
