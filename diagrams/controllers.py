"""Inside kube-controller-manager: which resources each controller watches and writes.

Read from the controller classes themselves (``k8score.controllers.manager.CONTROLLERS``:
each class declares ``kind``, ``watches`` and ``writes`` next to its informers and API
calls), so adding a controller or an informer changes the picture. Drawn as three
columns: resources the controllers list+watch (left), the controllers (middle),
resources they write (right); subresources such as ``pods/status`` are drawn on their
resource with the subresource in the label.

Run by the site build: ``render(outdir)`` writes ``controllers.svg`` and ``controllers.png``.
"""

from __future__ import annotations

from pathlib import Path

NAME = "controllers"
TITLE = "kube-controller-manager 内部：每个控制器 watch 什么（左）、写什么（右）"


def _shared():
    from k8score.diagramgen import load

    return load(Path(__file__).with_name("_shared.py"))


def _icon(resource: str):
    """The icon class for a resource; resources without a Kubernetes icon get a plain rounded box."""
    from diagrams.generic.blank import Blank
    from diagrams.k8s.compute import Deployment, Pod, ReplicaSet
    from diagrams.k8s.group import Namespace
    from diagrams.k8s.infra import Node
    from diagrams.k8s.network import Endpoint, Service
    from diagrams.k8s.rbac import ServiceAccount

    return {
        "deployments": Deployment, "replicasets": ReplicaSet, "pods": Pod, "services": Service,
        "endpoints": Endpoint, "namespaces": Namespace, "serviceaccounts": ServiceAccount, "nodes": Node,
    }.get(resource) or (lambda label: Blank(label, shape="box", style="rounded", width="1.3", height="0.5",
                                                  labelloc="c", fixedsize="true", imagescale="false"))


def controller_table() -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """``[(kind, watches, writes)]`` of every controller kube-controller-manager runs, in start order."""
    from k8score.controllers.manager import CONTROLLERS

    return [(cls.kind, tuple(cls.watches), tuple(cls.writes)) for cls in CONTROLLERS.values()]


def _base(resource: str) -> str:
    return resource.split("/", 1)[0]


def render(outdir: Path) -> list[Path]:
    from diagrams import Cluster, Diagram, Edge
    from diagrams.k8s.controlplane import ControllerManager

    sh = _shared()
    table = controller_table()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)

    watched = list(dict.fromkeys(r for _, ws, _ in table for r in ws))
    written = list(dict.fromkeys(_base(r) for _, _, wr in table for r in wr))

    graph = dict(sh.GRAPH_ATTR, ranksep="2.2", nodesep="0.35")
    with Diagram(TITLE, filename=str(outdir / NAME), outformat=list(sh.FORMATS), show=False,
                 direction="LR", graph_attr=graph, node_attr=sh.NODE_ATTR, edge_attr=sh.EDGE_ATTR):
        with Cluster("list+watch（经 API Server）", graph_attr={"bgcolor": "#f7f7f7", "fontname": sh.FONT}):
            left = {r: _icon(r)(r) for r in watched}
        with Cluster("kube-controller-manager", graph_attr={"bgcolor": "#eef3fc", "fontname": sh.FONT}):
            mid = {kind: ControllerManager(kind) for kind, _, _ in table}
        with Cluster("写入（经 API Server）", graph_attr={"bgcolor": "#f4f9f1", "fontname": sh.FONT}):
            right = {}
            for r in written:
                subs = sorted({w.split("/", 1)[1] for _, _, wr in table for w in wr if "/" in w and _base(w) == r})
                label = r + ("".join(f"\n(+{s})" for s in subs))
                right[r] = _icon(r)(label)

        watch_style = {"color": sh.IMPLEMENTED_COLOR, "style": "dashed"}
        write_style = {"color": "#1f8a3b", "style": "solid"}
        for kind, watches, writes in table:
            for r in watches:
                left[r] >> Edge(**watch_style) >> mid[kind]
            for r in dict.fromkeys(_base(w) for w in writes):
                mid[kind] >> Edge(**write_style) >> right[r]

    return sh.outputs(outdir, NAME)


if __name__ == "__main__":  # pragma: no cover - manual preview
    import sys

    for p in render(Path(sys.argv[1] if len(sys.argv) > 1 else "build/diagrams")):
        print(p)
