"""How fast is the API server's write path?

Creates pods through the whole kube-apiserver path — decode, default, validate, admission
(namespace exists), serialize, one etcd transaction — with two watches open on pods
(an informer for everything and a kubelet-style ``spec.nodeName`` field selector), as in a
running cluster. Prints the create rate, then the rate including delivering every watch
event to its consumer (decoding and filtering happen on the watcher's side of the stream).

    .venv/bin/python bench/bench_apiserver.py [N]

``--scheduling [N]``: the API server's share of scheduler_perf SchedulingBasic
(bench_scheduler_perf.py) without the scheduling cycle — per pod the create (as the
admin), ``POST pods/<name>/binding`` and the ``Scheduled`` Event (as kube-scheduler, its
recorder), with the scheduler's node and pod informers open on 1,000 nodes and its
collector settings (sim/gcpolicy.py). Prints CPU microseconds per pod for each request.
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from k8score.apiserver import APIServer  # noqa: E402
from k8score.etcd import Store  # noqa: E402
from k8score.sim import Loop  # noqa: E402


def pod(i: int) -> dict:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"web-{i}", "labels": {"app": "web", "pod-template-hash": "5d8f7c6b9"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27",
                                     "ports": [{"containerPort": 80, "name": "http"}],
                                     "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                                   "limits": {"memory": "256Mi"}}}]}}


def main(n: int = 20000) -> None:
    loop = Loop(seed=0)
    api = APIServer(loop, Store(), seed=0)
    api.start()
    api.create("serviceaccounts", {"metadata": {"name": "default"}}, namespace="default")  # the SA controller
    seen = [0, 0]
    api.watch("pods", lambda e: seen.__setitem__(0, seen[0] + 1))
    api.watch("pods", lambda e: seen.__setitem__(1, seen[1] + 1), field_selector="spec.nodeName=")
    bodies = [pod(i) for i in range(n)]
    gc.collect()
    # CPU time of this process: the figure for "one core", even on a busy shared machine
    t0, w0 = time.process_time(), time.perf_counter()
    for body in bodies:
        api.create("pods", body)
    t1, w1 = time.process_time(), time.perf_counter()
    loop.run()
    t2 = time.process_time()
    assert seen == [n, n], seen
    print(f"pod creates/s through the API server: {n / (t1 - t0):.0f}")
    print(f"pod creates/s including delivery to 2 watches: {n / (t2 - t0):.0f}")
    print(f"(wall clock: {n / (w1 - w0):.0f} creates/s)")


def scheduling(n: int = 2000, nodes: int = 1000) -> dict[str, float]:
    """CPU microseconds per pod: create, binding, Event, watch delivery (see the module doc)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_scheduler_perf import Bench, pod_default  # noqa: E402  (the same cluster setup)
    from k8score.client import Client, EventRecorder, SharedInformerFactory  # noqa: E402
    from k8score.sim import gcpolicy  # noqa: E402

    b = Bench()
    b.create_nodes(nodes, None)
    sched = Client(b.api, user="system:kube-scheduler")
    factory = SharedInformerFactory(sched, b.loop)
    factory.informer("nodes")
    factory.informer("pods", field_selector="status.phase!=Succeeded,status.phase!=Failed")
    factory.start()
    b.loop.run(until=b.loop.now + 1.0)
    recorder = EventRecorder(sched, component="default-scheduler", loop=b.loop)
    names = [node["metadata"]["name"] for node in b.api.list("nodes")["items"]]
    b.client.create("namespaces", {"metadata": {"name": "namespace-2"}})
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*gcpolicy.THRESHOLDS)
    spent = dict.fromkeys(("create", "binding", "event", "delivery"), 0.0)
    clock = time.process_time
    try:
        for i in range(n):
            t0 = clock()
            pod = b.client.create("pods", pod_default(), namespace="namespace-2")
            t1 = clock()
            name, node = pod["metadata"]["name"], names[i % len(names)]
            sched.create("pods", {"apiVersion": "v1", "kind": "Binding",
                                  "metadata": {"name": name, "namespace": "namespace-2"},
                                  "target": {"kind": "Node", "name": node}},
                         namespace="namespace-2", subresource="binding")
            t2 = clock()
            recorder.event(pod, "Normal", "Scheduled", f"Successfully assigned namespace-2/{name} to {node}")
            t3 = clock()
            if i % 50 == 49:
                b.loop.run(until=b.loop.now + 0.01)
            spent["create"] += t1 - t0
            spent["binding"] += t2 - t1
            spent["event"] += t3 - t2
            spent["delivery"] += clock() - t3
        t0 = clock()
        b.loop.run(until=b.loop.now + 1.0)
        spent["delivery"] += clock() - t0
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    return {k: v * 1e6 / n for k, v in spent.items()}


if __name__ == "__main__":
    if "--scheduling" in sys.argv:
        args = [a for a in sys.argv[1:] if a != "--scheduling"]
        us = scheduling(int(args[0]) if args else 2000)
        print("CPU us per pod: " + ", ".join(f"{k} {v:.0f}" for k, v in us.items())
              + f"; total {sum(us.values()):.0f}")
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
