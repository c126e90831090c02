"""A whole cluster's cost as it grows (issue 11, item 6 b–e).

(b) ``boot N``: ``Cluster(nodes=N)`` construction: wall time and peak RSS (target ≤ 30 s at 5,000).
(c)/(d) ``flow N``: ``kubectl create deployment web --replicas=3N`` on N nodes, then the
    simulation runs until every replica is Running. (d) compares N=100 with N=1,000: the
    cost ratio for 10× the work should be ≤ 13. (c) is N=5,000 (150,000 pods: Kubernetes'
    published scalability limits), target ≤ 120 s wall and ≤ 12 GiB RSS.
(e) see ``--pyodide``: the 100-node flow in Pyodide under Node, as a ratio to CPython.

Run::

    .venv/bin/python bench/bench_cluster_scale.py boot 5000
    .venv/bin/python bench/bench_cluster_scale.py flow 100 1000      # (d): prints the ratio
    .venv/bin/python bench/bench_cluster_scale.py flow 5000 --per-node 30 --timeout 3600   # (c)
    .venv/bin/python bench/bench_cluster_scale.py pyodide 100         # (e)
    .venv/bin/python bench/bench_cluster_scale.py profile-boot 250    # top of a cProfile

Wall-clock time and RSS are measured here on purpose (a benchmark, not simulation code).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_gib() -> float:
    """Peak resident set size of this process (Linux: ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def boot(nodes: int) -> dict:
    from k8score import Cluster
    t0, cpu0 = time.perf_counter(), time.process_time()
    c = Cluster(nodes=nodes, seed=1)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    ready = sum(1 for n in c.apiserver.lister.list("nodes")
                if any(x["type"] == "Ready" and x["status"] == "True"
                       for x in (n.get("status") or {}).get("conditions") or ()))
    out = {"nodes": nodes, "boot_s": round(wall, 2), "boot_cpu_s": round(cpu, 2), "virtual_s": round(c.now, 1), "ready": ready,
           "rss_gib": round(rss_gib(), 2)}
    print(f"boot {nodes} nodes: {wall:.2f} s wall, {cpu:.2f} s CPU ({c.now:.1f} virtual s), {ready} Ready, "
          f"peak RSS {out['rss_gib']:.2f} GiB", flush=True)
    return out


def flow(nodes: int, timeout: float = 600.0, per_node: int = 3) -> dict:
    """Boot, then ``kubectl create deployment --replicas=per_node*nodes`` until all Running."""
    from k8score import Cluster
    replicas = per_node * nodes
    t0, cpu0 = time.perf_counter(), time.process_time()
    c = Cluster(nodes=nodes, seed=1)
    booted, boot_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    _tune_gc()
    print(f"flow {nodes} nodes: booted in {booted:.2f} s ({boot_cpu:.2f} s CPU)", flush=True)
    c.kubectl(f"create deployment web --image=nginx --replicas={replicas}")
    start_virtual = c.now
    t1, cpu1 = time.perf_counter(), time.process_time()
    deadline = t1 + timeout

    def ready() -> int:
        d = c.apiserver.lister.get("deployments", "web", "default") or {}
        return (d.get("status") or {}).get("readyReplicas", 0) or 0

    done = False
    while time.perf_counter() < deadline:
        c.run(until=lambda: ready() >= replicas, timeout=10)
        if ready() >= replicas:
            done = True
            break
        print(f"  ... {c.now - start_virtual:.0f} virtual s, {time.perf_counter() - t1:.1f} s wall: "
              f"{time.process_time() - cpu1:.1f} s CPU: {ready()}/{replicas} ready, peak RSS {rss_gib():.2f} GiB",
              flush=True)
    wall, cpu = time.perf_counter() - t1, time.process_time() - cpu1
    running = sum(1 for p in c.apiserver.lister.list("pods", "default")
                  if (p.get("status") or {}).get("phase") == "Running")
    out = {"nodes": nodes, "replicas": replicas, "boot_s": round(booted, 2), "boot_cpu_s": round(boot_cpu, 2), "run_s": round(wall, 2), "run_cpu_s": round(cpu, 2),
           "virtual_s": round(c.now - start_virtual, 1), "running": running, "done": done,
           "rss_gib": round(rss_gib(), 2)}
    print(f"flow {nodes} nodes, {replicas} replicas: boot {booted:.2f} s + to Running {wall:.2f} s wall, {cpu:.2f} s CPU "
          f"({out['virtual_s']} virtual s); running={running}{'' if done else ' (TIMED OUT)'}; "
          f"peak RSS {out['rss_gib']:.2f} GiB", flush=True)
    return out


_GC = {"freeze": False, "threshold": 0}


def _tune_gc() -> None:
    """``--gc-freeze``: move everything the boot made into the permanent generation;
    ``--gc-threshold N``: collect generation 0 every N allocations (700 by default)."""
    import gc
    if _GC["freeze"]:
        gc.collect()
        gc.freeze()
    if _GC["threshold"]:
        gc.set_threshold(_GC["threshold"], 50, 100)


def _subprocess(args: list[str]) -> dict:
    """One measurement per process, so RSS and caches do not carry over."""
    r = subprocess.run([sys.executable, __file__, *args, "--json"], capture_output=True, text=True, cwd=ROOT)
    sys.stdout.write(r.stdout[: r.stdout.rfind("{")] if "{" in r.stdout else r.stdout)
    if r.returncode:
        sys.stderr.write(r.stderr[-3000:])
        raise SystemExit(r.returncode)
    return json.loads(r.stdout[r.stdout.rfind("\n{") + 1:])


def pyodide_flow(nodes: int) -> None:
    """(e): the same flow in Pyodide under Node (tests/test_pyodide_node.py's runner), as a
    ratio to CPython."""
    import importlib.util
    import tempfile
    spec = importlib.util.spec_from_file_location("site_wheels", ROOT / "docs" / "_hooks" / "wheels.py")
    wheels = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(wheels)
    code = (f"import time\nfrom k8score import Cluster\nt0=time.perf_counter()\n"
            f"c=Cluster(nodes={nodes}, seed=1)\nb=time.perf_counter()-t0\n"
            f"c.kubectl('create deployment web --image=nginx --replicas={3 * nodes}')\n"
            f"t1=time.perf_counter()\n"
            f"c.run(until=lambda: ((c.apiserver.lister.get('deployments','web','default') or {{}})"
            f".get('status') or {{}}).get('readyReplicas',0)>= {3 * nodes}, timeout=600)\n"
            f"print('PYODIDE', round(b,2), round(time.perf_counter()-t1,2))\n")
    with tempfile.TemporaryDirectory() as tmp:
        built = wheels.build_all(Path(tmp), precompile=False)
        r = subprocess.run(["node", str(ROOT / "tests" / "node" / "run_in_pyodide.mjs"), *map(str, built)],
                           input=code, capture_output=True, text=True, cwd=ROOT, timeout=3600)
    if r.returncode:
        raise SystemExit(r.stderr[-3000:])
    out = r.stdout
    line = next(x for x in out.splitlines() if x.startswith("PYODIDE"))
    _, pb, pr = line.split()
    native = _subprocess(["flow", str(nodes)])
    print(f"pyodide {nodes} nodes: boot {pb} s + run {pr} s; CPython boot {native['boot_s']} s + run "
          f"{native['run_s']} s; ratio {(float(pb) + float(pr)) / (native['boot_s'] + native['run_s']):.2f}")


def profile(what: str, nodes: int, top: int = 30) -> None:
    import cProfile
    import pstats
    prof = cProfile.Profile()
    prof.enable()
    (boot if what == "boot" else flow)(nodes)
    prof.disable()
    prof.dump_stats(f"/tmp/bench_cluster_scale_{what}_{nodes}.prof")
    st = pstats.Stats(prof)
    st.sort_stats("tottime").print_stats(top)
    st.sort_stats("cumulative").print_stats(top)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["boot", "flow", "pyodide", "profile-boot", "profile-flow"])
    p.add_argument("nodes", type=int, nargs="+")
    p.add_argument("--timeout", type=float, default=600.0)
    p.add_argument("--gc-freeze", action="store_true")
    p.add_argument("--gc-threshold", type=int, default=0)
    p.add_argument("--per-node", type=int, default=3,
                   help="replicas per node (c: 30, Kubernetes' 150,000 pods on 5,000 nodes)")
    p.add_argument("--json", action="store_true", help="(internal) one measurement, JSON on the last line")
    a = p.parse_args()
    _GC.update(freeze=a.gc_freeze, threshold=a.gc_threshold)
    gc_args = (["--gc-freeze"] if a.gc_freeze else []) + (["--gc-threshold", str(a.gc_threshold)]
                                                          if a.gc_threshold else [])
    if a.what.startswith("profile-"):
        profile(a.what.split("-")[1], a.nodes[0])
        return
    if a.what == "pyodide":
        pyodide_flow(a.nodes[0])
        return
    if a.json:
        out = boot(a.nodes[0]) if a.what == "boot" else flow(a.nodes[0], a.timeout, a.per_node)
        print(json.dumps(out))
        return
    results = [_subprocess([a.what, str(n), "--timeout", str(a.timeout), "--per-node", str(a.per_node), *gc_args])
               for n in a.nodes]
    if a.what == "flow" and len(results) == 2:
        small, big = results
        ratio = big["run_cpu_s"] / max(small["run_cpu_s"], 1e-9)
        work = big["replicas"] / small["replicas"]
        done = "" if big["done"] and small["done"] else " (NOT all Running: a lower bound)"
        print(f"cost ratio (to Running, CPU s) {ratio:.1f} for {work:.0f}x the work (target <= {1.3 * work:.0f})"
              f"{done}; boot ratio (CPU s) {big['boot_cpu_s'] / small['boot_cpu_s']:.1f}")


if __name__ == "__main__":
    main()
