"""Upstream's scheduler_perf workloads through k8score's real path, beside upstream's thresholds.

As ``test/integration/scheduler_perf`` (``misc/performance-config.yaml``,
``affinity/performance-config.yaml``, ``topology_spreading/performance-config.yaml``,
``default_preemption/performance-config.yaml``; templates in ``templates/``): an API
server (etcd behind it), the kube-scheduler component with its informers on the virtual
loop, and nothing else — no controllers, no kubelets, as upstream's integration test. Pods
are created through the API server with a Client, the scheduler binds each one through
``POST pods/<name>/binding``. The API server runs with upstream's test admission set
(``test/integration/util/util.go``: ServiceAccount, TaintNodesByCondition, Priority and
StorageObjectInUseProtection disabled — the high-priority template states ``priority: 10``
directly).

Nodes are ``templates/node-default.yaml`` (capacity cpu 4, memory 32Gi, pods 110, Ready,
``generateName: scheduler-perf-``, no labels); workloads with ``labelNodePrepareStrategy``
label them ``topology.kubernetes.io/zone`` round-robin over the given values.

The figure printed is upstream's SchedulingThroughput: measured pods / wall seconds from
the first measured create to the last measured binding (creation and the API server are
on the same core here, where upstream's test runs them in other goroutines; the split is
printed too). Run::

    .venv/bin/python bench/bench_scheduler_perf.py                 # SchedulingBasic 5000Nodes_10000Pods
    .venv/bin/python bench/bench_scheduler_perf.py --all           # + the other workloads
    .venv/bin/python bench/bench_scheduler_perf.py --profile       # + cProfile top 15 (tottime)
    .venv/bin/python bench/bench_scheduler_perf.py --case TopologySpreading --scale 0.2
    .venv/bin/python bench/bench_scheduler_perf.py --bindings-out /tmp/before.txt    # every pod's node
    .venv/bin/python bench/bench_scheduler_perf.py --bindings-check /tmp/before.txt  # same after a change?

Wall-clock time is measured here on purpose (a benchmark, not simulation code); the
placements are deterministic (seeded).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import sys
import time

from k8score.apiserver import APIServer
from k8score.client import Client
from k8score.etcd import Store
from k8score.scheduler import Scheduler
from k8score.sim import Loop

# test/integration/util/util.go: StartScheduler's API server disables these admission plugins
DISABLED_ADMISSION = ("ServiceAccount", "TaintNodesByCondition", "Priority", "StorageObjectInUseProtection")


def _container(cpu: str) -> list[dict]:
    # templates/pod-default.yaml (and the others): one pause container, requests = limits
    res = {"cpu": cpu, "memory": "500Mi"}
    return [{"image": "registry.k8s.io/pause:3.10", "name": "pause", "ports": [{"containerPort": 80}],
             "resources": {"limits": dict(res), "requests": dict(res)}}]


def node_default() -> dict:
    """templates/node-default.yaml"""
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"generateName": "scheduler-perf-"},
            "spec": {}, "status": {"capacity": {"pods": "110", "cpu": "4", "memory": "32Gi"},
                                   "conditions": [{"status": "True", "type": "Ready"}],
                                   "phase": "Running"}}


def pod_default() -> dict:
    """templates/pod-default.yaml"""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "pod-"},
            "spec": {"containers": _container("100m")}}


def pod_low_priority() -> dict:
    """templates/pod-low-priority.yaml"""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "pod-"},
            "spec": {"terminationGracePeriodSeconds": 0, "containers": _container("900m")}}


def pod_high_priority() -> dict:
    """templates/pod-high-priority.yaml"""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "pod-"},
            "spec": {"priority": 10, "containers": _container("3000m")}}


def _pod_affinity(kind: str, color: str, topology_key: str, prefix: str) -> dict:
    term = {"labelSelector": {"matchLabels": {"color": color}}, "topologyKey": topology_key,
            "namespaces": ["sched-1", "sched-0"]}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"generateName": prefix, "labels": {"color": color}},
            "spec": {"affinity": {kind: {"requiredDuringSchedulingIgnoredDuringExecution": [term]}},
                     "containers": _container("100m")}}


def pod_with_pod_anti_affinity() -> dict:
    """templates/pod-with-pod-anti-affinity.yaml"""
    return _pod_affinity("podAntiAffinity", "green", "kubernetes.io/hostname", "anti-affinity-pod-")


def pod_with_pod_affinity() -> dict:
    """templates/pod-with-pod-affinity.yaml"""
    return _pod_affinity("podAffinity", "blue", "topology.kubernetes.io/zone", "affinity-pod-")


def pod_with_topology_spreading() -> dict:
    """templates/pod-with-topology-spreading.yaml"""
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"generateName": "spreading-pod-", "labels": {"color": "blue"}},
            "spec": {"topologySpreadConstraints": [
                {"maxSkew": 5, "topologyKey": "topology.kubernetes.io/zone",
                 "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"color": "blue"}}}],
                "containers": _container("100m")}}


#: name -> (nodes, zone labels, [(init template, namespace, count)], (measured template, namespace, count),
#:          upstream threshold or None, upstream config path)
CASES = {
    # misc/performance-config.yaml: SchedulingBasic 5000Nodes_10000Pods, threshold 680
    "SchedulingBasic": (5000, None, [(pod_default, "namespace-1", 1000)], (pod_default, "namespace-2", 10000),
                        680, "misc/performance-config.yaml 5000Nodes_10000Pods"),
    # affinity/performance-config.yaml: SchedulingPodAntiAffinity 5000Nodes_2000Pods, threshold 60
    "SchedulingPodAntiAffinity": (5000, None, [(pod_with_pod_anti_affinity, "sched-0", 1000)],
                                  (pod_with_pod_anti_affinity, "sched-1", 2000), 60,
                                  "affinity/performance-config.yaml 5000Nodes_2000Pods"),
    # affinity/performance-config.yaml: SchedulingPodAffinity 5000Nodes_5000Pods, threshold 35
    "SchedulingPodAffinity": (5000, ["zone1"], [(pod_with_pod_affinity, "sched-0", 5000)],
                              (pod_with_pod_affinity, "sched-1", 5000), 35,
                              "affinity/performance-config.yaml 5000Nodes_5000Pods"),
    # topology_spreading/performance-config.yaml: TopologySpreading 5000Nodes_5000Pods, threshold 460
    "TopologySpreading": (5000, ["moon-1", "moon-2", "moon-3"], [(pod_default, "namespace-1", 5000)],
                          (pod_with_topology_spreading, "namespace-2", 5000), 460,
                          "topology_spreading/performance-config.yaml 5000Nodes_5000Pods"),
    # default_preemption/performance-config.yaml: PreemptionBasic 1000Nodes (no threshold upstream)
    "PreemptionBasic": (1000, None, [(pod_low_priority, "namespace-1", 4000)],
                        (pod_high_priority, "namespace-2", 1000), None,
                        "default_preemption/performance-config.yaml 1000Nodes"),
}


class GCTimer:
    """CPU time spent in CPython's cyclic collections (``gc.callbacks``), per generation."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.count = [0, 0, 0]
        self._t = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t = time.process_time()
        else:
            g = info["generation"]
            self.seconds[g] += time.process_time() - self._t
            self.count[g] += 1

    def __enter__(self) -> "GCTimer":
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self)

    def __str__(self) -> str:
        return ", ".join(f"gen{g} {n}x {s:.2f} s" for g, (n, s) in enumerate(zip(self.count, self.seconds)))


class Bench:
    """One workload: an API server and a scheduler on a fresh loop."""

    def __init__(self, seed: int = 1):
        self.loop = Loop(seed)
        self.api = APIServer(self.loop, Store(), seed=seed)
        self.api.admission.plugins = [p for p in self.api.admission.plugins if p.name not in DISABLED_ADMISSION]
        self.api.start()
        self.client = Client(self.api, user="kubernetes-admin")
        self.sched: Scheduler | None = None
        self.bound: set[str] = set()

    def create_nodes(self, n: int, zones: list[str] | None) -> None:
        for i in range(n):
            node = node_default()
            if zones:
                node["metadata"]["labels"] = {"topology.kubernetes.io/zone": zones[i % len(zones)]}
            self.client.create("nodes", node)

    def start_scheduler(self) -> None:
        self.sched = Scheduler(self.loop, self.api, seed=1)
        self.sched.start()
        self.loop.run(until=self.loop.now + 1.0)

    def create_pods(self, template, namespace: str, count: int) -> None:
        if self.api.lister.get("namespaces", namespace) is None:
            self.client.create("namespaces", {"metadata": {"name": namespace}})
        for _ in range(count):
            self.client.create("pods", template(), namespace=namespace)

    def wait_scheduled(self, target: int, timeout: float = 3600.0) -> bool:
        """Run the loop until ``target`` bindings in total (virtual timeout)."""
        sched = self.sched
        return self.loop.run(until=self.loop.now + timeout, predicate=lambda: sched.scheduled >= target)


def run_case(name: str, scale: float = 1.0, profile: bool = False, quiet: bool = False, top: int = 15,
             sort: str = "tottime") -> dict:
    nodes, zones, inits, measured, threshold, where = CASES[name]
    nodes = max(5, int(nodes * scale))
    b = Bench()
    t0 = time.perf_counter()
    b.create_nodes(nodes, zones)
    b.start_scheduler()
    expected = 0
    for template, ns, count in inits:
        count = max(1, int(count * scale))
        b.create_pods(template, ns, count)
        expected += count
        b.wait_scheduled(expected)
    setup = time.perf_counter() - t0
    template, ns, count = measured
    count = max(1, int(count * scale))
    prof = cProfile.Profile() if profile else None
    if prof:
        prof.enable()
    with GCTimer() as gct:
        t1, c1 = time.perf_counter(), time.process_time()
        b.create_pods(template, ns, count)
        t2 = time.perf_counter()
        start_virtual = b.loop.now
        ok = b.wait_scheduled(expected + count)
        t3, c3 = time.perf_counter(), time.process_time()
    if prof:
        prof.disable()
    wall = t3 - t1
    scheduled = b.sched.scheduled - expected
    rate = scheduled / wall if wall else 0.0
    cpu = c3 - c1
    out = {"case": name, "nodes": nodes, "measured": count, "scheduled": scheduled, "wall": wall,
           "create": t2 - t1, "schedule": t3 - t2, "virtual": b.loop.now - start_virtual, "rate": rate,
           "threshold": threshold, "setup": setup, "ok": ok, "cpu": cpu,
           "cpu_rate": scheduled / cpu if cpu else 0.0}
    if not quiet:
        thr = f"{threshold} pods/s" if threshold else "none"
        scaled = "" if scale == 1.0 else f" (scaled x{scale})"
        print(f"{name} ({where}){scaled}: {nodes} nodes, {sum(max(1, int(c * scale)) for _, _, c in inits)} "
              f"initial pods, {count} measured pods")
        print(f"  {scheduled}/{count} scheduled in {wall:.2f} s wall = {rate:.0f} pods/s "
              f"(upstream threshold: {thr}); create {t2 - t1:.2f} s + schedule/bind {t3 - t2:.2f} s; "
              f"{out['virtual']:.2f} virtual s; setup {setup:.1f} s")
        print(f"  CPU time of this process: {cpu:.2f} s = {out['cpu_rate']:.0f} pods/s per CPU second "
              f"(the wall figure includes waiting for the core on a busy machine)")
        print(f"  cyclic GC during the measured phase: {gct} (thresholds now {gc.get_threshold()}, "
              f"{gc.get_freeze_count()} objects frozen)")
    if prof:
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats(sort).print_stats(top)
        print(s.getvalue())
    return out


def case_bindings(name: str, nodes: int, pods: int) -> list[str]:
    """Every pod's placement after running workload ``name`` on ``nodes`` nodes with ``pods``
    measured pods (initial pods scaled alike): ``"<namespace>/<pod> <node>"`` lines, sorted.
    The same seed must give the same lines before and after a change to the scheduler
    (``--bindings-out`` / ``--bindings-check``)."""
    total_nodes, zones, inits, measured, _, _ = CASES[name]
    b = Bench()
    b.create_nodes(nodes, zones)
    b.start_scheduler()
    expected = 0
    for template, ns, count in inits + [measured]:
        count = max(1, count * pods // measured[2])
        b.create_pods(template, ns, count)
        expected += count
        b.wait_scheduled(expected)
    return sorted(f"{p['metadata']['namespace']}/{p['metadata']['name']} {p['spec'].get('nodeName', '')}"
                  for p in b.api.lister.list("pods"))


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--case", action="append", choices=sorted(CASES), help="workload(s) to run")
    ap.add_argument("--all", action="store_true", help="every workload")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply nodes and pods (e.g. 0.1)")
    ap.add_argument("--profile", action="store_true", help="cProfile the measured phase (top 15 by tottime)")
    ap.add_argument("--top", type=int, default=15, help="functions shown with --profile")
    ap.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"), help="--profile's order")
    ap.add_argument("--bindings-out", metavar="FILE",
                    help="write every pod's node (500 nodes, 2,000 measured pods) to FILE and stop")
    ap.add_argument("--bindings-check", metavar="FILE",
                    help="compare every pod's node (500 nodes, 2,000 measured pods) with FILE and stop")
    args = ap.parse_args(argv)
    names = sorted(CASES) if args.all else (args.case or ["SchedulingBasic"])
    if args.bindings_out or args.bindings_check:
        lines = [f"# {n}\n" + "\n".join(case_bindings(n, 500, 2000)) for n in names]
        text = "\n".join(lines) + "\n"
        if args.bindings_out:
            with open(args.bindings_out, "w") as f:
                f.write(text)
            print(f"wrote {text.count(chr(10))} lines to {args.bindings_out}")
            return []
        with open(args.bindings_check) as f:
            before = f.read()
        diff = [(a, b) for a, b in zip(before.splitlines(), text.splitlines()) if a != b]
        same = before == text
        print(f"bindings {'identical' if same else 'DIFFER'}: {len(text.splitlines())} lines, "
              f"{len(diff)} differ" + "".join(f"\n  {a}  ->  {b}" for a, b in diff[:10]))
        if not same:
            raise SystemExit(1)
        return []
    print(f"Python {sys.version.split()[0]}, gc thresholds {gc.get_threshold()}")
    return [run_case(n, args.scale, args.profile, top=args.top, sort=args.sort) for n in names]


if __name__ == "__main__":
    main()
