"""The HPA's replica arithmetic, pinned to upstream's formulas
(pkg/controller/podautoscaler/replica_calculator.go GetResourceReplicas/groupPods,
metrics/utilization.go GetResourceUtilizationRatio, horizontal.go convertDesiredReplicasWithRules,
convertDesiredReplicasWithBehaviorRate, calculateScaleUpLimitWithScalingRules,
calculateScaleDownLimitWithBehaviors)."""

import pytest

from k8score.controllers import podautoscaler_replicas as rc
from k8score.controllers.podautoscaler_replicas import PodMetric
from k8score.sim.clock import rfc3339

NOW = 1000.0


def pod(name, request="200m", phase="Running", ready="True", started=0.0, ready_since=10.0, deleting=False):
    p = {"metadata": {"name": name}, "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": request}}}]},
         "status": {"phase": phase, "startTime": rfc3339(started),
                    "conditions": [{"type": "Ready", "status": ready, "lastTransitionTime": rfc3339(ready_since)}]}}
    if deleting:
        p["metadata"]["deletionTimestamp"] = rfc3339(NOW)
    return p


def m(milli, at=NOW - 5, window=15.0):
    return PodMetric(milli, at, window)


def replicas(current, target, pods, metrics):
    return rc.resource_replicas(current, target, "cpu", pods, metrics, NOW)


@pytest.mark.parametrize("per_pod, expected", [
    (109, 10),   # 109 % of a 100 % target: ratio 1.09, inside the tolerance -> keep 10
    (111, 12),   # ratio 1.11 -> ceil(1.11 * 10) = 12
    (110, 10),   # exactly 1 + 0.1: still inside (tolerances.isWithin is inclusive)
    (91, 10),    # ratio 0.91 -> keep
    (89, 9),     # ratio 0.89 -> ceil(8.9) = 9
    (90, 10),    # exactly 1 - 0.1: inside
])
def test_tolerance_on_both_sides(per_pod, expected):
    names = [f"p{i}" for i in range(10)]
    got = replicas(10, 100, [pod(n, "100m") for n in names], {n: m(per_pod) for n in names})
    assert got == (expected, per_pod, per_pod)


def test_the_ratio_comes_from_a_truncated_integer_percentage():
    # 219m of 200m requested = 109.5 % -> 109 (int) -> ratio 1.09: no scale though 1.095 is closer to the edge
    assert replicas(2, 100, [pod("a", "100m"), pod("b", "100m")], {"a": m(110), "b": m(109)}) == (2, 109, 109)
    assert rc.utilization_ratio({"a": m(333)}, {"a": 1000}, 50) == (0.66, 33, 333)


def test_ceil_rounding_and_scale_down():
    pods = [pod(n) for n in "abc"]
    # 3 pods at 500m of 200m = 250 %, target 50 %: ceil(5 * 3) = 15
    assert replicas(3, 50, pods, {n: m(500) for n in "abc"})[:2] == (15, 250)
    # 3 pods at 60m = 30 %: ratio 0.6 -> ceil(1.8) = 2
    assert replicas(3, 50, pods, {n: m(60) for n in "abc"})[:2] == (2, 30)
    # idle: 0 % -> 0 (the controller clamps to minReplicas)
    assert replicas(3, 50, pods, {n: m(0) for n in "abc"})[0] == 0


def test_missing_metrics_count_as_full_on_scale_down_and_idle_on_scale_up():
    pods = [pod("a"), pod("b"), pod("c")]
    # scale down: c counts as 100 % of its request -> (40 + 40 + 200) / 600 = 46 % of 50 % -> within tolerance
    assert replicas(3, 50, pods, {"a": m(40), "b": m(40)})[0] == 3
    # scale up: c counts as 0 -> (200 + 200 + 0) / 600 = 66 % -> ratio 1.32 -> ceil(3.96) = 4
    assert replicas(3, 50, pods, {"a": m(200), "b": m(200)})[0] == 4
    # without c: (200 + 200) / 400 = 100 %, ratio 2 (what the first pass saw)


def test_unready_and_pending_pods_are_ignored_then_count_as_idle_on_a_scale_up():
    pods = [pod("a"), pod("b", ready="False", started=NOW - 20, ready_since=NOW - 20), pod("c", phase="Pending")]
    # only a counts first: 200 % -> ratio 4; on a scale-up b and c re-enter at 0:
    # 400 / 600 = 66 % -> ratio 1.33 -> ceil(1.33 * 3) = 4 (not ceil(4 * 1) of the ready pod alone)
    assert replicas(3, 50, pods, {"a": m(400), "b": m(400)}) == (4, 200, 400)
    # a at 60 % (ratio 1.2) but with b and c at 0 it is 20 %: the direction would flip -> keep 3
    assert replicas(3, 50, pods, {"a": m(120), "b": m(400)}) == (3, 60, 120)


def test_group_pods_cpu_initialization_and_readiness_delay():
    metrics = {n: m(100) for n in ("fresh", "old", "never", "deleted", "failed")}
    pods = [pod("fresh", started=NOW - 60, ready_since=NOW - 10),          # ready 10 s ago, window 15 s
            pod("old", started=NOW - 600, ready_since=NOW - 500),
            pod("never", ready="False", started=NOW - 600, ready_since=NOW - 590),   # unready since start+10 s
            pod("deleted", deleting=True), pod("failed", phase="Failed"), pod("nometrics")]
    ready, ignored, missing = rc.group_pods(pods, metrics, "cpu", NOW)
    assert (ready, ignored, missing) == (1, ["fresh", "never"], ["nometrics"])
    # memory is not subject to the CPU rules
    assert rc.group_pods(pods, metrics, "memory", NOW)[:2] == (3, [])


def test_errors_have_upstreams_texts():
    with pytest.raises(rc.MetricsError, match="^no pods returned by selector while calculating replica count$"):
        replicas(1, 50, [], {})
    with pytest.raises(rc.MetricsError, match="^did not receive metrics for any ready pods$"):
        replicas(1, 50, [pod("a", phase="Pending")], {"a": m(1)})
    no_request = pod("a")
    no_request["spec"]["containers"][0]["resources"] = {}
    with pytest.raises(rc.MetricsError, match="^missing request for cpu$"):
        replicas(1, 50, [no_request], {"a": m(1)})


@pytest.mark.parametrize("current, desired, expected", [
    (1, 9, (4, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")),
    (3, 9, (6, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")),
    (6, 20, (10, "TooManyReplicas", "the desired replica count is more than the maximum replica count")),
    (4, 0, (2, "TooFewReplicas", "the desired replica count is less than the minimum replica count")),
    (4, 7, (7, "DesiredWithinRange", "the desired count is within the acceptable range")),
])
def test_behaviourless_clamping(current, desired, expected):
    assert rc.convert_with_rules(current, desired, 2, 10) == expected


DEFAULT = {"scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                       "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                                    {"type": "Percent", "value": 100, "periodSeconds": 15}]},
           "scaleDown": {"selectPolicy": "Max", "stabilizationWindowSeconds": 300,
                         "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}}


def test_behavior_scale_up_is_the_larger_of_4_pods_and_100_percent_per_15s():
    assert rc.convert_with_behavior_rate(1, 20, 1, 30, DEFAULT, [], [], NOW)[0] == 5      # 1 + 4 > 2 * 1
    assert rc.convert_with_behavior_rate(10, 40, 1, 30, DEFAULT, [], [], NOW)[0] == 20    # 10 * 2 > 10 + 4
    # 6 were added 10 s ago (from 4): the period started at 4 -> max(4 + 4, 8) = 8
    assert rc.convert_with_behavior_rate(10, 40, 1, 30, DEFAULT, [[6, NOW - 10, False]], [], NOW) == \
        (10, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
    # 16 s later the period is over
    assert rc.convert_with_behavior_rate(10, 40, 1, 30, DEFAULT, [[6, NOW - 16, False]], [], NOW)[0] == 20


def test_behavior_min_policy_pods_scale_down_and_disabled():
    rules = {**DEFAULT, "scaleDown": {"selectPolicy": "Min", "stabilizationWindowSeconds": 0,
                                      "policies": [{"type": "Pods", "value": 2, "periodSeconds": 60},
                                                   {"type": "Percent", "value": 50, "periodSeconds": 60}]}}
    # Min picks the smaller change: 10 - 2 = 8 over 10 * 0.5 = 5
    assert rc.convert_with_behavior_rate(10, 1, 1, 30, rules, [], [], NOW) == \
        (8, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate")
    off = {**DEFAULT, "scaleUp": {**DEFAULT["scaleUp"], "selectPolicy": "Disabled"}}
    assert rc.convert_with_behavior_rate(3, 9, 1, 30, off, [], [], NOW)[0] == 3
    assert rc.convert_with_behavior_rate(3, 9, 1, 30, DEFAULT, [], [], NOW) == \
        (7, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")


def test_pod_metrics_from_the_api_sum_containers_in_millicores():
    items = [{"metadata": {"name": "a"}, "timestamp": rfc3339(990), "window": "15s",
              "containers": [{"name": "x", "usage": {"cpu": "123456789n", "memory": "1Mi"}},
                             {"name": "y", "usage": {"cpu": "2m", "memory": "1Mi"}}]},
             {"metadata": {"name": "b"}, "timestamp": rfc3339(990), "window": "15s",
              "containers": [{"name": "x", "usage": {"memory": "1Mi"}}]}]
    assert rc.pod_metrics_from_api(items, "cpu") == {"a": PodMetric(126, 990.0, 15.0)}   # MilliValue rounds up
