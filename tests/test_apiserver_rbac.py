"""RBAC: rule matching, bindings, the bootstrap roles, reviews, 403 messages, kubectl auth.

Upstream behaviour pinned here:
- plugin/pkg/auth/authorizer/rbac/rbac.go (RuleAllows, allow reason),
  pkg/apis/rbac/v1/evaluation_helpers.go (matching), pkg/registry/rbac/validation/rule.go
  (binding describers, SA subject namespace defaulting);
- staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go
  (forbiddenMessage) + apimachinery errors.NewForbidden;
- plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go (view/edit/admin aggregation),
  pkg/controller/clusterroleaggregation;
- pkg/apis/rbac/validation/validation.go;
- staging/src/k8s.io/kubectl/pkg/cmd/auth/cani.go and whoami.go (output formats).
"""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from k8score.apiserver.authz import authorize_chain, forbidden_error
from k8score.apiserver.authz import validation as v
from k8score.apiserver.authz.bootstrap import bootstrap_objects
from k8score.apiserver.authz.rbac import RBACAuthorizer, rule_allows
from k8score.apiserver.authz.review import (self_subject_access_review, self_subject_review,
                                            self_subject_rules_review, subject_access_review)
from k8score.api.errors import ApiError
from k8score.apiserver.request import ALLOW, NO_OPINION, AuthzAttributes, UserInfo
from k8score.controllers.clusterroleaggregation import aggregated_rules
from k8score.kubectl import auth as kauth

PLURAL = {"ClusterRole": "clusterroles", "ClusterRoleBinding": "clusterrolebindings",
          "Role": "roles", "RoleBinding": "rolebindings"}


class DictLister:
    """A tiny Lister over {(resource, namespace, name): obj}, listing in name order."""

    def __init__(self):
        self.objs: dict = {}

    def add(self, obj: dict, resource: str | None = None) -> dict:
        m = obj["metadata"]
        self.objs[(resource or PLURAL[obj["kind"]], m.get("namespace"), m["name"])] = obj
        return obj

    def delete(self, resource, name, namespace=None):
        del self.objs[(resource, namespace, name)]

    def get(self, resource, name, namespace=None):
        return self.objs.get((resource, namespace, name))

    def list(self, resource, namespace=None):
        return [o for (r, ns, _), o in sorted(self.objs.items(), key=lambda kv: (kv[0][1] or "", kv[0][2]))
                if r == resource and (namespace is None or ns == namespace)]


def aggregate_all(lister: DictLister) -> None:
    """Run the aggregation to a fixed point (edit feeds admin), as the controller would."""
    for _ in range(3):
        roles = lister.list("clusterroles")
        for role in roles:
            if role.get("aggregationRule"):
                role["rules"] = aggregated_rules(role, roles)


def cluster() -> tuple[DictLister, RBACAuthorizer]:
    lister = DictLister()
    for obj in bootstrap_objects():
        lister.add(obj)
    aggregate_all(lister)
    return lister, RBACAuthorizer(SimpleNamespace(lister=lister, rng=random.Random(0)))


def binding(kind, name, role_kind, role, subjects, namespace=None):
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"kind": kind, "metadata": meta, "subjects": subjects,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role}}


def role(kind, name, rules, namespace=None):
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"kind": kind, "metadata": meta, "rules": rules}


READER = UserInfo("system:serviceaccount:default:reader",
                  ("system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"))
ALICE = UserInfo("alice", ("system:authenticated",))


def A(user, verb, resource="", **kw):
    return AuthzAttributes(user, verb, resource, **kw)


# -- rule matching ----------------------------------------------------------------------

@pytest.mark.parametrize("rule,attrs,allowed", [
    # resourceNames restricts get to the name, and a list (no name) never matches
    ({"verbs": ["get", "list"], "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["cfg"]},
     dict(verb="get", resource="configmaps", name="cfg"), True),
    ({"verbs": ["get", "list"], "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["cfg"]},
     dict(verb="get", resource="configmaps", name="other"), False),
    ({"verbs": ["get", "list"], "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["cfg"]},
     dict(verb="list", resource="configmaps"), False),
    # "*" verbs / groups / resources
    ({"verbs": ["*"], "apiGroups": ["apps"], "resources": ["deployments"]},
     dict(verb="deletecollection", resource="deployments", api_group="apps"), True),
    ({"verbs": ["*"], "apiGroups": ["apps"], "resources": ["deployments"]},
     dict(verb="get", resource="deployments", api_group="extensions"), False),
    ({"verbs": ["get"], "apiGroups": ["*"], "resources": ["*"]},
     dict(verb="get", resource="pods", subresource="log"), True),
    # a subresource needs its own entry: "pods" does not cover "pods/log" and vice versa
    ({"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]},
     dict(verb="get", resource="pods", subresource="log"), False),
    ({"verbs": ["get"], "apiGroups": [""], "resources": ["pods/log"]},
     dict(verb="get", resource="pods", subresource="log"), True),
    ({"verbs": ["get"], "apiGroups": [""], "resources": ["pods/log"]},
     dict(verb="get", resource="pods"), False),
    # */scale: any resource's scale subresource, never a plain resource
    ({"verbs": ["get"], "apiGroups": ["*"], "resources": ["*/scale"]},
     dict(verb="get", resource="deployments", subresource="scale", api_group="apps"), True),
    ({"verbs": ["get"], "apiGroups": ["*"], "resources": ["*/scale"]},
     dict(verb="get", resource="deployments", subresource="status", api_group="apps"), False),
    ({"verbs": ["get"], "apiGroups": ["*"], "resources": ["*/scale"]},
     dict(verb="get", resource="scale"), False),
    # non-resource URLs: exact, prefix glob, "*"
    ({"verbs": ["get"], "nonResourceURLs": ["/healthz/*"]},
     dict(verb="get", path="/healthz/etcd", is_resource_request=False), True),
    ({"verbs": ["get"], "nonResourceURLs": ["/healthz/*"]},
     dict(verb="get", path="/healthz", is_resource_request=False), False),
    ({"verbs": ["get"], "nonResourceURLs": ["/healthz"]},
     dict(verb="get", path="/healthz/etcd", is_resource_request=False), False),
    ({"verbs": ["get"], "nonResourceURLs": ["*"]},
     dict(verb="post", path="/anything", is_resource_request=False), False),
    # a resource rule never grants a path
    ({"verbs": ["get"], "apiGroups": ["*"], "resources": ["*"]},
     dict(verb="get", path="/metrics", is_resource_request=False), False),
])
def test_rule_matching_matrix(rule, attrs, allowed):
    assert rule_allows(AuthzAttributes(ALICE, **attrs), rule) is allowed


# -- bindings -------------------------------------------------------------------------------

def test_cluster_admin_allow_reason_names_binding_role_and_subject():
    _, rbac = cluster()
    admin = UserInfo("kubernetes-admin", ("system:masters", "system:authenticated"))
    assert rbac.authorize(A(admin, "delete", "nodes", name="n1")) == (
        ALLOW, 'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" '
               'to Group "system:masters"')
    assert rbac.authorize(A(admin, "get", path="/metrics", is_resource_request=False))[0] == ALLOW


def test_rolebinding_to_clusterrole_only_grants_in_its_namespace():
    lister, rbac = cluster()
    lister.add(binding("RoleBinding", "alice-view", "ClusterRole", "view",
                       [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"}], "dev"))
    assert rbac.authorize(A(ALICE, "list", "pods", namespace="dev")) == (
        ALLOW, 'RBAC: allowed by RoleBinding "alice-view/dev" of ClusterRole "view" to User "alice"')
    assert rbac.authorize(A(ALICE, "list", "pods", namespace="prod")) == (NO_OPINION, "")
    assert rbac.authorize(A(ALICE, "list", "pods")) == (NO_OPINION, "")  # all namespaces


def test_two_bindings_granting_different_verbs_combine():
    lister, rbac = cluster()
    lister.add(role("Role", "get-pods", [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}], "dev"))
    lister.add(role("ClusterRole", "delete-pods", [{"verbs": ["delete"], "apiGroups": [""], "resources": ["pods"]}]))
    user = [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"}]
    lister.add(binding("RoleBinding", "a", "Role", "get-pods", user, "dev"))
    lister.add(binding("ClusterRoleBinding", "b", "ClusterRole", "delete-pods", user))
    assert rbac.authorize(A(ALICE, "get", "pods", namespace="dev", name="p"))[1].startswith(
        'RBAC: allowed by RoleBinding "a/dev" of Role "get-pods"')
    assert rbac.authorize(A(ALICE, "delete", "pods", namespace="dev", name="p"))[1].startswith(
        'RBAC: allowed by ClusterRoleBinding "b" of ClusterRole "delete-pods"')
    assert rbac.authorize(A(ALICE, "update", "pods", namespace="dev", name="p"))[0] == NO_OPINION


def test_serviceaccount_subject_namespace_defaults_to_the_rolebinding():
    lister, rbac = cluster()
    lister.add(binding("RoleBinding", "r", "ClusterRole", "view", [{"kind": "ServiceAccount", "name": "reader"}],
                       "default"))
    assert rbac.authorize(A(READER, "get", "pods", namespace="default", name="p")) == (
        ALLOW, 'RBAC: allowed by RoleBinding "r/default" of ClusterRole "view" to ServiceAccount "reader/default"')
    # the same SA name in another namespace is another identity
    other = UserInfo("system:serviceaccount:kube-system:reader", ("system:serviceaccounts",))
    assert rbac.authorize(A(other, "get", "pods", namespace="default", name="p"))[0] == NO_OPINION
    # a ClusterRoleBinding's SA subject without namespace matches nobody
    lister.add(binding("ClusterRoleBinding", "c", "ClusterRole", "view", [{"kind": "ServiceAccount", "name": "reader"}]))
    assert rbac.authorize(A(READER, "get", "pods", namespace="kube-system", name="p"))[0] == NO_OPINION


def test_binding_to_missing_role_is_reported_in_the_reason():
    lister, rbac = cluster()
    user = [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"}]
    lister.add(binding("ClusterRoleBinding", "x", "ClusterRole", "nope", user))
    assert rbac.authorize(A(ALICE, "get", "pods", namespace="dev")) == (
        NO_OPINION, 'RBAC: clusterrole.rbac.authorization.k8s.io "nope" not found')
    lister.add(binding("RoleBinding", "y", "Role", "gone", user, "dev"))
    assert rbac.authorize(A(ALICE, "get", "pods", namespace="dev")) == (
        NO_OPINION, 'RBAC: [clusterrole.rbac.authorization.k8s.io "nope" not found, '
                    'role.rbac.authorization.k8s.io "gone" not found]')


def test_index_follows_changes_when_the_lister_has_a_revision():
    lister, _ = cluster()
    lister.revision = 1
    rbac = RBACAuthorizer(SimpleNamespace(lister=lister))
    user = [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"}]
    assert rbac.authorize(A(ALICE, "get", "pods", namespace="dev"))[0] == NO_OPINION
    lister.add(binding("RoleBinding", "v", "ClusterRole", "view", user, "dev"))
    assert rbac.authorize(A(ALICE, "get", "pods", namespace="dev"))[0] == NO_OPINION  # same revision: cached
    lister.revision = 2
    assert rbac.authorize(A(ALICE, "get", "pods", namespace="dev"))[0] == ALLOW


# -- bootstrap roles and aggregation -------------------------------------------------------

def test_view_cannot_read_secrets_edit_can_admin_manages_roles():
    lister, rbac = cluster()
    for name in ("view", "edit", "admin"):
        lister.add(binding("RoleBinding", name, "ClusterRole", name,
                           [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": name}], "dev"))
    u = {n: UserInfo(n, ("system:authenticated",)) for n in ("view", "edit", "admin")}
    assert rbac.authorize(A(u["view"], "get", "secrets", namespace="dev", name="s"))[0] == NO_OPINION
    assert rbac.authorize(A(u["view"], "get", "pods", namespace="dev", subresource="log", name="p"))[0] == ALLOW
    assert rbac.authorize(A(u["edit"], "get", "secrets", namespace="dev", name="s"))[0] == ALLOW
    assert rbac.authorize(A(u["edit"], "create", "deployments", namespace="dev", api_group="apps"))[0] == ALLOW
    assert rbac.authorize(A(u["edit"], "create", "rolebindings", namespace="dev",
                            api_group="rbac.authorization.k8s.io"))[0] == NO_OPINION
    assert rbac.authorize(A(u["admin"], "create", "rolebindings", namespace="dev",
                            api_group="rbac.authorization.k8s.io"))[0] == ALLOW
    # edit's write rules reach admin through edit's own aggregate-to-admin label
    assert rbac.authorize(A(u["admin"], "delete", "pods", namespace="dev", name="p"))[0] == ALLOW


def test_aggregation_adds_a_labelled_roles_rules_to_view_once():
    lister, _ = cluster()
    view = lister.get("clusterroles", "view")
    before = list(view["rules"])
    crd_rule = {"verbs": ["get", "list", "watch"], "apiGroups": ["stable.example.com"], "resources": ["crontabs"]}
    lister.add({"kind": "ClusterRole", "rules": [crd_rule, before[0]],  # one new rule, one already there
                "metadata": {"name": "aggregate-cron-tabs-view",
                             "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}}})
    after = aggregated_rules(view, lister.list("clusterroles"))
    assert after == [crd_rule] + before  # "aggregate-cron-tabs-view" sorts before "system:aggregate-to-view"
    lister.get("clusterroles", "aggregate-cron-tabs-view")["metadata"]["labels"] = {}
    assert aggregated_rules(view, lister.list("clusterroles")) == before


def test_bootstrap_objects_carry_upstream_labels_and_bindings():
    objs = {(o["kind"], o["metadata"]["name"]): o for o in bootstrap_objects()}
    crb = objs[("ClusterRoleBinding", "cluster-admin")]
    assert crb["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}]
    assert crb["metadata"]["labels"] == {"kubernetes.io/bootstrapping": "rbac-defaults"}
    assert crb["metadata"]["annotations"] == {"rbac.authorization.kubernetes.io/autoupdate": "true"}
    assert objs[("ClusterRoleBinding", "system:kube-scheduler")]["subjects"][0]["name"] == "system:kube-scheduler"
    assert objs[("ClusterRoleBinding", "system:controller:deployment-controller")]["subjects"] == [
        {"kind": "ServiceAccount", "name": "deployment-controller", "namespace": "kube-system"}]
    assert objs[("ClusterRole", "view")]["aggregationRule"] == {
        "clusterRoleSelectors": [{"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}}]}
    assert objs[("ClusterRole", "edit")]["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-admin"] == "true"
    # every object is valid by the RBAC validation rules
    for (kind, _), o in objs.items():
        check = {"ClusterRole": v.cluster_role, "ClusterRoleBinding": v.cluster_role_binding,
                 "Role": v.role, "RoleBinding": v.role_binding}[kind]
        assert check(o) == []


# -- 403 messages ---------------------------------------------------------------------------

@pytest.mark.parametrize("attrs,reason,message", [
    (A(READER, "delete", "pods", namespace="default", name="p"), "",
     'pods "p" is forbidden: User "system:serviceaccount:default:reader" cannot delete resource "pods" '
     'in API group "" in the namespace "default"'),
    (A(READER, "list", "pods"), "",
     'pods is forbidden: User "system:serviceaccount:default:reader" cannot list resource "pods" '
     'in API group "" at the cluster scope'),
    (A(ALICE, "get", "pods", namespace="dev", name="web", subresource="log"), "",
     'pods "web" is forbidden: User "alice" cannot get resource "pods/log" in API group "" in the namespace "dev"'),
    (A(ALICE, "create", "deployments", api_group="apps", namespace="dev"), "",
     'deployments.apps is forbidden: User "alice" cannot create resource "deployments" in API group "apps" '
     'in the namespace "dev"'),
    (A(ALICE, "get", path="/metrics", is_resource_request=False), "",
     'forbidden: User "alice" cannot get path "/metrics"'),
    (A(ALICE, "get", "nodes", name="n1"), 'RBAC: clusterrole.rbac.authorization.k8s.io "x" not found',
     'nodes "n1" is forbidden: User "alice" cannot get resource "nodes" in API group "" at the cluster scope: '
     'RBAC: clusterrole.rbac.authorization.k8s.io "x" not found'),
])
def test_forbidden_messages(attrs, reason, message):
    err = forbidden_error(attrs, reason)
    assert (err.code, err.reason, err.message) == (403, "Forbidden", message)
    assert str(err) == f"Error from server (Forbidden): {message}"


def test_forbidden_status_details():
    err = forbidden_error(A(ALICE, "create", "deployments", api_group="apps", namespace="d", name="web"))
    assert err.status["details"] == {"name": "web", "group": "apps", "kind": "deployments"}


# -- reviews and kubectl auth ------------------------------------------------------------------

class ReviewClient:
    """Client stand-in: runs the review functions as the API server would."""

    def __init__(self, user, authorizers):
        self.user, self.authorizers = user, authorizers

    def create(self, resource, body):
        fn = {"selfsubjectaccessreviews": self_subject_access_review,
              "selfsubjectrulesreviews": self_subject_rules_review,
              "selfsubjectreviews": self_subject_review}[resource]
        return fn(body, self.user, self.authorizers)


def test_subject_access_reviews():
    lister, rbac = cluster()
    lister.add(binding("RoleBinding", "r", "ClusterRole", "view", [{"kind": "ServiceAccount", "name": "reader"}],
                       "default"))
    spec = {"resourceAttributes": {"namespace": "default", "verb": "get", "resource": "pods"},
            "user": READER.name, "groups": list(READER.groups)}
    st = subject_access_review({"spec": spec}, ALICE, [rbac])["status"]
    assert st == {"allowed": True, "reason": 'RBAC: allowed by RoleBinding "r/default" of ClusterRole "view" '
                                            'to ServiceAccount "reader/default"'}
    spec["resourceAttributes"]["verb"] = "delete"
    assert subject_access_review({"spec": spec}, ALICE, [rbac])["status"] == {"allowed": False}
    with pytest.raises(ApiError) as e:
        subject_access_review({"spec": {"nonResourceAttributes": {"verb": "get", "path": "/"}}}, ALICE, [rbac])
    assert e.value.message == ('SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: '
                               'Invalid value: "": at least one of user or group must be specified')
    with pytest.raises(ApiError) as e:
        self_subject_access_review({"spec": {}}, ALICE, [rbac])
    assert e.value.message == ('SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: '
                               'Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes '
                               'must be specified')


def test_kubectl_can_i_yes_no_and_warnings():
    lister, rbac = cluster()
    lister.add(binding("RoleBinding", "r", "ClusterRole", "view", [{"kind": "ServiceAccount", "name": "reader"}],
                       "default"))
    c = ReviewClient(READER, [rbac])
    assert kauth.can_i(c, "list", "pods") == ("yes\n", "", 0)
    assert kauth.can_i(c, "list", "pods", namespace="kube-system") == ("no\n", "", 1)
    assert kauth.can_i(c, "get", "pods", subresource="log") == ("yes\n", "", 0)
    assert kauth.can_i(c, "get", "/healthz") == ("yes\n", "", 0)
    assert kauth.can_i(c, "get", "/metrics", quiet=True) == ("", "", 1)
    assert kauth.can_i(c, "get", "nodes", namespaced=False) == (
        "no\n", "Warning: resource 'nodes' is not namespace scoped\n\n", 1)   # kubectl's text ends in \n, its printer adds one
    assert kauth.can_i(c, "fly", "foos", namespaced=None)[1] == (
        "Warning: the server doesn't have a resource type 'foos'\nWarning: verb 'fly' is not a known verb\n")


def test_kubectl_can_i_list_for_a_plain_authenticated_user():
    _, rbac = cluster()
    out, err, code = kauth.can_i_list(ReviewClient(ALICE, [rbac]), "default")
    assert (err, code) == ("", 0)
    assert out == """\
Resources                                       Non-Resource URLs   Resource Names   Verbs
selfsubjectreviews.authentication.k8s.io        []                  []               [create]
selfsubjectaccessreviews.authorization.k8s.io   []                  []               [create]
selfsubjectrulesreviews.authorization.k8s.io    []                  []               [create]
                                                [/api/*]            []               [get]
                                                [/api]              []               [get]
                                                [/apis/*]           []               [get]
                                                [/apis]             []               [get]
                                                [/healthz]          []               [get]
                                                [/healthz]          []               [get]
                                                [/livez]            []               [get]
                                                [/livez]            []               [get]
                                                [/openapi/*]        []               [get]
                                                [/openapi]          []               [get]
                                                [/readyz]           []               [get]
                                                [/readyz]           []               [get]
                                                [/version/]         []               [get]
                                                [/version/]         []               [get]
                                                [/version]          []               [get]
                                                [/version]          []               [get]
"""


def test_kubectl_can_i_list_cluster_admin_and_compacted_verbs():
    lister, rbac = cluster()
    lister.add(role("Role", "pods", [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]},
                                     {"verbs": ["watch"], "apiGroups": [""], "resources": ["pods"]},
                                     {"verbs": ["get"], "apiGroups": ["apps"], "resources": ["deployments/scale"],
                                      "resourceNames": ["web"]}], "dev"))
    lister.add(binding("RoleBinding", "p", "Role", "pods",
                       [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"}], "dev"))
    out, _, _ = kauth.can_i_list(ReviewClient(ALICE, [rbac]), "dev", no_headers=True)
    lines = out.splitlines()
    assert lines[0].split() == ["selfsubjectreviews.authentication.k8s.io", "[]", "[]", "[create]"]
    assert lines[-1].split() == ["deployments.apps/scale", "[]", "[web]", "[get]"]
    assert any(line.split() == ["pods", "[]", "[]", "[get", "list", "watch]"] for line in lines)
    admin = UserInfo("kubernetes-admin", ("system:masters", "system:authenticated"))
    out, _, _ = kauth.can_i_list(ReviewClient(admin, [rbac]), "default")
    assert out.splitlines()[1].split() == ["*.*", "[]", "[]", "[*]"]
    assert out.splitlines()[2].split() == ["[*]", "[]", "[*]"]


def test_kubectl_whoami():
    user = UserInfo("system:serviceaccount:default:reader",
                    ("system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"),
                    "u-1", (("authentication.kubernetes.io/pod-name", ("web",)),
                            ("authentication.kubernetes.io/credential-id", ("JTI=j-1",))))
    out, _, code = kauth.whoami(ReviewClient(user, []))
    # as real kubectl prints it: the widest key plus tabwriter padding 3
    assert code == 0 and out == """\
ATTRIBUTE                                           VALUE
Username                                            system:serviceaccount:default:reader
UID                                                 u-1
Groups                                              [system:serviceaccounts system:serviceaccounts:default system:authenticated]
Extra: authentication.kubernetes.io/credential-id   [JTI=j-1]
Extra: authentication.kubernetes.io/pod-name        [web]
"""


# -- validation -------------------------------------------------------------------------------

def test_rbac_validation_messages():
    assert [str(e) for e in v.role(role("Role", "r", [{"verbs": [], "apiGroups": [""], "resources": ["pods"]},
                                                     {"verbs": ["get"], "nonResourceURLs": ["/x"]}], "ns"))] == [
        "rules[0].verbs: Required value: verbs must contain at least one value",
        'rules[1].nonResourceURLs: Invalid value: ["/x"]: namespaced rules cannot apply to non-resource URLs']
    crb = binding("ClusterRoleBinding", "b", "Role", "r", [{"kind": "ServiceAccount", "name": "sa"},
                                                           {"kind": "Robot", "name": "x"}])
    assert [str(e) for e in v.cluster_role_binding(crb)] == [
        'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
        "subjects[0].namespace: Required value",
        'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"']
    old = binding("RoleBinding", "b", "Role", "r", [], "ns")
    new = binding("RoleBinding", "b", "ClusterRole", "r", [], "ns")
    assert [str(e) for e in v.role_binding_update(new, old)] == [
        'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", '
        'Name:"r"}: cannot change roleRef']
    assert v.role_binding_update(old, old) == []
    assert [str(e) for e in v.cluster_role({"metadata": {"name": "a/b"}, "aggregationRule": {}})] == [
        "metadata.name: Invalid value: \"a/b\": may not contain '/'",
        "aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if "
        "aggregationRule is non-nil"]


def test_authorize_chain_joins_no_opinion_reasons():
    class Stub:
        def __init__(self, name, answer):
            self.name, self.answer = name, answer

        def authorize(self, attrs):
            return self.answer

    a = A(ALICE, "get", "pods")
    assert authorize_chain([Stub("Node", (NO_OPINION, "x")), Stub("RBAC", (NO_OPINION, "y"))], a) == (
        NO_OPINION, "x\ny", "")
    assert authorize_chain([Stub("Node", (NO_OPINION, "x")), Stub("RBAC", (ALLOW, "ok"))], a) == (ALLOW, "ok", "RBAC")
