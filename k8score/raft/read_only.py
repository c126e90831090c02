"""ReadIndex bookkeeping for ``ReadOnlySafe`` (etcd-io/raft ``read_only.go``).

A read request arriving at the leader records the current commit index; the leader then
broadcasts a heartbeat carrying the request's context. Once a quorum acknowledges that
heartbeat, the leader knows it was still the leader when the read arrived, so every request
up to and including that one may be served at its recorded index.
"""

from __future__ import annotations

from . import quorum


class _Status:
    def __init__(self, req, index: int):
        self.req = req
        self.index = index
        self.acks: dict[int, bool] = {}


class ReadOnly:
    def __init__(self):
        self.pending: dict[bytes, _Status] = {}
        self.queue: list[bytes] = []

    def add_request(self, index: int, m) -> None:
        ctx = m.entries[0].data
        if ctx in self.pending:
            return
        self.pending[ctx] = _Status(m, index)
        self.queue.append(ctx)

    def recv_ack(self, id_: int, ctx: bytes) -> None:
        st = self.pending.get(ctx)
        if st is not None:
            st.acks[id_] = True

    def advance(self, voters, ctx: bytes) -> list[_Status]:
        """Release every request up to ``ctx`` once a quorum acked ``ctx``."""
        st = self.pending.get(ctx)
        if st is None or quorum.vote_result(voters, st.acks) != quorum.VoteWon:
            return []
        i = self.queue.index(ctx) + 1
        done, self.queue = self.queue[:i], self.queue[i:]
        return [self.pending.pop(c) for c in done]

    def last_pending_ctx(self) -> bytes:
        return self.queue[-1] if self.queue else b""
