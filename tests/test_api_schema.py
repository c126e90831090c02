"""Schemas of the built-in kinds, generated from upstream's OpenAPI and Go types.

Upstream: kubernetes/kubernetes api/openapi-spec (swagger.json, v3/*.json), k8s.io/api
core/v1/types.go, apps/v1/types.go (field Go types), apimachinery meta/v1/types.go.
"""

import pytest

from k8score.api.schema import Schema, kinds, schema_for
from k8score.api.schema import _data

NEEDED = [
    ("v1", k) for k in ("Namespace", "Node", "Pod", "Service", "Endpoints", "ConfigMap", "Secret",
                        "ServiceAccount", "Event", "LimitRange", "ResourceQuota",
                        "PersistentVolumeClaim", "PersistentVolume", "Binding")
] + [
    ("coordination.k8s.io/v1", "Lease"), ("apps/v1", "Deployment"), ("apps/v1", "ReplicaSet"),
    ("apps/v1", "DaemonSet"), ("apps/v1", "StatefulSet"), ("scheduling.k8s.io/v1", "PriorityClass"),
    ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"), ("storage.k8s.io/v1", "StorageClass"),
    ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"),
    ("authorization.k8s.io/v1", "SubjectAccessReview"),
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"),
    ("authentication.k8s.io/v1", "TokenRequest"), ("authentication.k8s.io/v1", "TokenReview"),
    ("authentication.k8s.io/v1", "SelfSubjectReview"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ("discovery.k8s.io/v1", "EndpointSlice"), ("batch/v1", "Job"), ("batch/v1", "CronJob"),
    ("policy/v1", "PodDisruptionBudget"), ("policy/v1", "Eviction"), ("events.k8s.io/v1", "Event"),
]


@pytest.mark.parametrize("api_version,kind", NEEDED)
def test_every_listed_kind_has_a_schema_with_metadata(api_version, kind):
    s = schema_for(api_version, kind)
    assert isinstance(s, Schema) and s.type == "object" and s.go_type == kind
    assert s.properties["metadata"].go_type == "ObjectMeta"
    assert s.properties["kind"].type == "string"


def test_unknown_kinds_and_versions_have_none():
    assert schema_for("v1", "Deployment") is None
    assert schema_for("apps/v1beta1", "Deployment") is None
    assert ("apps/v1", "Deployment") in kinds()


def test_schemas_are_shared_and_built_once():
    a = schema_for("apps/v1", "Deployment").properties["spec"].properties["template"]
    b = schema_for("apps/v1", "ReplicaSet").properties["spec"].properties["template"]
    assert a is b and a.go_type == "PodTemplateSpec"
    assert schema_for("v1", "Pod") is schema_for("v1", "Pod")


def test_list_map_and_patch_extensions():
    pod = schema_for("v1", "Pod").properties["spec"].properties
    c = pod["containers"]
    assert (c.merge_key, c.patch_strategy, c.list_type, c.map_keys) == ("name", "merge", "map", ("name",))
    assert pod["volumes"].patch_strategy == "merge,retainKeys"
    assert pod["tolerations"].list_type == "atomic" and pod["tolerations"].merge_key is None
    assert pod["nodeSelector"].map_type == "atomic"
    ports = schema_for("v1", "Service").properties["spec"].properties["ports"]
    assert ports.map_keys == ("port", "protocol") and ports.merge_key == "port"
    cports = c.items.properties["ports"]
    assert cports.map_keys == ("containerPort", "protocol")
    meta = schema_for("v1", "Pod").properties["metadata"].properties
    assert meta["finalizers"].list_type == "set"
    assert meta["ownerReferences"].merge_key == "uid"


def test_overlay_keeps_definition_but_adds_field_extension():
    spec = schema_for("apps/v1", "Deployment").properties["spec"]
    strategy = spec.properties["strategy"]
    assert strategy.patch_strategy == "retainKeys" and strategy.go_type == "DeploymentStrategy"
    assert strategy.properties["rollingUpdate"].properties["maxSurge"].format == "int-or-string"
    # the shared definition itself has no patch strategy: the overlay did not leak into it
    from k8score.api.schema import definition
    assert definition("apps.v1.DeploymentStrategy").patch_strategy is None


def test_formats_and_go_types():
    pod = schema_for("v1", "Pod")
    meta = pod.properties["metadata"].properties
    assert (meta["creationTimestamp"].format, meta["creationTimestamp"].codec) == ("date-time", "time")
    assert meta["labels"].go == "map[string]string" and meta["labels"].additional.go == "string"
    assert meta["uid"].go == "types.UID"
    c = pod.properties["spec"].properties["containers"].items.properties
    assert c["resources"].properties["limits"].go == "v1.ResourceList"
    assert c["resources"].properties["limits"].additional.format == "quantity"
    assert c["securityContext"].properties["capabilities"].properties["add"].items.go == "v1.Capability"
    assert pod.properties["spec"].properties["containers"].go == "[]v1.Container"
    assert schema_for("v1", "Service").properties["spec"].properties["type"].go == "v1.ServiceType"
    secret = schema_for("v1", "Secret").properties["data"]
    assert secret.go == "map[string][]uint8" and secret.additional.format == "byte"
    ev = schema_for("events.k8s.io/v1", "Event").properties["eventTime"]
    assert ev.codec == "microtime"
    assert schema_for("apps/v1", "Deployment").properties["spec"].required == ("selector", "template")


def test_cyclic_json_schema_props():
    crd = schema_for("apiextensions.k8s.io/v1", "CustomResourceDefinition")
    v = crd.properties["spec"].properties["versions"].items
    props = v.properties["schema"].properties["openAPIV3Schema"]
    assert props.go_type == "JSONSchemaProps"
    assert props.properties["properties"].additional is props
    assert props.properties["x-kubernetes-preserve-unknown-fields"].type == "boolean"
    assert props.properties["default"].codec == "raw"


def test_data_is_compact():
    import os
    assert os.path.getsize(_data.__file__) < 400_000
    assert all(not k.startswith("io.k8s.") for k in _data.DEFS)
