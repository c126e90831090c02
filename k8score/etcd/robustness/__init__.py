"""etcd's robustness tests, in the simulation: random traffic under random faults, checked.

Modelled on etcd tests/robustness (traffic/, failpoint/, validate/, model/): a seeded
3-member :class:`~k8score.etcd.cluster.EtcdCluster` serves clients issuing puts, deletes,
compare-and-set and multi-key txns, range and list reads, and watches (with bookmarks and
resumes) while a fault injector crashes, partitions, pauses and slows members and drops,
delays, duplicates and reorders their messages. The recorded history is then checked:

* the KV operations are **linearizable** (:mod:`.linearizability`, porcupine-style, against
  the model in :mod:`.model`; a request that failed may or may not have happened);
* the watch streams keep etcd's **watch guarantees** (:mod:`.watch`).

>>> from k8score.etcd.robustness import run
>>> rep = run(seed=1)
>>> rep.ok, len(rep.history.ops) > 100, len(rep.faults) > 0
(True, True, True)

A run is a function of its seed: ``python -m k8score.etcd.robustness --seed 1`` replays it
and prints the faults injected and any violation. ``run(seed, unsafe="commit-without-quorum")``
runs a deliberately broken etcd (:mod:`.unsafe`, test-only) that the checks must catch.
"""

from .runner import SETTLE_SECONDS, TRAFFIC_SECONDS, Report, check, run
from .unsafe import VARIANTS

__all__ = ["Report", "SETTLE_SECONDS", "TRAFFIC_SECONDS", "VARIANTS", "check", "run"]
