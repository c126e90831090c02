"""kube-apiserver validation: 422 Invalid with field causes; a rejected request changes nothing."""

from apihelpers import default_service_accounts
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k8score.apiserver import APIServer, ApiError
from k8score.etcd import Store, prefix_end
from k8score.sim import Loop

SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                 "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
                 "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")


def new_api():
    api = APIServer(Loop(seed=0), Store(), seed=0)
    api.start()
    default_service_accounts(api)
    return api


@pytest.fixture
def api():
    return new_api()


def snapshot(store):
    kvs = store.range("/", prefix_end("/")).kvs
    return store.revision, [(kv.key, kv.value, kv.mod_revision) for kv in kvs]


def invalid(api, resource, body, **kw):
    before = snapshot(api.store)
    with pytest.raises(ApiError) as e:
        api.create(resource, body, **kw)
    assert snapshot(api.store) == before
    return e.value


def pod(name="web", **container):
    c = {"name": "c", "image": "nginx:1.27", **container}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [c]}}


def deployment(labels=None, selector=None, **spec):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": selector or {"app": "web"}},
                     "template": {"metadata": {"labels": labels or {"app": "web"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}, **spec}}


def test_bad_pod_name_is_the_real_422(api):
    e = invalid(api, "pods", pod("Bad_Name"))
    assert e.status == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": f'Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": {SUBDOMAIN_MSG}',
        "reason": "Invalid",
        "details": {"name": "Bad_Name", "kind": "Pod", "causes": [
            {"reason": "FieldValueInvalid", "message": f'Invalid value: "Bad_Name": {SUBDOMAIN_MSG}',
             "field": "metadata.name"}]},
        "code": 422}
    assert str(e).startswith('The Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"')


def test_several_causes(api):
    body = {"metadata": {"name": "web"}, "spec": {"containers": [
        {"name": "", "image": "x"},
        {"name": "b", "ports": [{"containerPort": 70000, "protocol": "ICMP"}]}]}}
    e = invalid(api, "pods", body)
    causes = {(c["field"], c["reason"]) for c in e.causes}
    assert causes == {("spec.containers[0].name", "FieldValueRequired"),
                      ("spec.containers[1].image", "FieldValueRequired"),
                      ("spec.containers[1].ports[0].containerPort", "FieldValueInvalid"),
                      ("spec.containers[1].ports[0].protocol", "FieldValueNotSupported")}
    assert e.message.startswith('Pod "web" is invalid: [')
    port = next(c for c in e.causes if c["field"].endswith("containerPort"))
    assert port["message"] == "Invalid value: 70000: must be between 1 and 65535, inclusive"
    proto = next(c for c in e.causes if c["field"].endswith("protocol"))
    assert proto["message"] == 'Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'


def test_pod_needs_containers(api):
    e = invalid(api, "pods", {"metadata": {"name": "web"}, "spec": {}})
    assert [(c["field"], c["message"]) for c in e.causes] == [("spec.containers", "Required value")]


def test_duplicate_container_and_port_names(api):
    body = pod()
    body["spec"]["containers"].append({"name": "c", "image": "x",
                                       "ports": [{"name": "http", "containerPort": 80},
                                                 {"name": "http", "containerPort": 81}]})
    e = invalid(api, "pods", body)
    assert {(c["field"], c["message"]) for c in e.causes} == {
        ("spec.containers[1].name", 'Duplicate value: "c"'),
        ("spec.containers[1].ports[1].name", 'Duplicate value: "http"')}


def test_requests_must_not_exceed_limits(api):
    e = invalid(api, "pods", pod(resources={"requests": {"cpu": "2"}, "limits": {"cpu": "1500m"}}))
    assert e.causes == [{"reason": "FieldValueInvalid", "field": "spec.containers[0].resources.requests[cpu]",
                         "message": 'Invalid value: "2": must be less than or equal to cpu limit of 1500m'}]


def test_invalid_quantity_is_400(api):
    e = invalid(api, "pods", pod(resources={"requests": {"memory": "lots"}}))
    assert (e.code, e.reason) == (400, "BadRequest")
    assert e.message.endswith("quantities must match the regular expression "
                              "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")


def test_bad_labels(api):
    body = pod()
    body["metadata"]["labels"] = {"bad key!": "v", "ok": "-bad-value-"}
    e = invalid(api, "pods", body)
    assert [c["field"] for c in e.causes] == ["metadata.labels", "metadata.labels"]
    assert "name part must consist of alphanumeric characters" in e.causes[0]["message"]
    assert e.causes[1]["message"].startswith('Invalid value: "-bad-value-": a valid label must be an empty string')


def test_service_names_are_dns1035_labels(api):
    e = invalid(api, "services", {"metadata": {"name": "1web"}, "spec": {"ports": [{"port": 80}]}})
    assert "a DNS-1035 label must consist of lower case alphanumeric characters" in e.message
    e = invalid(api, "services", {"metadata": {"name": "web"}, "spec": {"ports": []}})
    assert e.causes[0]["field"] == "spec.ports"


def test_deployment_selector_must_match_template(api):
    e = invalid(api, "deployments", deployment(labels={"app": "other"}))
    assert e.message.startswith('Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value:')
    assert e.message.endswith("`selector` does not match template `labels`")
    assert e.status["details"]["group"] == "apps" and e.status["details"]["kind"] == "Deployment"
    assert str(e).startswith('The Deployment "web" is invalid')


def test_deployment_needs_selector_and_valid_strategy(api):
    body = deployment(replicas=-1, strategy={"type": "RollingUpdate",
                                             "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}})
    del body["spec"]["selector"]
    body["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    e = invalid(api, "deployments", body)
    assert {c["field"] for c in e.causes} == {
        "spec.replicas", "spec.selector", "spec.template.spec.restartPolicy",
        "spec.strategy.rollingUpdate.maxUnavailable"}


def test_namespace_names_are_labels(api):
    e = invalid(api, "namespaces", {"metadata": {"name": "a.b"}})
    assert e.causes[0]["message"] == 'Invalid value: "a.b": must not contain dots'


def test_name_or_generate_name_required(api):
    e = invalid(api, "configmaps", {"metadata": {}})
    assert e.causes == [{"reason": "FieldValueRequired", "field": "metadata.name",
                         "message": "Required value: name or generateName is required"}]


# -- property: whatever is wrong with a request, etcd is untouched ------------------

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.text(max_size=8))
json_value = st.recursive(json_leaf, lambda kids: st.one_of(
    st.lists(kids, max_size=3), st.dictionaries(st.text(max_size=6), kids, max_size=3)), max_leaves=8)

bad_pods = st.one_of(
    # a broken container (missing image, bad name, bad port, bad quantity...)
    st.fixed_dictionaries({"name": st.sampled_from(["", "Bad_Name", "ok", None]),
                           "image": st.sampled_from(["", None, 5]),
                           "ports": st.lists(st.fixed_dictionaries({"containerPort": json_leaf}), max_size=2),
                           "resources": st.fixed_dictionaries({"requests": st.dictionaries(
                               st.sampled_from(["cpu", "memory"]), json_leaf, max_size=2)})})
    .map(lambda c: {"metadata": {"name": "p"}, "spec": {"containers": [c]}}),
    # garbage anywhere in a pod
    st.fixed_dictionaries({"metadata": st.one_of(json_value, st.fixed_dictionaries(
        {"name": json_leaf, "labels": json_value})), "spec": json_value}),
    # kind / apiVersion mismatches
    st.sampled_from([{"kind": "Service", "metadata": {"name": "p"}},
                     {"apiVersion": "v2", "metadata": {"name": "p"}}]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bad_pods)
def test_rejected_requests_leave_the_store_untouched(body):
    api = _shared_api()
    before = snapshot(api.store)
    try:
        created = api.create("pods", body)
    except ApiError as e:
        assert 400 <= e.code < 500 and e.status["kind"] == "Status"
        assert snapshot(api.store) == before
    else:  # hypothesis found a valid pod: it must really be valid; clean up
        api.delete("pods", created["metadata"]["name"], grace_period_seconds=0)


@settings(max_examples=60, deadline=None)
@given(patch=json_value)
def test_rejected_patches_leave_the_store_untouched(patch):
    api = _shared_api()
    try:
        api.get("pods", "keep")
    except ApiError:
        api.create("pods", pod("keep"))
    before = snapshot(api.store)
    try:
        api.patch("pods", "keep", patch, patch_type="merge")
    except ApiError as e:
        assert 400 <= e.code < 500
        assert snapshot(api.store) == before


_API = []


def _shared_api():
    if not _API:
        _API.append(new_api())
    return _API[0]


def test_a_body_that_contains_itself_is_a_400_not_a_crash(api):
    spec = {"containers": [{"name": "c", "image": "x"}]}
    spec["again"] = spec
    for resource in ("pods", "deployments"):
        e = invalid(api, resource, {"metadata": {"name": "a"}, "spec": spec})
        assert e.code == 400
