"""Strategic merge patch directives, as the API server applies them.

Upstream: staging/src/k8s.io/apimachinery/pkg/util/strategicpatch/patch.go
(``StrategicMergeMapPatch``: ``$patch``, ``$retainKeys``, ``$setElementOrder/…``,
``$deleteFromPrimitiveList/…``, merge lists), mergepatch/errors.go (messages),
apiserver/pkg/endpoints/handlers/patch.go ``interpretStrategicMergePatchError`` (codes).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import pytest

from k8score.api.schema import schema_for
from k8score.apiserver.patch import PatchError
from k8score.apiserver.smp import SMPError, strategic_merge_patch as smp

DEPLOY = schema_for("apps/v1", "Deployment")
SERVICE = schema_for("v1", "Service")

LIVE = {"metadata": {"name": "web", "labels": {"app": "web", "tier": "fe"},
                     "finalizers": ["a", "b", "c"]},
        "spec": {"replicas": 2,
                 "strategy": {"type": "RollingUpdate",
                              "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                 "template": {"spec": {"containers": [
                     {"name": "app", "image": "app:1", "args": ["--a", "--b"]},
                     {"name": "log", "image": "busybox"},
                     {"name": "proxy", "image": "envoy"}]}}}}


def containers(obj):
    return obj["spec"]["template"]["spec"]["containers"]


def pod_spec_patch(**spec):
    return {"spec": {"template": {"spec": spec}}}


def test_patch_delete_removes_one_container_by_merge_key():
    out = smp(LIVE, pod_spec_patch(containers=[{"name": "log", "$patch": "delete"}]), DEPLOY)
    assert [c["name"] for c in containers(out)] == ["app", "proxy"]
    # deleting an item that is not there changes nothing; others merge in the same patch
    out2 = smp(out, pod_spec_patch(containers=[{"name": "log", "$patch": "delete"},
                                               {"name": "app", "image": "app:2"}]), DEPLOY)
    assert containers(out2) == [{"name": "app", "image": "app:2", "args": ["--a", "--b"]},
                                {"name": "proxy", "image": "envoy"}]
    with pytest.raises(SMPError) as e:
        smp(LIVE, pod_spec_patch(containers=[{"$patch": "delete"}]), DEPLOY)
    assert str(e.value) == "map: map[$patch:delete] does not contain declared merge key: name"
    assert e.value.code == 500


def test_retain_keys_clears_unlisted_fields_of_the_strategy():
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}
    out = smp(LIVE, patch, DEPLOY)
    assert out["spec"]["strategy"] == {"type": "Recreate"}
    # keys listed are kept and merged
    keep = {"spec": {"strategy": {"$retainKeys": ["type", "rollingUpdate"],
                                  "rollingUpdate": {"maxSurge": 1}}}}
    assert smp(LIVE, keep, DEPLOY)["spec"]["strategy"] == {
        "type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}}
    for bad in ({"$retainKeys": ["type"], "rollingUpdate": {}}, {"$retainKeys": "type"}):
        with pytest.raises(SMPError) as e:
            smp(LIVE, {"spec": {"strategy": bad}}, DEPLOY)
        assert (str(e.value), e.value.code, e.value.bad_request) == (
            "invalid patch format of retainKeys", 400, True)


def test_set_element_order_reorders_and_merges():
    patch = pod_spec_patch(**{"$setElementOrder/containers": [{"name": "proxy"}, {"name": "app"},
                                                              {"name": "log"}],
                              "containers": [{"name": "app", "image": "app:2"}]})
    out = smp(LIVE, patch, DEPLOY)
    assert [(c["name"], c["image"]) for c in containers(out)] == [
        ("proxy", "envoy"), ("app", "app:2"), ("log", "busybox")]
    # the order list must contain the patched items in the patch's order
    bad = pod_spec_patch(**{"$setElementOrder/containers": [{"name": "app"}],
                            "containers": [{"name": "log", "image": "x"}]})
    with pytest.raises(SMPError) as e:
        smp(LIVE, bad, DEPLOY)
    assert str(e.value) == ("The order in patch list:\n[map[image:x name:log]]\n doesn't match "
                            "$setElementOrder list:\n[map[name:app]]\n")
    # a malformed order list is answered, not crashed on
    with pytest.raises(SMPError) as e:
        smp(SERVICE_LIVE, {"spec": {"$setElementOrder/ports": 1}}, SERVICE)
    assert (str(e.value), e.value.code) == ("expected a []interface {}, but received a float64", 500)


SERVICE_LIVE = {"spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443, "name": "https"}]}}


def test_service_ports_merge_on_port_and_new_items_come_first_without_an_order():
    out = smp(SERVICE_LIVE, {"spec": {"ports": [{"port": 8080, "name": "alt"},
                                                {"port": 443, "targetPort": 8443}]}}, SERVICE)
    # mergeSortedSlice: patch items keep the patch's order and go before server-only items
    # whose live position cannot be compared with them
    assert out["spec"]["ports"] == [{"port": 8080, "name": "alt"}, {"port": 80, "name": "http"},
                                    {"port": 443, "name": "https", "targetPort": 8443}]


def test_delete_from_primitive_list_and_union_of_finalizers():
    out = smp(LIVE, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b", "zz"]}}, DEPLOY)
    assert out["metadata"]["finalizers"] == ["a", "c"]
    union = smp(LIVE, {"metadata": {"$setElementOrder/finalizers": ["a", "d", "b", "c"],
                                    "finalizers": ["a", "d"]}}, DEPLOY)
    assert union["metadata"]["finalizers"] == ["a", "d", "b", "c"]  # no duplicate "a"
    for bad_key in ("$deleteFromPrimitiveList", "$deleteFromPrimitiveListX/finalizers"):
        with pytest.raises(SMPError) as e:
            smp(LIVE, {"metadata": {bad_key: ["a"]}}, DEPLOY)
        assert (str(e.value), e.value.code) == ("invalid patch format of primitive list", 400)


def test_patch_replace_on_a_map_and_on_a_list():
    out = smp(LIVE, {"metadata": {"labels": {"$patch": "replace", "app": "api"}}}, DEPLOY)
    assert out["metadata"]["labels"] == {"app": "api"}
    merged = smp(LIVE, {"metadata": {"labels": {"app": "api"}}}, DEPLOY)
    assert merged["metadata"]["labels"] == {"app": "api", "tier": "fe"}
    only = smp(LIVE, pod_spec_patch(containers=[{"$patch": "replace"}, {"name": "solo", "image": "s"}]),
               DEPLOY)
    assert containers(only) == [{"name": "solo", "image": "s"}]
    # $patch: delete on a map empties it
    assert smp(LIVE, {"spec": {"strategy": {"$patch": "delete"}}}, DEPLOY)["spec"]["strategy"] == {}


def test_nulls_delete_atomic_lists_replace_and_inputs_are_untouched():
    before = copy.deepcopy(LIVE)
    patch = pod_spec_patch(containers=[{"name": "app", "args": ["--c"]}])
    patch["spec"]["replicas"] = None
    patch["metadata"] = {"labels": {"tier": None}}
    patch_copy = copy.deepcopy(patch)
    out = smp(LIVE, patch, DEPLOY)
    assert out["metadata"]["labels"] == {"app": "web"}
    assert "replicas" not in out["spec"]
    assert containers(out)[0]["args"] == ["--c"]  # args has no merge strategy: replaced
    assert LIVE == before and patch == patch_copy


def test_bad_directives_answer_upstream_messages():
    cases = [
        ({"spec": {"strategy": {"$patch": "bogus"}}}, 500, "unknown patch type: bogus in map: map[$patch:bogus]"),
        (pod_spec_patch(containers=[{"name": "x", "$patch": "merge"}]), 500,
         "merging lists cannot yet be specified in the patch"),
        (pod_spec_patch(containers=[[1]]), 500,
         "list element types are not identical: [[map[args:[--a --b] image:app:1 name:app] "
         "map[image:busybox name:log] map[image:envoy name:proxy]] [[1]]]"),
        ({"metadata": {"finalizers": [["x"]]}}, 500,
         "list element types are not identical: [[a b c] [[x]]]"),
        (pod_spec_patch(containers=[{"image": "x", "ports": [{"containerPort": 80}]}]), 500,
         "map: map[image:x ports:[map[containerPort:80]]] does not contain declared merge key: name"),
        ({"spec": {"template": {"spec": {"$setElementOrder": []}}}}, 400,
         "invalid patch format of setElementOrder list"),
    ]
    for patch, code, message in cases:
        with pytest.raises(PatchError) as e:
            smp(LIVE, patch, DEPLOY)
        assert (e.value.code, str(e.value)) == (code, message)
    with pytest.raises(SMPError) as e:
        smp({"metadata": {"finalizers": []}}, {"metadata": {"finalizers": [["x"]]}}, DEPLOY)
    assert (e.value.code, str(e.value)) == (422, "lists of lists are not supported")


@dataclass
class S:  # a hand-built schema node (k8score.api.schema.Schema's attribute names)
    properties: dict = field(default_factory=dict)
    items: object = None
    additional: object = None
    merge_key: str | None = None
    patch_strategy: str | None = None
    go_type: str | None = None


def test_hand_built_schema_and_unknown_fields():
    item = S(properties={"id": S(), "v": S()})
    sch = S(properties={"rows": S(items=item, merge_key="id", patch_strategy="merge"),
                        "tags": S(patch_strategy="merge"), "x": S()}, go_type="Thing")
    out = smp({"rows": [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}], "tags": ["p"]},
              {"rows": [{"id": 2, "v": "B"}], "tags": ["q", "p"]}, sch)
    assert out == {"rows": [{"id": 1, "v": "a"}, {"id": 2, "v": "B"}], "tags": ["q", "p"]}
    with pytest.raises(SMPError) as e:
        smp({"y": {"a": 1}}, {"y": {"b": 2}}, sch)
    assert str(e.value) == 'unable to find api field in struct Thing for the json field "y"'
    # without a schema maps merge and lists replace
    assert smp({"a": {"b": 1}, "l": [1]}, {"a": {"c": 2}, "l": [2]}, None) == {
        "a": {"b": 1, "c": 2}, "l": [2]}
