"""The Deployment controller (pkg/controller/deployment).

A Deployment never touches pods. It owns ReplicaSets, one per pod template it has had:
the *new* ReplicaSet (its template equals the Deployment's, named
``<deployment>-<pod-template-hash>``) and *old* ones. Each sync:

1. a **scaling event** (``spec.replicas`` differs from the ``desired-replicas``
   annotation of the active ReplicaSets, e.g. ``kubectl scale``) only resizes them,
   proportionally when a rollout is in flight (sync.go ``scale``);
2. otherwise the strategy runs: **RollingUpdate** grows the new ReplicaSet within
   ``maxSurge`` and shrinks old ones within ``maxUnavailable`` (rolling.go);
   **Recreate** scales old ones to 0, waits until their pods are gone, then scales the new
   one up (recreate.go);
3. ``status`` is recomputed from the ReplicaSets' status, with the ``Available`` and
   ``Progressing`` conditions and their upstream reasons/messages (progress.go).

Old ReplicaSets scaled to 0 are kept for rollback, up to ``revisionHistoryLimit`` (10).
Not modelled: rollback, pause conditions, adoption of orphan ReplicaSets.

This module holds the controller, its event handlers and the new/old ReplicaSet
bookkeeping; the strategies live in :mod:`.deployment_rollout`, status and progress in
:mod:`.deployment_progress`.
"""

from __future__ import annotations

import copy
from typing import Any

from ..apiserver.jsonutil import copy_json
from ..client import Requeue
from ..client.errors import ApiError, is_already_exists
from ..client.meta import controller_ref, owner_reference
from ..lang import Text
from .base import Controller
from .deployment_progress import ProgressMixin, _created, _replicas
from .deployment_rollout import RolloutMixin
from .deployment_util import (DESIRED_REPLICAS, FOUND_NEW_RS, MAX_REPLICAS, NEW_RS_CREATED, POD_TEMPLATE_HASH,
                              REVISION, equal_ignore_hash, get_condition, max_surge, new_condition,
                              new_rs_new_replicas, resolve_fenceposts, revision, rs_annotations, set_condition)
from .deployment_util import check_int32_fields
from .hashing import compute_hash

# k8s.io/api/apps/v1 DeploymentSpec: the int32 (and IntOrString) fields the controller reads
_INT32_FIELDS = (("spec", "replicas"), ("spec", "minReadySeconds"), ("spec", "revisionHistoryLimit"),
                 ("spec", "progressDeadlineSeconds"), ("spec", "strategy", "rollingUpdate", "maxSurge"),
                 ("spec", "strategy", "rollingUpdate", "maxUnavailable"))


class DeploymentController(RolloutMixin, ProgressMixin, Controller):
    name = "deployment"
    kind = "deployment-controller"
    watches = ("deployments", "replicasets", "pods")
    writes = ("replicasets", "deployments/status", "events")
    summary = Text("为 Deployment 的每个 Pod 模板维护一个 ReplicaSet，按滚动更新或重建策略在新旧 ReplicaSet 之间调整副本数",
                   "Keeps one ReplicaSet per Pod template of each Deployment and moves replicas between the new and old ReplicaSets by the RollingUpdate or Recreate strategy")
    event_component = "deployment-controller"

    def setup(self) -> None:
        self._latest: dict[str, dict] = {}  # ReplicaSets written this sync, newer than the cache
        self.d_informer = self.informer("deployments")
        self.rs_informer = self.informer("replicasets")
        self.pod_informer = self.informer("pods")
        self.d_informer.add_event_handler(on_add=self.enqueue, on_update=lambda old, cur: self.enqueue(cur),
                                          on_delete=self.enqueue)
        self.rs_informer.add_event_handler(on_add=self._rs_changed, on_update=self._rs_updated,
                                           on_delete=self._rs_changed)
        self.pod_informer.add_event_handler(on_delete=self._pod_deleted)

    # -- handlers ----------------------------------------------------------------
    def _owner_key(self, rs: dict) -> str | None:
        ref = controller_ref(rs)
        if not ref or ref.get("kind") != "Deployment":
            return None
        key = f"{rs['metadata'].get('namespace')}/{ref.get('name')}"
        d = self.d_informer.get(key)
        return key if d is not None and d["metadata"].get("uid") == ref.get("uid") else None

    def _rs_changed(self, rs: dict) -> None:
        key = self._owner_key(rs)
        if key:
            self.queue.add(key)

    def _rs_updated(self, old: dict, cur: dict) -> None:
        if old["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            return
        for rs in (old, cur):
            self._rs_changed(rs)

    def _pod_deleted(self, pod: dict) -> None:
        # Only Recreate waits for old pods to be gone before scaling up.
        ref = controller_ref(pod)
        if not ref or ref.get("kind") != "ReplicaSet":
            return
        rs = self.rs_informer.get(f"{pod['metadata'].get('namespace')}/{ref.get('name')}")
        key = rs and self._owner_key(rs)
        if key:
            d = self.d_informer.get(key)
            if ((d.get("spec") or {}).get("strategy") or {}).get("type") == "Recreate":
                self.queue.add(key)

    # -- sync ------------------------------------------------------------------------
    def sync(self, key: Any) -> None:
        cached = self.d_informer.get(key)
        if cached is None:
            return
        # A Go controller could not have decoded it: stop here (logged, retried with backoff).
        check_int32_fields(cached, "Deployment", _INT32_FIELDS)
        d = copy_json(cached)   # deepcopy's result, several times faster (marshal, in C)
        rs_list = self._owned_replicasets(d)
        if d["metadata"].get("deletionTimestamp"):
            new, old = self._get_all(d, rs_list, create=False)
            self._sync_status(d, old + ([new] if new else []), new)
            return
        if d["spec"].get("paused") or self._is_scaling_event(d, rs_list):
            self._sync_scale(d, rs_list)
            return
        if ((d["spec"].get("strategy") or {}).get("type") or "RollingUpdate") == "Recreate":
            self._recreate(d, rs_list)
        else:
            self._rolling(d, rs_list)

    def _owned_replicasets(self, d: dict) -> list[dict]:
        uid = d["metadata"].get("uid")
        out = [rs for rs in self.rs_informer.list(d["metadata"].get("namespace"))
               if (controller_ref(rs) or {}).get("uid") == uid]
        return sorted(out, key=_created)

    # -- new / old ReplicaSets -------------------------------------------------------
    def _get_all(self, d: dict, rs_list: list[dict], create: bool) -> tuple[dict | None, list[dict]]:
        template = d["spec"].get("template") or {}
        new = next((rs for rs in rs_list if equal_ignore_hash(rs["spec"].get("template") or {}, template)), None)
        old = [rs for rs in rs_list if rs is not new]
        new_revision = str(max((revision(rs) for rs in old), default=0) + 1)
        if new is not None:
            anns = rs_annotations(d, new["metadata"].get("annotations"), new_revision)
            min_ready = d["spec"].get("minReadySeconds", 0)
            if anns != (new["metadata"].get("annotations") or {}) or \
                    new["spec"].get("minReadySeconds", 0) != min_ready:
                body = copy.deepcopy(new)
                body["metadata"]["annotations"] = anns
                body["spec"]["minReadySeconds"] = min_ready
                new = self.client.update("replicasets", body, namespace=body["metadata"]["namespace"])
            self._set_revision(d, new["metadata"]["annotations"].get(REVISION, new_revision))
            if self._has_deadline(d) and get_condition(d.get("status") or {}, "Progressing") is None:
                status = d.setdefault("status", {})
                set_condition(status, new_condition("Progressing", "True", FOUND_NEW_RS,
                                                    f'Found new replica set "{new["metadata"]["name"]}"',
                                                    self.loop.now))
                self._write_status(d)
            return new, old
        if not create:
            return None, old
        return self._create_new_rs(d, old, new_revision), old

    def _create_new_rs(self, d: dict, old: list[dict], new_revision: str) -> dict:
        ns = d["metadata"]["namespace"]
        status = d.setdefault("status", {})
        pod_hash = compute_hash(d["spec"]["template"], status.get("collisionCount"))
        template = copy.deepcopy(d["spec"]["template"])
        template.setdefault("metadata", {}).setdefault("labels", {})[POD_TEMPLATE_HASH] = pod_hash
        selector = copy.deepcopy(d["spec"].get("selector") or {})
        selector.setdefault("matchLabels", {})[POD_TEMPLATE_HASH] = pod_hash
        replicas = d["spec"].get("replicas", 1)
        recreate = ((d["spec"].get("strategy") or {}).get("type") == "Recreate")
        count = new_rs_new_replicas(replicas, resolve_fenceposts(d["spec"].get("strategy"), replicas),
                                    sum(_replicas(rs) for rs in old), 0, recreate)
        name = f"{d['metadata']['name']}-{pod_hash}"
        body = {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": ns,
                         "labels": dict(template["metadata"]["labels"]),
                         "annotations": rs_annotations(d, {}, new_revision, creating=True),
                         "ownerReferences": [owner_reference(d)]},
            "spec": {"replicas": count, "minReadySeconds": d["spec"].get("minReadySeconds", 0),
                     "selector": selector, "template": template},
        }
        try:
            created = self.client.create("replicasets", body, namespace=ns)
            fresh = True
        except ApiError as err:
            if not is_already_exists(err):
                raise
            existing = self.client.get("replicasets", name, namespace=ns)
            if (controller_ref(existing) or {}).get("uid") == d["metadata"].get("uid") and \
                    equal_ignore_hash(existing["spec"].get("template") or {}, d["spec"]["template"]):
                created, fresh = existing, False
            else:
                # A hash collision: another template hashed to the same name. Bump
                # collisionCount so the next attempt hashes differently (sync.go).
                status["collisionCount"] = status.get("collisionCount", 0) + 1
                self._write_status(d)
                raise Requeue(f"hash collision for {name}") from None
        if fresh and count > 0:
            self.recorder.event(d, "Normal", "ScalingReplicaSet",
                                f"Scaled up replica set {name} from 0 to {count}")
        self._set_revision(d, new_revision)
        if self._has_deadline(d):
            set_condition(status, new_condition("Progressing", "True", NEW_RS_CREATED,
                                                f'Created new replica set "{name}"', self.loop.now))
            self._write_status(d)
        return created

    def _set_revision(self, d: dict, rev: str) -> None:
        anns = d["metadata"].get("annotations") or {}
        if anns.get(REVISION) == rev:
            return
        # sync.go getNewReplicaSet: an Update of the Deployment (the deployment-controller's
        # role may update deployments, not patch them)
        body = dict(d, metadata=dict(d["metadata"], annotations={**anns, REVISION: rev}))
        updated = self.client.update("deployments", body, namespace=d["metadata"]["namespace"])
        d["metadata"] = updated["metadata"]

    # -- scaling ------------------------------------------------------------------------
    def _scale_rs(self, rs: dict, new_scale: int, d: dict) -> tuple[bool, dict]:
        old_scale = _replicas(rs)
        anns = dict(rs["metadata"].get("annotations") or {})
        want = {DESIRED_REPLICAS: str(d["spec"].get("replicas", 1)),
                MAX_REPLICAS: str(d["spec"].get("replicas", 1) + max_surge(d))}
        if old_scale == new_scale and all(anns.get(k) == v for k, v in want.items()):
            return False, rs
        body = copy.deepcopy(rs)
        body["spec"]["replicas"] = new_scale
        body["metadata"]["annotations"] = {**anns, **want}
        updated = self.client.update("replicasets", body, namespace=rs["metadata"]["namespace"])
        if old_scale != new_scale:
            op = "up" if new_scale > old_scale else "down"
            self.recorder.event(d, "Normal", "ScalingReplicaSet",
                                f"Scaled {op} replica set {rs['metadata']['name']} from {old_scale} to {new_scale}")
        return old_scale != new_scale, updated
