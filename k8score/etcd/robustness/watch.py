"""The watch guarantees (etcd.io/docs/v3.6/learning/api_guarantees/#watch-apis), checked as
etcd tests/robustness/validate/watch.go checks them, on every recorded watch stream:

* **ordered** — event revisions never go down along one watch;
* **unique** — no (revision, key) event twice on one watch;
* **atomic** — the events of one revision arrive in one response, never split;
* **bookmarkable** — after a progress notification at revision R no event at R or below;
* **reliable** — between the first and the last event a watch saw, it saw every event of
  the merged event history that matches it (no gap);
* **resumable** — a watch opened at revision R gets, first, the first matching event of the
  history at R or later.

The merged event history (``merge``) puts together what all watches saw; two watches that
disagree about one revision are a violation. It is also held against the KV history
(``against_kv``): every event must come from a write a client issued, at the revision the
client was told if it was told one, and every acknowledged write inside the span the
watches covered must be in it — a watch that saw a write the KV history lost (or missed one
the KV history acknowledged) is a violation.

An event is ``(type, key, value, revision)``; each check returns a list of violation lines.
"""

from __future__ import annotations

from typing import Any


def ordered(w: Any) -> list[str]:
    last, out = 0, []
    for e in w.events():
        if e[3] < last:
            out.append(f"Ordered: {w!r} got revision {e[3]} after {last}")
        last = e[3]
    return out


def unique(w: Any) -> list[str]:
    seen, out = set(), []
    for e in w.events():
        if (e[3], e[1]) in seen:
            out.append(f"Unique: {w!r} got {e[1]!r} at revision {e[3]} twice")
        seen.add((e[3], e[1]))
    return out


def atomic(w: Any) -> list[str]:
    last, out = 0, []
    for resp in w.responses:
        events = resp[2]
        if events:
            if events[0][3] == last:
                out.append(f"Atomic: {w!r} got revision {last} split over two responses")
            last = events[-1][3]
    return out


def bookmarkable(w: Any) -> list[str]:
    mark, out = 0, []
    for resp in w.responses:
        header, events, progress = resp[1], resp[2], resp[3]
        for e in events:
            if e[3] <= mark:
                out.append(f"Bookmarkable: {w!r} got revision {e[3]} after a progress "
                           f"notification at {mark}")
        if progress:
            mark = header
    return out


def merge(watches: list) -> tuple[dict[int, tuple], list[str]]:
    """revision -> the events of that revision (every watch here sees the whole prefix)."""
    history: dict[int, tuple] = {}
    out = []
    for w in watches:
        by_rev: dict[int, list] = {}
        for e in w.events():
            by_rev.setdefault(e[3], []).append(e)
        for rev in sorted(by_rev):
            evs = tuple(by_rev[rev])
            prev = history.setdefault(rev, evs)
            if prev != evs:
                out.append(f"Watches disagree about revision {rev}: {prev} vs {w!r}: {evs}")
    return history, out


def reliable(w: Any, history: dict[int, tuple]) -> list[str]:
    evs = w.events()
    if not evs:
        return []
    want = [e for rev in sorted(history) if evs[0][3] <= rev <= evs[-1][3] for e in history[rev]]
    if evs != want:
        missing = [e for e in want if e not in evs]
        return [f"Reliable: {w!r} missed {missing[:3] or 'nothing'} between revisions "
                f"{evs[0][3]} and {evs[-1][3]}"]
    return []


def resumable(w: Any, history: dict[int, tuple]) -> list[str]:
    evs = w.events()
    later = [rev for rev in sorted(history) if rev >= w.start]
    if not evs or not later:
        return []
    first = history[later[0]][0]
    if evs[0] != first:
        return [f"Resumable: {w!r} first got {evs[0]}, the first event at or after "
                f"{w.start} is {first}"]
    return []


def _acked_revision(op: Any) -> int | None:
    """The revision a client was told its write made, or None (unknown, or changed nothing)."""
    r, kind = op.resp, op.req[0]
    if r is None or kind in ("range", "list"):
        return None
    if kind == "cas":
        return r[1] if r[0] else None
    if kind == "delete":
        return r[1] if r[0] else None
    return r[0]


def _values(req: tuple) -> list[tuple[str, str]]:
    if req[0] == "put":
        return [(req[1], req[2])]
    if req[0] == "cas":
        return [(req[1], req[3])]
    return list(req[1])


def against_kv(history: dict[int, tuple], ops: list) -> list[str]:
    """Events versus the writes clients issued (values are unique per write)."""
    writes: dict[tuple, Any] = {}
    for op in ops:
        req = op.req
        if req[0] == "put":
            writes[(req[1], req[2])] = op
        elif req[0] == "cas":
            writes[(req[1], req[3])] = op
        elif req[0] == "multi":
            for k, v in req[1]:
                writes[(k, v)] = op
    out = []
    for rev in sorted(history):
        for typ, key, value, _ in history[rev]:
            if typ != "PUT":
                continue
            op = writes.get((key, value))
            if op is None:
                out.append(f"Watch event at revision {rev} for {key}={value!r}: no client wrote it")
            elif op.resp is not None and _acked_revision(op) != rev:
                out.append(f"Watch event at revision {rev} for {key}={value!r}, "
                           f"but the client was told {op!r}")
    if history:
        lo, hi = min(history), max(history)
        for op in ops:
            rev = _acked_revision(op)
            if rev is None or not lo <= rev <= hi:
                continue
            got = {(typ, key, value) for typ, key, value, _ in history.get(rev, ())}
            if op.req[0] == "delete":
                want = {("DELETE", op.req[1], "")}
            else:
                want = {("PUT", k, v) for k, v in _values(op.req)}
            if not want <= got:
                out.append(f"Acknowledged {op!r} is missing from the watched history "
                           f"(revisions {lo}..{hi})")
    return out


def validate(watches: list, ops: list) -> list[str]:
    out: list[str] = []
    for w in watches:
        out += ordered(w) + unique(w) + atomic(w) + bookmarkable(w)
    history, disagree = merge(watches)
    out += disagree
    for w in watches:
        out += reliable(w, history) + resumable(w, history)
    return out + against_kv(history, ops)
