"""The attach/detach controller (pkg/controller/volume/attachdetach: attach_detach_controller.go,
reconciler/reconciler.go, populator/, statusupdater/; pkg/volume/csi/csi_attacher.go).

Desired state of the world: for every pod scheduled to a node whose kubelet lets the
controller attach for it (annotation ``volumes.kubernetes.io/controller-managed-attach-detach``)
and that is not terminated, each PVC volume bound to a CSI PV whose driver requires attach
(CSIDriver ``attachRequired``, the default) — kept up to date from pod, claim, PV and node
events. Actual state: the VolumeAttachments (read back at start, so a restarted controller
converges from what exists).

The reconciler runs every 100 ms (``reconcilerLoopPeriod``), detaches before it attaches:

- a volume attached to a node where no pod wants it is detached — but not while the node
  reports it in ``status.volumesInUse`` (the kubelet has not unmounted it), unless the node is
  unhealthy and 6 minutes (``maxWaitForUnmountDuration``) passed since the detach was first
  requested, or the node has the ``node.kubernetes.io/out-of-service`` taint. Detaching first
  drops it from ``node.status.volumesAttached``, then deletes the VolumeAttachment and waits
  (up to 2 min, ``csiTimeout``) for the external-attacher to remove it;
- a wanted volume not attached: a ReadWriteOnce volume attached to another node is a
  ``Multi-Attach error`` (Warning ``FailedAttachVolume`` on each pod, once); otherwise the
  VolumeAttachment ``csi-<sha256(handle+driver+node)>`` is created and the attach completes
  when its ``status.attached`` turns true (``SuccessfulAttachVolume`` on each pod, the volume
  listed in ``node.status.volumesAttached``), fails on ``status.attachError`` or after 2 min
  (``FailedAttachVolume``); failed operations back off 500 ms doubling to 2m2s
  (pkg/util/goroutinemap/exponentialbackoff).
"""

from __future__ import annotations

from typing import Any

from ..client.errors import ApiError, is_not_found
from ..client.meta import key_func
from ..lang import Text
from .attachdetach_state import (ANN_CONTROLLER_MANAGED, TAINT_OUT_OF_SERVICE, Attached, DesiredState,
                                 ToAttach, VolumeSpec, attachment_name, is_pod_terminated, pod_volumes,
                                 unique_volume_name)
from .base import Controller

# attach_detach_controller.go: reconcilerLoopPeriod, reconcilerMaxWaitForUnmountDuration
RECONCILER_LOOP_PERIOD = 0.1
MAX_WAIT_FOR_UNMOUNT = 360.0
# pkg/volume/csi/csi_plugin.go: csiTimeout — how long Attach/Detach wait on the VolumeAttachment
CSI_TIMEOUT = 120.0
# pkg/util/goroutinemap/exponentialbackoff: initialDurationBeforeRetry, maxDurationBeforeRetry
BACKOFF_INITIAL, BACKOFF_MAX = 0.5, 122.0


def _claim_keys(pod: dict) -> list[str]:
    ns = pod["metadata"].get("namespace")
    return [f"{ns}/{v['persistentVolumeClaim']['claimName']}" for v in (pod.get("spec") or {}).get("volumes") or ()
            if (v.get("persistentVolumeClaim") or {}).get("claimName")]


def _node_ready(node: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (node.get("status") or {}).get("conditions") or ())


class AttachDetachController(Controller):
    name = "attachdetach"
    kind = "attachdetach-controller"
    watches = ("pods", "nodes", "persistentvolumeclaims", "persistentvolumes", "volumeattachments", "csidrivers")
    writes = ("volumeattachments", "nodes/status", "events")
    summary = Text("按调度到节点的 Pod 所用的卷创建/删除 VolumeAttachment，让云盘挂到该节点或从旧节点卸下",
                   "Creates/deletes VolumeAttachments for the volumes of the Pods scheduled to a node, so cloud disks attach to that node or detach from the old one")
    event_component = "attachdetach-controller"

    def setup(self) -> None:
        self.dsw = DesiredState()
        self.asw: dict[tuple[str, str], Attached] = {}
        self._va_names: dict[str, tuple[str, str]] = {}   # VolumeAttachment name -> (volume, node)
        self._ops: dict[tuple[str, str], tuple[str, float]] = {}   # (volume, node) -> (kind, deadline)
        self._backoff: dict[tuple[str, str], tuple[int, float]] = {}   # -> (failures, not before)
        self._ready = False
        self._idle = False
        self.pods = self.informer("pods")
        self.pods.add_indexer("claim", _claim_keys)
        self.pods.add_indexer("node", lambda p: [n] if (n := (p.get("spec") or {}).get("nodeName")) else [])
        self.pods.add_event_handler(on_add=self.enqueue, on_update=lambda o, n: self.enqueue(n),
                                    on_delete=self.enqueue)
        self.claims = self.informer("persistentvolumeclaims")
        self.claims.add_event_handler(on_add=self._claim, on_update=lambda o, n: self._claim(n))
        self.volumes = self.informer("persistentvolumes")
        self.volumes.add_event_handler(on_add=self._volume, on_update=lambda o, n: self._volume(n))
        self.nodes = self.informer("nodes")
        self.nodes.add_event_handler(on_add=self._node, on_update=self._node_update, on_delete=self._node)
        self.attachments = self.informer("volumeattachments")
        self.attachments.add_event_handler(on_add=self._va, on_update=lambda o, n: self._va(n),
                                           on_delete=self._va_deleted)
        self.drivers = self.informer("csidrivers")
        self.host.every(RECONCILER_LOOP_PERIOD, self._reconcile)

    # -- events -------------------------------------------------------------------------
    def _wake(self) -> None:
        self._idle = False

    def _claim(self, pvc: dict) -> None:
        for pod in self.pods.by_index("claim", key_func(pvc)):
            self.enqueue(pod)

    def _volume(self, pv: dict) -> None:
        ref = (pv.get("spec") or {}).get("claimRef") or {}
        if ref.get("name"):
            for pod in self.pods.by_index("claim", f"{ref.get('namespace')}/{ref['name']}"):
                self.enqueue(pod)

    def _node(self, node: dict) -> None:
        self._wake()
        for pod in self.pods.by_index("node", node["metadata"]["name"]):
            self.enqueue(pod)

    def _node_update(self, old: dict, new: dict) -> None:
        self._wake()   # volumesInUse or health may have changed
        def managed(n: dict) -> bool:
            return ((n.get("metadata") or {}).get("annotations") or {}).get(ANN_CONTROLLER_MANAGED) == "true"
        if managed(old) != managed(new):
            self._node(new)

    def _va(self, va: dict) -> None:
        self._wake()
        key = self._va_key(va)
        op = self._ops.get(key) if key else None
        if op is None or op[0] != "attach":
            if op is not None and op[0] == "detach" and (va.get("status") or {}).get("detachError"):
                self._detach_done(key, va["status"]["detachError"].get("message", ""))
            return
        status = va.get("status") or {}
        if va["metadata"].get("deletionTimestamp"):
            self._attach_done(key, "volume attachment is being deleted")
        elif status.get("attached"):
            self._attach_done(key, None)
        elif status.get("attachError"):
            self._attach_done(key, status["attachError"].get("message", ""))

    def _va_deleted(self, va: dict) -> None:
        self._wake()
        key = self._va_key(va)
        if key is None:
            return
        op = self._ops.get(key)
        if op is not None and op[0] == "attach":
            self._attach_done(key, "volume attachment has been deleted")
        elif op is not None and op[0] == "detach":
            self._detach_done(key, None)
        elif key in self.asw:
            self._forget(key)   # removed behind our back: attach again if wanted
            self._update_node_status(key[1])

    def _va_key(self, va: dict) -> tuple[str, str] | None:
        key = self._va_names.get(va["metadata"]["name"])
        return key if key in self.asw else None

    def _track(self, att: Attached) -> Attached:
        key = (att.spec.name, att.node)
        self.asw[key] = att
        self._va_names[attachment_name(att.spec.handle, att.spec.driver, att.node)] = key
        return att

    def _forget(self, key: tuple[str, str]) -> None:
        att = self.asw.pop(key, None)
        if att is not None:
            self._va_names.pop(attachment_name(att.spec.handle, att.spec.driver, att.node), None)

    # -- desired state of the world -------------------------------------------------------
    def _attach_required(self, driver: str) -> bool:
        d = self.drivers.get(driver)
        return d is None or (d.get("spec") or {}).get("attachRequired", True) is not False

    def sync(self, key: Any) -> None:
        """desired_state_of_world_populator / podAdd / podDelete for one pod."""
        self._wake()
        pod = self.pods.get(key)
        node_name = ((pod or {}).get("spec") or {}).get("nodeName")
        node = self.nodes.get(node_name) if node_name else None
        managed = node is not None and \
            ((node["metadata"].get("annotations") or {}).get(ANN_CONTROLLER_MANAGED) == "true")
        if pod is None or not managed or is_pod_terminated(pod):
            self.dsw.set_pod(key, None, None, [])
            return
        specs = pod_volumes(pod, lambda ns, n: self.claims.get(f"{ns}/{n}"), self.volumes.get,
                            self._attach_required)
        self.dsw.set_pod(key, pod, node_name, specs)

    def _populate(self) -> None:
        """populateActualStateOfWorld + populateDesiredStateOfWorld, once the caches synced."""
        for va in self.attachments.list():
            spec, node = va.get("spec") or {}, (va.get("spec") or {}).get("nodeName")
            pv = self.volumes.get((spec.get("source") or {}).get("persistentVolumeName") or "")
            csi = ((pv or {}).get("spec") or {}).get("csi") or {}
            if not node or not csi.get("volumeHandle") or csi.get("driver") != spec.get("attacher"):
                continue
            vs = VolumeSpec(unique_volume_name(csi["driver"], csi["volumeHandle"]), pv["metadata"]["name"],
                            csi["driver"], csi["volumeHandle"],
                            bool(set(pv["spec"].get("accessModes") or ()) & {"ReadWriteMany", "ReadOnlyMany"}))
            attached = bool((va.get("status") or {}).get("attached"))
            self._track(Attached(vs, node, attached=attached, reported=attached))
            if va["metadata"].get("deletionTimestamp"):
                self._ops[(vs.name, node)] = ("detach", self.loop.now + CSI_TIMEOUT)
        for pod in self.pods.list():
            self.sync(key_func(pod))
        self._ready = True

    # -- the reconciler -------------------------------------------------------------------
    def _reconcile(self) -> None:
        if not self._ready:
            if not all(inf.has_synced for inf in self._informers):
                return
            self._populate()
        now = self.loop.now
        for key, (kind, deadline) in sorted(self._ops.items()):
            if now >= deadline:
                att = self.asw.get(key)
                what = "attach" if kind == "attach" else "detach"
                msg = (f"timed out waiting for external-attacher of {att.spec.driver} CSI driver to {what} volume "
                       f"{att.spec.handle}") if att is not None else "timed out"
                (self._attach_done if kind == "attach" else self._detach_done)(key, msg)
        if self._idle:
            return
        busy = bool(self._ops)
        nodes_of: dict[str, list[str]] = {}
        for v, n in self.asw:
            nodes_of.setdefault(v, []).append(n)
        for key, att in sorted(self.asw.items()):
            if key in self.dsw.volumes or key in self._ops:
                continue
            busy = True
            if att.detach_requested_at is None:
                att.detach_requested_at = now
            node = self.nodes.get(att.node)
            status = (node or {}).get("status") or {}
            mounted = att.spec.name in (status.get("volumesInUse") or ())
            force = (node is None or not _node_ready(node)) and now - att.detach_requested_at > MAX_WAIT_FOR_UNMOUNT
            out_of_service = any(t.get("key") == TAINT_OUT_OF_SERVICE
                                 for t in ((node or {}).get("spec") or {}).get("taints") or ())
            if (mounted and not force and not out_of_service) or not self._may_retry(key):
                continue
            att.reported = False   # RemoveVolumeFromReportAsAttached before detaching
            self._update_node_status(att.node)
            self._start_detach(att)
        for key, want in sorted(self.dsw.volumes.items()):
            att = self.asw.get(key)
            if att is not None:
                att.detach_requested_at = None
                if att.attached:
                    continue
            busy = True
            if key in self._ops or not self._may_retry(key):
                continue
            if not want.spec.multi_attach:
                elsewhere = [n for n in nodes_of.get(want.spec.name, ()) if n != want.node]
                if elsewhere:
                    if not want.multi_attach_reported:
                        self._report_multi_attach(want)
                    continue
            self._start_attach(want)
        self._idle = not busy

    def _may_retry(self, key: tuple[str, str]) -> bool:
        return self.loop.now >= self._backoff.get(key, (0, 0.0))[1]

    def _failed(self, key: tuple[str, str]) -> None:
        n = self._backoff.get(key, (0, 0.0))[0]
        self._backoff[key] = (n + 1, self.loop.now + min(BACKOFF_INITIAL * 2 ** n, BACKOFF_MAX))

    def _report_multi_attach(self, want: ToAttach) -> None:
        """reconciler.go reportMultiAttachError: name the blocking pods of the pod's own namespace."""
        want.multi_attach_reported = True
        others = [pod for node, pod in self.dsw.pods_using(want.spec.name) if node != want.node]
        for _k, pod in sorted(want.pods.items()):
            if not others:
                msg = "Volume is already exclusively attached to one node and can't be attached to another"
            else:
                ns = pod["metadata"].get("namespace")
                local = [p["metadata"]["name"] for p in others if p["metadata"].get("namespace") == ns]
                foreign = len(others) - len(local)
                if local:
                    msg = f"Volume is already used by pod(s) {', '.join(local)}"
                    if foreign:
                        msg += f" and {foreign} pod(s) in different namespaces"
                else:
                    msg = f"Volume is already used by {foreign} pod(s) in different namespaces"
            self.recorder.event(pod, "Warning", "FailedAttachVolume",
                                f'Multi-Attach error for volume "{want.spec.pv}" {msg}')

    # -- operations ---------------------------------------------------------------------------
    def _start_attach(self, want: ToAttach) -> None:
        spec, node = want.spec, want.node
        key = (spec.name, node)
        if key not in self.asw:
            self._track(Attached(spec, node))
        self._ops[key] = ("attach", self.loop.now + CSI_TIMEOUT)
        name = attachment_name(spec.handle, spec.driver, node)
        va = self.attachments.get(name)
        if va is None:
            body = {"apiVersion": "storage.k8s.io/v1", "kind": "VolumeAttachment", "metadata": {"name": name},
                    "spec": {"attacher": spec.driver, "nodeName": node,
                             "source": {"persistentVolumeName": spec.pv}}}
            try:
                va = self.client.create("volumeattachments", body)
            except ApiError as err:
                if err.reason != "AlreadyExists":
                    self._attach_done(key, str(err))
                    return
                va = None
        if va is not None:
            self._va(va)

    def _attach_done(self, key: tuple[str, str], err: str | None) -> None:
        self._ops.pop(key, None)
        att, want = self.asw.get(key), self.dsw.volumes.get(key)
        pods = sorted(want.pods.items()) if want is not None else []
        if att is None:
            return
        if err is not None:
            self._failed(key)
            for _k, pod in pods:
                self.recorder.event(pod, "Warning", "FailedAttachVolume",
                                    f'AttachVolume.Attach failed for volume "{att.spec.pv}" : {err}')
            return
        self._backoff.pop(key, None)
        att.attached = att.reported = True
        att.detach_requested_at = None
        self._update_node_status(att.node)
        for _k, pod in pods:
            self.recorder.event(pod, "Normal", "SuccessfulAttachVolume",
                                f'AttachVolume.Attach succeeded for volume "{att.spec.pv}"')

    def _start_detach(self, att: Attached) -> None:
        key = (att.spec.name, att.node)
        self._ops[key] = ("detach", self.loop.now + CSI_TIMEOUT)
        name = attachment_name(att.spec.handle, att.spec.driver, att.node)
        try:
            self.client.delete("volumeattachments", name)
        except ApiError as err:
            if is_not_found(err):
                self._detach_done(key, None)
            else:
                self._detach_done(key, str(err))
            return
        if self.attachments.get(name) is None:
            self._detach_done(key, None)

    def _detach_done(self, key: tuple[str, str], err: str | None) -> None:
        self._ops.pop(key, None)
        att = self.asw.get(key)
        if att is None:
            return
        if err is not None:
            self._failed(key)
            if att.attached:   # GenerateDetachVolumeFunc: report it attached again
                att.reported = True
                self._update_node_status(att.node)
            return
        self._backoff.pop(key, None)
        self._forget(key)
        self._update_node_status(att.node)

    # -- node status updater -------------------------------------------------------------------
    def _update_node_status(self, node_name: str) -> None:
        """statusupdater UpdateNodeStatuses for one node: ``status.volumesAttached`` as reported."""
        node = self.nodes.get(node_name)
        if node is None:
            return
        want = [{"name": a.spec.name, "devicePath": ""}
                for (_v, n), a in sorted(self.asw.items()) if n == node_name and a.reported]
        if ((node.get("status") or {}).get("volumesAttached") or []) == want:
            return
        try:
            self.client.patch("nodes", node_name, {"status": {"volumesAttached": want}}, subresource="status")
        except ApiError as err:
            if not is_not_found(err):
                self.errors.handle(f"UpdateNodeStatuses failed for node {node_name}", err)


__all__ = ["AttachDetachController", "RECONCILER_LOOP_PERIOD", "MAX_WAIT_FOR_UNMOUNT", "CSI_TIMEOUT"]
