"""Test helper: what kube-controller-manager's serviceaccount controller would do.

A bare API server (no controller manager) refuses pods until the namespace's ``default``
ServiceAccount exists — ServiceAccount admission, as upstream. Tests that run the API
server alone create it the way the controller would.
"""

from k8score.apiserver.request import user_from_name

_CONTROLLER = user_from_name("system:serviceaccount:kube-system:service-account-controller")


def default_service_accounts(api, namespaces=("default", "kube-system"), root_ca=False):
    """What the serviceaccount and root-ca-cert-publisher controllers put in each namespace: the
    ``default`` ServiceAccount and the ``kube-root-ca.crt`` ConfigMap (the projected
    service-account volume of every pod mounts it; without it the kubelet reports FailedMount) —
    ``root_ca=True`` for tests that run pods on kubelets."""
    from k8score.controllers.rootcacert import CONFIGMAP_NAME, fake_root_ca
    for ns in namespaces:
        if api.lister.get("serviceaccounts", "default", ns) is None:
            api.create("serviceaccounts", {"metadata": {"name": "default"}}, namespace=ns)
        if root_ca and api.lister.get("configmaps", CONFIGMAP_NAME, ns) is None:
            api.create("configmaps", {"metadata": {"name": CONFIGMAP_NAME}, "data": {"ca.crt": fake_root_ca(0)}},
                       namespace=ns)
    return api


def ready_nodes(api, names):
    """Drop the ``node.kubernetes.io/not-ready:NoSchedule`` taint TaintNodesByCondition admission
    put on new nodes — what the node lifecycle controller does once a kubelet reports Ready."""
    for name in names:
        node = api.get("nodes", name)
        taints = [t for t in (node.get("spec") or {}).get("taints") or ()
                  if t.get("key") != "node.kubernetes.io/not-ready"]
        api.patch("nodes", name, {"spec": {"taints": taints or None}})
