"""LimitRanger admission: default container resources, then enforce min/max/ratio.

Upstream: plugin/pkg/admission/limitranger/admission.go. For each LimitRange in the
namespace (sorted by name here; upstream uses its lister's order):

- **admit** (mutating, pods on CREATE): containers and init containers without a request
  or limit get the ``defaultRequest`` / ``default`` of the ``Container`` item, and the pod
  is annotated ``kubernetes.io/limit-ranger: LimitRanger plugin set: cpu request for
  container nginx; cpu limit for container nginx``;
- **validate** (pods on CREATE, PVCs on CREATE and UPDATE): ``Container`` items bound each
  container, ``Pod`` items the pod's totals, ``PersistentVolumeClaim`` items the claim's
  ``requests.storage``. All violations of one LimitRange are reported together, as
  ``utilerrors.NewAggregate`` prints them (one message bare, several in ``[a, b]``).

Comparisons are made in milli-units when every value fits (requestLimitEnforcedValues),
so 801m against a max of 800m is refused and 800m accepted. Upstream iterates Go maps,
so the order of several messages varies there; here resources are taken in sorted order.

Pod-level ``spec.resources`` (PodLevelResources, beta) is not modelled.
"""

from __future__ import annotations

import copy

from ...api.quantity import Quantity, canonical
from ..request import AdmissionAttributes, PluginContext
from .namespacelifecycle import new_forbidden
from .quota_eval import container_resources, parse_list, pod_resources

ANNOTATION = "kubernetes.io/limit-ranger"  # admission.go limitRangerAnnotation
# resource.MaxMilliValue: the largest value whose milli-units fit in an int64
_MAX_MILLI = ((1 << 63) - 1) // 1000
_ZERO = Quantity(0)


def limit_range_defaults(obj: dict) -> dict:
    """SetDefaults_LimitRangeItem (pkg/apis/core/v1/defaults.go) for ``Container`` items:
    ``default`` from ``max``, then ``defaultRequest`` from ``default``, then from ``min``.
    Registry defaulting for LimitRanges; idempotent, so the plugin applies it too."""
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    for item in spec.get("limits") or () if isinstance(spec.get("limits"), list) else ():
        if not isinstance(item, dict) or item.get("type") != "Container":
            continue
        for source, target in (("max", "default"), ("default", "defaultRequest"), ("min", "defaultRequest")):
            src, dst = item.get(source), item.get(target)
            if not isinstance(src, dict) or not src or not isinstance(dst, (dict, type(None))):
                continue
            dst = item[target] = dict(dst or {})
            for k in sorted(src):
                dst.setdefault(k, src[k])
    return obj


def _limits(lr: dict) -> list[dict]:
    spec = lr.get("spec") if isinstance(lr.get("spec"), dict) else {}
    items = spec.get("limits") if isinstance(spec.get("limits"), list) else []
    return [i for i in items if isinstance(i, dict)]


def _aggregate(msgs: list[str]) -> str:
    """utilerrors.NewAggregate(...).Error(): duplicates dropped, brackets when several."""
    unique = list(dict.fromkeys(msgs))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


def _values(*qs: Quantity) -> list[int]:
    """requestLimitEnforcedValues: milli-units when all fit, whole units otherwise."""
    whole = [q.int_value() for q in qs]
    if all(v <= _MAX_MILLI for v in whole):
        return [q.milli_value() for q in qs]
    return whole


def _min(kind: str, r: str, enforced: Quantity, req: dict, lim: dict) -> str | None:
    rq, lq = req.get(r), lim.get(r)
    have_req, have_lim, have_min = _values(rq or _ZERO, lq or _ZERO, enforced)
    e = enforced.canonical()
    if rq is None:
        return f"minimum {r} usage per {kind} is {e}.  No request is specified"
    if have_req < have_min:
        return f"minimum {r} usage per {kind} is {e}, but request is {rq.canonical()}"
    if lq is not None and have_lim < have_min:
        return f"minimum {r} usage per {kind} is {e}, but limit is {lq.canonical()}"
    return None


def _max(kind: str, r: str, enforced: Quantity, req: dict, lim: dict) -> str | None:
    rq, lq = req.get(r), lim.get(r)
    have_req, have_lim, have_max = _values(rq or _ZERO, lq or _ZERO, enforced)
    e = enforced.canonical()
    if lq is None:
        return f"maximum {r} usage per {kind} is {e}.  No limit is specified"
    if have_lim > have_max:
        return f"maximum {r} usage per {kind} is {e}, but limit is {lq.canonical()}"
    if rq is not None and have_req > have_max:
        return f"maximum {r} usage per {kind} is {e}, but request is {rq.canonical()}"
    return None


def _max_request(kind: str, r: str, enforced: Quantity, req: dict) -> str | None:
    """maxRequestConstraint: for PVCs, whose limits are not user input."""
    rq = req.get(r)
    have_req, _, have_max = _values(rq or _ZERO, _ZERO, enforced)
    e = enforced.canonical()
    if rq is None:
        return f"maximum {r} usage per {kind} is {e}.  No request is specified"
    if have_req > have_max:
        return f"maximum {r} usage per {kind} is {e}, but request is {rq.canonical()}"
    return None


def _ratio(kind: str, r: str, enforced: Quantity, req: dict, lim: dict) -> str | None:
    rq, lq = req.get(r), lim.get(r)
    have_req, have_lim, _ = _values(rq or _ZERO, lq or _ZERO, enforced)
    e = enforced.canonical()
    if rq is None or have_req == 0:
        return f"{r} max limit to request ratio per {kind} is {e}, but no request is specified or request is 0"
    if lq is None or have_lim == 0:
        return f"{r} max limit to request ratio per {kind} is {e}, but no limit is specified or limit is 0"
    observed = have_lim / have_req
    if enforced.int_value() <= _MAX_MILLI:
        exceeded = observed * 1000 > enforced.milli_value()
    else:
        exceeded = observed > enforced.int_value()
    if exceeded:
        return f"{r} max limit to request ratio per {kind} is {e}, but provided ratio is {observed:f}"
    return None


def _check(item: dict, kind: str, req: dict, lim: dict) -> list[str]:
    errs = []
    for field, fn in (("min", _min), ("max", _max), ("maxLimitRequestRatio", _ratio)):
        bounds = parse_list(item.get(field))
        for r in sorted(bounds):
            msg = fn(kind, r, bounds[r], req, lim)
            if msg:
                errs.append(msg)
    return errs


def validate_pod(lr: dict, pod: dict) -> list[str]:
    """PodValidateLimitFunc: every violation of one LimitRange, in order."""
    spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
    errs: list[str] = []
    for item in _limits(lr):
        if item.get("type") == "Container":
            for key in ("containers", "initContainers"):
                for c in spec.get(key) or () if isinstance(spec.get(key), list) else ():
                    if isinstance(c, dict):
                        errs += _check(item, "Container", container_resources(c, "requests"),
                                       container_resources(c, "limits"))
        elif item.get("type") == "Pod":
            errs += _check(item, "Pod", pod_resources(spec, "requests", overhead=False),
                           pod_resources(spec, "limits", overhead=False))
    return errs


def validate_pvc(lr: dict, pvc: dict) -> list[str]:
    """PersistentVolumeClaimValidateLimitFunc: min and max of ``requests``."""
    spec = pvc.get("spec") if isinstance(pvc.get("spec"), dict) else {}
    res = spec.get("resources") if isinstance(spec.get("resources"), dict) else {}
    requests = parse_list(res.get("requests"))
    errs: list[str] = []
    for item in _limits(lr):
        if item.get("type") != "PersistentVolumeClaim":
            continue
        lows, highs = parse_list(item.get("min")), parse_list(item.get("max"))
        errs += [m for r in sorted(lows) if (m := _min("PersistentVolumeClaim", r, lows[r], requests, {}))]
        errs += [m for r in sorted(highs)
                 if (m := _max_request("PersistentVolumeClaim", r, highs[r], requests))]
    return errs


def apply_defaults(lr: dict, pod: dict) -> None:
    """PodMutateLimitFunc: fill in missing requests/limits and annotate what was set."""
    default_req: dict = {}
    default_lim: dict = {}
    for item in _limits(lr):
        if item.get("type") == "Container":
            default_req.update({k: canonical(v) for k, v in parse_list_raw(item.get("defaultRequest")).items()})
            default_lim.update({k: canonical(v) for k, v in parse_list_raw(item.get("default")).items()})
    spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
    notes: list[str] = []
    for key, label in (("containers", "container"), ("initContainers", "init container")):
        for c in spec.get(key) or () if isinstance(spec.get(key), list) else ():
            if not isinstance(c, dict):
                continue
            res = c.get("resources")
            if res is None:
                res = {}
            if not isinstance(res, dict):
                continue
            set_lim = _fill(res, "limits", default_lim)
            set_req = _fill(res, "requests", default_req)
            if res:
                c["resources"] = res
            name = c.get("name", "")
            if set_req:
                notes.append(f"{', '.join(set_req)} request for {label} {name}")
            if set_lim:
                notes.append(f"{', '.join(set_lim)} limit for {label} {name}")
    if notes:
        meta = pod.setdefault("metadata", {})
        ann = meta.get("annotations")
        if not isinstance(ann, dict):
            ann = meta["annotations"] = {}
        ann[ANNOTATION] = "LimitRanger plugin set: " + "; ".join(notes)


def parse_list_raw(raw: object) -> dict:
    """The entries of a quantity map whose values parse (others are left alone)."""
    ok = parse_list(raw)
    return {k: raw[k] for k in ok} if isinstance(raw, dict) else {}


def _fill(res: dict, part: str, defaults: dict) -> list[str]:
    """Add the missing defaults to ``res[part]`` (created only when something is added:
    an empty map is not serialised upstream); returns the names added, sorted."""
    current = res.get(part)
    if current is not None and not isinstance(current, dict):
        return []
    added = sorted(k for k in defaults if k not in (current or {}))
    if added:
        current = res[part] = dict(current or {})
        for k in added:
            current[k] = defaults[k]
    return added


class LimitRanger:
    """The ``LimitRanger`` plugin: mutating and validating."""

    name = "LimitRanger"

    def __init__(self, ctx: PluginContext):
        self.ctx = ctx

    def handles(self, operation: str) -> bool:
        return operation in ("CREATE", "UPDATE")

    def _supports(self, a: AdmissionAttributes) -> str | None:
        """SupportsAttributes: pods on CREATE (containers are immutable afterwards), PVCs."""
        if a.subresource or a.info.group != "" or not isinstance(a.obj, dict):
            return None
        if a.info.kind == "Pod" and a.operation == "CREATE":
            return "pod"
        if a.info.kind == "PersistentVolumeClaim":
            return "pvc"
        return None

    def _ranges(self, a: AdmissionAttributes) -> list[dict]:
        old = a.old if isinstance(a.old, dict) else {}
        if (old.get("metadata") or {}).get("deletionTimestamp"):
            return []  # objects marked for deletion are left alone
        ranges = self.ctx.lister.list("limitranges", a.namespace)
        ranges = sorted(ranges, key=lambda lr: str((lr.get("metadata") or {}).get("name", "")))
        return [limit_range_defaults(copy.deepcopy(lr)) for lr in ranges]

    def admit(self, a: AdmissionAttributes) -> str | None:
        if self._supports(a) != "pod":
            return None
        ranges = self._ranges(a)
        for lr in ranges:
            apply_defaults(lr, a.obj)
        ann = ((a.obj.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION)
        return ann if ranges and ann else None

    def validate(self, a: AdmissionAttributes) -> str | None:
        kind = self._supports(a)
        if kind is None:
            return None
        for lr in self._ranges(a):
            errs = validate_pod(lr, a.obj) if kind == "pod" else validate_pvc(lr, a.obj)
            if errs:
                raise new_forbidden(a, _aggregate(errs))
        return None


__all__ = ["LimitRanger", "limit_range_defaults", "validate_pod", "validate_pvc", "apply_defaults",
           "ANNOTATION"]
