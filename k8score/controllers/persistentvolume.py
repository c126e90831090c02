"""The PersistentVolume binder (pkg/controller/volume/persistentvolume/pv_controller.go,
pv_controller_base.go): keeps claims and volumes bound to each other.

Level-triggered on claim and volume keys (one work queue, ``claim``/``volume`` items — upstream
has two queues and one worker each), with every claim and volume re-queued every
:data:`SYNC_PERIOD` seconds (``--pvclaimbinder-sync-period``).

syncClaim, for a claim not yet bound (no ``pv.kubernetes.io/bind-completed``):

* the smallest Available volume of the claim's class that is big enough, offers the claim's
  access modes and matches its selector is bound: ``volume.spec.claimRef`` first (with
  ``pv.kubernetes.io/bound-by-controller``), the volume's phase ``Bound``, then the claim's
  ``spec.volumeName`` (+ ``bind-completed``) and its status ``Bound`` with the volume's
  access modes and capacity;
* no volume, a WaitForFirstConsumer class and no ``volume.kubernetes.io/selected-node``:
  Event ``WaitForFirstConsumer`` (or ``WaitForPodScheduled`` naming the pods that wait);
  the scheduler picks a node and binds or sets the annotation;
* no volume and a class: the claim gets ``volume.kubernetes.io/storage-provisioner`` (and the
  beta annotation) naming the class's provisioner, and Event ``ExternalProvisioning``; the
  external provisioner creates a volume pre-bound to the claim, which the next sync binds;
* no volume, no class: Event ``FailedBinding``.

syncClaim for a bound claim: a vanished volume makes it ``Lost`` (``ClaimLost``).

syncVolume: no claimRef -> ``Available``; its claim gone -> ``Released`` then the reclaim
policy: Retain keeps it, Delete of a dynamically provisioned volume is left to its external
provisioner (upstream contract), Delete of anything else and Recycle fail (no in-tree plugin
here) with ``VolumeFailedDelete`` / ``VolumeFailedRecycle``.
"""

from __future__ import annotations

from typing import Any

from ..api import storagehelpers as h
from ..client.errors import ApiError, is_not_found
from ..client.meta import key_func
from ..lang import Text
from ..sim.clock import rfc3339
from .base import Controller
from .persistentvolume_ops import Ops

#: pv_controller_base.go / kube-controller-manager --pvclaimbinder-sync-period default 15s
SYNC_PERIOD = 15.0
_CLAIM, _VOLUME = "claim", "volume"


class PersistentVolumeController(Controller, Ops):
    name = "persistentvolume-binder"
    kind = "persistentvolume-controller"
    watches = ("persistentvolumes", "persistentvolumeclaims", "storageclasses", "pods")
    writes = ("persistentvolumes", "persistentvolumes/status", "persistentvolumeclaims",
              "persistentvolumeclaims/status", "events")
    summary = Text("把 PersistentVolumeClaim 绑定到合适的 PersistentVolume，交给外部 provisioner 动态创建卷，按回收策略处理释放的卷",
                   "Binds PersistentVolumeClaims to suitable PersistentVolumes, leaves dynamic provisioning to the external provisioner and handles released volumes by their reclaim policy")
    event_component = "persistentvolume-controller"

    def setup(self) -> None:
        self.volumes = self.informer("persistentvolumes")
        # index.go persistentVolumeOrderedIndex: volumes by their access-mode string
        self.volumes.add_indexer("pv-binder-modes", lambda pv: [h.access_modes_string(h.spec(pv).get("accessModes"))])
        self.claims = self.informer("persistentvolumeclaims")
        self.classes = self.informer("storageclasses")
        self.pods = self.informer("pods")
        # pv_controller_base.go: the pod indexer by claim (findNonScheduledPodsByPVC)
        self.pods.add_indexer("pv-binder-claims", lambda p: [
            f"{h.meta(p).get('namespace')}/{c}" for c in h.pod_claim_names(p)])
        self.claims.add_event_handler(on_add=self._claim_changed, on_update=lambda o, n: self._claim_changed(n),
                                      on_delete=self._claim_deleted)
        self.volumes.add_event_handler(on_add=self._volume_changed, on_update=lambda o, n: self._volume_changed(n),
                                       on_delete=self._volume_deleted)
        #: objects this controller wrote, newer than the informer may be (storeObjectUpdate)
        self._written: dict[tuple[str, str], dict] = {}
        self.host.every(SYNC_PERIOD, self._resync)

    # -- handlers -------------------------------------------------------------------
    def _claim_changed(self, claim: dict) -> None:
        self.queue.add((_CLAIM, key_func(claim)))

    def _claim_deleted(self, claim: dict) -> None:
        self._written.pop((_CLAIM, key_func(claim)), None)
        vol = h.spec(claim).get("volumeName")
        if vol:   # deleteClaim: the volume it was bound to becomes Released
            self.queue.add((_VOLUME, vol))

    def _volume_changed(self, pv: dict) -> None:
        self.queue.add((_VOLUME, key_func(pv)))

    def _volume_deleted(self, pv: dict) -> None:
        self._written.pop((_VOLUME, key_func(pv)), None)
        ref = h.spec(pv).get("claimRef")
        if isinstance(ref, dict) and ref.get("name"):   # deleteVolume: its claim may be Lost now
            self.queue.add((_CLAIM, f"{ref.get('namespace')}/{ref.get('name')}"))

    def _resync(self) -> None:
        """pv_controller_base.go resync: every claim and volume, every 15 s."""
        for key in self.claims.keys():
            self.queue.add((_CLAIM, key))
        for key in self.volumes.keys():
            self.queue.add((_VOLUME, key))

    # -- reading through our own writes -------------------------------------------------
    def _newest(self, kind: str, key: str, cached: dict | None) -> dict | None:
        mine = self._written.get((kind, key))
        if cached is None or mine is None:
            return cached
        if _rv(mine) > _rv(cached):
            return mine
        self._written.pop((kind, key), None)
        return cached

    def volume(self, name: str) -> dict | None:
        return self._newest(_VOLUME, name, self.volumes.get(name))

    def claim(self, key: str) -> dict | None:
        return self._newest(_CLAIM, key, self.claims.get(key))

    def remember(self, kind: str, obj: dict) -> dict:
        self._written[(kind, key_func(obj))] = obj
        return obj

    # -- sync ------------------------------------------------------------------------
    def sync(self, item: Any) -> None:
        kind, key = item
        if kind == _CLAIM:
            claim = self.claim(key)
            if claim is not None:
                self.sync_claim(claim)
        else:
            pv = self.volume(key)
            if pv is not None:
                self.sync_volume(pv)

    def sync_claim(self, claim: dict) -> None:
        if h.ANN_BIND_COMPLETED in h.annotations(claim):
            self._sync_bound_claim(claim)
        else:
            self._sync_unbound_claim(claim)

    def _delay_binding(self, claim: dict) -> bool:
        """IsDelayBindingMode: the claim's class exists and says WaitForFirstConsumer."""
        cls = h.claim_class(claim)
        sc = self.classes.get(cls) if cls else None
        return sc is not None and sc.get("volumeBindingMode") == "WaitForFirstConsumer"

    def _sync_unbound_claim(self, claim: dict) -> None:
        wanted = h.spec(claim).get("volumeName")
        if not wanted:
            delay = self._delay_binding(claim)
            pv = h.find_best_match(claim, lambda key: self.volumes.by_index("pv-binder-modes", key),
                                   delay_binding=delay)
            if pv is not None:
                self.bind(self.volume(h.meta(pv)["name"]) or pv, claim)
                return
            if delay and h.ANN_SELECTED_NODE not in h.annotations(claim):
                self._event_for_delayed_claim(claim)
            elif h.claim_class(claim):
                self.provision_claim(claim)
                return
            else:
                self.recorder.event(claim, "Normal", "FailedBinding",
                                    "no persistent volumes available for this claim and no storage class is set")
            self.update_claim_status(claim, "Pending", None)
            return
        pv = self.volume(wanted)
        if pv is None:
            self.update_claim_status(claim, "Pending", None)   # asked for a volume that does not exist yet
            return
        if h.spec(pv).get("claimRef") is None:
            why = _unsatisfied(pv, claim)
            if why:
                self.recorder.event(claim, "Warning", "VolumeMismatch",
                                    f'Cannot bind to requested volume "{wanted}": {why}')
                self.update_claim_status(claim, "Pending", None)
                return
            self.bind(pv, claim)
        elif h.is_bound_to_claim(pv, claim):
            self.bind(pv, claim)   # finish the binding the volume side started
        elif h.ANN_BOUND_BY_CONTROLLER not in h.annotations(claim):
            self.update_claim_status(claim, "Pending", None)   # the user's volume is someone else's: wait
        else:
            ref = h.spec(pv)["claimRef"]
            raise RuntimeError(f'Invalid binding of claim "{key_func(claim)}" to volume "{wanted}": volume '
                               f'already claimed by "{ref.get("namespace")}/{ref.get("name")}"')

    def _event_for_delayed_claim(self, claim: dict) -> None:
        """emitEventForUnboundDelayBindingClaim."""
        waiting = sorted(h.meta(p).get("name") for p in self.pods.by_index("pv-binder-claims", key_func(claim))
                         if not h.spec(p).get("nodeName")
                         and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed"))
        if not waiting:
            self.recorder.event(claim, "Normal", "WaitForFirstConsumer",
                                "waiting for first consumer to be created before binding")
        elif len(waiting) == 1:
            self.recorder.event(claim, "Normal", "WaitForPodScheduled", f"waiting for pod {waiting[0]} to be scheduled")
        else:
            self.recorder.event(claim, "Normal", "WaitForPodScheduled",
                                f"waiting for pods {','.join(waiting)} to be scheduled")

    def _sync_bound_claim(self, claim: dict) -> None:
        wanted = h.spec(claim).get("volumeName")
        if not wanted:
            self.update_claim_status(claim, "Lost", None, ("ClaimLost", "Bound claim has lost reference to "
                                                            "PersistentVolume. Data on the volume is lost!"))
            return
        pv = self.volume(wanted)
        if pv is None:
            self.update_claim_status(claim, "Lost", None, ("ClaimLost", "Bound claim has lost its PersistentVolume. "
                                                            "Data on the volume is lost!"))
            return
        ref = h.spec(pv).get("claimRef")
        if ref is None or ref.get("uid") == h.meta(claim).get("uid"):
            self.bind(pv, claim)
        else:
            self.update_claim_status(claim, "Lost", None, ("ClaimMisbound", "Two claims are bound to the same "
                                                            "volume, this one is bound incorrectly"))

    def sync_volume(self, pv: dict) -> None:
        ref = h.spec(pv).get("claimRef")
        if not isinstance(ref, dict):
            self.update_volume_phase(pv, "Available")
            return
        if not ref.get("uid"):
            self.update_volume_phase(pv, "Available")   # reserved for a claim that is not bound yet
            return
        key = f"{ref.get('namespace')}/{ref.get('name')}"
        claim = self.claim(key)
        if claim is None or h.meta(claim).get("uid") != ref.get("uid"):
            claim = self._live_claim(ref)    # the cache may be behind: ask the API server
        if claim is None:
            if (pv.get("status") or {}).get("phase") not in ("Released", "Failed"):
                pv = self.update_volume_phase(pv, "Released")
            self.reclaim_volume(pv)
            return
        if not h.spec(claim).get("volumeName"):
            if h.volume_mode_mismatch(claim, pv):
                name = h.meta(claim).get("name")
                self.recorder.event(pv, "Warning", "VolumeMismatch", f'Cannot bind PersistentVolume to requested '
                                    f'PersistentVolumeClaim "{name}" due to incompatible volumeMode.')
                self.recorder.event(claim, "Warning", "VolumeMismatch", f'Cannot bind PersistentVolume '
                                    f'"{h.meta(pv).get("name")}" to requested PersistentVolumeClaim due to '
                                    f'incompatible volumeMode.')
                return
            self.queue.add((_CLAIM, key))   # the claim's sync finishes the binding (provisioned volumes)
            return
        if h.spec(claim).get("volumeName") == h.meta(pv).get("name"):
            self.update_volume_phase(pv, "Bound")
            return
        ann = h.annotations(pv)
        if h.ANN_DYNAMICALLY_PROVISIONED in ann and h.spec(pv).get("persistentVolumeReclaimPolicy") == "Delete":
            # provisioned for this claim, which got bound elsewhere: not needed any more
            if (pv.get("status") or {}).get("phase") not in ("Released", "Failed"):
                pv = self.update_volume_phase(pv, "Released")
            self.reclaim_volume(pv)
            return
        self.unbind_volume(pv)

    def _live_claim(self, ref: dict) -> dict | None:
        try:
            claim = self.client.get("persistentvolumeclaims", ref.get("name"), namespace=ref.get("namespace"))
        except ApiError as err:
            if is_not_found(err):
                return None
            raise
        return claim if h.meta(claim).get("uid") == ref.get("uid") else None

    def now(self) -> str:
        return rfc3339(self.loop.now)


def _rv(obj: dict) -> int:
    try:
        return int(h.meta(obj).get("resourceVersion") or 0)
    except (TypeError, ValueError):
        return 0


def _unsatisfied(pv: dict, claim: dict) -> str:
    """checkVolumeSatisfyClaim: why a requested volume cannot serve the claim ("" if it can)."""
    if h.meta(pv).get("deletionTimestamp"):
        return f'the volume is marked for deletion "{h.meta(pv).get("name")}"'
    if h.capacity_bytes(pv) < h.requested_bytes(claim):
        return "requested PV is too small"
    if h.volume_class(pv) != h.claim_class(claim):
        return "storageClassName does not match"
    if h.volume_mode_mismatch(claim, pv):
        return "incompatible volumeMode"
    if not h.check_access_modes(claim, pv):
        return "incompatible accessMode"
    return ""


__all__ = ["PersistentVolumeController", "SYNC_PERIOD"]
