"""The pod's ``/etc/hosts``: a file the kubelet writes and bind-mounts into every container.

Upstream ``pkg/kubelet/kubelet_pods.go`` (``makeHostsMount``, ``managedHostsFileContent``,
``hostsEntriesFromHostAliases``): written to ``/var/lib/kubelet/pods/<uid>/etc-hosts`` once the
sandbox has its IP, so no runtime rewrites it behind Kubernetes' back::

    # Kubernetes-managed hosts file.
    127.0.0.1	localhost
    ::1	localhost ip6-localhost ip6-loopback
    fe00::0	ip6-localnet
    fe00::0	ip6-mcastprefix
    fe00::1	ip6-allnodes
    fe00::2	ip6-allrouters
    10.244.1.5	web-0.nginx.default.svc.cluster.local	web-0

(the FQDN only with ``spec.hostname``/``subdomain``), then ``spec.hostAliases`` after the line
``# Entries added by HostAliases.``. hostNetwork pods see the node's own file (not modelled:
they get none).

>>> print(managed_hosts(["10.244.1.5"], "web", "", []), end="")
# Kubernetes-managed hosts file.
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
fe00::0	ip6-localnet
fe00::0	ip6-mcastprefix
fe00::1	ip6-allnodes
fe00::2	ip6-allrouters
10.244.1.5	web
"""

from __future__ import annotations

from .volumes import PODS_DIR

_HEADER = ("# Kubernetes-managed hosts file.\n"
           "127.0.0.1\tlocalhost\n"
           "::1\tlocalhost ip6-localhost ip6-loopback\n"
           "fe00::0\tip6-localnet\n"
           "fe00::0\tip6-mcastprefix\n"
           "fe00::1\tip6-allnodes\n"
           "fe00::2\tip6-allrouters\n")


def managed_hosts(pod_ips: list[str], hostname: str, domain: str, aliases: list[dict]) -> str:
    out = _HEADER
    for ip in pod_ips:
        out += f"{ip}\t{hostname}.{domain}\t{hostname}\n" if domain else f"{ip}\t{hostname}\n"
    if aliases:
        out += "\n# Entries added by HostAliases.\n"
        for a in aliases:
            names = [h for h in a.get("hostnames") or () if isinstance(h, str)]
            if a.get("ip") and names:
                out += a["ip"] + "\t" + "\t".join(names) + "\n"
    return out


def hosts_mount(fs: object, pod: dict, pod_ip: str | None, domain: str = "cluster.local") -> dict | None:
    """Write the pod's hosts file on the node and return its CRI mount (None: not mounted —
    a hostNetwork pod, or no IP yet)."""
    spec = pod.get("spec") or {}
    meta = pod.get("metadata") or {}
    if spec.get("hostNetwork") or not pod_ip:
        return None
    hostname = spec.get("hostname") or meta.get("name", "")
    sub = spec.get("subdomain")
    fqdn_domain = f"{sub}.{meta.get('namespace', 'default')}.svc.{domain}" if sub else ""
    aliases = [a for a in spec.get("hostAliases") or () if isinstance(a, dict)]
    pod_dir = f"{PODS_DIR}/{meta.get('uid', '')}"
    fs.mkdir(pod_dir, parents=True)   # type: ignore[attr-defined]  # makePodDataDirs
    path = f"{pod_dir}/etc-hosts"
    fs.write(path, managed_hosts([pod_ip], hostname, fqdn_domain, aliases))  # type: ignore[attr-defined]
    return {"containerPath": "/etc/hosts", "hostPath": path, "readonly": False}


__all__ = ["managed_hosts", "hosts_mount"]
