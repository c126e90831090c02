"""The KV model the checker replays: etcd's keyspace reduced to what the traffic touches.

Modelled on etcd tests/robustness/model/deterministic.go (``EtcdState``, ``Step``): a state
is the revision plus, per key, ``(value, mod_revision, create_revision, version)``. A step
takes a request and the response a client recorded and says whether that response is what
a correct etcd returns from this state, and which state follows. A request whose outcome is
unknown (the client got ``etcdserver: request timed out``, ...) accepts any response: the
checker forks on whether, and when, it took effect (model/non_deterministic.go).

States are immutable tuples (hashable for the checker's visited-state cache): ``(revision,
entries)`` with ``entries[i]`` the i-th key of the keyspace or None when absent.

Requests (plain tuples) and the responses a correct etcd gives:

* ``("put", key, value)`` -> ``(revision,)``: the revision goes up by one;
* ``("delete", key)`` -> ``(deleted, revision)``: deleting an absent key leaves the
  revision alone (mvcc/kvstore_txn.go: a txn that changes nothing does not bump it);
* ``("range", key)`` -> ``(revision, kv)`` with kv ``(value, mod, create, version)`` or None;
* ``("list",)`` -> ``(revision, ((key, value, mod), ...))``: the whole keyspace, sorted;
* ``("cas", key, mod, value)`` -> ``(succeeded, revision, kv)``: a txn ``mod_revision(key)
  == mod`` (0: absent) then put, else get (the Kubernetes GuaranteedUpdate shape);
* ``("multi", ((key, value), ...))`` -> ``(revision,)``: a txn of puts, one revision.
"""

from __future__ import annotations

from typing import Any

State = tuple  # (revision, entries)


class KVModel:
    """The model over the keyspace ``keys`` (the traffic's key names, in sorted order)."""

    def __init__(self, keys: list[str]):
        self.keys = sorted(keys)
        self.index = {k: i for i, k in enumerate(self.keys)}

    def init(self) -> State:
        """A fresh etcd: revision 1, nothing stored."""
        return (1, (None,) * len(self.keys))

    def apply(self, state: State, req: tuple) -> tuple[State, tuple]:
        """The state after ``req`` and the response a correct etcd gives."""
        rev, ents = state
        op = req[0]
        if op == "range":
            return state, (rev, ents[self.index[req[1]]])
        if op == "list":
            return state, (rev, tuple((k, e[0], e[1]) for k, e in zip(self.keys, ents)
                                      if e is not None))
        if op == "put":
            new = self._put(ents, rev + 1, ((req[1], req[2]),))
            return (rev + 1, new), (rev + 1,)
        if op == "multi":
            return (rev + 1, self._put(ents, rev + 1, req[1])), (rev + 1,)
        if op == "delete":
            i = self.index[req[1]]
            if ents[i] is None:
                return state, (0, rev)
            return (rev + 1, ents[:i] + (None,) + ents[i + 1:]), (1, rev + 1)
        if op == "cas":
            _, key, mod, value = req
            cur = ents[self.index[key]]
            if (cur[1] if cur is not None else 0) == mod:
                return (rev + 1, self._put(ents, rev + 1, ((key, value),))), (True, rev + 1, None)
            return state, (False, rev, cur)
        raise ValueError(f"unknown request {req!r}")

    def _put(self, ents: tuple, rev: int, pairs) -> tuple:
        out = list(ents)
        for key, value in pairs:
            i = self.index[key]
            cur = out[i]
            out[i] = (value, rev, rev, 1) if cur is None else (value, rev, cur[2], cur[3] + 1)
        return tuple(out)

    def step(self, state: State, req: tuple, resp: Any) -> tuple[bool, State]:
        """``(ok, next_state)``: ``resp`` None is an unknown outcome, which any state allows;
        ``("persisted", revision)`` (patched from the watches) says the write made ``revision``."""
        nxt, want = self.apply(state, req)
        if resp is None:
            return True, nxt
        if resp[0] == "persisted":
            return nxt[0] == resp[1] != state[0], nxt
        return resp == want, nxt

    @staticmethod
    def is_read(req: tuple) -> bool:
        return req[0] in ("range", "list")

    def touches(self, req: tuple) -> tuple[str, ...]:
        """The keys a request reads or writes (``list`` reads them all)."""
        if req[0] == "list":
            return tuple(self.keys)
        if req[0] == "multi":
            return tuple(k for k, _ in req[1])
        return (req[1],)
