"""Graphviz DOT of a cluster's current state — the "live diagram" on the site.

A pure function of Kubernetes objects (as the API server returns them), so the
same state always draws the same picture: nodes as boxes holding their pods
(coloured by phase), Deployments -> ReplicaSets -> Pods by ownerReferences,
Services -> Endpoints -> Pods by the Endpoints' targetRefs. Pending pods that no
node has accepted yet wait in an "unscheduled" box.
"""

from __future__ import annotations

from typing import Iterable

# Phase colours (fill, border): Pending amber, Running green, Succeeded grey, Failed red.
_PHASE_STYLE = {
    "Pending": ("#fff4d6", "#c98a00"),
    "Running": ("#dcf5e3", "#1f8a3b"),
    "Succeeded": ("#ececec", "#777777"),
    "Failed": ("#fde0e0", "#c62828"),
    "Unknown": ("#eeeeee", "#555555"),
}


def _q(text: str) -> str:
    """Quote a DOT identifier or label."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _key(obj: dict) -> str:
    md = obj.get("metadata", {})
    ns = md.get("namespace")
    return f"{ns}/{md.get('name')}" if ns else md.get("name", "")


def _by_name(objs: Iterable[dict]) -> list[dict]:
    return sorted(objs, key=_key)


def _pod_status(pod: dict) -> str:
    """A short status like kubectl's STATUS column (enough for a diagram)."""
    if pod.get("metadata", {}).get("deletionTimestamp"):
        return "Terminating"
    for cs in pod.get("status", {}).get("containerStatuses", []) or []:
        waiting = (cs.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason"):
            return waiting["reason"]
    return pod.get("status", {}).get("phase", "Pending")


def cluster_dot(*, nodes: list[dict], pods: list[dict], deployments: list[dict] = (),
                replicasets: list[dict] = (), services: list[dict] = (),
                endpoints: list[dict] = (), title: str | None = None) -> str:
    """Return DOT text for the given objects.

    >>> dot = cluster_dot(nodes=[{"metadata": {"name": "node-1"}}], pods=[])
    >>> dot.startswith("digraph cluster {") and '"node:node-1"' in dot
    True
    """
    out: list[str] = ["digraph cluster {"]
    out.append('  graph [rankdir=LR, fontname="Helvetica", fontsize=11, compound=true, '
               'nodesep=0.25, ranksep=0.6' + (f", label={_q(title)}, labelloc=t" if title else "") + "];")
    out.append('  node [fontname="Helvetica", fontsize=10, shape=box, style="rounded,filled", '
               'fillcolor="#ffffff"];')
    out.append('  edge [fontname="Helvetica", fontsize=9, color="#7a7a7a"];')

    pod_ids: dict[str, str] = {}
    for pod in _by_name(pods):
        pod_ids[pod["metadata"].get("uid", _key(pod))] = "pod:" + _key(pod)

    def pod_node(pod: dict) -> str:
        phase = pod.get("status", {}).get("phase", "Pending")
        fill, border = _PHASE_STYLE.get(phase, _PHASE_STYLE["Unknown"])
        ip = pod.get("status", {}).get("podIP")
        label = pod["metadata"]["name"] + "\\n" + _pod_status(pod) + (f"\\n{ip}" if ip else "")
        return (f'    {_q("pod:" + _key(pod))} [label="{label}", fillcolor="{fill}", '
                f'color="{border}", shape=box];')

    by_node: dict[str, list[dict]] = {}
    for pod in _by_name(pods):
        by_node.setdefault(pod.get("spec", {}).get("nodeName") or "", []).append(pod)

    for node in _by_name(nodes):
        name = node["metadata"]["name"]
        ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                    for c in node.get("status", {}).get("conditions", []) or [])
        cordoned = node.get("spec", {}).get("unschedulable", False)
        state = ("Ready" if ready else "NotReady") + (",SchedulingDisabled" if cordoned else "")
        cidr = node.get("spec", {}).get("podCIDR", "")
        out.append(f"  subgraph {_q('cluster_node_' + name)} {{")
        out.append(f"    label={_q(name + '  ' + state + ('  ' + cidr if cidr else ''))}; style=rounded; "
                   f'color="{"#326ce5" if ready else "#c62828"}";')
        # an invisible anchor keeps empty nodes visible and gives edges a target
        out.append(f'    {_q("node:" + name)} [label="", shape=point, style=invis, width=0];')
        for pod in by_node.get(name, []):
            out.append(pod_node(pod))
        out.append("  }")

    unscheduled = by_node.get("", []) + [p for n, ps in by_node.items() if n and
                                         n not in {x["metadata"]["name"] for x in nodes} for p in ps]
    if unscheduled:
        out.append(f"  subgraph {_q('cluster_unscheduled')} {{")
        out.append('    label="unscheduled (Pending)"; style="rounded,dashed"; color="#c98a00";')
        for pod in unscheduled:
            out.append(pod_node(pod))
        out.append("  }")

    def owner_edges(objs: Iterable[dict], owner_prefix: str, child_prefix: str) -> None:
        for obj in _by_name(objs):
            for ref in obj["metadata"].get("ownerReferences", []) or []:
                if ref.get("controller"):
                    owner = owner_prefix + obj["metadata"].get("namespace", "") + "/" + ref["name"]
                    out.append(f"  {_q(owner)} -> {_q(child_prefix + _key(obj))};")

    for d in _by_name(deployments):
        spec, st = d.get("spec", {}), d.get("status", {})
        label = (f"Deployment\\n{d['metadata']['name']}\\n"
                 f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 1)} ready")
        out.append(f'  {_q("deploy:" + _key(d))} [label="{label}", fillcolor="#e3ecfb", color="#326ce5"];')
    for rs in _by_name(replicasets):
        spec, st = rs.get("spec", {}), rs.get("status", {})
        label = f"ReplicaSet\\n{rs['metadata']['name']}\\n{st.get('replicas', 0)}/{spec.get('replicas', 1)}"
        out.append(f'  {_q("rs:" + _key(rs))} [label="{label}", fillcolor="#eef3fc", color="#5b8def"];')
    owner_edges(replicasets, "deploy:", "rs:")
    owner_edges(pods, "rs:", "pod:")

    for svc in _by_name(services):
        ports = ",".join(str(p.get("port")) for p in svc.get("spec", {}).get("ports", []) or [])
        label = f"Service\\n{svc['metadata']['name']}\\n{svc.get('spec', {}).get('clusterIP', '')}:{ports}"
        out.append(f'  {_q("svc:" + _key(svc))} [label="{label}", shape=ellipse, '
                   f'fillcolor="#f3e8fd", color="#8e44ad"];')
    svc_keys = {_key(s) for s in services}
    for ep in _by_name(endpoints):
        if _key(ep) not in svc_keys:
            continue
        for subset in ep.get("subsets", []) or []:
            for addr in subset.get("addresses", []) or []:
                ref = addr.get("targetRef") or {}
                target = pod_ids.get(ref.get("uid", ""))
                if target:
                    out.append(f'  {_q("svc:" + _key(ep))} -> {_q(target)} [style=dashed, color="#8e44ad", '
                               f'label={_q(addr.get("ip", ""))}];')
    out.append("}")
    return "\n".join(out) + "\n"
