"""The namespace controller: deleting a namespace as a sweep.

Upstream: pkg/controller/namespace/namespace_controller.go (5 s namespaceDeletionGracePeriod,
requeue after estimate/2 + 1 s), pkg/controller/namespace/deletion/namespaced_resources_deleter.go
and status_condition_utils.go (conditions and their messages), pkg/registry/core/namespace/
storage/storage.go (DELETE marks Terminating; /finalize removes), NamespaceLifecycle admission.
"""

from __future__ import annotations

import pytest

from k8score import Cluster
from k8score.api.errors import ApiError


@pytest.fixture(scope="module")
def cluster():
    return Cluster(nodes=1, seed=0)


def _true_conditions(c, name):
    try:
        ns = c.api.get("namespaces", name)
    except ApiError:
        return None
    return [(x["type"], x["message"]) for x in ns["status"].get("conditions") or () if x["status"] == "True"]


def _record(c, name, seconds):
    """(seconds since now, the True conditions) each time they change, None once gone."""
    t0, seen = c.now, []

    def step():
        cur = _true_conditions(c, name)
        if not seen or seen[-1][1] != cur:
            seen.append((round(c.now - t0), cur))
        return cur is None
    c.run(seconds, until=step)
    return seen


def test_delete_marks_terminating_then_sweeps_pods_and_removes_it(cluster):
    c = cluster
    c.kubectl("create namespace team")
    c.kubectl("create deployment web --image=nginx --replicas=2 -n team")
    c.run(10)
    assert len(c.get("pods", namespace="team")) == 2
    assert c.kubectl("delete namespace team") == 'namespace "team" deleted\n'
    ns = c.api.get("namespaces", "team")
    assert ns["status"]["phase"] == "Terminating" and ns["metadata"]["deletionTimestamp"]
    assert ns["spec"]["finalizers"] == ["kubernetes"]
    assert [ln.split()[:2] for ln in c.kubectl("get ns").splitlines() if ln.startswith("team")] == \
        [["team", "Terminating"]]
    # NamespaceLifecycle admission: nothing new in a terminating namespace
    with pytest.raises(ApiError) as e:
        c.api.create("configmaps", {"metadata": {"name": "late"}}, "team")
    assert e.value.code == 403 and e.value.reason == "Forbidden"
    assert e.value.message == ('configmaps "late" is forbidden: unable to create new content in namespace '
                               'team because it is being terminated')
    assert e.value.status["details"]["causes"][0]["reason"] == "NamespaceTerminating"
    seen = _record(c, "team", 60)
    # nothing happens for 5 s (namespaceDeletionGracePeriod); the first pass deletes the pods
    # (graceful: they are still there) and says so; the next pass finds nothing and finalizes
    assert seen[0] == (0, [])
    assert seen[1] == (5, [("NamespaceContentRemaining", "Some resources are remaining: pods. has 2 resource instances")])
    assert seen[-1][1] is None and seen[-1][0] <= 11
    assert c.get("pods", namespace="team") == []
    assert "team" not in c.kubectl("get ns")
    # the name is free again
    c.kubectl("create namespace team")
    assert c.api.get("namespaces", "team")["status"]["phase"] == "Active"


def test_custom_finalizer_keeps_the_namespace_terminating(cluster):
    c = cluster
    c.kubectl("create namespace held")
    c.apply({"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": "keep", "namespace": "held", "finalizers": ["example.com/hold"]}})
    c.run(2)
    c.kubectl("delete namespace held")
    seen = _record(c, "held", 120)
    remaining = [("NamespaceContentRemaining", "Some resources are remaining: configmaps. has 1 resource instances"),
                 ("NamespaceFinalizersRemaining", "Some content in the namespace has finalizers remaining: "
                                                  "example.com/hold in 1 resource instances")]
    assert seen == [(0, []), (5, remaining)]
    ns = c.api.get("namespaces", "held")
    by_type = {x["type"]: x for x in ns["status"]["conditions"]}
    assert [x["type"] for x in ns["status"]["conditions"]] == [
        "NamespaceDeletionDiscoveryFailure", "NamespaceDeletionGroupVersionParsingFailure",
        "NamespaceDeletionContentFailure", "NamespaceContentRemaining", "NamespaceFinalizersRemaining"]
    assert (by_type["NamespaceDeletionContentFailure"]["status"], by_type["NamespaceDeletionContentFailure"]["reason"],
            by_type["NamespaceDeletionContentFailure"]["message"]) == (
        "False", "ContentDeleted", "All content successfully deleted, may be waiting on finalization")
    assert by_type["NamespaceFinalizersRemaining"]["reason"] == "SomeFinalizersRemain"
    # a second delete is refused while the controller works
    with pytest.raises(ApiError) as e:
        c.api.delete("namespaces", "held")
    assert e.value.code == 409
    # the finalizer goes: the next look (finalizerEstimateSeconds 15 -> 15/2+1 = 8 s later) ends it
    c.api.patch("configmaps", "keep", {"metadata": {"finalizers": None}}, namespace="held")
    seen = _record(c, "held", 30)
    assert seen[-1][1] is None and seen[-1][0] <= 8


def test_namespace_without_content_goes_after_the_grace_period(cluster):
    c = cluster
    c.kubectl("create namespace empty")
    c.run(1)
    c.kubectl("delete namespace empty")
    c.run(4.9)
    assert c.api.get("namespaces", "empty")["status"]["phase"] == "Terminating"
    c.run(0.2)
    with pytest.raises(ApiError):
        c.api.get("namespaces", "empty")


def test_without_the_controller_manager_it_stays_terminating_until_restart(cluster):
    c = cluster
    c.kubectl("create namespace stuck")
    c.run(1)
    c.stop("kube-controller-manager")
    c.kubectl("delete namespace stuck")
    c.run(60)
    assert c.api.get("namespaces", "stuck")["status"]["phase"] == "Terminating"
    c.start("kube-controller-manager")   # a restart lists the namespace and converges
    c.run(10)
    with pytest.raises(ApiError):
        c.api.get("namespaces", "stuck")
