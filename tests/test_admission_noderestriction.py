"""NodeRestriction admission: what a kubelet may write, with upstream's exact refusals.

Upstream: plugin/pkg/admission/noderestriction/admission.go (admitNode, admitPodCreate,
admitPod, admitPodStatus, admitPodEviction, admitLease, admitServiceAccount,
getForbiddenLabels), pkg/auth/nodeidentifier/default.go, k8s.io/kubelet/pkg/apis/
well_known_labels.go (the labels a kubelet may set).
"""

from __future__ import annotations

import pytest

from k8score.api.errors import ApiError
from k8score.apiserver.admission.noderestriction import NodeRestriction, is_kubelet_label, node_identity
from k8score.apiserver.request import UserInfo

from test_admission_serviceaccount import ADMIN, Lister, attrs, context

NODE1 = UserInfo("system:node:node-1", ("system:nodes", "system:authenticated"))
MIRROR = {"kubernetes.io/config.mirror": "hash"}


def node(name="node-1", labels=None, taints=None, uid="uid-1") -> dict:
    n = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "uid": uid, "labels": labels or {}},
         "spec": {}}
    if taints is not None:
        n["spec"]["taints"] = taints
    return n


def pod(name="web", node_name="node-1", annotations=None, owners=None, **spec) -> dict:
    spec.setdefault("containers", [{"name": "c", "image": "nginx"}])
    meta = {"name": name, "namespace": "default", "uid": f"uid-{name}", "labels": {"app": "web"}}
    if annotations is not None:
        meta["annotations"] = annotations
    if owners is not None:
        meta["ownerReferences"] = owners
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {"nodeName": node_name, **spec}}


OWNER = {"apiVersion": "v1", "kind": "Node", "name": "node-1", "uid": "uid-1", "controller": True}


@pytest.fixture
def plugin():
    lister = Lister(("nodes", node()), ("nodes", node("node-2", uid="uid-2")),
                    ("pods", pod("mine")), ("pods", pod("theirs", node_name="node-2")))
    return NodeRestriction(context(lister))


def refused(plugin, a) -> str:
    with pytest.raises(ApiError) as e:
        plugin.admit(a)
    assert e.value.code in (403, 404)
    return e.value.message


def test_node_identity_needs_both_prefix_and_group(plugin):
    assert node_identity(NODE1) == ("node-1", True)
    assert node_identity(UserInfo("system:node:node-1", ("system:authenticated",))) == ("", False)
    assert node_identity(UserInfo("node-1", ("system:nodes",))) == ("", False)
    # not a node: NodeRestriction does not apply, even to another node's object
    not_node = UserInfo("system:node:node-1", ("system:authenticated",))
    assert plugin.admit(attrs("UPDATE", "nodes", node("node-2"), node("node-2"), name="node-2",
                              namespace=None, user=not_node)) is None
    assert plugin.admit(attrs("DELETE", "pods", None, pod("theirs"), name="theirs", user=ADMIN)) is None
    blank = UserInfo("system:node:", ("system:nodes",))
    assert refused(plugin, attrs("DELETE", "pods", None, None, name="x", user=blank)) == \
        'pods "x" is forbidden: could not determine node from user "system:node:"'


def test_a_node_may_only_modify_its_own_node_object(plugin):
    a = attrs("UPDATE", "nodes", node("node-2"), node("node-2"), name="node-2", namespace=None, user=NODE1)
    assert refused(plugin, a) == 'nodes "node-2" is forbidden: node "node-1" is not allowed to modify node "node-2"'
    a = attrs("DELETE", "nodes", None, node("node-2"), name="node-2", namespace=None, user=NODE1)
    assert refused(plugin, a).endswith('node "node-1" is not allowed to modify node "node-2"')
    # its own: update (labels unchanged) and delete are fine
    plugin.admit(attrs("UPDATE", "nodes", node(), node(), name="node-1", namespace=None, user=NODE1))
    plugin.admit(attrs("DELETE", "nodes", None, node(), name="node-1", namespace=None, user=NODE1))


def test_labels_a_kubelet_may_and_may_not_set_on_register(plugin):
    ok = {"kubernetes.io/hostname": "node-1", "topology.kubernetes.io/zone": "z1",
          "node.kubernetes.io/instance-type": "m5", "kubernetes.io/os": "linux",
          "kubelet.kubernetes.io/x": "1", "sub.node.kubernetes.io/y": "2", "example.com/team": "a", "plain": "b"}
    plugin.admit(attrs("CREATE", "nodes", node(labels=ok), namespace=None, user=NODE1))
    bad = {**ok, "node-restriction.kubernetes.io/pci": "true", "foo.kubernetes.io/bar": "x",
           "k8s.io/own": "y", "node-role.kubernetes.io/control-plane": ""}
    a = attrs("CREATE", "nodes", node(labels=bad), namespace=None, user=NODE1)
    assert refused(plugin, a) == (
        'nodes "node-1" is forbidden: node "node-1" is not allowed to set the following labels: '
        "foo.kubernetes.io/bar, k8s.io/own, node-restriction.kubernetes.io/pci, "
        "node-role.kubernetes.io/control-plane")
    assert is_kubelet_label("beta.kubernetes.io/arch") and not is_kubelet_label("kubernetes.io/role")


def test_update_may_not_touch_taints_or_restricted_labels(plugin):
    old = node(labels={"kubernetes.io/hostname": "node-1"})
    tainted = node(labels={"kubernetes.io/hostname": "node-1"},
                   taints=[{"key": "dedicated", "value": "db", "effect": "NoSchedule"}])
    a = attrs("UPDATE", "nodes", tainted, old, name="node-1", namespace=None, user=NODE1)
    assert refused(plugin, a) == 'nodes "node-1" is forbidden: node "node-1" is not allowed to modify taints'
    # removing a taint is modifying it too; an empty list equals no list (semantic equality)
    a = attrs("UPDATE", "nodes", old, tainted, name="node-1", namespace=None, user=NODE1)
    assert refused(plugin, a).endswith("is not allowed to modify taints")
    plugin.admit(attrs("UPDATE", "nodes", node(taints=[]), node(), name="node-1", namespace=None, user=NODE1))
    relabel = node(labels={"kubernetes.io/hostname": "other", "node-restriction.kubernetes.io/x": "1"})
    a = attrs("UPDATE", "nodes", relabel, old, name="node-1", namespace=None, user=NODE1)
    # upstream's text has no node prefix here
    assert refused(plugin, a) == ('nodes "node-1" is forbidden: is not allowed to modify labels: '
                                  "node-restriction.kubernetes.io/x")


def test_mirror_pod_creation_rules(plugin):
    def create(p):
        return attrs("CREATE", "pods", p, user=NODE1)
    assert refused(plugin, create(pod())) == (
        'pods "web" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, '
        'node "node-1" can only create mirror pods')
    assert refused(plugin, create(pod(node_name="node-2", annotations=MIRROR, owners=[OWNER]))).endswith(
        'node "node-1" can only create pods with spec.nodeName set to itself')
    assert refused(plugin, create(pod(annotations=MIRROR))).endswith(
        'node "node-1" can only create pods with an owner reference set to itself')
    assert refused(plugin, create(pod(annotations=MIRROR, owners=[OWNER, OWNER]))).endswith(
        'node "node-1" can only create pods with a single owner reference set to itself')
    assert refused(plugin, create(pod(annotations=MIRROR, owners=[{**OWNER, "controller": False}]))).endswith(
        'node "node-1" can only create pods with a controller owner reference set to itself')
    assert refused(plugin, create(pod(annotations=MIRROR, owners=[{**OWNER, "uid": "stale"}]))).endswith(
        "node node-1 UID mismatch: expected stale got uid-1")
    assert refused(plugin, create(pod(annotations=MIRROR, owners=[OWNER], serviceAccountName="default"))).endswith(
        'node "node-1" can not create pods that reference a service account')
    cm = [{"name": "c", "image": "x", "envFrom": [{"configMapRef": {"name": "cfg"}}]}]
    assert refused(plugin, create(pod(annotations=MIRROR, owners=[OWNER], containers=cm))).endswith(
        'node "node-1" can not create pods that reference configmaps')
    pvc = [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]
    assert refused(plugin, create(pod(annotations=MIRROR, owners=[OWNER], volumes=pvc))).endswith(
        'node "node-1" can not create pods that reference persistentvolumeclaims')
    assert plugin.admit(create(pod(annotations=MIRROR, owners=[OWNER]))) == "node node-1 allowed"


def test_pod_delete_update_status_and_subresources(plugin):
    def a(op, name, **kw):
        return attrs(op, "pods", kw.pop("obj", None), kw.pop("old", None), name=name, user=NODE1, **kw)
    assert refused(plugin, a("DELETE", "theirs")) == (
        'pods "theirs" is forbidden: node "node-1" can only delete pods with spec.nodeName set to itself')
    plugin.admit(a("DELETE", "mine"))
    with pytest.raises(ApiError) as e:  # a missing pod is a 404, not wrapped
        plugin.admit(a("DELETE", "ghost"))
    assert (e.value.code, e.value.message) == (404, 'pods "ghost" not found')
    assert refused(plugin, a("UPDATE", "mine", obj=pod("mine"), old=pod("mine"))) == (
        'pods "mine" is forbidden: unexpected operation "UPDATE", node "node-1" can only create and delete '
        "mirror pods")
    # status: only its own pods, labels unchanged
    plugin.admit(a("UPDATE", "mine", obj=pod("mine"), old=pod("mine"), subresource="status"))
    assert refused(plugin, a("UPDATE", "theirs", obj=pod("theirs", "node-2"), old=pod("theirs", "node-2"),
                             subresource="status")).endswith(
        'node "node-1" can only update pod status for pods with spec.nodeName set to itself')
    relabeled = pod("mine")
    relabeled["metadata"]["labels"] = {"app": "other"}
    assert refused(plugin, a("UPDATE", "mine", obj=relabeled, old=pod("mine"), subresource="status")).endswith(
        'node "node-1" cannot update labels through pod status')
    assert refused(plugin, a("UPDATE", "mine", obj=pod("mine"), old=pod("mine"), subresource="exec")).endswith(
        "unexpected pod subresource \"exec\", only 'status' and 'eviction' are allowed")
    eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "theirs"}}
    assert refused(plugin, a("CREATE", "theirs", obj=eviction, subresource="eviction")).endswith(
        "node node-1 can only evict pods with spec.nodeName set to itself")


def test_leases_and_tokens(plugin):
    def lease(op, name, ns="kube-node-lease"):
        obj = {"metadata": {"name": name, "namespace": ns}}
        return attrs(op, "leases", obj, None if op == "CREATE" else obj, namespace=ns,
                     name=None if op == "CREATE" else name, user=NODE1)
    plugin.admit(lease("CREATE", "node-1"))
    plugin.admit(lease("UPDATE", "node-1"))
    assert refused(plugin, lease("UPDATE", "node-1", ns="default")) == (
        'leases.coordination.k8s.io "node-1" is forbidden: can only access leases in the "kube-node-lease" '
        "system namespace")
    assert refused(plugin, lease("CREATE", "node-2")).endswith(
        "can only access node lease with the same name as the requesting node")
    token = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}}
    a = attrs("CREATE", "serviceaccounts", token, name="default", subresource="token", user=NODE1)
    assert refused(plugin, a) == 'serviceaccounts "default" is forbidden: node requested token not bound to a pod'
    token["spec"]["boundObjectRef"] = {"apiVersion": "v1", "kind": "Pod", "name": "theirs", "uid": "uid-theirs"}
    assert refused(plugin, a).endswith("node requested token bound to a pod scheduled on a different node")
    token["spec"]["boundObjectRef"] = {"apiVersion": "v1", "kind": "Pod", "name": "mine", "uid": "uid-mine"}
    plugin.admit(a)
