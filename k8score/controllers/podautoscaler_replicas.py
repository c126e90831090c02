"""The HPA's arithmetic: the replica calculator and the scaling rules
(pkg/controller/podautoscaler/replica_calculator.go, metrics/utilization.go, horizontal.go's
normalize* / stabilize* / calculateScale*Limit*). Pure functions of their inputs and ``now``.

Worked example (the walkthrough): one pod requesting ``200m`` uses ``500m``, target 50 %:
utilization ``500 * 100 // 200 = 250`` (an integer percentage, truncated), ratio
``250 / 50 = 5.0`` — outside the tolerance ``[0.9, 1.1]`` — so ``ceil(5.0 * 1) = 5`` replicas.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from ..api.quantity import parse_quantity
from ..sim.clock import parse as parse_time

#: cmd/kube-controller-manager/app/options/hpacontroller.go defaults
#: (--horizontal-pod-autoscaler-tolerance, -cpu-initialization-period, -initial-readiness-delay,
#: -downscale-stabilization, -sync-period)
TOLERANCE = 0.1
CPU_INITIALIZATION_PERIOD = 300.0
INITIAL_READINESS_DELAY = 30.0
DOWNSCALE_STABILIZATION_WINDOW = 300.0
SYNC_PERIOD = 15.0
#: horizontal.go: scaleUpLimitFactor, scaleUpLimitMinimum (the behaviour-less HPA's rate)
SCALE_UP_LIMIT_FACTOR, SCALE_UP_LIMIT_MINIMUM = 2.0, 4.0
_MAX_INT32, _MIN_INT32 = 2 ** 31 - 1, -(2 ** 31)


class MetricsError(Exception):
    """A replica computation that failed; ``str()`` is upstream's error text."""


class PodMetric(NamedTuple):
    value: int          # milli-units (cpu: millicores; memory: milli-bytes)
    timestamp: float    # virtual seconds
    window: float


def within_tolerance(ratio: float, tolerance: float = TOLERANCE) -> bool:
    """replica_calculator.go tolerances.isWithin: ``1 - down <= ratio <= 1 + up``."""
    return (1.0 - tolerance) <= ratio <= (1.0 + tolerance)


def pod_metrics_from_api(items: list[dict], resource: str) -> dict[str, PodMetric]:
    """metrics/client.go getPodMetrics: per pod the sum of its containers' usage (milli); a pod
    with a container lacking the resource is left out."""
    out: dict[str, PodMetric] = {}
    for m in items:
        total, missing = 0, False
        for c in m.get("containers") or ():
            q = (c.get("usage") or {}).get(resource)
            if q is None:
                missing = True
                break
            total += parse_quantity(str(q)).milli_value()
        if not missing:
            out[m["metadata"]["name"]] = PodMetric(total, parse_time(m["timestamp"]), _seconds(m.get("window")))
    return out


def _seconds(window: Any) -> float:
    text = str(window or "0s")
    return float(text[:-1]) if text.endswith("s") and text[:-1].replace(".", "", 1).isdigit() else 0.0


def _condition(pod: dict, kind: str) -> dict | None:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == kind:
            return c
    return None


def group_pods(pods: list[dict], metrics: dict[str, PodMetric], resource: str, now: float,
               cpu_init: float = CPU_INITIALIZATION_PERIOD,
               readiness_delay: float = INITIAL_READINESS_DELAY) -> tuple[int, list[str], list[str]]:
    """replica_calculator.go groupPods: (ready count, ignored pods, pods missing metrics).

    Deleted and Failed pods do not count; Pending ones are ignored; for CPU a pod is ignored
    while unready or, within ``cpu_init`` of its start, until one metric window has passed since
    it turned Ready; after that only a pod that never became ready (its Ready condition False
    since within ``readiness_delay`` of start) is ignored."""
    ready, ignored, missing = 0, [], []
    for pod in pods:
        meta, st = pod["metadata"], pod.get("status") or {}
        phase = st.get("phase")
        if meta.get("deletionTimestamp") or phase == "Failed":
            continue
        if phase == "Pending":
            ignored.append(meta["name"])
            continue
        metric = metrics.get(meta["name"])
        if metric is None:
            missing.append(meta["name"])
            continue
        if resource == "cpu":
            cond = _condition(pod, "Ready")
            if cond is None or not st.get("startTime"):
                ignore = True
            else:
                start = parse_time(st["startTime"])
                changed = parse_time(cond["lastTransitionTime"]) if cond.get("lastTransitionTime") else start
                if start + cpu_init > now:
                    ignore = cond.get("status") == "False" or metric.timestamp < changed + metric.window
                else:
                    ignore = cond.get("status") == "False" and start + readiness_delay > changed
            if ignore:
                ignored.append(meta["name"])
                continue
        ready += 1
    return ready, ignored, missing


def pod_requests(pods: list[dict], resource: str) -> dict[str, int]:
    """calculatePodRequests: per pod the containers' requests in milli-units."""
    out: dict[str, int] = {}
    for pod in pods:
        total = 0
        for c in (pod.get("spec") or {}).get("containers") or ():
            req = ((c.get("resources") or {}).get("requests") or {}).get(resource)
            if req is None:
                raise MetricsError(f"missing request for {resource}")
            total += parse_quantity(str(req)).milli_value()
        out[pod["metadata"]["name"]] = total
    return out


def utilization_ratio(metrics: dict[str, PodMetric], requests: dict[str, int],
                      target: int) -> tuple[float, int, int]:
    """metrics/utilization.go GetResourceUtilizationRatio: (ratio, utilization %, raw average).
    The utilization is an integer percentage (truncated) and the ratio is computed from it."""
    used = asked = n = 0
    for name in sorted(metrics):
        if name not in requests:
            continue
        used += metrics[name].value
        asked += requests[name]
        n += 1
    if asked == 0:
        raise MetricsError("no metrics returned matched known pods")
    util = used * 100 // asked
    return util / target, util, used // n


def resource_replicas(current: int, target: int, resource: str, pods: list[dict],
                      metrics: dict[str, PodMetric], now: float,
                      tolerance: float = TOLERANCE) -> tuple[int, int, int]:
    """GetResourceReplicas: (replicas, utilization %, raw average milli-value)."""
    if not pods:
        raise MetricsError("no pods returned by selector while calculating replica count")
    metrics = dict(metrics)
    ready, ignored, missing = group_pods(pods, metrics, resource, now)
    for name in ignored:
        metrics.pop(name, None)
    requests = pod_requests(pods, resource)
    if not metrics:
        raise MetricsError("did not receive metrics for any ready pods")
    ratio, util, raw = utilization_ratio(metrics, requests, target)
    rebalance_ignored = bool(ignored) and ratio > 1.0
    if not rebalance_ignored and not missing:
        if within_tolerance(ratio, tolerance):
            return current, util, raw
        return math.ceil(ratio * ready), util, raw
    if missing:
        # scale down: a missing pod counts as using its whole request; scale up: nothing
        for name in missing:
            if ratio < 1.0:
                metrics[name] = PodMetric(requests[name], now, 0.0)
            elif ratio > 1.0:
                metrics[name] = PodMetric(0, now, 0.0)
    if rebalance_ignored:
        for name in ignored:
            metrics[name] = PodMetric(0, now, 0.0)     # unready pods count as idle on a scale-up
    new_ratio = utilization_ratio(metrics, requests, target)[0]
    if within_tolerance(new_ratio, tolerance) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current, util, raw          # too small a change, or the direction would flip
    replicas = math.ceil(new_ratio * len(metrics))
    if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
        return current, util, raw
    return replicas, util, raw


def plain_replicas(current: int, target: int, resource: str, pods: list[dict], metrics: dict[str, PodMetric],
                   now: float, tolerance: float = TOLERANCE) -> tuple[int, int]:
    """GetRawResourceReplicas / calcPlainMetricReplicas: an AverageValue target (milli-units);
    (replicas, the average usage in milli-units — GetMetricUsageRatio's integer average)."""
    if not pods:
        raise MetricsError("no pods returned by selector while calculating replica count")
    metrics = dict(metrics)
    ready, ignored, missing = group_pods(pods, metrics, resource, now)
    for name in ignored:
        metrics.pop(name, None)
    if not metrics:
        raise MetricsError("did not receive metrics for any ready pods")

    def ratio_of(ms: dict[str, PodMetric]) -> tuple[float, int]:
        usage = sum(x.value for x in ms.values()) // len(ms)
        return usage / target, usage
    ratio, usage = ratio_of(metrics)
    rebalance_ignored = bool(ignored) and ratio > 1.0
    if not rebalance_ignored and not missing:
        if within_tolerance(ratio, tolerance):
            return current, usage
        return math.ceil(ratio * ready), usage
    for name in missing:   # here the else covers ratio == 1 too, as upstream's
        metrics[name] = PodMetric(target if ratio < 1.0 else 0, now, 0.0)
    if rebalance_ignored:
        for name in ignored:
            metrics[name] = PodMetric(0, now, 0.0)
    new_ratio = ratio_of(metrics)[0]
    if within_tolerance(new_ratio, tolerance) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current, usage
    return math.ceil(new_ratio * len(metrics)), usage


# -- normalisation (horizontal.go) ---------------------------------------------------------------
def convert_with_rules(current: int, desired: int, lo: int, hi: int) -> tuple[int, str, str]:
    """convertDesiredReplicasWithRules: the behaviour-less HPA's clamp (at most
    ``max(2 * current, 4)`` per sync)."""
    up_limit = int(max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM))
    if hi > up_limit:
        allowed_max, reason, message = up_limit, "ScaleUpLimit", \
            "the desired replica count is increasing faster than the maximum scale rate"
    else:
        allowed_max, reason, message = hi, "TooManyReplicas", \
            "the desired replica count is more than the maximum replica count"
    if desired < lo:
        return lo, "TooFewReplicas", "the desired replica count is less than the minimum replica count"
    if desired > allowed_max:
        return allowed_max, reason, message
    return desired, "DesiredWithinRange", "the desired count is within the acceptable range"


def change_in_period(period: float, events: list[list], now: float) -> int:
    """getReplicasChangePerPeriod: replicas changed by events newer than ``now - period``."""
    return sum(e[0] for e in events if e[1] > now - period)


def scale_up_limit(current: int, ups: list[list], downs: list[list], rules: dict, now: float) -> int:
    """calculateScaleUpLimitWithScalingRules."""
    select = rules.get("selectPolicy") or "Max"
    if select == "Disabled":
        return current
    result = _MAX_INT32 if select == "Min" else _MIN_INT32
    pick = min if select == "Min" else max
    for p in rules.get("policies") or ():
        start = current - change_in_period(p["periodSeconds"], ups, now) + change_in_period(p["periodSeconds"], downs, now)
        proposed = start + p["value"] if p["type"] == "Pods" else math.ceil(start * (1 + p["value"] / 100))
        result = pick(result, proposed)
    return result


def scale_down_limit(current: int, ups: list[list], downs: list[list], rules: dict, now: float) -> int:
    """calculateScaleDownLimitWithBehaviors."""
    select = rules.get("selectPolicy") or "Max"
    if select == "Disabled":
        return current
    result = _MIN_INT32 if select == "Min" else _MAX_INT32
    pick = max if select == "Min" else min
    for p in rules.get("policies") or ():
        start = current - change_in_period(p["periodSeconds"], ups, now) + change_in_period(p["periodSeconds"], downs, now)
        proposed = start - p["value"] if p["type"] == "Pods" else int(start * (1 - p["value"] / 100))
        result = pick(result, proposed)
    return result


def convert_with_behavior_rate(current: int, desired: int, lo: int, hi: int, behavior: dict,
                               ups: list[list], downs: list[list], now: float) -> tuple[int, str, str]:
    """convertDesiredReplicasWithBehaviorRate."""
    if desired > current:
        limit = max(scale_up_limit(current, ups, downs, behavior["scaleUp"], now), current)
        if hi > limit:
            allowed, reason, message = limit, "ScaleUpLimit", \
                "the desired replica count is increasing faster than the maximum scale rate"
        else:
            allowed, reason, message = hi, "TooManyReplicas", \
                "the desired replica count is more than the maximum replica count"
        if desired > allowed:
            return allowed, reason, message
    elif desired < current:
        limit = min(scale_down_limit(current, ups, downs, behavior["scaleDown"], now), current)
        if lo < limit:
            allowed, reason, message = limit, "ScaleDownLimit", \
                "the desired replica count is decreasing faster than the maximum scale rate"
        else:
            allowed, reason, message = lo, "TooFewReplicas", \
                "the desired replica count is less than the minimum replica count"
        if desired < allowed:
            return allowed, reason, message
    return desired, "DesiredWithinRange", "the desired count is within the acceptable range"


__all__ = ["MetricsError", "PodMetric", "TOLERANCE", "SYNC_PERIOD", "CPU_INITIALIZATION_PERIOD",
           "INITIAL_READINESS_DELAY", "DOWNSCALE_STABILIZATION_WINDOW", "within_tolerance", "group_pods",
           "pod_requests", "utilization_ratio", "resource_replicas", "plain_replicas", "pod_metrics_from_api",
           "convert_with_rules", "convert_with_behavior_rate", "scale_up_limit", "scale_down_limit"]
