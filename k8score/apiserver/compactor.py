"""The API server's etcd compactor: old revisions are dropped every 5 minutes.

Upstream: staging/src/k8s.io/apiserver/pkg/storage/etcd3/compact.go (``compactor`` and
``compact``), started for each etcd client the server opens, every
``--etcd-compaction-interval`` (storagebackend/config.go ``DefaultCompactInterval``, 5 min).

Several API servers share one etcd, so they agree on who compacts through the key
``compact_rev_key``, whose etcd *version* serves as a logical clock:

* each tick, a server runs the transaction ``if version(compact_rev_key) == my_time then
  put(compact_rev_key, my_rev) else get(compact_rev_key)``;
* the put succeeded: ``my_time + 1``, and it compacts at ``my_rev`` — the revision it saw one
  interval ago, so everything written during the last interval stays readable — unless this is
  its first tick (``my_rev`` 0: "we don't compact on bootstrap");
* it failed: another server compacted in this interval; adopt its clock and try next time.

Either way ``my_rev`` becomes the current revision. So the first compaction happens after two
intervals (10 virtual minutes), then every 5 minutes; with a crashed compactor another server
takes over within one more interval. Reads and watches from a compacted revision then fail:
etcd answers ``ErrCompacted``, the API server 410 Expired, and informers list again.
"""

from __future__ import annotations

from typing import Any

from ..etcd import Compare, EtcdError, OpGet, OpPut

#: storagebackend/config.go DefaultCompactInterval (kube-apiserver --etcd-compaction-interval)
COMPACTION_INTERVAL = 300.0
#: etcd3/compact.go compactRevKey
COMPACT_REV_KEY = "compact_rev_key"


class Compactor:
    """One API server's compactor over ``store`` (a Store or an etcd cluster client)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.time = 0         # the version of compact_rev_key this server last saw
        self.rev = 0          # etcd's revision at this server's last tick
        #: (virtual time, line) for what upstream logs (klog) — failures and compactions
        self.log: list[tuple[float, str]] = []

    def tick(self, now: float) -> None:
        """One ``compact`` call; errors are logged and the next tick tries again."""
        try:
            resp = self.store.txn([Compare.version(COMPACT_REV_KEY, "=", self.time)],
                                  [OpPut(COMPACT_REV_KEY, str(self.rev))], [OpGet(COMPACT_REV_KEY)])
        except EtcdError as e:
            self.log.append((now, f"etcd: compact failed: {e.message}"))
            return
        current = resp.header.revision
        if not resp.succeeded:
            self.time = resp.responses[0].kvs[0].version
            self.rev = current
            return
        self.time += 1
        target, self.rev = self.rev, current
        if target == 0:
            return   # "We don't compact on bootstrap."
        try:
            self.store.compact(target)
        except EtcdError as e:
            self.log.append((now, f"etcd: compact failed: {e.message}"))
            return
        self.log.append((now, f"etcd: compacted rev ({target})"))
