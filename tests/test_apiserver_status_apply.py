"""Server-side apply to a status subresource through the API server keeps the applier's entry.

Upstream: staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/meta.go (ResetObjectMetaForStatus
resets labels, annotations, finalizers, ownerReferences... but deliberately not managedFields:
"managedFields must be preserved since it's been modified to track changed fields in the status
update"). The status strategies (e.g. pkg/registry/core/pod/strategy.go podStatusStrategy) call it.
Before the fix the stored object lost the applier's entry: the status strategy took every
metadata field, managedFields included, from the stored object.
"""

from tests.apihelpers import default_service_accounts


def _pod(api):
    default_service_accounts(api)
    api.create("pods", {"metadata": {"name": "web", "labels": {"app": "web"}},
                        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "nginx"}]}},
               namespace="default")


def _entries(obj):
    return [(m["manager"], m["operation"], m.get("subresource")) for m in obj["metadata"]["managedFields"]]


def _apply(api, body, manager="tool"):
    return api.patch("pods", "web", body, namespace="default", subresource="status",
                     patch_type="apply", fieldManager=manager)


BODY = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
        "status": {"conditions": [{"type": "example.com/Checked", "status": "True"}]}}


def test_an_apply_to_pods_status_records_its_applier_and_keeps_the_others(api):
    _pod(api)
    out = _apply(api, BODY)
    assert ("tool", "Apply", "status") in _entries(out)
    assert ("kube-apiserver", "Update", None) in _entries(out)    # the creator's entry stays
    stored = api.get("pods", "web", "default")
    assert _entries(stored) == _entries(out)
    fields = next(m for m in stored["metadata"]["managedFields"] if m["manager"] == "tool")["fieldsV1"]
    assert fields == {"f:status": {"f:conditions": {'k:{"type":"example.com/Checked"}': {
        ".": {}, "f:status": {}, "f:type": {}}}}}
def test_a_second_apply_without_the_condition_removes_it(api):
    _pod(api)
    _apply(api, BODY)
    out = _apply(api, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "status": {}})
    assert not any(c["type"] == "example.com/Checked" for c in out["status"].get("conditions") or ())
