"""The live picture of an etcd cluster: members, roles, terms, logs and messages in flight.

``cluster_dot(ec)`` is Graphviz DOT for ``show(c.etcd_cluster)``: one box per member with
its raft role (leader, follower, candidate, pre-candidate; stopped or paused), term, commit
and applied index and MVCC revision; network partitions as boxes around the members that
can still talk; the messages on the wire right now as arrows labelled with their raft type
and count (``MsgApp ×2``). Pure: reads the members' and network's state, draws nothing else.
"""

from __future__ import annotations

from typing import Any

_ROLE = {"StateLeader": ("leader", "#1f8a3b"), "StateFollower": ("follower", "#326ce5"),
         "StateCandidate": ("candidate", "#c27c0e"), "StatePreCandidate": ("pre-candidate", "#c27c0e")}


def _q(text: str) -> str:
    """A DOT string literal; line breaks become DOT's centred ``\\n``."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def member_label(status: dict) -> tuple[str, str]:
    """(label, colour) of one member's box from :meth:`Member.status`."""
    if not status["running"]:
        return f"{status['name']}\nstopped", "#9e9e9e"
    role, colour = _ROLE.get(status["state"], (status["state"] or "?", "#9e9e9e"))
    if status["paused"]:
        role, colour = role + " (paused)", "#9e9e9e"
    return (f"{status['name']}\n{role} · term {status['term']}\n"
            f"commit {status['commit']} · applied {status['applied']}\nrevision {status['revision']}"), colour


def cluster_dot(ec: Any) -> str:
    statuses = {s["id"]: s for s in ec.status()}
    lines = ["digraph etcd {", '  graph [rankdir=LR, fontname="Noto Sans CJK SC", fontsize=14, nodesep=0.6];',
             '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="Noto Sans CJK SC", fontsize=14];',
             '  edge [fontname="Noto Sans CJK SC", fontsize=12];']
    groups = getattr(ec.network, "_groups", None)
    drawn = set()
    if groups:
        for i, group in enumerate(groups):
            lines.append(f'  subgraph cluster_p{i} {{ label="partition {i + 1}"; style=dashed; color="#c0392b";')
            for id_ in sorted(group, key=lambda x: statuses.get(x, {}).get("name", "")):
                if id_ in statuses:
                    label, colour = member_label(statuses[id_])
                    lines.append(f"    m{id_} [label={_q(label)}, color={_q(colour)}, penwidth=2];")
                    drawn.add(id_)
            lines.append("  }")
    for id_, st in sorted(statuses.items(), key=lambda kv: kv[1]["name"]):
        if id_ not in drawn:
            label, colour = member_label(st)
            lines.append(f"  m{id_} [label={_q(label)}, color={_q(colour)}, penwidth=2];")
    counts: dict[tuple, int] = {}
    for m in ec.network.in_flight:
        if m.from_ in statuses and m.to in statuses:
            key = (m.from_, m.to, m.type)
            counts[key] = counts.get(key, 0) + 1
    for (a, b, t), n in sorted(counts.items(), key=lambda kv: (statuses[kv[0][0]]["name"],
                                                                statuses[kv[0][1]]["name"], kv[0][2])):
        label = t + (f" ×{n}" if n > 1 else "")
        lines.append(f"  m{a} -> m{b} [label={_q(label)}];")
    lines.append("}")
    return "\n".join(lines)
