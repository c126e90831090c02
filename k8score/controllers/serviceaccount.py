"""The ServiceAccount controller (pkg/controller/serviceaccount/serviceaccounts_controller.go).

Every namespace gets a ServiceAccount named ``default``, recreated if someone deletes
it; pods that name no service account run as it. Terminating namespaces are skipped.
"""

from __future__ import annotations

from typing import Any

from ..client.errors import ApiError
from ..lang import Text
from .base import Controller

# serviceaccounts_controller.go: DefaultServiceAccountsControllerOptions -> {Name: "default"}
DEFAULT_NAME = "default"


class ServiceAccountsController(Controller):
    name = "serviceaccount"
    kind = "serviceaccount-controller"
    watches = ("namespaces", "serviceaccounts")
    writes = ("serviceaccounts",)
    summary = Text("确保每个命名空间都有名为 default 的 ServiceAccount",
                   "Makes sure every namespace has a ServiceAccount named default")
    event_component = "serviceaccount-controller"

    def setup(self) -> None:
        self.ns_informer = self.informer("namespaces")
        self.sa_informer = self.informer("serviceaccounts")
        self.ns_informer.add_event_handler(on_add=self.enqueue, on_update=lambda o, n: self.enqueue(n))
        self.sa_informer.add_event_handler(on_delete=self._sa_deleted)

    def _sa_deleted(self, sa: dict) -> None:
        if sa["metadata"].get("name") == DEFAULT_NAME:
            self.queue.add(sa["metadata"].get("namespace"))

    def sync(self, key: Any) -> None:
        ns = self.ns_informer.get(key)
        if ns is None or ns["metadata"].get("deletionTimestamp") or \
                (ns.get("status") or {}).get("phase") == "Terminating":
            return
        if self.sa_informer.get(f"{key}/{DEFAULT_NAME}") is not None:
            return
        body = {"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": DEFAULT_NAME, "namespace": key}}
        try:
            self.client.create("serviceaccounts", body, namespace=key)
        except ApiError as err:
            if err.reason != "AlreadyExists":
                raise
