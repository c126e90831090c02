"""CPython's cyclic garbage collector, settled once a big cluster's scheduler is running.

Go's kube-scheduler shares its process with a concurrent collector that hardly pauses
it. CPython's cyclic GC stops everything and walks every tracked container of the
generations it collects; a 5,000-node cluster holds millions of long-lived dicts (each
node and pod in the API server's watch cache, the informers' stores, the scheduler's
cache) that never become garbage, yet every full collection walks them again, and the
scheduling cycle's short-lived objects trigger collections hundreds of times a second.
Measured with ``bench/bench_scheduler_perf.py`` (SchedulingBasic on 1,000 nodes, 2,000 pods):
1.18 of 7.40 CPU seconds in collections with CPython's defaults, 0.48 of 6.75 with this.

So once per scheduler, at its first scheduling cycle on a cluster of at least
:data:`MIN_NODES` nodes (start-up is over: the informers have listed everything):

* ``gc.collect()`` then ``gc.freeze()``: what is alive now moves to the permanent
  generation, which collections no longer walk; later, each time the scheduler's cache
  holds twice as many pods as at the last freeze, the same again (collecting first, so no
  cyclic garbage is frozen; the collection walks only what was not frozen yet);
* ``gc.set_threshold(*THRESHOLDS)``: young collections 50x rarer, so a cycle's temporary
  objects die by reference count before any collection sees them.

Reference counting still frees every acyclic object at once; only cyclic garbage waits
longer. The settings are process-wide (one interpreter runs the whole simulation, also in
Pyodide, which has the same ``gc`` module); small clusters (tests, pages) are left alone.
"""

from __future__ import annotations

import gc

#: clusters smaller than this keep CPython's defaults (their heaps are small)
MIN_NODES = 500
#: (gen0, gen1, gen2) collection thresholds; CPython's defaults are (700, 10, 10)
THRESHOLDS = (35_000, 20, 20)


class GCSettler:
    """Freezes the heap at start-up and as the cluster grows (see the module doc)."""

    __slots__ = ("_frozen_at",)

    def __init__(self) -> None:
        self._frozen_at: int | None = None      # pods in the cache at the last freeze

    def after_cycle(self, nodes: int, pods: int) -> None:
        """Called after each scheduling cycle with the cache's node and pod counts."""
        if self._frozen_at is None:
            if nodes < MIN_NODES:
                return
            if gc.get_threshold()[0] < THRESHOLDS[0]:
                gc.set_threshold(*THRESHOLDS)
        elif pods < 2 * max(self._frozen_at, nodes):
            return
        gc.collect()
        gc.freeze()
        self._frozen_at = pods
