"""Creating a Deployment, step by step: the 7 numbered steps as edge labels.

The steps are data (:data:`STEPS`). Before drawing, each step is checked
against the component specs in ``k8score.registry``: the component named in a
step must declare (in its class) that it list+watches the resource the step
says it reacts to, and writes the resource the step says it creates. If the
code changes and a step no longer holds, rendering fails loudly instead of
drawing a stale picture. Steps done by components k8score does not run
(``implemented=False`` in the registry) are drawn grey and dashed.

Run by the site build: ``render(outdir)`` writes ``deployment_flow.svg`` and
``deployment_flow.png``.
"""

from __future__ import annotations

from pathlib import Path
from k8score.lang import tr
from typing import NamedTuple

NAME = "deployment_flow"
TITLE = tr("创建 Deployment 的 7 个步骤（每一步都经过 kube-apiserver；组件之间从不直接通信）",
           "The 7 steps of creating a Deployment (each one through kube-apiserver)")

CIRCLED = "①②③④⑤⑥⑦⑧⑨"


class Step(NamedTuple):
    n: int
    actor: str            # component name in the registry ("user" for the person with kubectl)
    reacts_to: str | None  # resource the actor list+watches that triggers the step
    writes: str | None    # resource the actor writes through the API server in this step
    text: str             # edge label (k8score.lang: read when the module is loaded)


# Labels are kept to short lines (about 24 columns): the diagram must fit a 1280 px screen's text
# column at its own size, so its 11 pt labels stay 11 px or more (tests/browser/test_reader.py).
STEPS: tuple[Step, ...] = (
    Step(1, "user", None, "deployments", "kubectl apply\nPOST …/deployments"),
    Step(2, "kube-apiserver", None, None, tr("认证 → 鉴权 → 准入 → 校验\n写入 etcd\nresourceVersion+1",
                                            "authn → authz → admission\n→ validation\nwrite to etcd\nresourceVersion+1")),
    Step(3, "kube-controller-manager", "deployments", "replicasets",
         tr("deployment 控制器\nwatch 到 Deployment\n→ 创建 ReplicaSet",
            "deployment controller\nsees the Deployment\n→ creates a ReplicaSet")),
    Step(4, "kube-controller-manager", "replicasets", "pods",
         tr("replicaset 控制器\nwatch 到 ReplicaSet\n→ 创建 Pod（nodeName 为空）",
            "replicaset controller\nsees the ReplicaSet\n→ creates Pods\n(nodeName empty)")),
    Step(5, "kube-scheduler", "pods", "pods/binding",
         tr("scheduler watch 到未调度 Pod\n→ 过滤、打分\n→ 写 pods/binding",
            "scheduler sees\nan unscheduled Pod\n→ filters, scores\n→ writes pods/binding")),
    Step(6, "kubelet", "pods", "pods/status",
         tr("kubelet watch 到本节点的 Pod\n→ 经 CRI 拉镜像、启动容器\n→ 上报 pods/status",
            "kubelet sees\nits node's Pod\n→ pulls, starts via CRI\n→ writes pods/status")),
    Step(7, "kube-proxy", "endpointslices", None,
         tr("kube-proxy watch\nService / EndpointSlice\n→ 重写本节点 iptables 规则",
            "kube-proxy watches\nService / EndpointSlice\n→ rewrites the node's\niptables rules")),
)


def _shared():
    from k8score.diagramgen import load

    return load(Path(__file__).with_name("_shared.py"))


def check_steps(specs: dict) -> list[str]:
    """Problems between :data:`STEPS` and the code's component specs (empty list: all hold)."""
    problems = []
    for step in STEPS:
        if step.actor == "user":
            continue
        spec = specs.get(step.actor)
        if spec is None:
            problems.append(f"step {step.n}: no component {step.actor!r} in k8score.registry")
            continue
        if step.reacts_to and step.reacts_to not in spec.watches:
            problems.append(f"step {step.n}: {step.actor} does not declare watches {step.reacts_to!r} "
                            f"(it watches {list(spec.watches)})")
        if step.writes and step.writes not in spec.writes:
            problems.append(f"step {step.n}: {step.actor} does not declare writes {step.writes!r} "
                            f"(it writes {list(spec.writes)})")
    return problems


def _label(step: Step) -> str:
    return f"{CIRCLED[step.n - 1]} {step.text}"


def render(outdir: Path) -> list[Path]:
    from diagrams import Cluster, Diagram, Edge
    from diagrams.k8s.compute import Deployment, Pod, ReplicaSet
    from diagrams.k8s.controlplane import APIServer, ControllerManager, Kubelet, KubeProxy, Scheduler
    from diagrams.k8s.infra import ETCD
    from diagrams.onprem.client import User
    from diagrams.onprem.container import Containerd

    sh = _shared()
    specs = sh.spec_map()
    problems = check_steps(specs)
    if problems:
        raise RuntimeError("deployment_flow is out of date with the code:\n  " + "\n  ".join(problems))
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    step = {s.n: s for s in STEPS}

    def implemented(name: str) -> bool:
        return name == "user" or specs[name].implemented

    def style(n: int, color: str = sh.IMPLEMENTED_COLOR) -> dict:
        return sh.edge_style(implemented(step[n].actor), color)

    graph = dict(sh.GRAPH_ATTR, ranksep="0.9", nodesep="0.5")
    with Diagram(TITLE, filename=str(outdir / NAME), outformat=list(sh.FORMATS), show=False,
                 direction="LR", graph_attr=graph, node_attr=sh.NODE_ATTR, edge_attr=sh.EDGE_ATTR):
        user = User(tr("用户\nkubectl", "user\nkubectl"))
        with Cluster(tr("控制平面", "control plane"), graph_attr={"bgcolor": "#eef3fc", "fontname": sh.FONT}):
            # ordering=out: etcd, then the objects in creation order, top to bottom in one column
            api = APIServer("kube-apiserver", ordering="out")
            etcd = ETCD("etcd")
            # Its controllers are named on the ③ ④ arrows (a second label line was cut at the left).
            kcm = ControllerManager("kube-controller-manager")
            sched = Scheduler("kube-scheduler")
        with Cluster(tr("etcd 中的对象 (/registry/...)", "objects in etcd (/registry/...)"), graph_attr={"bgcolor": "#f7f7f7", "fontname": sh.FONT,
                                                              "style": "dashed"}):
            d = Deployment("Deployment\nnginx-deployment")
            rs = ReplicaSet("ReplicaSet")
            pod = Pod("Pod ×3")
        with Cluster(tr("工作节点 node-N", "worker node node-N"), graph_attr={"bgcolor": "#f4f9f1", "fontname": sh.FONT}):
            kubelet = Kubelet("kubelet")
            runtime = Containerd("containerd")
            proxy = KubeProxy("kube-proxy" + ("" if implemented("kube-proxy") else tr("\n(尚未实现)", "\n(not implemented yet)")))

        user >> Edge(label=_label(step[1]), **sh.edge_style(True, sh.USER_COLOR)) >> api
        api >> Edge(label=_label(step[2]), **sh.edge_style(True, sh.STORAGE_COLOR)) >> etcd
        kcm >> Edge(label=_label(step[3]), **style(3)) >> api
        kcm >> Edge(label=_label(step[4]), **style(4)) >> api
        sched >> Edge(label=_label(step[5]), **style(5)) >> api
        kubelet >> Edge(label=_label(step[6]), **style(6)) >> api
        kubelet >> Edge(label="CRI: PullImage →\nCreateContainer → StartContainer", **style(6)) >> runtime
        # An external label (placed after layout, next to its own arrow): as a plain label it was
        # ranked between the controller-manager's arrows, away from kube-proxy's.
        proxy >> Edge(xlabel=_label(step[7]), **style(7)) >> api
        # The objects each step leaves behind, linked by ownerReferences.
        # In etcd's column, under it (stacked top to bottom): the picture stays narrow; owner
        # arrows do not constrain ranks.
        owner = {"color": "#888888", "style": "dotted", "fontcolor": "#666666", "constraint": "false"}
        d >> Edge(label="③ owns", **owner) >> rs >> Edge(label="④ owns ×3", **owner) >> pod
        for obj in (d, rs, pod):
            api >> Edge(style="invis") >> obj

    return sh.outputs(outdir, NAME)


if __name__ == "__main__":  # pragma: no cover - manual preview
    import sys

    for p in render(Path(sys.argv[1] if len(sys.argv) > 1 else "build/diagrams")):
        print(p)
