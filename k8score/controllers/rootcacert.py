"""The root-ca-cert-publisher controller (pkg/controller/certificates/rootcacertpublisher/
publisher.go).

Every namespace gets a ConfigMap ``kube-root-ca.crt`` whose key ``ca.crt`` holds the cluster's
CA bundle, so that the projected ``kube-api-access-*`` volume that ServiceAccount admission adds
to pods can mount it. A deleted or edited ConfigMap is put back; namespaces that are terminating
are left alone.

The CA here is a **fake**: a PEM-shaped block of bytes derived deterministically from the
simulation's seed (SHA-256 in counter mode), not a parseable X.509 certificate — the simulation
has no TLS. The same seed always gives the same text, so pages and golden tests can show it.

>>> fake_root_ca(0) == fake_root_ca(0), fake_root_ca(0) == fake_root_ca(1)
(True, False)
>>> fake_root_ca(0).splitlines()[0]
'-----BEGIN CERTIFICATE-----'
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from ..client.errors import ApiError
from ..lang import Text
from .base import Controller

# publisher.go constants
CONFIGMAP_NAME = "kube-root-ca.crt"             # RootCACertConfigMapName
DESCRIPTION_ANNOTATION = "kubernetes.io/description"
DESCRIPTION = ("Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
               "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
               "guaranteed across distributions of Kubernetes clusters.")
_NAMESPACE_TERMINATING_CAUSE = "NamespaceTerminating"  # v1.NamespaceTerminatingCause
_FAKE_DER_BYTES = 768  # about the size of a real self-signed RSA-2048 CA certificate


def fake_root_ca(seed: int) -> str:
    """A deterministic PEM-looking CA bundle for ``seed`` (not a real certificate)."""
    data = b""
    counter = 0
    while len(data) < _FAKE_DER_BYTES:
        data += hashlib.sha256(f"k8score-root-ca/{seed}/{counter}".encode()).digest()
        counter += 1
    body = base64.b64encode(data[:_FAKE_DER_BYTES]).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


class RootCACertPublisher(Controller):
    name = "root-ca-cert-publisher"
    kind = "root-ca-cert-publisher"
    watches = ("namespaces", "configmaps")
    writes = ("configmaps",)
    summary = Text("在每个命名空间发布 kube-root-ca.crt ConfigMap（集群 CA，供 Pod 校验 API 服务器）",
                   "Publishes the kube-root-ca.crt ConfigMap in every namespace (the cluster CA, for Pods to verify the API server)")
    event_component = "root-ca-cert-publisher"

    def setup(self) -> None:
        self.root_ca = fake_root_ca(getattr(self.loop, "seed", 0))
        self.ns_informer = self.informer("namespaces")
        self.cm_informer = self.informer("configmaps")
        self.ns_informer.add_event_handler(on_add=self._namespace_added, on_update=self._namespace_updated)
        self.cm_informer.add_event_handler(on_update=lambda old, new: self._configmap_changed(new),
                                           on_delete=self._configmap_changed)

    def _namespace_added(self, ns: dict) -> None:
        self.queue.add(ns["metadata"]["name"])

    def _namespace_updated(self, old: dict, new: dict) -> None:
        # upstream enqueues only Active namespaces on update
        if (new.get("status") or {}).get("phase", "Active") == "Active":
            self.queue.add(new["metadata"]["name"])

    def _configmap_changed(self, cm: dict) -> None:
        meta = cm.get("metadata") or {}
        if meta.get("name") == CONFIGMAP_NAME and meta.get("namespace"):
            self.queue.add(meta["namespace"])

    def sync(self, key: Any) -> None:
        data = {"ca.crt": self.root_ca}
        cm = self.cm_informer.get(f"{key}/{CONFIGMAP_NAME}")
        if cm is None:
            if self.ns_informer.get(key) is None:
                return
            body = {"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": CONFIGMAP_NAME, "namespace": key,
                                 "annotations": {DESCRIPTION_ANNOTATION: DESCRIPTION}},
                    "data": data}
            try:
                self.client.create("configmaps", body, namespace=key)
            except ApiError as err:
                # don't retry a create if the namespace is gone or terminating
                causes = (err.status.get("details") or {}).get("causes") or []
                if err.reason in ("NotFound", "AlreadyExists") or any(
                        c.get("reason") == _NAMESPACE_TERMINATING_CAUSE for c in causes):
                    return
                raise
            return
        annotations = (cm.get("metadata") or {}).get("annotations") or {}
        if cm.get("data") == data and annotations.get(DESCRIPTION_ANNOTATION):
            return
        fixed = {**cm, "data": data,
                 "metadata": {**cm["metadata"], "annotations": {**annotations, DESCRIPTION_ANNOTATION: DESCRIPTION}}}
        self.client.update("configmaps", fixed, namespace=key)
