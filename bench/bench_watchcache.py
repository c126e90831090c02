"""How fast does the watch cache fan pod events out to 1,000 kubelets?

One :class:`~k8score.apiserver.cacher.Cacher` on pods with the ``spec.nodeName`` indexer
(pkg/registry/core/pod/strategy.go NodeNameTriggerFunc), 1,000 kubelet-style watches
(``fieldSelector=spec.nodeName=node-NNNN``) and 3 cluster-wide ones (scheduler,
ReplicaSet controller, endpoints), then pod lifecycles written straight into etcd:
create (pending), bind, status update, delete — 4 events each. Prints events/s for
writing and delivering everything, the number of decodes (one per PUT), how many
(event, watch) pairs dispatch looked at, and how many events reached a callback.

With ``--old N`` it also runs N events through the per-watch etcd stream of
apiserver/watch.py (every watch decodes every event) for comparison.

    .venv/bin/python bench/bench_watchcache.py [events] [--old N] [--gc-off]

``--gc-off`` disables Python's cyclic GC for the run: with the window holding ~100k
events, full collections are most of the time otherwise (see FACTS "Where time goes").

Wall-clock time is measured here on purpose (a benchmark, not simulation code).
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from k8score.api.selectors import parse_field_selector, parse_label_selector  # noqa: E402
from k8score.apiserver.cacher import POD_INDEXERS, Cacher  # noqa: E402
from k8score.etcd import Store, prefix_end  # noqa: E402
from k8score.sim import Loop  # noqa: E402

PREFIX = "/registry/pods/"
NODES = 1000
CLUSTER_WIDE = 3


class CountingDecode:
    def __init__(self):
        self.calls = 0

    def __call__(self, value: str, rev: int) -> dict:
        self.calls += 1
        obj = json.loads(value)
        obj["metadata"]["resourceVersion"] = str(rev)
        return obj


def pod_value(i: int, node: str | None, phase: str) -> str:
    spec: dict = {"containers": [{"name": "nginx", "image": "nginx:1.27",
                                  "ports": [{"containerPort": 80, "name": "http"}],
                                  "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}],
                  "restartPolicy": "Always", "schedulerName": "default-scheduler"}
    if node:
        spec["nodeName"] = node
    return json.dumps({"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": f"web-{i}", "namespace": "default",
                                    "uid": f"00000000-0000-4000-8000-{i:012d}",
                                    "labels": {"app": "web", "pod-template-hash": "5d8f7c6b9"}},
                       "spec": spec, "status": {"phase": phase}}, separators=(",", ":"))


def lifecycles(store: Store, loop: Loop, events: int) -> None:
    """Write ``events`` pod events (4 per pod), delivering as virtual time goes by."""
    for i in range(events // 4):
        key = f"{PREFIX}default/web-{i}"
        node = f"node-{i % NODES:04d}"
        store.put(key, pod_value(i, None, "Pending"))
        store.put(key, pod_value(i, node, "Pending"))
        store.put(key, pod_value(i, node, "Running"))
        store.delete_range(key)
        if i % 250 == 0:
            loop.run(until=loop.now + 0.01)
    loop.run(until=loop.now + 1)


def run_cacher(events: int) -> None:
    loop, store, decode = Loop(seed=0), Store(), CountingDecode()
    cacher = Cacher(loop, store, PREFIX, decode, POD_INDEXERS, kind="Pod", api_version="v1")
    cacher.start()
    got = [0]

    def count(_event: dict) -> None:
        got[0] += 1

    for n in range(NODES):
        cacher.watch(0, count, field_selector=parse_field_selector(
            ("spec.nodeName",), f"spec.nodeName=node-{n:04d}"))
    for _ in range(CLUSTER_WIDE):
        cacher.watch(0, count)
    t0 = time.perf_counter()
    lifecycles(store, loop, events)
    dt = time.perf_counter() - t0
    print(f"watch cache: {events:,} pod events, {NODES:,} node-indexed + {CLUSTER_WIDE} "
          f"cluster-wide watches: {events / dt:,.0f} events/s ({dt:.2f} s)")
    print(f"  decodes: {decode.calls:,}  dispatch offers: {cacher.watchers.offers:,}  "
          f"delivered: {got[0]:,}  history window: {cacher._history.capacity:,} events")


def run_old(events: int) -> None:
    from k8score.apiserver import storage, watch

    loop, store = Loop(seed=0), Store()
    calls = [0]
    real = storage.try_decode

    def counting(value, rev):
        calls[0] += 1
        return real(value, rev)

    watch.try_decode = counting
    api = SimpleNamespace(loop=loop, name="kube-apiserver", _forget_watch=lambda w: None)
    info = SimpleNamespace(plural="pods", kind="Pod", api_version="v1", namespaced=True)
    got = [0]

    def count(_event: dict) -> None:
        got[0] += 1

    for n in range(NODES + CLUSTER_WIDE):
        text = f"spec.nodeName=node-{n:04d}" if n < NODES else None
        w = watch.Watch(api, info, PREFIX, count, parse_label_selector(None),
                        parse_field_selector(("spec.nodeName",), text), 0.001)
        w._etcd_watch = store.watch(PREFIX, prefix_end(PREFIX), start_revision=store.revision + 1,
                                    prev_kv=True, callback=w._on_etcd)
    t0 = time.perf_counter()
    lifecycles(store, loop, events)
    dt = time.perf_counter() - t0
    watch.try_decode = real
    print(f"old per-watch etcd stream: {events:,} events: {events / dt:,.0f} events/s "
          f"({dt:.2f} s); decodes: {calls[0]:,}; delivered: {got[0]:,}")


def main(argv: list[str]) -> None:
    events = 100_000
    old = 0
    args = list(argv)
    if "--gc-off" in args:
        args.remove("--gc-off")
        gc.disable()
    if "--old" in args:
        i = args.index("--old")
        old = int(args[i + 1])
        del args[i:i + 2]
    if args:
        events = int(args[0])
    run_cacher(events)
    if old:
        run_old(old)


if __name__ == "__main__":
    main(sys.argv[1:])
