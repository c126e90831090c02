"""How components talk to the API server: client, informers, work queues, events.

Modelled on client-go and sample-controller (see ``docs/contributing/internals.md``)::

    c = Client(api, user="kube-controller-manager")
    f = SharedInformerFactory(c, loop)
    pods = f.informer("pods")
    q = WorkQueue(loop, "replicaset")
    pods.add_event_handler(on_add=lambda p: q.add(key_func(p)))
    Workers(component, q, sync)          # sync(key) reads pods.get(key) and converges
    f.start()
"""

from .client import Client
from .errors import ApiError, is_already_exists, is_conflict, is_not_found
from .events import EventRecorder
from .factory import SharedInformerFactory
from .informer import SharedInformer
from .meta import controller_ref, key_func, owner_reference, selector_matches, split_key
from .ratelimit import (BucketRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter,
                        default_controller_rate_limiter)
from .worker import Requeue, Workers
from .workqueue import WorkQueue

__all__ = [
    "Client", "ApiError", "EventRecorder", "SharedInformer", "SharedInformerFactory",
    "WorkQueue", "Workers", "Requeue",
    "ItemExponentialFailureRateLimiter", "BucketRateLimiter", "MaxOfRateLimiter",
    "default_controller_rate_limiter",
    "key_func", "split_key", "controller_ref", "owner_reference", "selector_matches",
    "is_not_found", "is_conflict", "is_already_exists",
]
