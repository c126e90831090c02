"""``kubectl cluster-info``: where the control plane and the cluster's add-on Services answer.

Upstream: staging/src/k8s.io/kubectl/pkg/cmd/clusterinfo/clusterinfo.go ``Run``. The first line
names the kubeconfig's server URL (rest.Config ``Host``; here :attr:`Kubectl.server`); then one
line per Service in ``kube-system`` (``-n`` to change) labelled
``kubernetes.io/cluster-service=true`` — kubeadm's CoreDNS Service carries that label and
``kubernetes.io/name: CoreDNS`` (cmd/kubeadm/app/phases/addons/dns/manifests.go), so a kubeadm
cluster prints::

    Kubernetes control plane is running at https://192.168.0.10:6443
    CoreDNS is running at https://192.168.0.10:6443/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy

A Service is named by its ``kubernetes.io/name`` label (else its name) and linked through the API
server's service proxy as ``[scheme:]name:portName`` of its first port (``https`` when that
port is named https or is 443, k8s.io/apimachinery/pkg/util/net JoinSchemeNamePort), or, with a
load-balancer ingress, as ``http://ip:port`` for each port.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..client import ApiError
from .args import Args

if TYPE_CHECKING:
    from .kubectl import Kubectl

#: clusterinfo.go: the label selecting the Services to show
CLUSTER_SERVICE_SELECTOR = "kubernetes.io/cluster-service=true"
#: clusterinfo.go Complete: the namespace when -n is not given
DEFAULT_NAMESPACE = "kube-system"
_DUMP_HINT = "\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n"


def service_link(host: str, service: dict) -> str:
    """The URL clusterinfo.go prints for one Service.

    >>> service_link("https://10.0.0.1:6443", {"metadata": {"name": "kube-dns", "namespace": "kube-system"},
    ...               "spec": {"ports": [{"name": "dns", "port": 53}]}})
    'https://10.0.0.1:6443/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy'
    """
    meta, spec = service.get("metadata") or {}, service.get("spec") or {}
    ports = spec.get("ports") or []
    ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    if ingress:
        ip = ingress[0].get("ip") or ingress[0].get("hostname", "")
        return "".join(f"http://{ip}:{p.get('port', 0)} " for p in ports)
    name = meta.get("name", "")
    if ports:
        port = ports[0]
        scheme = "https" if port.get("name") == "https" or port.get("port") == 443 else ""
        name = _join_scheme_name_port(scheme, name, port.get("name", ""))
    return f"{host}/api/v1/namespaces/{meta.get('namespace', '')}/services/{name}/proxy"


def _join_scheme_name_port(scheme: str, name: str, port: str) -> str:
    """apimachinery util/net JoinSchemeNamePort: three parts with a scheme, two with a port."""
    if scheme:
        return f"{scheme}:{name}:{port}"
    return f"{name}:{port}" if port else name


def cluster_info(k: "Kubectl", args: Args, stdin: str | None) -> None:
    namespace = args.get("namespace") or DEFAULT_NAMESPACE
    host = k.server_url()
    try:
        services = k.client.list("services", namespace=namespace,
                                 label_selector=CLUSTER_SERVICE_SELECTOR)["items"]
    except ApiError:
        k.out_raw(_DUMP_HINT)   # Run writes the hint whatever happened, then returns the error
        raise
    lines = [f"Kubernetes control plane is running at {host}\n"]
    for svc in services:   # in the server's order (by name)
        labels = (svc.get("metadata") or {}).get("labels") or {}
        name = labels.get("kubernetes.io/name") or (svc.get("metadata") or {}).get("name", "")
        lines.append(f"{name} is running at {service_link(host, svc)}\n")
    k.out_raw("".join(lines) + _DUMP_HINT)


__all__ = ["cluster_info", "service_link", "CLUSTER_SERVICE_SELECTOR"]
