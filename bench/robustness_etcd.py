"""etcd robustness at scale: N seeded runs of traffic under faults, checked (k8score.etcd.robustness).

Run: .venv/bin/python bench/robustness_etcd.py N [--start S] [--unsafe VARIANT] [--without KIND]

Each seed boots a 3-member etcd cluster, runs 3 virtual s of random client traffic
(puts, deletes, compare-and-set and multi-key txns, reads, watches with bookmarks and
resumes) while injecting random faults, then checks linearizability and the watch
guarantees (as etcd's tests/robustness does). Prints each violating seed with its replay
command, then: seeds, faults injected (by kind), simulated hours, operations, unknown
outcomes, violations and inconclusive searches, and wall time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from k8score.etcd.robustness import VARIANTS, run  # noqa: E402
from k8score.etcd.robustness.faults import KINDS  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(prog="bench/robustness_etcd.py")
    p.add_argument("n", type=int, nargs="?", default=100)
    p.add_argument("--start", type=int, default=0)
    p.add_argument("--unsafe", choices=VARIANTS, default="")
    p.add_argument("--without", action="append", default=[], choices=KINDS)
    a = p.parse_args()
    kinds = tuple(k for k in KINDS if k not in a.without)
    t0 = time.perf_counter()
    by_kind = {k: 0 for k in kinds}
    ops = unknown = simulated = 0.0
    bad, inconclusive = [], []
    for seed in range(a.start, a.start + a.n):
        rep = run(seed, unsafe=a.unsafe, kinds=kinds, minimize=False)
        for f in rep.faults:
            by_kind[f[1]] += 1
        ops += len(rep.history.ops)
        unknown += rep.history.unknown
        simulated += rep.simulated
        if rep.inconclusive:
            inconclusive.append(seed)
        if rep.violations:
            bad.append(seed)
            faults = ", ".join(f"{f[1]} {f[2]}" for f in rep.faults)
            print(f"seed {seed}: {len(rep.violations)} violations [{faults}]: {rep.violations[0][:160]}")
            print(f"  replay: python -m k8score.etcd.robustness --seed {seed}"
                  + (f" --unsafe {a.unsafe}" if a.unsafe else "")
                  + "".join(f" --without {k}" for k in a.without))
    wall = time.perf_counter() - t0
    print(f"seeds {a.start}..{a.start + a.n - 1} ({a.n})" + (f" UNSAFE {a.unsafe}" if a.unsafe else ""))
    print(f"faults injected: {sum(by_kind.values())} ("
          + ", ".join(f"{k} {v}" for k, v in by_kind.items()) + ")")
    print(f"simulated: {simulated / 3600:.2f} h   operations: {int(ops)} ({int(unknown)} unknown outcome)")
    print(f"violations: {len(bad)} seeds {bad[:50]}   inconclusive: {len(inconclusive)} {inconclusive[:20]}")
    print(f"wall: {wall:.1f} s ({wall / a.n * 1000:.0f} ms/seed)")


if __name__ == "__main__":
    main()
