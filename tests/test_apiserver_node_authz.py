"""The Node authorizer, alone and chained before RBAC (``--authorization-mode=Node,RBAC``).

Upstream: plugin/pkg/auth/authorizer/node/node_authorizer.go (subdivided resources and their
reasons, fall-through to the system:node rules), graph_populator.go (what a pod references),
pkg/auth/nodeidentifier/default.go, apiserver/pkg/authorization/union/union.go, and
responsewriters/errors.go for the resulting 403.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from k8score.apiserver.authz import authorize_chain, forbidden_error
from k8score.apiserver.authz.node import NodeAuthorizer, pod_pvc_names
from k8score.apiserver.authz.review import self_subject_rules_review
from k8score.apiserver.request import ALLOW, NO_OPINION, AuthzAttributes, UserInfo

from test_apiserver_rbac import cluster


def node_user(name):
    return UserInfo(f"system:node:{name}", ("system:nodes", "system:authenticated"))


N1, N2 = node_user("node-1"), node_user("node-2")


def setup():
    lister, rbac = cluster()
    lister.add({"kind": "Pod", "metadata": {"name": "web", "namespace": "default", "uid": "p1"},
                "spec": {"nodeName": "node-1", "serviceAccountName": "reader",
                         "imagePullSecrets": [{"name": "regcred"}],
                         "containers": [{"name": "c", "envFrom": [{"configMapRef": {"name": "env-cm"}}],
                                         "env": [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "db-pass",
                                                                                               "key": "p"}}}]}],
                         "volumes": [{"name": "tls", "secret": {"secretName": "web-tls"}},
                                     {"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
                                     {"name": "tok", "projected": {"sources": [
                                         {"configMap": {"name": "kube-root-ca.crt"}}]}}]}}, "pods")
    lister.add({"kind": "Pod", "metadata": {"name": "pending", "namespace": "default", "uid": "p2"},
                "spec": {"volumes": [{"name": "s", "secret": {"secretName": "unscheduled"}}]}}, "pods")
    lister.add({"kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "default"},
                "spec": {"volumeName": "pv-1"}}, "persistentvolumeclaims")
    lister.add({"kind": "PersistentVolume", "metadata": {"name": "pv-1"},
                "spec": {"claimRef": {"namespace": "default", "name": "data"}}}, "persistentvolumes")
    node = NodeAuthorizer(SimpleNamespace(lister=lister))
    return lister, node, rbac


def A(user, verb, resource, **kw):
    return AuthzAttributes(user, verb, resource, **kw)


NO_REL_2 = "no relationship found between node 'node-2' and this object"


def test_node_reads_its_own_pods_secrets_and_configmaps_only():
    _, node, _ = setup()
    for name in ("regcred", "db-pass", "web-tls"):
        assert node.authorize(A(N1, "get", "secrets", namespace="default", name=name)) == (ALLOW, "")
        assert node.authorize(A(N2, "get", "secrets", namespace="default", name=name)) == (NO_OPINION, NO_REL_2)
    assert node.authorize(A(N1, "get", "secrets", namespace="default", name="other")) == (
        NO_OPINION, "no relationship found between node 'node-1' and this object")
    assert node.authorize(A(N1, "watch", "configmaps", namespace="default", name="env-cm")) == (ALLOW, "")
    assert node.authorize(A(N1, "get", "configmaps", namespace="default", name="kube-root-ca.crt")) == (ALLOW, "")
    # an unscheduled pod links no node to its secret
    assert node.authorize(A(N1, "get", "secrets", namespace="default", name="unscheduled"))[0] == NO_OPINION
    # same name in another namespace: no relationship
    assert node.authorize(A(N1, "get", "secrets", namespace="prod", name="regcred"))[0] == NO_OPINION


def test_subdivided_refusal_reasons():
    _, node, _ = setup()
    assert node.authorize(A(N1, "update", "secrets", namespace="default", name="regcred")) == (
        NO_OPINION, "can only read resources of this type")
    assert node.authorize(A(N1, "list", "secrets", namespace="default")) == (NO_OPINION, "No Object name found")
    assert node.authorize(A(N1, "list", "secrets")) == (NO_OPINION, "can only read namespaced object of this type")
    assert node.authorize(A(N1, "list", "persistentvolumeclaims", namespace="default")) == (
        NO_OPINION, "can only get individual resources of this type")


def test_pvc_pv_serviceaccount_token_and_lease():
    _, node, _ = setup()
    assert node.authorize(A(N1, "get", "persistentvolumeclaims", namespace="default", name="data")) == (ALLOW, "")
    assert node.authorize(A(N1, "patch", "persistentvolumeclaims", namespace="default", name="data",
                            subresource="status")) == (ALLOW, "")
    assert node.authorize(A(N1, "get", "persistentvolumes", name="pv-1")) == (ALLOW, "")
    assert node.authorize(A(N2, "get", "persistentvolumes", name="pv-1")) == (NO_OPINION, NO_REL_2)
    token = dict(namespace="default", name="reader", subresource="token")
    assert node.authorize(A(N1, "create", "serviceaccounts", **token)) == (ALLOW, "")
    assert node.authorize(A(N2, "create", "serviceaccounts", **token)) == (NO_OPINION, NO_REL_2)
    assert node.authorize(A(N1, "get", "serviceaccounts", namespace="default", name="reader")) == (
        NO_OPINION, "can only create tokens for individual service accounts")
    lease = dict(api_group="coordination.k8s.io", namespace="kube-node-lease")
    assert node.authorize(A(N1, "update", "leases", name="node-1", **lease)) == (ALLOW, "")
    assert node.authorize(A(N1, "update", "leases", name="node-2", **lease)) == (
        NO_OPINION, "can only access node lease with the same name as the requesting node")
    assert node.authorize(A(N1, "get", "leases", name="node-1", api_group="coordination.k8s.io",
                            namespace="default")) == (
        NO_OPINION, 'can only access leases in the "kube-node-lease" system namespace')


def test_other_resources_follow_the_system_node_rules():
    _, node, _ = setup()
    assert node.authorize(A(N2, "list", "pods")) == (ALLOW, "")
    assert node.authorize(A(N2, "patch", "nodes", name="node-2", subresource="status")) == (ALLOW, "")
    assert node.authorize(A(N2, "list", "services")) == (ALLOW, "")
    assert node.authorize(A(N2, "delete", "deployments", api_group="apps", namespace="default")) == (NO_OPINION, "")


def test_non_nodes_get_no_opinion():
    _, node, _ = setup()
    assert node.authorize(A(UserInfo("alice", ("system:authenticated",)), "get", "secrets",
                            namespace="default", name="regcred")) == (NO_OPINION, "")
    # the name alone is not enough: the system:nodes group is required
    assert node.authorize(A(UserInfo("system:node:node-1"), "get", "secrets",
                            namespace="default", name="regcred")) == (NO_OPINION, "")
    assert node.authorize(A(UserInfo("system:node:", ("system:nodes",)), "get", "pods")) == (
        NO_OPINION, 'unknown node for user "system:node:"')


def test_chain_node_then_rbac_and_the_403():
    _, node, rbac = setup()
    a = A(N2, "get", "secrets", namespace="default", name="regcred")
    decision, reason, by = authorize_chain([node, rbac], a)
    assert (decision, reason, by) == (NO_OPINION, NO_REL_2, "")
    assert forbidden_error(a, reason).message == (
        'secrets "regcred" is forbidden: User "system:node:node-2" cannot get resource "secrets" in API group "" '
        "in the namespace \"default\": no relationship found between node 'node-2' and this object")
    assert authorize_chain([node, rbac], A(N1, "get", "secrets", namespace="default", name="regcred")) == (
        ALLOW, "", "Node")


def test_nodes_rules_review_is_incomplete():
    _, node, rbac = setup()
    st = self_subject_rules_review({"spec": {"namespace": "default"}}, N1, [node, rbac])["status"]
    assert st["incomplete"] is True
    assert st["evaluationError"] == "node authorizer does not support user rule resolution"


def test_graph_lookups_survive_malformed_pods():
    lister, node, _ = setup()
    lister.add({"kind": "Pod", "metadata": {"name": "bad", "namespace": "default"},
                "spec": {"nodeName": "node-1", "volumes": [5, {"secret": "x"}], "containers": "no"}}, "pods")
    assert node.authorize(A(N1, "get", "secrets", namespace="default", name="web-tls")) == (ALLOW, "")
    assert pod_pvc_names({"metadata": {"name": "p"}, "spec": {"volumes": [{"name": "v", "ephemeral": {}}]}}) == {"p-v"}


def test_the_servers_lister_finds_a_nodes_pods_through_the_nodename_index():
    """The node authorizer walks only the pods bound to the asking node (graph.go's pod -> node
    edges): StorageLister.pods_on_node reads the pods watch cache's spec.nodeName index, and a
    kubelet may read a ConfigMap only a pod on its own node mounts."""
    from k8score import Cluster
    from k8score.client import Client

    c = Cluster(nodes=2, seed=3)
    for node in ("node-1", "node-2"):
        c.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cfg-{node}"}, "data": {"k": "v"}})
        c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p-{node}"},
                 "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx"}],
                          "volumes": [{"name": "v", "configMap": {"name": f"cfg-{node}"}}]}})
    c.run(2)
    lister = c.apiserver.lister
    on_1 = {p["metadata"]["name"] for p in lister.pods_on_node("node-1", "default")}
    assert on_1 == {p["metadata"]["name"] for p in lister.list("pods", "default") if p["spec"].get("nodeName") == "node-1"}
    assert "p-node-1" in on_1 and "p-node-2" not in on_1
    kubelet = Client(c.apiserver, user=UserInfo("system:node:node-1", ("system:nodes", "system:authenticated")))
    assert kubelet.get("configmaps", "cfg-node-1", namespace="default")["data"] == {"k": "v"}
    with pytest.raises(Exception, match="no relationship found between node 'node-1' and this object"):
        kubelet.get("configmaps", "cfg-node-2", namespace="default")
