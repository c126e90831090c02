"""Why did the scheduler put this pod there? A record of each attempt, and a readable table.

The scheduler keeps the diagnosis of every attempt (which nodes each Filter
plugin rejected and why, every Score plugin's raw and normalized score, the
weights, the totals, the tie-break). :class:`AttemptRecord` turns it into plain
data; :func:`format_explanation` prints it. Plugin names and reasons stay in
upstream English so they match ``kubectl describe`` and the Kubernetes docs; the
table's own labels follow :mod:`k8score.lang` (Chinese by default, below; English
with ``set_language("en")``: ``scheduling attempt 1``, ``result:``, ``node  filter ... total``).

>>> print(scheduler.explain_text("web-1"))            # doctest: +SKIP
Pod default/web-1  第 1 次调度尝试  t=2026-01-01T00:00:05Z
结果: Scheduled -> node-2
原因: highest total score 485, shared by node-1, node-2, node-3; node-2 was drawn by the seeded tie-break (selectHost)
检查的节点: 3/3 (起始下标 0, 找到 3 个可行节点即停止), 可行节点 3
节点     过滤    TT×3   Fit×1  BA×1   总分
 node-1  passed  0→100  92→92  93→93  485
*node-2  passed  0→100  92→92  93→93  485
 node-3  passed  0→100  92→92  93→93  485
列: TT = TaintToleration ×3, Fit = NodeResourcesFit ×1,
    BA = NodeResourcesBalancedAllocation ×1
    单元格: 原始分→归一化分; 总分 = Σ 归一化分 × 权重
"""

from __future__ import annotations

from typing import Any

from ..sim.clock import rfc3339
from .algorithm import FitError, NoNodesAvailable, ScheduleResult, SchedulingError
from ..lang import tr
from ..textwidth import ljust, width as text_width

SCHEDULED, UNSCHEDULABLE, ERROR = "Scheduled", "Unschedulable", "Error"


class AttemptRecord:
    """One scheduling attempt of one pod, as plain data (see :meth:`to_dict`)."""

    def __init__(self, pod_key: str, time: float, attempt: int, cycle: int,
                 weights: dict[str, int], num_all_nodes: int,
                 result: ScheduleResult | None = None, error: Exception | None = None):
        self.pod_key = pod_key
        self.time = time
        self.attempt = attempt
        self.cycle = cycle
        self.weights = dict(weights)
        self.num_all_nodes = num_all_nodes
        self._result = result
        self._error = error
        #: set by :meth:`failed_after_decision` when Reserve/Permit/Bind fails
        self.binding_error = ""
        self._binding_rejected = False
        #: node freed for this pod by preemption (PostFilter), if any
        self.nominated_node = ""

    def failed_after_decision(self, message: str, rejected: bool) -> None:
        """The node was chosen but a later step failed; ``rejected``: a plugin said no
        (Unschedulable) rather than erring."""
        self.binding_error = message
        self._binding_rejected = rejected

    # -- summary -----------------------------------------------------------------
    @property
    def outcome(self) -> str:
        if self._result is not None:
            if not self.binding_error:
                return SCHEDULED
            return UNSCHEDULABLE if self._binding_rejected else ERROR
        if isinstance(self._error, (FitError, NoNodesAvailable)):
            return UNSCHEDULABLE
        return ERROR

    @property
    def node(self) -> str | None:
        return self._result.suggested_host if self._result is not None else None

    @property
    def message(self) -> str:
        if self.binding_error:
            return self.binding_error
        if self._error is not None:
            return str(self._error)
        return ""

    @property
    def why(self) -> str:
        """One sentence: why this node (or why none)."""
        r = self._result
        if r is None:
            return self.message
        if r.diagnosis.used_nominated_node:
            return (f"{r.suggested_host} is the pod's nominatedNodeName (freed by preemption) and passed "
                    f"every Filter plugin; it is tried first (evaluateNominatedNode)")
        if r.scores is None:
            return f"only {r.suggested_host} passed every Filter plugin, so scoring was skipped"
        top = max(ns.total for ns in r.scores)
        if len(r.tie) > 1:
            return (f"highest total score {top}, shared by {', '.join(r.tie)}; "
                    f"{r.suggested_host} was drawn by the seeded tie-break (selectHost)")
        return f"highest total score {top} among {r.feasible_nodes} feasible nodes"

    @property
    def score_plugins(self) -> list[str]:
        r = self._result
        if r is None or not r.scores:
            return []
        return [ps.plugin for ps in r.scores[0].scores]

    def nodes(self) -> list[dict[str, Any]]:
        """One row per evaluated node, in the order the scheduler examined them."""
        d = self._diagnosis()
        if d is None:
            return []
        rows: list[dict[str, Any]] = []
        scores = {ns.name: ns for ns in (self._result.scores or [])} if self._result else {}
        feasible = set(d.feasible)
        order = d.evaluated
        for name in order:
            row: dict[str, Any] = {"node": name}
            if name in feasible:
                row["filter"] = "passed"
                ns = scores.get(name)
                if ns is not None:
                    row["scores"] = {ps.plugin: {"raw": ps.raw, "normalized": ps.normalized,
                                                 "weight": ps.weight, "weighted": ps.weighted}
                                     for ps in ns.scores}
                    row["total"] = ns.total
            else:
                s = d.node_to_status[name]
                row["filter"] = "rejected"
                row["plugin"] = s.plugin
                row["code"] = str(s.code)
                row["reasons"] = list(s.reasons)
            row["chosen"] = name == self.node and self.outcome == SCHEDULED
            rows.append(row)
        return rows

    def to_dict(self) -> dict[str, Any]:
        d = self._diagnosis()
        return {
            "pod": self.pod_key, "time": self.time, "attempt": self.attempt, "cycle": self.cycle,
            "outcome": self.outcome, "node": self.node, "why": self.why, "message": self.message,
            "nominatedNode": self.nominated_node,
            "numAllNodes": self.num_all_nodes,
            "evaluatedNodes": (len(d.node_to_status) + len(d.feasible)) if d else 0,
            "feasibleNodes": len(d.feasible) if d else 0,
            "numFeasibleNodesToFind": d.num_to_find if d else 0,
            "startIndex": d.start_index if d else 0,
            "weights": {p: self.weights.get(p, 1) for p in self.score_plugins},
            "nodes": self.nodes(),
        }

    def _diagnosis(self):
        if self._result is not None:
            return self._result.diagnosis
        if isinstance(self._error, FitError):
            return self._error.diagnosis
        return None

    def __str__(self) -> str:
        """The readable table, so ``print(scheduler.explain(key))`` shows the decision."""
        return format_explanation(self)

    def __repr__(self) -> str:
        return f"<AttemptRecord {self.pod_key} #{self.attempt} {self.outcome} {self.node or ''}>"


def record_for(pod_key: str, time: float, attempt: int, cycle: int, weights: dict[str, int],
               num_all_nodes: int, outcome: ScheduleResult | Exception) -> AttemptRecord:
    if isinstance(outcome, ScheduleResult):
        return AttemptRecord(pod_key, time, attempt, cycle, weights, num_all_nodes, result=outcome)
    if not isinstance(outcome, (FitError, NoNodesAvailable, SchedulingError)):
        raise TypeError(f"unexpected outcome {outcome!r}")
    return AttemptRecord(pod_key, time, attempt, cycle, weights, num_all_nodes, error=outcome)


# -- text rendering ---------------------------------------------------------------

#: Short column headers, so the table fits a page (~80 columns) with every default plugin.
PLUGIN_ABBREVIATIONS = {
    "TaintToleration": "TT", "NodeAffinity": "NA", "NodeResourcesFit": "Fit",
    "PodTopologySpread": "PTS", "InterPodAffinity": "IPA", "NodeResourcesBalancedAllocation": "BA",
    "ImageLocality": "IL", "VolumeBinding": "VB",
}


def abbreviate(plugin: str) -> str:
    """The column header of a Score plugin: a known short name, else its capitals
    (``MyZoneScore`` -> ``MZS``), else the name itself."""
    known = PLUGIN_ABBREVIATIONS.get(plugin)
    if known:
        return known
    caps = "".join(ch for ch in plugin if ch.isupper())
    return caps if len(caps) >= 2 else plugin


def format_explanation(record: AttemptRecord | dict, max_rows: int = 50) -> str:
    """A fixed-width table: one row per examined node, one column per Score plugin.

    Columns carry short plugin names (``TT×3`` is TaintToleration with weight 3; the legend
    under the table spells them out). Score cells read ``raw→normalized``; the total is
    the sum of normalized × weight. A rejected node's row shows the rejecting plugin and
    reason instead of scores. The chosen node is marked ``*``.
    """
    d = record.to_dict() if isinstance(record, AttemptRecord) else record
    attempt = tr(f"第 {d['attempt']} 次调度尝试", f"scheduling attempt {d['attempt']}")
    lines = [f"Pod {d['pod']}  {attempt}  t={rfc3339(d['time'])}"]
    result = tr("结果", "result")
    if d["outcome"] == SCHEDULED:
        lines.append(f"{result}: Scheduled -> {d['node']}")
        lines.append(f"{tr('原因', 'why')}: {d['why']}")
    else:
        lines.append(f"{result}: {d['outcome']}")
        lines.append(f"{tr('消息', 'message')}: {d['message']}")
        if d.get("nominatedNode"):
            lines.append(tr(f"抢占: 已驱逐低优先级 Pod，提名节点 (nominatedNodeName) {d['nominatedNode']}",
                            f"preemption: lower-priority Pods evicted, nominated node (nominatedNodeName) "
                            f"{d['nominatedNode']}"))
    evaluated, find = f"{d['evaluatedNodes']}/{d['numAllNodes']}", d["numFeasibleNodesToFind"]
    lines.append(tr(f"检查的节点: {evaluated} (起始下标 {d['startIndex']}, 找到 {find} 个可行节点即停止), "
                    f"可行节点 {d['feasibleNodes']}",
                    f"nodes checked: {evaluated} (start index {d['startIndex']}, stop at {find} feasible nodes), "
                    f"feasible nodes {d['feasibleNodes']}"))
    rows = d["nodes"]
    if not rows:
        return "\n".join(lines)
    plugins = list(d["weights"])
    header = ([tr("节点", "node"), tr("过滤", "filter")] + [f"{abbreviate(p)}×{d['weights'][p]}" for p in plugins]
              + ([tr("总分", "total")] if plugins else []))
    table = [header]
    rejected: list[bool] = [False]
    for row in rows[:max_rows]:
        mark = "*" if row.get("chosen") else " "
        if row["filter"] == "passed":
            cells = [f"{mark}{row['node']}", "passed"]
            sc = row.get("scores") or {}
            for p in plugins:
                c = sc.get(p)
                cells.append(f"{c['raw']}→{c['normalized']}" if c else "-")
            if plugins:
                cells.append(str(row.get("total", "-")) if sc else "-")
            rejected.append(False)
        else:
            # the reason runs on past the score columns instead of widening them
            cells = [f"{mark}{row['node']}", f"{row['plugin']}: {', '.join(row['reasons'])}"]
            rejected.append(True)
        table.append(cells)
    widths = [max([text_width(r[i]) for r, rej in zip(table, rejected)
                   if i < len(r) and not (rej and i == len(r) - 1)] or [0]) for i in range(len(header))]
    for r in table:
        lines.append("  ".join(ljust(c, widths[i]) for i, c in enumerate(r)).rstrip())
    if len(rows) > max_rows:
        lines.append(f"... {len(rows) - max_rows} more nodes")
    if plugins:
        # the legend, wrapped at ~80 columns like the table; continuation lines and the
        # cells line start under the first entry (the label's width in columns, not in len)
        entries = [f"{abbreviate(p)} = {p} ×{d['weights'][p]}" for p in plugins]
        label = tr("列:", "columns:")
        indent = " " * text_width(label)
        line = label
        for e in entries:
            if text_width(line) + 1 + text_width(e) > 80:
                lines.append(line.rstrip(","))
                line = indent
            line += f" {e},"
        lines.append(line.rstrip(","))
        lines.append(indent + " " + tr("单元格: 原始分→归一化分; 总分 = Σ 归一化分 × 权重",
                                       "cells: raw→normalized; total = Σ normalized × weight"))
    return "\n".join(lines)
