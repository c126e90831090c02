"""The namespace controller (pkg/controller/namespace/namespace_controller.go).

Watches namespaces; one marked for deletion (``kubectl delete namespace x`` only marks it:
``Terminating``) is emptied by :class:`~k8score.controllers.namespace_deleter.NamespaceDeleter`
— every namespaced resource, pods given their grace period — and then released through
``namespaces/finalize``, which removes it. Timings are upstream's:

- a namespace event is handled 5 s after it is seen (``namespaceDeletionGracePeriod``: lets
  last-moment creations land before the sweep);
- while content remains the namespace is looked at again after ``estimate/2 + 1`` seconds
  (pods with the default 30 s grace period: every 16 s);
- a failed pass is retried with ``nsControllerRateLimiter`` (5 ms doubling up to 60 s), and
  everything is resynced every 5 minutes (``--namespace-sync-period``).

No Events are recorded: upstream's controller records none.
"""

from __future__ import annotations

from typing import Any

from ..client import Requeue
from ..client.meta import key_func
from ..client.ratelimit import BucketRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter
from ..client.workqueue import WorkQueue
from ..lang import Text
from .base import Controller
from .namespace_deleter import NamespaceDeleter, ResourcesRemaining

#: namespace_controller.go namespaceDeletionGracePeriod
NAMESPACE_DELETION_GRACE_PERIOD = 5.0


class NamespaceController(Controller):
    name = "namespace"
    kind = "namespace-controller"
    watches = ("namespaces",)
    writes = ("namespaces", "*")
    summary = Text("删除命名空间时先清空其中的所有对象（Pod 优雅终止），再移除 kubernetes 终结器，命名空间随之消失",
                   "When a namespace is deleted, first empties it of every object (Pods terminate gracefully), then removes the kubernetes finalizer and the namespace goes away")
    event_component = "namespace-controller"

    def setup(self) -> None:
        # nsControllerRateLimiter: "retry namespace deletion at least every minute, never longer"
        self.queue = WorkQueue(self.loop, self.name, rate_limiter=MaxOfRateLimiter(
            ItemExponentialFailureRateLimiter(0.005, 60.0), BucketRateLimiter(self.loop, 10, 100)))
        self.namespaces = self.informer("namespaces")
        self.namespaces.add_event_handler(on_add=self._enqueue, on_update=lambda old, new: self._enqueue(new))
        self.deleter = NamespaceDeleter(self.client, self.loop)

    def _enqueue(self, ns: dict) -> None:
        if ns["metadata"].get("deletionTimestamp"):
            self.queue.add_after(key_func(ns), NAMESPACE_DELETION_GRACE_PERIOD)

    def sync(self, key: Any) -> None:
        """syncNamespaceFromKey: one deleter pass for a namespace the cache still holds."""
        if self.namespaces.get(key) is None:
            return
        try:
            self.deleter.delete(key)
        except ResourcesRemaining as r:
            raise Requeue(str(r), after=r.estimate // 2 + 1) from None
