"""kubeadm's CoreDNS addon objects: what ``kubeadm init`` (phase ``addon coredns``) creates.

Upstream: kubernetes ``cmd/kubeadm/app/phases/addons/dns/manifests.go`` — the ServiceAccount
``kube-system/coredns``, the ClusterRole and ClusterRoleBinding ``system:coredns`` (list/watch
endpoints, services, pods, namespaces and endpointslices), the ConfigMap ``coredns`` with the
Corefile, and the Service ``kube-dns`` at the cluster DNS IP (``10.96.0.10``: the 10th address
of kubeadm's default service CIDR, ``GetDNSIP``) with ports ``dns`` 53/UDP, ``dns-tcp``
53/TCP and ``metrics`` 9153/TCP and the selector ``k8s-app: kube-dns``.

and the ``coredns`` Deployment (``CoreDNSDeployment``: 2 replicas of
``registry.k8s.io/coredns/coredns`` at kubeadm's pinned version, ``-conf /etc/coredns/Corefile``
from the ConfigMap, probes on ``/health`` :8080 and ``/ready`` :8181). Its pods are the
Service's endpoints: a query to 10.96.0.10:53 is DNATed by kube-proxy to one of them, like any
Service traffic. Their program (:mod:`k8score.container.images.coredns`) answers through the
CoreDNS engine, the component ``coredns`` (:class:`.coredns.CoreDNS`, ``c.network.dns``).

Objects are created in kubeadm's order (dns.go ``createCoreDNSAddon``): ConfigMap,
ClusterRole, ClusterRoleBinding, ServiceAccount, Deployment, Service.
"""

from __future__ import annotations

from typing import Any

from ..client.errors import is_already_exists
from .resolvconf import CLUSTER_DNS, CLUSTER_DOMAIN

#: cmd/kubeadm/app/constants/constants.go ``CoreDNSVersion`` as kubeadm v1.35 pins it, pulled
#: from ``registry.k8s.io/coredns/coredns`` (``CoreDNSImageName``, images.GetDNSImage).
COREDNS_VERSION = "v1.13.1"
COREDNS_IMAGE = f"registry.k8s.io/coredns/coredns:{COREDNS_VERSION}"
#: cmd/kubeadm/app/phases/addons/dns/dns.go ``coreDNSReplicas`` (when no Deployment exists yet).
COREDNS_REPLICAS = 2
#: constants.go ``LabelNodeRoleControlPlane``: the taint key the Deployment tolerates.
CONTROL_PLANE_TAINT_KEY = "node-role.kubernetes.io/control-plane"

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
        ("configmaps", "kube-system",
         {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "coredns", "namespace": "kube-system"},
          "data": {"Corefile": COREFILE % {"domain": domain}}}),
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
        ("serviceaccounts", "kube-system",
         {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "coredns", "namespace": "kube-system"}}),
        ("deployments", "kube-system", coredns_deployment()),
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


def coredns_deployment(image: str = COREDNS_IMAGE, replicas: int = COREDNS_REPLICAS) -> dict:
    """manifests.go ``CoreDNSDeployment`` rendered as kubeadm renders it."""
    labels = {"k8s-app": "kube-dns"}
    container = {
        "name": "coredns", "image": image, "imagePullPolicy": "IfNotPresent",
        "resources": {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}},
        "args": ["-conf", "/etc/coredns/Corefile"],
        "volumeMounts": [{"name": "config-volume", "mountPath": "/etc/coredns", "readOnly": True}],
        "ports": [{"containerPort": 53, "name": "dns", "protocol": "UDP"},
                  {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                  {"containerPort": 9153, "name": "metrics", "protocol": "TCP"},
                  {"containerPort": 8080, "name": "liveness-probe", "protocol": "TCP"},
                  {"containerPort": 8181, "name": "readiness-probe", "protocol": "TCP"}],
        "livenessProbe": {"httpGet": {"path": "/health", "port": "liveness-probe", "scheme": "HTTP"},
                          "initialDelaySeconds": 60, "timeoutSeconds": 5, "successThreshold": 1,
                          "failureThreshold": 5},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": "readiness-probe", "scheme": "HTTP"}},
        "securityContext": {"allowPrivilegeEscalation": False,
                            "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
                            "readOnlyRootFilesystem": True},
    }
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "coredns", "namespace": "kube-system", "labels": dict(labels)},
        "spec": {
            "replicas": replicas,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "priorityClassName": "system-cluster-critical",
                    "serviceAccountName": "coredns",
                    "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                        {"weight": 100, "podAffinityTerm": {
                            "labelSelector": {"matchExpressions": [
                                {"key": "k8s-app", "operator": "In", "values": ["kube-dns"]}]},
                            "topologyKey": "kubernetes.io/hostname"}}]}},
                    "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                                    {"key": CONTROL_PLANE_TAINT_KEY, "effect": "NoSchedule"}],
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "containers": [container],
                    "dnsPolicy": "Default",
                    "volumes": [{"name": "config-volume", "configMap": {
                        "name": "coredns", "items": [{"key": "Corefile", "path": "Corefile"}]}}],
                },
            },
        },
    }


def install_addon(client: Any, dns_ip: str = CLUSTER_DNS, domain: str = CLUSTER_DOMAIN) -> list[dict]:
    """Create the addon's objects with an admin ``client``; ones that exist are left as they are."""
    return create_or_get(client, addon_objects(dns_ip, domain))


def create_or_get(client: Any, objects: Any) -> list[dict]:
    """Create each ``(resource, namespace, object)`` with ``client``; one that already exists
    is read back as it is (an addon installed twice changes nothing)."""
    out = []
    for resource, ns, obj in objects:
        try:
            out.append(client.create(resource, obj, namespace=ns))
        except Exception as e:  # noqa: BLE001 - only AlreadyExists is expected
            if not is_already_exists(e):
                raise
            out.append(client.get(resource, obj["metadata"]["name"], namespace=ns))
    return out
