"""kubeadm's CoreDNS addon objects: what ``kubeadm init`` (phase ``addon coredns``) creates.

Upstream: kubernetes ``cmd/kubeadm/app/phases/addons/dns/manifests.go`` — the ServiceAccount
``kube-system/coredns``, the ClusterRole and ClusterRoleBinding ``system:coredns`` (list/watch
endpoints, services, pods, namespaces and endpointslices), the ConfigMap ``coredns`` with the
Corefile, and the Service ``kube-dns`` at the cluster DNS IP (``10.96.0.10``: the 10th address
of kubeadm's default service CIDR, ``GetDNSIP``) with ports ``dns`` 53/UDP, ``dns-tcp``
53/TCP and ``metrics`` 9153/TCP and the selector ``k8s-app: kube-dns``.

The ``coredns`` Deployment is *not* created: k8score runs CoreDNS as a component
(:class:`.coredns.CoreDNS`) that answers at the Service IP itself, so the Service has no
endpoints (``kubectl get endpoints -n kube-system kube-dns`` shows ``<none>``).
"""

from __future__ import annotations

from typing import Any

from ..client.errors import is_already_exists
from .resolvconf import CLUSTER_DNS, CLUSTER_DOMAIN

COREFILE = """.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes %(domain)s in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success %(domain)s
       disable denial %(domain)s
    }
    loop
    reload
    loadbalance
}
"""


def addon_objects(dns_ip: str = CLUSTER_DNS, domain: str = CLUSTER_DOMAIN) -> list[tuple[str, str | None, dict]]:
    """``(resource, namespace, object)`` in the order kubeadm applies them."""
    rbac = "rbac.authorization.k8s.io/v1"
    return [
        ("serviceaccounts", "kube-system",
         {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "coredns", "namespace": "kube-system"}}),
        ("clusterroles", None,
         {"apiVersion": rbac, "kind": "ClusterRole", "metadata": {"name": "system:coredns"},
          "rules": [{"apiGroups": [""], "resources": ["endpoints", "services", "pods", "namespaces"],
                     "verbs": ["list", "watch"]},
                    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"],
                     "verbs": ["list", "watch"]}]}),
        ("clusterrolebindings", None,
         {"apiVersion": rbac, "kind": "ClusterRoleBinding", "metadata": {"name": "system:coredns"},
          "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:coredns"},
          "subjects": [{"kind": "ServiceAccount", "name": "coredns", "namespace": "kube-system"}]}),
        ("configmaps", "kube-system",
         {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "coredns", "namespace": "kube-system"},
          "data": {"Corefile": COREFILE % {"domain": domain}}}),
        ("services", "kube-system",
         {"apiVersion": "v1", "kind": "Service",
          "metadata": {"name": "kube-dns", "namespace": "kube-system",
                       "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                                  "kubernetes.io/name": "CoreDNS"},
                       "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"}},
          "spec": {"clusterIP": dns_ip,
                   "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                             {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                             {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}],
                   "selector": {"k8s-app": "kube-dns"}}}),
    ]


def install_addon(client: Any, dns_ip: str = CLUSTER_DNS, domain: str = CLUSTER_DOMAIN) -> list[dict]:
    """Create the addon's objects with an admin ``client``; ones that exist are left as they are."""
    out = []
    for resource, ns, obj in addon_objects(dns_ip, domain):
        try:
            out.append(client.create(resource, obj, namespace=ns))
        except Exception as e:  # noqa: BLE001 - only AlreadyExists is expected
            if not is_already_exists(e):
                raise
            out.append(client.get(resource, obj["metadata"]["name"], namespace=ns))
    return out
