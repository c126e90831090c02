"""The PV binder's writes (pv_controller.go): bind, unbind, phase and status updates,
provisioning hand-off and reclaim. Mixed into
:class:`~k8score.controllers.persistentvolume.PersistentVolumeController`; each write is an
UPDATE carrying the resourceVersion read, so a stale cache ends in 409 Conflict and a retry
instead of a double binding.
"""

from __future__ import annotations

import copy
from typing import Any

from ..api import storagehelpers as h


class Ops:
    client: Any
    recorder: Any

    # -- binding ----------------------------------------------------------------------
    def bind(self, pv: dict, claim: dict) -> None:
        """bind: volume claimRef, volume phase Bound, claim volumeName, claim status Bound."""
        pv = self.bind_volume_to_claim(pv, claim)
        pv = self.update_volume_phase(pv, "Bound")
        claim = self.bind_claim_to_volume(claim, pv)
        self.update_claim_status(claim, "Bound", pv)

    def bind_volume_to_claim(self, pv: dict, claim: dict) -> dict:
        new = copy.deepcopy(pv)
        dirty = False
        by_controller = not h.is_bound_to_claim(pv, claim)
        ref = h.spec(pv).get("claimRef") or {}
        m = h.meta(claim)
        if not ref or (ref.get("name"), ref.get("namespace"), ref.get("uid")) != \
                (m.get("name"), m.get("namespace"), m.get("uid")):
            new["spec"]["claimRef"] = h.claim_ref(claim)
            dirty = True
        ann = new["metadata"].setdefault("annotations", {})
        if by_controller and h.ANN_BOUND_BY_CONTROLLER not in ann:
            ann[h.ANN_BOUND_BY_CONTROLLER] = "yes"
            dirty = True
        if not ann:
            new["metadata"].pop("annotations")
        if not dirty:
            return pv
        return self.remember("volume", self.client.update("persistentvolumes", new))  # type: ignore[attr-defined]

    def bind_claim_to_volume(self, claim: dict, pv: dict) -> dict:
        new = copy.deepcopy(claim)
        dirty = False
        ann = new["metadata"].setdefault("annotations", {})
        if h.spec(claim).get("volumeName") != h.meta(pv)["name"]:
            new["spec"]["volumeName"] = h.meta(pv)["name"]
            dirty = True
            if h.ANN_BOUND_BY_CONTROLLER not in ann:
                ann[h.ANN_BOUND_BY_CONTROLLER] = "yes"
        if h.ANN_BIND_COMPLETED not in ann:
            ann[h.ANN_BIND_COMPLETED] = "yes"
            dirty = True
        if not dirty:
            return claim
        return self.remember("claim", self.client.update(  # type: ignore[attr-defined]
            "persistentvolumeclaims", new, namespace=h.meta(claim).get("namespace")))

    def unbind_volume(self, pv: dict) -> None:
        """unbindVolume: a controller binding is undone; a user's pre-binding keeps its name."""
        new = copy.deepcopy(pv)
        ann = new["metadata"].get("annotations") or {}
        if h.ANN_BOUND_BY_CONTROLLER in ann:
            new["spec"].pop("claimRef", None)
            ann.pop(h.ANN_BOUND_BY_CONTROLLER)
            if not ann:
                new["metadata"].pop("annotations", None)
        else:
            new["spec"]["claimRef"].pop("uid", None)
        pv = self.remember("volume", self.client.update("persistentvolumes", new))  # type: ignore[attr-defined]
        self.update_volume_phase(pv, "Available")

    # -- status ---------------------------------------------------------------------------
    def update_volume_phase(self, pv: dict, phase: str, message: str = "",
                            event: tuple[str, str] | None = None) -> dict:
        """updateVolumePhase(WithEvent); the strategy would stamp lastPhaseTransitionTime —
        the controller writes it with its own clock, which is the same virtual now."""
        status = pv.get("status") or {}
        if status.get("phase") == phase and (status.get("message") or "") == message:
            return pv
        new = copy.deepcopy(pv)
        st = new.setdefault("status", {})
        if st.get("phase") != phase:
            st["lastPhaseTransitionTime"] = self.now()  # type: ignore[attr-defined]
        st["phase"] = phase
        if message:
            st["message"] = message
        else:
            st.pop("message", None)
        out = self.remember("volume", self.client.update("persistentvolumes", new,  # type: ignore[attr-defined]
                                                         subresource="status"))
        if event is not None:
            self.recorder.event(out, "Warning", event[0], event[1])
        return out

    def update_claim_status(self, claim: dict, phase: str, pv: dict | None,
                            event: tuple[str, str] | None = None) -> dict:
        """updateClaimStatus(WithEvent): phase, and the bound volume's access modes and
        capacity (capacity only when the claim becomes Bound: an expanded claim keeps its own)."""
        new = copy.deepcopy(claim)
        st = new.setdefault("status", {})
        dirty = st.get("phase") != phase
        if pv is None:
            for f in ("accessModes", "capacity"):
                if f in st:
                    st.pop(f)
                    dirty = True
        else:
            modes = h.spec(pv).get("accessModes")
            if st.get("accessModes") != modes:
                st["accessModes"] = modes
                dirty = True
            if st.get("phase") != phase and (st.get("capacity") or {}).get("storage") != \
                    (h.spec(pv).get("capacity") or {}).get("storage"):
                st["capacity"] = dict(h.spec(pv).get("capacity") or {})
                dirty = True
        st["phase"] = phase
        if not dirty:
            return claim
        out = self.remember("claim", self.client.update(  # type: ignore[attr-defined]
            "persistentvolumeclaims", new, namespace=h.meta(claim).get("namespace"), subresource="status"))
        if event is not None:
            self.recorder.event(out, "Warning", event[0], event[1])
        return out

    # -- provisioning and reclaim --------------------------------------------------------------
    def provision_claim(self, claim: dict) -> None:
        """provisionClaim -> provisionClaimOperationExternal: every provisioner here is external
        (CSI); annotate the claim for it and say so (again on each resync, as upstream)."""
        cls = h.claim_class(claim)
        sc = self.classes.get(cls)  # type: ignore[attr-defined]
        if sc is None:
            self.recorder.event(claim, "Warning", "ProvisioningFailed",
                                f'storageclass.storage.k8s.io "{cls}" not found')
            return
        provisioner = str(sc.get("provisioner") or "")
        ann = h.annotations(claim)
        if ann.get(h.ANN_STORAGE_PROVISIONER) != provisioner or ann.get(h.ANN_BETA_STORAGE_PROVISIONER) != provisioner:
            new = copy.deepcopy(claim)
            a = new["metadata"].setdefault("annotations", {})
            a[h.ANN_STORAGE_PROVISIONER] = provisioner      # setClaimProvisioner: both annotations
            a[h.ANN_BETA_STORAGE_PROVISIONER] = provisioner
            claim = self.remember("claim", self.client.update(  # type: ignore[attr-defined]
                "persistentvolumeclaims", new, namespace=h.meta(claim).get("namespace")))
        self.recorder.event(claim, "Normal", "ExternalProvisioning",
                            f"Waiting for a volume to be created either by the external provisioner '{provisioner}' "
                            "or manually by the system administrator. If volume creation is delayed, please verify "
                            "that the provisioner is running and correctly registered.")

    def reclaim_volume(self, pv: dict) -> None:
        """reclaimVolume by ``persistentVolumeReclaimPolicy``."""
        policy = h.spec(pv).get("persistentVolumeReclaimPolicy")
        if policy == "Retain":
            return    # the administrator reclaims it by hand
        if policy == "Recycle":
            self.update_volume_phase(pv, "Failed", "No recycler plugin found for the volume!",
                                     ("VolumeFailedRecycle", "No recycler plugin found for the volume!"))
            return
        if policy == "Delete":
            if h.meta(pv).get("deletionTimestamp"):
                return
            by = h.annotations(pv).get(h.ANN_DYNAMICALLY_PROVISIONED)
            if by and not by.startswith("kubernetes.io/"):
                return    # doDeleteVolume: "External deleter for volume requested, ignoring"
            msg = (f'error getting deleter volume plugin for volume "{h.meta(pv).get("name")}": '
                   "no deletable volume plugin matched")
            self.update_volume_phase(pv, "Failed", msg, ("VolumeFailedDelete", msg))
            return
        msg = "Volume has unrecognized PersistentVolumeReclaimPolicy"
        self.update_volume_phase(pv, "Failed", msg, ("VolumeUnknownReclaimPolicy", msg))


__all__ = ["Ops"]
