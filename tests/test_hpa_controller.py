"""The HorizontalPodAutoscaler API and controller on worked scenarios: autoscaling/v2 defaults
and validation (pkg/apis/autoscaling/v2/defaults.go, pkg/apis/autoscaling/validation), the
scale subresource (pkg/registry/apps/deployment/storage ScaleREST), ``kubectl autoscale`` /
``kubectl get hpa`` (kubectl pkg/cmd/autoscale, pkg/printers/internalversion printers.go) and
the controller's conditions, events and clamping (pkg/controller/podautoscaler/horizontal.go)."""

import pytest

from k8score import Cluster
from k8score.client import ApiError
from k8score.metrics import install


def hpa(name="web", **spec):
    body = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "maxReplicas": 5}
    body.update(spec)
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": name},
            "spec": body}


def web(c, replicas=2, cpu="100m"):
    c.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
             "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                      "template": {"metadata": {"labels": {"app": "web"}},
                                   "spec": {"containers": [{"name": "nginx", "image": "nginx",
                                                            "resources": {"requests": {"cpu": cpu}}}]}}}})


def burn(c, cores):
    """Load: every virtual second ``cores`` of work spread evenly over the running web containers
    (as a Service spreads requests)."""
    def tick():
        running = [ctr for kubelet in c.kubelets.values() for ctr in kubelet.runtime.containers.values()
                   if (ctr.config.get("labels") or {}).get("io.kubernetes.pod.name", "").startswith("web-")
                   and ctr.state == "CONTAINER_RUNNING"]
        for ctr in running:
            ctr.cpu.burn(state["cores"] / len(running))
    state = {"cores": cores}
    c.loop.every(1.0, tick)
    return state


def status(c, name="web"):
    return c.api.get("horizontalpodautoscalers", name, namespace="default").get("status") or {}


def conditions(c, name="web"):
    return {x["type"]: (x["status"], x["reason"], x["message"]) for x in status(c, name).get("conditions") or ()}


def hpa_events(c):
    return [(e["type"], e["reason"], e["message"]) for e in c.events("default")
            if e["involvedObject"]["kind"] == "HorizontalPodAutoscaler"]


def replicas(c):
    return c.api.get("deployments", "web", namespace="default")["spec"]["replicas"]


@pytest.fixture(scope="module")
def c():
    return Cluster(nodes=1, seed=11, metrics_server=False)


def test_defaults_fill_min_replicas_and_the_80_percent_cpu_metric(c):
    out = c.api.create("horizontalpodautoscalers", hpa("d1"), namespace="default")
    assert out["spec"]["minReplicas"] == 1
    assert out["spec"]["metrics"] == [{"type": "Resource", "resource": {"name": "cpu", "target": {
        "type": "Utilization", "averageUtilization": 80}}}]
    assert "behavior" not in out["spec"] and out["status"] == {"desiredReplicas": 0}
    out = c.api.create("horizontalpodautoscalers", hpa("d2", behavior={"scaleDown": {"stabilizationWindowSeconds": 60}}),
                       namespace="default")
    assert out["spec"]["behavior"] == {
        "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                    "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                                 {"type": "Percent", "value": 100, "periodSeconds": 15}]},
        "scaleDown": {"selectPolicy": "Max", "stabilizationWindowSeconds": 60,
                      "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}}
    assert c.kubectl("get hpa d1").splitlines()[1].split()[:6] == \
        ["d1", "Deployment/web", "cpu:", "<unknown>/80%", "1", "5"]
    c.kubectl("delete hpa d1 d2")


@pytest.mark.parametrize("spec, message", [
    ({"minReplicas": 0}, "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1"),
    ({"maxReplicas": 0}, "[spec.maxReplicas: Invalid value: 0: must be greater than 0, "
                         "spec.maxReplicas: Invalid value: 0: must be greater than or equal to `minReplicas`]"),
    ({"minReplicas": 6}, "spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`"),
    ({"scaleTargetRef": {"kind": "Deployment"}}, "spec.scaleTargetRef.name: Required value"),
    ({"metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
        "type": "Utilization", "averageUtilization": 0}}}]},
     "spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0"),
    ({"behavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 4, "periodSeconds": 1801}]}}},
     "spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 1801: must be less than or equal to 1800"),
])
def test_validation_messages(c, spec, message):
    with pytest.raises(ApiError) as e:
        c.api.create("horizontalpodautoscalers", hpa("bad", **spec), namespace="default")
    assert e.value.code == 422
    assert e.value.message == f'HorizontalPodAutoscaler.autoscaling "bad" is invalid: {message}'


def test_the_scale_subresource_of_a_deployment(c):
    web(c, replicas=1)
    s = c.api.get("deployments", "web", namespace="default", subresource="scale")
    assert (s["kind"], s["apiVersion"], s["spec"], s["status"]["selector"]) == \
        ("Scale", "autoscaling/v1", {"replicas": 1}, "app=web")
    gen = c.api.get("deployments", "web", namespace="default")["metadata"]["generation"]
    c.api.patch("deployments", "web", {"spec": {"replicas": 2}}, namespace="default", subresource="scale")
    d = c.api.get("deployments", "web", namespace="default")
    assert (d["spec"]["replicas"], d["metadata"]["generation"]) == (2, gen + 1)
    with pytest.raises(ApiError) as e:
        c.api.patch("deployments", "web", {"spec": {"replicas": -1}}, namespace="default", subresource="scale")
    assert e.value.message == ('Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: '
                               "must be greater than or equal to 0")
    c.kubectl("delete deployment web")


def test_kubectl_autoscale_flags(c):
    assert c.kubectl("autoscale deployment web --min=1") == 'error: required flag(s) "max" not set\n'
    assert c.kubectl("autoscale deployment web --max=0") == \
        "error: --max=MAXPODS is required and must be at least 1, max: 0\n"
    assert c.kubectl("autoscale deployment web --min=4 --max=3") == \
        "error: --max=MAXPODS must be larger or equal to --min=MINPODS, max: 3, min: 4\n"
    assert c.kubectl("autoscale deployment --max=3") == "error: resource(s) were provided, but no name was specified\n"
    assert c.kubectl("autoscale deployment nope --max=3") == \
        'Error from server (NotFound): deployments.apps "nope" not found\n'
    web(c, replicas=1)
    assert c.kubectl("autoscale deployment web --max=3 --cpu=70% --memory=200Mi --name=w2") == \
        "horizontalpodautoscaler.autoscaling/w2 autoscaled\n"
    metrics = c.api.get("hpa", "w2", namespace="default")["spec"]["metrics"]
    assert [x["resource"]["target"] for x in metrics] == [
        {"type": "Utilization", "averageUtilization": 70}, {"type": "AverageValue", "averageValue": "200Mi"}]
    assert c.kubectl("get hpa w2").splitlines()[1].split()[2:6] == ["cpu:", "<unknown>/70%,", "memory:", "<unknown>/200Mi"]
    c.kubectl("delete hpa w2")
    c.kubectl("delete deployment web")


def test_without_metrics_server_the_hpa_reports_why():
    c = Cluster(nodes=1, seed=4, metrics_server=False)
    web(c)
    c.api.create("horizontalpodautoscalers", hpa(), namespace="default")
    c.run(16)
    inner = ("failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from "
             "resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)")
    assert conditions(c) == {
        "AbleToScale": ("True", "SucceededGetScale", "the HPA controller was able to get the target's current scale"),
        "ScalingActive": ("False", "FailedGetResourceMetric", f"the HPA was unable to compute the replica count: {inner}"),
    }
    assert hpa_events(c) == [
        ("Warning", "FailedGetResourceMetric", inner),
        ("Warning", "FailedComputeMetricsReplicas",
         f"invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: {inner}")]
    # upstream keeps a zero-valued status for the metric that failed
    assert status(c) == {"currentReplicas": 2, "desiredReplicas": 0, "currentMetrics": [{"type": ""}],
                         "conditions": status(c)["conditions"]}
    assert c.kubectl("get hpa web").splitlines()[1].split()[2:7] == ["cpu:", "<unknown>/80%", "1", "5", "2"]
    assert replicas(c) == 2
    # a target that does not exist
    c.api.create("horizontalpodautoscalers", hpa("ghost", scaleTargetRef={"apiVersion": "apps/v1",
                                                                          "kind": "Deployment", "name": "ghost"}),
                 namespace="default")
    c.run(16)
    assert conditions(c, "ghost") == {"AbleToScale": (
        "False", "FailedGetScale",
        'the HPA controller was unable to get the target\'s current scale: deployments.apps "ghost" not found')}


def test_clamping_to_the_bounds_with_scaling_limited():
    c = Cluster(nodes=1, seed=6, metrics_server=False)
    install(c)
    web(c, replicas=4)
    c.run(20)
    c.api.create("horizontalpodautoscalers", hpa(minReplicas=2, maxReplicas=3), namespace="default")
    c.run(16)
    # 4 replicas above maxReplicas 3: brought down at the first sync, before any metric
    assert replicas(c) == 3
    assert hpa_events(c)[-1] == ("Normal", "SuccessfulRescale",
                                 "New size: 3; reason: Current number of replicas above Spec.MaxReplicas")
    load = burn(c, 0.9)      # 300 % of 100m per pod, target 80 %: wants ceil(3.75 * 3) = 12
    c.run(60)
    assert replicas(c) == 3
    assert conditions(c)["ScalingLimited"] == (
        "True", "TooManyReplicas", "the desired replica count is more than the maximum replica count")
    load["cores"] = 0.0
    c.run(15 * 23)           # idle: the 300 s window, then down to minReplicas 2, not 0
    assert replicas(c) == 2
    assert conditions(c)["ScalingLimited"] == (
        "True", "TooFewReplicas", "the desired replica count is less than the minimum replica count")
    assert hpa_events(c)[-1] == ("Normal", "SuccessfulRescale", "New size: 2; reason: All metrics below target")


def changes(c, seconds):
    """(seconds from now, replicas) at each change of the Deployment's replica count."""
    t0, last, out = c.now, replicas(c), []
    for _ in range(seconds):
        c.run(1)
        n = replicas(c)
        if n != last:
            out.append((round(c.now - t0), n))
            last = n
    return out


def test_a_behavior_without_stabilization_scales_down_at_once():
    c = Cluster(nodes=1, seed=8, metrics_server=False)
    install(c)
    web(c, replicas=1)
    c.run(20)
    load = burn(c, 0.16)     # one pod: 160 % of 100m, target 80 %: ratio 2 -> 2 pods at 80 %
    c.api.create("horizontalpodautoscalers", hpa(maxReplicas=6, behavior={"scaleDown": {"stabilizationWindowSeconds": 0}}),
                 namespace="default")
    assert changes(c, 90) == [(16, 2)]
    load["cores"] = 0.0
    assert changes(c, 40) == [(16, 1)]           # the next sync that sees the idle window: no 300 s wait
    assert hpa_events(c) == [
        ("Normal", "SuccessfulRescale", "New size: 2; reason: cpu resource utilization (percentage of request) above target"),
        ("Normal", "SuccessfulRescale", "New size: 1; reason: All metrics below target")]


def test_a_pods_policy_limits_the_scale_down_rate():
    c = Cluster(nodes=1, seed=9, metrics_server=False)
    install(c)
    web(c, replicas=4)
    c.run(40)
    c.api.create("horizontalpodautoscalers", hpa(maxReplicas=6, behavior={"scaleDown": {
        "stabilizationWindowSeconds": 0, "policies": [{"type": "Pods", "value": 1, "periodSeconds": 30}]}}),
        namespace="default")
    # idle: wants minReplicas 1 at once; one pod per 30 s: 4 -> 3 at the first sync, the sync 15 s
    # later is still inside that period, the one 30 s later is not
    assert changes(c, 20) == [(16, 3)]
    assert conditions(c)["ScalingLimited"] == (
        "True", "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate")
    assert changes(c, 60) == [(26, 2), (56, 1)]
    assert conditions(c)["ScalingLimited"] == (
        "True", "TooFewReplicas", "the desired replica count is less than the minimum replica count")


def test_an_average_value_memory_target():
    c = Cluster(nodes=1, seed=12, metrics_server=False)
    install(c)
    web(c, replicas=2)
    c.run(40)
    # nginx holds 6Mi; a 3Mi average target: ratio 2 -> ceil(2 * 2) = 4
    assert c.kubectl("autoscale deployment web --max=10 --memory=3Mi") == \
        "horizontalpodautoscaler.autoscaling/web autoscaled\n"
    assert changes(c, 20) == [(16, 4)]
    assert hpa_events(c) == [("Normal", "SuccessfulRescale", "New size: 4; reason: memory resource above target")]
    # NewMilliQuantity(raw, DecimalSI): bytes in decimal, as real `kubectl get hpa` shows them
    assert status(c)["currentMetrics"] == [{"type": "Resource", "resource": {"name": "memory",
                                                                            "current": {"averageValue": "6291456"}}}]
    assert c.kubectl("get hpa").splitlines()[1].split()[2:4] == ["memory:", "6291456/3Mi"]
