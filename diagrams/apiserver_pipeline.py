"""One request through kube-apiserver: authentication → authorization → admission → etcd.

Every list in the picture is read from the code, so it cannot drift:

* the authorizers, in the order the API server asks them (``APIServer.authorizers``:
  the ``system:masters`` short cut, then ``--authorization-mode=Node,RBAC``);
* the admission plugins, from the chain the API server runs
  (``k8score.apiserver.admission.default_admission_plugins``, upstream's
  ``AllOrderedPlugins`` order): the mutating phase lists the plugins that have ``admit``,
  the validating phase those that have ``validate``, each in chain order — a plugin
  that does both (LimitRanger, ServiceAccount, Priority) appears in both, as upstream.

The stages themselves (decode and default, validation, storage) are the pipeline's
(``k8score/apiserver/pipeline.py``, ``registry/store.py``); a dashed red edge from each
stage says which Status a refusal there answers with.

Run by the site build: ``render(outdir)`` writes ``apiserver_pipeline.svg`` and ``.png``.
"""

from __future__ import annotations

from pathlib import Path
from k8score.lang import tr

NAME = "apiserver_pipeline"
TITLE = tr("kube-apiserver 的请求处理链（插件列表读自 k8score 的代码）",
           "kube-apiserver's request chain (the plugin lists are read from k8score's code)")

DENY_COLOR = "#c62828"
WEBHOOK_COLOR = "#7b1fa2"


def _shared():
    from k8score.diagramgen import load

    return load(Path(__file__).with_name("_shared.py"))


def pipeline() -> dict[str, list[str]]:
    """The chain the API server really runs: ``{"authorizers": [...], "mutating": [...],
    "validating": [...]}``, each in the order the server calls them.

    Read from an API server built the way :class:`k8score.Cluster` builds one (not started:
    construction wires the authorizers and the admission chain).
    """
    from k8score.apiserver.server import APIServer
    from k8score.etcd import Store
    from k8score.sim import Loop

    api = APIServer(Loop(seed=0), Store(), seed=0)
    plugins = api.admission.plugins
    return {
        "authorizers": [getattr(a, "name", type(a).__name__) for a in api.authorizers],
        "mutating": [p.name for p in plugins if callable(getattr(p, "admit", None))],
        "validating": [p.name for p in plugins if callable(getattr(p, "validate", None))],
    }


def _numbered(names: list[str]) -> str:
    return "\n".join(f"{i}. {n}" for i, n in enumerate(names, 1))


def render(outdir: Path) -> list[Path]:
    from diagrams import Cluster, Diagram, Edge
    from diagrams.generic.blank import Blank
    from diagrams.k8s.infra import ETCD
    from diagrams.onprem.client import User

    sh = _shared()
    chain = pipeline()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)

    def box(label: str, color: str = sh.IMPLEMENTED_COLOR, fill: str = "#ffffff") -> Blank:
        return Blank(label, shape="box", style="rounded,filled", fillcolor=fill, color=color,
                     penwidth="1.6", fixedsize="false", width="3.6", height="0.6",
                     labelloc="c", image="", margin="0.2,0.12")

    graph = dict(sh.GRAPH_ATTR, ranksep="0.55", nodesep="0.6")
    with Diagram(TITLE, filename=str(outdir / NAME), outformat=list(sh.FORMATS), show=False,
                 direction="TB", graph_attr=graph, node_attr=sh.NODE_ATTR, edge_attr=sh.EDGE_ATTR):
        client = User(tr("kubectl / 控制器 / 调度器 / kubelet\n（HTTPS 请求）",
                         "kubectl / controllers / scheduler / kubelet\n(HTTPS requests)"))
        with Cluster("kube-apiserver", graph_attr={"bgcolor": "#eef3fc", "fontname": sh.FONT}):
            authn = box(tr("① 认证 Authentication\nx509 客户端证书 · Bearer token\n"
                           "ServiceAccount token · 匿名 system:anonymous\n（--as：模拟 Impersonation）",
                           "① Authentication\nx509 client certificates · Bearer token\n"
                           "ServiceAccount token · anonymous system:anonymous\n(--as: Impersonation)"))
            authz = box(tr("② 鉴权 Authorization（第一个 ALLOW/DENY 生效）\n",
                           "② Authorization (the first ALLOW/DENY decides)\n")
                        + " → ".join(chain["authorizers"]))
            decode = box(tr("③ 解码 + 默认值\n按 OpenAPI schema 严格检查类型",
                            "③ Decoding + defaults\nstrict type checks against the OpenAPI schema"))
            mutating = box(tr("④ 变更准入 Mutating admission（按顺序）\n", "④ Mutating admission (in order)\n")
                           + _numbered(chain["mutating"]),
                           fill="#f4f9f1")
            validation = box(tr("⑤ 校验 Validation\n资源的 strategy：字段、必填、不可变",
                                "⑤ Validation\nthe resource's strategy: fields, required, immutable"))
            validating = box(tr("⑥ 验证准入 Validating admission（按顺序）\n", "⑥ Validating admission (in order)\n")
                             + _numbered(chain["validating"]),
                             fill="#f4f9f1")
        etcd = ETCD(tr("⑦ 写入 etcd\n/registry/<资源>/<命名空间>/<名字>\n（dryRun=All 时跳过）",
                       "⑦ Write to etcd\n/registry/<resource>/<namespace>/<name>\n(skipped with dryRun=All)"))
        refused = box(tr("Status（请求被拒绝，什么都不写）", "Status (request refused, nothing written)"),
                      color=DENY_COLOR, fill="#fdecea")
        hooks = box(tr("Webhook 服务\nAdmissionReview 请求 / 应答", "Webhook service\nAdmissionReview request / response"),
                    color=WEBHOOK_COLOR, fill="#f6edf8")

        step = sh.edge_style(True)
        client >> Edge(**sh.edge_style(True, sh.USER_COLOR)) >> authn
        authn >> Edge(label="UserInfo{name, groups}", **step) >> authz
        authz >> Edge(**step) >> decode >> Edge(**step) >> mutating
        mutating >> Edge(**step) >> validation >> Edge(**step) >> validating
        validating >> Edge(label=tr("txn（resourceVersion 比较）", "txn (resourceVersion compare)"), **sh.edge_style(True, sh.STORAGE_COLOR)) >> etcd

        deny = {"color": DENY_COLOR, "fontcolor": DENY_COLOR, "style": "dashed", "constraint": "false"}
        for stage, code in ((authn, "401"), (authz, "403"), (decode, "400"), (mutating, "403/400"),
                            (validation, "422"), (validating, "403/400")):
            stage >> Edge(label=code, **deny) >> refused
        # invisible ranking edges: the refusal box beside decoding, the webhooks beside validation
        authz >> Edge(style="invis") >> refused
        mutating >> Edge(style="invis") >> hooks
        hook = {"color": WEBHOOK_COLOR, "fontcolor": WEBHOOK_COLOR, "style": "dotted", "constraint": "false"}
        mutating >> Edge(label="JSONPatch", **hook) >> hooks
        validating >> Edge(label="allowed?", **hook) >> hooks

    return sh.outputs(outdir, NAME)


if __name__ == "__main__":  # pragma: no cover - manual preview
    import sys

    for p in render(Path(sys.argv[1] if len(sys.argv) > 1 else "build/diagrams")):
        print(p)
