"""Strict decoding of request bodies, body limits and YAML manifests.

Upstream: sigs.k8s.io/json internal/golang/encoding/json/decode.go (UnmarshalTypeError
context, literalStore) and kubernetes_patch.go (strict errors, paths); apimachinery
runtime/serializer/json/json.go + meta.go (Interpret), runtime/error.go (strict decoding
error); apiserver pkg/endpoints/handlers/rest.go (transformDecodeError, limitedReadBody),
pkg/server/config.go (MaxRequestBodyBytes); apimachinery api/resource/quantity.go,
util/intstr/intstr.go, apis/meta/v1/time.go; go-yaml v2 decode.go (allowedAliasRatio).
"""

import copy
import json
import time

import pytest

from k8score.api.errors import ApiError
from k8score.api.schema import limits
from k8score.api.schema.decode import decode
from k8score.api.schema.yamlload import YAMLError, load_yaml_documents

DEP = {"apiVersion": "apps/v1", "kind": "Deployment",
       "metadata": {"name": "web", "labels": {"app": "web"}},
       "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                "strategy": {"type": "RollingUpdate",
                             "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
                "template": {"metadata": {"labels": {"app": "web"}},
                             "spec": {"containers": [{
                                 "name": "nginx", "image": "nginx:1.25",
                                 "ports": [{"containerPort": 80}],
                                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}}}}
CANNOT = 'Deployment in version "v1" cannot be handled as a Deployment: '


def dep(**paths):
    d = copy.deepcopy(DEP)
    for path, value in paths.items():
        node = d
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[int(k)] if k.isdigit() else node[k]
        node[keys[-1]] = value
    return d


def err(body, api_version="apps/v1", kind="Deployment", fv="Strict"):
    with pytest.raises(ApiError) as e:
        decode(api_version, kind, body, fv)
    assert e.value.code == 400 and e.value.reason == "BadRequest"
    return e.value.message


def test_valid_body_comes_back_unchanged_and_input_untouched():
    before = copy.deepcopy(DEP)
    obj, warnings = decode("apps/v1", "Deployment", DEP, "Strict")
    assert obj == before and warnings == [] and DEP == before


@pytest.mark.parametrize("value,ok", [(2147483647, True), (-2147483648, True),
                                      (2147483648, False), (-2147483649, False)])
def test_int32_both_sides_of_the_limit(value, ok):
    if ok:
        assert decode("apps/v1", "Deployment", dep(spec__replicas=value))[0]["spec"]["replicas"] == value
    else:
        assert err(dep(spec__replicas=value)) == CANNOT + (
            f"json: cannot unmarshal number {value} into Go struct field DeploymentSpec.spec.replicas of type int32")


def test_int64_limit_and_floats_into_ints():
    pod = {"kind": "Pod", "spec": {"containers": [], "activeDeadlineSeconds": 2**63 - 1}}
    assert decode("v1", "Pod", pod)[0]["spec"]["activeDeadlineSeconds"] == 2**63 - 1
    pod["spec"]["activeDeadlineSeconds"] = 2**63
    assert err(pod, "v1", "Pod").endswith(
        f"number {2**63} into Go struct field PodSpec.spec.activeDeadlineSeconds of type int64")
    assert err(dep(spec__replicas=1.0)).endswith("cannot unmarshal number 1.0 into Go struct field "
                                                  "DeploymentSpec.spec.replicas of type int32")
    # the JSON literal is quoted as sent
    raw = json.dumps(DEP).replace('"replicas": 3', '"replicas": 1e3')
    assert err(raw).endswith("number 1e3 into Go struct field DeploymentSpec.spec.replicas of type int32")


def test_wrong_kinds_name_the_innermost_struct_and_the_json_path():
    assert err(dep(spec__template__spec__containers__0__ports__0__containerPort="80")) == CANNOT + (
        "json: cannot unmarshal string into Go struct field ContainerPort"
        ".spec.template.spec.containers.ports.containerPort of type int32")
    assert err(dep(metadata__labels={"a": 5})) == CANNOT + (
        "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string")
    assert err(dep(metadata="x")) == CANNOT + (
        "json: cannot unmarshal string into Go struct field Deployment.metadata of type v1.ObjectMeta")
    assert err(dep(metadata__annotations=5)).endswith(
        "number into Go struct field ObjectMeta.metadata.annotations of type map[string]string")
    assert err({"spec": {"type": 5}}, "v1", "Service").endswith(
        "number into Go struct field ServiceSpec.spec.type of type v1.ServiceType")
    assert err({"status": {"conditions": 5}}, "v1", "Node").endswith(
        "number into Go struct field NodeStatus.status.conditions of type []v1.NodeCondition")
    assert err({"spec": {"containers": [{"resources": {"limits": 5}}]}}, "v1", "Pod").endswith(
        "number into Go struct field ResourceRequirements.spec.containers.resources.limits of type v1.ResourceList")
    assert err({"spec": {"priorityClassName": {"x": 1}}}, "v1", "Pod").endswith(
        "object into Go struct field PodSpec.spec.priorityClassName of type string")
    assert err({"spec": {"paused": "yes"}}, "apps/v1", "Deployment").endswith(
        "string into Go struct field DeploymentSpec.spec.paused of type bool")


def test_first_type_error_wins_but_a_quantity_error_beats_it():
    body = dep(spec__replicas="3", spec__paused="x")
    assert err(body).endswith("cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32")
    body = dep(spec__replicas="3", spec__template__spec__containers__0__resources={"limits": {"cpu": "x"}})
    assert err(body) == CANNOT + (
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")


def test_int_or_string():
    assert decode("apps/v1", "Deployment", dep(spec__strategy__rollingUpdate__maxSurge=2))[0]
    assert err(dep(spec__strategy__rollingUpdate__maxSurge=10**20)).endswith(
        f"number {10**20} into Go struct field RollingUpdateDeployment"
        ".spec.strategy.rollingUpdate.maxSurge of type int32")
    assert err(dep(spec__strategy__rollingUpdate__maxSurge=True)).endswith(
        "cannot unmarshal bool into Go struct field RollingUpdateDeployment"
        ".spec.strategy.rollingUpdate.maxSurge of type int32")


def test_quantities_and_times_are_stored_canonical():
    pod = {"kind": "Pod", "metadata": {"name": "a", "creationTimestamp": "2024-01-01T01:30:00.9+01:00"},
           "spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": 0.5, "memory": "1024Mi"}}}]}}
    obj, _ = decode("v1", "Pod", pod)
    assert obj["metadata"]["creationTimestamp"] == "2024-01-01T00:30:00Z"
    assert obj["spec"]["containers"][0]["resources"]["limits"] == {"cpu": "500m", "memory": "1Gi"}
    assert err({"metadata": {"creationTimestamp": "yesterday"}}, "v1", "Pod").endswith(
        'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"')
    assert err({"metadata": {"creationTimestamp": "2024-13-01T00:00:00Z"}}, "v1", "Pod").endswith(
        'parsing time "2024-13-01T00:00:00Z": month out of range')
    assert err({"metadata": {"creationTimestamp": 5}}, "v1", "Pod").endswith(
        "cannot unmarshal number into Go struct field ObjectMeta.metadata.creationTimestamp of type string")
    ev = {"eventTime": "2024-01-01T00:00:00Z"}
    assert err(ev, "events.k8s.io/v1", "Event").endswith(
        'parsing time "2024-01-01T00:00:00Z" as "2006-01-02T15:04:05.000000Z07:00": '
        'cannot parse "Z" as ".000000"')


def test_nulls_are_go_zero_values():
    obj, _ = decode("apps/v1", "Deployment", dep(metadata__creationTimestamp=None, spec__replicas=None,
                                                    metadata__labels={"a": None}))
    assert "creationTimestamp" not in obj["metadata"] and "replicas" not in obj["spec"]
    assert obj["metadata"]["labels"] == {"a": ""}


def test_bytes_are_base64():
    assert decode("v1", "Secret", {"data": {"a": "aGk="}})[0]["data"] == {"a": "aGk="}
    assert err({"data": {"a": "abc"}}, "v1", "Secret") == (
        'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0')
    assert err({"data": {"a": 5}}, "v1", "Secret").endswith(
        "number into Go struct field Secret.data of type []uint8")


def test_unknown_fields_in_each_mode():
    body = dep(bar=1, spec__foo=2)
    body["spec"]["template"]["spec"]["containers"][0]["Name"] = "x"  # case matters
    # in document order: spec.template comes before the keys added after it
    assert err(body) == CANNOT + ('strict decoding error: unknown field "spec.template.spec.containers[0].Name", '
                                 'unknown field "spec.foo", unknown field "bar"')
    obj, warnings = decode("apps/v1", "Deployment", body, "Warn")
    assert warnings == ['unknown field "spec.template.spec.containers[0].Name"',
                        'unknown field "spec.foo"', 'unknown field "bar"']
    assert "bar" not in obj and "foo" not in obj["spec"]
    obj2, warnings2 = decode("apps/v1", "Deployment", body, "Ignore")
    assert obj2 == obj and warnings2 == []
    assert decode("apps/v1", "Deployment", body, "")[1] == warnings  # server default: Warn
    # a type error is reported instead of strict errors
    assert err(dep(bar=1, spec__replicas="x")).endswith("DeploymentSpec.spec.replicas of type int32")


def test_duplicate_fields_from_raw_json():
    raw = '{"kind":"Pod","metadata":{"name":"a","name":"b","labels":{"x":"1","x":"2"}},"spec":{}}'
    assert err(raw, "v1", "Pod") == ('Pod in version "v1" cannot be handled as a Pod: strict decoding error: '
                                     'duplicate field "metadata.name", duplicate field "metadata.labels.x"')
    obj, warnings = decode("v1", "Pod", raw, "Warn")
    assert obj["metadata"] == {"name": "b", "labels": {"x": "2"}} and len(warnings) == 2


def test_not_an_object_or_bad_kind_fields():
    assert err([1]) == ("the object provided is unrecognized (must be of type Deployment): couldn't get "
                        "version/kind; json parse error: json: cannot unmarshal array into Go value of type "
                        'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; '
                        'Kind string "json:\\"kind,omitempty\\"" } (5b315d)')
    assert err({"kind": 5}) == ("the object provided is unrecognized (must be of type Deployment): couldn't get "
                                "version/kind; json parse error: json: cannot unmarshal number into Go struct "
                                'field .kind of type string ({"kind":5})')
    # a body without kind is reported with the endpoint's kind
    assert err({"spec": {"replicas": "1"}}).startswith(CANNOT)


def test_nan_and_infinity_are_refused():
    for value, char in ((float("nan"), "'N' looking for beginning of value"),
                        (float("inf"), "'I' looking for beginning of value"),
                        (float("-inf"), "'I' in numeric literal")):
        m = err(dep(spec__replicas=value))
        assert m.startswith("the object provided is unrecognized (must be of type Deployment): couldn't get "
                            "version/kind; json parse error: invalid character " + char)
    assert "invalid character 'N'" in err('{"kind":"Deployment","spec":{"replicas":NaN}}')
    assert "invalid character 'I'" in err(dep(metadata__annotations={"a": "b"}, spec__x=float("inf")))


def test_body_size_limit_both_sides():
    assert limits.check_body(b"x" * (3 * 1024 * 1024)) is None
    with pytest.raises(ApiError) as e:
        limits.check_body("é" * (3 * 1024 * 1024 // 2) + "x")  # counted in UTF-8 bytes
    assert (e.value.code, e.value.reason, e.value.message) == (
        413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728")


def test_nesting_depth_limit():
    ok = {"kind": "ConfigMap", "metadata": {"name": "a"}}
    raw_ok = json.dumps(ok)
    assert decode("v1", "ConfigMap", raw_ok)[0] == ok
    deep = "[" * 1000 + "]" * 1000
    m = err('{"kind":"Pod","x":' + deep + "}", "v1", "Pod")
    assert "exceeded max depth" in m
    v = [[]]
    for _ in range(limits.MAX_DEPTH - 1):
        v = [v]
    with pytest.raises(limits.JSONSyntaxError):
        limits.check_value(v)
    limits.check_value(v[0])  # one level less is fine
    # a raw field (RawExtension) deeper than the limit is refused by decode too
    body = {"kind": "ControllerRevision", "revision": 1, "data": {"a": v}}
    assert "exceeded max depth" in err(body, "apps/v1", "ControllerRevision")


def test_second_call_same_answer_and_cached_fast_path():
    bad = dep(spec__replicas="3")
    assert err(bad) == err(bad)
    assert decode("apps/v1", "Deployment", DEP)[0] is DEP  # clean body: no copy


def test_yaml_alias_bomb_is_refused_fast():
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for n in "bcdefghi":
        bomb += f"{n}: &{n} [" + ",".join(["*" + prev] * 9) + "]\n"
        prev = n
    t = time.perf_counter()
    with pytest.raises(YAMLError, match="^yaml: document contains excessive aliasing$"):
        load_yaml_documents(bomb)
    assert time.perf_counter() - t < 1.0
    # modest aliasing (a few reused anchors) is fine
    docs = load_yaml_documents("base: &b {x: 1}\none: *b\ntwo: *b\n")
    assert docs == [{"base": {"x": 1}, "one": {"x": 1}, "two": {"x": 1}}]
    assert docs[0]["one"] is not docs[0]["two"]  # expanded copies, not shared objects
    with pytest.raises(YAMLError, match="anchor 'a' value contains itself"):
        load_yaml_documents("a: &a [*a]\n")


def test_yaml_values_become_json_only():
    docs = load_yaml_documents("a: 2024-01-01T00:00:00Z\nb: !!binary aGk=\nc: !!set {x, y}\n"
                               "1: true\nfalse: 2\n---\n---\nkind: List\nitems: 5\n")
    assert docs == [{"a": "2024-01-01T00:00:00Z", "b": "hi", "c": {"x": None, "y": None},
                     "1": True, "false": 2}, {"kind": "List", "items": 5}]
    json.dumps(docs, allow_nan=False)
    for text, msg in (("a: .nan", "json: unsupported value: NaN"), ("a: -.inf", "json: unsupported value: -Inf"),
                      ("a: [", "yaml: ")):
        with pytest.raises(YAMLError, match="^" + msg.replace(".", r"\.").replace("[", r"\[")):
            load_yaml_documents(text)
