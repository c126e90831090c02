"""PodTopologySpread's Score half: ``ScheduleAnyway`` constraints and the system defaults.

``pkg/scheduler/framework/plugins/podtopologyspread/scoring.go`` (``PreScore``,
``initPreScoreState``, ``Score``, ``scoreForCount``, ``NormalizeScore``). See
:mod:`.pod_topology_spread` for the formulas and a worked example.

PreScore adds up each domain's matching pods over every node (``processAllNode``); when
every node passes the inclusion policies, those are sums the snapshot keeps across cycles
(PreFilter's, :meth:`~..nodeinfo.Snapshot.column_totals`), and Score reads the nodes'
topology values and (hostname) matching pods from snapshot columns, so a cycle costs the
scored nodes and the nodes changed since the last one, not every pod of the cluster.
"""

from __future__ import annotations

import math
from itertools import repeat
from math import floor
from operator import add, attrgetter, mul

from ..interface import MAX_NODE_SCORE
from ..status import Status
from .helper import snapshot_for
from .topology_spread_common import (COLUMN, LABEL_HOSTNAME, SCHEDULE_ANYWAY, _domain_count_fn,
                                     _inclusion_trivial, _keys_present, _label_fn, _round_half_away,
                                     _node_count_fn, _selector_key, count_matching)

_PRE_SCORE_KEY = "PreScorePodTopologySpread"
# score_nodes' scored nodes, or which of them are ignored (None: none), for normalize_score_list
_SCORED_KEY, _IGNORED_MASK_KEY = "PodTopologySpreadScored", "PodTopologySpreadIgnoredMask"
_UNSET = object()
_name = attrgetter("name")


def _nones(values: list) -> list[int]:
    """Positions of None in ``values``."""
    return [j for j, v in enumerate(values) if v is None] if None in values else []


def _score_domains(nodes, constraints, require_all: bool):
    """``initPreScoreState``: the nodes left out of scoring (require_all: a topology key
    missing) and, per constraint other than hostname, its domains among ``nodes`` (count 0;
    a node without the key is filed under "" when not require_all: it counts as a domain for
    the weight, never scores). Hostname constraints get None: Score counts per node."""
    ignored: set[str] = set()
    counts: list[dict[str, int] | None] = [None if c.key == LABEL_HOSTNAME else {} for c in constraints]
    for ni in nodes:
        labels = ni.labels
        if require_all and not _keys_present(labels, constraints):
            ignored.add(ni.name)
            continue
        for i, c in enumerate(constraints):
            m = counts[i]
            if m is not None:
                m.setdefault(labels.get(c.key, ""), 0)
    return ignored, counts


class SpreadScoring:
    """PreScore, Score and NormalizeScore of :class:`~.pod_topology_spread.PodTopologySpread`
    (which supplies ``_constraints``, ``system_defaulted`` and ``handle``)."""

    def pre_score(self, state, pod, nodes):
        constraints = self._constraints(pod, SCHEDULE_ANYWAY)
        if not constraints or not nodes:
            return Status.skip()
        require_all = bool((pod.get("spec") or {}).get("topologySpreadConstraints")) or not self.system_defaulted
        ns = (pod.get("metadata") or {}).get("namespace") or "default"
        rng = state.node_range
        if rng is not None:
            ignored, counts = self._score_domains_from_columns(rng, constraints, require_all)
        else:
            ignored, counts = _score_domains(nodes, constraints, require_all)
        weights = []
        for i, c in enumerate(constraints):
            size = len(nodes) - len(ignored) if counts[i] is None else len(counts[i])
            weights.append(math.log(size + 2))        # topologyNormalizingWeight
        if any(k for m in counts if m for k in m):   # some labelled domain to count
            trivial = _inclusion_trivial(pod, constraints)
            zoned = [(i, c, counts[i]) for i, c in enumerate(constraints) if counts[i]]
            if rng is not None and trivial:
                # every node counts: a domain's matching pods are a sum the snapshot keeps
                # across cycles (the nodes of all the pod's keys when require_all), as PreFilter's
                snap = rng[0]
                all_keys = tuple(c.key for c in constraints)
                for i, c, m in zoned:
                    keys = all_keys if require_all else (c.key,)
                    totals = snap.column_totals(
                        (COLUMN, "matching", keys, c.key, _selector_key(c.selector), ns),
                        _domain_count_fn(keys, c.key, c.selector, ns))
                    for value in m:
                        t = totals.get(value)
                        if t is not None:
                            m[value] = t[1]
            else:
                self._count_domains(pod, constraints, zoned, require_all, trivial, ns,
                                    snapshot_for(self, nodes).node_infos)
        state.write(_PRE_SCORE_KEY, (constraints, counts, weights, ignored, ns))
        return None

    @staticmethod
    def _count_domains(pod, constraints, zoned, require_all, trivial, ns, infos):
        """Add each node's matching pods to its domain of each zoned constraint (upstream's
        ``processAllNode``): the plain scan of every node."""
        for ni in infos:
            if not ni.pods:
                continue          # adds 0 to its domain: skip before reading anything
            labels = ni.labels
            if require_all and not _keys_present(labels, constraints):
                continue
            for i, c, m in zoned:
                value = labels.get(c.key)
                if value is None or value not in m:
                    continue
                if not trivial and not c.includes(pod, ni):
                    continue
                m[value] += count_matching(ni, c.selector, ns)

    @staticmethod
    def _score_domains_from_columns(rng, constraints, require_all):
        """:func:`_score_domains` of the nodes at ``rng`` (``state.node_range``), from the
        snapshot's per-node label columns."""
        snap, start, count = rng
        cols = [snap.column_range(("node-label", c.key), _label_fn(c.key), start, count)
                for c in constraints]
        ignored: set[str] = set()
        if require_all:
            missing = [j for col in cols for j in _nones(col)]
            if missing:
                names = snap.column_range("name", _name, start, count)
                ignored = {names[j] for j in missing}
                gone = set(missing)
                cols = [[v for j, v in enumerate(col) if j not in gone] for col in cols]
        counts: list[dict[str, int] | None] = []
        for c, col in zip(constraints, cols):
            if c.key == LABEL_HOSTNAME:
                counts.append(None)
                continue
            m = dict.fromkeys(col, 0)
            if None in m:             # (only without require_all) a node without the key: ""
                del m[None]
                m.setdefault("", 0)
            counts.append(m)
        return ignored, counts

    def score(self, state, pod, node_info):
        constraints, counts, weights, ignored, ns = state.get(_PRE_SCORE_KEY)
        if node_info.name in ignored:
            return 0
        labels = node_info.labels
        total = 0.0
        for i, c in enumerate(constraints):
            value = labels.get(c.key)
            if value is None:
                continue
            m = counts[i]
            cnt = count_matching(node_info, c.selector, ns) if m is None else m.get(value, 0)
            total += cnt * weights[i] + (c.max_skew - 1)     # scoreForCount
        return _round_half_away(total)

    def score_nodes(self, state, pod, nodes):
        """:meth:`score` of every node; at ``state.node_range`` the nodes' topology values and
        (hostname constraints) matching pods come from snapshot columns kept across cycles,
        and each node's sum is added up in the same order, so the floats are the same."""
        rng = state.node_range
        data = state.get(_PRE_SCORE_KEY)
        if rng is None or data is None:
            state.write(_SCORED_KEY, nodes)
            return super().score_nodes(state, pod, nodes)
        constraints, counts, weights, ignored, ns = data
        snap, start, count = rng
        totals = [0.0] * count
        missing = [False] * count if ignored else None
        for i, c in enumerate(constraints):
            values = snap.column_range(("node-label", c.key), _label_fn(c.key), start, count)
            m = counts[i]
            if m is None:
                cnts = snap.column_range((COLUMN, "node-matching", _selector_key(c.selector), ns),
                                         _node_count_fn(c.selector, ns), start, count)
            else:
                cnts = list(map(m.get, values, repeat(0)))
            w, extra = weights[i], c.max_skew - 1
            # scoreForCount, t + (n * w + extra); a node without the key adds nothing
            if None in values:
                totals = [t if v is None else t + (n * w + extra) for t, v, n in zip(totals, values, cnts)]
                if missing is not None:
                    missing = [a or v is None for a, v in zip(missing, values)]
            else:     # the same float operations in the same order, mapped in C
                totals = list(map(add, totals, map(add, map(mul, cnts, repeat(w)), repeat(extra))))
        if totals and min(totals) >= 0:
            out = list(map(floor, map(add, totals, repeat(0.5))))    # Go's math.Round of x >= 0
        else:
            out = list(map(_round_half_away, totals))
        if missing is not None:          # the ignored nodes (require_all: a key missing) score 0
            out = [0 if a else s for a, s in zip(missing, out)]
        state.write(_IGNORED_MASK_KEY, missing)
        return out

    def normalize_score_list(self, state, pod, scores):
        """:meth:`normalize_score` on the list :meth:`score_nodes` gave (no dict per cycle)."""
        if state.get(_PRE_SCORE_KEY) is None:
            return scores
        missing = state.get(_IGNORED_MASK_KEY, _UNSET)
        if missing is _UNSET:            # scored node by node: the ignored nodes by name
            by_name = dict(zip(map(_name, state.get(_SCORED_KEY)), scores))
            self.normalize_score(state, pod, by_name)
            return list(by_name.values())
        valid = scores if missing is None else [v for a, v in zip(missing, scores) if not a]
        lo, hi = (min(valid), max(valid)) if valid else (0, 0)
        if hi == 0:
            out = [MAX_NODE_SCORE] * len(scores)
        else:
            out = [MAX_NODE_SCORE * (hi + lo - v) // hi for v in scores]
        return out if missing is None else [0 if a else v for a, v in zip(missing, out)]

    def normalize_score(self, state, pod, scores):
        data = state.get(_PRE_SCORE_KEY)
        if data is None:
            return None
        ignored = data[3]
        valid = [v for k, v in scores.items() if k not in ignored]
        lo, hi = (min(valid), max(valid)) if valid else (0, 0)
        for k, v in scores.items():
            if k in ignored:
                scores[k] = 0
            elif hi == 0:
                scores[k] = MAX_NODE_SCORE
            else:
                scores[k] = MAX_NODE_SCORE * (hi + lo - v) // hi
        return None
