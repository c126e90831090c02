"""Inside cloud-controller-manager: what each control loop watches, writes, and asks the cloud.

Read from the controller classes (``k8score.cloud.manager.CONTROLLERS``: each declares
``kind``, ``watches``, ``writes`` and ``cloud_api`` — the cloud-provider interface methods it
calls, k8s.io/cloud-provider cloud.go), so the picture follows the code. Three columns:
Kubernetes objects it list+watches (left), the controllers (middle), and on the right both the
objects it writes and the simulated cloud's resources behind the interface it calls.

Run by the site build: ``render(outdir)`` writes ``cloud_controllers.svg`` and ``.png``.
"""

from __future__ import annotations

from pathlib import Path
from k8score.lang import tr

NAME = "cloud_controllers"
TITLE = tr("cloud-controller-manager 内部：每个控制循环 watch 什么、写什么、调用云的哪些接口",
           "Inside cloud-controller-manager: what each loop watches, writes and calls")

#: cloud-provider interface -> the simulated cloud's resource it manages
_CLOUD_RESOURCE = {"InstancesV2": tr("虚拟机 (machines)", "machines"), "LoadBalancer": tr("负载均衡器", "load balancers"),
                   "Routes": tr("VPC 路由表", "VPC route table")}


def _shared():
    from k8score.diagramgen import load

    return load(Path(__file__).with_name("_shared.py"))


def controller_table() -> list[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]]:
    """``[(kind, watches, writes, cloud_api)]`` of every cloud-controller-manager loop, in start order."""
    from k8score.cloud.manager import CONTROLLERS

    return [(c.kind, tuple(c.watches), tuple(c.writes), tuple(c.cloud_api)) for c in CONTROLLERS.values()]


def _base(resource: str) -> str:
    return resource.split("/", 1)[0]


def render(outdir: Path) -> list[Path]:
    from diagrams import Cluster, Diagram, Edge
    from diagrams.generic.compute import Rack
    from diagrams.generic.network import Router
    from diagrams.k8s.controlplane import CCM
    from diagrams.k8s.infra import Node
    from diagrams.k8s.network import Service
    from diagrams.onprem.network import Internet

    sh = _shared()
    table = controller_table()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    icons = {"nodes": Node, "services": Service}
    cloud_icons = {"InstancesV2": Rack, "LoadBalancer": Internet, "Routes": Router}

    # text at least 11 px when the picture is shown 1,000 px wide (tests/browser/test_reader.py)
    graph = dict(sh.GRAPH_ATTR, ranksep="1.2", nodesep="0.4", fontsize="22")
    node_attr = dict(sh.NODE_ATTR, fontsize="17")
    edge_attr = dict(sh.EDGE_ATTR, fontsize="16")
    with Diagram(TITLE, filename=str(outdir / NAME), outformat=list(sh.FORMATS), show=False,
                 direction="LR", graph_attr=graph, node_attr=node_attr, edge_attr=edge_attr):
        watched = list(dict.fromkeys(r for _, ws, _, _ in table for r in ws))
        written = list(dict.fromkeys(_base(r) for _, _, wr, _ in table for r in wr if _base(r) != "events"))
        with Cluster(tr("list+watch（经 API Server）", "list+watch (through the API server)"),
                     graph_attr={"bgcolor": "#f7f7f7", "fontname": sh.FONT, "fontsize": "16"}):
            left = {r: icons[r](r) for r in watched}
        with Cluster("cloud-controller-manager",
                     graph_attr={"bgcolor": "#eef3fc", "fontname": sh.FONT, "fontsize": "16"}):
            mid = {kind: CCM(kind.replace("-controller", "")) for kind, _, _, _ in table}
        with Cluster(tr("写入（经 API Server）", "writes (through the API server)"),
                     graph_attr={"bgcolor": "#f4f9f1", "fontname": sh.FONT, "fontsize": "16"}):
            right = {}
            for r in written:
                subs = sorted({w.split("/", 1)[1] for _, _, wr, _ in table for w in wr
                               if "/" in w and _base(w) == r})
                right[r] = icons[r](r + "".join(f"\n(+{s})" for s in subs))
        interfaces = list(dict.fromkeys(api.split(".")[0] for _, _, _, apis in table for api in apis))
        with Cluster(tr("模拟云 k8score.cloud（cloud-provider 接口）", "simulated cloud k8score.cloud (cloud-provider interface)"),
                     graph_attr={"bgcolor": "#fdf6e8", "fontname": sh.FONT, "fontsize": "16"}):
            cloud = {i: cloud_icons[i](f"{i}\n{_CLOUD_RESOURCE[i]}") for i in interfaces}

        watch_style = {"color": sh.IMPLEMENTED_COLOR, "style": "dashed"}
        write_style = {"color": "#1f8a3b", "style": "solid"}
        cloud_style = {"color": "#c27c0e", "style": "bold"}
        for kind, watches, writes, apis in table:
            for r in watches:
                left[r] >> Edge(**watch_style) >> mid[kind]
            for r in dict.fromkeys(_base(w) for w in writes):
                if r in right:
                    mid[kind] >> Edge(**write_style) >> right[r]
            for iface in dict.fromkeys(a.split(".")[0] for a in apis):
                methods = [a.split(".", 1)[1] for a in apis if a.startswith(iface + ".")]
                mid[kind] >> Edge(label="\n".join(methods), fontsize="16", **cloud_style) >> cloud[iface]

    return sh.outputs(outdir, NAME)


if __name__ == "__main__":  # pragma: no cover - manual preview
    import sys

    for p in render(Path(sys.argv[1] if len(sys.argv) > 1 else "build/diagrams")):
        print(p)
