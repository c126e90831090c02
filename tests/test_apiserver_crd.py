"""CustomResourceDefinitions: validation, serving, schema validation, pruning, defaulting.

Upstream: k8s.io/apiextensions-apiserver pkg/apis/apiextensions/validation/validation.go,
pkg/registry/customresourcedefinition/strategy.go, pkg/registry/customresource/strategy.go,
pkg/apiserver/schema/{validation.go,pruning/algorithm.go,defaulting/algorithm.go},
pkg/apiserver/validation/validation.go, pkg/controller/status/naming_controller.go,
pkg/controller/establish/establishing_controller.go; the CronTab example of kubernetes/website
content/en/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions.md.
"""

import copy

import pytest

from k8score.api.errors import ApiError
from k8score.apiserver.registry.crd import restore
from k8score.apiserver.server import APIServer
from k8score.etcd import Store
from k8score.sim import Loop

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "crontabs.stable.example.com"},
    "spec": {"group": "stable.example.com", "scope": "Namespaced",
             "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab", "shortNames": ["ct"]},
             "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                 "type": "object", "properties": {"spec": {"type": "object", "properties": {
                     "cronSpec": {"type": "string"}, "image": {"type": "string"},
                     "replicas": {"type": "integer"}}}}}}}]}}
TAB = {"apiVersion": "stable.example.com/v1", "kind": "CronTab", "metadata": {"name": "my-new-cron-object"},
       "spec": {"cronSpec": "* * * * */5", "image": "my-awesome-cron-image"}}


def server(store=None):
    api = APIServer(Loop(seed=1), store or Store())
    api.start()
    return api


def crd(**changes):
    out = copy.deepcopy(CRD)
    for path, value in changes.items():
        d = out
        *parts, last = path.split("__")
        for p in parts:
            d = d[int(p)] if isinstance(d, list) else d[p]
        d[last] = value
    return out


def invalid(api, body):
    with pytest.raises(ApiError) as e:
        api.create("customresourcedefinitions", body)
    assert e.value.code == 422
    return [f"{c['field']}: {c['message']}" for c in e.value.causes]


def test_crontab_crd_is_established_and_served_at_once():
    api = server()
    out = api.create("customresourcedefinitions", CRD)
    assert out["status"]["acceptedNames"] == {"kind": "CronTab", "listKind": "CronTabList", "plural": "crontabs",
                                              "shortNames": ["ct"], "singular": "crontab"}
    assert [(c["type"], c["status"], c["reason"]) for c in out["status"]["conditions"]] == [
        ("NamesAccepted", "True", "NoConflicts"), ("Established", "True", "InitialNamesAccepted")]
    assert out["status"]["storedVersions"] == ["v1"] and out["metadata"]["generation"] == 1
    assert api.store.range("/registry/apiextensions.k8s.io/customresourcedefinitions/"
                           "crontabs.stable.example.com").kvs
    made = api.create("crontabs", TAB)
    assert made["metadata"]["namespace"] == "default" and made["metadata"]["generation"] == 1
    assert api.store.range("/registry/stable.example.com/crontabs/default/my-new-cron-object").kvs
    for name in ("ct", "crontab", "CronTab", "crontabs.stable.example.com", "ct.v1.stable.example.com"):
        assert [o["metadata"]["name"] for o in api.list(name)["items"]] == ["my-new-cron-object"]
    assert api.list("ct")["kind"] == "CronTabList"


def test_wrong_type_is_refused_with_kube_openapi_message():
    api = server()
    api.create("customresourcedefinitions", CRD)
    bad = copy.deepcopy(TAB)
    bad["spec"]["replicas"] = "three"
    with pytest.raises(ApiError) as e:
        api.create("crontabs", bad)
    assert e.value.code == 422
    assert str(e.value) == ('The CronTab "my-new-cron-object" is invalid: spec.replicas: '
                            'Invalid value: "string": spec.replicas in body must be of type integer: "string"')
    bad["spec"].update(replicas=3, cronSpec=5)  # both sides: the integer is fine, the string is not
    with pytest.raises(ApiError) as e:
        api.create("crontabs", bad)
    assert [c["field"] for c in e.value.causes] == ["spec.cronSpec"]
    assert api.list("ct")["items"] == []
    good = copy.deepcopy(TAB)
    good["spec"]["replicas"] = 3
    assert api.create("crontabs", good)["spec"]["replicas"] == 3


def test_unknown_fields_are_pruned_and_strict_refuses_them():
    api = server()
    api.create("customresourcedefinitions", CRD)
    body = copy.deepcopy(TAB)
    body["spec"]["someRandomField"] = 42
    body["extra"] = {"a": 1}
    out = api.create("crontabs", body)
    assert out["spec"] == TAB["spec"] and "extra" not in out
    stored = api.get("ct", "my-new-cron-object")
    assert "someRandomField" not in stored["spec"]
    strategy = api.registry.strategy_for("ct")
    probe = copy.deepcopy(body)
    assert strategy.decode_body(probe, "Warn") == ['unknown field "extra"', 'unknown field "spec.someRandomField"']
    assert strategy.decode_body(copy.deepcopy(body), "Ignore") == []
    with pytest.raises(ApiError) as e:
        strategy.decode_body(copy.deepcopy(body), "Strict")
    assert e.value.code == 400
    assert e.value.message == ('CronTab in version "v1" cannot be handled as a CronTab: strict decoding error: '
                               'unknown field "extra", unknown field "spec.someRandomField"')
    assert strategy.decode_body(copy.deepcopy(TAB), "Strict") == []  # nothing unknown: accepted


def test_preserve_unknown_fields_keeps_them():
    api = server()
    body = crd()
    body["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"][
        "x-kubernetes-preserve-unknown-fields"] = True
    api.create("customresourcedefinitions", body)
    tab = copy.deepcopy(TAB)
    tab["spec"]["someRandomField"] = 42
    tab["top"] = 1
    out = api.create("crontabs", tab)
    assert out["spec"]["someRandomField"] == 42 and "top" not in out


def test_defaults_on_create_and_on_read():
    api = server()
    body = crd()
    props = body["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    props["replicas"]["default"] = 1
    api.create("customresourcedefinitions", body)
    assert api.create("crontabs", TAB)["spec"]["replicas"] == 1
    tab2 = copy.deepcopy(TAB)
    tab2["metadata"]["name"] = "two"
    tab2["spec"]["replicas"] = 4
    assert api.create("crontabs", tab2)["spec"]["replicas"] == 4  # a given value wins
    # an object stored before the default existed gets it when read (the decoder defaults)
    strategy = api.registry.strategy_for("ct")
    old = {"apiVersion": "stable.example.com/v1", "kind": "CronTab", "metadata": {"name": "old"},
           "spec": {"image": "x", "replicas": None}}
    assert strategy.decode_stored(old)["spec"] == {"image": "x", "replicas": 1}


def test_crd_name_must_be_plural_dot_group():
    api = server()
    body = crd(metadata__name="foo")
    assert invalid(api, body) == ['metadata.name: Invalid value: "foo": must be spec.names.plural+"."+spec.group']


def test_bad_crds_report_every_rule():
    api = server()
    no_versions = crd(spec__versions=[])
    assert invalid(api, no_versions) == [
        "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion(nil): "
        "must have exactly one version marked as storage version",
        "status.storedVersions: Invalid value: []string(nil): must have at least one stored version"]
    two = crd()
    two["spec"]["versions"].append(dict(two["spec"]["versions"][0], name="v2"))
    msgs = invalid(api, two)
    assert len(msgs) == 1 and msgs[0].endswith("must have exactly one version marked as storage version")
    assert 'Name:"v2", Served:true, Storage:true' in msgs[0]
    bad = crd(spec__group="example", spec__scope="Global")
    assert invalid(api, dict(bad, metadata={"name": "crontabs.example"})) == [
        'spec.group: Invalid value: "example": should be a domain with at least one dot',
        'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"']
    assert api.list("crd")["items"] == []


def test_non_structural_schema_is_refused():
    api = server()
    body = crd()
    schema = body["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    schema["properties"]["spec"]["properties"]["cronSpec"] = {"description": "no type"}
    schema["properties"]["spec"]["properties"]["replicas"] = {"type": "integr"}
    assert invalid(api, body) == [
        "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[cronSpec].type: Required value: "
        "must not be empty for specified object fields",
        'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[replicas].type: Unsupported value: '
        '"integr": supported values: "array", "boolean", "integer", "number", "object", "string"']
    missing = crd()
    del missing["spec"]["versions"][0]["schema"]
    assert invalid(api, missing) == ["spec.versions[0].schema.openAPIV3Schema: Required value"]
    bad_default = crd()
    bad_default["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"][
        "replicas"]["default"] = "one"
    assert invalid(api, bad_default) == [
        'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[replicas].default: Invalid value: '
        '"string": spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[replicas].default in body '
        'must be of type integer: "string"']


def test_second_crd_with_a_conflicting_name_is_not_accepted():
    api = server()
    api.create("customresourcedefinitions", CRD)
    clash = crd(metadata__name="ct.stable.example.com", spec__names={"plural": "ct", "kind": "Other"})
    out = api.create("customresourcedefinitions", clash)
    named, est = out["status"]["conditions"]
    assert (named["status"], named["reason"], named["message"]) == ("False", "PluralConflict",
                                                                    '"ct" is already in use')
    assert (est["status"], est["reason"], est["message"]) == ("False", "NotAccepted", "not all names are accepted")
    assert "plural" not in out["status"]["acceptedNames"]
    assert api.registry.table.get("ct.stable.example.com") is None
    assert api.registry.resolve("ct").plural == "crontabs"  # the first keeps its short name
    # the refused CRD still holds the names it was granted (kind Other), as upstream
    kind = crd(metadata__name="others.stable.example.com", spec__names={"plural": "others", "kind": "Other"})
    named = api.create("customresourcedefinitions", kind)["status"]["conditions"][0]
    # kind and listKind both clash; the last check (listKind) names the condition
    assert (named["reason"], named["message"]) == ("ListKindConflict", '"OtherList" is already in use')
    fine = crd(metadata__name="fines.stable.example.com", spec__names={"plural": "fines", "kind": "Fine"})
    assert api.create("customresourcedefinitions", fine)["status"]["conditions"][1]["status"] == "True"
    assert api.list("fines")["items"] == []


def test_status_subresource_and_generation():
    api = server()
    body = crd()
    body["spec"]["versions"][0]["subresources"] = {"status": {}}
    body["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"] = {
        "type": "object", "properties": {"ready": {"type": "integer"}}}
    api.create("customresourcedefinitions", body)
    made = api.create("crontabs", dict(TAB, status={"ready": 3}))
    assert "status" not in made  # a client may not set status on create
    made["status"] = {"ready": 2}
    made["spec"]["image"] = "v2"
    updated = api.update("crontabs", made)
    assert "status" not in updated and updated["metadata"]["generation"] == 2
    updated["status"] = {"ready": 2}
    st = api.update("crontabs", updated, subresource="status")
    assert st["status"] == {"ready": 2} and st["metadata"]["generation"] == 2
    st["status"] = {"ready": "two"}
    with pytest.raises(ApiError) as e:
        api.update("crontabs", st, subresource="status")
    assert e.value.causes[0]["message"] == 'Invalid value: "string": status.ready in body must be of type integer: "string"'


def test_scale_subresource():
    api = server()
    body = crd()
    body["spec"]["versions"][0]["subresources"] = {"status": {}, "scale": {
        "specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}}
    api.create("customresourcedefinitions", body)
    api.create("crontabs", dict(TAB, spec=dict(TAB["spec"], replicas=2)))
    scale = api.get("crontabs", "my-new-cron-object", subresource="scale")
    assert (scale["kind"], scale["spec"], scale["status"]) == ("Scale", {"replicas": 2}, {"replicas": 0})
    scale["spec"]["replicas"] = 5
    assert api.update("crontabs", scale, subresource="scale")["spec"]["replicas"] == 5
    assert api.get("ct", "my-new-cron-object")["spec"]["replicas"] == 5


def test_deleting_the_crd_deletes_its_objects_and_stops_serving():
    api = server()
    api.create("customresourcedefinitions", CRD)
    api.create("crontabs", TAB)
    api.delete("customresourcedefinitions", "crontabs.stable.example.com")
    assert not api.store.range("/registry/stable.example.com/", "/registry/stable.example.com0").kvs
    with pytest.raises(ApiError) as e:
        api.list("ct")
    assert e.value.code == 404
    api.create("customresourcedefinitions", CRD)  # created again: served again, empty
    assert api.list("ct")["items"] == []


def test_crds_survive_an_api_server_restart():
    store = Store()
    api = server(store)
    api.create("customresourcedefinitions", CRD)
    api.create("crontabs", TAB)
    api2 = server(store)  # a new API server on the same etcd serves the stored CRDs at start
    assert [o["metadata"]["name"] for o in api2.list("ct")["items"]] == ["my-new-cron-object"]
    assert restore(api2) == 1  # restoring again changes nothing


def test_protected_group_needs_approval():
    api = server()
    body = crd(metadata__name="crontabs.stable.k8s.io", spec__group="stable.k8s.io")
    assert invalid(api, body) == [
        'metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval '
        'annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111']
    body["metadata"]["annotations"] = {"api-approved.kubernetes.io": "https://github.com/kubernetes/kubernetes/pull/1"}
    assert api.create("customresourcedefinitions", body)["metadata"]["name"] == "crontabs.stable.k8s.io"
