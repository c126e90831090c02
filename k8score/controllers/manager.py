"""kube-controller-manager: one process hosting many controllers over one informer factory.

Upstream (cmd/kube-controller-manager) each controller is started by name and they all
share a SharedInformerFactory, so a pod is listed and watched once for the ReplicaSet,
Deployment, Endpoints and garbage-collector controllers together. Stopping the component
is "the process died": informers and queues go away, and a restart lists everything again
and converges from what it finds — nothing is remembered across a restart. Leader
election (one active manager among replicas) is not modelled: there is one manager.

>>> kcm = KubeControllerManager(loop, api)                       # doctest: +SKIP
>>> kcm.start(); kcm.controller("replicaset").queue              # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Iterable

from ..client import Client, SharedInformerFactory
from ..sim import Component
from .base import Controller
from .deployment import DeploymentController
from .endpoints import EndpointsController
from .garbagecollector import GarbageCollector
from .nodeipam import NodeIpamController
from .nodelifecycle import NodeLifecycleController
from .replicaset import ReplicaSetController
from .serviceaccount import ServiceAccountsController
from .tainteviction import TaintEvictionController

#: Controllers by upstream name, in start order.
CONTROLLERS: dict[str, type[Controller]] = {
    cls.name: cls for cls in (
        DeploymentController, ReplicaSetController, EndpointsController, ServiceAccountsController,
        GarbageCollector, NodeIpamController, NodeLifecycleController, TaintEvictionController,
    )
}


class KubeControllerManager(Component):
    kind = "kube-controller-manager"
    plane = "control-plane"
    watches = tuple(dict.fromkeys(r for c in CONTROLLERS.values() for r in c.watches))
    writes = tuple(dict.fromkeys(r for c in CONTROLLERS.values() for r in c.writes))
    summary = "运行各类控制器（Deployment、ReplicaSet、Endpoints、垃圾回收等），不断把集群的实际状态推向期望状态"

    def __init__(self, loop: Any, api: Any, controllers: Iterable[str] | None = None,
                 watch_latency: float | None = None, name: str = "kube-controller-manager"):
        super().__init__(name, loop)
        self.api = api
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

    def on_start(self) -> None:
        self.client = Client(self.api, user="system:kube-controller-manager", watch_latency=self.watch_latency)
        self.factory = SharedInformerFactory(self.client, self.loop, latency=self.watch_latency)
        self.controllers = {name: CONTROLLERS[name](self, self.client, self.factory) for name in self.enabled}
        self.factory.start()

    def on_stop(self) -> None:
        if self.factory is not None:
            self.factory.stop()
        for c in self.controllers.values():
            c.stop()

    def controller(self, name: str) -> Controller:
        """The running controller called ``name`` (e.g. ``"replicaset"``)."""
        return self.controllers[name]
