"""kubelet ↔ CRI ↔ container runtime: who does what on a node.

Read from the code, so the picture cannot drift from what k8score runs:

* the **CRI RPCs** — the public methods of :class:`k8score.cri.RuntimeBase` and its mixins
  (``run_pod_sandbox`` → ``RunPodSandbox``), kept only when upstream's ``api.proto`` has an RPC
  of that name (helpers such as ``forbid_image`` are not RPCs) and split into the two gRPC
  services as upstream does (:data:`IMAGE_SERVICE`);
* the **kubelet's parts** (:data:`KUBELET_PARTS`) — each names the attribute a
  :class:`k8score.kubelet.Kubelet` holds and the class it must be; :func:`check_parts` refuses
  to draw a part the code no longer has;
* the **runtime flavours** (``k8score.cri.FLAVOURS``: name and version), the pause image,
  the pod log root and the kubelet's port.

Run by the site build: ``render(outdir)`` writes ``kubelet_cri.svg`` and ``.png``.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from k8score.lang import tr

NAME = "kubelet_cri"
TITLE = tr("kubelet ↔ CRI ↔ 容器运行时（RPC 列表读自 k8score 的代码）",
           "kubelet ↔ CRI ↔ container runtime (the RPC list is read from k8score's code)")

#: k8s.io/cri-api pkg/apis/runtime/v1/api.proto ``service ImageService`` (all of its RPCs but
#: the newer streaming ``StreamImages``); every other RPC belongs to ``service RuntimeService``.
IMAGE_SERVICE = ("ListImages", "ImageStatus", "PullImage", "RemoveImage", "ImageFsInfo")
#: k8s.io/cri-api pkg/apis/runtime/v1/api.proto ``service RuntimeService`` (the unary RPCs).
RUNTIME_SERVICE = (
    "Version", "RunPodSandbox", "StopPodSandbox", "RemovePodSandbox", "PodSandboxStatus", "ListPodSandbox",
    "CreateContainer", "StartContainer", "StopContainer", "RemoveContainer", "ListContainers",
    "ContainerStatus", "UpdateContainerResources", "ReopenContainerLog", "ExecSync", "Exec", "Attach",
    "PortForward", "ContainerStats", "ListContainerStats", "PodSandboxStats", "ListPodSandboxStats",
    "UpdateRuntimeConfig", "Status", "CheckpointContainer", "GetContainerEvents", "ListMetricDescriptors",
    "ListPodSandboxMetrics", "RuntimeConfig", "UpdatePodSandboxResources",
)

#: (Kubelet attribute, the class it holds, label). The PLEG is not an attribute: the kubelet
#: subscribes to the runtime's container events (``get_container_events``), checked apart.
KUBELET_PARTS = (
    ("workers", "PodWorkers", tr("pod workers：每个 Pod 一个 SyncPod", "pod workers: one SyncPod per Pod")),
    (None, "GetContainerEvents", tr("PLEG：订阅运行时的容器事件", "PLEG: subscribes to the runtime's container events")),
    ("prober", "ProbeManager", tr("prober：liveness / readiness / startup", "prober: liveness / readiness / startup")),
    ("static_pods", "StaticPodSource", tr("静态 Pod：/etc/kubernetes/manifests", "static Pods: /etc/kubernetes/manifests")),
    ("eviction", "EvictionManager", tr("驱逐：memory.available < 100Mi", "eviction: memory.available < 100Mi")),
    ("server", "KubeletServer", tr(":{port} 服务：logs / exec", ":{port} server: logs / exec")),
)

BOX_COLOR = "#326ce5"
RUNTIME_FILL = "#f4f9f1"
LOG_COLOR = "#6d4c41"


def _shared():
    from k8score.diagramgen import load

    return load(Path(__file__).with_name("_shared.py"))


def rpc_name(method: str) -> str:
    """``run_pod_sandbox`` → ``RunPodSandbox`` (the gRPC method the snake_case name stands for)."""
    return "".join(part[:1].upper() + part[1:] for part in method.split("_"))


def cri_rpcs() -> dict[str, list[str]]:
    """``{"RuntimeService": [...], "ImageService": [...]}``: the RPCs the runtime implements
    (public methods of RuntimeBase and its mixins), in ``api.proto``'s order."""
    from k8score.cri import RuntimeBase

    known = set(RUNTIME_SERVICE) | set(IMAGE_SERVICE)
    out: dict[str, list[str]] = {"RuntimeService": [], "ImageService": []}
    for cls in RuntimeBase.__mro__:
        for name, value in vars(cls).items():
            if name.startswith("_") or not inspect.isfunction(value):
                continue
            rpc = rpc_name(name)
            if rpc in known:
                service = "ImageService" if rpc in IMAGE_SERVICE else "RuntimeService"
                if rpc not in out[service]:
                    out[service].append(rpc)
    order = {rpc: i for i, rpc in enumerate(RUNTIME_SERVICE + IMAGE_SERVICE)}
    return {service: sorted(names, key=order.__getitem__) for service, names in out.items()}


def check_parts() -> list[str]:
    """Problems between :data:`KUBELET_PARTS` and the kubelet's code (empty list: all hold)."""
    from k8score.kubelet import kubelet as mod
    from k8score.sim import Loop

    kubelet = mod.Kubelet(Loop(seed=0), None, "node-1")
    problems = []
    for attr, cls, _ in KUBELET_PARTS:
        if attr is None:
            if "get_container_events" not in inspect.getsource(mod.Kubelet):
                problems.append("the kubelet no longer subscribes to get_container_events (PLEG)")
            continue
        value = getattr(kubelet, attr, "missing")
        declared = getattr(mod, cls, None)
        if value == "missing" or declared is None:
            problems.append(f"Kubelet has no {attr!r} of class {cls}")
        elif value is not None and type(value).__name__ != cls:
            problems.append(f"Kubelet.{attr} is a {type(value).__name__}, not {cls}")
    return problems


def _wrap(names: list[str], per_line: int) -> str:
    rows = [", ".join(names[i:i + per_line]) for i in range(0, len(names), per_line)]
    return ",\n".join(rows)


def render(outdir: Path) -> list[Path]:
    from diagrams import Cluster, Diagram, Edge
    from diagrams.generic.blank import Blank
    from diagrams.k8s.compute import Pod
    from diagrams.k8s.controlplane import Kubelet

    from k8score.cri import FLAVOURS, PAUSE_IMAGE
    from k8score.cri.logs import POD_LOGS_ROOT
    from k8score.kubelet.server import KUBELET_PORT

    sh = _shared()
    problems = check_parts()
    if problems:
        raise RuntimeError("kubelet_cri is out of date with the code:\n  " + "\n  ".join(problems))
    rpcs = cri_rpcs()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)

    def box(label: str, color: str = BOX_COLOR, fill: str = "#ffffff", width: str = "2.6") -> Blank:
        return Blank(label, shape="box", style="rounded,filled", fillcolor=fill, color=color, penwidth="1.4",
                     fixedsize="false", width=width, height="0.5", labelloc="c", image="",
                     margin="0.15,0.08")

    parts = "\n".join(label.format(port=KUBELET_PORT) for _, _, label in KUBELET_PARTS)
    containerd, crio = FLAVOURS["containerd"], FLAVOURS["cri-o"]

    graph = dict(sh.GRAPH_ATTR, fontsize="16", ranksep="0.5", nodesep="0.4", pad="0.2")
    node = dict(sh.NODE_ATTR, fontsize="13")
    edge = dict(sh.EDGE_ATTR, fontsize="12")
    cri = sh.edge_style(True)
    logs_style = {"color": LOG_COLOR, "fontcolor": LOG_COLOR}
    with Diagram(TITLE, filename=str(outdir / NAME), outformat=list(sh.FORMATS), show=False,
                 direction="TB", graph_attr=graph, node_attr=node, edge_attr=edge):
        with Cluster(tr("kubelet（每个节点一个）", "kubelet (one per node)"), graph_attr={"bgcolor": "#eef3fc", "fontname": sh.FONT}):
            Kubelet("kubelet")
            kubelet = box(parts, width="3.4")
        with Cluster(tr(f"高层运行时：containerd {containerd.NODE_VERSION}（CRI 插件）/ CRI-O {crio.NODE_VERSION}",
                        f"high-level runtime: containerd {containerd.NODE_VERSION} (CRI plugin) / "
                        f"CRI-O {crio.NODE_VERSION}"),
                     graph_attr={"bgcolor": RUNTIME_FILL, "fontname": sh.FONT}):
            rsvc = box("RuntimeService\n" + _wrap(rpcs["RuntimeService"], 3), width="4.2")
            isvc = box("ImageService\n" + _wrap(rpcs["ImageService"], 1), width="1.6")
        oci = box(tr("OCI 运行时：runc（containerd）/ crun（CRI-O）\n"
                     "建 namespace、cgroup，exec 容器的 PID 1 → Linux 内核",
                     "OCI runtime: runc (containerd) / crun (CRI-O)\n"
                     "makes namespaces, cgroups, execs the container's PID 1 → Linux kernel"), width="4.2")
        with Cluster(tr("Pod 沙箱：一个网络命名空间 + CNI 分配的 IP",
                        "Pod sandbox: one network namespace + the IP CNI allocated"),
                     graph_attr={"bgcolor": "#fff8e1", "fontname": sh.FONT}):
            pause = Pod(tr("pause 容器", "pause container") + f"\n{PAUSE_IMAGE.rsplit('/', 1)[-1]}")
            ctrs = box(tr("业务容器 = 进程\n（共享沙箱的 IP）", "app containers = processes\n(sharing the sandbox's IP)"),
                       width="2.0")
        logs = box(f"{POD_LOGS_ROOT}/<ns>_<pod>_<uid>/<{tr('容器', 'container')}>/0.log\n"
                   "2026-01-01T00:00:07Z stdout F hello", color=LOG_COLOR, width="3.4")

        kubelet >> Edge(label=tr("CRI：gRPC（unix socket）", "CRI: gRPC (unix socket)"), **cri) >> rsvc
        kubelet >> Edge(label="PullImage", **cri) >> isvc
        rsvc >> Edge(label="RunPodSandbox\nCreate/StartContainer", **cri) >> oci
        oci >> Edge(**cri) >> pause
        oci >> Edge(**cri) >> ctrs
        ctrs >> Edge(label=tr("stdout/stderr（运行时写）", "stdout/stderr (written by the runtime)"), **logs_style) >> logs
        logs >> Edge(label=tr(f"kubectl logs：\nAPI server →\nkubelet :{KUBELET_PORT}\n读这个文件",
                              f"kubectl logs:\nAPI server →\nkubelet :{KUBELET_PORT}\nreads this file"), style="dotted",
                     constraint="false", **logs_style) >> kubelet

    return sh.outputs(outdir, NAME)


if __name__ == "__main__":  # pragma: no cover - manual preview
    import sys

    for p in render(Path(sys.argv[1] if len(sys.argv) > 1 else "build/diagrams")):
        print(p)
