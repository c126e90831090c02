"""Deliberately broken etcd variants — TEST-ONLY switches that prove the checker can fail.

Never used outside k8score.etcd.robustness runs that ask for them (``run(..., unsafe=...)``).
Each hook is installed on the member *instances* of one cluster (on every (re)boot, through
the member's listener hook), so no shipped code path changes:

* ``commit-without-quorum``: a leader commits an entry as soon as it has appended it itself,
  not when a quorum has (breaks etcd-io/raft raft.go maybeCommit: ``trk.Committed()``). An
  isolated or soon-to-crash leader acknowledges writes the next leader never had.
* ``stale-reads``: linearizable reads are served from the endpoint's own store with no
  ReadIndex round (breaks etcdserver v3_server.go linearizableReadLoop): a member cut off
  from the leader answers from an old state.
"""

from __future__ import annotations

from typing import Any

VARIANTS = ("commit-without-quorum", "stale-reads")


def _commit_alone(member: Any, what: str) -> None:
    if what != "restored" or member.node is None:
        return
    r = member.node.raft
    # UNSAFE (test-only): commit our own last index, no quorum needed.
    r.maybe_commit = lambda: r.log.maybe_commit(r.log.last_index(), r.term)


def install(variant: str, cluster: Any, clients: list) -> None:
    """Break ``cluster`` (and its ``clients``) the way ``variant`` says."""
    if variant == "commit-without-quorum":
        for m in cluster.members:
            m.listeners.append(_commit_alone)
            _commit_alone(m, "restored")
    elif variant == "stale-reads":
        for cli in clients:
            cli._linearize = lambda m: None   # UNSAFE (test-only): no ReadIndex
    else:
        raise ValueError(f"unknown unsafe variant {variant!r}; known: {', '.join(VARIANTS)}")
