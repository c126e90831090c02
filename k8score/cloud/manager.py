"""cloud-controller-manager: the cloud's controllers in one process (k8s.io/cloud-provider/app).

Like kube-controller-manager it hosts several controllers over one shared informer factory;
each reconciles the cluster with the cloud through the provider's interface
(:mod:`.provider`), which it calls directly — the cloud is not a Kubernetes API. The
controllers and the ServiceAccounts they write as (cloud-provider/app/core.go: the cloud node
and cloud node lifecycle controllers reuse ``node-controller``'s role):

=====================  ==============================  ===========================
controller             upstream                        ServiceAccount
=====================  ==============================  ===========================
``cloud-node``         controllers/node                ``node-controller``
``cloud-node-lifecycle`` controllers/nodelifecycle     ``node-controller``
``service``            controllers/service             ``service-controller``
``route``              controllers/route               ``route-controller``
=====================  ==============================  ===========================

The informers list and watch as ``system:cloud-controller-manager``. Stopping the component
is the process dying: a restart lists everything again and converges (the service
controller's cache of Services it holds a load balancer for starts empty; the
``service.kubernetes.io/load-balancer-cleanup`` finalizer is what makes deletion safe anyway).

>>> ccm = CloudControllerManager(loop, api, SimulatedCloud(0))    # doctest: +SKIP
"""

from __future__ import annotations

import random
from typing import Any, Iterable

from ..client import Client, SharedInformerFactory
from ..client.worker import ErrorLog
from ..lang import Text
from ..sim import Component
from .node import CloudNodeController, CloudNodeLifecycleController
from .route import RouteController
from .service import ServiceController

#: Controllers by upstream name (cloud-provider/app/controllermanager.go
#: DefaultInitFuncConstructors), in start order.
CONTROLLERS = {cls.name: cls for cls in (CloudNodeController, CloudNodeLifecycleController,
                                         ServiceController, RouteController)}
SERVICE_ACCOUNTS = {"cloud-node": "node-controller", "cloud-node-lifecycle": "node-controller",
                    "service": "service-controller", "route": "route-controller"}
#: --cluster-name default (cloud-provider options/kubecloudshared.go)
CLUSTER_NAME = "kubernetes"


class CloudControllerManager(Component):
    kind = "cloud-controller-manager"
    plane = "control-plane"
    watches = ("nodes", "services")
    writes = ("nodes", "nodes/status", "services", "services/status", "events")
    summary = Text("对接云平台：初始化节点（providerID、可用区标签）、删除云上已不存在的节点、为 LoadBalancer Service 创建负载均衡器、为每个节点的 podCIDR 建路由",
                   "Connects to the cloud platform: initializes nodes (providerID, zone labels), deletes nodes gone from the cloud, creates load balancers for LoadBalancer Services, routes each node's podCIDR")

    def __init__(self, loop: Any, api: Any, cloud: Any, controllers: Iterable[str] | None = None,
                 name: str = "cloud-controller-manager", seed: int = 0, cluster_cidr: str | None = None):
        super().__init__(name, loop)
        self.api = api
        self.cloud = cloud
        #: --cluster-cidr: the route controller owns the routes inside it
        self.cluster_cidr = cluster_cidr
        self.cluster_name = CLUSTER_NAME
        names = list(CONTROLLERS) if controllers is None else list(controllers)
        unknown = [n for n in names if n not in CONTROLLERS]
        if unknown:
            raise ValueError(f"unknown controller(s) {unknown}; known: {sorted(CONTROLLERS)}")
        self.enabled = names
        self.client: Client | None = None
        self.factory: SharedInformerFactory | None = None
        self.controllers: dict[str, Any] = {}
        self.errors = ErrorLog(loop, name)
        # Our informers' and recorders' generators come from here, not the loop's: turning the
        # cloud on must not shift what every other component draws (pod names, UIDs' order).
        self._rng = random.Random(f"{name}/{seed}")

    def on_start(self) -> None:
        real = self.loop.rng
        self.loop.rng = self._rng
        try:
            self.client = Client(self.api, user="system:cloud-controller-manager")
            self.factory = SharedInformerFactory(self.client, self.loop)
            # --use-service-account-credentials: each controller writes as its ServiceAccount
            self.controllers = {name: CONTROLLERS[name](self, self._client_for(name), self.factory)
                                for name in self.enabled}
            self.factory.start()
        finally:
            self.loop.rng = real

    def _client_for(self, controller: str) -> Client:
        return Client(self.api, user=f"system:serviceaccount:kube-system:{SERVICE_ACCOUNTS[controller]}")

    def on_stop(self) -> None:
        if self.factory is not None:
            self.factory.stop()
        for c in self.controllers.values():
            c.stop()

    def controller(self, name: str) -> Any:
        """The running controller called ``name`` (``"service"``, ``"route"``...)."""
        return self.controllers[name]
