"""Shared plugin helpers (``pkg/scheduler/framework/plugins/helper``)."""

from __future__ import annotations


def default_normalize_score(max_priority: int, reverse: bool, scores: dict[str, int]) -> None:
    """Scale ``scores`` in place from [0, max(scores)] to [0, max_priority], integer
    division as upstream; ``reverse`` turns "more is worse" counts into scores.

    >>> s = {"a": 0, "b": 1, "c": 3}
    >>> default_normalize_score(100, False, s); s
    {'a': 0, 'b': 33, 'c': 100}
    >>> s = {"a": 0, "b": 0}
    >>> default_normalize_score(100, True, s); s     # all zero + reverse: everyone gets max
    {'a': 100, 'b': 100}
    """
    max_count = max(scores.values(), default=0)
    if max_count == 0:
        if reverse:
            for k in scores:
                scores[k] = max_priority
        return None
    for k, v in scores.items():
        v = max_priority * v // max_count
        scores[k] = max_priority - v if reverse else v
    return None
