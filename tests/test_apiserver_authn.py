"""Authentication, ServiceAccount tokens, TokenRequest/TokenReview and impersonation.

Upstream behaviour pinned here:
- pkg/kubeapiserver/authenticator/config.go (union, fail on a bad credential, anonymous),
  apiserver/pkg/authentication/group/authenticated_group_adder.go;
- apiserver/pkg/endpoints/filters/authentication.go (the 401 body ``Unauthorized``);
- pkg/serviceaccount/claims.go + jwt.go (claims, one-minute go-jose leeway, SA/pod UID checks,
  the messages TokenReview reports), apiserver/pkg/authentication/serviceaccount/util.go
  (username, groups, extra keys);
- pkg/registry/core/serviceaccount/storage/token.go, pkg/apis/authentication/validation
  (TokenRequest defaults, the 10-minute minimum, bound object refs);
- apiserver/pkg/endpoints/filters/impersonation.go (checks, groups, 403/400 messages).
"""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from k8score.apiserver.authn import Authenticator, impersonate
from k8score.api.errors import ApiError
from k8score.apiserver.request import UserInfo
from k8score.apiserver.tokens import EPOCH_UNIX, TokenSigner
from k8score.sim.clock import rfc3339

from test_apiserver_rbac import binding, cluster, role


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def make(tokens=None):
    lister, rbac = cluster()
    clock = Clock()
    ctx = SimpleNamespace(lister=lister, now=clock, rng=random.Random(7),
                          timestamp=lambda offset=0.0: rfc3339(clock.t + offset), loopback=None)
    return ctx, lister, rbac, clock, Authenticator(ctx, tokens=tokens)


def sa(lister, name="reader", ns="default", uid="sa-uid-1"):
    return lister.add({"kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns, "uid": uid}},
                      "serviceaccounts")


def pod(lister, name="web", ns="default", uid="pod-uid-1", sa_name="reader", node="node-1"):
    return lister.add({"kind": "Pod", "metadata": {"name": name, "namespace": ns, "uid": uid},
                       "spec": {"serviceAccountName": sa_name, "nodeName": node}}, "pods")


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# -- identities ---------------------------------------------------------------------------

def test_static_token_cert_anonymous_and_in_process_users():
    _, _, _, _, authn = make({"abc": UserInfo("alice", ("dev",))})
    assert authn.authenticate(bearer("abc")) == UserInfo("alice", ("dev", "system:authenticated"))
    assert authn.authenticate({"authorization": "bearer abc"}).name == "alice"  # case-insensitive
    assert authn.authenticate({}) == UserInfo("system:anonymous", ("system:unauthenticated",))
    u = authn.authenticate(cert={"CN": "kubernetes-admin", "O": ["kubeadm:cluster-admins"]})
    assert (u.name, u.groups) == ("kubernetes-admin", ("kubeadm:cluster-admins", "system:authenticated"))
    assert u.extra_dict()["authentication.kubernetes.io/credential-id"][0].startswith("X509SHA256=")
    kcm = authn.authenticate({}, user=UserInfo("system:kube-controller-manager"))
    assert kcm.groups == ("system:authenticated",)
    # already authenticated (or explicitly unauthenticated): nothing added
    assert authn.authenticate({}, user=UserInfo("x", ("system:authenticated",))).groups == ("system:authenticated",)


def test_invalid_token_is_401_with_upstreams_opaque_body_never_anonymous():
    _, _, _, _, authn = make({"abc": UserInfo("alice")})
    for token in ("nope", "a.b.c", "abcd"):
        with pytest.raises(ApiError) as e:
            authn.authenticate(bearer(token))
        assert e.value.status == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                  "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
    authn.anonymous = False
    with pytest.raises(ApiError):
        authn.authenticate({})


# -- ServiceAccount tokens -------------------------------------------------------------------

def test_token_request_round_trip_bound_to_a_pod():
    ctx, lister, _, clock, authn = make()
    s, p = sa(lister), pod(lister)
    lister.add({"kind": "Node", "metadata": {"name": "node-1", "uid": "node-uid-1"}}, "nodes")
    tr = authn.issue_token(s, {"spec": {"boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "web"}}})
    assert tr["spec"]["expirationSeconds"] == 3600
    assert tr["spec"]["audiences"] == ["https://kubernetes.default.svc.cluster.local"]
    assert tr["status"]["expirationTimestamp"] == "2026-01-01T01:01:40Z"  # t=100 s + 3600 s
    claims = TokenSigner.peek(tr["status"]["token"])
    assert claims["sub"] == "system:serviceaccount:default:reader"
    assert claims["exp"] - claims["iat"] == 3600 and claims["iat"] == EPOCH_UNIX + 100
    assert claims["kubernetes.io"] == {"namespace": "default",
                                       "node": {"name": "node-1", "uid": "node-uid-1"},
                                       "pod": {"name": "web", "uid": "pod-uid-1"},
                                       "serviceaccount": {"name": "reader", "uid": "sa-uid-1"}}
    user = authn.authenticate(bearer(tr["status"]["token"]))
    assert user.name == "system:serviceaccount:default:reader" and user.uid == "sa-uid-1"
    assert user.groups == ("system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated")
    assert user.extra_dict() == {
        "authentication.kubernetes.io/credential-id": [f"JTI={claims['jti']}"],
        "authentication.kubernetes.io/node-name": ["node-1"],
        "authentication.kubernetes.io/node-uid": ["node-uid-1"],
        "authentication.kubernetes.io/pod-name": ["web"],
        "authentication.kubernetes.io/pod-uid": ["pod-uid-1"]}
    # a second token differs (new jti) and works too
    tr2 = authn.issue_token(s, {})
    assert tr2["status"]["token"] != tr["status"]["token"]
    assert authn.authenticate(bearer(tr2["status"]["token"])).extra_dict().keys() == {
        "authentication.kubernetes.io/credential-id"}


def test_token_expiry_honours_go_jose_one_minute_leeway_on_both_sides():
    _, lister, _, clock, authn = make()
    tok = authn.issue_token(sa(lister), {"spec": {"expirationSeconds": 600}})["status"]["token"]
    clock.t = 100 + 600  # exactly exp: still valid
    assert authn.authenticate(bearer(tok)).name == "system:serviceaccount:default:reader"
    clock.t = 100 + 600 + 60  # exp + leeway: the last valid instant
    assert authn.authenticate(bearer(tok)).name == "system:serviceaccount:default:reader"
    clock.t = 100 + 600 + 60.5
    assert authn.authenticate_token(tok) == (None, "service account token has expired")
    with pytest.raises(ApiError) as e:
        authn.authenticate(bearer(tok))
    assert e.value.code == 401


def test_token_revoked_when_sa_or_bound_pod_is_deleted_or_recreated():
    _, lister, _, _, authn = make()
    s, _ = sa(lister), pod(lister)
    tok = authn.issue_token(s, {"spec": {"boundObjectRef": {"kind": "Pod", "apiVersion": "v1",
                                                            "name": "web"}}})["status"]["token"]
    lister.delete("pods", "web", "default")
    assert authn.authenticate_token(tok) == (None, "service account token has been invalidated")
    pod(lister, uid="pod-uid-2")  # same name, new pod
    assert authn.authenticate_token(tok) == (
        None, "pod UID (pod-uid-2) does not match service account pod ref claim (pod-uid-1)")
    pod(lister)
    assert authn.authenticate_token(tok)[0] is not None
    lister.delete("serviceaccounts", "reader", "default")
    assert authn.authenticate_token(tok) == (None, 'serviceaccounts "reader" not found')
    sa(lister, uid="sa-uid-2")
    assert authn.authenticate_token(tok) == (None, "service account UID (sa-uid-2) does not match claim (sa-uid-1)")


def test_forged_and_foreign_tokens():
    _, lister, _, _, authn = make()
    tok = authn.issue_token(sa(lister), {})["status"]["token"]
    ctx2 = SimpleNamespace(lister=lister, now=lambda: 100.0, rng=random.Random(8))
    other = Authenticator(ctx2)  # another API server (another seed): another key
    assert other.authenticate_token(tok) == (None, "go-jose/go-jose: error in cryptographic primitive")
    head, body, sig = tok.split(".")
    assert authn.authenticate_token(f"{head}.{body}.{sig[::-1]}")[0] is None
    assert authn.authenticate_token(tok, ["vault"]) == (
        None, 'token audiences ["https://kubernetes.default.svc.cluster.local"] is invalid for the target '
              'audiences ["vault"]')


def test_token_request_limits_and_bound_object_errors():
    _, lister, _, _, authn = make()
    s = sa(lister)
    with pytest.raises(ApiError) as e:
        authn.issue_token(s, {"spec": {"expirationSeconds": 599}})
    assert (e.value.code, e.value.message) == (422, 'TokenRequest.authentication.k8s.io "" is invalid: '
                                               'spec.expirationSeconds: Invalid value: 599: may not specify '
                                               'a duration less than 10 minutes')
    assert authn.issue_token(s, {"spec": {"expirationSeconds": 600}})["spec"]["expirationSeconds"] == 600
    with pytest.raises(ApiError) as e:
        authn.issue_token(s, {"spec": {"expirationSeconds": 2 ** 32 + 1}})
    assert e.value.message.endswith("may not specify a duration larger than 2^32 seconds")
    pod(lister, name="other", sa_name="default")
    ref = {"kind": "Pod", "apiVersion": "v1", "name": "other"}
    with pytest.raises(ApiError) as e:
        authn.issue_token(s, {"spec": {"boundObjectRef": ref}})
    assert (e.value.code, e.value.message) == (400, 'cannot bind token for serviceaccount "reader" to pod '
                                                    'running with serviceaccount "default"')
    pod(lister)
    with pytest.raises(ApiError) as e:
        authn.issue_token(s, {"spec": {"boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "web",
                                                          "uid": "old"}}})
    assert (e.value.code, e.value.message) == (409, 'Operation cannot be fulfilled on Pod "web": the UID in the '
                                                    'bound object reference (old) does not match the UID in record. '
                                                    'The object might have been deleted and then recreated')
    with pytest.raises(ApiError) as e:
        authn.issue_token(s, {"spec": {"boundObjectRef": {"kind": "Deployment", "apiVersion": "apps/v1",
                                                          "name": "web"}}})
    assert e.value.message == "cannot bind token to object of type apps/v1, Kind=Deployment"


def test_kubelet_projected_token_is_extended_to_a_year_but_reports_3607s():
    _, lister, _, _, authn = make()
    s, _ = sa(lister), pod(lister)
    tr = authn.issue_token(s, {"spec": {"expirationSeconds": 3607, "boundObjectRef": {
        "kind": "Pod", "apiVersion": "v1", "name": "web"}}})
    claims = TokenSigner.peek(tr["status"]["token"])
    assert claims["exp"] - claims["iat"] == 365 * 24 * 3600
    assert claims["kubernetes.io"]["warnafter"] - claims["iat"] == 3607
    assert tr["status"]["expirationTimestamp"] == rfc3339(100 + 3607)


def test_token_review():
    _, lister, _, _, authn = make({"static": UserInfo("bob", ("ops",))})
    tok = authn.issue_token(sa(lister), {})["status"]["token"]
    st = authn.token_review({"spec": {"token": tok}})["status"]
    assert st["authenticated"] is True and st["user"]["username"] == "system:serviceaccount:default:reader"
    assert st["audiences"] == ["https://kubernetes.default.svc.cluster.local"]
    assert authn.token_review({"spec": {"token": "static"}})["status"]["user"] == {
        "username": "bob", "groups": ["ops", "system:authenticated"]}
    lister.delete("serviceaccounts", "reader", "default")
    assert authn.token_review({"spec": {"token": tok}})["status"] == {
        "authenticated": False, "error": 'serviceaccounts "reader" not found'}
    with pytest.raises(ApiError) as e:
        authn.token_review({"spec": {}})
    assert (e.value.code, e.value.message) == (400, "token is required for TokenReview in authentication")


# -- impersonation ------------------------------------------------------------------------------

def test_impersonation_allowed_for_cluster_admin_and_groups_follow_upstream():
    _, _, rbac, _, _ = make()
    admin = UserInfo("kubernetes-admin", ("system:masters", "system:authenticated"))
    assert impersonate(admin, {}, rbac.authorize) is admin
    u = impersonate(admin, {"Impersonate-User": "bob", "Impersonate-Group": ["dev", "qa"]}, rbac.authorize)
    assert (u.name, u.groups) == ("bob", ("dev", "qa", "system:authenticated"))
    u = impersonate(admin, {"Impersonate-User": "system:serviceaccount:ns1:robot"}, rbac.authorize)
    assert u.groups == ("system:serviceaccounts", "system:serviceaccounts:ns1", "system:authenticated")
    u = impersonate(admin, {"Impersonate-User": "system:anonymous"}, rbac.authorize)
    assert u.groups == ("system:unauthenticated",)
    u = impersonate(admin, {"Impersonate-User": "bob", "Impersonate-Uid": "1234",
                            "Impersonate-Extra-Scopes": ["view", "dev"]}, rbac.authorize)
    assert (u.uid, u.extra_dict()) == ("1234", {"scopes": ["view", "dev"]})


def test_impersonation_denied_messages():
    _, lister, rbac, _, _ = make()
    alice = UserInfo("alice", ("system:authenticated",))
    with pytest.raises(ApiError) as e:
        impersonate(alice, {"Impersonate-User": "bob"}, rbac.authorize)
    assert (e.value.code, e.value.message) == (403, 'users "bob" is forbidden: User "alice" cannot impersonate '
                                                    'resource "users" in API group "" at the cluster scope')
    # allowed to impersonate bob, but not the group asked for
    lister.add(role("ClusterRole", "imp-bob", [{"verbs": ["impersonate"], "apiGroups": [""],
                                               "resources": ["users"], "resourceNames": ["bob"]}]))
    lister.add(binding("ClusterRoleBinding", "imp", "ClusterRole", "imp-bob",
                       [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"}]))
    assert impersonate(alice, {"Impersonate-User": "bob"}, rbac.authorize).name == "bob"
    with pytest.raises(ApiError) as e:
        impersonate(alice, {"Impersonate-User": "bob", "Impersonate-Group": "system:masters"}, rbac.authorize)
    assert e.value.message == ('groups "system:masters" is forbidden: User "alice" cannot impersonate resource '
                               '"groups" in API group "" at the cluster scope')
    with pytest.raises(ApiError) as e:
        impersonate(alice, {"Impersonate-User": "system:serviceaccount:kube-system:admin"}, rbac.authorize)
    assert e.value.message == ('serviceaccounts "admin" is forbidden: User "alice" cannot impersonate resource '
                               '"serviceaccounts" in API group "" in the namespace "kube-system"')
    with pytest.raises(ApiError) as e:
        impersonate(alice, {"Impersonate-User": "bob", "Impersonate-Extra-Scopes": "x"}, rbac.authorize)
    assert e.value.message == ('userextras.authentication.k8s.io "x" is forbidden: User "alice" cannot impersonate '
                               'resource "userextras/scopes" in API group "authentication.k8s.io" at the cluster scope')
    with pytest.raises(ApiError) as e:
        impersonate(alice, {"Impersonate-Group": "g"}, rbac.authorize)
    assert (e.value.code, e.value.message) == (400, "requested [{Group  g    }] without impersonating a user")
