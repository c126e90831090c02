"""ResourceQuota admission: usage, refusals, and the compare-and-swap of status.used.

Upstream: staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go
(CheckRequest, checkQuotas, prettyPrint), plugin/pkg/admission/resourcequota/admission.go,
pkg/quota/v1/evaluator/core/{pods,services,persistent_volume_claims,registry}.go. The
worked example is the docs task "Configure Memory and CPU Quotas for a Namespace" with
kubernetes/website content/en/examples/admin/resource/quota-mem-cpu.yaml and its two pods,
unchanged (the docs wrap the refusal over lines and drop a space after "requested: ...,";
the API server's text is one line).
"""

from __future__ import annotations

import copy

import pytest
import yaml

from admission_fakes import DictLister, Loopback, attrs, context
from k8score.api.errors import ApiError
from k8score.apiserver.admission.resourcequota import ResourceQuota

QUOTA_MEM_CPU = """
apiVersion: v1
kind: ResourceQuota
metadata:
  name: mem-cpu-demo
spec:
  hard:
    requests.cpu: "1"
    requests.memory: 1Gi
    limits.cpu: "2"
    limits.memory: 2Gi
"""
POD_1 = """
apiVersion: v1
kind: Pod
metadata:
  name: quota-mem-cpu-demo
spec:
  containers:
  - name: quota-mem-cpu-demo-ctr
    image: nginx
    resources:
      limits:
        memory: "800Mi"
        cpu: "800m"
      requests:
        memory: "600Mi"
        cpu: "400m"
"""
POD_2 = """
apiVersion: v1
kind: Pod
metadata:
  name: quota-mem-cpu-demo-2
spec:
  containers:
  - name: quota-mem-cpu-demo-2-ctr
    image: redis
    resources:
      limits:
        memory: "1Gi"
        cpu: "800m"
      requests:
        memory: "700Mi"
        cpu: "400m"
"""


def measured(quota: dict | str, used: dict | None = None, namespace: str = "default") -> dict:
    """A quota as stored after the controller's first sync: status.hard = spec.hard."""
    q = yaml.safe_load(quota) if isinstance(quota, str) else copy.deepcopy(quota)
    q["metadata"].update(namespace=namespace, resourceVersion="10")
    hard = q["spec"]["hard"]
    q["status"] = {"hard": dict(hard), "used": used if used is not None else {k: "0" for k in hard}}
    return q


def quota(name: str, hard: dict, used: dict | None = None, **spec) -> dict:
    return measured({"metadata": {"name": name}, "spec": {"hard": hard, **spec}}, used)


def pod(name: str = "p", cpu: str | None = None, memory: str | None = None, limits: bool = True, **spec) -> dict:
    res: dict = {}
    for key, value in (("cpu", cpu), ("memory", memory)):
        if value is not None:
            res.setdefault("requests", {})[key] = value
            if limits:
                res.setdefault("limits", {})[key] = value
    return {"metadata": {"name": name}, "spec": {"containers": [{"name": "nginx", "image": "nginx",
                                                                  "resources": res}], **spec}}


def refusal(plugin: ResourceQuota, a) -> str:
    with pytest.raises(ApiError) as e:
        plugin.validate(a)
    assert e.value.code == 403
    return e.value.message


@pytest.fixture
def lister():
    return DictLister()


def test_docs_quota_admits_the_first_pod_and_refuses_the_second(lister):
    lister.put("resourcequotas", measured(QUOTA_MEM_CPU))
    loop = Loopback(lister)
    plugin = ResourceQuota(context(lister, loop))
    plugin.validate(attrs("pods", POD_1))
    [req] = loop.requests
    assert (req.verb, req.resource, req.subresource, req.name, req.namespace) == \
        ("update", "resourcequotas", "status", "mem-cpu-demo", "default")
    assert req.body["metadata"]["resourceVersion"] == "10"      # the compare-and-swap
    stored = lister.get("resourcequotas", "mem-cpu-demo", "default")
    assert stored["status"]["used"] == {"limits.cpu": "800m", "limits.memory": "800Mi",
                                        "requests.cpu": "400m", "requests.memory": "600Mi"}
    assert refusal(plugin, attrs("pods", POD_2)) == (
        'pods "quota-mem-cpu-demo-2" is forbidden: exceeded quota: mem-cpu-demo, '
        'requested: requests.memory=700Mi, used: requests.memory=600Mi, limited: requests.memory=1Gi')
    assert len(loop.requests) == 1                               # a refusal charges nothing


def test_must_specify_what_the_quota_tracks(lister):
    lister.put("resourcequotas", quota("compute-resources", {"limits.cpu": "2", "limits.memory": "2Gi",
                                                             "pods": "4"}))
    assert refusal(ResourceQuota(context(lister)), attrs("pods", pod("p"))) == (
        'pods "p" is forbidden: failed quota: compute-resources: '
        'must specify limits.cpu for: nginx; limits.memory for: nginx')
    assert refusal(ResourceQuota(context(lister)), attrs("pods", pod("p", cpu="1", limits=False))) == (
        'pods "p" is forbidden: failed quota: compute-resources: '
        'must specify limits.cpu for: nginx; limits.memory for: nginx')


@pytest.mark.parametrize("used,allowed", [("1", True), ("2", False)])
def test_both_sides_of_a_count(lister, used, allowed):
    lister.put("resourcequotas", quota("pod-demo", {"pods": "2"}, {"pods": used}))
    plugin = ResourceQuota(context(lister))
    if allowed:
        plugin.validate(attrs("pods", pod()))
        assert lister.get("resourcequotas", "pod-demo", "default")["status"]["used"] == {"pods": "2"}
    else:
        assert refusal(plugin, attrs("pods", pod())) == ('pods "p" is forbidden: exceeded quota: pod-demo, '
                                                        'requested: pods=1, used: pods=2, limited: pods=2')


def test_cpu_request_exactly_at_hard_is_admitted_one_milli_over_is_not(lister):
    lister.put("resourcequotas", quota("q", {"requests.cpu": "1"}, {"requests.cpu": "400m"}))
    plugin = ResourceQuota(context(lister))
    assert refusal(plugin, attrs("pods", pod("a", cpu="601m"))).endswith(
        "requested: requests.cpu=601m, used: requests.cpu=400m, limited: requests.cpu=1")
    plugin.validate(attrs("pods", pod("b", cpu="600m")))
    assert lister.get("resourcequotas", "q", "default")["status"]["used"] == {"requests.cpu": "1"}


def test_two_quotas_are_both_checked_and_both_charged(lister):
    lister.put("resourcequotas", quota("a-pods", {"pods": "10"}, {"pods": "3"}))
    lister.put("resourcequotas", quota("b-memory", {"requests.memory": "1Gi", "limits.memory": "1Gi"},
                                       {"requests.memory": "768Mi", "limits.memory": "768Mi"}))
    loop = Loopback(lister)
    plugin = ResourceQuota(context(lister, loop))
    # fits a-pods but not b-memory: refused, and a-pods is not charged either
    msg = refusal(plugin, attrs("pods", pod("big", cpu="1", memory="512Mi")))
    assert msg == ('pods "big" is forbidden: exceeded quota: b-memory, requested: limits.memory=512Mi,'
                   'requests.memory=512Mi, used: limits.memory=768Mi,requests.memory=768Mi, '
                   'limited: limits.memory=1Gi,requests.memory=1Gi')
    assert loop.requests == []
    plugin.validate(attrs("pods", pod("small", cpu="1", memory="256Mi")))
    assert [r.name for r in loop.requests] == ["a-pods", "b-memory"]
    assert lister.get("resourcequotas", "a-pods", "default")["status"]["used"] == {"pods": "4"}
    assert lister.get("resourcequotas", "b-memory", "default")["status"]["used"] == \
        {"limits.memory": "1Gi", "requests.memory": "1Gi"}


def test_dry_run_checks_but_does_not_change_used(lister):
    lister.put("resourcequotas", quota("pod-demo", {"pods": "2"}, {"pods": "1"}))
    loop = Loopback(lister)
    plugin = ResourceQuota(context(lister, loop))
    plugin.validate(attrs("pods", pod(), dry_run=True))
    plugin.validate(attrs("pods", pod(), dry_run=True))       # the second call still fits: nothing charged
    assert loop.requests == []
    assert lister.get("resourcequotas", "pod-demo", "default")["status"]["used"] == {"pods": "1"}
    lister.get("resourcequotas", "pod-demo", "default")["status"]["used"] = {"pods": "2"}
    assert "exceeded quota: pod-demo" in refusal(plugin, attrs("pods", pod(), dry_run=True))


def test_a_conflict_is_retried_on_the_re_read_quota(lister):
    lister.put("resourcequotas", quota("pod-demo", {"pods": "5"}, {"pods": "1"}))
    loop = Loopback(lister, conflicts=1)
    ResourceQuota(context(lister, loop)).validate(attrs("pods", pod()))
    assert len(loop.requests) == 2
    assert lister.get("resourcequotas", "pod-demo", "default")["status"]["used"] == {"pods": "2"}
    loop = Loopback(lister, conflicts=4)                        # 1 try + 3 retries, all refused
    with pytest.raises(ApiError) as e:
        ResourceQuota(context(lister, loop)).validate(attrs("pods", pod()))
    assert e.value.code == 409 and len(loop.requests) == 4


def test_back_to_back_requests_see_the_plugins_own_write(lister):
    # the lister may lag behind the plugin's last status write (resource_access.go updatedQuotas)
    lister.put("resourcequotas", quota("pod-demo", {"pods": "2"}, {"pods": "0"}))
    stale = copy.deepcopy(lister.get("resourcequotas", "pod-demo", "default"))
    loop = Loopback(lister)
    plugin = ResourceQuota(context(lister, loop))
    plugin.validate(attrs("pods", pod("a")))
    fresh = lister.get("resourcequotas", "pod-demo", "default")
    lister.put("resourcequotas", stale)                         # the cache has not caught up
    plugin.validate(attrs("pods", pod("b")))
    assert loop.requests[-1].body["metadata"]["resourceVersion"] == fresh["metadata"]["resourceVersion"]
    lister.put("resourcequotas", stale)
    assert "used: pods=2" in refusal(plugin, attrs("pods", pod("c")))


def test_quota_not_yet_measured_refuses(lister):
    q = quota("pod-demo", {"pods": "2"})
    del q["status"]["used"]
    lister.put("resourcequotas", q)
    assert refusal(ResourceQuota(context(lister)), attrs("pods", pod())) == \
        'pods "p" is forbidden: status unknown for quota: pod-demo, resources: pods'


def test_scopes_select_the_pods_a_quota_counts(lister):
    lister.put("resourcequotas", quota("best-effort", {"pods": "1"}, {"pods": "1"}, scopes=["BestEffort"]))
    lister.put("resourcequotas", quota("high", {"pods": "1"}, {"pods": "1"}, scopeSelector={"matchExpressions": [
        {"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]}))
    plugin = ResourceQuota(context(lister))
    plugin.validate(attrs("pods", pod("burstable", cpu="100m")))              # neither quota matches
    assert "exceeded quota: best-effort" in refusal(plugin, attrs("pods", pod("be")))
    assert "exceeded quota: high" in refusal(
        plugin, attrs("pods", pod("vip", cpu="1", priorityClassName="high")))


def test_terminal_pods_cost_only_their_count(lister):
    lister.put("resourcequotas", quota("q", {"pods": "1", "count/pods": "5"}, {"pods": "1", "count/pods": "1"}))
    done = pod("done")
    done["status"] = {"phase": "Succeeded"}
    ResourceQuota(context(lister)).validate(attrs("pods", done))
    assert lister.get("resourcequotas", "q", "default")["status"]["used"] == {"count/pods": "2", "pods": "1"}


def test_services_count_node_ports_and_load_balancers_and_updates_charge_the_growth(lister):
    lister.put("resourcequotas", quota("svc", {"services": "5", "services.nodeports": "2",
                                               "services.loadbalancers": "0"}))
    plugin = ResourceQuota(context(lister))
    ports = [{"port": 80}, {"port": 443}]
    cluster_ip = {"metadata": {"name": "web", "resourceVersion": "7"}, "spec": {"type": "ClusterIP", "ports": ports}}
    plugin.validate(attrs("services", cluster_ip))
    node_port = copy.deepcopy(cluster_ip)
    node_port["spec"]["type"] = "NodePort"
    plugin.validate(attrs("services", node_port, operation="UPDATE", old=cluster_ip))
    assert lister.get("resourcequotas", "svc", "default")["status"]["used"] == \
        {"services": "1", "services.loadbalancers": "0", "services.nodeports": "2"}
    lb = copy.deepcopy(node_port)
    lb["spec"]["type"] = "LoadBalancer"
    assert refusal(plugin, attrs("services", lb, operation="UPDATE", old=node_port)).endswith(
        "requested: services.loadbalancers=1, used: services.loadbalancers=0, limited: services.loadbalancers=0")


def test_object_counts_legacy_alias_and_ignored_resources(lister):
    lister.put("resourcequotas", quota("objects", {"configmaps": "1", "count/deployments.apps": "0",
                                                   "count/events": "0"}, {"configmaps": "1",
                                                                         "count/deployments.apps": "0",
                                                                         "count/events": "0"}))
    plugin = ResourceQuota(context(lister))
    assert refusal(plugin, attrs("configmaps", {"metadata": {"name": "c"}})).endswith(
        "requested: configmaps=1, used: configmaps=1, limited: configmaps=1")
    assert refusal(plugin, attrs("deployments", {"metadata": {"name": "d"}, "spec": {}})) == (
        'deployments.apps "d" is forbidden: exceeded quota: objects, requested: count/deployments.apps=1, '
        'used: count/deployments.apps=0, limited: count/deployments.apps=0')
    plugin.validate(attrs("events", {"metadata": {"name": "e"}}))        # events are never quota-ed
    plugin.validate(attrs("configmaps", {"metadata": {"name": "c"}}, operation="UPDATE",
                          old={"metadata": {"name": "c", "resourceVersion": "3"}}))  # counts charge creates only


def test_pvc_storage_by_class(lister):
    lister.put("resourcequotas", quota("storage", {"requests.storage": "10Gi",
                                                   "gold.storageclass.storage.k8s.io/requests.storage": "1Gi"}))
    plugin = ResourceQuota(context(lister))

    def claim(name, size, cls=None):
        spec = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
        if cls:
            spec["storageClassName"] = cls
        return {"metadata": {"name": name}, "spec": spec}
    plugin.validate(attrs("persistentvolumeclaims", claim("a", "5Gi")))
    assert refusal(plugin, attrs("persistentvolumeclaims", claim("b", "2Gi", "gold"))).endswith(
        "requested: gold.storageclass.storage.k8s.io/requests.storage=2Gi, "
        "used: gold.storageclass.storage.k8s.io/requests.storage=0, "
        "limited: gold.storageclass.storage.k8s.io/requests.storage=1Gi")
    assert lister.get("resourcequotas", "storage", "default")["status"]["used"] == {
        "gold.storageclass.storage.k8s.io/requests.storage": "0", "requests.storage": "5Gi"}


def test_subresources_namespaces_and_foreign_namespaces_are_ignored(lister):
    lister.put("resourcequotas", quota("pod-demo", {"pods": "0"}, {"pods": "0"}))
    plugin = ResourceQuota(context(lister))
    plugin.validate(attrs("pods", pod(), subresource="status"))
    plugin.validate(attrs("pods", pod(), namespace="other"))
    plugin.validate(attrs("namespaces", {"metadata": {"name": "x"}}, namespace=None))
    assert refusal(plugin, attrs("pods", pod())).startswith('pods "p" is forbidden: exceeded quota')
