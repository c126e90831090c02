"""Wall time for a large Deployment to reach all pods Running (issue 10, item 10).

``kubectl create deployment web --image=nginx --replicas=N`` on a cluster with enough
nodes, then the simulation runs until every replica is Running; prints the wall time,
the virtual time it took, and the wall time of 10 further virtual seconds of steady state
(which must not grow with N beyond linear: a quadratic sync path shows up there first).
Run: ``.venv/bin/python bench/bench_replicas.py [replicas] [nodes]`` (defaults 3000, 30).

Wall-clock time is measured here on purpose (a benchmark, not simulation code).
"""

from __future__ import annotations

import sys
import time

from k8score import Cluster


def main(replicas: int = 3000, nodes: int = 30) -> dict:
    t0 = time.perf_counter()
    c = Cluster(nodes=nodes, seed=1, node_pods=max(110, replicas // nodes + 20), node_cpu="64",
                node_memory="256Gi")
    boot = time.perf_counter() - t0
    c.kubectl(f"create deployment web --image=nginx --replicas={replicas}")
    start_virtual = c.now
    t1 = time.perf_counter()

    def running() -> int:
        return sum(1 for p in c.apiserver.lister.list("pods", "default")
                   if (p.get("status") or {}).get("phase") == "Running")

    def all_running() -> bool:
        # cheap: the Deployment's status (nginx has no probes: Ready as soon as Running);
        # the pod count below confirms it
        d = c.apiserver.lister.get("deployments", "web", "default") or {}
        return (d.get("status") or {}).get("readyReplicas", 0) >= replicas
    c.run(until=all_running, timeout=3600)
    to_running = time.perf_counter() - t1
    virtual = c.now - start_virtual
    t2 = time.perf_counter()
    c.run(10)
    steady = time.perf_counter() - t2
    print(f"{replicas} replicas on {nodes} nodes: boot {boot:.2f} s; all Running after {virtual:.1f} virtual s "
          f"in {to_running:.2f} s wall ({replicas / to_running:.0f} pods/s); 10 more virtual s: {steady:.2f} s wall; "
          f"running={running()}")
    return {"boot": boot, "to_running": to_running, "virtual": virtual, "steady": steady}


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
