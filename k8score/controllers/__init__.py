"""kube-controller-manager and its controllers (level-triggered reconcile loops).

Each controller watches objects through shared informers, puts ``namespace/name`` keys on
its work queue, and in ``sync(key)`` compares what the objects ask for with what exists,
then converges through the API server. See ``docs/contributing/internals.md``.
"""

from .base import Controller
from .deployment import DeploymentController
from .endpoints import EndpointsController
from .garbagecollector import GarbageCollector
from .hashing import compute_hash
from .manager import CONTROLLERS, KubeControllerManager
from .nodeipam import NodeIpamController
from .nodelifecycle import NodeLifecycleController
from .replicaset import ReplicaSetController
from .serviceaccount import ServiceAccountsController
from .tainteviction import TaintEvictionController

__all__ = [
    "KubeControllerManager", "CONTROLLERS", "Controller",
    "DeploymentController", "ReplicaSetController", "EndpointsController", "ServiceAccountsController",
    "GarbageCollector", "NodeIpamController", "NodeLifecycleController", "TaintEvictionController",
    "compute_hash",
]
