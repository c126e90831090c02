"""``kubectl describe node``: conditions, capacity, system info, and what runs there."""

from __future__ import annotations

from fractions import Fraction

from ..api.quantity import BINARY_SI, DECIMAL_SI, Quantity, parse_quantity
from .columns import node_roles
from .describe_blocks import Writer, meta_of, write_events, write_header, write_taints
from .timefmt import rfc1123z, since


def _pct(q: Fraction, total: Fraction) -> int:
    return int(q * 100 / total) if total else 0


def _pod_totals(pod: dict) -> tuple[dict[str, Fraction], dict[str, Fraction]]:
    # resourcehelper.PodRequestsAndLimits: containers summed, init containers as a max
    req: dict[str, Fraction] = {}
    lim: dict[str, Fraction] = {}
    spec = pod.get("spec") or {}
    for c in spec.get("containers") or ():
        for part, acc in (("requests", req), ("limits", lim)):
            for k, v in ((c.get("resources") or {}).get(part) or {}).items():
                acc[k] = acc.get(k, Fraction(0)) + parse_quantity(v).value
    for c in spec.get("initContainers") or ():
        for part, acc in (("requests", req), ("limits", lim)):
            for k, v in ((c.get("resources") or {}).get(part) or {}).items():
                acc[k] = max(acc.get(k, Fraction(0)), parse_quantity(v).value)
    return req, lim


def _qty(value: Fraction, name: str) -> str:
    if not value:
        return "0"
    fmt = BINARY_SI if name in ("memory", "ephemeral-storage") or name.startswith("hugepages-") else DECIMAL_SI
    return Quantity(value, fmt).canonical()


def describe_node(node: dict, pods: list[dict], lease: dict | None, events: list[dict] | None,
                  now: float) -> str:
    meta, spec, st = meta_of(node), node.get("spec") or {}, node.get("status") or {}
    w = Writer()
    write_header(w, meta, [("Roles", ",".join(node_roles(node)) or "<none>")], namespaced=False)
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    write_taints(w, spec.get("taints"))
    w.write(0, f"Unschedulable:\t{'true' if spec.get('unschedulable') else 'false'}\n")
    w.write(0, "Lease:\n")
    lspec = (lease or {}).get("spec") or {}
    w.write(1, f"HolderIdentity:\t{lspec.get('holderIdentity') or '<unset>'}\n")
    w.write(1, f"AcquireTime:\t{rfc1123z(lspec['acquireTime']) if lspec.get('acquireTime') else '<unset>'}\n")
    w.write(1, f"RenewTime:\t{rfc1123z(lspec['renewTime']) if lspec.get('renewTime') else '<unset>'}\n")
    if st.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in st["conditions"]:
            w.write(1, f"{c.get('type')} \t{c.get('status')} \t{rfc1123z(c.get('lastHeartbeatTime'))} \t"
                       f"{rfc1123z(c.get('lastTransitionTime'))} \t{c.get('reason', '')} \t{c.get('message', '')}\n")
    w.write(0, "Addresses:\n")
    for a in st.get("addresses") or ():
        w.write(1, f"{a.get('type')}:\t{a.get('address')}\n")
    for title, key in (("Capacity", "capacity"), ("Allocatable", "allocatable")):
        if st.get(key):
            w.write(0, f"{title}:\n")
            for name in sorted(st[key]):
                w.write(0, f"  {name}:\t{st[key][name]}\n")
    info = st.get("nodeInfo") or {}
    w.write(0, "System Info:\n")
    for title, key in (("Machine ID", "machineID"), ("System UUID", "systemUUID"), ("Boot ID", "bootID"),
                       ("Kernel Version", "kernelVersion"), ("OS Image", "osImage"),
                       ("Operating System", "operatingSystem"), ("Architecture", "architecture"),
                       ("Container Runtime Version", "containerRuntimeVersion"),
                       ("Kubelet Version", "kubeletVersion"), ("Kube-Proxy Version", "kubeProxyVersion")):
        if key != "kubeProxyVersion" or info.get(key):   # deprecated field: shown only when set
            w.write(0, f"  {title}:\t{info.get(key, '')}\n")
    if spec.get("podCIDR"):
        w.write(0, f"PodCIDR:\t{spec['podCIDR']}\n")
    if spec.get("podCIDRs"):
        w.write(0, f"PodCIDRs:\t{','.join(spec['podCIDRs'])}\n")
    if spec.get("providerID"):
        w.write(0, f"ProviderID:\t{spec['providerID']}\n")
    _node_resources(w, node, pods, now)
    write_events(w, events, now)
    return w.text()


def _node_resources(w: Writer, node: dict, pods: list[dict], now: float) -> None:
    st = node.get("status") or {}
    alloc_raw = st.get("allocatable") or st.get("capacity") or {}
    alloc = {k: parse_quantity(v).value for k, v in alloc_raw.items()}
    w.write(0, f"Non-terminated Pods:\t({len(pods)} in total)\n")
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
    total_req: dict[str, Fraction] = {}
    total_lim: dict[str, Fraction] = {}
    for p in pods:
        req, lim = _pod_totals(p)
        for k, v in req.items():
            total_req[k] = total_req.get(k, Fraction(0)) + v
        for k, v in lim.items():
            total_lim[k] = total_lim.get(k, Fraction(0)) + v
        cells = []
        for name in ("cpu", "memory"):
            for acc in (req, lim):
                q = acc.get(name, Fraction(0))
                cells.append(f"{_qty(q, name)} ({_pct(q, alloc.get(name, Fraction(0)))}%)")
        w.write(1, f"{meta_of(p).get('namespace', '')}\t{meta_of(p).get('name', '')}\t\t" + "\t".join(cells)
                   + f"\t{since(meta_of(p).get('creationTimestamp'), now)}\n")
    w.write(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n")
    w.write(1, "Resource\tRequests\tLimits\n")
    w.write(1, "--------\t--------\t------\n")
    # cpu, memory, ephemeral-storage, then each hugepages size the node offers (sorted)
    hugepages = sorted(n for n in alloc if n.startswith("hugepages-"))
    for name in ("cpu", "memory", "ephemeral-storage", *hugepages):
        r, l_ = total_req.get(name, Fraction(0)), total_lim.get(name, Fraction(0))
        a = alloc.get(name, Fraction(0))
        w.write(1, f"{name}\t{_qty(r, name)} ({_pct(r, a)}%)\t{_qty(l_, name)} ({_pct(l_, a)}%)\n")
