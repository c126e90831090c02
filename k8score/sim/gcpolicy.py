"""CPython's cyclic garbage collector while the simulation runs.

A simulated cluster allocates and frees millions of short-lived containers (request bodies,
copies handed to watchers, scheduling-cycle scratch) while it holds a large, long-lived heap
(every object in etcd's history, the watch caches, the informers' stores). With CPython's
default thresholds (700, 10, 10) a young collection runs every 700 net allocations and a full
collection, which walks the whole heap, every 100 young ones: measured on
``Cluster(nodes=150)``, 5.1 CPU s to boot with the defaults, 4.0–4.3 s with
:data:`THRESHOLDS`. Go's collector, which the real components use, runs concurrently and
hardly pauses them; this brings the simulation's cost closer to the work it models.

Reference counting still frees every acyclic object at once; only cyclic garbage waits
longer. The setting is process-wide, so it holds only while :meth:`Loop.run` runs: the
outermost run sets it and restores the caller's thresholds when it returns (natively and in
Pyodide, which has the same ``gc`` module). The library never calls ``gc.freeze()``: frozen
objects are never collected, so a process that builds many clusters (the test suite, a page
run again and again) would keep every one of them. A long-running process freezes what it
built at start-up itself: ``k8score serve`` (``serve.tune_gc``) and the benchmarks do.
(A kube-scheduler that froze the heap whenever its pods doubled cost the 1,000-node flow
17 % more CPU than these thresholds alone: each forced collection walked the whole heap.)
"""

from __future__ import annotations

import gc

#: (gen0, gen1, gen2) thresholds while the simulation runs; CPython's defaults are (700, 10, 10)
THRESHOLDS = (35_000, 20, 20)

_depth = 0
_saved: tuple[int, ...] | None = None


def enter() -> None:
    """The simulation starts running (nested calls count; only the outermost one acts)."""
    global _depth, _saved
    _depth += 1
    if _depth == 1:
        current = gc.get_threshold()
        if current[0] < THRESHOLDS[0]:
            _saved = current
            gc.set_threshold(*THRESHOLDS)


def leave() -> None:
    """The run returned: the outermost one puts the caller's thresholds back."""
    global _depth, _saved
    _depth -= 1
    if _depth == 0 and _saved is not None:
        gc.set_threshold(*_saved)
        _saved = None
