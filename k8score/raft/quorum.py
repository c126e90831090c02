"""Majority quorums: the committed index and vote results.

Mirrors ``etcd-io/raft`` ``quorum/majority.go`` (joint quorums are not implemented: changes
are one at a time, see ``confchange.py``).

>>> committed_index([1, 2, 3], {1: 5, 2: 3, 3: 1})   # the middle of three match indexes
3
>>> vote_result([1, 2, 3], {1: True, 2: False})
'VotePending'
>>> vote_result([1, 2, 3], {1: True, 3: True})
'VoteWon'
"""

from __future__ import annotations

VotePending = "VotePending"
VoteLost = "VoteLost"
VoteWon = "VoteWon"

_MAX = (1 << 64) - 1  # math.MaxUint64: an empty config commits everything (majority.go)


def committed_index(voters, match: dict) -> int:
    """The largest index a majority of ``voters`` has acknowledged (majority.go
    CommittedIndex). Voters missing from ``match`` count as 0."""
    if not voters:
        return _MAX
    srt = sorted((match.get(v, 0) for v in voters), reverse=True)
    return srt[len(srt) // 2]


def vote_result(voters, votes: dict) -> str:
    """majority.go VoteResult: won with a majority of yes, lost once that is impossible."""
    if not voters:
        return VoteWon  # by convention, as upstream
    yes = sum(1 for v in voters if votes.get(v) is True)
    missing = sum(1 for v in voters if v not in votes)
    q = len(voters) // 2 + 1
    if yes >= q:
        return VoteWon
    if yes + missing >= q:
        return VotePending
    return VoteLost
