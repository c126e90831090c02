"""What the clients saw: KV operations with call/return times, and watch streams.

As etcd tests/robustness/report (ClientReport: KeyValue operations and Watch operations):
an :class:`Operation` has a call and a return point; a request that failed with an etcd
error has an *unknown outcome* (``resp`` None, return at infinity: it may take effect at any
point after its call, or never). Failed reads change nothing and are dropped, as
tests/robustness/validate/patch_history.go drops them.

Requests are synchronous in the simulation (a request runs its raft round trips within one
virtual instant), so real-time order is the order of ``seq`` numbers: ``call = 2*seq`` and
``ret = 2*seq + 1``; ``at`` keeps the virtual time for reports.
"""

from __future__ import annotations

from typing import Any

INF = float("inf")


class Operation:
    """One KV request: ``req`` (a model request tuple), ``resp`` (model response or None)."""

    __slots__ = ("id", "client", "req", "resp", "call", "ret", "at", "error")

    def __init__(self, id_: int, client: int, req: tuple, resp: Any, call: float, ret: float,
                 at: float, error: str = ""):
        self.id, self.client, self.req, self.resp = id_, client, req, resp
        self.call, self.ret, self.at, self.error = call, ret, at, error

    @property
    def unknown(self) -> bool:
        return self.resp is None

    def __repr__(self) -> str:
        if self.resp is None:
            out = f"unknown ({self.error})"
        elif self.resp[0] == "persisted":     # settled from the watches (patch.py)
            out = f"persisted at revision {self.resp[1]} ({self.error})"
        else:
            out = repr(self.resp)
        return f"#{self.id} t={self.at:.3f}s client {self.client}: {self.req!r} -> {out}"


class WatchRecord:
    """One watch request (``start`` revision, key prefix) and every response it got:
    ``(at, header_revision, events, progress_notify, seq)`` with events ``(type, key, value,
    rev)`` and ``seq`` the number of operations recorded when it arrived."""

    __slots__ = ("id", "client", "start", "prefix", "responses")

    def __init__(self, id_: int, client: int, start: int, prefix: str):
        self.id, self.client, self.start, self.prefix = id_, client, start, prefix
        self.responses: list[tuple] = []

    def events(self) -> list[tuple]:
        return [e for r in self.responses for e in r[2]]

    def __repr__(self) -> str:
        return f"watch #{self.id} client {self.client} from revision {self.start}"


class History:
    """Everything recorded in one run."""

    def __init__(self):
        self.ops: list[Operation] = []
        self.failed_reads = 0
        self.watches: list[WatchRecord] = []
        self._seq = 0

    def record(self, client: int, req: tuple, resp: Any, at: float, error: str = "") -> Operation:
        self._seq += 1
        call = 2.0 * self._seq
        op = Operation(len(self.ops), client, req, resp, call,
                       INF if resp is None else call + 1, at, error)
        self.ops.append(op)
        return op

    def watch(self, client: int, start: int, prefix: str) -> WatchRecord:
        w = WatchRecord(len(self.watches), client, start, prefix)
        self.watches.append(w)
        return w

    @property
    def unknown(self) -> int:
        return sum(1 for op in self.ops if op.resp is None)
