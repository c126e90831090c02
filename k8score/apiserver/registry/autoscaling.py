"""autoscaling/v2 HorizontalPodAutoscaler (pkg/registry/autoscaling/horizontalpodautoscaler/
strategy.go; defaults pkg/apis/autoscaling/v2/defaults.go; validation
pkg/apis/autoscaling/validation/validation.go).

- defaults: ``minReplicas`` 1; no ``metrics`` -> one CPU Resource metric at 80 % utilization
  (``autoscaling.DefaultCPUUtilization``); a ``behavior`` that is present gets every unset rule
  filled (scale up: stabilization 0 s, ``selectPolicy: Max``, policies ``Pods 4 / 15 s`` and
  ``Percent 100 / 15 s``; scale down: ``selectPolicy: Max``, ``Percent 100 / 15 s``, the window
  left unset — the controller's ``--horizontal-pod-autoscaler-downscale-stabilization`` 5 m);
  an absent ``behavior`` stays absent (the controller applies the same defaults);
- status is the controller's (``/status``); a spec change bumps ``metadata.generation``.
"""

from __future__ import annotations

import copy
from typing import Any

from ...api.field import FieldError, forbidden, invalid, not_supported, required
from ...api.quantity import QuantityError, parse_quantity
from ...api.resources import BUILTIN
from ..validation.names import is_dns1123_subdomain
from .strategy import Strategy

#: pkg/apis/autoscaling/types.go DefaultCPUUtilization
DEFAULT_CPU_UTILIZATION = 80
#: pkg/apis/autoscaling/v2/defaults.go defaultHPAScaleUpRules / defaultHPAScaleDownRules
SCALE_UP_DEFAULTS = {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                     "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                                  {"type": "Percent", "value": 100, "periodSeconds": 15}]}
SCALE_DOWN_DEFAULTS = {"selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}
#: validation.go: MaxPeriodSeconds 1800, MaxStabilizationWindowSeconds 3600
MAX_PERIOD_SECONDS, MAX_STABILIZATION_WINDOW_SECONDS = 1800, 3600
_METRIC_TYPES = ["ContainerResource", "External", "Object", "Pods", "Resource"]
_SOURCE_FIELD = {"ContainerResource": "containerResource", "External": "external", "Object": "object",
                 "Pods": "pods", "Resource": "resource"}


def _rules(given: Any, defaults: dict) -> dict:
    """copyHPAScalingRules: the defaults with every field the user set kept."""
    out = copy.deepcopy(defaults)
    if isinstance(given, dict):
        for key in ("selectPolicy", "stabilizationWindowSeconds", "policies", "tolerance"):
            if given.get(key) is not None:
                out[key] = given[key]
    return out


def default_hpa(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    if spec.get("minReplicas") is None:
        spec["minReplicas"] = 1
    if not spec.get("metrics"):
        spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": DEFAULT_CPU_UTILIZATION}}}]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        behavior["scaleUp"] = _rules(behavior.get("scaleUp"), SCALE_UP_DEFAULTS)
        behavior["scaleDown"] = _rules(behavior.get("scaleDown"), SCALE_DOWN_DEFAULTS)


def _path_segment(value: str) -> list[str]:
    """apimachinery validation/path IsValidPathSegmentName."""
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in value]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _target(t: Any, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    t = t if isinstance(t, dict) else {}
    typ = t.get("type")
    if not typ:
        errs.append(required(f"{path}.type", "must specify a metric target type"))
    elif typ not in ("Utilization", "Value", "AverageValue"):
        errs.append(invalid(f"{path}.type", typ, "must be either Utilization, Value, or AverageValue"))
    for key in ("value", "averageValue"):
        if t.get(key) is not None:
            try:
                positive = parse_quantity(str(t[key])).value > 0
            except (QuantityError, ValueError):
                positive = False
            if not positive:
                errs.append(invalid(f"{path}.{key}", t[key], "must be positive"))
    util = t.get("averageUtilization")
    if util is not None and (_int(util) is None or util < 1):
        errs.append(invalid(f"{path}.averageUtilization", util, "must be greater than 0"))
    return errs


def _resource_source(src: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if not src.get("name"):
        errs.append(required(f"{path}.name", "must specify a resource name"))
    target = src.get("target") if isinstance(src.get("target"), dict) else {}
    errs += _target(target, f"{path}.target")
    if target.get("averageUtilization") is None and target.get("averageValue") is None:
        errs.append(required(f"{path}.target.averageUtilization",
                             "must set either a target raw value or a target utilization"))
    if target.get("averageUtilization") is not None and target.get("averageValue") is not None:
        errs.append(forbidden(f"{path}.target.averageValue",
                              "may not set both a target raw value and a target utilization"))
    return errs


def _metric(spec: Any, path: str) -> list[FieldError]:
    spec = spec if isinstance(spec, dict) else {}
    typ = spec.get("type")
    errs: list[FieldError] = []
    if not typ:
        errs.append(required(f"{path}.type", "must specify a metric source type"))
    if typ not in _METRIC_TYPES:
        errs.append(not_supported(f"{path}.type", typ or "", _METRIC_TYPES))
    present = [f for f in _SOURCE_FIELD.values() if spec.get(f) is not None]
    expected = _SOURCE_FIELD.get(typ, str(typ or "").lower())
    if expected not in present:
        errs.append(required(f"{path}.{expected}", "must populate information for the given metric source"))
    for f in present:
        if f != expected:
            errs.append(forbidden(f"{path}.{f}", "must populate the given metric source only"))
    if expected in ("resource", "containerResource") and isinstance(spec.get(expected), dict):
        errs += _resource_source(spec[expected], f"{path}.{expected}")
        if expected == "containerResource" and not spec[expected].get("container"):
            errs.append(required(f"{path}.{expected}.container", "must specify a container"))
    return errs


def _scaling_rules(rules: Any, path: str) -> list[FieldError]:
    if not isinstance(rules, dict):
        return []
    errs: list[FieldError] = []
    window = rules.get("stabilizationWindowSeconds")
    if window is not None:
        if window < 0:
            errs.append(invalid(f"{path}.stabilizationWindowSeconds", window, "must be greater than or equal to zero"))
        elif window > MAX_STABILIZATION_WINDOW_SECONDS:
            errs.append(invalid(f"{path}.stabilizationWindowSeconds", window,
                                f"must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}"))
    select = rules.get("selectPolicy")
    if select is not None and select not in ("Max", "Min", "Disabled"):
        errs.append(not_supported(f"{path}.selectPolicy", select, ["Disabled", "Max", "Min"]))
    policies = rules.get("policies")
    if not policies:
        errs.append(required(f"{path}.policies", "must specify at least one Policy"))
    for i, p in enumerate(policies or ()):
        pp = f"{path}.policies[{i}]"
        p = p if isinstance(p, dict) else {}
        if p.get("type") not in ("Pods", "Percent"):
            errs.append(not_supported(f"{pp}.type", p.get("type", ""), ["Percent", "Pods"]))
        value = p.get("value")
        if _int(value) is None or value <= 0:
            errs.append(invalid(f"{pp}.value", value, "must be greater than zero"))
        period = p.get("periodSeconds")
        if _int(period) is None or period <= 0:
            errs.append(invalid(f"{pp}.periodSeconds", period, "must be greater than zero"))
        elif period > MAX_PERIOD_SECONDS:
            errs.append(invalid(f"{pp}.periodSeconds", period, f"must be less than or equal to {MAX_PERIOD_SECONDS}"))
    return errs


def validate_hpa(obj: dict) -> list[FieldError]:
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    errs: list[FieldError] = []
    lo, hi = spec.get("minReplicas"), spec.get("maxReplicas")
    if lo is not None and lo < 1:
        errs.append(invalid("spec.minReplicas", lo, "must be greater than or equal to 1"))
    if hi is None or hi < 1:
        errs.append(invalid("spec.maxReplicas", hi or 0, "must be greater than 0"))
    if lo is not None and hi is not None and hi < lo:
        errs.append(invalid("spec.maxReplicas", hi, "must be greater than or equal to `minReplicas`"))
    ref = spec.get("scaleTargetRef") if isinstance(spec.get("scaleTargetRef"), dict) else {}
    for key in ("kind", "name"):
        if not ref.get(key):
            errs.append(required(f"spec.scaleTargetRef.{key}", ""))
        else:
            errs += [invalid(f"spec.scaleTargetRef.{key}", ref[key], m) for m in _path_segment(str(ref[key]))]
    for i, m in enumerate(spec.get("metrics") or ()):
        errs += _metric(m, f"spec.metrics[{i}]")
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        errs += _scaling_rules(behavior.get("scaleUp"), "spec.behavior.scaleUp")
        errs += _scaling_rules(behavior.get("scaleDown"), "spec.behavior.scaleDown")
    return errs


class HorizontalPodAutoscalerStrategy(Strategy):
    info = BUILTIN["horizontalpodautoscalers"]
    status_subresource = True
    tracks_generation = True
    initial_status: dict = {"desiredReplicas": 0}   # currentReplicas is omitempty in v2

    def default(self, obj: dict) -> Any:
        default_hpa(obj)

    def name_errors(self, name: str) -> list[str]:
        return is_dns1123_subdomain(name)   # ValidateReplicationControllerName

    rules = staticmethod(validate_hpa)


STRATEGIES = (HorizontalPodAutoscalerStrategy,)
