"""PodDisruptionBudgets end to end: the disruption controller's status
(pkg/controller/disruption/disruption.go), the pods/eviction subresource
(pkg/registry/core/pod/storage/eviction.go) and ``kubectl drain``
(staging/src/k8s.io/kubectl/pkg/drain/drain.go, pkg/cmd/drain/drain.go)."""

import pytest

from k8score import Cluster
from k8score.client import ApiError
from k8score.controllers.disruption import scaled

VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."


def pdb(name="web-pdb", **spec):
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec}}


def eviction(name):
    return {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": "default"}}


def web(nodes=2, seed=7):
    c = Cluster(nodes=nodes, seed=seed)
    c.kubectl("create deployment web --image=nginx --replicas=3")
    c.run(seconds=30)
    return c


def status(c, name="web-pdb"):
    return c.api.get("poddisruptionbudgets", name, namespace="default")["status"]


def web_pods(c):
    return sorted(p["metadata"]["name"] for p in c.api.list("pods", namespace="default")["items"]
                  if not p["metadata"].get("deletionTimestamp"))


def test_scaled_rounds_percentages_up_and_keeps_integers():
    assert [scaled("25%", 3), scaled("50%", 3), scaled("0%", 3), scaled("100%", 3), scaled(2, 3)] == [1, 2, 0, 3, 2]
    with pytest.raises(ValueError):
        scaled("25", 3)


@pytest.mark.parametrize("spec, expected", [
    ({"minAvailable": 2}, (3, 2, 3, 1, "True", "SufficientPods")),
    ({"minAvailable": 3}, (3, 3, 3, 0, "False", "InsufficientPods")),
    ({"maxUnavailable": "25%"}, (3, 2, 3, 1, "True", "SufficientPods")),   # ceil(0.75) = 1
    ({"minAvailable": "50%"}, (3, 2, 3, 1, "True", "SufficientPods")),     # ceil(1.5) = 2
    ({"maxUnavailable": 0}, (3, 3, 3, 0, "False", "InsufficientPods")),
])
def test_controller_status_over_the_deployment_scale(spec, expected):
    c = web()
    c.api.create("poddisruptionbudgets", pdb(**spec), namespace="default")
    c.run(seconds=2)
    st = status(c)
    cond = st["conditions"][0]
    assert (st["currentHealthy"], st["desiredHealthy"], st["expectedPods"], st["disruptionsAllowed"],
            cond["status"], cond["reason"]) == expected
    assert cond["type"] == "DisruptionAllowed" and st["observedGeneration"] == 1


def test_percent_counts_the_controller_scale_not_the_pods_seen():
    c = web()
    c.api.create("poddisruptionbudgets", pdb(maxUnavailable="25%"), namespace="default")
    c.kubectl("scale deployment web --replicas=5")   # expected follows spec.replicas at once
    c.run(seconds=1)
    st = status(c)
    assert st["expectedPods"] == 5 and st["desiredHealthy"] == 3   # 5 - ceil(1.25)
    c.run(seconds=30)
    assert (status(c)["currentHealthy"], status(c)["disruptionsAllowed"]) == (5, 2)


def test_eviction_within_budget_then_429_with_cause():
    c = web()
    c.api.create("poddisruptionbudgets", pdb(minAvailable=2), namespace="default")
    c.run(seconds=2)
    first, second = web_pods(c)[:2]
    ok = c.api.create("pods", eviction(first), namespace="default", subresource="eviction")
    assert (ok["status"], ok["code"]) == ("Success", 201)
    pod = c.api.get("pods", first, namespace="default")
    assert pod["metadata"]["deletionTimestamp"] and pod["metadata"]["deletionGracePeriodSeconds"] == 30
    cond = [x for x in pod["status"]["conditions"] if x["type"] == "DisruptionTarget"]
    assert [(x["status"], x["reason"], x["message"]) for x in cond] == \
        [("True", "EvictionByEvictionAPI", "Eviction API: evicting")]
    st = status(c)
    assert st["disruptionsAllowed"] == 0 and first in st["disruptedPods"]
    assert st["conditions"][0]["reason"] == "InsufficientPods"
    with pytest.raises(ApiError) as e:
        c.api.create("pods", eviction(second), namespace="default", subresource="eviction")
    assert (e.value.code, e.value.reason, e.value.message) == (429, "TooManyRequests", VIOLATION)
    # the counts are the controller's last sync: it has not seen the first eviction yet
    assert e.value.causes == [{"reason": "DisruptionBudget",
                               "message": "The disruption budget web-pdb needs 2 healthy pods and has 3 currently"}]
    c.run(seconds=0.5)   # the controller saw it terminating; the replacement is not Ready yet
    with pytest.raises(ApiError) as e:
        c.api.create("pods", eviction(second), namespace="default", subresource="eviction")
    assert e.value.code == 429 and e.value.causes[0]["message"].endswith("needs 2 healthy pods and has 2 currently")
    assert not c.api.get("pods", second, namespace="default")["metadata"].get("deletionTimestamp")
    # once the replacement is Ready the budget allows one again
    c.run(seconds=40)
    assert status(c)["disruptionsAllowed"] == 1 and "disruptedPods" not in status(c)
    assert c.api.create("pods", eviction(second), namespace="default", subresource="eviction")["code"] == 201


def test_eviction_without_pdb_terminal_pods_and_two_pdbs():
    c = web()
    name = web_pods(c)[0]
    assert c.api.create("pods", eviction(name), namespace="default", subresource="eviction")["code"] == 201
    c.run(seconds=40)
    c.api.create("poddisruptionbudgets", pdb(minAvailable=3), namespace="default")
    c.api.create("poddisruptionbudgets", pdb("other", maxUnavailable=0), namespace="default")
    c.run(seconds=2)
    with pytest.raises(ApiError) as e:
        c.api.create("pods", eviction(web_pods(c)[0]), namespace="default", subresource="eviction")
    assert (e.value.code, e.value.message) == (500, "Internal error occurred: This pod has more than one "
                                               "PodDisruptionBudget, which the eviction subresource does not support.")
    c.api.delete("poddisruptionbudgets", "other", namespace="default")
    # a finished pod evicts freely even though the budget allows nothing
    target, running = web_pods(c)[1:3]
    c.api.patch("pods", target, {"status": {"phase": "Succeeded"}}, namespace="default", subresource="status")
    assert c.api.create("pods", eviction(target), namespace="default", subresource="eviction")["code"] == 201
    with pytest.raises(ApiError) as e:   # a Running one does not
        c.api.create("pods", eviction(running), namespace="default", subresource="eviction")
    assert e.value.code == 429


def test_pdb_validation():
    c = Cluster(nodes=1, seed=1)
    with pytest.raises(ApiError) as e:
        c.api.create("poddisruptionbudgets", pdb(minAvailable=1, maxUnavailable=1), namespace="default")
    assert e.value.code == 422 and "minAvailable and maxUnavailable cannot be both set" in e.value.message
    with pytest.raises(ApiError) as e:
        c.api.create("poddisruptionbudgets", pdb(minAvailable="120%", unhealthyPodEvictionPolicy="Never"),
                     namespace="default")
    assert "spec.minAvailable: Invalid value: \"120%\": must not be greater than 100%" in e.value.message
    assert 'spec.unhealthyPodEvictionPolicy: Unsupported value: "Never"' in e.value.message
    assert c.api.create("poddisruptionbudgets", pdb(maxUnavailable="100%"), namespace="default")


def test_discovery_lists_eviction_and_pdb():
    c = Cluster(nodes=1, seed=1)
    out = c.kubectl("api-resources")
    assert any(line.split()[:2] == ["poddisruptionbudgets", "pdb"] for line in out.splitlines())
    from k8score.apiserver.registry.strategy import subresource_discovery
    subs = {s: (kind, verbs) for s, kind, verbs in subresource_discovery(c.apiserver.registry.strategy_for(
        c.apiserver.registry.resolve("pods")))}
    assert subs["eviction"] == ({"group": "policy", "version": "v1", "kind": "Eviction"}, ["create"])


def test_drain_waits_for_the_budget_then_drains():
    c = web()
    # two of the three replicas on node-2 (seed 7), one on node-1
    on = lambda node: sorted(p["metadata"]["name"] for p in c.api.list("pods", namespace="default")["items"]
                             if p["spec"].get("nodeName") == node)
    assert len(on("node-2")) == 2
    c.api.create("poddisruptionbudgets", pdb(minAvailable=2), namespace="default")
    c.run(seconds=2)
    a, b = on("node-2")
    start = c.now
    out = c.kubectl("drain node-2 --ignore-daemonsets")
    stdout, stderr = c._kubectl.last_stdout, c._kubectl.last_stderr
    assert stdout.splitlines()[0] == "node/node-2 cordoned"
    assert stdout.splitlines()[-1] == "node/node-2 drained"
    # both tried at once; the second is refused until a replacement is Ready on node-1, then goes
    assert stdout.count(f"evicting pod default/{a}") == 1 and stdout.count(f"evicting pod default/{b}") >= 2
    retry = f'error when evicting pods/"{b}" -n "default" (will retry after 5s): {VIOLATION}'
    assert retry in stderr.splitlines()
    assert f"pod/{a} evicted" in stdout and f"pod/{b} evicted" in stdout
    assert stdout.index(f"pod/{a} evicted") < stdout.rindex(f"evicting pod default/{b}")
    assert c.now - start >= 5 and on("node-2") == [] and len(on("node-1")) == 3
    assert "drained" in out


def test_drain_refuses_unmanaged_and_times_out_on_a_budget():
    c = web()
    c.kubectl("run solo --image=nginx")
    c.api.create("poddisruptionbudgets", pdb(minAvailable=3), namespace="default")
    c.run(seconds=20)
    node = c.api.get("pods", "solo", namespace="default")["spec"]["nodeName"]
    # every node runs a kube-proxy DaemonSet pod (kubeadm's addon): refused too without the flag
    c.kubectl(f"drain {node}")
    assert "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): kube-system/kube-proxy-" \
        in c._kubectl.last_stderr
    c.kubectl(f"drain {node} --ignore-daemonsets")
    err = c._kubectl.last_stderr
    assert f'error: unable to drain node "{node}" due to error: cannot delete Pods that declare no controller ' \
           "(use --force to override): default/solo, continuing command..." in err
    assert f"There are pending nodes to be drained:\n {node}\n" in err
    c.api.delete("pods", "solo", namespace="default", grace_period_seconds=0)
    c.kubectl(f"drain {node} --ignore-daemonsets --timeout=12s")
    err = c._kubectl.last_stderr
    assert "global timeout reached: 12s" in err and f'There are pending pods in node "{node}"' in err
    assert "drained" not in c._kubectl.last_stdout


def test_kubectl_get_pdb_columns():
    """printers.go printPodDisruptionBudget: N/A for the unset bound, the allowed disruptions."""
    from k8score import Cluster
    c = Cluster(nodes=2, seed=0)
    c.kubectl("create deployment web --image=nginx:1.27 --replicas=3")
    c.apply({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
             "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}})
    c.run(20)
    header, row = c.kubectl("get pdb").splitlines()[:2]
    assert header.split() == ["NAME", "MIN", "AVAILABLE", "MAX", "UNAVAILABLE", "ALLOWED", "DISRUPTIONS", "AGE"]
    assert row.split()[:4] == ["web", "2", "N/A", "1"]
