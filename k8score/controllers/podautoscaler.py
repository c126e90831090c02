"""The horizontal-pod-autoscaler controller (pkg/controller/podautoscaler/horizontal.go).

Every HorizontalPodAutoscaler is reconciled every 15 s (``--horizontal-pod-autoscaler-sync-
period``; a new or changed HPA waits one period too, as upstream's fixed-interval rate limiter
makes it). One reconcile:

1. read the target's ``scale`` subresource (``AbleToScale`` False ``FailedGetScale`` if that
   fails), ``SucceededGetScale`` otherwise;
2. a target at 0 replicas is not scaled (``ScalingActive`` False ``ScalingDisabled``); outside
   ``[minReplicas, maxReplicas]`` it is brought inside; else each metric proposes a count
   (:mod:`.podautoscaler_replicas`: the ``metrics.k8s.io`` PodMetrics of the scale's selector
   through the API server, the pods from the informer) and the highest wins (``ScalingActive``
   True ``ValidMetricFound``); no usable metric: Warning ``FailedGetResourceMetric`` and
   ``FailedComputeMetricsReplicas``, ``ScalingActive`` False;
3. the proposal is stabilised (scale-down: the highest recommendation of the last 300 s) and
   rate-limited (no ``behavior``: at most ``max(2 * current, 4)``; with one: its policies over
   their periods), clamped to the bounds (``ScalingLimited``);
4. a change is written through ``<target>/scale``: Normal ``SuccessfulRescale`` ``New size: 4;
   reason: cpu resource utilization (percentage of request) above target`` (``All metrics below
   target`` when shrinking), ``status.lastScaleTime`` set;
5. the status (currentReplicas, desiredReplicas, currentMetrics, conditions) is written when it
   changed.

Not modelled: Pods/Object/External and ContainerResource metrics (no custom or external
metrics API is served: such a metric fails with upstream's condition reason), the check for
several HPAs selecting the same pods (``AmbiguousSelector``), configurable tolerances
(``behavior.*.tolerance``, alpha).
"""

from __future__ import annotations

import copy
from typing import Any

from ..api.errors import ApiError
from ..api.quantity import DECIMAL_SI, Quantity, parse_quantity
from ..api.selectors import parse_label_selector
from ..client.meta import split_key
from ..lang import Text
from ..sim.clock import rfc3339
from .base import Controller
from . import podautoscaler_replicas as rc
from .podautoscaler_normalize import Normalizer, set_condition

#: computeReplicasForMetric: the condition reason of a metric of each source type that failed
_FAILED_REASON = {"Resource": "FailedGetResourceMetric", "Pods": "FailedGetPodsMetric",
                  "Object": "FailedGetObjectMetric", "External": "FailedGetExternalMetric",
                  "ContainerResource": "FailedGetContainerResourceMetric"}
#: group of each scalable kind the HPA knows (the RESTMapper's answer)
_SCALABLE = {"Deployment": "deployments", "ReplicaSet": "replicasets", "StatefulSet": "statefulsets",
             "ReplicationController": "replicationcontrollers"}


class HorizontalPodAutoscalerController(Normalizer, Controller):
    name = "horizontalpodautoscaling"
    kind = "horizontal-pod-autoscaler"
    watches = ("horizontalpodautoscalers", "pods")
    writes = ("horizontalpodautoscalers", "deployments")
    summary = Text("每 15 秒按 metrics.k8s.io 的 CPU 使用率调整目标的副本数（HPA：容差 0.1，缩容稳定窗口 5 分钟）",
                   "Every 15 s adjusts the target's replica count from the CPU usage in metrics.k8s.io (HPA: tolerance 0.1, 5-minute scale-down stabilization window)")
    event_component = "horizontal-pod-autoscaler"

    def setup(self) -> None:
        self.hpas = self.informer("horizontalpodautoscalers")
        self.pods = self.informer("pods")
        self.hpas.add_event_handler(on_add=self._enqueue, on_update=lambda o, n: self._enqueue(n),
                                    on_delete=self._forget)
        #: per HPA key: [[recommendation, time]], scale-up and scale-down events [[change, time, outdated]]
        self.recommendations: dict[str, list[list]] = {}
        self.scale_up_events: dict[str, list[list]] = {}
        self.scale_down_events: dict[str, list[list]] = {}

    def _enqueue(self, hpa: dict) -> None:
        # enqueueHPA: always with the resync delay (a fixed-interval rate limiter)
        self.queue.add_after(f"{hpa['metadata'].get('namespace')}/{hpa['metadata']['name']}", rc.SYNC_PERIOD)

    def _forget(self, hpa: Any) -> None:
        key = f"{(hpa or {}).get('metadata', {}).get('namespace')}/{(hpa or {}).get('metadata', {}).get('name')}"
        for d in (self.recommendations, self.scale_up_events, self.scale_down_events):
            d.pop(key, None)

    # -- the loop ------------------------------------------------------------------------------
    def sync(self, key: Any) -> None:
        shared = self.hpas.get(key)
        if shared is None:
            self._forget({"metadata": dict(zip(("namespace", "name"), split_key(key)))})
            return
        try:
            self.reconcile(key, shared)
        except ApiError as err:
            self.errors.error(f"{key}: {err}")
        except rc.MetricsError as err:
            self.errors.error(f"{key}: {err}")
        finally:
            self.queue.add_after(key, rc.SYNC_PERIOD)   # processNextWorkItem: AddRateLimited

    def reconcile(self, key: str, shared: dict) -> None:
        """horizontal.go reconcileAutoscaler."""
        now = self.loop.now
        hpa = copy.deepcopy(shared)
        original = copy.deepcopy(hpa.get("status") or {})
        ns = hpa["metadata"].get("namespace")
        spec = hpa.get("spec") or {}
        ref = spec.get("scaleTargetRef") or {}
        reference = f"{ref.get('kind')}/{ns}/{ref.get('name')}"
        plural = _SCALABLE.get(ref.get("kind", ""))
        try:
            if plural is None:
                raise ApiError.not_found_resource(ref.get("kind", ""))
            scale = self.client.get(plural, ref.get("name", ""), namespace=ns, subresource="scale")
        except ApiError as err:
            text = _error_text(err, plural, ref)
            self.recorder.event(hpa, "Warning", "FailedGetScale", text)
            set_condition(hpa, "AbleToScale", "False", "FailedGetScale",
                          f"the HPA controller was unable to get the target's current scale: {text}", now)
            self._update_status_if_needed(original, hpa)
            self.errors.error(f"failed to query scale subresource for {reference}: {text}")
            return
        set_condition(hpa, "AbleToScale", "True", "SucceededGetScale",
                      "the HPA controller was able to get the target's current scale", now)
        current = int((scale.get("spec") or {}).get("replicas") or 0)
        self.recommendations.setdefault(key, [[current, now]])   # recordInitialRecommendation
        lo = spec.get("minReplicas", 1)
        hi = spec.get("maxReplicas", 1)
        desired, reason, statuses, rescale = 0, "", [], True
        if current == 0 and lo != 0:
            rescale = False
            set_condition(hpa, "ScalingActive", "False", "ScalingDisabled",
                          "scaling is disabled since the replica count of the target is zero", now)
        elif current > hi:
            reason, desired = "Current number of replicas above Spec.MaxReplicas", hi
        elif current < lo:
            reason, desired = "Current number of replicas below Spec.MinReplicas", lo
        else:
            proposal, metric, statuses, err = self._replicas_for_metrics(hpa, scale, spec.get("metrics") or [])
            if err is not None and proposal == -1:
                self._set_status(hpa, current, (hpa.get("status") or {}).get("desiredReplicas", 0), statuses, False)
                self._update_status_if_needed(original, hpa)
                self.recorder.event(hpa, "Warning", "FailedComputeMetricsReplicas", err)
                return
            rescale_metric = ""
            if proposal > desired:
                desired, rescale_metric = proposal, metric
            if desired > current:
                reason = f"{rescale_metric} above target"
            if desired < current:
                reason = "All metrics below target"
            if spec.get("behavior") is None:
                desired = self._normalize(hpa, key, current, desired, lo, now)
            else:
                desired = self._normalize_with_behaviors(hpa, key, current, desired, lo, now)
            rescale = desired != current
        if rescale:
            body = {"apiVersion": "autoscaling/v1", "kind": "Scale",
                    "metadata": dict(scale["metadata"]), "spec": {"replicas": desired}}
            try:
                self.client.update(plural, body, namespace=ns, subresource="scale")
            except ApiError as err:
                text = str(err)
                self.recorder.event(hpa, "Warning", "FailedRescale",
                                    f"New size: {desired}; reason: {reason}; error: {text}")
                set_condition(hpa, "AbleToScale", "False", "FailedUpdateScale",
                              f"the HPA controller was unable to update the target scale: {text}", now)
                self._set_status(hpa, current, (hpa.get("status") or {}).get("desiredReplicas", 0), statuses, False)
                self._update_status_if_needed(original, hpa)
                return
            set_condition(hpa, "AbleToScale", "True", "SucceededRescale",
                          f"the HPA controller was able to update the target scale to {desired}", now)
            self.recorder.event(hpa, "Normal", "SuccessfulRescale", f"New size: {desired}; reason: {reason}")
            self._store_scale_event(spec.get("behavior"), key, current, desired, now)
        else:
            desired = current
        self._set_status(hpa, current, desired, statuses, rescale)
        self._update_status_if_needed(original, hpa)

    # -- metrics ---------------------------------------------------------------------------------
    def _replicas_for_metrics(self, hpa: dict, scale: dict, specs: list) -> tuple[int, str, list, str | None]:
        """computeReplicasForMetrics: (replicas or -1, metric name, statuses, error text)."""
        now = self.loop.now
        selector = (scale.get("status") or {}).get("selector") or ""
        if not selector:
            self.recorder.event(hpa, "Warning", "SelectorRequired", "selector is required")
            set_condition(hpa, "ScalingActive", "False", "InvalidSelector",
                          "the HPA target's scale is missing a selector", now)
            return -1, "", [], "selector is required"
        spec_replicas = int((scale.get("spec") or {}).get("replicas") or 0)
        # upstream keeps one entry per metric; a metric that failed stays zero-valued ({"type": ""})
        statuses: list[dict] = [{"type": ""} for _ in specs]
        replicas, metric, invalid, first_err, first_cond = 0, "", 0, None, None
        for i, m in enumerate(specs):
            try:
                proposal, name, status = self._resource_metric(hpa, m, spec_replicas, selector)
                statuses[i] = status
            except rc.MetricsError as err:
                text, typ = str(err), (m or {}).get("type")
                reason = _FAILED_REASON.get(typ, "InvalidMetricSourceType")
                self.recorder.event(hpa, "Warning", reason, text)
                if typ == "Resource":
                    text = f"failed to get {(m.get('resource') or {}).get('name')} resource metric value: {text}"
                if invalid == 0:
                    first_err = text
                    inner = text.split(" resource metric value: ", 1)[-1]
                    first_cond = ("ScalingActive", "False", reason,
                                  f"the HPA was unable to compute the replica count: {inner}")
                invalid += 1
                continue
            if replicas == 0 or proposal > replicas:
                replicas, metric = proposal, name
        error = None
        if first_err is not None:
            error = f"invalid metrics ({invalid} invalid out of {len(specs)}), first error is: {first_err}"
        if invalid >= len(specs) or (invalid > 0 and replicas < spec_replicas):
            set_condition(hpa, *first_cond, now)
            return -1, "", statuses, error
        set_condition(hpa, "ScalingActive", "True", "ValidMetricFound",
                      f"the HPA was able to successfully calculate a replica count from {metric}", now)
        return replicas, metric, statuses, error

    def _resource_metric(self, hpa: dict, spec: dict, current: int, selector: str) -> tuple[int, str, dict]:
        """computeStatusForResourceMetric: a Utilization or an AverageValue target."""
        typ = (spec or {}).get("type")
        if typ in _FAILED_REASON and typ != "Resource":
            # the custom and external metrics APIs are not served in the model
            group = "external.metrics.k8s.io" if typ == "External" else "custom.metrics.k8s.io"
            raise rc.MetricsError(f"failed to get {typ.lower()} metric value: unable to fetch metrics from "
                                  f"{group}: the server could not find the requested resource")
        if typ != "Resource":
            raise rc.MetricsError(f'unknown metric source type "{typ}"')
        res = spec.get("resource") or {}
        name, target = res.get("name", ""), res.get("target") or {}
        ns = hpa["metadata"].get("namespace")
        try:
            items = self.client.list("pods.metrics.k8s.io", namespace=ns, label_selector=selector)["items"]
        except ApiError as err:
            raise rc.MetricsError(f"failed to get {name} utilization: unable to get metrics for resource {name}: "
                                  f"unable to fetch metrics from resource metrics API: {_error_text(err, None, {})}") \
                from None
        if not items:
            raise rc.MetricsError(f"failed to get {name} utilization: unable to get metrics for resource {name}: "
                                  "no metrics returned from resource metrics API")
        metrics = rc.pod_metrics_from_api(items, name)
        sel = parse_label_selector(selector)
        pods = [p for p in self.pods.list(ns) if sel.matches(p["metadata"].get("labels") or {})]
        if target.get("averageValue") is not None:
            try:
                replicas, usage = rc.plain_replicas(current, parse_quantity(str(target["averageValue"])).milli_value(),
                                                    name, pods, metrics, self.loop.now)
            except rc.MetricsError as err:
                raise rc.MetricsError(f"failed to get {name} usage: {err}") from None
            status = {"type": "Resource", "resource": {"name": name, "current": {"averageValue": _milli(usage)}}}
            return replicas, f"{name} resource", status
        if target.get("averageUtilization") is None:
            raise rc.MetricsError("invalid resource metric source: neither an average utilization target nor an "
                                  "average value (usage) target was set")
        try:
            replicas, util, raw = rc.resource_replicas(current, int(target["averageUtilization"]), name, pods,
                                                       metrics, self.loop.now)
        except rc.MetricsError as err:
            raise rc.MetricsError(f"failed to get {name} utilization: {err}") from None
        status = {"type": "Resource", "resource": {"name": name, "current": {
            "averageValue": _milli(raw),
            "averageUtilization": util}}}
        return replicas, f"{name} resource utilization (percentage of request)", status

    # -- status ----------------------------------------------------------------------------------------
    def _set_status(self, hpa: dict, current: int, desired: int, metrics: list, rescale: bool) -> None:
        old = hpa.get("status") or {}
        status: dict = {}
        if current:
            status["currentReplicas"] = current       # omitempty
        status["desiredReplicas"] = desired
        last = rfc3339(self.loop.now) if rescale else old.get("lastScaleTime")
        if last:
            status["lastScaleTime"] = last
        if metrics:
            status["currentMetrics"] = metrics
        if old.get("conditions"):
            status["conditions"] = old["conditions"]
        hpa["status"] = status

    def _update_status_if_needed(self, original: dict, hpa: dict) -> None:
        if original == hpa.get("status"):
            return
        try:
            self.client.update("horizontalpodautoscalers", hpa, namespace=hpa["metadata"].get("namespace"),
                               subresource="status")
        except ApiError as err:
            self.recorder.event(hpa, "Warning", "FailedUpdateStatus", str(err))
            self.errors.error(f"failed to update status for {hpa['metadata']['name']}: {err}")


def _milli(raw: int) -> str:
    """resource.NewMilliQuantity(raw, DecimalSI).String()."""
    from fractions import Fraction
    return Quantity(Fraction(raw, 1000), DECIMAL_SI).canonical()


def _error_text(err: ApiError, plural: str | None, ref: dict) -> str:
    """The client-go error text: a resource the server does not serve is ``the server could not
    find the requested resource (get pods.metrics.k8s.io)``."""
    if err.code == 404 and "resource type" in err.message:
        return f"the server could not find the requested resource (get {plural or 'pods.metrics.k8s.io'})"
    return err.message or str(err)


__all__ = ["HorizontalPodAutoscalerController", "set_condition"]
