"""Shared by the Job and CronJob tests: an API server with chosen controllers, and a hand that
finishes pods as a kubelet would report them (no kubelet runs in these clusters)."""

from __future__ import annotations

from apihelpers import default_service_accounts
from k8score.apiserver import APIServer
from k8score.controllers import KubeControllerManager
from k8score.etcd import Store
from k8score.sim import Loop
from k8score.sim.clock import rfc3339


def setup(controllers=("job",), seed=0, start=True):
    loop = Loop(seed)
    api = APIServer(loop, Store())
    api.start()
    default_service_accounts(api)
    kcm = KubeControllerManager(loop, api, controllers=list(controllers))
    if start:
        kcm.start()
    return loop, api, kcm


def job(name="work", command=("sh", "-c", "true"), restart="Never", **spec):
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {**spec, "template": {"spec": {"containers": [{"name": "main", "image": "busybox",
                                                                   "command": list(command)}],
                                                   "restartPolicy": restart}}}}


def pods(api, prefix=""):
    return sorted((p for p in api.list("pods", namespace="default")["items"]
                   if p["metadata"]["name"].startswith(prefix)), key=lambda p: p["metadata"]["creationTimestamp"])


def finish(api, loop, pod, phase="Succeeded", code=0, conditions=None):
    """Write the terminal status the kubelet would write for ``pod`` now."""
    p = api.get("pods", pod["metadata"]["name"], "default")
    p["status"] = {"phase": phase, "conditions": list(conditions or []),
                   "containerStatuses": [{"name": "main", "ready": False, "restartCount": 0, "image": "busybox",
                                          "imageID": "", "started": False,
                                          "state": {"terminated": {"exitCode": code, "reason": "Completed" if code == 0
                                                                   else "Error", "finishedAt": rfc3339(loop.now),
                                                                   "startedAt": rfc3339(loop.now)}}}]}
    api.update("pods", p, "default", subresource="status")


def running(pods_):
    return [p for p in pods_ if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
            and not p["metadata"].get("deletionTimestamp")]


def events(api, kind=None):
    out = [e for e in api.list("events", namespace="default")["items"]
           if kind is None or e["involvedObject"]["kind"] == kind]
    return sorted(out, key=lambda e: (e.get("firstTimestamp") or "", int(e["metadata"]["resourceVersion"])))


def conditions(obj):
    return [(c["type"], c["reason"], c["message"]) for c in (obj.get("status") or {}).get("conditions") or ()]
