"""The disruption controller (pkg/controller/disruption/disruption.go): PodDisruptionBudget status.

For each PDB it lists the pods its selector matches in its namespace (policy/v1: an empty
selector matches them all) and writes ``status``:

- ``expectedPods`` / ``desiredHealthy`` (getExpectedPodCount): an integer ``minAvailable`` is
  the desired count over the matching pods; a percentage ``minAvailable`` or any
  ``maxUnavailable`` is scaled over the *controllers'* replicas (getExpectedScale: the
  Deployment of a ReplicaSet's pod, a bare ReplicaSet, a StatefulSet), both percentages
  rounding up (``intstr.GetScaledValueFromIntOrPercent(.., true)``);
  desiredHealthy = expected - maxUnavailable, never below 0;
- ``currentHealthy`` (countHealthyPods): Ready pods not terminating and not recorded in
  ``disruptedPods`` by the eviction API within the last DeletionTimeout (2 min);
- ``disruptionsAllowed`` = currentHealthy - desiredHealthy, 0 when negative or when no pod
  is expected; the ``DisruptionAllowed`` condition is True/``SufficientPods`` above 0,
  else False/``InsufficientPods``; ``observedGeneration``.

A failed sync (a selected pod whose controller cannot be found) sets disruptionsAllowed to 0
with ``SyncFailed`` (failSafe). Pod events enqueue the pod's PDB; a PDB with pending
disruptedPods is rechecked when the oldest entry expires. Not modelled: scale subresources of
arbitrary controllers (getScaleController), ReplicationControllers, the stale DisruptionTarget
condition cleanup.
"""

from __future__ import annotations

from typing import Any

from ..api.pdbhelper import conditions_up_to_date, set_allowed_condition
from ..client.errors import ApiError, is_not_found
from ..client.meta import controller_ref, is_pod_ready, key_func, selector_matches, split_key
from ..lang import Text
from ..sim.clock import parse, rfc3339
from .base import Controller

#: disruption.go DeletionTimeout: how long an evicted pod may take to show its deletion
DELETION_TIMEOUT = 2 * 60.0


def scaled(value: Any, total: int) -> int:
    """intstr.GetScaledValueFromIntOrPercent(value, total, roundUp=true) (ValueError if bad)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value)
    if not text.endswith("%") or not text[:-1].isdigit():
        raise ValueError('invalid value for IntOrString: invalid type: string is not a percentage')
    return -(-int(text[:-1]) * total // 100)  # exact integer ceil


def _scale(obj: dict) -> int:
    replicas = (obj.get("spec") or {}).get("replicas")
    return 1 if replicas is None else replicas


class DisruptionController(Controller):
    name = "disruption"
    kind = "disruption-controller"
    watches = ("poddisruptionbudgets", "pods", "replicasets", "deployments", "statefulsets")
    writes = ("poddisruptionbudgets",)
    summary = Text("计算每个 PodDisruptionBudget 还允许几次自愿中断（驱逐），写入它的 status",
                   "Computes how many voluntary disruptions (evictions) each PodDisruptionBudget still allows and writes it into its status")
    event_component = "controllermanager"

    def setup(self) -> None:
        self.pdbs = self.informer("poddisruptionbudgets")
        self.pods = self.informer("pods")
        self.rss = self.informer("replicasets")
        self.deployments = self.informer("deployments")
        self.statefulsets = self.informer("statefulsets")
        self.pdbs.add_event_handler(on_add=self.enqueue, on_update=lambda o, n: self.enqueue(n),
                                    on_delete=self.enqueue)
        self.pods.add_event_handler(on_add=self._pod_changed, on_update=lambda o, n: self._pod_changed(n),
                                    on_delete=self._pod_changed)

    def _pod_changed(self, pod: dict) -> None:
        """addPod/updatePod/deletePod: the (first) PDB selecting the pod is synced again."""
        pdbs = self.pdbs_for_pod(pod)
        if pdbs:
            self.enqueue(pdbs[0])

    def pdbs_for_pod(self, pod: dict) -> list[dict]:
        """pdbLister.GetPodPodDisruptionBudgets, in name order (deterministic)."""
        meta = pod.get("metadata") or {}
        labels = meta.get("labels") or {}
        return sorted((p for p in self.pdbs.list(meta.get("namespace"))
                       if (p.get("spec") or {}).get("selector") is not None
                       and selector_matches(p["spec"]["selector"], labels)),
                      key=lambda p: p["metadata"]["name"])

    def pods_for(self, pdb: dict) -> list[dict]:
        sel = (pdb.get("spec") or {}).get("selector")
        if sel is None:
            return []  # LabelSelectorAsSelector(nil) is labels.Nothing()
        return sorted((p for p in self.pods.list(pdb["metadata"].get("namespace"))
                       if selector_matches(sel, (p.get("metadata") or {}).get("labels"))),
                      key=lambda p: p["metadata"]["name"])

    # -- sync ----------------------------------------------------------------------------------
    def sync(self, key: Any) -> None:
        pdb = self.pdbs.get(key)
        if pdb is None:
            return
        try:
            self.try_sync(pdb)
        except ApiError as err:
            if err.code == 409:
                raise  # requeued without failSafe
            self._fail_safe(pdb, str(err))
        except ValueError as err:
            self._fail_safe(pdb, str(err))

    def try_sync(self, pdb: dict) -> None:
        pods = self.pods_for(pdb)
        if not pods:
            self.recorder.eventf(pdb, "Normal", "NoPods", "No matching pods found")
        try:
            expected, desired, unmanaged = self.expected_pod_count(pdb, pods)
        except ValueError as err:
            self.recorder.eventf(pdb, "Warning", "CalculateExpectedPodCountFailed",
                                 "Failed to calculate the number of expected pods: %s", str(err))
            raise
        if unmanaged:
            self.recorder.eventf(pdb, "Warning", "UnmanagedPods", "Pods selected by this PodDisruptionBudget "
                                 "(selector: %s) were found to be unmanaged. As a result, the status of the PDB "
                                 "cannot be calculated correctly, which may result in undefined behavior. To "
                                 "account for these pods please set \".spec.minAvailable\" field of the PDB to "
                                 "an integer value.", str(pdb["spec"].get("selector")))
        now = self.loop.now
        disrupted, recheck = self._disrupted_pod_map(pods, pdb, now)
        healthy = self._count_healthy(pods, disrupted, now)
        self._update_status(pdb, healthy, desired, expected, disrupted)
        if recheck is not None:
            self.queue.add_after(key_func(pdb), max(0.0, recheck - now))

    def expected_pod_count(self, pdb: dict, pods: list[dict]) -> tuple[int, int, list[str]]:
        """getExpectedPodCount -> (expectedCount, desiredHealthy, unmanaged pod names)."""
        spec = pdb.get("spec") or {}
        expected, desired, unmanaged = 0, 0, []
        if spec.get("maxUnavailable") is not None:
            expected, unmanaged = self.expected_scale(pods)
            desired = max(0, expected - scaled(spec["maxUnavailable"], expected))
        elif spec.get("minAvailable") is not None:
            value = spec["minAvailable"]
            if isinstance(value, int) and not isinstance(value, bool):
                desired, expected = value, len(pods)
            else:
                expected, unmanaged = self.expected_scale(pods)
                desired = scaled(value, expected)
        return expected, desired, unmanaged

    def expected_scale(self, pods: list[dict]) -> tuple[int, list[str]]:
        """getExpectedScale: the sum of the replicas of the pods' distinct controllers."""
        scales: dict[str, int] = {}
        unmanaged = []
        for pod in pods:
            ref = controller_ref(pod)
            if ref is None:
                unmanaged.append(pod["metadata"]["name"])
                continue
            if ref.get("uid") in scales:
                continue
            found = self._find_controller(ref, pod["metadata"].get("namespace"))
            if found is None:
                raise ValueError(f'found no controllers for pod "{pod["metadata"]["name"]}"')
            scales[found[0]] = found[1]
        return sum(scales.values()), unmanaged

    def _find_controller(self, ref: dict, ns: str | None) -> tuple[str, int] | None:
        """dc.finders(): getPodDeployment, getPodReplicaSet, getPodStatefulSet -> (uid, scale)."""
        kind, name = ref.get("kind"), ref.get("name")
        if kind == "ReplicaSet":
            rs = self.rss.get(f"{ns}/{name}")
            if rs is None or rs["metadata"].get("uid") != ref.get("uid"):
                return None
            owner = controller_ref(rs)
            if owner is not None and owner.get("kind") == "Deployment":
                dep = self.deployments.get(f"{ns}/{owner.get('name')}")
                if dep is None or dep["metadata"].get("uid") != owner.get("uid"):
                    return None
                return dep["metadata"]["uid"], _scale(dep)
            return rs["metadata"]["uid"], _scale(rs)
        if kind == "StatefulSet":
            sts = self.statefulsets.get(f"{ns}/{name}")
            if sts is None or sts["metadata"].get("uid") != ref.get("uid"):
                return None
            return sts["metadata"]["uid"], _scale(sts)
        return None

    @staticmethod
    def _disrupted_pod_map(pods: list[dict], pdb: dict, now: float) -> tuple[dict, float | None]:
        """buildDisruptedPodMap: entries of pods still there, not terminating, not expired."""
        recorded = (pdb.get("status") or {}).get("disruptedPods") or {}
        result, recheck = {}, None
        for pod in pods:
            name = pod["metadata"]["name"]
            if pod["metadata"].get("deletionTimestamp") or name not in recorded:
                continue
            expires = parse(recorded[name]) + DELETION_TIMEOUT
            if expires < now:
                continue  # upstream records a NotDeleted Warning event on the pod here
            recheck = expires if recheck is None else min(recheck, expires)
            result[name] = recorded[name]
        return result, recheck

    @staticmethod
    def _count_healthy(pods: list[dict], disrupted: dict, now: float) -> int:
        """countHealthyPods."""
        n = 0
        for pod in pods:
            name = pod["metadata"]["name"]
            if pod["metadata"].get("deletionTimestamp"):
                continue
            if name in disrupted and parse(disrupted[name]) + DELETION_TIMEOUT > now:
                continue
            if is_pod_ready(pod):
                n += 1
        return n

    def _update_status(self, pdb: dict, healthy: int, desired: int, expected: int, disrupted: dict) -> None:
        """updatePdbStatus: write only when something changed."""
        allowed = healthy - desired
        if expected <= 0 or allowed <= 0:
            allowed = 0
        st = pdb.get("status") or {}
        gen = pdb["metadata"].get("generation")
        if (st.get("currentHealthy"), st.get("desiredHealthy"), st.get("expectedPods"),
                st.get("disruptionsAllowed"), st.get("disruptedPods") or {}, st.get("observedGeneration")) == \
                (healthy, desired, expected, allowed, disrupted, gen) and conditions_up_to_date(pdb):
            return
        new_st: dict = {"observedGeneration": gen, "disruptionsAllowed": allowed, "currentHealthy": healthy,
                        "desiredHealthy": desired, "expectedPods": expected}
        if disrupted:
            new_st["disruptedPods"] = dict(disrupted)
        if st.get("conditions"):
            new_st["conditions"] = [dict(c) for c in st["conditions"]]
        set_allowed_condition(new_st, rfc3339(self.loop.now))
        self._write({**pdb, "status": new_st})

    def _fail_safe(self, pdb: dict, message: str) -> None:
        """failSafe: at least stop evictions (disruptionsAllowed 0, SyncFailed)."""
        st = dict(pdb.get("status") or {})
        st["disruptionsAllowed"] = 0
        conds = [c for c in st.get("conditions") or () if c.get("type") != "DisruptionAllowed"]
        old = next((c for c in st.get("conditions") or () if c.get("type") == "DisruptionAllowed"), None)
        now = rfc3339(self.loop.now)
        conds.append({"type": "DisruptionAllowed", "status": "False",
                      "observedGeneration": st.get("observedGeneration") or 0,
                      "lastTransitionTime": old["lastTransitionTime"] if old and old.get("status") == "False" else now,
                      "reason": "SyncFailed", "message": message})
        st["conditions"] = conds
        self._write({**pdb, "status": st})

    def _write(self, pdb: dict) -> None:
        ns, _ = split_key(key_func(pdb))
        try:
            self.client.update("poddisruptionbudgets", pdb, namespace=ns, subresource="status")
        except ApiError as err:
            if not is_not_found(err):
                raise
