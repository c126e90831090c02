"""The ReplicaSet controller (pkg/controller/replicaset/replica_set.go).

Keeps ``spec.replicas`` pods alive for each ReplicaSet: counts the active pods it
controls (ownerReference with its uid, labels matching its selector, not terminal, not
being deleted), creates the missing ones from the template in "slow start" batches
(1, 2, 4, ... — a broken template fails once, not 500 times), or deletes the surplus,
best candidates first (see :mod:`.podcontrol`). Expectations stop it from acting twice
on a key while its own watch has not caught up. Then it writes ``status``: replicas,
fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration.

Like upstream ``ClaimPods`` it adopts orphan pods that match its selector (adds itself as
their controller) and releases pods whose labels no longer match (removes the reference),
so relabelling a pod takes it out of the set and a replacement is created. Upstream
re-reads the ReplicaSet before adopting (``RecheckDeletionTimestamp``); we trust the cache.
"""

from __future__ import annotations

from typing import Any

from ..client.errors import ApiError
from ..client.meta import (controller_ref, is_pod_active, is_pod_ready, key_func, owner_reference,
                           selector_matches)
from ..lang import Text
from ..sim.clock import parse
from .base import Controller
from .deployment_util import check_int32_fields
from .expectations import Expectations
from .podcontrol import delete_pods, deletion_order, pod_from_template
from .replicaset_tally import Tallies, contribution

# pkg/controller/replicaset/replica_set.go: BurstReplicas — max pods created/deleted per sync
BURST_REPLICAS = 500
# pkg/controller/controller_utils.go: SlowStartInitialBatchSize
SLOW_START_INITIAL_BATCH_SIZE = 1


#: Pod index: the controller's uid, or ``"<namespace>/"`` for pods without a controller.
CONTROLLER_INDEX = "controller"
# k8s.io/api/apps/v1 ReplicaSetSpec: the int32 fields the controller reads
_INT32_FIELDS = (("spec", "replicas"), ("spec", "minReadySeconds"))


#: ReplicaSet indexes: by its own uid, and by its controller's uid (a Deployment's sets).
UID_INDEX, OWNER_INDEX = "uid", "owner"


def _controller_index(pod: dict) -> list[str]:
    ref = controller_ref(pod)
    return [ref.get("uid", "")] if ref else [f"{pod['metadata'].get('namespace')}/"]


def _uid_index(obj: dict) -> list[str]:
    return [obj["metadata"].get("uid", "")]


def _owner_index(obj: dict) -> list[str]:
    ref = controller_ref(obj)
    return [ref.get("uid", "")] if ref else []


class ReplicaSetController(Controller):
    name = "replicaset"
    kind = "replicaset-controller"
    watches = ("replicasets", "pods")
    writes = ("pods", "replicasets/status", "events")
    summary = Text("让每个 ReplicaSet 的 Pod 数量等于 spec.replicas：少了就按模板创建，多了就删除",
                   "Keeps each ReplicaSet's number of Pods equal to spec.replicas: creates Pods from the template when short, deletes them when over")
    event_component = "replicaset-controller"
    #: the resource and owner kind it manages (the replication controller reuses this class
    #: on ReplicationControllers through adapters, as upstream's pkg/controller/replication)
    resource = "replicasets"
    owner_kind = "ReplicaSet"

    def setup(self) -> None:
        self.expectations = Expectations(clock=lambda: self.loop.now)
        self.rs_informer = self.informer(self.resource)
        self.pod_informer = self.informer("pods")
        self.pod_informer.add_indexer(CONTROLLER_INDEX, _controller_index)
        self.rs_informer.add_indexer(UID_INDEX, _uid_index)
        self.rs_informer.add_indexer(OWNER_INDEX, _owner_index)
        #: What each sync would count, kept current per pod event (see :mod:`.replicaset_tally`).
        self.tallies = Tallies(self._rs_by_uid, lambda uid: self.pod_informer.by_index(CONTROLLER_INDEX, uid))
        self.rs_informer.add_event_handler(on_add=self.enqueue, on_update=self._update_rs,
                                           on_delete=self._delete_rs)
        self.pod_informer.add_event_handler(on_add=self._add_pod, on_update=self._update_pod,
                                            on_delete=self._delete_pod)

    # -- handlers: only bookkeeping and enqueueing -----------------------------
    def _update_rs(self, old: dict, cur: dict) -> None:
        self.enqueue(cur)

    def _delete_rs(self, rs: dict) -> None:
        key = key_func(rs)
        self.tallies.drop_owner(rs["metadata"].get("uid", ""))
        self.expectations.delete(key)
        self.queue.add(key)

    def _owner_key(self, pod: dict) -> str | None:
        ref = controller_ref(pod)
        if not ref or ref.get("kind") != self.owner_kind:
            return None
        ns = (pod.get("metadata") or {}).get("namespace")
        rs = self.rs_informer.get(f"{ns}/{ref.get('name')}")
        if rs is None or rs["metadata"].get("uid") != ref.get("uid"):
            return None
        return key_func(rs)

    def _rs_by_uid(self, uid: str) -> dict | None:
        found = self.rs_informer.by_index(UID_INDEX, uid)
        return found[0] if found else None

    def _add_pod(self, pod: dict) -> None:
        self.tallies.observe(pod)
        if (pod.get("metadata") or {}).get("deletionTimestamp"):
            self._delete_pod(pod)  # a restarted controller can see a pod already being deleted
            return
        rs_key = self._owner_key(pod)
        if rs_key:
            self.expectations.creation_observed(rs_key)
            self.queue.add(rs_key)
        elif controller_ref(pod) is None:
            self._enqueue_matching(pod)  # an orphan: whoever selects it may adopt it

    def _enqueue_matching(self, pod: dict) -> None:
        ns, labels = pod["metadata"].get("namespace"), pod["metadata"].get("labels")
        for rs in self.rs_informer.list(ns):
            if selector_matches(rs["spec"].get("selector"), labels):
                self.queue.add(key_func(rs))

    def _update_pod(self, old: dict, cur: dict) -> None:
        if old["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            return  # a resync: nothing changed
        self.tallies.observe(cur)
        if cur["metadata"].get("deletionTimestamp"):
            # Graceful deletion started: for us the pod is already gone.
            self._delete_pod(cur)
            return
        old_key, cur_key = self._owner_key(old), self._owner_key(cur)
        if old_key and old_key != cur_key:
            self.queue.add(old_key)
        if controller_ref(cur) is None and (old["metadata"].get("labels") != cur["metadata"].get("labels")
                                            or controller_ref(old) is not None):
            self._enqueue_matching(cur)
        if cur_key:
            self.queue.add(cur_key)
            rs = self.rs_informer.get(cur_key)
            min_ready = ((rs or {}).get("spec") or {}).get("minReadySeconds") or 0
            if min_ready and not is_pod_ready(old) and is_pod_ready(cur):
                self.queue.add_after(cur_key, float(min_ready))  # becomes available then

    def _delete_pod(self, pod: dict) -> None:
        if self.pod_informer.get(key_func(pod)) is None:
            self.tallies.forget(key_func(pod))  # gone from the cache (not just being deleted)
        rs_key = self._owner_key(pod)
        if rs_key:
            self.expectations.deletion_observed(rs_key, key_func(pod))
            self.queue.add(rs_key)

    # -- sync -------------------------------------------------------------------
    def sync(self, key: Any) -> None:
        rs = self.rs_informer.get(key)
        if rs is None:
            self.expectations.delete(key)
            return
        # A Go controller could not have decoded it: stop here (logged, retried with backoff).
        check_int32_fields(rs, self.owner_kind, _INT32_FIELDS)
        needs_sync = self.expectations.satisfied(key)
        tally = self.tallies.for_rs(rs)
        adopted = self._claim(rs, tally)
        error: ApiError | None = None
        if needs_sync and not rs["metadata"].get("deletionTimestamp"):
            try:
                self._manage_replicas(rs, key, tally.count + len(adopted), adopted)
            except ApiError as err:
                error = err
        self._update_status(rs, tally, adopted)
        if error is not None:
            raise error

    def _claim(self, rs: dict, tally: Any) -> list[dict]:
        """ClaimPods: release the owned pods whose labels stopped matching the selector and
        adopt the matching orphans; returns the adopted pods (the owned, selected ones are
        counted in ``tally``). Only orphans and released pods are visited: O(changes)."""
        ns, uid = rs["metadata"].get("namespace"), rs["metadata"].get("uid")
        for pkey in list(tally.release):
            pod = self.pod_informer.get(pkey)
            if pod is not None:
                self._set_owners(pod, [r for r in pod["metadata"]["ownerReferences"] if r.get("uid") != uid])
        if rs["metadata"].get("deletionTimestamp"):
            return []
        selector = rs["spec"].get("selector")
        adopted = []
        for pod in self.pod_informer.by_index(CONTROLLER_INDEX, f"{ns}/"):
            if is_pod_active(pod) and selector_matches(selector, pod["metadata"].get("labels")):
                owners = list(pod["metadata"].get("ownerReferences") or []) + [owner_reference(rs)]
                if self._set_owners(pod, owners):
                    adopted.append(pod)
        return adopted

    def _controlled_pods(self, rs: dict, adopted: list[dict]) -> list[dict]:
        """The active pods this ReplicaSet controls (its counted pods plus those just adopted)."""
        tally = self.tallies.for_rs(rs)
        uid = rs["metadata"].get("uid")
        owned = [p for p in self.pod_informer.by_index(CONTROLLER_INDEX, uid)
                 if (tally.pods.get(key_func(p)) or (False,))[0]]
        return sorted(owned + adopted, key=key_func)

    def _related_pods(self, rs: dict, own: list[dict]) -> list[dict]:
        """getIndirectlyRelatedPods: the pods of every ReplicaSet sharing ``rs``'s controller
        (a Deployment's old and new sets) — what scale-down ranks co-located pods against."""
        ref = controller_ref(rs)
        if ref is None:
            return own
        seen = {key_func(p) for p in own}
        related = list(own)
        for sibling in self.rs_informer.by_index(OWNER_INDEX, ref.get("uid", "")):
            if sibling["metadata"].get("uid") == rs["metadata"].get("uid"):
                continue
            for pod in self.pod_informer.by_index(CONTROLLER_INDEX, sibling["metadata"].get("uid", "")):
                if key_func(pod) not in seen:
                    seen.add(key_func(pod))
                    related.append(pod)
        return related

    def _set_owners(self, pod: dict, owners: list[dict]) -> bool:
        """Adopt or release ``pod`` by rewriting its ownerReferences; False if it is gone."""
        try:
            self.client.patch("pods", pod["metadata"]["name"], {"metadata": {"ownerReferences": owners or None}},
                              namespace=pod["metadata"]["namespace"])
        except ApiError as err:
            if err.code == 404:
                return False
            raise
        return True

    def _manage_replicas(self, rs: dict, key: str, count: int, adopted: list[dict]) -> None:
        want = rs["spec"].get("replicas", 1)
        diff = count - want
        if diff < 0:
            self._create_pods(rs, key, min(-diff, BURST_REPLICAS))
        elif diff > 0:
            pods = self._controlled_pods(rs, adopted)
            victims = deletion_order(pods, self._related_pods(rs, pods), now=self.loop.now)[: min(diff, BURST_REPLICAS)]
            self.expectations.expect_deletions(key, [key_func(p) for p in victims])
            first_error = delete_pods(self, rs, key, victims)
            if first_error is not None:
                raise first_error

    def _create_pods(self, rs: dict, key: str, count: int) -> None:
        """slowStartBatch: 1, 2, 4, ... creations; stop after the first batch with a failure."""
        self.expectations.expect_creations(key, count)
        batch, attempted = min(count, SLOW_START_INITIAL_BATCH_SIZE), 0
        error: ApiError | None = None
        while batch > 0 and error is None:
            for _ in range(batch):
                attempted += 1
                try:
                    pod = self.client.create("pods", pod_from_template(rs["spec"]["template"], rs),
                                             namespace=rs["metadata"]["namespace"])
                except ApiError as err:
                    self.expectations.creation_observed(key)  # a failed create is never seen
                    self.recorder.event(rs, "Warning", "FailedCreate", f"Error creating: {err.message}")
                    error = error or err
                    continue
                self.recorder.event(rs, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
            batch = min(2 * batch, count - attempted)
        if attempted < count:
            self.expectations.lower(key, add=count - attempted)  # never attempted: never seen
        if error is not None:
            raise error

    # -- status -----------------------------------------------------------------
    def _update_status(self, rs: dict, tally: Any, adopted: list[dict]) -> None:
        """calculateStatus from the tallies (plus the pods adopted in this sync)."""
        now = self.loop.now
        min_ready = rs["spec"].get("minReadySeconds") or 0
        extra = [contribution(rs, {**p, "metadata": {**p["metadata"], "ownerReferences": [owner_reference(rs)]}})
                 for p in adopted]
        extra = [c for c in extra if c and c[0]]
        replicas = tally.count + len(extra)
        fully = tally.fully + sum(1 for c in extra if c[1])
        ready = tally.ready + sum(1 for c in extra if c[2])
        if min_ready == 0:
            available = ready
        else:
            sinces = list(tally.ready_since()) + [c[3] for c in extra if c[2]]
            available = sum(1 for since in sinces if since and parse(since) + min_ready <= now)
        status: dict[str, Any] = {"replicas": replicas}
        if fully:
            status["fullyLabeledReplicas"] = fully
        if ready:
            status["readyReplicas"] = ready
        if available:
            status["availableReplicas"] = available
        status["observedGeneration"] = rs["metadata"].get("generation", 1)
        old = rs.get("status") or {}
        if old.get("conditions"):
            status["conditions"] = old["conditions"]
        if {k: v for k, v in old.items()} == status:
            return
        body = {**rs, "status": status}  # the API server copies what it stores
        try:
            self.client.update(self.resource, body, namespace=rs["metadata"]["namespace"], subresource="status")
        except ApiError as err:
            if err.code != 409:
                raise
            fresh = self.client.get(self.resource, rs["metadata"]["name"], namespace=rs["metadata"]["namespace"])
            fresh["status"] = status
            self.client.update(self.resource, fresh, namespace=rs["metadata"]["namespace"], subresource="status")
        if min_ready and ready != available:
            self.queue.add_after(key_func(rs), float(min_ready))
