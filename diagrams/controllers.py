"""Inside kube-controller-manager: which resources each controller watches and writes.

Read from the controller classes themselves (``k8score.controllers.manager.CONTROLLERS``:
each class declares ``kind``, ``watches`` and ``writes`` next to its informers and API
calls), so adding a controller or an informer changes the picture.

Laid out for reading at page width (issue 13: text >= 11 px at a 1280 px viewport): the ~27
controllers are grouped by family (:data:`FAMILIES`: workloads, nodes, storage, networking,
cluster housekeeping) in two top-aligned columns of one table; each controller is one row, ``watch: ...`` above
``write: ...``, its arrows written out as text rather than drawn as crossing lines. Labels are
bilingual (the page exists in Chinese and English; resource names are the API's). Subresources
fold into their resource (``pods (+status)``); a controller that writes exactly what it
watches (the garbage collector) gets one line. A controller not in :data:`FAMILIES` still
appears, under housekeeping.

Run by the site build: ``render(outdir)`` writes ``controllers.svg`` and ``controllers.png``
(plain Graphviz DOT with HTML-like table labels, rendered by ``dot``).
"""

from __future__ import annotations

import subprocess
from html import escape
from pathlib import Path
from k8score.lang import tr

NAME = "controllers"
TITLE = tr("kube-controller-manager：每个控制器 watch 什么、写什么 / what each controller watches and writes",
           "kube-controller-manager: what each controller watches and writes")

#: family -> (heading, header colour, controller kinds). Grouped as the upstream code is
#: (kubernetes/kubernetes cmd/kube-controller-manager/app/: apps.go, batch.go, core.go,
#: discovery.go, autoscaling.go, policy.go, rbac.go, certificates.go).
FAMILIES = {
    "workloads": (tr("工作负载 workloads（apps / batch / autoscaling / policy）", "workloads (apps / batch / autoscaling / policy)"), "#dfe9fb", (
        "deployment-controller", "replicaset-controller", "replication-controller",
        "statefulset-controller", "daemonset-controller", "job-controller", "cronjob-controller",
        "ttl-after-finished-controller", "disruption-controller", "horizontal-pod-autoscaler")),
    "networking": (tr("网络 networking（Service 的后端 / Service backends）", "networking (Service backends)"), "#efe3fb", (
        "endpoints-controller", "endpointslice-controller", "endpointslicemirroring-controller")),
    "nodes": (tr("节点 nodes", "nodes"), "#fdebd3", (
        "node-ipam-controller", "node-lifecycle-controller", "taint-eviction-controller",
        "pod-garbage-collector-controller")),
    "storage": (tr("存储 storage", "storage"), "#dff3e4", (
        "persistentvolume-controller", "pvc-protection-controller", "pv-protection-controller",
        "attachdetach-controller")),
    "others": (tr("集群杂务 housekeeping（namespaces, accounts, quota, RBAC, GC）", "housekeeping (namespaces, accounts, quota, RBAC, GC)"), "#ececec", (
        "namespace-controller", "garbage-collector", "serviceaccount-controller",
        "root-ca-cert-publisher", "resourcequota-controller", "clusterrole-aggregation-controller")),
}
#: The two columns, balanced by row count.
COLUMNS = (("workloads", "networking"), ("nodes", "storage", "others"))
FONT_PT = 13
WRAP = 40   # characters per line of a watch/write list


def _shared():
    from k8score.diagramgen import load

    return load(Path(__file__).with_name("_shared.py"))


def controller_table() -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """``[(kind, watches, writes)]`` of every controller kube-controller-manager runs, in start order."""
    from k8score.controllers.manager import CONTROLLERS

    return [(cls.kind, tuple(cls.watches), tuple(cls.writes)) for cls in CONTROLLERS.values()]


def _base(resource: str) -> str:
    return resource.split("/", 1)[0]


def folded(resources: tuple[str, ...]) -> list[str]:
    """``("pods", "pods/status", "events")`` -> ``["pods (+status)", "events"]``; ``*`` is spelt out."""
    subs: dict[str, list[str]] = {}
    for r in resources:
        subs.setdefault(_base(r), [])
        if "/" in r:
            subs[_base(r)].append(r.split("/", 1)[1])
    out = []
    for base, extra in subs.items():
        name = "* (everything in the namespace)" if base == "*" else base
        out.append(name + (f" (+{', '.join(extra)})" if extra else ""))
    return out


def _wrap(prefix: str, items: list[str]) -> list[str]:
    """``prefix`` then ``items`` joined by ", ", cut into lines of about :data:`WRAP` characters."""
    lines, line = [], prefix
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if len(line) + 1 + len(piece) > WRAP and line.strip():
            lines.append(line)
            line = "    " + piece
        else:
            line = (line + " " + piece) if line else piece
    lines.append(line)
    return lines


def row_lines(watches: tuple[str, ...], writes: tuple[str, ...]) -> list[str]:
    """The text of one controller's row: what it watches, then what it writes."""
    if [_base(w) for w in writes] == list(watches):
        return _wrap("watch + write:", folded(writes))
    return _wrap("watch:", folded(watches)) + _wrap("write:", folded(writes) or ["—"])


def family_of(kind: str) -> str:
    for family, (_, _, kinds) in FAMILIES.items():
        if kind in kinds:
            return family
    return "others"


def _column_label(families: tuple[str, ...], by_family: dict) -> str:
    rows = ['<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" COLOR="#b8c4d6">']
    for family in families:
        heading, colour, _ = FAMILIES[family]
        rows.append(f'<TR><TD COLSPAN="2" BGCOLOR="{colour}" ALIGN="LEFT"><B>{escape(heading)}</B></TD></TR>')
        for kind, watches, writes in by_family.get(family, []):
            text = '<BR ALIGN="LEFT"/>'.join(escape(line) for line in row_lines(watches, writes))
            rows.append(f'<TR><TD ALIGN="LEFT" VALIGN="TOP"><B>{escape(kind)}</B></TD>'
                        f'<TD ALIGN="LEFT" BALIGN="LEFT">{text}<BR ALIGN="LEFT"/></TD></TR>')
    rows.append("</TABLE>")
    return "".join(rows)


def dot_source() -> str:
    """The diagram's DOT text (two table-shaped nodes side by side under a title)."""
    sh = _shared()
    by_family: dict[str, list] = {}
    for kind, watches, writes in controller_table():
        by_family.setdefault(family_of(kind), []).append((kind, watches, writes))
    for family, (_, _, kinds) in FAMILIES.items():   # the families' order, new kinds last
        by_family.get(family, []).sort(key=lambda row: kinds.index(row[0]) if row[0] in kinds else len(kinds))
    # one node: the two columns in an outer table, both aligned at the top
    cells = "".join(f'<TD VALIGN="TOP">{_column_label(families, by_family)}</TD>' for families in COLUMNS)
    out = ["digraph controllers {",
           f'  graph [fontname="{sh.FONT}", fontsize=16, label="{TITLE}", labelloc=t, pad=0.2];',
           f'  node [shape=plaintext, fontname="{sh.FONT}", fontsize={FONT_PT}, margin=0];',
           f'  controllers [label=<<TABLE BORDER="0" CELLSPACING="14" CELLPADDING="0"><TR>{cells}</TR></TABLE>>];',
           "}"]
    return "\n".join(out) + "\n"


def render(outdir: Path) -> list[Path]:
    sh = _shared()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    dot = dot_source()
    for fmt in sh.FORMATS:
        subprocess.run(["dot", f"-T{fmt}", "-Gdpi=96" if fmt == "png" else "-Gdpi=72",
                        "-o", str(outdir / f"{NAME}.{fmt}")], input=dot.encode("utf-8"), check=True)
    return sh.outputs(outdir, NAME)


if __name__ == "__main__":  # pragma: no cover - manual preview
    import sys

    for p in render(Path(sys.argv[1] if len(sys.argv) > 1 else "build/diagrams")):
        print(p)
