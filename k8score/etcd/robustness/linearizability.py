"""A linearizability checker in the style of porcupine (github.com/anishathalye/porcupine,
checker.go): Wing & Gong's search with Lowe's memoization.

The history is a list of call and return entries in real-time order. The search walks it:
at a call it tries to *linearize* that operation now (the model accepts its response from
the current state, and the pair ``(set of linearized ops, state)`` was not visited before),
lifting the call and its return out of the list; at a return of an operation not yet
linearized it backtracks to the last choice. The history is linearizable when every
completed operation is linearized. Unknown-outcome operations return at infinity and accept
any response, so the search may place them anywhere after their call or leave them to the
end, where nothing observes them — "it may or may not have happened".

Why one global search, not one per key (porcupine's P-compositionality): every etcd response
carries the store's revision, which every write to *any* key advances, so keys are not
independent. The memo cache (``visited``) is what keeps the search small; ``max_states``
bounds it, beyond which the result is *inconclusive* (porcupine's timeout), never "ok".

On failure :func:`minimize` returns a small failing subhistory: the shortest failing prefix,
then chunks of reads, halving down to single ones, are removed while it keeps failing
(Zeller's ddmin: 1-minimal in its reads). Writes stay: each one advances the revision every
later response shows, so dropping any write "fails" trivially and explains nothing.
"""

from __future__ import annotations

from typing import Any

#: States the search may visit before giving up as inconclusive.
MAX_STATES = 200_000


class _Node:
    __slots__ = ("op", "is_call", "match", "prev", "next")

    def __init__(self, op: Any, is_call: bool):
        self.op, self.is_call = op, is_call
        self.match = self.prev = self.next = None


class Result:
    """``ok`` True (linearizable), False (not), or None (inconclusive). On False, ``stuck``
    is the completed operation at which the deepest attempt got stuck; on True, ``order``
    is one linearization (unknown operations left at the end are omitted)."""

    def __init__(self, ok: bool | None, states: int, stuck: Any = None, order: list | None = None):
        self.ok, self.states, self.stuck, self.order = ok, states, stuck, order or []

    def __repr__(self) -> str:
        return f"<Result ok={self.ok} states={self.states} stuck={self.stuck!r}>"


def _entries(ops: list) -> _Node:
    evs = []
    for i, op in enumerate(ops):
        evs.append((op.call, 0, i, True))
        evs.append((op.ret, 1, i, False))
    evs.sort(key=lambda e: (e[0], e[1], e[2]))
    head = _Node(None, False)
    calls: dict[int, _Node] = {}
    prev = head
    for _, _, i, is_call in evs:
        n = _Node(ops[i], is_call)
        if is_call:
            calls[i] = n
        else:
            calls[i].match = n
            n.match = calls[i]
        n.prev, prev.next = prev, n
        prev = n
    return head


def _lift(n: _Node) -> None:
    n.prev.next = n.next
    if n.next is not None:
        n.next.prev = n.prev
    m = n.match
    m.prev.next = m.next
    if m.next is not None:
        m.next.prev = m.prev


def _unlift(n: _Node) -> None:
    m = n.match
    m.prev.next = m
    if m.next is not None:
        m.next.prev = m
    n.prev.next = n
    if n.next is not None:
        n.next.prev = n


def check(model: Any, ops: list, max_states: int = MAX_STATES) -> Result:
    """Is ``ops`` (objects with ``req``, ``resp``, ``call``, ``ret``) linearizable under
    ``model`` (``init()``, ``step(state, req, resp) -> (ok, next)``)?"""
    ops = list(ops)
    head = _entries(ops)
    index = {id(op): i for i, op in enumerate(ops)}
    remaining = sum(1 for op in ops if op.resp is not None)
    state = model.init()
    linearized = 0
    stack: list = []
    visited: set = set()
    deepest, stuck = -1, None
    entry = head.next
    while remaining:
        if entry.is_call:
            op = entry.op
            ok, nxt = model.step(state, op.req, op.resp)
            if ok:
                bits = linearized | (1 << index[id(op)])
                key = (bits, nxt)
                if key not in visited:
                    if len(visited) >= max_states:
                        return Result(None, len(visited))
                    visited.add(key)
                    stack.append((entry, state, linearized))
                    state, linearized = nxt, bits
                    if op.resp is not None:
                        remaining -= 1
                    _lift(entry)
                    entry = head.next
                    continue
            entry = entry.next
        else:
            # A completed operation returned before we could linearize it: undo a choice.
            done = len(ops) - remaining
            if done > deepest or stuck is None:
                deepest, stuck = done, entry.op
            if not stack:
                return Result(False, len(visited), stuck)
            top, state, linearized = stack.pop()
            if top.op.resp is not None:
                remaining += 1
            _unlift(top)
            entry = top.next
    order = [e.op for e, _, _ in stack]
    return Result(True, len(visited), order=order)


def minimize(model: Any, ops: list, result: Result, max_states: int = 20_000) -> list:
    """A small non-linearizable subhistory of ``ops`` (which ``result`` found failing)."""
    stuck = result.stuck
    cut = [op for op in ops if op.call <= stuck.ret] if stuck is not None else list(ops)
    if check(model, cut, max_states).ok is not False:
        cut = list(ops)
    keep = list(cut)
    chunk = max(1, len(keep) // 2)
    while True:
        i = 0
        while i < len(keep):
            part = [o for o in keep[i:i + chunk] if o is not stuck and model.is_read(o.req)]
            trial = [o for o in keep if o not in part] if part else keep
            if part and len(trial) < len(keep) and check(model, trial, max_states).ok is False:
                keep = trial
            else:
                i += chunk
        if chunk == 1:
            return keep
        chunk //= 2
