"""Server-side apply and managedFields, against upstream's rules.

Upstream: sigs.k8s.io/structured-merge-diff fieldpath/serialize.go (fieldsV1), typed/
(tofieldset.go, compare.go, merge.go, remove.go), merge/update.go (Apply, Update, prune,
conflicts); k8s.io/apimachinery/pkg/util/managedfields/internal/ conflict.go (messages),
managedfields.go (entry order), capmanagers.go (10 updaters, ``ancient-changes``),
skipnonapplied.go (``before-first-apply``), stripmeta.go, managedfieldsupdater.go (times),
lastappliedupdater.go.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field

import pytest

from k8score.api.errors import ApiError
from k8score.api.schema import schema_for
from k8score.apiserver.fieldmanager import (Set, apply, from_fields_v1, to_fields_v1,
                                            update_managed_fields)

DEPLOY = schema_for("apps/v1", "Deployment")
T0, T1, T2, T3 = ("2026-01-01T00:00:0%dZ" % i for i in range(4))

# controllers/nginx-deployment.yaml of the Kubernetes docs
NGINX = {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "nginx-deployment", "labels": {"app": "nginx"}},
         "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "nginx"}},
                  "template": {"metadata": {"labels": {"app": "nginx"}},
                               "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2",
                                                        "ports": [{"containerPort": 80}]}]}}}}

# What `kubectl apply --server-side -f nginx-deployment.yaml` then
# `kubectl get deploy -o json --show-managed-fields` shows (keys as serialize.go writes them:
# f: before k:, sorted, "." after the children; selector is an atomic map).
NGINX_FIELDS_V1 = (
    '{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},'
    '"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":'
    '{"k:{\\"name\\":\\"nginx\\"}":{"f:image":{},"f:name":{},"f:ports":'
    '{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{"f:containerPort":{},".":{}}},'
    '".":{}}}}}}}')


def ssa(live, config, manager="kubectl", force=False, now=T1):
    return apply(live, config, manager, force, DEPLOY, now, "apps/v1")


def entries(obj):
    return [(e["manager"], e["operation"], e.get("time")) for e in obj["metadata"]["managedFields"]]


def fields_of(obj, manager):
    [e] = [e for e in obj["metadata"]["managedFields"] if e["manager"] == manager]
    return e["fieldsV1"]


def with_(obj, **changes):
    out = copy.deepcopy(obj)
    for path, v in changes.items():
        node = out
        *parents, last = path.split("__")
        for p in parents:
            node = node[p]
        node[last] = v
    return out


def test_create_by_apply_golden_fields_v1():
    obj = ssa(None, NGINX, now=T0)
    [entry] = obj["metadata"]["managedFields"]
    assert {k: v for k, v in entry.items() if k != "fieldsV1"} == {
        "manager": "kubectl", "operation": "Apply", "apiVersion": "apps/v1",
        "time": T0, "fieldsType": "FieldsV1"}
    assert json.dumps(entry["fieldsV1"], separators=(",", ":")) == NGINX_FIELDS_V1
    assert {k: v for k, v in obj.items() if k != "metadata"} == {
        k: v for k, v in NGINX.items() if k != "metadata"}


def test_reapplying_the_same_config_changes_nothing_not_even_the_time():
    obj = ssa(None, NGINX, now=T0)
    again = ssa(obj, NGINX, now=T2)
    assert again == obj
    assert entries(again) == [("kubectl", "Apply", T0)]


def test_apply_refuses_managed_fields_and_other_versions():
    bad = with_(NGINX, metadata__managedFields=[])
    with pytest.raises(ApiError) as e:
        ssa(None, bad)
    assert (e.value.code, e.value.message) == (400, "metadata.managedFields must be nil")
    with pytest.raises(ApiError) as e:
        ssa(None, with_(NGINX, apiVersion="apps/v1beta1"))
    assert e.value.message == ("Incorrect version specified in apply patch. Specified patch "
                               "version: apps/v1beta1, expected: apps/v1")


def _client_side_created():
    live = copy.deepcopy(NGINX)
    live["metadata"]["managedFields"] = update_managed_fields(
        None, live, "kubectl-client-side-apply", DEPLOY, T0, "apps/v1")
    return live


def test_conflict_with_an_updater_then_force_moves_the_field():
    live = _client_side_created()
    with pytest.raises(ApiError) as e:
        ssa(live, with_(NGINX, spec__replicas=5))
    err = e.value
    assert (err.code, err.reason) == (409, "Conflict")
    assert err.message == ('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" '
                           'using apps/v1: .spec.replicas')
    assert err.causes == [{"reason": "FieldManagerConflict",
                           "message": 'conflict with "kubectl-client-side-apply" using apps/v1',
                           "field": ".spec.replicas"}]
    # same values are no conflict: the applier shares ownership
    shared = ssa(live, NGINX)
    assert "f:replicas" in fields_of(shared, "kubectl")["f:spec"]
    assert "f:replicas" in fields_of(shared, "kubectl-client-side-apply")["f:spec"]
    forced = ssa(live, with_(NGINX, spec__replicas=5), force=True, now=T2)
    assert forced["spec"]["replicas"] == 5
    assert "f:replicas" in fields_of(forced, "kubectl")["f:spec"]
    assert "f:replicas" not in fields_of(forced, "kubectl-client-side-apply")["f:spec"]
    assert entries(forced) == [("kubectl", "Apply", T2), ("kubectl-client-side-apply", "Update", T0)]


def test_conflict_after_kubectl_scale_and_force():
    obj = ssa(None, NGINX, now=T0)
    scaled = with_(obj, spec__replicas=10)
    scaled["metadata"]["managedFields"] = update_managed_fields(obj, scaled, "kubectl", DEPLOY, T1, "apps/v1")
    assert entries(scaled) == [("kubectl", "Apply", T0), ("kubectl", "Update", T1)]
    applied, upd = scaled["metadata"]["managedFields"]
    assert "f:replicas" not in applied["fieldsV1"]["f:spec"]  # the scaler took it
    assert upd["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    with pytest.raises(ApiError) as e:
        ssa(scaled, NGINX, now=T2)
    assert e.value.message == ('Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: '
                               '.spec.replicas')
    forced = ssa(scaled, NGINX, force=True, now=T2)
    assert forced["spec"]["replicas"] == 3
    assert entries(forced) == [("kubectl", "Apply", T2)]  # the updater owned nothing else


def test_multi_conflict_message_groups_by_sorted_manager():
    obj = ssa(None, NGINX, manager="alpha", now=T0)
    cfg = with_(NGINX, spec__replicas=1)
    cfg["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.25"
    with pytest.raises(ApiError) as e:
        ssa(obj, cfg, manager="beta")
    assert e.value.message == (
        'Apply failed with 2 conflicts: conflicts with "alpha":\n- .spec.replicas\n'
        '- .spec.template.spec.containers[name="nginx"].image')
    assert [c["field"] for c in e.value.causes] == [
        ".spec.replicas", '.spec.template.spec.containers[name="nginx"].image']
    assert {c["message"] for c in e.value.causes} == {'conflict with "alpha"'}


def test_field_left_out_of_the_config_is_removed_unless_another_manager_owns_it():
    obj = ssa(None, with_(NGINX, metadata__labels={"app": "nginx", "tier": "web"}), now=T0)
    obj["metadata"].update(uid="u-1", resourceVersion="7", namespace="default")
    dropped = ssa(obj, NGINX, now=T1)
    assert dropped["metadata"]["labels"] == {"app": "nginx"}
    # fields nobody owns (server-set metadata) survive the pruning
    assert [dropped["metadata"][k] for k in ("name", "uid", "resourceVersion", "namespace")] == [
        "nginx-deployment", "u-1", "7", "default"]
    assert fields_of(dropped, "kubectl")["f:metadata"] == {"f:labels": {"f:app": {}}}
    # a second applier that also sets tier keeps it alive when the first lets go
    both = ssa(obj, {"apiVersion": "apps/v1", "kind": "Deployment",
                     "metadata": {"name": "nginx-deployment", "labels": {"tier": "web"}}},
               manager="other", now=T1)
    kept = ssa(both, NGINX, now=T2)
    assert kept["metadata"]["labels"] == {"app": "nginx", "tier": "web"}
    assert fields_of(kept, "other") == {"f:metadata": {"f:labels": {"f:tier": {}}}}
    # removing a whole container removes the item, and the spec.replicas scalar too
    no_replicas = copy.deepcopy(NGINX)
    del no_replicas["spec"]["replicas"]
    assert "replicas" not in ssa(obj, no_replicas, now=T2)["spec"]


def test_list_map_merges_by_key_atomic_list_replaced():
    obj = ssa(None, NGINX, now=T0)
    sidecar = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "nginx-deployment"},
               "spec": {"template": {"spec": {"containers": [
                   {"name": "log", "image": "busybox", "args": ["tail", "-f"]}]}}}}
    merged = ssa(obj, sidecar, manager="sidecar", now=T1)
    cs = merged["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in cs] == ["nginx", "log"]
    assert fields_of(merged, "sidecar")["f:spec"]["f:template"]["f:spec"]["f:containers"] == {
        'k:{"name":"log"}': {"f:args": {}, "f:image": {}, "f:name": {}, ".": {}}}
    # args is atomic: another manager's args conflict as a whole, and force replaces the list
    mine = copy.deepcopy(sidecar)
    mine["spec"]["template"]["spec"]["containers"][0]["args"] = ["sleep"]
    with pytest.raises(ApiError) as e:
        ssa(merged, mine, manager="me", now=T2)
    assert e.value.causes[0]["field"] == '.spec.template.spec.containers[name="log"].args'
    forced = ssa(merged, mine, manager="me", force=True, now=T2)
    assert forced["spec"]["template"]["spec"]["containers"][1]["args"] == ["sleep"]
    # the sidecar applier removing its container deletes it (nobody else owns the item)
    gone = ssa(merged, with_(sidecar, spec={"template": {"spec": {"containers": []}}}),
               manager="sidecar", now=T3)
    assert [c["name"] for c in gone["spec"]["template"]["spec"]["containers"]] == ["nginx"]


def test_apply_never_writes_status_on_the_main_resource():
    cfg = with_(NGINX, status={"replicas": 99})
    obj = ssa(None, cfg)
    assert "status" not in obj
    assert "f:status" not in fields_of(obj, "kubectl")
    live = with_(obj, status={"replicas": 3})
    again = ssa(live, cfg, now=T2)
    assert again["status"] == {"replicas": 3}


def test_status_subresource_apply_owns_status_only():
    live = ssa(None, NGINX, now=T0)
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "nginx-deployment"},
            "spec": {"replicas": 9}, "status": {"replicas": 3}}
    obj = apply(live, body, "ctrl", False, DEPLOY, T1, "apps/v1", subresource="status")
    assert (obj["spec"]["replicas"], obj["status"]) == (3, {"replicas": 3})
    entry = obj["metadata"]["managedFields"][1]
    assert (entry["manager"], entry["subresource"], entry["fieldsV1"]) == (
        "ctrl", "status", {"f:status": {"f:replicas": {}}})
    with pytest.raises(ApiError) as e:
        apply(obj, with_(body, status={"replicas": 4}), "other", False, DEPLOY, T2, "apps/v1",
              subresource="status")
    assert e.value.message == ('Apply failed with 1 conflict: conflict with "ctrl" with subresource '
                               '"status": .status.replicas')


def test_first_apply_to_an_untracked_object_credits_before_first_apply():
    live = copy.deepcopy(NGINX)  # stored without managedFields
    with pytest.raises(ApiError) as e:
        ssa(live, with_(NGINX, spec__replicas=2))
    assert e.value.message == ('Apply failed with 1 conflict: conflict with "before-first-apply" '
                               'using apps/v1: .spec.replicas')
    obj = ssa(live, NGINX, now=T1)
    assert entries(obj) == [("kubectl", "Apply", None), ("before-first-apply", "Update", T1)]


def test_update_moves_changed_fields_and_stamps_only_a_changing_writer():
    obj = ssa(None, NGINX, now=T0)
    edited = copy.deepcopy(obj)
    edited["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.25"
    mf = update_managed_fields(obj, edited, "kubectl-edit", DEPLOY, T1, "apps/v1")
    assert [(e["manager"], e["time"]) for e in mf] == [("kubectl", T0), ("kubectl-edit", T1)]
    assert mf[1]["fieldsV1"] == {"f:spec": {"f:template": {"f:spec": {"f:containers": {
        'k:{"name":"nginx"}': {"f:image": {}}}}}}}
    assert "f:image" not in mf[0]["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"][
        'k:{"name":"nginx"}']
    # a write that changes nothing leaves managedFields as they were
    edited["metadata"]["managedFields"] = mf
    assert update_managed_fields(edited, copy.deepcopy(edited), "someone", DEPLOY, T2, "apps/v1") == mf
    # sending managedFields: [] on an update clears them, and an untracked object stays
    # untracked on update (skipnonapplied.go: only a create or an apply starts tracking)
    reset = with_(edited, metadata__managedFields=[], spec__replicas=4)
    assert update_managed_fields(edited, reset, "", DEPLOY, T2, "apps/v1") == []
    assert update_managed_fields(NGINX, with_(NGINX, spec__replicas=1), "x", DEPLOY, T2, "apps/v1") == []
    # ... while a create with no manager name is tracked as "unknown"
    assert [(e["manager"], e["operation"]) for e in update_managed_fields(
        None, copy.deepcopy(NGINX), "", DEPLOY, T2, "apps/v1")] == [("unknown", "Update")]


def test_update_create_owns_existence_of_optional_maps_and_lists():
    mf = update_managed_fields(None, copy.deepcopy(NGINX), "kubectl-create", DEPLOY, T0, "apps/v1")
    f = mf[0]["fieldsV1"]
    assert f["f:metadata"] == {"f:labels": {"f:app": {}, ".": {}}}
    c = f["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert "." not in c  # containers is required: never absent from a typed Pod
    assert c['k:{"name":"nginx"}']["f:ports"]["."] == {}


def test_more_than_ten_updaters_fold_into_ancient_changes():
    obj = ssa(None, NGINX, now=T0)
    for i in range(11):
        new = with_(obj, metadata__annotations={**obj["metadata"].get("annotations", {}), f"a{i}": "x"})
        new["metadata"]["managedFields"] = update_managed_fields(
            obj, new, f"m{i:02d}", DEPLOY, "2026-01-01T00:01:%02dZ" % i, "apps/v1")
        obj = new
        assert len(obj["metadata"]["managedFields"]) == 1 + min(i + 1, 10)
    names = [e["manager"] for e in obj["metadata"]["managedFields"]]
    assert names[:2] == ["kubectl", "ancient-changes"] and "m00" not in names and "m01" not in names
    ancient = obj["metadata"]["managedFields"][1]
    assert ancient["time"] == "2026-01-01T00:01:01Z"
    assert json.dumps(ancient["fieldsV1"]) == json.dumps(
        {"f:metadata": {"f:annotations": {"f:a0": {}, "f:a1": {}, ".": {}}}})


def test_kubectl_apply_keeps_the_last_applied_annotation_in_step():
    key = "kubectl.kubernetes.io/last-applied-configuration"
    live = with_(_client_side_created(), metadata__annotations={key: "{}"})
    obj = ssa(live, NGINX, manager="kubectl", now=T1)
    assert json.loads(obj["metadata"]["annotations"][key]) == NGINX
    other = ssa(live, NGINX, manager="helm", now=T1)
    assert other["metadata"]["annotations"][key] == "{}"


# -- fieldsV1 and schemaless objects ----------------------------------------------------------

def test_fields_v1_round_trip_with_every_element_kind():
    doc = {"f:a": {}, "f:l": {"i:0": {}, "v:\"x\"": {}, "v:3": {}},
           "f:m": {"k:{\"k\":1,\"n\":\"<a>\"}": {".": {}, "f:z": {}}, ".": {}}}
    s = from_fields_v1(doc)
    assert to_fields_v1(s) == {"f:a": {}, "f:l": {"v:3": {}, "v:\"x\"": {}, "i:0": {}},
                               "f:m": {"k:{\"k\":1,\"n\":\"\\u003ca\\u003e\"}": {"f:z": {}, ".": {}},
                                       ".": {}}}
    assert from_fields_v1(to_fields_v1(s)) == s
    assert to_fields_v1(Set()) == {}


@dataclass
class S:  # a hand-built schema node with the attributes the field manager reads
    properties: dict = field(default_factory=dict)
    items: object = None
    additional: object = None
    list_type: str | None = None
    map_keys: tuple = ()
    merge_key: str | None = None
    patch_strategy: str | None = None
    map_type: str | None = None
    required: tuple = ()
    go_type: str | None = None


def test_hand_built_schema_set_list_and_no_schema_defaults():
    sch = S(properties={"spec": S(properties={"tags": S(list_type="set"), "args": S()})})
    obj = apply(None, {"spec": {"tags": ["b", "a"], "args": ["x"]}}, "m", False, sch, T0, "v1")
    assert obj["metadata"]["managedFields"][0]["fieldsV1"] == {
        "f:spec": {"f:args": {}, "f:tags": {"v:\"a\"": {}, "v:\"b\"": {}}}}
    # a set list merges by value across appliers; an atomic one is replaced
    two = apply(obj, {"spec": {"tags": ["c"]}}, "n", False, sch, T1, "v1")
    assert two["spec"]["tags"] == ["b", "a", "c"]
    # no schema: lists atomic, every map key owned as a member too
    raw = apply(None, {"spec": {"x": [1, 2], "y": {"z": 1}}}, "m", False, None, T0, "v1")
    assert raw["metadata"]["managedFields"][0]["fieldsV1"] == {
        "f:spec": {"f:x": {}, "f:y": {"f:z": {}, ".": {}}, ".": {}}}


def test_duplicate_keys_in_the_config_are_refused():
    cfg = copy.deepcopy(NGINX)
    cfg["spec"]["template"]["spec"]["containers"].append({"name": "nginx", "image": "x"})
    with pytest.raises(ApiError) as e:
        ssa(None, cfg)
    assert e.value.code == 500
    assert e.value.message == ('failed to create typed patch object: .spec.template.spec.containers: '
                               'duplicate entries for key [name="nginx"]')


def test_malformed_objects_answer_or_keep_the_live_entries():
    with pytest.raises(ApiError) as e:
        ssa(None, with_(NGINX, metadata=None))
    assert (e.value.code, e.value.message) == (400, "metadata must be an object")
    live = ssa(None, NGINX, now=T0)
    broken = copy.deepcopy(live)
    broken["spec"]["template"]["spec"]["containers"] = [5]
    assert update_managed_fields(live, broken, "x", DEPLOY, T1, "apps/v1") == \
        live["metadata"]["managedFields"]
    with pytest.raises(ApiError) as e:
        ssa(live, with_(NGINX, spec__template__spec__containers=[{"image": "x"}]))
    assert e.value.message == (
        "failed to create typed patch object: .spec.template.spec.containers: element 0: "
        'associative list with keys has an element that omits all key fields ["name"] '
        "(and doesn't have default values for any key fields)")
