"""Client traffic on the virtual loop, recorded into a :class:`~.history.History`.

After etcd tests/robustness/traffic (etcd.go ``etcdTraffic``: a weighted mix of Get, List,
Put, Delete, MultiOpTxn and a Kubernetes-style compare-and-set), in miniature: ``clients``
clients, each pinned to a member (round robin) and failing over as clientv3 does, issue one
request every 10–50 virtual ms until ``end``. Values are unique per write (``c<client>-<n>``),
so an event or a read names the write that made it, as in upstream.

Watch clients watch the whole keyspace prefix with progress notifications from revision 1;
now and then one asks for a progress notification (a bookmark, clientv3 ``RequestProgress``)
or drops its watch and opens a new one from the last revision it saw + 1 (a resume) or from
an earlier revision (a re-list at an old resourceVersion).

All randomness comes from ``rng`` (seeded from the loop's generator by the runner).
"""

from __future__ import annotations

from typing import Any

from ..txn import Compare, OpGet, OpPut
from ..types import EtcdError, prefix_end
from ..cluster import Client
from .history import History

PREFIX = "key/"
# (request kind, weight): reads dominate, as in upstream's default traffic.
MIX = (("range", 25), ("list", 10), ("put", 25), ("delete", 10), ("cas", 20), ("multi", 10))
INTERVAL = (0.01, 0.05)
WATCH_EVERY = (0.1, 0.5)


def _kv(kv: Any) -> tuple | None:
    return None if kv is None else (kv.value, kv.mod_revision, kv.create_revision, kv.version)


class Traffic:
    """Drives ``clients`` KV clients and ``watchers`` watch clients on ``cluster`` until ``end``."""

    def __init__(self, cluster: Any, rng: Any, history: History, end: float, clients: int = 3,
                 keys: int = 5, watchers: int = 2):
        self.cluster, self.loop, self.rng, self.h, self.end = cluster, cluster.loop, rng, history, end
        self.keys = [f"{PREFIX}{i}" for i in range(keys)]
        names = [m.name for m in cluster.members]
        self.clients = [Client(cluster).use(names[i % len(names)]) for i in range(clients)]
        self.watch_clients = [Client(cluster).use(names[(clients + i) % len(names)])
                              for i in range(watchers)]
        self._writes = 0
        self._mods: list[dict] = [{} for _ in range(clients)]   # last mod revision seen, per key
        self._watches: list = [None] * watchers                 # (ClientWatch, WatchRecord)
        total = sum(w for _, w in MIX)
        self._cum = []
        acc = 0
        for kind, w in MIX:
            acc += w
            self._cum.append((acc / total, kind))

    def start(self) -> None:
        for i in range(len(self.clients)):
            self.loop.call_later(self.rng.uniform(*INTERVAL), self._act, i)
        for i in range(len(self.watch_clients)):
            self._open(i, 1)
            self.loop.call_later(self.rng.uniform(*WATCH_EVERY), self._watch_act, i)

    # -- KV ------------------------------------------------------------------------------------
    def _value(self, client: int) -> str:
        self._writes += 1
        return f"c{client}-{self._writes}"

    def _act(self, i: int) -> None:
        if self.loop.now >= self.end:
            return
        self.request(i)
        self.loop.call_later(self.rng.uniform(*INTERVAL), self._act, i)

    def request(self, i: int) -> None:
        rng = self.rng
        x = rng.random()
        kind = next(k for p, k in self._cum if x < p)
        key = rng.choice(self.keys)
        if kind == "range":
            req = ("range", key)
        elif kind == "list":
            req = ("list",)
        elif kind == "put":
            req = ("put", key, self._value(i))
        elif kind == "delete":
            req = ("delete", key)
        elif kind == "cas":
            req = ("cas", key, self._mods[i].get(key, 0), self._value(i))
        else:
            k2 = rng.choice([k for k in self.keys if k != key])
            req = ("multi", tuple(sorted(((key, self._value(i)), (k2, self._value(i))))))
        self.issue(i, req)

    def request_list(self, i: int) -> None:
        """Client ``i`` reads the whole keyspace (the runner's final check)."""
        self.issue(i, ("list",))

    def issue(self, i: int, req: tuple) -> None:
        """Send ``req`` from client ``i`` and record it (an error: unknown outcome)."""
        cli = self.clients[i]
        at = self.loop.now
        try:
            resp = self._send(cli, req, i)
        except EtcdError as e:
            if req[0] in ("range", "list"):
                self.h.failed_reads += 1     # a failed read changed nothing
            else:
                self.h.record(i, req, None, at, e.message)
            return
        self.h.record(i, req, resp, at)

    def _send(self, cli: Client, req: tuple, i: int) -> tuple:
        kind = req[0]
        if kind == "range":
            r = cli.range(req[1])
            kv = r.kvs[0] if r.kvs else None
            self._mods[i][req[1]] = kv.mod_revision if kv else 0
            return (r.header.revision, _kv(kv))
        if kind == "list":
            r = cli.range(PREFIX, prefix_end(PREFIX))
            for kv in r.kvs:
                self._mods[i][kv.key] = kv.mod_revision
            return (r.header.revision, tuple((kv.key, kv.value, kv.mod_revision) for kv in r.kvs))
        if kind == "put":
            return (cli.put(req[1], req[2]).header.revision,)
        if kind == "delete":
            r = cli.delete_range(req[1])
            return (r.deleted, r.header.revision)
        if kind == "cas":
            _, key, mod, value = req
            r = cli.txn([Compare.mod(key, "=", mod)], [OpPut(key, value)], [OpGet(key)])
            if r.succeeded:
                self._mods[i][key] = r.header.revision
                return (True, r.header.revision, None)
            kv = r.responses[0].kvs[0] if r.responses[0].kvs else None
            self._mods[i][key] = kv.mod_revision if kv else 0
            return (False, r.header.revision, _kv(kv))
        return (cli.txn((), [OpPut(k, v) for k, v in req[1]], ()).header.revision,)

    # -- watches -------------------------------------------------------------------------------
    def _open(self, i: int, start: int) -> None:
        rec = self.h.watch(len(self.clients) + i, start, PREFIX)
        loop, h = self.loop, self.h

        def on(resp: Any) -> None:
            events = tuple((e.type, e.kv.key, e.kv.value, e.kv.mod_revision) for e in resp.events)
            rec.responses.append((loop.now, resp.header.revision, events, resp.is_progress_notify,
                                  h._seq))

        try:
            w = self.watch_clients[i].watch(PREFIX, prefix_end(PREFIX), start_revision=start,
                                            callback=on, progress_notify=True)
        except EtcdError:
            self._watches[i] = None
            return
        self._watches[i] = (w, rec)

    def _watch_act(self, i: int) -> None:
        if self.loop.now >= self.end:
            return
        cur = self._watches[i]
        x = self.rng.random()
        if cur is None:
            self._open(i, 1)
        elif x < 0.5:
            try:
                self.watch_clients[i].progress()
            except EtcdError:
                pass
        else:
            w, rec = cur
            evs = rec.events()
            last = evs[-1][3] if evs else rec.start - 1
            w.cancel()
            start = last + 1 if x < 0.8 else self.rng.randint(1, last + 1)
            self._open(i, start)
        self.loop.call_later(self.rng.uniform(*WATCH_EVERY), self._watch_act, i)

    def close(self) -> None:
        for cur in self._watches:
            if cur is not None:
                cur[0].cancel()
