"""What every controller in kube-controller-manager shares (sample-controller's shape).

A controller declares the informers it needs in :meth:`Controller.setup`; their handlers
only put keys on the controller's :class:`~k8score.client.WorkQueue`; :meth:`sync` is
called once per key, reads the *current* objects from the informer caches and makes the
world match the spec. A failed sync (an ``ApiError``) is retried with the queue's rate
limiter; a sync never runs before every informer it uses has listed once
(client-go ``cache.WaitForCacheSync``). A sync that raises anything else (an object it
cannot understand) is logged in the host's :class:`~k8score.client.worker.ErrorLog`
(``kube-controller-manager``'s ``errors``) and retried the same way: the other keys go on.
"""

from __future__ import annotations

from typing import Any, Hashable

from ..client import EventRecorder, Requeue, SharedInformer, WorkQueue, Workers
from ..client.meta import key_func
from ..client.worker import ErrorLog

#: How often a sync that found unsynced caches tries again (virtual seconds).
_CACHE_WAIT = 0.1


class Controller:
    #: Upstream controller name (``kube-controller-manager --controllers``).
    name = "controller"
    #: Registry attributes (see docs/contributing/internals.md).
    kind = "controller"
    plane = "control-plane"
    watches: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    summary = ""
    #: ``source.component`` of the Events this controller records.
    event_component = "controller"

    def __init__(self, host: Any, client: Any, factory: Any):
        self.host = host
        self.loop = host.loop
        self.client = client
        self.factory = factory
        self.queue = WorkQueue(self.loop, self.name)
        self.recorder = EventRecorder(client, component=self.event_component, loop=self.loop)
        self._informers: list[SharedInformer] = []
        #: Errors this controller recovered from (shared with its host process when it has one).
        errors = getattr(host, "errors", None)
        self.errors: ErrorLog = errors if errors is not None else ErrorLog(self.loop, self.name)
        self.setup()
        self.workers = Workers(host, self.queue, self._sync_when_ready, errors=self.errors)

    # -- to override --------------------------------------------------------
    def setup(self) -> None:
        """Create informers (:meth:`informer`) and register handlers."""

    def sync(self, key: Hashable) -> None:
        raise NotImplementedError

    # -- helpers ---------------------------------------------------------------
    def informer(self, resource: str, **kw: Any) -> SharedInformer:
        inf = self.factory.informer(resource, **kw)
        inf.errors = self.errors
        if inf not in self._informers:
            self._informers.append(inf)
        return inf

    def enqueue(self, obj: dict) -> None:
        self.queue.add(key_func(obj))

    def stop(self) -> None:
        self.queue.shut_down()

    def _sync_when_ready(self, key: Hashable) -> None:
        if not all(inf.has_synced for inf in self._informers):
            raise Requeue("caches not synced", after=_CACHE_WAIT)
        self.sync(key)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
