"""The HPA controller's normalisation of a proposed replica count (pkg/controller/podautoscaler/
horizontal.go normalizeDesiredReplicas, normalizeDesiredReplicasWithBehaviors,
stabilizeRecommendation(WithBehaviors), storeScaleEvent) and its conditions (setConditionInList).

Per HPA the controller remembers its recent recommendations ``[[replicas, time]]`` and, for an
HPA with a ``behavior``, its scale events ``[[change, time, outdated]]`` — in memory only, as
upstream: a restarted controller manager starts from the current replica count.
"""

from __future__ import annotations

import copy
from typing import Any

from ..apiserver.registry.autoscaling import SCALE_DOWN_DEFAULTS, SCALE_UP_DEFAULTS
from ..sim.clock import rfc3339
from . import podautoscaler_replicas as rc


def set_condition(hpa: dict, kind: str, status: str, reason: str, message: str, now: float) -> None:
    """horizontal.go setConditionInList: update in place; the transition time moves only when
    the status changes; a new condition goes last."""
    conds = hpa.setdefault("status", {}).setdefault("conditions", [])
    for c in conds:
        if c.get("type") == kind:
            break
    else:
        c = {"type": kind}
        conds.append(c)
    if c.get("status") != status:
        c["lastTransitionTime"] = rfc3339(now)
    c["status"], c["reason"], c["message"] = status, reason, message
    # the API's field order: type, status, lastTransitionTime, reason, message
    ordered = {k: c[k] for k in ("type", "status", "lastTransitionTime", "reason", "message") if k in c}
    c.clear()
    c.update(ordered)


class Normalizer:
    """Mixin of :class:`~k8score.controllers.podautoscaler.HorizontalPodAutoscalerController`."""

    recommendations: dict[str, list[list]]
    scale_up_events: dict[str, list[list]]
    scale_down_events: dict[str, list[list]]

    def _normalize(self, hpa: dict, key: str, current: int, desired: int, lo: int, now: float) -> int:
        """normalizeDesiredReplicas + stabilizeRecommendation (behaviour-less HPA)."""
        recs = self.recommendations.setdefault(key, [])
        best, old = desired, None
        cutoff = now - rc.DOWNSCALE_STABILIZATION_WINDOW
        for i, (value, when) in enumerate(recs):
            if when < cutoff:
                old = i
            elif value > best:
                best = value
        if old is not None:
            recs[old] = [desired, now]
        else:
            recs.append([desired, now])
        if best != desired:
            set_condition(hpa, "AbleToScale", "True", "ScaleDownStabilized",
                          "recent recommendations were higher than current one, applying the highest recent "
                          "recommendation", now)
        else:
            set_condition(hpa, "AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size", now)
        out, reason, message = rc.convert_with_rules(current, best, lo, hpa["spec"].get("maxReplicas", 1))
        set_condition(hpa, "ScalingLimited", "False" if out == best else "True", reason, message, now)
        return out

    def _normalize_with_behaviors(self, hpa: dict, key: str, current: int, desired: int, lo: int, now: float) -> int:
        """normalizeDesiredReplicasWithBehaviors + stabilizeRecommendationWithBehaviors."""
        behavior = copy.deepcopy(hpa["spec"]["behavior"])
        behavior["scaleUp"] = {**SCALE_UP_DEFAULTS, **(behavior.get("scaleUp") or {})}
        behavior["scaleDown"] = {**SCALE_DOWN_DEFAULTS, **(behavior.get("scaleDown") or {})}
        if behavior["scaleDown"].get("stabilizationWindowSeconds") is None:   # maybeInitScaleDownStabilizationWindow
            behavior["scaleDown"]["stabilizationWindowSeconds"] = int(rc.DOWNSCALE_STABILIZATION_WINDOW)
        up_cut = now - behavior["scaleUp"].get("stabilizationWindowSeconds", 0)
        down_cut = now - behavior["scaleDown"]["stabilizationWindowSeconds"]
        up, down, old = desired, desired, None
        recs = self.recommendations.setdefault(key, [])
        for i, (value, when) in enumerate(recs):
            if when > up_cut:
                up = min(value, up)
            if when > down_cut:
                down = max(value, down)
            if when < up_cut and when < down_cut:
                old = i
        stabilized = min(max(current, up), down)
        if old is not None:
            recs[old] = [desired, now]
        else:
            recs.append([desired, now])
        if stabilized != desired:
            if desired >= current:
                set_condition(hpa, "AbleToScale", "True", "ScaleUpStabilized",
                              "recent recommendations were lower than current one, applying the lowest recent "
                              "recommendation", now)
            else:
                set_condition(hpa, "AbleToScale", "True", "ScaleDownStabilized",
                              "recent recommendations were higher than current one, applying the highest recent "
                              "recommendation", now)
        else:
            set_condition(hpa, "AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size", now)
        out, reason, message = rc.convert_with_behavior_rate(
            current, stabilized, lo, hpa["spec"].get("maxReplicas", 1), behavior,
            self.scale_up_events.get(key, []), self.scale_down_events.get(key, []), now)
        set_condition(hpa, "ScalingLimited", "False" if out == stabilized else "True", reason, message, now)
        return out

    def _store_scale_event(self, behavior: Any, key: str, before: int, after: int, now: float) -> None:
        """storeScaleEvent: only HPAs with a behavior keep them; an event older than the longest
        policy period is reused."""
        if behavior is None:
            return
        up = after > before
        rules = {**(SCALE_UP_DEFAULTS if up else SCALE_DOWN_DEFAULTS), **(behavior.get("scaleUp" if up else "scaleDown") or {})}
        longest = max((p.get("periodSeconds", 0) for p in rules.get("policies") or ()), default=0)
        events = (self.scale_up_events if up else self.scale_down_events).setdefault(key, [])
        for e in events:
            if e[1] <= now - longest:
                e[2] = True      # markScaleEventsOutdated
        change = after - before if up else before - after
        for i, e in enumerate(events):
            if e[2]:
                events[i] = [change, now, False]
                return
        events.append([change, now, False])



__all__ = ["Normalizer", "set_condition"]
