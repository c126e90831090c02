"""Drawing a recorded history (:mod:`k8score.history`): one DOT per frame, and the time slider.

:func:`frame_dot` draws a :class:`~k8score.history.Frame` as the live diagram does
(:mod:`k8score.livediagram`: nodes as boxes holding their pods, coloured by phase; owners to the
left; Services to their ready endpoints) and adds what a timeline needs: StatefulSets,
DaemonSets and Jobs as owners, each owner's image (a rolling update shows two ReplicaSets with
two images), a pod's READY column, a thick border on a Ready pod and a dotted edge to a Service's
not-ready endpoint. Text is 12 pt or more so a frame stays legible when the page scales it down.

:class:`TimelineView` is what ``show()`` draws with a slider: the frames to show (identical
pictures merged, at most ``max_frames``), and the event log up to each.
"""

from __future__ import annotations

from html import escape

from .history import Frame
from .livediagram import _PHASE_STYLE, _q

_OWNER_STYLE = {   # (prefix, fill, border)
    "Deployment": ("deploy", "#e3ecfb", "#326ce5"),
    "StatefulSet": ("sts", "#e3ecfb", "#326ce5"),
    "DaemonSet": ("ds", "#e3ecfb", "#326ce5"),
    "Job": ("job", "#e3ecfb", "#326ce5"),
    "ReplicaSet": ("rs", "#eef3fc", "#5b8def"),
}
_OWNER_RESOURCES = (("deployments", "Deployment"), ("statefulsets", "StatefulSet"),
                    ("daemonsets", "DaemonSet"), ("jobs", "Job"), ("replicasets", "ReplicaSet"))


def _owner_id(kind: str, name: str, ns: str = "") -> str:
    return f"{_OWNER_STYLE[kind][0]}:{ns}/{name}"


def _box(box_id: str, heading: str, colour: str, pods: list[dict], ports: dict[str, str]) -> str:
    """One machine (or the unscheduled pods) as a single table-shaped node: its heading, then a
    cell per pod (port ``p<i>``, recorded in ``ports`` for the edges). One node per machine, not a
    cluster, so the machines keep their order in every frame (see the chain in frame_dot)."""
    rows = [f'<TR><TD ALIGN="LEFT"><B>{escape(heading)}</B></TD></TR>']
    for i, p in enumerate(pods):
        fill, border = _PHASE_STYLE.get(p["phase"], _PHASE_STYLE["Unknown"])
        ports[_pod_id(p)] = f'{_q(box_id)}:"p{i}"'
        rows.append(f'<TR><TD PORT="p{i}" BGCOLOR="{fill}" COLOR="{border}" BORDER="{2 if p["podReady"] else 1}" '
                    f'STYLE="rounded">{escape(p["name"])}<BR/>{escape(p["status"] + " " + p["ready"])}</TD></TR>')
    return (f'  {_q(box_id)} [shape=plain, label=<<TABLE BORDER="1" STYLE="rounded" COLOR="{colour}" '
            f'CELLBORDER="0" CELLSPACING="5" CELLPADDING="3">{"".join(rows)}</TABLE>>];')


def _pod_id(p: dict) -> str:
    return f"pod:{p.get('ns', '')}/{p['name']}"


def frame_dot(frame: Frame, title: str | None = None) -> str:
    """DOT text of ``frame`` (deterministic: objects in key order)."""
    out = ["digraph frame {"]
    out.append('  graph [rankdir=LR, fontname="Helvetica", fontsize=13, nodesep=0.2, ranksep=0.5'
               + (f", label={_q(title)}, labelloc=t, labeljust=l" if title else "") + "];")
    out.append('  node [fontname="Helvetica", fontsize=12, shape=box, style="rounded,filled", '
               'fillcolor="#ffffff", margin="0.08,0.04"];')
    out.append('  edge [color="#7a7a7a", arrowsize=0.6];')
    pods = frame.items("pods")
    node_names = [n["name"] for n in frame.items("nodes")]
    by_node: dict[str, list[dict]] = {}
    for p in pods:
        by_node.setdefault(p["node"] if p["node"] in node_names else "", []).append(p)
    ports: dict[str, str] = {}   # pod id -> "box":"port"
    boxes = []
    for n in frame.items("nodes"):
        state = ("Ready" if n["ready"] else "NotReady") + (",SchedulingDisabled" if n["cordoned"] else "")
        boxes.append("node:" + n["name"])
        out.append(_box(boxes[-1], f'{n["name"]}  {state}', "#326ce5" if n["ready"] else "#c62828",
                        by_node.get(n["name"], []), ports))
    if by_node.get(""):
        boxes.append("unscheduled")
        out.append(_box("unscheduled", "unscheduled (Pending)", "#c98a00", by_node[""], ports))
    # The machines in one column, in name order: same rank, chained by invisible edges.
    if boxes:
        out.append("  { rank=same; " + "; ".join(_q(b) for b in boxes) + "; }")
    for a, b in zip(boxes, boxes[1:]):
        out.append(f"  {_q(a)} -> {_q(b)} [style=invis];")

    drawn: set[str] = set()
    for resource, kind in _OWNER_RESOURCES:
        _, fill, border = _OWNER_STYLE[kind]
        for o in frame.items(resource):
            label = f'{kind} {o["name"]}\\n{o.get("image", "")}\\n{o["ready"]}/{o["replicas"]} ' + (
                "succeeded" if kind == "Job" else "ready")
            oid = _owner_id(kind, o["name"], o.get("ns", ""))
            drawn.add(oid)
            out.append(f'  {_q(oid)} [label="{label}", fillcolor="{fill}", color="{border}"];')
    for resource in ("replicasets", "pods"):
        for o in frame.items(resource):
            owner = _owner_id(*o["owner"], o.get("ns", "")) if o.get("owner") else None
            if owner in drawn:
                child = _q(_owner_id("ReplicaSet", o["name"], o.get("ns", ""))) if resource == "replicasets" \
                    else ports[_pod_id(o)] + ":w"
                out.append(f"  {_q(owner)} -> {child};")

    uids = {p["uid"]: ports[_pod_id(p)] + ":w" for p in pods}
    eps = {(e.get("ns", ""), e["name"]): e for e in frame.items("endpoints")}
    for s in frame.items("services"):
        if not s.get("selector"):   # `kubernetes` and other selector-less Services: no pods to draw
            continue
        label = f'Service {s["name"]}\\n{s["clusterIP"]}:{s["ports"]}'
        sid = f'svc:{s.get("ns", "")}/{s["name"]}'
        out.append(f'  {_q(sid)} [label="{label}", shape=ellipse, fillcolor="#f3e8fd", '
                   f'color="#8e44ad"];')
        ep = eps.get((s.get("ns", ""), s["name"])) or {"ready": [], "notReady": []}
        for uid in ep["ready"]:
            if uid in uids:
                out.append(f'  {_q(sid)} -> {uids[uid]} [color="#8e44ad", style=dashed];')
        for uid in ep["notReady"]:
            if uid in uids:
                out.append(f'  {_q(sid)} -> {uids[uid]} [color="#bbbbbb", style=dotted];')
    out.append("}")
    return "\n".join(out) + "\n"


def _event_line(entry: tuple, t0: float) -> str:
    t, comp, text = entry
    return f"+{t - t0:7.3f}s  {comp:<22} {text}"


class TimelineView:
    """Frames to scrub through: ``show(view)`` draws a slider; ``print(view)`` lists the frames.

    Consecutive frames that draw the same picture are merged (the later time wins only if the
    event log grew, so no event is hidden). More than ``max_frames`` left: the first and the last
    stay and the rest are picked evenly across the others, so a long quiet stretch costs nothing.
    """

    def __init__(self, frames: list[Frame], max_frames: int = 60, title: str | None = None):
        if max_frames < 2:
            raise ValueError("max_frames must be at least 2")
        self.title = title
        self.t0 = frames[0].t if frames else 0.0
        kept: list[tuple[Frame, str]] = []
        for f in frames:
            dot = f.dot()
            if kept and kept[-1][1] == dot:
                kept[-1] = (kept[-1][0], dot) if len(f.events) == len(kept[-1][0].events) else (f, dot)
                continue
            kept.append((f, dot))
        if len(kept) > max_frames:
            inner = kept[1:-1]
            step = len(inner) / (max_frames - 2)
            kept = [kept[0]] + [inner[int(i * step)] for i in range(max_frames - 2)] + [kept[-1]]
        self.frames = [f for f, _ in kept]
        self._dots = [d for _, d in kept]

    def __len__(self) -> int:
        return len(self.frames)

    def caption(self, i: int) -> str:
        """What the slider says at frame ``i``: its number and virtual time."""
        f = self.frames[i]
        return f"frame {i + 1}/{len(self.frames)}  t = +{f.t - self.t0:.3f} s  (virtual time {f.t:.3f} s)"

    def events_text(self, i: int) -> str:
        """The event log up to frame ``i``, one line per Event (times relative to the first frame)."""
        return "".join(_event_line(e, self.t0) + "\n" for e in self.frames[i].events)

    def display_segment(self) -> dict:
        """What ``show()`` hands the page: every frame's DOT and the event log, once."""
        events = list(self.frames[-1].events) if self.frames else []
        return {
            "kind": "timeline",
            "title": self.title or "",
            "frames": [{"t": round(f.t - self.t0, 6), "dot": d, "events": len(f.events),
                        "caption": self.caption(i)} for i, (f, d) in enumerate(zip(self.frames, self._dots))],
            "events": [_event_line(e, self.t0) for e in events],
        }

    def __str__(self) -> str:
        return "\n".join(f"{self.caption(i)}  {f.summary()}" for i, f in enumerate(self.frames))
