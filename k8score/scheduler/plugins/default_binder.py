"""DefaultBinder: the Bind plugin that POSTs a ``Binding`` to ``pods/<name>/binding``.

``pkg/scheduler/framework/plugins/defaultbinder/default_binder.go``. The API
server's binding subresource sets ``spec.nodeName`` (and the PodScheduled
condition); the kubelet on that node then sees the pod in its watch.
"""

from __future__ import annotations

from ..interface import BindPlugin
from ..status import Code, Status


class DefaultBinder(BindPlugin):
    name = "DefaultBinder"

    def bind(self, state, pod, node_name):
        meta = pod.get("metadata") or {}
        binding = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": meta.get("name"), "namespace": meta.get("namespace") or "default",
                         "uid": meta.get("uid")},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node_name},
        }
        client = self.handle.client if self.handle is not None else None
        if client is None:
            return Status(Code.ERROR, "no API client to bind with")
        from ...client import ApiError  # here, so the pure plugins import without the client

        try:
            client.create("pods", binding, namespace=meta.get("namespace") or "default",
                          subresource="binding")
        except ApiError as e:  # upstream: fwk.AsStatus(err)
            return Status(Code.ERROR, str(e))
        return None
