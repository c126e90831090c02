"""The whole architecture: control plane, worker nodes, and who talks to whom.

Every component box and every edge comes from ``k8score.registry.specs()``:
a component that list+watches resources through the API server gets an arrow
to ``kube-apiserver`` labelled with exactly the resources its class declares
(``watches`` / ``writes``); a component whose spec says ``talks_to="kubelet"``
(the container runtime) hangs off the kubelet; only the API server has an arrow
to etcd. Components k8score does not run yet (``implemented=False``) are drawn
grey and dashed, so the picture never claims more than the code does.

Run by the site build: ``render(outdir)`` writes ``architecture.svg`` and
``architecture.png``.
"""

from __future__ import annotations

from pathlib import Path
from k8score.lang import tr

NAME = "architecture"
TITLE = tr("Kubernetes 架构：控制平面与工作节点（箭头 = 谁发起连接；标签 = list+watch / 写入的资源）",
           "Kubernetes architecture\n(arrow = who connects; label = resources list+watched / written)")
# One worker node stands for all (every node runs the same agents): with two side by side the
# picture was 2,356 px wide and its labels about 5 px on a 1280 px screen.
WORKER_NODES = ("node-1 … node-N",)


def _shared():
    from k8score.diagramgen import load

    return load(Path(__file__).with_name("_shared.py"))


def _icon(name: str):
    """The Kubernetes icon class for a component name (generic box for anything new)."""
    from diagrams.generic.blank import Blank
    from diagrams.k8s.controlplane import CCM, APIServer, ControllerManager, Kubelet, KubeProxy, Scheduler
    from diagrams.k8s.infra import ETCD
    from diagrams.onprem.container import Containerd

    return {
        "kube-apiserver": APIServer,
        "etcd": ETCD,
        "kube-scheduler": Scheduler,
        "kube-controller-manager": ControllerManager,
        "cloud-controller-manager": CCM,
        "kubelet": Kubelet,
        "kube-proxy": KubeProxy,
        "container-runtime": Containerd,
    }.get(name, Blank)


# Short roles under the names (the spec's summary is a full sentence; it goes in the page text).
# A diagram module is loaded afresh for each render (k8score.diagramgen.load), so module-level
# texts are read in that render's language (k8score.lang).
_ROLE = {
    "kube-apiserver": tr("集群唯一入口", "the only entry\npoint"),
    "etcd": tr("集群状态存储", "cluster state store"),
    "kube-scheduler": tr("为 Pod 选节点", "picks nodes\nfor Pods"),
    "kube-controller-manager": tr("控制循环", "control loops"),
    "cloud-controller-manager": tr("对接云平台（可选）", "cloud integration\n(optional)"),
    "kubelet": tr("节点代理", "node agent"),
    "kube-proxy": tr("Service 转发规则", "Service rules"),
    "container-runtime": "containerd (CRI)",
}


# A component touching more resources than this names what it watches but counts what it writes:
# the controller-manager's full lists (about 50 names) made this overview too wide to read; its
# page (and diagrams/controllers.py) lists them per controller.
MAX_NAMED = 12


def _api_edge_label(spec) -> str:
    sh = _shared()
    if len(spec.watches) + len(spec.writes) > MAX_NAMED:
        return sh.resources_label("list+watch", spec.watches, per_line=2) + tr(
            f"\n写: {len(spec.writes)} 种资源（见其页面）", f"\nwrites: {len(spec.writes)} resources\n(see its page)")
    # English "writes: " is wider than "写: ": its list starts on the next line (a narrower picture)
    writes = sh.resources_label(tr("写", "writes"), spec.writes).replace("writes: ", "writes:\n", 1)
    parts = [sh.resources_label("list+watch", spec.watches), writes]
    return "\n".join(p for p in parts if p)


def render(outdir: Path) -> list[Path]:
    from diagrams import Cluster, Diagram, Edge
    from diagrams.k8s.compute import Pod
    from diagrams.onprem.client import User

    sh = _shared()
    specs = sh.spec_map()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    api_name = "kube-apiserver"

    def make(spec):
        extra = {} if spec.implemented else {"fontcolor": sh.FUTURE_COLOR}
        return _icon(spec.name)(sh.node_label(spec, _ROLE.get(spec.name)), **extra)

    with Diagram(TITLE, filename=str(outdir / NAME), outformat=list(sh.FORMATS), show=False,
                 direction="TB", graph_attr=sh.GRAPH_ATTR, node_attr=dict(sh.NODE_ATTR, fontsize="14"),
                 edge_attr=dict(sh.EDGE_ATTR, fontsize="14")):
        user = User(tr("用户 / CI\nkubectl", "user / CI\nkubectl"))

        boxes: dict[str, object] = {}
        # cluster titles 15 (graphviz's default 12 would be 10.4 px at a 1280 px viewport)
        with Cluster(tr("控制平面 (control plane)", "control plane"),
                     graph_attr={"bgcolor": "#eef3fc", "fontname": sh.FONT, "fontsize": "15"}):
            for spec in specs.values():
                if spec.plane == "control-plane":
                    boxes[spec.name] = make(spec)

        node_boxes: list[dict[str, object]] = []
        for node_name in WORKER_NODES:
            with Cluster(tr(f"工作节点 (worker node) {node_name}", f"worker node {node_name}"),
                         graph_attr={"bgcolor": "#f4f9f1", "fontname": sh.FONT, "fontsize": "15"}):
                here = {s.name: make(s) for s in specs.values() if s.plane == "node"}
                here["_pods"] = Pod("Pods")
                node_boxes.append(here)

        api = boxes[api_name]
        user >> Edge(label=tr("HTTPS REST\n(认证→鉴权→准入)", "HTTPS REST\n(authn→authz\n→admission)"), **sh.edge_style(True, sh.USER_COLOR)) >> api

        for spec in specs.values():
            if spec.plane != "control-plane" or spec.name == api_name:
                continue
            if spec.talks_to == api_name:
                boxes[spec.name] >> Edge(label=_api_edge_label(spec), **sh.edge_style(spec.implemented)) >> api
        # Only the API server holds the store (etcd's spec talks to no one; it is talked to).
        if "etcd" in boxes:
            api >> Edge(label=tr("gRPC: Range / Txn / Watch\n(只有 API Server 访问 etcd)",
                                  "gRPC: Range / Txn / Watch\n(only the API server\ntalks to etcd)"),
                        **sh.edge_style(True, sh.STORAGE_COLOR)) >> boxes["etcd"]

        for i, here in enumerate(node_boxes):
            first = i == 0
            if "etcd" in boxes:  # the node below the control plane, not beside it: a narrow picture
                for agent in ("kubelet", "kube-proxy"):
                    if agent in here:
                        boxes["etcd"] >> Edge(style="invis") >> here[agent]
            for spec in specs.values():
                if spec.plane != "node":
                    continue
                label_on = first
                if spec.talks_to == api_name:
                    # `api << edge << agent`: the arrow still points at the API server (the agent
                    # opens the connection) but Graphviz ranks the nodes below the control plane.
                    api << Edge(label=_api_edge_label(spec) if label_on else "",
                                **sh.edge_style(spec.implemented)) << here[spec.name]
                elif spec.talks_to in here:
                    here[spec.talks_to] >> Edge(label="CRI (gRPC)" if label_on else "",
                                                **sh.edge_style(spec.implemented)) >> here[spec.name]
            proxy = specs.get("kube-proxy")
            if proxy is not None and proxy.plane == "node":
                # kube-proxy's output is not an API object but the node's packet rules.
                here["kube-proxy"] >> Edge(label=tr("iptables 规则:\nClusterIP → DNAT 到 Pod",
                                                 "iptables rules:\nClusterIP → DNAT to a Pod") if first else "",
                                           **dict(sh.edge_style(proxy.implemented), style="dotted")) >> here["_pods"]
            runtime = next((s for s in specs.values() if s.talks_to == "kubelet"), None)
            if runtime is not None:
                here[runtime.name] >> Edge(label=tr("创建/启动容器", "create/start containers") if first else "",
                                           **sh.edge_style(runtime.implemented)) >> here["_pods"]

    return sh.outputs(outdir, NAME)


if __name__ == "__main__":  # pragma: no cover - manual preview
    import sys

    for p in render(Path(sys.argv[1] if len(sys.argv) > 1 else "build/diagrams")):
        print(p)
