"""NamespaceLifecycle, DefaultTolerationSeconds, TaintNodesByCondition, DefaultStorageClass,
quota/storage/claim validation, and the resourcequota controller.

Upstream: staging/src/k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle/admission.go,
plugin/pkg/admission/defaulttolerationseconds/admission.go, plugin/pkg/admission/nodetaint/
admission.go, plugin/pkg/admission/storage/storageclass/setdefault/admission.go with
pkg/apis/storage/util/helpers.go GetDefaultClass, pkg/apis/core/validation/validation.go
(ValidateResourceQuota*, ValidatePersistentVolumeClaim*), pkg/apis/storage/validation/
validation.go (ValidateStorageClass*), pkg/controller/resourcequota/
resource_quota_controller.go and resource_quota_monitor.go.
"""

from __future__ import annotations

import copy

import pytest

from admission_fakes import DictLister, attrs, context
from k8score.api.errors import ApiError
from k8score.apiserver.admission.namespacelifecycle import NamespaceLifecycle
from k8score.apiserver.admission.nodetaint import TaintNodesByCondition
from k8score.apiserver.admission.storageclass import DefaultStorageClass
from k8score.apiserver.admission.tolerations import DefaultTolerationSeconds
from k8score.apiserver.validation import policy
from k8score.controllers.resourcequota import RESOURCE_QUOTA_SYNC_PERIOD, ResourceQuotaController
from k8score.sim import Loop


# -- NamespaceLifecycle ---------------------------------------------------------------

@pytest.fixture
def namespaces():
    lister = DictLister()
    lister.put("namespaces", {"metadata": {"name": "default"}, "status": {"phase": "Active"}})
    lister.put("namespaces", {"metadata": {"name": "going", "deletionTimestamp": "2026-01-01T00:00:05Z"},
                              "status": {"phase": "Terminating"}})
    return lister


def test_namespace_lifecycle_refusals(namespaces):
    plugin = NamespaceLifecycle(context(namespaces))
    pod = {"metadata": {"name": "web"}}
    with pytest.raises(ApiError) as e:
        plugin.admit(attrs("pods", pod, namespace="nowhere"))
    assert (e.value.code, e.value.message) == (404, 'namespaces "nowhere" not found')
    with pytest.raises(ApiError) as e:
        plugin.admit(attrs("pods", pod, namespace="going"))
    assert (e.value.code, e.value.message) == (
        403, 'pods "web" is forbidden: unable to create new content in namespace going because it is being terminated')
    assert e.value.causes == [{"reason": "NamespaceTerminating", "message": "namespace going is being terminated",
                               "field": "metadata.namespace"}]
    for ns in ("default", "kube-system", "kube-public"):
        with pytest.raises(ApiError) as e:
            plugin.admit(attrs("namespaces", None, operation="DELETE", namespace=None, name=ns))
        assert (e.value.code, e.value.message) == (403, f'namespaces "{ns}" is forbidden: this namespace may not be deleted')


def test_namespace_lifecycle_allows_the_rest(namespaces):
    plugin = NamespaceLifecycle(context(namespaces))
    plugin.admit(attrs("pods", {"metadata": {"name": "web"}}))                                  # active namespace
    plugin.admit(attrs("pods", {"metadata": {"name": "web"}}, operation="UPDATE", namespace="going"))
    plugin.admit(attrs("pods", None, operation="DELETE", namespace="going", name="web"))        # deletes pass
    plugin.admit(attrs("namespaces", None, operation="DELETE", namespace=None, name="going"))
    plugin.admit(attrs("nodes", {"metadata": {"name": "n1"}}, namespace=None))                 # cluster-scoped


# -- DefaultTolerationSeconds / TaintNodesByCondition ---------------------------------

NOT_READY = {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
             "tolerationSeconds": 300}
UNREACHABLE = {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
               "tolerationSeconds": 300}


@pytest.mark.parametrize("given,expected", [
    (None, [NOT_READY, UNREACHABLE]),
    ([{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
       "tolerationSeconds": 6000}],
     [{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
       "tolerationSeconds": 6000}, NOT_READY]),
    ([{"operator": "Exists"}], [{"operator": "Exists"}]),          # an empty key tolerates everything
    ([{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoSchedule"}],
     [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoSchedule"},
      NOT_READY, UNREACHABLE]),
])
def test_default_toleration_seconds(given, expected):
    spec = {"containers": [{"name": "c", "image": "nginx"}]}
    if given is not None:
        spec["tolerations"] = given
    a = attrs("pods", {"metadata": {"name": "p"}, "spec": spec})
    plugin = DefaultTolerationSeconds(context(DictLister()))
    plugin.admit(a)
    plugin.admit(a)                                                # idempotent on the second call
    assert a.obj["spec"]["tolerations"] == expected


def test_new_nodes_are_tainted_not_ready_once():
    plugin = TaintNodesByCondition(context(DictLister()))
    node = attrs("nodes", {"metadata": {"name": "n1"}}, namespace=None)
    plugin.admit(node)
    plugin.admit(node)
    assert node.obj["spec"]["taints"] == [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]
    assert not plugin.handles("UPDATE")


# -- DefaultStorageClass ----------------------------------------------------------------

def sc(name, created, default=True, beta=False):
    key = "storageclass.beta.kubernetes.io/is-default-class" if beta else "storageclass.kubernetes.io/is-default-class"
    return {"metadata": {"name": name, "creationTimestamp": created,
                         "annotations": {key: "true" if default else "false"}}, "provisioner": "x"}


def claim(**spec):
    return {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"],
                                                   "resources": {"requests": {"storage": "1Gi"}}, **spec}}


def test_default_storage_class_picks_the_newest_default():
    lister = DictLister()
    plugin = DefaultStorageClass(context(lister))
    a = attrs("persistentvolumeclaims", claim())
    plugin.admit(a)
    assert "storageClassName" not in a.obj["spec"]                 # no default: left alone
    lister.put("storageclasses", sc("standard", "2026-01-01T00:00:00Z"))
    lister.put("storageclasses", sc("fast", "2026-01-01T00:10:00Z", beta=True))
    lister.put("storageclasses", sc("newest-but-not-default", "2026-01-01T01:00:00Z", default=False))
    lister.put("storageclasses", sc("also-fast", "2026-01-01T00:10:00Z"))
    a = attrs("persistentvolumeclaims", claim())
    plugin.admit(a)
    assert a.obj["spec"]["storageClassName"] == "also-fast"        # newest, then by name
    for explicit in ("", "gold"):
        a = attrs("persistentvolumeclaims", claim(storageClassName=explicit))
        plugin.admit(a)
        assert a.obj["spec"]["storageClassName"] == explicit


# -- validation ---------------------------------------------------------------------------

def test_resource_quota_validation():
    errs = policy.resource_quota({"spec": {"hard": {"pods": "1500m", "cpu": "-1", "bogus": "1"},
                                           "scopes": ["BestEffort", "NotBestEffort"]}})
    assert [str(e) for e in errs] == [
        'spec.hard[bogus]: Invalid value: "bogus": must be a standard resource type or fully qualified',
        'spec.hard[cpu]: Invalid value: "-1": must be greater than or equal to 0',
        "spec.hard[pods]: Invalid value: 1500m: must be an integer",
        'spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: '
        "unsupported scope applied to resource",
        'spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: conflicting scopes',
    ]
    assert policy.resource_quota({"spec": {"hard": {"pods": "2"}, "scopes": ["BestEffort"]}}) == []
    upd = policy.resource_quota_update({"spec": {"hard": {"pods": "2"}, "scopes": ["NotTerminating"]}},
                                       {"spec": {"hard": {"pods": "1"}, "scopes": ["Terminating"]}})
    assert [str(e) for e in upd] == [
        'spec.scopes: Invalid value: []core.ResourceQuotaScope{"NotTerminating"}: field is immutable']


def test_storage_class_and_claim_validation():
    good = {"metadata": {"name": "fast"}, "provisioner": "kubernetes.io/no-provisioner",
            "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer"}
    assert policy.storage_class(good) == []
    assert [str(e) for e in policy.storage_class({"reclaimPolicy": "Recycle", "volumeBindingMode": "Later"})] == [
        "provisioner: Required value",
        'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"',
        'volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"',
    ]
    changed = dict(good, provisioner="example.com/other", parameters={"type": "ssd"})
    assert [str(e) for e in policy.storage_class_update(changed, good)] == [
        "parameters: Forbidden: updates to parameters are forbidden.",
        "provisioner: Forbidden: updates to provisioner are forbidden.",
    ]
    assert policy.persistent_volume_claim(claim()) == []
    assert [str(e) for e in policy.persistent_volume_claim({"spec": {"accessModes": [], "volumeMode": "Raw"}})] == [
        "spec.accessModes: Required value: at least 1 access mode is required",
        "spec.resources[storage]: Required value",
        'spec.volumeMode: Unsupported value: "Raw": supported values: "Block", "Filesystem"',
    ]
    bound = claim(volumeName="pv-1")
    bound["status"] = {"phase": "Bound", "capacity": {"storage": "1Gi"}}
    grown = copy.deepcopy(bound)
    grown["spec"]["resources"]["requests"]["storage"] = "2Gi"
    assert policy.persistent_volume_claim_update(grown, bound) == []
    shrunk = copy.deepcopy(grown)
    shrunk["spec"]["resources"]["requests"]["storage"] = "1Gi"
    assert [str(e) for e in policy.persistent_volume_claim_update(shrunk, grown)] == [
        "spec.resources.requests.storage: Forbidden: field can not be less than status.capacity"]
    moved = copy.deepcopy(bound)
    moved["spec"]["accessModes"] = ["ReadWriteMany"]
    [err] = policy.persistent_volume_claim_update(moved, bound)
    assert str(err).startswith("spec: Forbidden: spec is immutable after creation except resources.requests "
                               "and volumeAttributesClassName for bound claims")


# -- the resourcequota controller -----------------------------------------------------------

class FakeInformer:
    def __init__(self):
        self.objects: dict[str, dict] = {}
        self.handlers = []
        self.has_synced = True

    def add_event_handler(self, on_add=None, on_update=None, on_delete=None):
        self.handlers.append((on_add, on_update, on_delete))

    def get(self, key):
        return self.objects.get(key)

    def list(self, namespace=None):
        return [o for o in self.objects.values()
                if namespace is None or o["metadata"].get("namespace") == namespace]

    def put(self, obj):
        key = f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"
        old = self.objects.get(key)
        self.objects[key] = obj
        for add, update, _ in self.handlers:
            if old is None and add:
                add(obj)
            elif old is not None and update:
                update(old, obj)

    def delete(self, obj):
        del self.objects[f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"]
        for _, _, delete in self.handlers:
            if delete:
                delete(obj)


class FakeFactory:
    def __init__(self):
        self.informers: dict[str, FakeInformer] = {}

    def informer(self, resource, **kw):
        return self.informers.setdefault(resource, FakeInformer())


class FakeClient:
    def __init__(self, factory):
        self.factory = factory
        self.updates = []

    def update(self, resource, body, namespace=None, subresource=None):
        self.updates.append((resource, subresource, copy.deepcopy(body["status"])))
        new = copy.deepcopy(body)
        new["metadata"]["resourceVersion"] = str(int(body["metadata"].get("resourceVersion", "1")) + 1)
        self.factory.informer(resource).put(new)
        return new


class Host:
    def __init__(self, loop):
        self.loop = loop

    def call_soon(self, fn, *args):
        return self.loop.call_soon(fn, *args)

    def call_later(self, delay, fn, *args):
        return self.loop.call_later(delay, fn, *args)

    def every(self, period, fn, first=None):
        return self.loop.every(period, fn, first=first)


def test_controller_measures_releases_and_resyncs():
    loop, factory = Loop(), FakeFactory()
    client = FakeClient(factory)
    ctl = ResourceQuotaController(Host(loop), client, factory)
    pods = factory.informer("pods")

    def pod(name, cpu, phase="Running"):
        return {"metadata": {"name": name, "namespace": "demo", "resourceVersion": "1"}, "status": {"phase": phase},
                "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}, "limits": {"cpu": cpu}}}]}}
    pods.put(pod("a", "400m"))
    pods.put(pod("b", "200m"))
    pods.put({**pod("elsewhere", "1"), "metadata": {"name": "x", "namespace": "other"}})
    factory.informer("resourcequotas").put({"metadata": {"name": "q", "namespace": "demo", "resourceVersion": "5"},
                                            "spec": {"hard": {"pods": "10", "requests.cpu": "2"}}})
    loop.run(until=1)
    quota = factory.informer("resourcequotas").get("demo/q")
    assert quota["status"] == {"hard": {"pods": "10", "requests.cpu": "2"}, "used": {"pods": "2", "requests.cpu": "600m"}}
    # a deleted pod and a pod that finished give their share back at once
    pods.delete(pod("a", "400m"))
    loop.run(until=2)
    assert factory.informer("resourcequotas").get("demo/q")["status"]["used"] == {"pods": "1", "requests.cpu": "200m"}
    pods.put(pod("b", "200m", phase="Succeeded"))
    loop.run(until=3)
    assert factory.informer("resourcequotas").get("demo/q")["status"]["used"] == {"pods": "0", "requests.cpu": "0"}
    # an over-charge (admitted, never stored) is corrected by the 5-minute resync only
    q = copy.deepcopy(factory.informer("resourcequotas").get("demo/q"))
    q["status"]["used"] = {"pods": "3", "requests.cpu": "0"}
    factory.informer("resourcequotas").put(q)                       # a status-only change: not requeued
    n = len(client.updates)
    loop.run(until=RESOURCE_QUOTA_SYNC_PERIOD - 1)
    assert len(client.updates) == n
    loop.run(until=RESOURCE_QUOTA_SYNC_PERIOD + 1)
    assert factory.informer("resourcequotas").get("demo/q")["status"]["used"] == {"pods": "0", "requests.cpu": "0"}
    assert len(client.updates) == n + 1
