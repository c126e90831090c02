"""The StatefulSet controller (pkg/controller/statefulset/stateful_set.go,
stateful_set_control.go, stateful_pod_control.go).

``sync``: the set's pods (owned, matching the selector, named ``<set>-<n>``), its revisions
(``getStatefulSetRevisions``: the update revision is the current template's, reused when
the template went back to an earlier one; the current revision is ``status.currentRevision``
or, on first sync, the update revision), one step of :mod:`.statefulset_control`, then the
status: replicas, readyReplicas, availableReplicas, currentReplicas, updatedReplicas,
currentRevision, updateRevision, observedGeneration — with ``completeRollingUpdate``
making the update revision current once every replica is updated and ready.

Pods are created after their PersistentVolumeClaims (one per volumeClaimTemplate,
``<template>-<pod>``; ``persistentVolumeClaimRetentionPolicy`` decides whether they outlive the
set and scaled-down pods: Retain by default, Delete through owner references the garbage
collector follows — :func:`.statefulset_util.update_claim_owner_refs`). Events are upstream's: ``SuccessfulCreate`` "create
Claim www-web-0 Pod web-0 in StatefulSet web success", "create Pod web-0 in StatefulSet web
successful", ``SuccessfulDelete`` "delete Pod web-1 in StatefulSet web successful".
The claims stay Pending until the storage part of the cluster binds them; the kubelet
does not wait for them yet. Not modelled: adopting orphans, maxUnavailable for RollingUpdate.
"""

from __future__ import annotations

import copy
from typing import Any

from ..client.errors import ApiError
from ..client.meta import controller_ref, key_func, selector_matches
from ..lang import Text
from .base import Controller
from .history import bump_revision, create_revision, owned_revisions, truncate_history
from .statefulset_control import update_stateful_set
from .statefulset_util import update_claim_owner_refs
from .statefulset_util import (build_revision, claims_for, is_running_and_available, is_running_and_ready,
                               is_terminating, ordinal_of, parent_name, pod_revision)

STS_INDEX = "statefulset-controller"


def _owner_uid(pod: dict) -> list[str]:
    ref = controller_ref(pod)
    return [ref["uid"]] if ref and ref.get("kind") == "StatefulSet" and ref.get("uid") else []


class StatefulSetController(Controller):
    name = "statefulset"
    kind = "statefulset-controller"
    watches = ("statefulsets", "pods", "controllerrevisions", "persistentvolumeclaims")
    writes = ("pods", "persistentvolumeclaims", "statefulsets/status", "controllerrevisions", "events")
    summary = Text("按序号创建有稳定名字、稳定主机名和各自存储的 Pod（web-0、web-1…），按序扩缩容与滚动更新",
                   "Creates Pods by ordinal with stable names, stable hostnames and storage of their own (web-0, web-1, ...); scales and rolls out updates in order")
    event_component = "statefulset-controller"

    def setup(self) -> None:
        self.sts_informer = self.informer("statefulsets")
        self.pod_informer = self.informer("pods")
        self.pod_informer.add_indexer(STS_INDEX, _owner_uid)
        self.history_informer = self.informer("controllerrevisions")
        self.claim_informer = self.informer("persistentvolumeclaims")
        self.sts_informer.add_event_handler(on_add=self.enqueue, on_update=lambda o, n: self.enqueue(n),
                                            on_delete=self.enqueue)
        self.pod_informer.add_event_handler(on_add=self._pod_changed, on_update=lambda o, n: self._pod_changed(n),
                                            on_delete=self._pod_changed)

    def _pod_changed(self, pod: dict) -> None:
        ref = controller_ref(pod)
        if ref and ref.get("kind") == "StatefulSet":
            sts = self.sts_informer.get(f"{pod['metadata'].get('namespace')}/{ref.get('name')}")
            if sts is not None and sts["metadata"].get("uid") == ref.get("uid"):
                self.enqueue(sts)
                min_ready = sts["spec"].get("minReadySeconds") or 0
                if min_ready:
                    self.queue.add_after(key_func(sts), float(min_ready))

    # -- sync ---------------------------------------------------------------------------
    def sync(self, key: Any) -> None:
        sts = self.sts_informer.get(key)
        if sts is None:
            return
        pods = self._pods(sts)
        current, update, old = self._revisions(sts)
        error: ApiError | None = None
        try:
            update_stateful_set(self, sts, pods, current, update, self.loop.now)
        except ApiError as err:
            error = err
        pods = self._pods(sts)
        status = self._status(sts, pods, current, update)
        limit = sts["spec"].get("revisionHistoryLimit", 10)
        live = {pod_revision(p) for p in pods} | {current["metadata"]["name"], update["metadata"]["name"]}
        truncate_history(self.client, [r for r in old if r["metadata"]["name"] not in live], limit, set())
        self._write_status(sts, status)
        if error is not None:
            raise error

    def _pods(self, sts: dict) -> list[dict]:
        selector, name = sts["spec"].get("selector"), sts["metadata"]["name"]
        return [p for p in self.pod_informer.by_index(STS_INDEX, sts["metadata"]["uid"])
                if parent_name(p) == name and selector_matches(selector, p["metadata"].get("labels"))]

    def _revisions(self, sts: dict) -> tuple[dict, dict, list[dict]]:
        revisions = owned_revisions(self.history_informer, sts)
        number = (revisions[-1].get("revision", 0) if revisions else 0) + 1
        collision = (sts.get("status") or {}).get("collisionCount")
        wanted = build_revision(sts, number, collision)
        equal = [r for r in revisions if r.get("data") == wanted["data"]]
        if equal and revisions[-1] is equal[-1]:
            update = revisions[-1]                 # the template has not changed
        elif equal:
            update = bump_revision(self.client, equal[-1], number)   # a rollback to an old template
        else:
            update = create_revision(self.client, wanted)
        current_name = (sts.get("status") or {}).get("currentRevision")
        current = next((r for r in revisions if r["metadata"]["name"] == current_name), update)
        names = {current["metadata"]["name"], update["metadata"]["name"]}
        return current, update, [r for r in revisions if r["metadata"]["name"] not in names]

    # -- pod control (stateful_pod_control.go) -------------------------------------------------
    def create_pod(self, sts: dict, pod: dict) -> None:
        ns, set_name, pod_name = sts["metadata"]["namespace"], sts["metadata"]["name"], pod["metadata"]["name"]
        for claim in claims_for(sts, ordinal_of(pod)):
            claim_name = claim["metadata"]["name"]
            try:
                self.client.get("persistentvolumeclaims", claim_name, namespace=ns)
                continue
            except ApiError as err:
                if err.code != 404:
                    raise
            update_claim_owner_refs(claim, sts, pod)   # createPersistentVolumeClaims
            try:
                self.client.create("persistentvolumeclaims", claim, namespace=ns)
            except ApiError as err:
                if err.code != 409:
                    self.recorder.event(sts, "Warning", "FailedCreate", f"create Claim {claim_name} for Pod "
                                        f"{pod_name} in StatefulSet {set_name} failed error: {err.message}")
                    raise
            else:
                self.recorder.event(sts, "Normal", "SuccessfulCreate",
                                    f"create Claim {claim_name} Pod {pod_name} in StatefulSet {set_name} success")
        self._pod_call(sts, pod, "Create", lambda: self.client.create("pods", pod, namespace=ns))

    def claims_match_retention(self, sts: dict, pod: dict) -> bool:
        """``ClaimsMatchRetentionPolicy``: every existing claim of the pod has the owner
        references the set's persistentVolumeClaimRetentionPolicy asks for."""
        ns = sts["metadata"]["namespace"]
        for claim in claims_for(sts, ordinal_of(pod)):
            current = self.claim_informer.get(f"{ns}/{claim['metadata']['name']}")
            if current is not None and update_claim_owner_refs(copy.deepcopy(current), sts, pod):
                return False
        return True

    def update_claims_for_retention(self, sts: dict, pod: dict) -> None:
        """``UpdatePodClaimForRetentionPolicy``: write the owner references that differ."""
        ns = sts["metadata"]["namespace"]
        for claim in claims_for(sts, ordinal_of(pod)):
            current = self.claim_informer.get(f"{ns}/{claim['metadata']['name']}")
            if current is None:
                continue
            fixed = copy.deepcopy(current)
            if update_claim_owner_refs(fixed, sts, pod):
                self.client.update("persistentvolumeclaims", fixed, namespace=ns)

    def delete_pod(self, sts: dict, pod: dict) -> None:
        ns = pod["metadata"]["namespace"]
        self._pod_call(sts, pod, "Delete", lambda: self.client.delete("pods", pod["metadata"]["name"], namespace=ns))

    def update_pod(self, sts: dict, pod: dict) -> None:
        """Restore the identity labels of a pod someone relabelled (``UpdateStatefulPod``)."""
        from .statefulset_util import POD_NAME_LABEL
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        patch = {"metadata": {"labels": {POD_NAME_LABEL: name}}}
        self._pod_call(sts, pod, "Update", lambda: self.client.patch("pods", name, patch, namespace=ns))

    def _pod_call(self, sts: dict, pod: dict, verb: str, call: Any) -> None:
        where = f"Pod {pod['metadata']['name']} in StatefulSet {sts['metadata']['name']}"
        try:
            call()
        except ApiError as err:
            if verb == "Delete" and err.code == 404:
                return
            if verb == "Create" and err.code == 409:
                raise              # "sink already exists errors": a stale cache, retried
            self.recorder.event(sts, "Warning", f"Failed{verb}", f"{verb.lower()} {where} failed error: {err.message}")
            raise
        self.recorder.event(sts, "Normal", f"Successful{verb}", f"{verb.lower()} {where} successful")

    # -- status ----------------------------------------------------------------------------
    def _status(self, sts: dict, pods: list[dict], current: dict, update: dict) -> dict:
        min_ready, now = sts["spec"].get("minReadySeconds") or 0, self.loop.now
        cur_name, upd_name = current["metadata"]["name"], update["metadata"]["name"]
        replicas = ready = available = current_n = updated = 0
        for pod in pods:
            replicas += 1
            if is_running_and_ready(pod):
                ready += 1
                available += 1 if is_running_and_available(pod, min_ready, now) else 0
            if not is_terminating(pod):
                current_n += 1 if pod_revision(pod) == cur_name else 0
                updated += 1 if pod_revision(pod) == upd_name else 0
        if ((sts["spec"].get("updateStrategy") or {}).get("type") == "RollingUpdate"
                and updated == replicas and ready == replicas):
            cur_name, current_n = upd_name, updated      # completeRollingUpdate
        old = sts.get("status") or {}
        status: dict[str, Any] = {"observedGeneration": sts["metadata"].get("generation"), "replicas": replicas}
        for k, v in (("readyReplicas", ready), ("currentReplicas", current_n), ("updatedReplicas", updated)):
            if v:
                status[k] = v
        status.update(currentRevision=cur_name, updateRevision=upd_name)
        if old.get("collisionCount") is not None:
            status["collisionCount"] = old["collisionCount"]
        status["availableReplicas"] = available
        return status

    def _write_status(self, sts: dict, status: dict) -> None:
        if status == (sts.get("status") or {}):
            return
        ns = sts["metadata"]["namespace"]
        try:
            self.client.update("statefulsets", {**sts, "status": status}, namespace=ns, subresource="status")
        except ApiError as err:
            if err.code == 404:
                return
            if err.code != 409:
                raise
            fresh = self.client.get("statefulsets", sts["metadata"]["name"], namespace=ns)
            fresh["status"] = status
            self.client.update("statefulsets", fresh, namespace=ns, subresource="status")
        min_ready = sts["spec"].get("minReadySeconds") or 0
        if min_ready and status.get("readyReplicas", 0) != status["availableReplicas"]:
            self.queue.add_after(key_func(sts), float(min_ready))
