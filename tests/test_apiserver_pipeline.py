"""The request pipeline end to end on a whole cluster: authentication, impersonation,
Node+RBAC authorization, the admission chain's order, strict decoding, dry run, field
managers and server-side apply, the trace.

Upstream: k8s.io/apiserver/pkg/server/config.go (DefaultBuildHandlerChain),
pkg/kubeapiserver/options/plugins.go (AllOrderedPlugins), handlers/create.go, patch.go,
plugin/pkg/auth/authorizer/rbac/rbac.go, pkg/registry/core/serviceaccount/storage/token.go,
kubeapiserver/default_storage_factory_builder.go (SpecialDefaultResourcePrefixes).
"""

import pytest

from k8score import Cluster
from k8score.api.errors import ApiError
from k8score.apiserver.request import user_from_name

READER = "system:serviceaccount:default:reader"
RBAC = """
apiVersion: v1
kind: ServiceAccount
metadata: {name: reader, namespace: default}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: default}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-pods, namespace: default}
subjects: [{kind: ServiceAccount, name: reader, namespace: default}]
roleRef: {kind: Role, name: pod-reader, apiGroup: rbac.authorization.k8s.io}
"""
POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "default"},
       "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}


@pytest.fixture(scope="module")
def c():
    cluster = Cluster(nodes=1, seed=3)
    cluster.apply(RBAC)
    cluster.apply(POD)
    cluster.run(seconds=5)
    return cluster


def _keys(c):
    return c.etcdctl("get /registry --prefix --keys-only")


def test_trace_shows_each_stage_in_upstreams_order(c):
    c.kubectl("run trace-me --image=nginx")
    trace = c.traces()[-1]
    stages = [s for s, _, _ in trace.steps]
    assert stages[:2] == ["authentication", "authorization"]
    # mutating admission before validation, validating admission after, storage last
    assert stages.index("mutating admission: ServiceAccount") < stages.index("validation") \
        < stages.index("validating admission: PodSecurity") < stages.index("storage")
    assert trace.code == 201
    assert trace.steps[-1][2].startswith("etcd txn put /registry/pods/default/trace-me at revision ")
    assert str(trace).splitlines()[0] == "CREATE pods trace-me -n default as kubernetes-admin"


def test_rbac_allows_what_the_role_grants_and_refuses_the_rest_with_upstreams_message(c):
    reader = c.api.impersonating(READER)
    assert reader.get("pods", "web", namespace="default")["metadata"]["name"] == "web"
    with pytest.raises(ApiError) as e:
        reader.delete("pods", "web", namespace="default")
    assert e.value.code == 403
    assert e.value.message == ('pods "web" is forbidden: User "system:serviceaccount:default:reader" cannot '
                               'delete resource "pods" in API group "" in the namespace "default"')
    with pytest.raises(ApiError) as e:  # the role is namespaced: nothing in kube-system
        reader.list("pods", namespace="kube-system")
    assert e.value.message == ('pods is forbidden: User "system:serviceaccount:default:reader" cannot list '
                               'resource "pods" in API group "" in the namespace "kube-system"')
    assert c.get("pods", "web")["metadata"]["name"] == "web"  # the refused delete changed nothing


def test_impersonation_needs_the_impersonate_verb(c):
    as_reader = c.api.impersonating(READER)   # kubernetes-admin may impersonate anyone
    with pytest.raises(ApiError) as e:  # the reader may not impersonate in turn
        from k8score.client import Client
        Client(c.apiserver, user=READER).impersonating("kubernetes-admin").list("pods")
    assert e.value.code == 403 and e.value.message == (
        'users "kubernetes-admin" is forbidden: User "system:serviceaccount:default:reader" cannot '
        'impersonate resource "users" in API group "" at the cluster scope')
    assert as_reader.list("pods", namespace="default")["items"]


def test_kubectl_auth_can_i_answers_from_rbac(c):
    assert c.kubectl(f"auth can-i list pods --as={READER}") == "yes\n"
    assert c.kubectl(f"auth can-i delete pods --as={READER}").startswith("no")
    assert c.kubectl(f"auth can-i list secrets -n kube-system --as={READER}").startswith("no")


def test_components_act_under_their_own_identities(c):
    users = {a[1] for a in c.apiserver.audit}
    assert {"system:kube-scheduler", "system:node:node-1",
            "system:serviceaccount:kube-system:kube-proxy"} <= users
    assert any(u.startswith("system:serviceaccount:kube-system:") and u.endswith("-controller") for u in users)
    # nothing a component asked for was refused (the audit names the requestor, as upstream's
    # user field does; the impersonated reader's refusals were requested by kubernetes-admin)
    assert not [a for a in c.apiserver.audit if a[6] == 403 and a[1] not in (READER, "kubernetes-admin")]


def test_a_bearer_token_from_token_request_authenticates_over_rest(c):
    tr = c.api.create("serviceaccounts", {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                          "metadata": {"name": "reader"}, "spec": {}},
                      namespace="default", subresource="token")
    token = tr["status"]["token"]
    ok = c.apiserver.handle({"method": "GET", "path": "/api/v1/namespaces/default/pods/web",
                             "headers": {"Authorization": f"Bearer {token}"}})
    assert ok["code"] == 200 and ok["body"]["metadata"]["name"] == "web"
    denied = c.apiserver.handle({"method": "DELETE", "path": "/api/v1/namespaces/default/pods/web",
                                 "headers": {"Authorization": f"Bearer {token}"}})
    assert denied["code"] == 403
    bad = c.apiserver.handle({"method": "GET", "path": "/api/v1/namespaces/default/pods/web",
                              "headers": {"Authorization": f"Bearer {token[:-2]}xx"}})
    assert bad["code"] == 401 and bad["body"]["reason"] == "Unauthorized"
    anonymous = c.apiserver.handle({"method": "GET", "path": "/api/v1/namespaces/default/pods/web"})
    assert anonymous["code"] == 403 and 'User "system:anonymous"' in anonymous["body"]["message"]


def test_service_account_admission_mounts_the_api_access_volume(c):
    pod = c.get("pods", "web")
    vol = next(v for v in pod["spec"]["volumes"] if v["name"].startswith("kube-api-access-"))
    assert len(vol["name"]) == len("kube-api-access-") + 5
    sources = vol["projected"]["sources"]
    assert sources[0] == {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}
    mount = pod["spec"]["containers"][0]["volumeMounts"][0]
    assert mount == {"name": vol["name"], "readOnly": True,
                     "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}


def test_strict_field_validation_refuses_unknown_fields_and_warn_warns(c):
    body = dict(POD, metadata={"name": "typo"}, spec={"containers": [{"name": "a", "image": "x", "imagee": "y"}]})
    with pytest.raises(ApiError) as e:
        c.api.create("pods", body, namespace="default", field_validation="Strict")
    assert e.value.code == 400 and e.value.message == (
        'Pod in version "v1" cannot be handled as a Pod: strict decoding error: '
        'unknown field "spec.containers[0].imagee"')
    created = c.api.create("pods", body, namespace="default", field_validation="Warn")
    assert c.api.last_warnings == ['unknown field "spec.containers[0].imagee"']
    assert "imagee" not in created["spec"]["containers"][0]
    c.api.delete("pods", "typo", namespace="default", grace_period_seconds=0)


def test_wrong_types_are_400_with_gos_message_and_nothing_is_stored(c):
    before = _keys(c)
    for body, message in [
        ({"metadata": {"name": "x"}, "spec": {"replicas": "three"}},
         'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into '
         'Go struct field DeploymentSpec.spec.replicas of type int32'),
        ({"metadata": {"name": "x"}, "spec": {"replicas": 2 ** 31}},
         'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number '
         '2147483648 into Go struct field DeploymentSpec.spec.replicas of type int32'),
    ]:
        with pytest.raises(ApiError) as e:
            c.api.create("deployments", body, namespace="default")
        assert (e.value.code, e.value.message) == (400, message)
    with pytest.raises(ApiError) as e:
        c.api.create("configmaps", {"metadata": {"name": "n"}, "data": {"x": float("nan")}}, namespace="default")
    assert e.value.code == 400
    assert _keys(c) == before


def test_dry_run_runs_every_step_and_writes_nothing(c):
    before, rev = _keys(c), c.etcd.revision
    out = c.api.create("pods", dict(POD, metadata={"name": "dry"}), namespace="default", dry_run="All")
    assert out["metadata"]["uid"] and "resourceVersion" not in out["metadata"]
    assert out["spec"]["serviceAccountName"] == "default"  # mutating admission ran
    with pytest.raises(ApiError) as e:  # validation ran
        c.api.create("pods", {"metadata": {"name": "Bad_Name"}, "spec": POD["spec"]}, dry_run="All")
    assert e.value.code == 422
    assert (_keys(c), c.etcd.revision) == (before, rev)
    assert c.traces(2)[0].steps[-1] == ("storage", "skipped", "dryRun=All: nothing written")


def test_every_write_records_its_field_manager(c):
    c.kubectl("create deployment fm --image=nginx")
    c.kubectl("scale deployment fm --replicas=3")
    mf = c.get("deployments", "fm")["metadata"]["managedFields"]
    managers = [(m["manager"], m["operation"]) for m in mf]
    # scale.go names no manager: the server derives "kubectl" from the client (prefixFromUserAgent)
    assert ("kubectl-create", "Update") in managers and ("kubectl", "Update") in managers
    scale = next(m for m in mf if m["manager"] == "kubectl")
    assert scale["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    c.run(seconds=2)
    status = [m for m in c.get("deployments", "fm")["metadata"]["managedFields"]
              if m.get("subresource") == "status"]
    assert [m["manager"] for m in status] == ["kube-controller-manager"]


def test_server_side_apply_conflicts_then_force_moves_ownership(c):
    applied = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa", "namespace": "default"},
               "data": {"a": "1"}}
    c.api.patch("configmaps", "ssa", applied, patch_type="apply", namespace="default", field_manager="alice")
    c.api.patch("configmaps", "ssa", {"data": {"a": "2"}}, namespace="default", field_manager="bob")
    with pytest.raises(ApiError) as e:
        c.api.patch("configmaps", "ssa", applied, patch_type="apply", namespace="default", field_manager="alice")
    assert e.value.code == 409 and e.value.message == \
        'Apply failed with 1 conflict: conflict with "bob" using v1: .data.a'
    out = c.api.patch("configmaps", "ssa", applied, patch_type="apply", namespace="default",
                      field_manager="alice", force=True)
    assert out["data"] == {"a": "1"}
    owners = {m["manager"]: m["fieldsV1"] for m in out["metadata"]["managedFields"]}
    assert owners == {"alice": {"f:data": {"f:a": {}}}}  # as the SSA docs' ConfigMap example
    with pytest.raises(ApiError) as e:
        c.api.patch("configmaps", "ssa", applied, patch_type="apply", namespace="default")
    assert e.value.code == 422 and "fieldManager: Required value: is required for apply patch" in e.value.message


def test_podsecurity_enforce_refuses_a_privileged_pod(c):
    c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": "locked", "labels": {"pod-security.kubernetes.io/enforce": "baseline"}}})
    c.run(seconds=1)  # the serviceaccount controller creates "default" there
    privileged = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "root", "namespace": "locked"},
                  "spec": {"containers": [{"name": "c", "image": "nginx",
                                           "securityContext": {"privileged": True}}]}}
    with pytest.raises(ApiError) as e:
        c.api.create("pods", privileged, namespace="locked")
    assert e.value.code == 403 and e.value.message == (
        'pods "root" is forbidden: violates PodSecurity "baseline:latest": privileged (container "c" must '
        'not set securityContext.privileged=true)')


def test_the_storage_keys_are_upstreams(c):
    keys = _keys(c).split("\n")
    assert "/registry/minions/node-1" in keys
    assert "/registry/services/specs/default/kubernetes" in keys
    assert "/registry/services/endpoints/default/kubernetes" in keys
    assert not [k for k in keys if k.startswith("/registry/nodes/")]
    assert "/registry/clusterroles/cluster-admin" in keys
    assert "/registry/clusterrolebindings/system:kube-scheduler" in keys


def test_a_value_that_does_not_decode_breaks_nothing_else(c):
    c.etcdctl("put /registry/configmaps/default/evil bar")
    with pytest.raises(ApiError) as e:
        c.get("configmaps", "evil")
    assert e.value.code in (404, 500)
    names = [cm["metadata"]["name"] for cm in c.get("configmaps")]
    assert "evil" not in names and "kube-root-ca.crt" in names
    c.run(seconds=5)  # and the cluster keeps running


def test_self_subject_review_is_whoami(c):
    out = c.api.create("selfsubjectreviews", {"apiVersion": "authentication.k8s.io/v1",
                                              "kind": "SelfSubjectReview"})
    assert out["status"]["userInfo"]["username"] == "kubernetes-admin"
    assert "system:masters" in out["status"]["userInfo"]["groups"]
    with pytest.raises(ApiError) as e:
        c.api.get("selfsubjectreviews", "x")
    assert e.value.code == 405
    assert user_from_name(READER).groups[:2] == ("system:serviceaccounts", "system:serviceaccounts:default")


def test_list_pages_with_limit_and_continue_at_one_revision():
    """etcd3/store.go GetList: pages of ``limit`` items, a continue token pinned to the first
    page's revision (later writes do not show), remainingItemCount, 410 once compacted."""
    c = Cluster(nodes=0, seed=1)
    for i in range(5):
        c.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{i}"}})
    first = c.api.list("configmaps", namespace="default", limit=2)
    assert [o["metadata"]["name"] for o in first["items"]] == ["c0", "c1"]
    assert first["metadata"]["remainingItemCount"] == 4  # c2..c4 and kube-root-ca.crt
    c.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c25"}})  # after the first page
    second = c.api.list("configmaps", namespace="default", limit=2, continue_=first["metadata"]["continue"])
    assert [o["metadata"]["name"] for o in second["items"]] == ["c2", "c3"]
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    last = c.api.list("configmaps", namespace="default", limit=2, continue_=second["metadata"]["continue"])
    assert [o["metadata"]["name"] for o in last["items"]] == ["c4", "kube-root-ca.crt"]
    assert "continue" not in last["metadata"]  # exactly 2 left: the last page has no token
    with pytest.raises(ApiError) as e:
        c.api.list("configmaps", namespace="default", continue_="not-a-token")
    assert e.value.code == 400
    c.etcd.compact(c.etcd.revision)
    with pytest.raises(ApiError) as e:
        c.api.list("configmaps", namespace="default", limit=2, continue_=first["metadata"]["continue"])
    assert e.value.code == 410 and e.value.message.startswith("The provided continue parameter is too old")


def test_table_output_for_kubectl_and_the_request_size_limit(c):
    """handlers/response.go transformResponseObject (as=Table) with printers.go's columns;
    server/config.go MaxRequestBodyBytes (3 MiB) -> 413."""
    admin = user_from_name("kubernetes-admin")
    r = c.apiserver.handle({"method": "GET", "path": "/api/v1/namespaces/default/pods", "user": admin,
                            "headers": {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}})
    table = r["body"]
    assert (r["code"], table["kind"], table["apiVersion"]) == (200, "Table", "meta.k8s.io/v1")
    assert [d["name"] for d in table["columnDefinitions"]][:5] == ["Name", "Ready", "Status", "Restarts", "Age"]
    web = next(row for row in table["rows"] if row["cells"][0] == "web")
    assert web["object"]["kind"] == "PartialObjectMetadata" and web["object"]["metadata"]["name"] == "web"
    plain = c.apiserver.handle({"method": "GET", "path": "/api/v1/namespaces/default/pods", "user": admin})
    assert plain["body"]["kind"] == "PodList"
    body = '{"metadata":{"name":"big"},"data":{"x":"' + "x" * (3 * 1024 * 1024 - 50) + '"}}'
    assert len(body) <= 3 * 1024 * 1024
    small = c.apiserver.handle({"method": "POST", "path": "/api/v1/namespaces/default/configmaps",
                                "user": admin, "body": body})
    assert small["code"] != 413  # at the limit: accepted by the size check (etcd may still refuse)
    big = c.apiserver.handle({"method": "POST", "path": "/api/v1/namespaces/default/configmaps",
                              "user": admin, "body": body + " " * (3 * 1024 * 1024 - len(body) + 1)})
    assert (big["code"], big["body"]["reason"]) == (413, "RequestEntityTooLarge")


def test_client_certificates_and_non_resource_paths_are_authorized(c):
    """authentication/request/x509 (CN = user, O = groups); rbac bootstrap system:discovery
    (authenticated users only) and system:public-info-viewer (everyone: /version, /healthz)."""
    h = c.apiserver.handle
    assert h({"method": "GET", "path": "/version"})["code"] == 200            # anonymous
    apis = h({"method": "GET", "path": "/apis"})
    assert (apis["code"], apis["body"]["message"]) == (403, 'forbidden: User "system:anonymous" cannot get path "/apis"')
    jane = {"CN": "jane", "O": ["devs"]}
    assert h({"method": "GET", "path": "/apis", "cert": jane})["code"] == 200
    pods = h({"method": "GET", "path": "/api/v1/namespaces/default/pods", "cert": jane})
    assert pods["code"] == 403 and 'User "jane" cannot list resource "pods"' in pods["body"]["message"]
    admin = {"CN": "kubernetes-admin", "O": ["kubeadm:cluster-admins"]}  # kubeadm's admin.conf
    assert h({"method": "GET", "path": "/api/v1/namespaces/default/pods", "cert": admin})["code"] == 200
