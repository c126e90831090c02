"""Strategies of apps/v1 DaemonSet, StatefulSet and ControllerRevision.

Upstream: pkg/registry/apps/{daemonset,statefulset,controllerrevision}/strategy.go,
defaulting in pkg/apis/apps/v1/defaults.go (``SetDefaults_DaemonSet``,
``SetDefaults_StatefulSet``), validation in pkg/apis/apps/validation/validation.go
(``ValidateDaemonSetSpec``, ``ValidateRollingUpdateDaemonSet``, ``ValidateStatefulSetSpec``,
``ValidateStatefulSetUpdate``, ``ValidateControllerRevision``). Messages are upstream's.

The DaemonSet strategy keeps the ``deprecated.daemonset.template.generation`` annotation the
way the internal ``spec.templateGeneration`` field does upstream: 1 on create, +1 whenever
the pod template changes (daemonset/strategy.go ``PrepareForUpdate``); the controller labels
its pods ``pod-template-generation`` from it.
"""

from __future__ import annotations

import re
from typing import Any

from ...api.field import FieldError, forbidden, invalid, not_supported, required
from ...api.resources import BUILTIN
from ...api.selectors import from_label_selector_dict
from .. import defaults
from ..validation.meta import annotations, labels
from ..validation.names import is_dns1123_label
from ..validation.pod import pod_spec
from ..validation.policy import persistent_volume_claim
# the Go-value renderings 422 messages show for maps and selectors (shared with Deployment)
from ..validation.workloads import _go_map, _go_selector, selector_update
from .scale import scale_subresource
from .strategy import Strategy

# pkg/apis/apps/v1/defaults.go SetDefaults_DaemonSet / SetDefaults_StatefulSet
DAEMONSET_MAX_UNAVAILABLE = 1
DAEMONSET_MAX_SURGE = 0
REVISION_HISTORY_LIMIT = 10
# k8s.io/api/apps/v1 types.go: DeprecatedTemplateGeneration
TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"

_DS_STRATEGIES = ["OnDelete", "RollingUpdate"]
_PERCENT = re.compile(r"^[0-9]+%$")


# -- defaulting ---------------------------------------------------------------------
def default_daemonset(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    us = spec.setdefault("updateStrategy", {})
    us.setdefault("type", "RollingUpdate")
    if us["type"] == "RollingUpdate":
        ru = us.get("rollingUpdate")
        if ru is None:
            ru = us["rollingUpdate"] = {}
        ru.setdefault("maxUnavailable", DAEMONSET_MAX_UNAVAILABLE)
        ru.setdefault("maxSurge", DAEMONSET_MAX_SURGE)
    spec.setdefault("revisionHistoryLimit", REVISION_HISTORY_LIMIT)
    defaults.template(obj)


def default_statefulset(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("podManagementPolicy", "OrderedReady")
    us = spec.setdefault("updateStrategy", {})
    if not us.get("type"):
        us["type"] = "RollingUpdate"
        us.setdefault("rollingUpdate", {})
    if us["type"] == "RollingUpdate" and isinstance(us.get("rollingUpdate"), dict):
        us["rollingUpdate"].setdefault("partition", 0)
    # StatefulSetAutoDeletePVC (GA in 1.32): both policies default to Retain
    policy = spec.setdefault("persistentVolumeClaimRetentionPolicy", {})
    policy.setdefault("whenDeleted", "Retain")
    policy.setdefault("whenScaled", "Retain")
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", REVISION_HISTORY_LIMIT)
    defaults.template(obj)
    for claim in spec.get("volumeClaimTemplates") or ():
        # SetDefaults_PersistentVolumeClaimSpec: volumeMode Filesystem
        if isinstance(claim, dict):
            claim.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
            claim.setdefault("apiVersion", "v1")
            claim.setdefault("kind", "PersistentVolumeClaim")


# -- validation ---------------------------------------------------------------------
def _nonneg(spec: dict, key: str, path: str) -> list[FieldError]:
    v = spec.get(key)
    if isinstance(v, int) and not isinstance(v, bool) and v < 0:
        return [invalid(path, v, "must be greater than or equal to 0")]
    return []


def _int_or_percent(value: Any, path: str) -> tuple[list[FieldError], int]:
    """ValidatePositiveIntOrPercent + IsNotMoreThan100Percent; returns (errors, value)."""
    if isinstance(value, str):
        if not _PERCENT.match(value):
            return [invalid(path, value, "a valid percent string must be a numeric string followed by an "
                            "ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")], 0
        n = int(value[:-1])
        return ([invalid(path, value, "must not be greater than 100%")] if n > 100 else []), n
    if isinstance(value, int) and not isinstance(value, bool):
        return ([invalid(path, value, "must be greater than or equal to 0")] if value < 0 else []), value
    return [invalid(path, value, "must be an integer or percentage (e.g '5%')")], 0


def _selector(spec: dict, kind: str) -> tuple[list[FieldError], Any]:
    sel = spec.get("selector")
    if sel is None:
        return [required("spec.selector", "")], None
    errs = labels(sel.get("matchLabels"), "spec.selector.matchLabels") if isinstance(sel, dict) else []
    if not isinstance(sel, dict) or not (sel.get("matchLabels") or sel.get("matchExpressions")):
        errs.append(invalid("spec.selector", _go_selector(sel), f"empty selector is invalid for {kind}"))
        return errs, None
    try:
        return errs, from_label_selector_dict(sel)
    except Exception:  # noqa: BLE001 - a malformed selector is one invalid field
        errs.append(invalid("spec.selector", _go_selector(sel), "invalid label selector"))
        return errs, None


def _template_common(spec: dict, kind: str) -> list[FieldError]:
    tspec = ((spec.get("template") or {}).get("spec")) or {}
    errs = []
    if tspec.get("restartPolicy") != "Always":
        errs.append(not_supported("spec.template.spec.restartPolicy", tspec.get("restartPolicy"), ["Always"]))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(forbidden("spec.template.spec.activeDeadlineSeconds",
                              f"activeDeadlineSeconds in {kind} is not Supported"))
    return errs


def _selector_matches_template(spec: dict, selector: Any) -> list[FieldError]:
    tlabels = (((spec.get("template") or {}).get("metadata")) or {}).get("labels") or {}
    if selector is not None and not selector.matches(tlabels):
        return [invalid("spec.template.metadata.labels", _go_map(tlabels),
                        "`selector` does not match template `labels`")]
    return []


def validate_daemonset(obj: dict) -> list[FieldError]:
    """ValidateDaemonSetSpec."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [required("spec", "")]
    errs, selector = _selector(spec, "daemonset")
    errs += _selector_matches_template(spec, selector)
    tpl = spec.get("template") or {}
    errs += labels((tpl.get("metadata") or {}).get("labels"), "spec.template.metadata.labels")
    errs += pod_spec(tpl.get("spec"), "spec.template.spec")
    errs += _template_common(spec, "DaemonSet")
    errs += _nonneg(spec, "minReadySeconds", "spec.minReadySeconds")
    us = spec.get("updateStrategy") or {}
    stype = us.get("type")
    if stype == "RollingUpdate":
        ru = us.get("rollingUpdate")
        path = "spec.updateStrategy.rollingUpdate"
        if ru is None:
            errs.append(required(path, ""))
        else:
            e1, unavailable = _int_or_percent(ru.get("maxUnavailable"), f"{path}.maxUnavailable")
            e2, surge = _int_or_percent(ru.get("maxSurge"), f"{path}.maxSurge")
            errs += e1 + e2
            if unavailable and surge:
                errs.append(invalid(f"{path}.maxSurge", ru.get("maxSurge"),
                                    "may not be set when maxUnavailable is non-zero"))
            elif not unavailable and not surge:
                errs.append(required(f"{path}.maxUnavailable", "cannot be 0 when maxSurge is 0"))
    elif stype != "OnDelete":
        errs.append(not_supported("spec.updateStrategy", stype, list(reversed(_DS_STRATEGIES))))
    errs += _nonneg(spec, "revisionHistoryLimit", "spec.revisionHistoryLimit")
    return errs


def validate_statefulset(obj: dict) -> list[FieldError]:
    """ValidateStatefulSetSpec (the pod template's spec is not validated, as upstream)."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [required("spec", "")]
    errs: list[FieldError] = []
    pmp = spec.get("podManagementPolicy")
    if not pmp:
        errs.append(required("spec.podManagementPolicy", ""))
    elif pmp not in ("OrderedReady", "Parallel"):
        errs.append(invalid("spec.podManagementPolicy", pmp, "must be 'OrderedReady' or 'Parallel'"))
    us = spec.get("updateStrategy") or {}
    stype = us.get("type")
    if not stype:
        errs.append(required("spec.updateStrategy", ""))
    elif stype == "OnDelete":
        if us.get("rollingUpdate") is not None:
            errs.append(invalid("spec.updateStrategy.rollingUpdate", us["rollingUpdate"],
                                "only allowed for updateStrategy 'RollingUpdate'"))
    elif stype == "RollingUpdate":
        errs += _nonneg(us.get("rollingUpdate") or {}, "partition", "spec.updateStrategy.rollingUpdate.partition")
    else:
        errs.append(invalid("spec.updateStrategy", us, "must be 'RollingUpdate' or 'OnDelete'"))
    policy = spec.get("persistentVolumeClaimRetentionPolicy") or {}
    for key in ("whenDeleted", "whenScaled"):
        if key in policy and policy[key] not in ("Retain", "Delete"):
            errs.append(not_supported(f"spec.persistentVolumeClaimRetentionPolicy.{key}", policy[key],
                                      ["Retain", "Delete"]))
    errs += _nonneg(spec, "replicas", "spec.replicas")
    errs += _nonneg(spec, "minReadySeconds", "spec.minReadySeconds")
    errs += _nonneg(spec.get("ordinals") or {}, "start", "spec.ordinals.start")
    sel_errs, selector = _selector(spec, "statefulset")
    errs += sel_errs + _selector_matches_template(spec, selector)
    tmeta = (spec.get("template") or {}).get("metadata") or {}
    errs += labels(tmeta.get("labels"), "spec.template.labels")
    errs += annotations(tmeta.get("annotations"), "spec.template.annotations")
    errs += _template_common(spec, "StatefulSet")
    for i, claim in enumerate(spec.get("volumeClaimTemplates") or ()):
        # the claims the controller creates must be valid PersistentVolumeClaims
        for e in persistent_volume_claim(claim if isinstance(claim, dict) else {}):
            e.field = f"spec.volumeClaimTemplates[{i}].{e.field}"
            errs.append(e)
    return errs


def statefulset_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateStatefulSetUpdate: only these spec fields may change."""
    mutable = ("replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
               "minReadySeconds")
    ns = {k: v for k, v in (new.get("spec") or {}).items() if k not in mutable}
    os_ = {k: v for k, v in (old.get("spec") or {}).items() if k not in mutable}
    if ns != os_:
        return [forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                                  "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                                  "'minReadySeconds' are forbidden")]
    return []


def validate_controller_revision(obj: dict) -> list[FieldError]:
    errs = []
    if obj.get("data") is None:
        errs.append(required("data", "data is mandatory"))
    return errs + _nonneg(obj, "revision", "revision")


def controller_revision_update(new: dict, old: dict) -> list[FieldError]:
    if new.get("data") != old.get("data"):
        return [invalid("data", _go_map(None) if new.get("data") is None else "runtime.RawExtension{...}",
                        "field is immutable")]
    return []


# -- strategies ---------------------------------------------------------------------
class DaemonSetStrategy(Strategy):
    info = BUILTIN["daemonsets"]
    status_subresource = True
    tracks_generation = True
    initial_status: dict = {"currentNumberScheduled": 0, "numberMisscheduled": 0,
                            "desiredNumberScheduled": 0, "numberReady": 0}

    def default(self, obj: dict) -> Any:
        default_daemonset(obj)

    def prepare_for_create(self, obj: dict, extra: Any = None) -> None:
        super().prepare_for_create(obj, extra)
        # daemonset/strategy.go PrepareForCreate: templateGeneration 1
        obj["metadata"].setdefault("annotations", {})[TEMPLATE_GENERATION] = "1"

    def prepare_for_update(self, new: dict, old: dict) -> None:
        super().prepare_for_update(new, old)
        # PrepareForUpdate: a changed pod template is a new template generation
        old_gen = ((old["metadata"].get("annotations") or {}).get(TEMPLATE_GENERATION)) or "1"
        gen = int(old_gen) if old_gen.isdigit() else 1
        if (new.get("spec") or {}).get("template") != (old.get("spec") or {}).get("template"):
            gen += 1
        new["metadata"].setdefault("annotations", {})[TEMPLATE_GENERATION] = str(gen)

    rules = staticmethod(validate_daemonset)
    update_rules = staticmethod(selector_update)


class StatefulSetStrategy(Strategy):
    info = BUILTIN["statefulsets"]
    subresources = {"scale": scale_subresource}   # storage.go ScaleREST (kubectl scale, the HPA)
    status_subresource = True
    tracks_generation = True
    initial_status: dict = {"replicas": 0, "availableReplicas": 0}

    def name_errors(self, name: str) -> list[str]:
        # ValidateStatefulSetName: a DNS-1123 label (pod names and hostnames derive from it)
        return is_dns1123_label(name)

    def default(self, obj: dict) -> Any:
        default_statefulset(obj)

    rules = staticmethod(validate_statefulset)
    update_rules = staticmethod(statefulset_update)


class ControllerRevisionStrategy(Strategy):
    info = BUILTIN["controllerrevisions"]
    rules = staticmethod(validate_controller_revision)
    update_rules = staticmethod(controller_revision_update)


STRATEGIES = (DaemonSetStrategy, StatefulSetStrategy, ControllerRevisionStrategy)
