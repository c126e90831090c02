"""Crash consistency of the control loops (issue 10, item 9).

Controllers are level-triggered: after a crash they list everything again and converge
from what they find — nothing they remembered (expectations, queues, in-flight batches)
may matter for the end state. So killing kube-controller-manager (upstream a controller
that panics takes the whole process down: ``cmd/kube-controller-manager``) and the
scheduler at random virtual instants, for random outages, must end in the same cluster as
a run without crashes: the same Deployment rollout result, no duplicated or lost pods,
exactly ``completions`` successful Job pods, one DaemonSet pod per node, the StatefulSet's
stable names, the Service's endpoints. Pod names differ between runs (generateName draws
from the seeded generator in a different order), so states are compared by what they mean.
"""

from __future__ import annotations

import functools

from hypothesis import given, settings, strategies as st

from k8score import Cluster

_END = 240.0

_MANIFESTS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, image: "nginx:1.26"}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: busybox, command: [sleep, "3600"]}]}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: busybox, command: [sleep, "3600"]}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: batch}
spec:
  completions: 3
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: work, image: busybox, command: [sh, -c, "sleep 5"]}]
"""


def _owner(pod: dict, c: Cluster) -> str:
    refs = pod["metadata"].get("ownerReferences") or []
    if not refs:
        return "-"
    ref = refs[0]
    if ref["kind"] == "ReplicaSet":
        rs = c.apiserver.lister.get("replicasets", ref["name"], "default")
        image = rs["spec"]["template"]["spec"]["containers"][0]["image"] if rs else "?"
        return f"ReplicaSet({image})"
    return f"{ref['kind']}/{ref['name']}"


def _state(c: Cluster) -> dict:
    """What the cluster means, independent of generated names and timings."""
    pods: dict[tuple, int] = {}
    for p in c.get("pods"):
        ready = any(x["type"] == "Ready" and x["status"] == "True" for x in p["status"].get("conditions") or [])
        key = (_owner(p, c), p["status"].get("phase"), ready, bool(p["metadata"].get("deletionTimestamp")))
        pods[key] = pods.get(key, 0) + 1
    dep = c.get("deployments", "web")
    rss = sorted((r["spec"]["template"]["spec"]["containers"][0]["image"], r["spec"]["replicas"],
                  r["status"].get("replicas", 0)) for r in c.get("replicasets"))
    job = c.get("jobs", "batch")
    ds = c.get("daemonsets", "agent")
    sts_pods = sorted(p["metadata"]["name"] for p in c.get("pods") if _owner(p, c) == "StatefulSet/db")
    ds_nodes = sorted(p["spec"].get("nodeName") for p in c.get("pods") if _owner(p, c) == "DaemonSet/agent")
    endpoints = sorted(sum(1 for e in s.get("endpoints") or [] if e["conditions"].get("ready"))
                       for s in c.get("endpointslices") if s["metadata"]["labels"].get(
                           "kubernetes.io/service-name") == "web")
    return {
        "pods": sorted(pods.items()),
        "deployment": {k: dep["status"].get(k) for k in ("replicas", "updatedReplicas", "readyReplicas",
                                                           "availableReplicas", "observedGeneration")},
        "replicasets": rss,
        "job": (job["status"].get("succeeded"), job["status"].get("failed"),
                sorted(x["type"] for x in job["status"].get("conditions") or [] if x["status"] == "True")),
        "daemonset": (ds["status"].get("numberReady"), ds["status"].get("desiredNumberScheduled"), ds_nodes),
        "statefulset": sts_pods,
        "endpoints": endpoints,
    }


def _run(seed: int, kills: tuple = ()) -> dict:
    c = Cluster(nodes=3, seed=seed)
    start = c.now
    c.apply(_MANIFESTS)
    rolled = False
    for at, component, down in sorted(kills):
        if not rolled and at >= 30.0:
            c.run(until=lambda: False, timeout=start + 30.0 - c.now) if c.now < start + 30.0 else None
            c.kubectl("set image deployment/web nginx=nginx:1.27")
            rolled = True
        if c.now < start + at:
            c.run(start + at - c.now)
        c.stop(component)
        c.run(down)
        c.start(component)
    if not rolled:
        if c.now < start + 30.0:
            c.run(start + 30.0 - c.now)
        c.kubectl("set image deployment/web nginx=nginx:1.27")
    c.run(start + _END - c.now)
    return _state(c)


@functools.lru_cache(maxsize=None)
def _reference(seed: int) -> dict:
    return _run(seed)


def test_the_reference_run_reaches_the_intended_state():
    state = _reference(0)
    assert state["deployment"] == {"replicas": 4, "updatedReplicas": 4, "readyReplicas": 4,
                                   "availableReplicas": 4, "observedGeneration": 2}
    assert state["replicasets"] == [("nginx:1.26", 0, 0), ("nginx:1.27", 4, 4)]
    assert state["job"] == (3, None, ["Complete", "SuccessCriteriaMet"])
    assert state["daemonset"] == (3, 3, ["node-1", "node-2", "node-3"])
    assert state["statefulset"] == ["db-0", "db-1", "db-2"]
    assert state["endpoints"] == [4]
    assert ("ReplicaSet(nginx:1.27)", "Running", True, False) in dict(state["pods"])


_KILL = st.tuples(st.floats(0.0, 150.0).map(lambda x: round(x, 3)),
                  st.sampled_from(["kube-controller-manager", "kube-controller-manager", "kube-scheduler"]),
                  st.floats(0.001, 40.0).map(lambda x: round(x, 3)))


@settings(max_examples=8, deadline=None, derandomize=True)
@given(st.integers(0, 1), st.lists(_KILL, min_size=1, max_size=3))
def test_crashes_at_random_instants_converge_to_the_same_state(seed, kills):
    assert _run(seed, tuple(kills)) == _reference(seed)
