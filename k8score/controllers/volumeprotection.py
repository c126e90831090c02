"""The pvc-protection and pv-protection controllers.

Upstream: pkg/controller/volume/pvcprotection/pvc_protection_controller.go and
pkg/controller/volume/pvprotection/pv_protection_controller.go. The
StorageObjectInUseProtection admission plugin gives every new claim the finalizer
``kubernetes.io/pvc-protection`` and every volume ``kubernetes.io/pv-protection``; these
controllers add it to older objects that lack it, and remove it from an object being
deleted once nothing uses it, so the API server can finish the deletion:

* a claim is in use while a *scheduled* pod names it in ``spec.volumes`` (whatever the
  pod's phase: the pod object must be gone) — the informer is asked first, then, if it
  says unused, a live list of the namespace's pods (the cache may be behind);
* a volume is in use while its ``status.phase`` is ``Bound``.
"""

from __future__ import annotations

import copy
from typing import Any

from ..api import storagehelpers as h
from ..client.errors import ApiError, is_not_found
from ..client.meta import key_func, split_key
from ..lang import Text
from .base import Controller

PVC_FINALIZER = "kubernetes.io/pvc-protection"
PV_FINALIZER = "kubernetes.io/pv-protection"
_INDEX = "pvc-protection-claims"


def _uses(pod: dict, claim_name: str) -> bool:
    """podUsesPVC: only a scheduled pod can be using the claim (the kubelet refuses to start a
    pod whose claim is being deleted)."""
    return bool(h.spec(pod).get("nodeName")) and claim_name in h.pod_claim_names(pod)


class _Protection(Controller):
    resource = ""
    finalizer = ""

    def _set_finalizer(self, obj: dict, present: bool) -> None:
        new = copy.deepcopy(obj)
        fins = [f for f in new["metadata"].get("finalizers") or () if f != self.finalizer]
        if present:
            fins.append(self.finalizer)
        new["metadata"]["finalizers"] = fins
        try:
            self.client.update(self.resource, new, namespace=h.meta(obj).get("namespace"))
        except ApiError as err:
            if not is_not_found(err):
                raise


class PVCProtectionController(_Protection):
    name = "pvc-protection"
    kind = "pvc-protection-controller"
    watches = ("persistentvolumeclaims", "pods")
    writes = ("persistentvolumeclaims",)
    summary = Text("PVC 仍被已调度的 Pod 使用时保留 kubernetes.io/pvc-protection finalizer，不再使用后移除，让删除完成",
                   "Keeps the kubernetes.io/pvc-protection finalizer while a scheduled Pod still uses the PVC and removes it afterwards, so the deletion can complete")
    event_component = "pvc-protection-controller"
    resource = "persistentvolumeclaims"
    finalizer = PVC_FINALIZER

    def setup(self) -> None:
        self.claims = self.informer("persistentvolumeclaims")
        self.pods = self.informer("pods")
        self.pods.add_indexer(_INDEX, lambda p: [f"{h.meta(p).get('namespace')}/{c}" for c in h.pod_claim_names(p)])
        self.claims.add_event_handler(on_add=self._claim, on_update=lambda o, n: self._claim(n))
        self.pods.add_event_handler(on_add=self._pod, on_update=self._pod_update, on_delete=self._pod)

    def _claim(self, claim: dict) -> None:
        fins = h.meta(claim).get("finalizers") or ()
        deleting = bool(h.meta(claim).get("deletionTimestamp"))
        if (deleting and PVC_FINALIZER in fins) or (not deleting and PVC_FINALIZER not in fins):
            self.enqueue(claim)

    def _pod(self, pod: dict) -> None:
        # a pod going away (or being deleted) may release the claims it named
        ns = h.meta(pod).get("namespace")
        for c in h.pod_claim_names(pod):
            self.queue.add(f"{ns}/{c}")

    def _pod_update(self, old: dict, new: dict) -> None:
        if h.spec(old).get("nodeName") != h.spec(new).get("nodeName") or \
                h.meta(new).get("deletionTimestamp") != h.meta(old).get("deletionTimestamp"):
            self._pod(new)

    def sync(self, key: Any) -> None:
        claim = self.claims.get(key)
        if claim is None:
            return
        fins = h.meta(claim).get("finalizers") or ()
        if not h.meta(claim).get("deletionTimestamp"):
            if PVC_FINALIZER not in fins:
                self._set_finalizer(claim, True)
            return
        if PVC_FINALIZER in fins and not self._in_use(claim):
            self._set_finalizer(claim, False)

    def _in_use(self, claim: dict) -> bool:
        ns, name = split_key(key_func(claim))
        if any(_uses(p, name) for p in self.pods.by_index(_INDEX, f"{ns}/{name}")):
            return True
        live = self.client.list("pods", namespace=ns)   # askAPIServer: the informer may be behind
        return any(_uses(p, name) for p in live.get("items") or ())


class PVProtectionController(_Protection):
    name = "pv-protection"
    kind = "pv-protection-controller"
    watches = ("persistentvolumes",)
    writes = ("persistentvolumes",)
    summary = Text("PV 仍处于 Bound 时保留 kubernetes.io/pv-protection finalizer，释放后移除，让删除完成",
                   "Keeps the kubernetes.io/pv-protection finalizer while the PV is Bound and removes it once released, so the deletion can complete")
    event_component = "pv-protection-controller"
    resource = "persistentvolumes"
    finalizer = PV_FINALIZER

    def setup(self) -> None:
        self.volumes = self.informer("persistentvolumes")
        self.volumes.add_event_handler(on_add=self._volume, on_update=lambda o, n: self._volume(n))

    def _volume(self, pv: dict) -> None:
        fins = h.meta(pv).get("finalizers") or ()
        deleting = bool(h.meta(pv).get("deletionTimestamp"))
        if (deleting and PV_FINALIZER in fins) or (not deleting and PV_FINALIZER not in fins):
            self.enqueue(pv)

    def sync(self, key: Any) -> None:
        pv = self.volumes.get(key)
        if pv is None:
            return
        fins = h.meta(pv).get("finalizers") or ()
        if not h.meta(pv).get("deletionTimestamp"):
            if PV_FINALIZER not in fins:
                self._set_finalizer(pv, True)
            return
        # isBeingUsed: the PV controller keeps status.phase; Bound means a claim holds it
        if PV_FINALIZER in fins and (pv.get("status") or {}).get("phase") != "Bound":
            self._set_finalizer(pv, False)


__all__ = ["PVCProtectionController", "PVProtectionController", "PVC_FINALIZER", "PV_FINALIZER"]
