"""The DaemonSet controller (pkg/controller/daemon/daemon_controller.go, update.go).

One pod per eligible node (:func:`.daemonset_util.node_should_run`), nodes added later
included: a node event re-enqueues the DaemonSets whose answer for that node it changes
(``addNode``/``updateNode``). A sync examines only the nodes whose pods or node changed
since the last one (:mod:`.daemonset_dirty`; every node after a change to the DaemonSet
itself, a retry, or with ``minReadySeconds``). ``sync``:

1. ``constructHistory``: the ControllerRevision of the current template (created with the
   next revision number if missing); its hash labels new pods ``controller-revision-hash``;
2. ``manage``: create a pod, pinned by node affinity, on each node that should run one and
   has none; delete failed pods (with a per-node backoff, event ``FailedDaemonPod``), the
   extra pods of a node (oldest kept), and pods on nodes that may no longer run them;
3. ``RollingUpdate`` (:mod:`.daemonset_update`) when expectations are met; ``OnDelete``
   replaces a pod only once someone deletes it;
4. old revisions beyond ``revisionHistoryLimit`` that no pod uses are deleted;
5. status: desired/current/misscheduled/ready/updated/available/unavailable counts.

Events as upstream: ``SuccessfulCreate`` "Created pod: <name>", ``SuccessfulDelete``
"Deleted pod: <name>", ``FailedCreate``. Not modelled: adopting orphan pods and revisions.
"""

from __future__ import annotations

import copy
from typing import Any

from ..client.errors import ApiError
from ..client.meta import controller_ref, is_pod_ready, key_func, owner_reference
from ..lang import Text
from .base import Controller
from .daemonset_dirty import OLD, DirtyNodes, StatusTally
from .daemonset_status import DaemonSetStatus
from .daemonset_update import plan_rolling_update
from .daemonset_util import (add_daemon_tolerations, creation_order, daemon_pod_spec,  # noqa: F401 - re-exported
                             is_pod_available, is_pod_updated,
                             node_should_run, pin_to_node, pod_template, scaled_value, target_node,
                             template_generation)
from .expectations import Expectations
from .podcontrol import delete_pods
from .hashing import compute_hash
from .history import (CONTROLLER_REVISION_HASH, bump_revision, create_revision, new_revision, owned_revisions,
                      revision_name, template_patch, truncate_history)

# daemon_controller.go: BurstReplicas; controller_utils.go SlowStartInitialBatchSize
BURST_REPLICAS = 250
SLOW_START_INITIAL_BATCH_SIZE = 1
# daemon_controller.go NewDaemonSetsController: failedPodsBackoff 1 s doubling to 15 min
FAILED_POD_BACKOFF_INITIAL = 1.0
FAILED_POD_BACKOFF_MAX = 900.0
DS_INDEX = "daemonset-controller"
DS_NODE_INDEX = "daemonset-controller/node"   # "<ds uid>/<target node>": one node's daemon pods


def _owner_uid(pod: dict) -> list[str]:
    ref = controller_ref(pod)
    return [ref["uid"]] if ref and ref.get("kind") == "DaemonSet" and ref.get("uid") else []


def _owner_uid_node(pod: dict) -> list[str]:
    uid, node = _owner_uid(pod), target_node(pod)
    return [f"{uid[0]}/{node}"] if uid and node else []


class DaemonSetsController(DaemonSetStatus, Controller):
    name = "daemonset"
    kind = "daemonset-controller"
    watches = ("daemonsets", "pods", "nodes", "controllerrevisions")
    writes = ("pods", "daemonsets/status", "controllerrevisions", "events")
    summary = Text("让每个符合条件的节点（包括后来加入的节点）都运行一个 DaemonSet 的 Pod，并按策略滚动更新",
                   "Runs one Pod of each DaemonSet on every eligible node (nodes that join later too) and rolls out updates by its strategy")
    event_component = "daemonset-controller"

    def setup(self) -> None:
        self.expectations = Expectations(clock=lambda: self.loop.now)
        self._should_run: dict[str, tuple[bool, bool]] = {}   # this sync's node -> (run, continue)
        self._by_node: tuple[dict, dict[str, list[dict]], bool] | None = None   # (ds, pods by node, all nodes?)
        self._full = True                            # this sync examines every node
        self._dirty = DirtyNodes()                   # per DaemonSet: the nodes its next sync examines
        self._tally: dict[str, StatusTally] = {}     # per DaemonSet: status counts by node
        self._tspec: dict | None = None              # this sync's daemon_pod_spec
        self._tspecs: dict[str, tuple[Any, dict]] = {}   # key -> (_spec_version, daemon_pod_spec)
        self._tpatches: dict[str, tuple[Any, dict]] = {}   # key -> (_spec_version, template_patch)
        self._backoff: dict[str, tuple[float, float]] = {}   # "<ds uid>/<node>" -> (delay, last)
        self.ds_informer = self.informer("daemonsets")
        self.pod_informer = self.informer("pods")
        self.pod_informer.add_indexer(DS_INDEX, _owner_uid)
        self.pod_informer.add_indexer(DS_NODE_INDEX, _owner_uid_node)
        self.node_informer = self.informer("nodes")
        self.history_informer = self.informer("controllerrevisions")
        self.ds_informer.add_event_handler(on_add=self._add_ds, on_update=self._update_ds,
                                           on_delete=self._delete_ds)
        self.pod_informer.add_event_handler(on_add=self._add_pod, on_update=self._update_pod,
                                            on_delete=self._delete_pod)
        self.node_informer.add_event_handler(on_add=self._add_node,
                                             on_update=self._update_node,
                                             on_delete=self._delete_node)

    # -- handlers -------------------------------------------------------------------
    def _add_ds(self, ds: dict) -> None:
        self._dirty.mark_all(key_func(ds))
        self.enqueue(ds)

    def _update_ds(self, old: dict, cur: dict) -> None:
        key = key_func(cur)
        o, c = old.get("metadata") or {}, cur.get("metadata") or {}
        if (old.get("spec") != cur.get("spec") or o.get("generation") != c.get("generation")
                or o.get("annotations") != c.get("annotations") or o.get("uid") != c.get("uid")
                or (old.get("status") or {}).get("collisionCount") != (cur.get("status") or {}).get("collisionCount")):
            self._dirty.mark_all(key)
        else:
            self._dirty.touch(key)    # our own status write: no node's answer changed
        self.queue.add(key)

    def _delete_ds(self, ds: dict) -> None:
        self.expectations.delete(key_func(ds))
        self._dirty.mark_all(key_func(ds))
        self.queue.add(key_func(ds))

    def _owner_key(self, pod: dict) -> str | None:
        ref = controller_ref(pod)
        if not ref or ref.get("kind") != "DaemonSet":
            return None
        ds = self.ds_informer.get(f"{pod['metadata'].get('namespace')}/{ref.get('name')}")
        if ds is None or ds["metadata"].get("uid") != ref.get("uid"):
            return None
        return key_func(ds)

    def _add_pod(self, pod: dict) -> None:
        key = self._owner_key(pod)
        if key:
            self._dirty.mark(key, target_node(pod))
            if (pod.get("metadata") or {}).get("deletionTimestamp"):
                self.expectations.deletion_observed(key, key_func(pod))
            else:
                self.expectations.creation_observed(key)
            self.queue.add(key)

    def _update_pod(self, old: dict, cur: dict) -> None:
        if old["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            return
        key = self._owner_key(cur)
        if not key:
            return
        self._dirty.mark(key, target_node(old))
        self._dirty.mark(key, target_node(cur))
        if cur["metadata"].get("deletionTimestamp"):
            self.expectations.deletion_observed(key, key_func(cur))
        self.queue.add(key)
        ds = self.ds_informer.get(key)
        min_ready = ((ds or {}).get("spec") or {}).get("minReadySeconds") or 0
        if min_ready and not is_pod_ready(old) and is_pod_ready(cur):
            self.queue.add_after(key, float(min_ready))   # becomes available then

    def _delete_pod(self, pod: dict) -> None:
        key = self._owner_key(pod)
        if key:
            self._dirty.mark(key, target_node(pod))
            self.expectations.deletion_observed(key, key_func(pod))
            self.queue.add(key)

    def _update_node(self, old: dict, cur: dict) -> None:
        # shouldIgnoreNodeUpdate: only labels, taints and conditions change where pods belong
        o, c = old.get("metadata") or {}, cur.get("metadata") or {}
        if (o.get("labels") != c.get("labels") or (old.get("spec") or {}) != (cur.get("spec") or {})
                or [x.get("status") for x in (old.get("status") or {}).get("conditions") or ()] !=
                [x.get("status") for x in (cur.get("status") or {}).get("conditions") or ()]):
            # daemon_controller.go updateNode: only the DaemonSets whose answer for this
            # node changed (each sync costs O(nodes): a sync per DaemonSet per node event
            # made a cluster's boot quadratic)
            for ds in self.ds_informer.list():
                tspec = self._daemon_spec(ds)
                if node_should_run(old, ds, tspec) != node_should_run(cur, ds, tspec):
                    self._dirty.mark(key_func(ds), cur["metadata"]["name"])
                    self.enqueue(ds)

    def _add_node(self, node: dict) -> None:
        """daemon_controller.go addNode: the DaemonSets that should run a pod there."""
        for ds in self.ds_informer.list():
            if node_should_run(node, ds, self._daemon_spec(ds))[0]:
                self._dirty.mark(key_func(ds), node["metadata"]["name"])
                self.enqueue(ds)

    def _delete_node(self, node: dict) -> None:
        for ds in self.ds_informer.list():
            self._dirty.mark(key_func(ds), node["metadata"]["name"])
            self.enqueue(ds)

    def _enqueue_all(self) -> None:
        for ds in self.ds_informer.list():
            self.enqueue(ds)

    # -- sync ---------------------------------------------------------------------------
    def sync(self, key: Any) -> None:
        ds = self.ds_informer.get(key)
        dirty = self._dirty.take(key)
        if ds is None:
            self.expectations.delete(key)
            self._tally.pop(key, None)
            self._tspecs.pop(key, None)
            self._tpatches.pop(key, None)
            return
        if ds["metadata"].get("deletionTimestamp"):
            return
        current, old = self._construct_history(ds)
        hash_ = current["metadata"]["labels"][CONTROLLER_REVISION_HASH]
        min_ready = ds["spec"].get("minReadySeconds") or 0
        sig = (ds["metadata"].get("uid"), ds["metadata"].get("generation"), hash_, template_generation(ds))
        tally = self._tally.get(key)
        if dirty is None or tally is None or tally.sig != sig or min_ready:
            # every node: the first sync, the DaemonSet changed, a retry, or availability
            # that moves with the clock
            tally = self._tally[key] = StatusTally(sig)
            nodes = sorted(self.node_informer.list(), key=lambda n: n["metadata"]["name"])
            full = True
        else:
            nodes = []
            for name in sorted(dirty):
                node = self.node_informer.get(name)
                if node is None:
                    tally.drop(name)
                else:
                    nodes.append(node)
            full = False
        # NodeShouldRunDaemonPod once per node per sync (manage, rolling update and status
        # all ask): the sync's cost is one check per node, not three plus a spec copy each
        self._tspec = tspec = self._daemon_spec(ds)
        self._should_run = {n["metadata"]["name"]: node_should_run(n, ds, tspec) for n in nodes}
        # the pods by node, once per sync: the informer's cache does not change while a sync
        # runs (our own creates and deletes arrive later, as watch events)
        self._by_node = None
        self._full = full
        self._tally_nodes(ds, tally, nodes, hash_, min_ready)
        if not self.expectations.satisfied(key):
            self._dirty.put_back(key, None if full else dirty)   # managed once the pods are seen
            self._update_status(ds, tally, observed=False)
            return
        error: ApiError | None = None
        try:
            self._manage(ds, nodes, hash_)
            if (self.expectations.satisfied(key) and ds["spec"]["updateStrategy"].get("type") == "RollingUpdate"
                    and (full or tally[OLD])):   # no pod of an older revision: nothing to roll
                self._rolling_update(ds, nodes if full else sorted(self.node_informer.list(),
                                                                  key=lambda n: n["metadata"]["name"]), hash_)
            self._cleanup_history(ds, old)
        except ApiError as err:
            error = err
            self._dirty.mark_all(key)
        self._update_status(ds, tally, observed=True)
        if error is not None:
            raise error

    @staticmethod
    def _spec_version(ds: dict) -> Any:
        """What the template's derivatives depend on: the spec's version (uid, generation —
        the API server bumps metadata.generation on every spec change, not on status
        writes, which come once per node at boot), else the resourceVersion."""
        meta = ds["metadata"]
        gen = meta.get("generation")
        return (meta.get("uid"), gen) if gen is not None else meta.get("resourceVersion")

    def _daemon_spec(self, ds: dict) -> dict:
        """daemon_pod_spec, copied once per version of the DaemonSet's spec (read-only)."""
        key, rv = key_func(ds), self._spec_version(ds)
        got = self._tspecs.get(key)
        if got is None or got[0] != rv or rv is None:
            got = self._tspecs[key] = (rv, daemon_pod_spec(ds))
        return got[1]

    def _node_should_run(self, node: dict, ds: dict) -> tuple[bool, bool]:
        got = self._should_run.get(node["metadata"]["name"])
        if got is None:
            got = self._should_run[node["metadata"]["name"]] = node_should_run(node, ds, self._tspec)
        return got

    def _daemon_pods(self, ds: dict, every: bool = False) -> dict[str, list[dict]]:
        """getNodesToDaemonPods: the DaemonSet's pods by target node (terminal deleted pods left
        out) — on this sync's nodes, or on ``every`` node."""
        every = every or self._full
        if self._by_node is not None and self._by_node[0] is ds and (self._by_node[2] or not every):
            return self._by_node[1]
        out: dict[str, list[dict]] = {}
        self._by_node = (ds, out, every)
        if every:
            pods = self.pod_informer.by_index(DS_INDEX, ds["metadata"]["uid"])
        else:   # only this sync's nodes (a rolling update or history cleanup asks for all)
            uid = ds["metadata"]["uid"]
            pods = [p for n in self._should_run for p in self.pod_informer.by_index(DS_NODE_INDEX, f"{uid}/{n}")]
        for pod in pods:
            phase = (pod.get("status") or {}).get("phase")
            if pod["metadata"].get("deletionTimestamp") and phase in ("Succeeded", "Failed"):
                continue
            node = target_node(pod)
            if node:
                out.setdefault(node, []).append(pod)
        return out

    def _template_patch(self, ds: dict) -> dict:
        """template_patch, copied once per version of the spec (read-only: every sync of a
        DaemonSet with one pod per node asks for it)."""
        key, rv = key_func(ds), self._spec_version(ds)
        got = self._tpatches.get(key)
        if got is None or got[0] != rv or rv is None:
            got = self._tpatches[key] = (rv, template_patch(ds))
        return got[1]

    def _construct_history(self, ds: dict) -> tuple[dict, list[dict]]:
        revisions = owned_revisions(self.history_informer, ds)
        data = self._template_patch(ds)
        current = [r for r in revisions if r.get("data") == data]
        old = [r for r in revisions if r.get("data") != data]
        number = max((r.get("revision", 0) for r in old), default=0) + 1
        if current:
            cur = bump_revision(self.client, current[-1], number)
        else:
            hash_ = compute_hash(ds["spec"]["template"], (ds.get("status") or {}).get("collisionCount"))
            labels = dict((ds["spec"]["template"].get("metadata") or {}).get("labels") or {})
            labels[CONTROLLER_REVISION_HASH] = hash_
            cur = create_revision(self.client, new_revision(ds, copy.deepcopy(data), number,
                                                            revision_name(ds["metadata"]["name"], hash_), labels))
        return cur, old

    def _manage(self, ds: dict, nodes: list[dict], hash_: str) -> None:
        """podsShouldBeOnNode over every node, then syncNodes."""
        by_node = self._daemon_pods(ds)
        surge = self._max_surge(ds, 1) > 0
        create: list[str] = []
        delete: list[dict] = []
        for node in nodes:
            name = node["metadata"]["name"]
            should_run, should_continue = self._node_should_run(node, ds)
            pods = by_node.get(name)
            if should_run and not pods:
                create.append(name)
            elif should_continue and pods:
                running = []
                for pod in pods:
                    if pod["metadata"].get("deletionTimestamp"):
                        continue
                    phase = (pod.get("status") or {}).get("phase")
                    if phase == "Failed":
                        if self._in_backoff(ds, name):
                            continue
                        self.recorder.event(ds, "Warning", "FailedDaemonPod",
                                            f"Found failed daemon pod {pod['metadata']['namespace']}/"
                                            f"{pod['metadata']['name']} on node {name}, will try to kill it")
                        delete.append(pod)
                    elif phase == "Succeeded":
                        delete.append(pod)
                    else:
                        running.append(pod)
                delete += self._excess(sorted(running, key=creation_order), hash_, surge)
            elif not should_continue and pods:
                delete += [p for p in pods if not p["metadata"].get("deletionTimestamp")]
        self._sync_nodes(ds, delete, create, hash_)

    @staticmethod
    def _excess(running: list[dict], hash_: str, surge: bool) -> list[dict]:
        if len(running) <= 1:
            return []
        if not surge:
            return running[1:]     # keep the oldest
        newest = [p for p in running if (p["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH) == hash_]
        oldest = [p for p in running if p not in newest]
        out = newest[1:] + oldest[1:]
        if newest and oldest and (not is_pod_ready(oldest[0]) or is_pod_ready(newest[0])):
            out.append(oldest[0])
        return out

    def _in_backoff(self, ds: dict, node: str) -> bool:
        key, now = f"{ds['metadata']['uid']}/{node}", self.loop.now
        delay, last = self._backoff.get(key, (0.0, float("-inf")))
        if now - last < delay:
            self._dirty.mark(key_func(ds), node)   # look at this node again then
            self.queue.add_after(key_func(ds), delay)
            return True
        if now - last > 2 * FAILED_POD_BACKOFF_MAX:
            delay = 0.0
        self._backoff[key] = (min(max(delay * 2, FAILED_POD_BACKOFF_INITIAL), FAILED_POD_BACKOFF_MAX), now)
        return False

    def _rolling_update(self, ds: dict, nodes: list[dict], hash_: str) -> None:
        by_node = self._daemon_pods(ds, every=True)
        names = {n["metadata"]["name"]: n for n in nodes}
        desired = [n for n in nodes if self._node_should_run(n, ds)[0]]
        gen, now = template_generation(ds), self.loop.now
        min_ready = ds["spec"].get("minReadySeconds") or 0
        pairs: dict[str, Any] = {n["metadata"]["name"]: (None, None) for n in desired}
        available: set[str] = set()
        pods_by_name: dict[str, dict] = {}
        for node, pods in by_node.items():
            new = old = None
            ok = True
            for pod in pods:
                if pod["metadata"].get("deletionTimestamp"):
                    continue
                pods_by_name[pod["metadata"]["name"]] = pod
                if is_pod_available(pod, min_ready, now):
                    available.add(pod["metadata"]["name"])
                if is_pod_updated(pod, hash_, gen):
                    ok, new = ok and new is None, pod["metadata"]["name"]
                else:
                    ok, old = ok and old is None, pod["metadata"]["name"]
            pairs[node] = (new, old) if ok else None
        total = len(desired)
        delete, surge_nodes = plan_rolling_update(
            pairs, available, self._max_unavailable(ds, total), self._max_surge(ds, total),
            should_run=lambda n: n in names and self._node_should_run(names[n], ds)[0])
        self._sync_nodes(ds, [pods_by_name[n] for n in delete], surge_nodes, hash_)

    @staticmethod
    def _max_surge(ds: dict, total: int) -> int:
        us = ds["spec"].get("updateStrategy") or {}
        if us.get("type") != "RollingUpdate":
            return 0
        return scaled_value((us.get("rollingUpdate") or {}).get("maxSurge"), total, round_up=True)

    @staticmethod
    def _max_unavailable(ds: dict, total: int) -> int:
        ru = (ds["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}
        return scaled_value(ru.get("maxUnavailable"), total, round_up=True)

    def _sync_nodes(self, ds: dict, delete: list[dict], create: list[str], hash_: str) -> None:
        """syncNodes: slow-start creations (burst-limited), then deletions; first error raised."""
        key = key_func(ds)
        for node in create[BURST_REPLICAS:]:
            self._dirty.mark(key, node)   # next time (their creations are not attempted now)
        create = create[:BURST_REPLICAS]
        if not create and not delete:
            return
        self.expectations.expect_deletions(key, [key_func(p) for p in delete])
        self.expectations.lower(key, add=-len(create))    # expect the creations too
        template = pod_template(ds, hash_)
        error: ApiError | None = None
        batch, done = min(len(create), SLOW_START_INITIAL_BATCH_SIZE), 0
        while batch > 0 and error is None:
            for node in create[done:done + batch]:
                error = self._create_pod(ds, template, node) or error
            done += batch
            batch = min(2 * batch, len(create) - done)
        if done < len(create):
            self.expectations.lower(key, add=len(create) - done)   # never attempted: never seen
            for node in create[done:]:
                self._dirty.mark(key, node)
        delete_error = delete_pods(self, ds, key, delete)
        error = error or delete_error
        if error is not None:
            raise error

    def _create_pod(self, ds: dict, template: dict, node: str) -> ApiError | None:
        meta = {k: v for k, v in (template.get("metadata") or {}).items() if k in ("labels", "annotations")}
        meta.update(generateName=f"{ds['metadata']['name']}-", namespace=ds["metadata"]["namespace"],
                    ownerReferences=[owner_reference(ds)])
        spec = dict(template.get("spec") or {})
        spec["affinity"] = dict(spec.get("affinity") or {})
        pin_to_node(spec, node)
        try:
            pod = self.client.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec},
                                     namespace=ds["metadata"]["namespace"])
        except ApiError as err:
            self.expectations.creation_observed(key_func(ds))   # a failed create is never seen
            self.recorder.event(ds, "Warning", "FailedCreate", f"Error creating: {err.message}")
            return err
        self.recorder.event(ds, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
        return None

    def _cleanup_history(self, ds: dict, old: list[dict]) -> None:
        limit = ds["spec"].get("revisionHistoryLimit", 10)
        if len(old) <= limit:
            return
        live = {(p["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH)
                for pods in self._daemon_pods(ds, every=True).values() for p in pods}
        in_use = {r["metadata"]["name"] for r in old
                  if (r["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH) in live}
        truncate_history(self.client, old, limit, in_use)
