"""Patch the unknown outcomes the watches settle, before the linearizability search.

As etcd tests/robustness/validate/patch_history.go (``patchLinearizableOperations``): a
write whose client got an error may or may not have happened, and each such write doubles
the search. Values are unique per write, so the watch event history says which did:

* a failed write whose value a watch saw *was persisted*, at that event's revision: its
  response becomes ``("persisted", revision)`` (the model requires it to make exactly that
  revision) and it must have taken effect before the watch delivered the event (its return
  point moves there, ``putReturnTime``);
* a failed write no watch saw was *not persisted* and is removed — only when the watches
  saw every revision from 2 to the last one clients observed (their completeness is what
  the watch checks verify), otherwise it stays unknown;
* failed deletes of one key are the same request, so the DELETE events of that key that no
  acknowledged delete explains are matched to them in call order (the earliest called
  takes the earliest event: with open-ended windows that order loses no valid match) and
  the rest, which changed nothing, are removed — with complete watches; else they stay
  unknown.

Upstream reads persisted requests from the members' WALs; here the watches are the witness,
so a wrong watch stream cannot hide a violation: the watch checks flag it.
"""

from __future__ import annotations

from .history import Operation


def _values(req: tuple) -> list[tuple[str, str]]:
    if req[0] == "put":
        return [(req[1], req[2])]
    if req[0] == "cas":
        return [(req[1], req[3])]
    if req[0] == "multi":
        return list(req[1])
    return []


def patch(ops: list, watches: list, last_revision: int) -> list:
    """The operations to check: ``ops`` with unknown writes settled by ``watches`` where they
    can be; ``last_revision`` is the highest revision a client observed."""
    seen: dict[tuple, tuple[int, int]] = {}      # (key, value) -> (revision, seq delivered)
    revs: set = set()
    deletes: dict[str, dict] = {}                 # key -> {revision: seq delivered}
    for w in watches:
        for r in w.responses:
            for typ, key, value, rev in r[2]:
                revs.add(rev)
                if typ == "PUT":
                    first = seen.get((key, value))
                    if first is None or r[4] < first[1]:
                        seen[(key, value)] = (rev, r[4])
                else:
                    d = deletes.setdefault(key, {})
                    d[rev] = min(d.get(rev, r[4]), r[4])
    complete = all(rev in revs for rev in range(2, last_revision + 1))
    acked_deletes: dict[str, set] = {}
    for op in ops:
        if op.req[0] == "delete" and op.resp is not None and op.resp[0]:
            acked_deletes.setdefault(op.req[1], set()).add(op.resp[1])
    # key -> unexplained (revision, seq) DELETE events, earliest first
    pending = {k: sorted((rev, seq) for rev, seq in d.items()
                         if rev not in acked_deletes.get(k, set())) for k, d in deletes.items()}
    out = []
    for op in ops:
        if op.resp is not None:
            out.append(op)
            continue
        if op.req[0] == "delete":
            if not complete:
                out.append(op)
                continue
            todo = pending.get(op.req[1], [])
            for j, (rev, seq) in enumerate(todo):
                ret = 2.0 * (seq + 1) + 1.5
                if ret > op.call:           # only an event after its call can be its effect
                    del todo[j]
                    out.append(Operation(op.id, op.client, op.req, ("persisted", rev), op.call,
                                         min(op.ret, ret), op.at, op.error))
                    break
            continue
        hits = [seen[kv] for kv in _values(op.req) if kv in seen]
        if not hits:
            if not complete:
                out.append(op)
            continue
        rev = hits[0][0]
        seq = min(h[1] for h in hits)
        # Delivered while request seq+1 was in progress: applied before that one returned.
        ret = min(op.ret, 2.0 * (seq + 1) + 1.5)
        out.append(Operation(op.id, op.client, op.req, ("persisted", rev), op.call, ret,
                             op.at, op.error))
    return out
