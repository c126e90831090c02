"""PriorityClasses and the Priority admission plugin: a pod's priority comes from its class."""

from apihelpers import default_service_accounts
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k8score.apiserver import APIServer, ApiError
from k8score.client import Client
from k8score.etcd import Store
from k8score.kubectl import Kubectl
from k8score.sim import Loop


@pytest.fixture
def api():
    a = APIServer(Loop(seed=0), Store(), seed=0)
    a.start()
    default_service_accounts(a)
    return a


def pc(name, value=None, **extra):
    body = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name}, **extra}
    if value is not None:
        body["value"] = value
    return body


def pod(name="web", **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec}}


def test_builtin_classes_exist(api):
    got = {o["metadata"]["name"]: o["value"] for o in api.list("priorityclasses")["items"]}
    assert got == {"system-cluster-critical": 2000000000, "system-node-critical": 2000001000}
    assert api.get("pc", "system-node-critical")["preemptionPolicy"] == "PreemptLowerPriority"


def test_pod_gets_priority_from_its_class(api):
    api.create("priorityclasses", pc("high", 1000))
    p = api.create("pods", pod(priorityClassName="high"))
    assert p["spec"]["priority"] == 1000 and p["spec"]["preemptionPolicy"] == "PreemptLowerPriority"
    never = api.create("priorityclasses", pc("polite", 5, preemptionPolicy="Never"))
    assert never["preemptionPolicy"] == "Never"
    assert api.create("pods", pod("p2", priorityClassName="polite"))["spec"]["preemptionPolicy"] == "Never"
    crit = api.create("pods", pod("dns", priorityClassName="system-cluster-critical"))
    assert crit["spec"]["priority"] == 2000000000


def test_pod_without_class_gets_zero(api):
    spec = api.create("pods", pod())["spec"]
    assert spec["priority"] == 0 and "priorityClassName" not in spec


def test_direct_priority_is_forbidden_and_store_untouched(api):
    api.create("priorityclasses", pc("high", 1000))
    before = api.store.revision
    with pytest.raises(ApiError) as e:
        api.create("pods", pod(priority=7, priorityClassName="high"))
    assert e.value.status["code"] == 403 and e.value.status["reason"] == "Forbidden"
    assert e.value.status["message"] == (
        'pods "web" is forbidden: the integer value of priority (7) must not be provided in pod spec; '
        "priority admission controller computed 1000 from the given PriorityClass name")
    with pytest.raises(ApiError) as e:
        api.create("pods", pod(priority=5))
    assert "computed 0 from the given PriorityClass name" in e.value.status["message"]
    assert api.store.revision == before
    # the same value as the class computes is accepted (upstream compares, it does not refuse outright)
    assert api.create("pods", pod(priority=1000, priorityClassName="high"))["spec"]["priority"] == 1000


def test_unknown_class_is_forbidden(api):
    before = api.store.revision
    with pytest.raises(ApiError) as e:
        api.create("pods", pod(priorityClassName="gold"))
    assert e.value.status["code"] == 403
    assert e.value.status["message"] == 'pods "web" is forbidden: no PriorityClass with name gold was found'
    assert api.store.revision == before


def test_global_default_applies_and_is_unique(api):
    api.create("priorityclasses", pc("normal", 100, globalDefault=True))
    spec = api.create("pods", pod())["spec"]
    assert spec["priority"] == 100 and spec["priorityClassName"] == "normal"
    with pytest.raises(ApiError) as e:
        api.create("priorityclasses", pc("other", 1, globalDefault=True))
    assert e.value.status["code"] == 403
    assert "PriorityClass normal is already marked as default. Only one default can exist" in \
        e.value.status["message"]
    api.delete("priorityclasses", "normal")
    assert api.create("pods", pod("after"))["spec"]["priority"] == 0   # the cache follows etcd


def test_class_created_later_is_seen_and_update_is_not_admitted(api):
    with pytest.raises(ApiError):
        api.create("pods", pod(priorityClassName="late"))
    api.create("priorityclasses", pc("late", 42))
    p = api.create("pods", pod(priorityClassName="late"))
    assert p["spec"]["priority"] == 42
    p["metadata"]["labels"] = {"x": "y"}
    assert api.update("pods", p)["spec"]["priority"] == 42   # admission runs on CREATE only


def test_priority_class_validation(api):
    def reason(body):
        with pytest.raises(ApiError) as e:
            api.create("priorityclasses", body)
        return e.value.status["code"], e.value.status["message"]
    code, msg = reason(pc("nothing"))
    assert code == 422 and "value: Required value" in msg
    code, msg = reason(pc("huge", 1000000001))
    assert code == 422 and "maximum allowed value of a user defined priority is 1000000000" in msg
    code, msg = reason(pc("system-mine", 5))
    assert code == 422 and "reserved for system use only" in msg
    code, msg = reason(pc("odd", 5, preemptionPolicy="Sometimes"))
    assert code == 422 and "Unsupported value" in msg
    assert api.create("priorityclasses", pc("max", 1000000000))["value"] == 1000000000
    changed = api.get("priorityclasses", "max")
    changed["value"] = 1
    with pytest.raises(ApiError) as e:
        api.update("priorityclasses", changed)
    assert e.value.status["code"] == 422 and "may not be changed in an update" in e.value.status["message"]


@settings(max_examples=40, deadline=None)
@given(value=st.integers(-1000, 1000000000), given_prio=st.one_of(st.none(), st.integers(-5, 5)))
def test_stored_priority_always_equals_the_class_value(value, given_prio):
    a = APIServer(Loop(seed=0), Store(), seed=0)
    a.start()
    default_service_accounts(a)
    a.create("priorityclasses", pc("c", value))
    spec = {"priorityClassName": "c"}
    if given_prio is not None:
        spec["priority"] = given_prio
    try:
        out = a.create("pods", pod(**spec))
    except ApiError as e:
        assert e.status["code"] == 403 and given_prio != value
        return
    assert out["spec"]["priority"] == value
    assert a.get("pods", "web", namespace="default")["spec"]["priority"] == value


def test_kubectl_get_priorityclasses(api):
    k = Kubectl(Client(api, user="kubernetes-admin"), lambda: api.loop.now)
    out = k.run("get pc")
    lines = out.splitlines()
    assert lines[0].split()[0] == "NAME"
    assert [ln.split()[0] for ln in lines[1:]] == ["system-cluster-critical", "system-node-critical"]


def test_system_priority_classes_cannot_be_deleted(api):
    rev = api.store.revision
    with pytest.raises(ApiError) as e:
        api.delete("priorityclasses", "system-node-critical")
    assert e.value.code == 403 and e.value.reason == "Forbidden"
    assert e.value.message == ('priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: '
                               "this is a system priority class and cannot be deleted")
    assert api.get("priorityclasses", "system-node-critical")["value"] == 2000001000
    assert api.store.revision == rev
