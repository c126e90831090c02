"""PATCH: JSON merge patch (RFC 7386), JSON patch (RFC 6902), strategic merge patch."""

from apihelpers import default_service_accounts
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k8score.apiserver import APIServer, ApiError
from k8score.api.schema import schema_for
from k8score.apiserver.patch import PatchError, json_patch, merge_patch, strategic_merge_patch
from k8score.etcd import Store
from k8score.sim import Loop


@pytest.fixture
def api():
    a = APIServer(Loop(seed=0), Store(), seed=0)
    a.start()
    default_service_accounts(a)
    a.create("pods", {"metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}},
                      "spec": {"containers": [
                          {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}],
                           "ports": [{"containerPort": 80}]},
                          {"name": "sidecar", "image": "proxy:1"}]}})
    return a


def test_merge_patch_rfc7386_examples():
    # RFC 7386 appendix A
    assert merge_patch({"a": "b"}, {"a": "c"}) == {"a": "c"}
    assert merge_patch({"a": "b"}, {"b": "c"}) == {"a": "b", "b": "c"}
    assert merge_patch({"a": "b"}, {"a": None}) == {}
    assert merge_patch({"a": [{"b": "c"}]}, {"a": [1]}) == {"a": [1]}
    assert merge_patch({"e": None}, {"a": 1}) == {"e": None, "a": 1}
    assert merge_patch([1, 2], {"a": "b", "c": None}) == {"a": "b"}
    assert merge_patch({}, {"a": {"bb": {"ccc": None}}}) == {"a": {"bb": {}}}


def test_json_patch_ops():
    doc = {"a": {"b": [1, 2]}, "c": "x"}
    out = json_patch(doc, [{"op": "add", "path": "/a/b/1", "value": 9},
                           {"op": "remove", "path": "/c"},
                           {"op": "replace", "path": "/a/b/0", "value": 0},
                           {"op": "copy", "from": "/a/b", "path": "/d"},
                           {"op": "move", "from": "/d", "path": "/e"},
                           {"op": "test", "path": "/e/1", "value": 9},
                           {"op": "add", "path": "/m~1n", "value": True}])
    assert out == {"a": {"b": [0, 9, 2]}, "e": [0, 9, 2], "m/n": True}
    assert doc == {"a": {"b": [1, 2]}, "c": "x"}  # the input is not modified
    with pytest.raises(PatchError, match="testing value /c failed"):
        json_patch(doc, [{"op": "test", "path": "/c", "value": "y"}])
    with pytest.raises(PatchError):
        json_patch(doc, [{"op": "remove", "path": "/nope"}])


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(max_size=4), st.integers() | st.text(max_size=4), max_size=5))
def test_merge_patch_with_the_object_itself_is_identity(doc):
    assert merge_patch(doc, doc) == doc


def test_strategic_merge_lists_by_key():
    """strategicpatch/patch.go with the merge keys of the real types (Pod, Service schemas)."""
    pod = schema_for("v1", "Pod")
    orig = {"metadata": {"finalizers": ["f1"]},
            "spec": {"containers": [{"name": "a", "image": "1", "env": [{"name": "X", "value": "1"}]},
                                    {"name": "b", "image": "2"}]}}
    out = strategic_merge_patch(orig, {"metadata": {"finalizers": ["f2"]}, "spec": {
        "containers": [{"name": "a", "env": [{"name": "Y", "value": "2"}]},
                       {"name": "b", "$patch": "delete"},
                       {"name": "c", "image": "3"}]}}, pod)
    # normalizeElementOrder: without $setElementOrder the patch's items come first
    assert out == {"metadata": {"finalizers": ["f2", "f1"]},
                   "spec": {"containers": [{"name": "a", "image": "1",
                                            "env": [{"name": "Y", "value": "2"}, {"name": "X", "value": "1"}]},
                                           {"name": "c", "image": "3"}]}}
    replaced = strategic_merge_patch(orig, {"spec": {"containers": [{"$patch": "replace"},
                                                                    {"name": "z", "image": "9"}]}}, pod)
    assert replaced["spec"]["containers"] == [{"name": "z", "image": "9"}]
    ordered = strategic_merge_patch(orig, {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}},
                                    pod)
    assert [c["name"] for c in ordered["spec"]["containers"]] == ["b", "a"]
    svc = schema_for("v1", "Service")
    ports = strategic_merge_patch({"spec": {"ports": [{"port": 80, "name": "http"}]}},
                                  {"spec": {"ports": [{"port": 443, "name": "https"}]}}, svc)
    assert [p["port"] for p in ports["spec"]["ports"]] == [443, 80]
    # without type information a list is atomic (replaced), as upstream for unknown types
    assert strategic_merge_patch({"xs": [1]}, {"xs": [2]}, None) == {"xs": [2]}


def test_patch_verbs_through_the_api(api):
    merged = api.patch("pods", "web", {"metadata": {"labels": {"tier": None, "v": "2"}}})
    assert merged["metadata"]["labels"] == {"app": "web", "v": "2"}
    s = api.patch("pods", "web", {"spec": {"containers": [{"name": "app", "image": "app:2"}]}},
                  patch_type="strategic")
    assert [(c["name"], c["image"]) for c in s["spec"]["containers"]] == [("app", "app:2"), ("sidecar", "proxy:1")]
    j = api.patch("pods", "web", [{"op": "test", "path": "/metadata/labels/app", "value": "web"},
                                  {"op": "replace", "path": "/spec/containers/1/image", "value": "proxy:2"}],
                  patch_type="json")
    assert j["spec"]["containers"][1]["image"] == "proxy:2"
    # a merge patch replaces lists: dropping a container is a forbidden pod update
    with pytest.raises(ApiError) as e:
        api.patch("pods", "web", {"spec": {"containers": [{"name": "app", "image": "app:3"}]}})
    assert e.value.code == 422


def test_failed_json_patch_test_is_422_and_changes_nothing(api):
    rev = api.store.revision
    with pytest.raises(ApiError) as e:
        api.patch("pods", "web", [{"op": "test", "path": "/metadata/labels/app", "value": "db"},
                                  {"op": "replace", "path": "/metadata/labels/app", "value": "x"}],
                  patch_type="json")
    assert e.value.code == 422 and "testing value /metadata/labels/app failed" in e.value.message
    assert api.store.revision == rev
    with pytest.raises(ApiError) as e:
        api.patch("pods", "web", {"op": "not-a-list"}, patch_type="json")
    assert e.value.code == 400


def test_patch_with_stale_resource_version_conflicts(api):
    p = api.get("pods", "web")
    api.patch("pods", "web", {"metadata": {"labels": {"x": "1"}}})
    with pytest.raises(ApiError) as e:
        api.patch("pods", "web", {"metadata": {"resourceVersion": p["metadata"]["resourceVersion"],
                                               "labels": {"x": "2"}}})
    assert (e.value.code, e.value.reason) == (409, "Conflict")
