"""kube-apiserver: the typed verbs, errors, defaulting, deletion and pods/binding."""

from apihelpers import default_service_accounts
import pytest

from k8score.apiserver.request import user_from_name
from k8score.apiserver import RESOURCES, APIServer, ApiError, resolve
from k8score.etcd import Store, prefix_end
from k8score.sim import Loop


def pod(name="web", image="nginx:1.27", **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": image}], **spec}}


def deployment(name="web", replicas=2):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


def snapshot(store):
    kvs = store.range("/", prefix_end("/")).kvs
    return store.revision, [(kv.key, kv.value, kv.mod_revision) for kv in kvs]


def test_component_metadata():
    assert APIServer.kind == "kube-apiserver" and APIServer.plane == "control-plane"
    assert APIServer.summary and any("\u4e00" <= ch <= "\u9fff" for ch in APIServer.summary)


def test_resolve_accepts_kubectl_spellings():
    for name in ("po", "pod", "pods", "Pod", "pods.v1"):
        assert resolve(name).plural == "pods"
    assert resolve("deploy").kind == "Deployment"
    assert resolve("deployment.apps").group == "apps"
    assert resolve("rs").plural == "replicasets"
    assert resolve("svc").plural == "services" and resolve("ep").plural == "endpoints"
    assert resolve("cm").plural == "configmaps" and resolve("sa").plural == "serviceaccounts"
    assert resolve("ns").namespaced is False and resolve("no").plural == "nodes"
    assert resolve("ev").plural == "events" and resolve("lease").group == "coordination.k8s.io"
    with pytest.raises(ApiError) as e:
        resolve("flux-capacitors")
    assert e.value.code == 404


def test_system_namespaces_and_kubernetes_service(api):
    names = [n["metadata"]["name"] for n in api.list("namespaces")["items"]]
    assert names == ["default", "kube-node-lease", "kube-public", "kube-system"]
    svc = api.get("services", "kubernetes", "default")
    assert svc["spec"]["clusterIP"] == "10.96.0.1"


def test_create_get_stores_json_under_registry_key(api, store):
    created = api.create("pods", pod())
    kv = store.range("/registry/pods/default/web").kvs[0]
    assert kv.value.startswith('{"apiVersion":"v1","kind":"Pod"')
    assert '"resourceVersion"' not in kv.value  # the RV is the key's mod_revision, not stored
    assert created["metadata"]["resourceVersion"] == str(kv.mod_revision)
    assert api.get("pods", "web", "default") == created
    assert created["metadata"]["uid"].count("-") == 4 and len(created["metadata"]["uid"]) == 36
    assert created["metadata"]["creationTimestamp"] == "2026-01-01T00:00:00Z"


def test_create_does_not_modify_the_callers_body(api):
    body = pod()
    before = repr(body)
    api.create("pods", body)
    assert repr(body) == before


def test_uids_are_deterministic_per_seed(store):
    def uids(seed):
        a = APIServer(Loop(seed=0), Store(), seed=seed)
        a.start()
        default_service_accounts(a)
        return [a.create("pods", pod(f"p{i}"))["metadata"]["uid"] for i in range(3)]
    assert uids(1) == uids(1)
    assert uids(1) != uids(2)


def test_pod_defaults(api):
    p = api.create("pods", pod(image="nginx"))
    spec, c = p["spec"], p["spec"]["containers"][0]
    assert spec["restartPolicy"] == "Always" and spec["dnsPolicy"] == "ClusterFirst"
    assert spec["terminationGracePeriodSeconds"] == 30 and spec["schedulerName"] == "default-scheduler"
    assert spec["serviceAccountName"] == "default" and spec["enableServiceLinks"] is True
    assert spec["priority"] == 0
    assert c["imagePullPolicy"] == "Always"  # no tag means :latest
    assert c["terminationMessagePath"] == "/dev/termination-log"
    assert c["terminationMessagePolicy"] == "File"
    keys = {(t["key"], t["effect"], t["tolerationSeconds"]) for t in spec["tolerations"]}
    assert keys == {("node.kubernetes.io/not-ready", "NoExecute", 300),
                    ("node.kubernetes.io/unreachable", "NoExecute", 300)}
    assert p["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    assert p["metadata"]["generation"] == 1
    tagged = api.create("pods", pod("tagged", image="nginx:1.27"))
    assert tagged["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"


def test_quantities_are_canonicalised_and_requests_default_to_limits(api):
    body = pod()
    body["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "0.5", "memory": "1024Mi"}}
    body["spec"]["containers"][0]["ports"] = [{"containerPort": 80}]
    p = api.create("pods", body)
    c = p["spec"]["containers"][0]
    assert c["resources"]["limits"] == {"cpu": "500m", "memory": "1Gi"}
    assert c["resources"]["requests"] == {"cpu": "500m", "memory": "1Gi"}
    assert c["ports"][0]["protocol"] == "TCP"
    assert p["status"]["qosClass"] == "Guaranteed"


def test_deployment_and_replicaset_defaults(api):
    d = api.create("deployments", {**deployment(), "spec": {**deployment()["spec"]}})
    spec = d["spec"]
    assert spec["strategy"] == {"type": "RollingUpdate",
                                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert spec["revisionHistoryLimit"] == 10 and spec["progressDeadlineSeconds"] == 600
    assert spec["template"]["spec"]["restartPolicy"] == "Always"
    one = deployment("one")
    del one["spec"]["replicas"]
    assert api.create("deployments", one)["spec"]["replicas"] == 1
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs"},
          "spec": {k: v for k, v in deployment("rs")["spec"].items() if k != "replicas"}}
    assert api.create("replicasets", rs)["spec"]["replicas"] == 1


def test_service_defaults_and_cluster_ip(api):
    s = api.create("services", {"metadata": {"name": "web"},
                                "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    spec = s["spec"]
    assert spec["type"] == "ClusterIP" and spec["sessionAffinity"] == "None"
    assert spec["ports"][0] == {"port": 80, "protocol": "TCP", "targetPort": 80}
    ip = spec["clusterIP"]
    assert spec["clusterIPs"] == [ip] and ip.startswith("10.") and ip != "10.96.0.1"
    assert spec["ipFamilies"] == ["IPv4"] and spec["ipFamilyPolicy"] == "SingleStack"
    other = api.create("services", {"metadata": {"name": "other"}, "spec": {"ports": [{"port": 80}]}})
    assert other["spec"]["clusterIP"] != ip
    np = api.create("services", {"metadata": {"name": "np"},
                                 "spec": {"type": "NodePort", "ports": [{"port": 80}]}})
    assert 30000 <= np["spec"]["ports"][0]["nodePort"] <= 32767


def test_generate_name(api):
    a = api.create("pods", {"metadata": {"generateName": "web-"}, "spec": pod()["spec"]})
    b = api.create("pods", {"metadata": {"generateName": "web-"}, "spec": pod()["spec"]})
    for p in (a, b):
        suffix = p["metadata"]["name"][len("web-"):]
        assert len(suffix) == 5 and set(suffix) <= set("bcdfghjklmnpqrstvwxz2456789")
    assert a["metadata"]["name"] != b["metadata"]["name"]


def test_already_exists_409(api, store):
    api.create("pods", pod())
    before = snapshot(store)
    with pytest.raises(ApiError) as e:
        api.create("pods", pod())
    assert (e.value.code, e.value.reason) == (409, "AlreadyExists")
    assert e.value.message == 'pods "web" already exists'
    assert str(e.value) == 'Error from server (AlreadyExists): pods "web" already exists'
    assert snapshot(store) == before


def test_not_found_404(api):
    with pytest.raises(ApiError) as e:
        api.get("pods", "x", "default")
    assert e.value.status == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                              "message": 'pods "x" not found', "reason": "NotFound",
                              "details": {"name": "x", "kind": "pods"}, "code": 404}
    with pytest.raises(ApiError) as e:
        api.get("deployments", "x", "default")
    assert e.value.message == 'deployments.apps "x" not found'
    assert e.value.status["details"] == {"name": "x", "group": "apps", "kind": "deployments"}
    for call in (lambda: api.delete("pods", "x"), lambda: api.update("pods", pod("x")),
                 lambda: api.patch("pods", "x", {"metadata": {"labels": {"a": "b"}}})):
        with pytest.raises(ApiError) as e:
            call()
        assert e.value.code == 404


def test_namespace_must_exist(api, store):
    before = snapshot(store)
    with pytest.raises(ApiError) as e:
        api.create("pods", pod(), namespace="foo")
    assert e.value.code == 404 and e.value.message == 'namespaces "foo" not found'
    assert snapshot(store) == before
    api.create("namespaces", {"metadata": {"name": "foo"}})
    default_service_accounts(api, ["foo"])
    assert api.create("pods", pod(), namespace="foo")["metadata"]["namespace"] == "foo"


def test_bad_request_400(api, store):
    before = snapshot(store)
    cases = [
        lambda: api.create("pods", {**pod(), "kind": "Deployment"}),
        lambda: api.create("pods", {**pod(), "apiVersion": "apps/v1"}),
        lambda: api.create("pods", ["not", "an", "object"]),
        lambda: api.list("pods", field_selector="spec.foo=bar"),
        lambda: api.list("pods", label_selector="app in (a"),
        lambda: api.create("pods", {**pod(), "metadata": {"name": "web", "namespace": "a"}}, namespace="b"),
        lambda: api.list("pods", resource_version="abc"),
    ]
    for call in cases:
        with pytest.raises(ApiError) as e:
            call()
        assert (e.value.code, e.value.reason) == (400, "BadRequest"), e.value
    with pytest.raises(ApiError) as e:
        api.list("pods", field_selector="spec.foo=bar")
    assert e.value.message == "field label not supported: spec.foo"
    assert snapshot(store) == before


def test_update_with_stale_resource_version_is_409_conflict(api, store):
    p = api.create("pods", pod())
    p2 = api.get("pods", "web")
    p2["metadata"]["labels"]["tier"] = "front"
    updated = api.update("pods", p2)
    assert int(updated["metadata"]["resourceVersion"]) > int(p["metadata"]["resourceVersion"])
    before = snapshot(store)
    p["metadata"]["labels"]["tier"] = "back"
    with pytest.raises(ApiError) as e:
        api.update("pods", p)
    assert (e.value.code, e.value.reason) == (409, "Conflict")
    assert e.value.message == ('Operation cannot be fulfilled on pods "web": the object has been modified; '
                               'please apply your changes to the latest version and try again')
    assert snapshot(store) == before


def test_update_without_changes_does_not_write(api, store):
    p = api.create("pods", pod())
    rev = store.revision
    assert api.update("pods", p)["metadata"]["resourceVersion"] == p["metadata"]["resourceVersion"]
    assert store.revision == rev


def test_status_subresource_isolation(api):
    p = api.create("pods", pod())
    # main resource: status changes are ignored, spec/labels apply
    p["status"]["phase"] = "Running"
    p["metadata"]["labels"]["x"] = "y"
    after = api.update("pods", p)
    assert after["status"]["phase"] == "Pending" and after["metadata"]["labels"]["x"] == "y"
    # status subresource: only status changes
    after["status"]["phase"] = "Running"
    after["metadata"]["labels"]["x"] = "z"
    after["spec"]["containers"][0]["image"] = "nginx:2"
    st = api.update("pods", after, subresource="status")
    assert st["status"]["phase"] == "Running"
    assert st["metadata"]["labels"]["x"] == "y" and st["spec"]["containers"][0]["image"] == "nginx:1.27"
    patched = api.patch("pods", "web", {"status": {"podIP": "10.244.1.5"}, "spec": {"nodeName": "x"}},
                        subresource="status")
    assert patched["status"]["podIP"] == "10.244.1.5" and "nodeName" not in patched["spec"]


def test_generation_counts_spec_changes_only(api):
    d = api.create("deployments", deployment())
    assert d["metadata"]["generation"] == 1
    d["spec"]["replicas"] = 5
    d = api.update("deployments", d)
    assert d["metadata"]["generation"] == 2
    d["status"] = {"replicas": 5, "observedGeneration": 2}
    d = api.update("deployments", d, subresource="status")
    assert d["metadata"]["generation"] == 2 and d["status"]["replicas"] == 5
    d["metadata"]["labels"] = {"team": "a"}
    assert api.update("deployments", d)["metadata"]["generation"] == 2


def test_binding_sets_node_name_once(api, store):
    api.create("pods", pod())
    binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "web", "namespace": "default"},
               "target": {"apiVersion": "v1", "kind": "Node", "name": "node-1"}}
    out = api.create("pods", binding, "default", subresource="binding")
    assert out["status"] == "Success"
    p = api.get("pods", "web")
    assert p["spec"]["nodeName"] == "node-1"
    assert {"type": "PodScheduled", "status": "True"}.items() <= p["status"]["conditions"][0].items()
    before = snapshot(store)
    binding["target"]["name"] = "node-2"
    with pytest.raises(ApiError) as e:
        api.create("pods", binding, "default", subresource="binding")
    assert e.value.code == 409
    assert e.value.message == ('Operation cannot be fulfilled on pods/binding "web": '
                               'pod web is already assigned to node "node-1"')
    assert snapshot(store) == before


def test_pod_spec_is_immutable_except_image(api, store):
    p = api.create("pods", pod())
    p["spec"]["containers"][0]["image"] = "nginx:1.28"
    p = api.update("pods", p)
    assert p["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert p["metadata"]["generation"] == 2
    before = snapshot(store)
    p["spec"]["restartPolicy"] = "Never"
    with pytest.raises(ApiError) as e:
        api.update("pods", p)
    assert e.value.code == 422
    assert e.value.causes[0]["field"] == "spec"
    assert "pod updates may not change fields other than `spec.containers[*].image`" in e.value.message
    assert snapshot(store) == before


def test_deployment_selector_is_immutable(api):
    d = api.create("deployments", deployment())
    d["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    d["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    with pytest.raises(ApiError) as e:
        api.update("deployments", d)
    assert e.value.code == 422 and "field is immutable" in e.value.message
    assert e.value.causes[0]["field"] == "spec.selector"


def test_graceful_pod_deletion(api, loop):
    api.create("pods", pod(nodeName="node-1"))
    loop.run(until=5)
    marked = api.delete("pods", "web")
    assert marked["metadata"]["deletionTimestamp"] == "2026-01-01T00:00:35Z"  # now + 30 s
    assert marked["metadata"]["deletionGracePeriodSeconds"] == 30
    assert api.get("pods", "web")["metadata"]["deletionTimestamp"]  # still there: kubelet's turn
    again = api.delete("pods", "web")  # a second delete changes nothing
    assert again["metadata"]["resourceVersion"] == marked["metadata"]["resourceVersion"]
    api.delete("pods", "web", grace_period_seconds=0)  # the kubelet, once containers stopped
    with pytest.raises(ApiError) as e:
        api.get("pods", "web")
    assert e.value.code == 404


def test_unscheduled_pod_is_deleted_at_once(api):
    api.create("pods", pod())
    gone = api.delete("pods", "web")
    assert "deletionTimestamp" not in gone["metadata"]
    with pytest.raises(ApiError):
        api.get("pods", "web")


def test_finalizers_hold_deletion_until_removed(api, store):
    cm = api.create("configmaps", {"metadata": {"name": "c", "finalizers": ["example.com/keep"]},
                                   "data": {"a": "1"}})
    marked = api.delete("configmaps", "c")
    assert marked["metadata"]["deletionTimestamp"] and marked["metadata"]["deletionGracePeriodSeconds"] == 0
    assert api.get("configmaps", "c")["metadata"]["finalizers"] == ["example.com/keep"]
    # no new finalizers once deleting
    cur = api.get("configmaps", "c")
    cur["metadata"]["finalizers"].append("example.com/more")
    with pytest.raises(ApiError) as e:
        api.update("configmaps", cur)
    assert e.value.code == 422
    # removing the last finalizer removes the object
    api.patch("configmaps", "c", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiError):
        api.get("configmaps", "c")
    assert cm["metadata"]["uid"]


def test_foreground_propagation_adds_finalizer(api):
    api.create("deployments", deployment())
    d = api.delete("deployments", "web", propagation_policy="Foreground")
    assert d["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert api.get("deployments", "web")["metadata"]["deletionTimestamp"]


def test_namespace_deletion_marks_it_until_finalized(api):
    """namespace/storage/storage.go REST.Delete: the first delete marks the namespace
    Terminating and keeps its content (the namespace controller empties it); a second delete
    is 409 while spec.finalizers remain; /finalize emptying them removes it."""
    api.create("namespaces", {"metadata": {"name": "team"}})
    default_service_accounts(api, ["team"])
    api.create("configmaps", {"metadata": {"name": "c"}}, "team")
    ns = api.delete("namespaces", "team")
    assert ns["status"]["phase"] == "Terminating" and ns["metadata"]["deletionTimestamp"]
    assert ns["spec"]["finalizers"] == ["kubernetes"]
    assert [c["metadata"]["name"] for c in api.list("configmaps", "team")["items"]] == ["c"]
    with pytest.raises(ApiError) as e:
        api.delete("namespaces", "team")
    assert e.value.code == 409 and e.value.message == (
        'Operation cannot be fulfilled on namespaces "team": The system is ensuring all content is removed '
        'from this namespace.  Upon completion, this namespace will automatically be purged by the system.')
    # a status write (the controller's conditions) does not remove it
    ns = api.get("namespaces", "team")
    ns["status"]["conditions"] = []
    api.update("namespaces", ns, subresource="status")
    # spec.finalizers change only through /finalize
    ns = api.get("namespaces", "team")
    ns["spec"]["finalizers"] = []
    assert api.update("namespaces", ns)["spec"]["finalizers"] == ["kubernetes"]
    ns["spec"]["finalizers"] = ["bogus"]
    with pytest.raises(ApiError) as e:
        api.update("namespaces", ns, subresource="finalize")
    assert e.value.code == 422 and "name is neither a standard finalizer name nor is it fully qualified" \
        in e.value.message
    ns["spec"]["finalizers"] = []
    api.update("namespaces", ns, subresource="finalize")
    with pytest.raises(ApiError) as e:
        api.get("namespaces", "team")
    assert e.value.code == 404
    with pytest.raises(ApiError) as e:
        api.create("pods", pod(), "team")
    assert e.value.code == 404
    with pytest.raises(ApiError) as e:
        api.delete("namespaces", "default")
    assert e.value.code == 403


def test_no_new_content_in_a_terminating_namespace(api):
    api.create("namespaces", {"metadata": {"name": "held", "finalizers": ["example.com/hold"]}})
    ns = api.delete("namespaces", "held")
    assert ns["status"]["phase"] == "Terminating"
    with pytest.raises(ApiError) as e:
        api.create("configmaps", {"metadata": {"name": "c"}}, "held")
    assert e.value.code == 403
    # admission.NewForbidden names the object being created, not the namespace
    assert e.value.message == ('configmaps "c" is forbidden: unable to create new content in '
                               'namespace held because it is being terminated')


def test_list_selectors(api):
    for name, labels, node in (("a", {"app": "web", "tier": "front"}, "node-1"),
                               ("b", {"app": "web", "tier": "back"}, "node-2"),
                               ("c", {"app": "db"}, None)):
        body = pod(name)
        body["metadata"]["labels"] = labels
        if node:
            body["spec"]["nodeName"] = node
        api.create("pods", body)

    def names(**kw):
        return [p["metadata"]["name"] for p in api.list("pods", **kw)["items"]]
    assert names(label_selector="app=web") == ["a", "b"]
    assert names(label_selector="app==web,tier!=front") == ["b"]
    assert names(label_selector="tier in (front,back)") == ["a", "b"]
    assert names(label_selector="tier notin (front)") == ["b", "c"]
    assert names(label_selector="tier") == ["a", "b"]
    assert names(label_selector="!tier") == ["c"]
    assert names(field_selector="spec.nodeName=node-1") == ["a"]
    assert names(field_selector="spec.nodeName=") == ["c"]
    assert names(field_selector="metadata.name!=a,status.phase=Pending") == ["b", "c"]
    assert names(field_selector="metadata.namespace=default", label_selector="app=db") == ["c"]


def test_event_field_selectors(api):
    api.create("events", {"metadata": {"name": "web.1"}, "involvedObject": {"kind": "Pod", "name": "web",
                          "namespace": "default"}, "reason": "Scheduled", "type": "Normal"})
    api.create("events", {"metadata": {"name": "db.1"}, "involvedObject": {"kind": "Pod", "name": "db",
                          "namespace": "default"}, "reason": "Pulled", "type": "Normal"})
    items = api.list("events", field_selector="involvedObject.name=web,involvedObject.kind=Pod")["items"]
    assert [e["metadata"]["name"] for e in items] == ["web.1"]


def test_list_resource_version_is_store_revision(api, store):
    api.create("pods", pod())
    lst = api.list("pods")
    assert lst["kind"] == "PodList" and lst["metadata"]["resourceVersion"] == str(store.revision)
    assert lst["apiVersion"] == "v1"
    assert api.list("deployments")["apiVersion"] == "apps/v1"


def test_list_at_old_resource_version_and_after_compaction(api, store):
    first = api.create("pods", pod("a"))
    api.create("pods", pod("b"))
    rv = first["metadata"]["resourceVersion"]
    # without resourceVersionMatch a resourceVersion means "not older than": the cache's state
    assert [p["metadata"]["name"] for p in api.list("pods", resource_version=rv)["items"]] == ["a", "b"]
    old = api.list("pods", resource_version=rv, resource_version_match="Exact")
    assert [p["metadata"]["name"] for p in old["items"]] == ["a"]
    store.compact(store.revision)
    with pytest.raises(ApiError) as e:
        api.list("pods", resource_version=rv, resource_version_match="Exact")
    assert e.value.code == 410 and e.value.reason == "Expired"


def test_stopped_apiserver_answers_503_and_restarts(api):
    api.create("pods", pod())
    api.stop()
    for call in (lambda: api.get("pods", "web"), lambda: api.list("pods"),
                 lambda: api.create("pods", pod("x")), lambda: api.delete("pods", "web"),
                 lambda: api.watch("pods", print)):
        with pytest.raises(ApiError) as e:
            call()
        assert (e.value.code, e.value.reason) == (503, "ServiceUnavailable")
    api.start()
    assert api.get("pods", "web")["metadata"]["name"] == "web"


def test_storage_keys_are_upstreams(api):
    # kubeapiserver/default_storage_factory_builder.go SpecialDefaultResourcePrefixes
    key = lambda r, *a: api.registry.strategy_for(r).key(*a)  # noqa: E731
    assert key("pods", "web", "default") == "/registry/pods/default/web"
    assert key("nodes", "node-1") == "/registry/minions/node-1"
    assert key("services", "web", "default") == "/registry/services/specs/default/web"
    assert key("endpoints", "web", "default") == "/registry/services/endpoints/default/web"
    assert key("deployments", "web", "default") == "/registry/deployments/default/web"
    assert set(RESOURCES) <= {s.info.plural for s in api.registry.strategies()} | {
        "tokenreviews", "selfsubjectreviews", "subjectaccessreviews", "selfsubjectaccessreviews",
        "selfsubjectrulesreviews", "localsubjectaccessreviews", "customresourcedefinitions"}


def test_events_expire_after_the_event_ttl(api, loop, store):
    ev = {"metadata": {"name": "web.1"}, "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
          "reason": "Scheduled", "message": "assigned", "type": "Normal"}
    api.create("events", ev)
    store.advance(3599)
    assert len(api.list("events")["items"]) == 1
    store.advance(3600 + 61)  # --event-ttl 1h (+ the lease-reuse window)
    assert api.list("events")["items"] == []


def test_audit_log_records_who_did_what(api, loop):
    api.create("pods", pod(), user="kubernetes-admin")
    with pytest.raises(ApiError):
        api.get("pods", "nope", "default", user="system:kube-scheduler")
    assert list(api.audit)[-2:] == [(0.0, "kubernetes-admin", "create", "pods", None, "web", 201),
                                    (0.0, "system:kube-scheduler", "get", "pods", "default", "nope", 404)]


def test_service_update_keeps_its_cluster_ip(api):
    svc = api.create("services", {"metadata": {"name": "web"}, "spec": {"type": "NodePort",
                                                                        "ports": [{"port": 80}]}})
    replaced = api.update("services", {"metadata": {"name": "web"},
                                       "spec": {"type": "NodePort", "ports": [{"port": 80}],
                                                "selector": {"app": "web"}}})
    assert replaced["spec"]["clusterIP"] == svc["spec"]["clusterIP"]
    assert replaced["spec"]["ports"][0]["nodePort"] == svc["spec"]["ports"][0]["nodePort"]
    changed = dict(replaced, spec=dict(replaced["spec"], clusterIP="10.96.0.99"))
    with pytest.raises(ApiError) as e:
        api.update("services", changed)
    assert e.value.code == 422


def test_generate_name_retries_on_collision(api):
    state = api.rng.getstate()
    taken = api.objects.generated_name("web-")  # the name the next generateName create would get
    api.create("pods", pod(taken))
    api.rng.setstate(state)
    p = api.create("pods", {"metadata": {"generateName": "web-"}, "spec": pod()["spec"]})
    assert p["metadata"]["name"] != taken and p["metadata"]["name"].startswith("web-")
    admin = user_from_name("kubernetes-admin")
    assert api.handle({"method": "GET", "path": f"/api/v1/namespaces/default/pods/{taken}",
                       "user": admin})["code"] == 200


def test_objects_never_share_dicts_with_the_callers_body(api):
    labels = {"app": "shared"}
    body = {"metadata": {"name": "d", "labels": labels},
            "spec": {"selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    d = api.create("deployments", body)
    d["metadata"]["labels"]["x"] = "y"
    assert d["spec"]["selector"]["matchLabels"] == {"app": "shared"} and labels == {"app": "shared"}
