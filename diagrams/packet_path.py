"""A packet's path through kube-proxy's iptables rules: client pod → netfilter → endpoint pod.

Read from a real small cluster, so the picture cannot drift from what k8score writes:
:func:`packet_path` boots ``Cluster(nodes=1, seed=0)`` (iptables mode), runs a 2-replica
``web`` Deployment behind a Service ``80 → targetPort http (8080)`` and a ``client`` pod, then
``c.trace("client", "10.96.0.20:80")`` — the tracer walks node-1's actual rules. Every chain the
diagram draws (``PREROUTING`` → ``KUBE-SERVICES`` → ``KUBE-SVC-<hash>`` → ``KUBE-SEP-<hash>``)
is a chain on the trace's path, and every rule shown is a rule the packet met there (the
``KUBE-SVC`` box lists the chain's jump rules from ``iptables-save``, probabilities included).

Run by the site build: ``render(outdir)`` writes ``packet_path.svg`` and ``.png``; the page
``docs/node/kube-proxy.md`` shows it. Text stays at least 11 px when the page scales the SVG
to its 748 px content width (checked in ``tests/test_pages_claims_network.py``).
"""

from __future__ import annotations

import re
from pathlib import Path
from k8score.lang import tr

NAME = "packet_path"
TITLE = tr("一个包的路径（iptables 模式，链名读自 k8score 集群的真实规则）",
           "A packet's path (iptables mode; chains read from a k8score cluster)")

#: The fixed ClusterIP and ports the example uses (the page's source example: :80 → :8080).
CLUSTER_IP = "10.96.0.20"
PORT = 80
TARGET_PORT = 8080

APP = f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: web
        image: registry.k8s.io/e2e-test-images/agnhost:2.40
        args: [netexec, --http-port={TARGET_PORT}]
        ports: [{{name: http, containerPort: {TARGET_PORT}}}]
---
apiVersion: v1
kind: Service
metadata: {{name: web}}
spec:
  selector: {{app: web}}
  clusterIP: {CLUSTER_IP}
  ports: [{{name: http, port: {PORT}, targetPort: http}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: client}}
spec:
  containers: [{{name: c, image: busybox, command: [sleep, "3600"]}}]
"""

NAT_COLOR = "#326ce5"
DNAT_COLOR = "#c62828"
POD_FILL = "#fff8e1"

_TARGET = re.compile(r"-j (\S+)")
_PROB = re.compile(r"--probability (\S+)")
_DNAT = re.compile(r"--to-destination (\S+)")


def _shared():
    from k8score.diagramgen import load

    return load(Path(__file__).with_name("_shared.py"))


def packet_path() -> dict:
    """What the diagram draws, from a fresh cluster's rules and one traced connection.

    Returns ``{"client": (pod, ip), "node", "cluster_ip", "port", "chains": [(chain, [rule, ...])],
    "svc_rules": [(probability or None, KUBE-SEP chain)], "dnat": "ip:port", "endpoint": pod}``.
    ``chains`` are the nat chains on the trace's path up to the DNAT, each with the rules the
    packet matched there. Raises ``RuntimeError`` if the path is not the one the diagram shows.
    """
    from k8score import Cluster

    c = Cluster(nodes=1, seed=0)
    c.apply(APP)
    c.run(seconds=20)
    t = c.trace("client", f"{CLUSTER_IP}:{PORT}")
    chains: list[tuple[str, list[str]]] = []
    for step in t.steps:
        if step.table != "nat" or not step.matched:
            continue
        if not chains or chains[-1][0] != step.chain:
            chains.append((step.chain, []))
        chains[-1][1].append(step.rule)
        if "DNAT" in step.rule:
            break
    names = [name for name, _ in chains]
    if (len(names) != 4 or names[:2] != ["PREROUTING", "KUBE-SERVICES"] or not names[2].startswith("KUBE-SVC-")
            or not names[3].startswith("KUBE-SEP-") or t.verdict != "ACCEPT"):
        raise RuntimeError(f"packet_path: the traced path changed: {names} ({t.summary()})")
    svc_chain = names[2]
    saved = c.ssh(t.node, "iptables-save -t nat").splitlines()
    svc_rules = []
    for line in saved:
        if line.startswith(f"-A {svc_chain} ") and "KUBE-SEP-" in line:
            prob = _PROB.search(line)
            svc_rules.append((prob.group(1) if prob else None, _TARGET.search(line).group(1)))
    client = c.get("pod", "client")
    return {"client": ("client", client["status"]["podIP"]), "node": t.node, "cluster_ip": CLUSTER_IP,
            "port": PORT, "chains": chains, "svc_rules": svc_rules, "dnat": t.dnat,
            "endpoint": t.endpoint_name.split("/", 1)[1]}


def _rule_text(rule: str) -> str:
    """The part of a rule worth printing in a box: its match and target, comment dropped."""
    rule = re.sub(r'-m comment --comment ("[^"]*"|\S+) ', "", rule)
    return re.sub(r"^-A \S+ ", "", rule)


def labels(path: dict) -> list[tuple[str, str]]:
    """``(chain, box text)`` for each netfilter box, top to bottom."""
    out = []
    for chain, rules in path["chains"]:
        if chain.startswith("KUBE-SVC-"):
            lines = []
            for prob, sep in path["svc_rules"]:
                lines.append(tr(f"概率 {prob} → {sep}", f"probability {prob} → {sep}") if prob
                             else tr(f"其余 → {sep}", f"the rest → {sep}"))
            text = f"{chain}\n" + tr("每个后端一条规则，按顺序抽签：\n", "one rule per backend, drawn in order:\n") + "\n".join(lines)
        elif chain.startswith("KUBE-SEP-"):
            text = (f"{chain}\nDNAT --to-destination {path['dnat']}\n"
                    + tr("（目的地址改写，conntrack 记住这条连接）",
                         "(destination rewritten; conntrack remembers the connection)"))
        else:
            body = "\n".join(_wrap_rule(_rule_text(r)) for r in rules)
            text = f"{chain}\n{body}"
        out.append((chain, text))
    return out


def _wrap_rule(text: str, width: int = 44) -> str:
    """Break a rule between options (an option stays with its value: ``-j KUBE-SVC-…``)."""
    words, lines, cur = re.findall(r"-{1,2}\S+(?: (?!-)\S+)*|\S+", text), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    lines.append(cur)
    return "\n".join(lines)


def render(outdir: Path) -> list[Path]:
    from diagrams import Cluster, Diagram, Edge
    from diagrams.generic.blank import Blank
    from diagrams.k8s.compute import Pod

    sh = _shared()
    path = packet_path()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)

    def box(label: str, color: str = NAT_COLOR) -> Blank:
        return Blank(label, shape="box", style="rounded,filled", fillcolor="#ffffff", color=color, penwidth="1.4",
                     fixedsize="false", width="4.6", height="0.5", labelloc="c", image="", margin="0.15,0.08")

    graph = dict(sh.GRAPH_ATTR, fontsize="16", ranksep="0.35", nodesep="0.4", pad="0.2")
    node = dict(sh.NODE_ATTR, fontsize="14")
    edge = dict(sh.EDGE_ATTR, fontsize="14")
    blue = {"color": NAT_COLOR, "fontcolor": NAT_COLOR}
    red = {"color": DNAT_COLOR, "fontcolor": DNAT_COLOR}
    client_name, client_ip = path["client"]
    with Diagram(TITLE, filename=str(outdir / NAME), outformat=list(sh.FORMATS), show=False,
                 direction="TB", graph_attr=graph, node_attr=node, edge_attr=edge):
        client = Pod(f"{client_name}\n{client_ip}")
        boxes = []
        with Cluster(tr(f"{path['node']} 的内核 netfilter：nat 表（kube-proxy 写的规则）",
                        f"{path['node']}'s kernel netfilter: nat table (rules written by kube-proxy)"),
                     graph_attr={"bgcolor": "#eef3fc", "fontname": sh.FONT, "fontsize": "14"}):
            for chain, text in labels(path):
                boxes.append(box(text, DNAT_COLOR if chain.startswith("KUBE-SEP-") else NAT_COLOR))
        with Cluster(tr("端点 Pod", "endpoint Pod"), graph_attr={"bgcolor": POD_FILL, "fontname": sh.FONT, "fontsize": "14"}):
            endpoint = Pod(f"{path['endpoint']}\n{path['dnat']}")
        client >> Edge(label=f"  TCP → {path['cluster_ip']}:{path['port']}" + tr("（ClusterIP）", " (ClusterIP)"), **blue) >> boxes[0]
        for a, b in zip(boxes, boxes[1:]):
            a >> Edge(**blue) >> b
        boxes[-1] >> Edge(label=tr(f"  目的地址已是 {path['dnat']}：\n  路由到 Pod（cni0 网桥）",
                                    f"  destination is now {path['dnat']}:\n  routed to the Pod (cni0 bridge)"), **red) >> endpoint

    return sh.outputs(outdir, NAME)


if __name__ == "__main__":  # pragma: no cover - manual preview
    import sys

    for p in render(Path(sys.argv[1] if len(sys.argv) > 1 else "build/diagrams")):
        print(p)
