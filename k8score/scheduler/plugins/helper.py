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


def default_normalize_list(max_priority: int, reverse: bool, scores: list[int]) -> list[int]:
    """:func:`default_normalize_score` of scores in a list, as a new list.

    >>> default_normalize_list(100, False, [0, 1, 3]), default_normalize_list(100, True, [0, 0])
    ([0, 33, 100], [100, 100])
    """
    max_count = max(scores, default=0)
    if max_count == 0:
        return [max_priority] * len(scores) if reverse else list(scores)
    if reverse:
        return [max_priority - max_priority * v // max_count for v in scores]
    return [max_priority * v // max_count for v in scores]


def as_selector(sel: dict | None):
    """``metav1.LabelSelectorAsSelector``: None (matches nothing) for a nil selector, a
    :class:`~k8score.api.selectors.LabelSelector` otherwise (``{}`` matches everything)."""
    if sel is None:
        return None
    from ...api.selectors import cached_label_selector
    return cached_label_selector(sel)


def with_label_values(selector, labels: dict, keys, op: str = "="):
    """``selector`` plus ``key op value`` for each of ``keys`` found in ``labels``
    (``matchLabelKeys`` uses "=", ``mismatchLabelKeys`` "!=")."""
    from ...api.selectors import LabelSelector
    extra = [(k, op, (labels[k],)) for k in keys or () if k in labels]
    if not extra:
        return selector
    base = list(selector.requirements) if selector is not None else []
    return LabelSelector(base + extra)


def selector_matches(selector, labels: dict) -> bool:
    return selector is not None and selector.matches(labels)


def snapshot_for(plugin, nodes):
    """The handle's snapshot, or (a plugin used without a scheduler: tests, what-ifs) one
    made of ``nodes``."""
    handle = plugin.handle
    snap = handle.snapshot if handle is not None else None
    if snap is None:
        from ..nodeinfo import Snapshot
        snap = Snapshot()
        snap.node_infos = list(nodes)
        snap.node_info_map = {ni.name: ni for ni in nodes}
        snap.refresh_lists()
    return snap
