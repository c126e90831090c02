"""ReplicationController (core/v1): the legacy ReplicaSet (pkg/registry/core/replicationcontroller/
strategy.go).

What differs from a ReplicaSet: ``spec.selector`` is a plain label map (equality only, and it
may change after creation), and defaulting fills it — and the object's own labels — from the
template's labels (``SetDefaults_ReplicationController``), so a manifest may leave it out.
"""

from __future__ import annotations

import json
from typing import Any

from ...api.field import FieldError, GoValue, forbidden, invalid, not_supported, required
from ...api.resources import BUILTIN
from .. import defaults
from ..validation.meta import labels as label_errors
from ..validation.pod import pod_spec
from .strategy import Strategy


def default_rc(obj: dict) -> None:
    """pkg/apis/core/v1/defaults.go SetDefaults_ReplicationController (+ the template's pod defaults)."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    tpl = spec.get("template")
    tlabels = ((tpl or {}).get("metadata") or {}).get("labels") if isinstance(tpl, dict) else None
    if tlabels is not None:
        if not spec.get("selector"):
            spec["selector"] = dict(tlabels)
        meta = obj.setdefault("metadata", {})
        if not meta.get("labels"):
            meta["labels"] = dict(tlabels)
    spec.setdefault("replicas", 1)
    if isinstance(tpl, dict):
        tpl.setdefault("metadata", {})
        if isinstance(tpl.setdefault("spec", {}), dict):
            defaults.pod_spec(tpl["spec"])


def _go_map(m: object) -> GoValue:
    if not isinstance(m, dict):
        return GoValue("map[string]string(nil)")
    return GoValue("map[string]string{" + ", ".join(f"{json.dumps(k)}:{json.dumps(v)}"
                                                    for k, v in sorted(m.items())) + "}")


def validate_rc(obj: dict) -> list[FieldError]:
    """pkg/apis/core/validation ValidateReplicationControllerSpec + ValidatePodTemplateSpecForRC."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [required("spec", "")]
    errs: list[FieldError] = []
    mrs = spec.get("minReadySeconds") or 0
    if not isinstance(mrs, int) or mrs < 0:
        errs.append(invalid("spec.minReadySeconds", mrs, "must be greater than or equal to 0"))
    sel = spec.get("selector")
    if not sel:
        errs.append(required("spec.selector", ""))    # ValidateNonEmptySelector
    else:
        errs += label_errors(sel, "spec.selector")
    replicas = spec.get("replicas")
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        errs.append(invalid("spec.replicas", replicas, "must be an integer"))
    elif replicas < 0:
        errs.append(invalid("spec.replicas", replicas, "must be greater than or equal to 0"))
    tpl = spec.get("template")
    if not isinstance(tpl, dict):
        errs.append(required("spec.template", ""))
        return errs
    tlabels = (tpl.get("metadata") or {}).get("labels") or {}
    if isinstance(sel, dict) and sel and not all(tlabels.get(k) == v for k, v in sel.items()):
        errs.append(invalid("spec.template.metadata.labels", _go_map(tlabels),
                            "`selector` does not match template `labels`"))
    errs += label_errors(tlabels, "spec.template.metadata.labels")
    tspec = tpl.get("spec")
    errs += pod_spec(tspec, "spec.template.spec")
    if isinstance(tspec, dict):
        if tspec.get("restartPolicy") != "Always":
            errs.append(not_supported("spec.template.spec.restartPolicy", tspec.get("restartPolicy"), ["Always"]))
        if tspec.get("activeDeadlineSeconds") is not None:
            errs.append(forbidden("spec.template.spec.activeDeadlineSeconds",
                                  "activeDeadlineSeconds in ReplicationController is not Supported"))
    return errs


class ReplicationControllerStrategy(Strategy):
    info = BUILTIN["replicationcontrollers"]
    status_subresource = True
    tracks_generation = True
    initial_status: dict = {}
    # replicationcontroller/strategy.go: ReplicationControllerToSelectableFields
    field_labels = ("status.replicas",)

    def default(self, obj: dict) -> Any:
        default_rc(obj)

    rules = staticmethod(validate_rc)


STRATEGIES = (ReplicationControllerStrategy,)
