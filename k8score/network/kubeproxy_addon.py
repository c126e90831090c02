"""kubeadm's kube-proxy addon: kube-proxy runs as the DaemonSet ``kube-system/kube-proxy``.

Upstream: cmd/kubeadm/app/phases/addons/proxy/proxy.go (``EnsureProxyAddon``) and manifests.go
(``KubeProxyConfigMap19``, ``KubeProxyDaemonSet19``). ``kubeadm init`` creates, in this order:
the ServiceAccount ``kube-proxy``, the ClusterRoleBinding ``kubeadm:node-proxier`` (made with the
API server's bootstrap objects here: :func:`k8score.apiserver.server.kubeadm_bindings`), the
Role and RoleBinding ``kube-proxy`` (nodes joining may read the ConfigMap), the ConfigMap
``kube-proxy`` (``config.conf``: a KubeProxyConfiguration with the proxy ``mode``, and
``kubeconfig.conf``), and the DaemonSet: one pod per node, ``hostNetwork``,
``priorityClassName: system-node-critical``, tolerating every taint (``operator: Exists``).

The DaemonSet controller creates the pods, the scheduler binds them, each node's kubelet runs
them. The process in the container (``/usr/local/bin/kube-proxy``) is the node's
:class:`~k8score.proxy.KubeProxy` component, tied to it as the control-plane static pods are to
theirs (:class:`KubeProxyProcess` is a :class:`k8score.node.controlplane.ComponentProcess`):
the process starting starts the component, the container being killed (``kubectl delete pod
kube-proxy-xxxxx``) stops it until the DaemonSet's replacement runs, and ``Cluster.stop`` of the
component makes the container exit and crash-loop until ``Cluster.start``.
"""

from __future__ import annotations

from typing import Any

from ..node.controlplane import KUBERNETES_VERSION, ComponentProcess
from .addon import create_or_get

#: manifests.go: the kube-proxy image kubeadm deploys (images.GetKubernetesImage)
KUBE_PROXY_IMAGE = f"registry.k8s.io/kube-proxy:{KUBERNETES_VERSION}"
#: the DaemonSet container's command (argv[0] is what the node's runtime ties to the component)
KUBE_PROXY_BINARY = "/usr/local/bin/kube-proxy"
#: kubeadm's default pod subnet is empty; k8score's pod network (kubeproxy.DEFAULT_CLUSTER_CIDR)
_LABELS = {"k8s-app": "kube-proxy"}

_CONFIG = """apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
bindAddressHardFail: false
clientConnection:
  acceptContentTypes: ""
  burst: 0
  contentType: ""
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
  qps: 0
clusterCIDR: %(cidr)s
configSyncPeriod: 0s
conntrack:
  maxPerCore: null
  min: null
  tcpCloseWaitTimeout: null
  tcpEstablishedTimeout: null
detectLocalMode: ""
enableProfiling: false
healthzBindAddress: ""
hostnameOverride: ""
iptables:
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
ipvs:
  excludeCIDRs: null
  minSyncPeriod: 0s
  scheduler: ""
  strictARP: false
  syncPeriod: 0s
kind: KubeProxyConfiguration
metricsBindAddress: ""
mode: "%(mode)s"
nodePortAddresses: null
oomScoreAdj: null
portRange: ""
"""

_KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
    server: https://control-plane:6443
  name: default
contexts:
- context:
    cluster: default
    namespace: default
    user: default
  name: default
current-context: default
users:
- name: default
  user:
    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
"""


def kube_proxy_daemonset(image: str = KUBE_PROXY_IMAGE) -> dict:
    """manifests.go KubeProxyDaemonSet19 as kubeadm renders it."""
    container = {
        "name": "kube-proxy", "image": image, "imagePullPolicy": "IfNotPresent",
        "command": [KUBE_PROXY_BINARY, "--config=/var/lib/kube-proxy/config.conf",
                    "--hostname-override=$(NODE_NAME)"],
        "securityContext": {"privileged": True},
        "volumeMounts": [{"mountPath": "/var/lib/kube-proxy", "name": "kube-proxy"},
                         {"mountPath": "/run/xtables.lock", "name": "xtables-lock"},
                         {"mountPath": "/lib/modules", "name": "lib-modules", "readOnly": True}],
        "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
    }
    return {
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "kube-proxy", "namespace": "kube-system", "labels": dict(_LABELS)},
        "spec": {
            "selector": {"matchLabels": dict(_LABELS)},
            "updateStrategy": {"type": "RollingUpdate"},
            "template": {
                "metadata": {"labels": dict(_LABELS)},
                "spec": {
                    "priorityClassName": "system-node-critical",
                    "containers": [container],
                    "hostNetwork": True,
                    "serviceAccountName": "kube-proxy",
                    "volumes": [{"name": "kube-proxy", "configMap": {"name": "kube-proxy"}},
                                {"name": "xtables-lock",
                                 "hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"}},
                                {"name": "lib-modules", "hostPath": {"path": "/lib/modules"}}],
                    "tolerations": [{"operator": "Exists"}],
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                },
            },
        },
    }


def addon_objects(mode: str, cluster_cidr: str) -> list[tuple[str, str | None, dict]]:
    """``(resource, namespace, object)`` in the order proxy.go creates them."""
    rbac = "rbac.authorization.k8s.io/v1"
    return [
        ("serviceaccounts", "kube-system",
         {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "kube-proxy", "namespace": "kube-system"}}),
        ("roles", "kube-system",
         {"apiVersion": rbac, "kind": "Role", "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
          "rules": [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["kube-proxy"],
                     "verbs": ["get"]}]}),
        ("rolebindings", "kube-system",
         {"apiVersion": rbac, "kind": "RoleBinding", "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
          "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "kube-proxy"},
          "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                        "name": "system:bootstrappers:kubeadm:default-node-token"}]}),
        ("configmaps", "kube-system",
         {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "kube-proxy", "namespace": "kube-system", "labels": {"app": "kube-proxy"}},
          "data": {"config.conf": _CONFIG % {"mode": mode, "cidr": cluster_cidr or ""},
                   "kubeconfig.conf": _KUBECONFIG}}),
        ("daemonsets", "kube-system", kube_proxy_daemonset()),
    ]


def install_kube_proxy_addon(client: Any, mode: str, cluster_cidr: str) -> list[dict]:
    """Create the addon's objects with an admin ``client``; ones that exist are left as they are."""
    return create_or_get(client, addon_objects(mode, cluster_cidr))


class KubeProxyProcess(ComponentProcess):
    """The process of a kube-proxy pod's container on one node: it runs the node's KubeProxy.

    ``held`` is set by ``Cluster.stop("kube-proxy/<node>")``: the process cannot stay up.
    """

    def __init__(self, component: Any):
        super().__init__(component, component.name)
        self.name = component.name

    def _serve(self, proc: Any) -> None:
        # server.go: the first lines kube-proxy logs (the proxier it runs)
        proc.stderr.write(f'I0000 server_linux.go] "Using {self.component.mode} Proxier"\n')
