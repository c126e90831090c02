"""``SharedInformerFactory``: one informer per (resource, namespace, selectors), shared.

client-go ``informers.NewSharedInformerFactory``: every controller in a process asks the
factory for the informers it needs; asking twice for the same list+watch returns the same
informer, so kube-controller-manager lists and watches pods once for all its controllers.
"""

from __future__ import annotations

from typing import Any

from .informer import SharedInformer


class SharedInformerFactory:
    """Hands out one shared informer per (resource, namespace, selectors) and starts them.

    Like client-go's factory, :meth:`start` starts every informer created so far and can be
    called again after more are requested.
    """

    def __init__(self, client: Any, loop: Any, resync_period: float = 0.0, latency: float | None = None):
        self.client = client
        self.loop = loop
        self.resync_period = resync_period
        self.latency = latency
        self._informers: dict[tuple, SharedInformer] = {}
        self._started = False

    def informer(self, resource: str, namespace: str | None = None, label_selector: str | None = None,
                 field_selector: str | None = None) -> SharedInformer:
        key = (resource, namespace, label_selector, field_selector)
        inf = self._informers.get(key)
        if inf is None:
            inf = SharedInformer(self.client, self.loop, resource, namespace=namespace,
                                 label_selector=label_selector, field_selector=field_selector,
                                 resync_period=self.resync_period, latency=self.latency)
            self._informers[key] = inf
            if self._started:
                inf.start()
        return inf

    def informers(self) -> list[SharedInformer]:
        return list(self._informers.values())

    def start(self) -> None:
        self._started = True
        for inf in list(self._informers.values()):
            inf.start()

    def stop(self) -> None:
        self._started = False
        for inf in self._informers.values():
            inf.stop()

    @property
    def has_synced(self) -> bool:
        return all(inf.has_synced for inf in self._informers.values())
