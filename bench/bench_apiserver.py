"""How fast is the API server's write path?

Creates pods through the whole kube-apiserver path — decode, default, validate, admission
(namespace exists), serialize, one etcd transaction — with two watches open on pods
(an informer for everything and a kubelet-style ``spec.nodeName`` field selector), as in a
running cluster. Prints the create rate, then the rate including delivering every watch
event to its consumer (decoding and filtering happen on the watcher's side of the stream).

    .venv/bin/python bench/bench_apiserver.py [N]
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


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
