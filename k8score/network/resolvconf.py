"""A pod's ``/etc/resolv.conf``: what the kubelet asks for and what the runtime writes.

- :func:`pod_dns_config` is the kubelet's ``Configurer.GetPodDNS``
  (kubernetes ``pkg/kubelet/network/dns/dns.go``): the CRI ``DNSConfig``
  (``{"servers", "searches", "options"}``) for a pod from its ``dnsPolicy`` and ``dnsConfig``;
- :func:`resolv_conf` / :func:`render_resolv_conf` write the file as containerd does
  (``internal/cri/server/sandbox_run.go`` ``parseDNSOptions``: ``search`` line, one
  ``nameserver`` line per server, ``options`` line);
- :func:`parse_resolv_conf` reads one back (dns.go ``parseResolvConf``: nameservers
  accumulate, the last ``search``/``options`` line wins).

>>> print(resolv_conf(["default.svc.cluster.local", "svc.cluster.local", "cluster.local"], "10.96.0.10", 5), end="")
search default.svc.cluster.local svc.cluster.local cluster.local
nameserver 10.96.0.10
options ndots:5
"""

from __future__ import annotations

from typing import Any

#: kubeadm's default ``--service-cidr`` 10.96.0.0/12 with the DNS Service at its 10th address
#: (cmd/kubeadm/app/constants ``GetDNSIP``), the kubelet's ``clusterDNS``.
CLUSTER_DNS = "10.96.0.10"
#: kubelet ``--cluster-domain`` as kubeadm configures it (``DefaultServiceDNSDomain``).
CLUSTER_DOMAIN = "cluster.local"
#: dns.go ``defaultDNSOptions``.
DEFAULT_DNS_OPTIONS = ("ndots:5",)
#: The node's own resolver: systemd-resolved's stub, as /etc/resolv.conf on an Ubuntu node reads
#: (the base for ``dnsPolicy: Default`` and hostNetwork pods)
NODE_DNS = {"servers": ["127.0.0.53"], "searches": [], "options": ["edns0", "trust-ad"]}
#: pkg/apis/core/validation: MaxDNSNameservers, MaxDNSSearchPathsExpanded, MaxDNSSearchListCharsExpanded.
MAX_DNS_NAMESERVERS = 3
MAX_DNS_SEARCH_PATHS = 32
MAX_DNS_SEARCH_LIST_CHARS = 2048
#: k8s.io/apimachinery validation DNS1123SubdomainMaxLength.
_MAX_SEARCH_LEN = 253


def resolv_conf(search: list[str], nameserver: str | list[str], ndots: int = 5) -> str:
    """The file text for ``search``, ``nameserver`` (one or several) and ``ndots``."""
    servers = [nameserver] if isinstance(nameserver, str) else list(nameserver)
    return render_resolv_conf({"servers": servers, "searches": list(search), "options": [f"ndots:{ndots}"]})


def render_resolv_conf(dns_config: dict) -> str:
    """A CRI ``DNSConfig`` as the file containerd writes (empty parts are left out)."""
    out = ""
    if dns_config.get("searches"):
        out += "search " + " ".join(dns_config["searches"]) + "\n"
    for server in dns_config.get("servers") or ():
        out += f"nameserver {server}\n"
    if dns_config.get("options"):
        out += "options " + " ".join(dns_config["options"]) + "\n"
    return out


def parse_resolv_conf(text: str) -> dict:
    """``{"servers", "searches", "options", "ndots"}`` from a resolv.conf's text.

    ``ndots`` is what a resolver uses: the last ``ndots:n`` option, else 1 (resolver(5);
    musl caps it at 15).
    """
    servers: list[str] = []
    searches: list[str] = []
    options: list[str] = []
    for raw in text.split("\n"):
        fields = raw.strip().split()
        if not fields or fields[0].startswith("#"):
            continue
        if fields[0] == "nameserver" and len(fields) >= 2:
            servers.append(fields[1])
        elif fields[0] == "search":
            searches = [s.removesuffix(".") for s in fields[1:]]
        elif fields[0] == "options":
            options = fields[1:]
    ndots = 1
    for opt in options:
        if opt.startswith("ndots:") and opt[6:].isdigit():
            ndots = min(int(opt[6:]), 15)
    return {"servers": servers, "searches": searches, "options": options, "ndots": ndots}


def podnet_options(dns_config: dict) -> dict:
    """``Network.attach(..., **podnet_options(cfg))``: the resolver fields of a ``PodNet``."""
    parsed = parse_resolv_conf(render_resolv_conf(dns_config))
    return {"search": parsed["searches"], "nameserver": (parsed["servers"] or [""])[0], "ndots": parsed["ndots"]}


def pod_dns_config(pod: dict, *, cluster_dns: list[str] | tuple[str, ...] = (CLUSTER_DNS,),
                   cluster_domain: str = CLUSTER_DOMAIN, host: dict | None = None,
                   events: list[tuple[str, str, str]] | None = None) -> dict:
    """dns.go ``GetPodDNS``: the CRI ``DNSConfig`` for ``pod``.

    ``host`` is the node's resolv.conf (:func:`parse_resolv_conf`), the base for every policy
    but ``None``. ``events`` collects ``(type, reason, message)`` the kubelet would record
    (``DNSConfigForming`` when limits cut the lists; ``MissingClusterDNS``).

    - ``ClusterFirst`` (default; ``ClusterFirstWithHostNet``; ``ClusterFirst`` of a
      ``hostNetwork`` pod falls back to ``Default``): servers = ``cluster_dns``, searches =
      ``<ns>.svc.<domain> svc.<domain> <domain>`` + the host's, options ``ndots:5``;
    - ``Default``: the host's file as it is;
    - ``None``: empty, then ``dnsConfig`` alone;
    - ``dnsConfig`` appends nameservers and searches (duplicates dropped) and merges options
      (its values win).
    """
    spec = pod.get("spec") or {}
    ns = (pod.get("metadata") or {}).get("namespace") or "default"
    host = host or {}
    cfg = {"servers": list(host.get("servers") or ()), "searches": list(host.get("searches") or ()),
           "options": list(host.get("options") or ())}
    policy = spec.get("dnsPolicy") or "ClusterFirst"
    kind = "cluster"
    if policy == "None":
        kind = "none"
    elif policy == "Default" or (policy == "ClusterFirst" and spec.get("hostNetwork")):
        kind = "host"
    if kind == "none":
        cfg = {"servers": [], "searches": [], "options": []}
    elif kind == "cluster":
        if cluster_dns:
            cfg["servers"] = list(cluster_dns)
            cluster_search = [f"{ns}.svc.{cluster_domain}", f"svc.{cluster_domain}", cluster_domain] \
                if cluster_domain else []
            cfg["searches"] = _unique(cluster_search + cfg["searches"])
            cfg["options"] = list(DEFAULT_DNS_OPTIONS)
        elif events is not None:
            msg = ('kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" '
                   'policy. Falling back to "Default" policy.')
            events.append(("Warning", "MissingClusterDNS", msg))
    extra = spec.get("dnsConfig")
    if isinstance(extra, dict):
        cfg["servers"] = _unique(cfg["servers"] + [str(s) for s in extra.get("nameservers") or ()])
        cfg["searches"] = _unique(cfg["searches"] + [str(s) for s in extra.get("searches") or ()])
        cfg["options"] = _merge_options(cfg["options"], extra.get("options") or ())
    return _fit_limits(cfg, events)


def _unique(items: list[str]) -> list[str]:
    """dns.go ``omitDuplicates``: first occurrence kept, order kept."""
    return list(dict.fromkeys(items))


def _merge_options(existing: list[str], pod_options: Any) -> list[str]:
    """dns.go ``mergeDNSOptions``: by name, the pod's value wins.

    Upstream builds the result from a Go map, so its order is random; we keep first-seen
    order (deterministic; a resolver does not care about the order of options).
    """
    merged: dict[str, str] = {}
    for op in existing:
        name, _, value = op.partition(":")
        merged[name] = value
    for op in pod_options:
        if isinstance(op, dict) and op.get("name"):
            merged[str(op["name"])] = "" if op.get("value") is None else str(op["value"])
    return [f"{k}:{v}" if v else k for k, v in merged.items()]


def _fit_limits(cfg: dict, events: list | None) -> dict:
    """dns.go ``formDNSConfigFitsLimits`` (with ExpandedDNSConfig, GA since 1.28)."""
    if len(cfg["servers"]) > MAX_DNS_NAMESERVERS:
        cfg["servers"] = cfg["servers"][:MAX_DNS_NAMESERVERS]
        if events is not None:
            events.append(("Warning", "DNSConfigForming", "Nameserver limits were exceeded, some nameservers "
                           f"have been omitted, the applied nameserver line is: {' '.join(cfg['servers'])}"))
    search, exceeded = cfg["searches"], False
    if len(search) > MAX_DNS_SEARCH_PATHS:
        search, exceeded = search[:MAX_DNS_SEARCH_PATHS], True
    kept = [s for s in search if len(s) <= _MAX_SEARCH_LEN]
    exceeded = exceeded or len(kept) != len(search)
    while kept and len(" ".join(kept)) > MAX_DNS_SEARCH_LIST_CHARS:
        kept, exceeded = kept[:-1], True
    cfg["searches"] = kept
    if exceeded and events is not None:
        events.append(("Warning", "DNSConfigForming", "Search Line limits were exceeded, some search paths "
                       f"have been omitted, the applied search line is: {' '.join(kept)}"))
    return cfg


__all__ = ["resolv_conf", "render_resolv_conf", "parse_resolv_conf", "pod_dns_config", "podnet_options",
           "CLUSTER_DNS", "CLUSTER_DOMAIN"]
