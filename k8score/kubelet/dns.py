"""The pod's resolv.conf, as the sandbox's CRI ``dnsConfig`` (pkg/kubelet/network/dns/dns.go
``GetPodDNS``).

``dnsPolicy`` (default ``ClusterFirst``): the cluster DNS Service's IP (kubeadm: ``kube-dns`` at
``10.96.0.10``), searches ``<ns>.svc.cluster.local svc.cluster.local cluster.local`` and
``options ndots:5``; ``ClusterFirstWithHostNet`` the same; ``ClusterFirst`` with
``hostNetwork: true`` and ``Default`` use the node's resolver (no cluster search list);
``None`` only what ``dnsConfig`` says. ``spec.dnsConfig`` nameservers, searches and options
are merged in (options by name, later wins), as upstream ``appendDNSConfig`` does.

>>> dns_config({"metadata": {"namespace": "web"}, "spec": {}})
{'servers': ['10.96.0.10'], 'searches': ['web.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], 'options': ['ndots:5']}
"""

from __future__ import annotations

#: kubeadm's default ClusterDNS (the 10th address of 10.96.0.0/12) and cluster domain
CLUSTER_DNS = "10.96.0.10"
CLUSTER_DOMAIN = "cluster.local"
# pkg/kubelet/network/dns/dns.go: defaultDNSOptions = ["ndots:5"]
DEFAULT_OPTIONS = ("ndots:5",)
#: the node's own resolver (systemd-resolved's stub on Ubuntu)
HOST_DNS = {"servers": ["127.0.0.53"], "searches": [], "options": ["edns0", "trust-ad"]}


def dns_config(pod: dict, cluster_dns: str = CLUSTER_DNS, domain: str = CLUSTER_DOMAIN) -> dict:
    spec = pod.get("spec") or {}
    ns = (pod.get("metadata") or {}).get("namespace", "default")
    policy = spec.get("dnsPolicy") or "ClusterFirst"
    if policy == "None":
        base = {"servers": [], "searches": [], "options": []}
    elif policy == "Default" or (policy == "ClusterFirst" and spec.get("hostNetwork")):
        base = {k: list(v) for k, v in HOST_DNS.items()}
    else:
        base = {"servers": [cluster_dns], "searches": [f"{ns}.svc.{domain}", f"svc.{domain}", domain],
                "options": list(DEFAULT_OPTIONS)}
    extra = spec.get("dnsConfig") or {}
    for s in extra.get("nameservers") or ():
        if s not in base["servers"]:
            base["servers"].append(s)
    for s in extra.get("searches") or ():
        if s not in base["searches"]:
            base["searches"].append(s)
    opts = {o.split(":", 1)[0]: o for o in base["options"]}
    for o in extra.get("options") or ():
        opts[o.get("name")] = f"{o['name']}:{o['value']}" if o.get("value") is not None else o.get("name")
    base["options"] = list(opts.values())
    return base


__all__ = ["dns_config", "CLUSTER_DNS", "CLUSTER_DOMAIN"]
