"""Quota usage: resource-list arithmetic and the evaluators that measure an object.

Upstream the quota system is split in three places, reimplemented here as one module
that both the ResourceQuota admission plugin and the resourcequota controller use:

- k8s.io/apiserver/pkg/quota/v1/resources.go — ``Add``, ``SubtractWithNonNegativeResult``,
  ``Mask``, ``LessThanOrEqual``, ``RemoveZeros`` over ResourceLists;
- k8s.io/apiserver/pkg/quota/v1/generic/evaluator.go — ``Matches`` (a quota applies when
  one of its ``status.hard`` names is tracked and every scope matches) and the object-count
  evaluator (``count/<resource>.<group>``);
- pkg/quota/v1/evaluator/core/{pods,services,persistent_volume_claims,registry}.go — what a
  Pod, Service or PVC costs.

A ResourceList here is ``dict[str, Quantity]``; :func:`to_wire` turns it back into the
canonical strings stored in ``status.used``. Sums keep upstream's Quantity.Add rule: a zero
takes the format of what is added to it, so ``0 + 600Mi`` prints ``600Mi``.

>>> used = add(parse_list({"requests.memory": "0"}), parse_list({"requests.memory": "600Mi"}))
>>> to_wire(used)
{'requests.memory': '600Mi'}
>>> less_than_or_equal(parse_list({"pods": "3"}), parse_list({"pods": "2"}))
['pods']
"""

from __future__ import annotations

from typing import Any, Iterable

from ...api.quantity import DECIMAL_SI, Quantity, QuantityError, parse_quantity
from ...api.selectors import from_label_selector_dict
from ...sim.clock import parse as _parse_time

ResourceList = dict[str, Quantity]

# quota.ResourceName constants (k8s.io/api/core/v1/types.go)
PODS, SERVICES, PVCS = "pods", "services", "persistentvolumeclaims"
REQUESTS_PREFIX = "requests."                       # DefaultResourceRequestsPrefix
HUGEPAGES_PREFIX, REQUESTS_HUGEPAGES_PREFIX = "hugepages-", "requests.hugepages-"
STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io/"  # persistent_volume_claims.go
BETA_STORAGE_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"

# pkg/quota/v1/install/registry.go ignoredResources: never quota-ed
IGNORED = frozenset({
    ("bindings", ""), ("componentstatuses", ""), ("events", ""), ("events", "events.k8s.io"),
    ("tokenreviews", "authentication.k8s.io"), ("selfsubjectreviews", "authentication.k8s.io"),
    ("subjectaccessreviews", "authorization.k8s.io"),
    ("selfsubjectaccessreviews", "authorization.k8s.io"),
    ("localsubjectaccessreviews", "authorization.k8s.io"),
    ("selfsubjectrulesreviews", "authorization.k8s.io"),
})

# core/registry.go legacyObjectCountAliases
LEGACY_ALIASES = {"configmaps": "configmaps", "resourcequotas": "resourcequotas",
                  "replicationcontrollers": "replicationcontrollers", "secrets": "secrets"}


# -- ResourceList arithmetic (apiserver/pkg/quota/v1/resources.go) ------------------

def parse_list(raw: object) -> ResourceList:
    """A ``{name: quantity}`` map as Quantities; values that do not parse are skipped
    (validation refuses them before they are stored)."""
    out: ResourceList = {}
    if isinstance(raw, dict):
        for k, v in raw.items():
            if isinstance(k, str):
                try:
                    out[k] = parse_quantity(v)
                except (QuantityError, TypeError, ValueError, OverflowError):
                    continue
    return out


def to_wire(rl: ResourceList) -> dict[str, str]:
    """Canonical strings, keys sorted (how the API server serialises a ResourceList)."""
    return {k: rl[k].canonical() for k in sorted(rl)}


def qadd(a: Quantity, b: Quantity) -> Quantity:
    """Quantity.Add: a zero left side takes the right side's format."""
    return Quantity(a.value + b.value, b.format if a.value == 0 else a.format)


def add(a: ResourceList, b: ResourceList) -> ResourceList:
    out = dict(a)
    for k, v in b.items():
        out[k] = qadd(out[k], v) if k in out else v
    return out


def subtract_non_negative(a: ResourceList, b: ResourceList) -> ResourceList:
    zero = Quantity(0)
    out: ResourceList = {}
    for k, v in a.items():
        d = Quantity(v.value - b[k].value, v.format) if k in b else v
        out[k] = d if d.value > 0 else zero
    for k in b:
        out.setdefault(k, zero)
    return out


def mask(rl: ResourceList, names: Iterable[str]) -> ResourceList:
    keep = set(names)
    return {k: v for k, v in rl.items() if k in keep}


def less_than_or_equal(a: ResourceList, b: ResourceList) -> list[str]:
    """The names (sorted) for which ``a`` exceeds ``b``; empty means a <= b."""
    return sorted(k for k, v in b.items() if k in a and a[k].value > v.value)


def remove_zeros(rl: ResourceList) -> ResourceList:
    return {k: v for k, v in rl.items() if v.value != 0}


def equals(a: ResourceList, b: ResourceList) -> bool:
    return a.keys() == b.keys() and all(a[k].value == b[k].value for k in a)


def pretty(rl: ResourceList) -> str:
    """prettyPrint (admission/plugin/resourcequota/controller.go): ``k=v,k=v`` sorted."""
    return ",".join(f"{k}={rl[k].canonical()}" for k in sorted(rl))


def _add_into(target: ResourceList, more: ResourceList) -> None:
    for k, v in more.items():
        target[k] = qadd(target[k], v) if k in target else v


def _max_into(target: ResourceList, more: ResourceList) -> None:
    for k, v in more.items():
        if k not in target or v.value > target[k].value:
            target[k] = v


# -- pod resources (pkg/api/v1/resource/helpers.go PodRequests / PodLimits) ----------

def _containers(spec: dict, key: str) -> list[dict]:
    items = spec.get(key)
    return [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []


def container_resources(c: dict, part: str) -> ResourceList:
    res = c.get("resources")
    return parse_list(res.get(part)) if isinstance(res, dict) else {}


def pod_resources(spec: dict, part: str, overhead: bool = True) -> ResourceList:
    """Effective pod requests (``part="requests"``) or limits: the sum of the containers,
    restartable (sidecar) init containers added, and the largest init container as a floor.
    ``overhead`` adds ``spec.overhead`` (to every request; to limits that are set), as
    PodRequests/PodLimits do; the LimitRanger's simplified copy leaves it out."""
    total: ResourceList = {}
    for c in _containers(spec, "containers"):
        _add_into(total, container_resources(c, part))
    sidecars: ResourceList = {}
    init_floor: ResourceList = {}
    for c in _containers(spec, "initContainers"):
        own = container_resources(c, part)
        if c.get("restartPolicy") == "Always":
            _add_into(total, own)
            _add_into(sidecars, own)
            effective = sidecars
        else:
            effective = dict(own)
            _add_into(effective, sidecars)
        _max_into(init_floor, effective)
    _max_into(total, init_floor)
    if overhead:
        extra = parse_list(spec.get("overhead"))
        if part == "limits":
            extra = {k: v for k, v in extra.items() if k in total}
        _add_into(total, extra)
    return total


def is_best_effort(spec: dict) -> bool:
    """qos.GetPodQOS == BestEffort: no container asks for or caps cpu/memory (> 0)."""
    for key in ("initContainers", "containers"):
        for c in _containers(spec, key):
            for part in ("requests", "limits"):
                rl = container_resources(c, part)
                if any(rl[r].value > 0 for r in ("cpu", "memory") if r in rl):
                    return False
    return True


def quota_v1_pod(pod: dict, now: float) -> bool:
    """QuotaV1Pod: terminal pods, and pods stuck terminating past twice their grace
    period, are not charged for compute resources."""
    status = pod.get("status") if isinstance(pod.get("status"), dict) else {}
    if status.get("phase") in ("Failed", "Succeeded"):
        return False
    meta = pod.get("metadata") if isinstance(pod.get("metadata"), dict) else {}
    stamp, grace = meta.get("deletionTimestamp"), meta.get("deletionGracePeriodSeconds")
    if isinstance(stamp, str) and isinstance(grace, int) and not isinstance(grace, bool):
        try:
            if now > _parse_time(stamp) + grace:
                return False
        except ValueError:
            pass
    return True


def scope_selectors(quota: dict) -> list[dict]:
    """getScopeSelectorsFromQuota: ``spec.scopes`` as Exists requirements, then
    ``spec.scopeSelector.matchExpressions``."""
    spec = quota.get("spec") if isinstance(quota.get("spec"), dict) else {}
    out = [{"scopeName": s, "operator": "Exists"} for s in spec.get("scopes") or () if isinstance(s, str)]
    sel = spec.get("scopeSelector")
    if isinstance(sel, dict) and isinstance(sel.get("matchExpressions"), list):
        out += [e for e in sel["matchExpressions"] if isinstance(e, dict)]
    return out


def hard_of(quota: dict) -> ResourceList:
    st = quota.get("status")
    return parse_list(st.get("hard")) if isinstance(st, dict) else {}


def used_of(quota: dict) -> ResourceList:
    st = quota.get("status")
    return parse_list(st.get("used")) if isinstance(st, dict) else {}


def _one(value: int = 1) -> Quantity:
    return Quantity(value, DECIMAL_SI)


def _is_native(name: str) -> bool:
    """helper.IsNativeResource: unprefixed, or in the kubernetes.io/ namespace."""
    return "/" not in name or "kubernetes.io/" in name


def _spec(obj: Any) -> dict:
    spec = obj.get("spec") if isinstance(obj, dict) else None
    return spec if isinstance(spec, dict) else {}



# -- evaluators (pkg/quota/v1/evaluator/core, apiserver/pkg/quota/v1/generic) --------

def count_name(plural: str, group: str = "") -> str:
    """ObjectCountQuotaResourceNameFor: ``count/pods``, ``count/deployments.apps``."""
    return f"count/{plural}.{group}" if group else f"count/{plural}"


class Evaluator:
    """What quota needs to know about one kind of object.

    ``matches(quota, obj)`` — the quota tracks one of this evaluator's resources in its
    ``status.hard`` and ``obj`` matches every scope of the quota;
    ``usage(obj, now)`` — what the object costs; ``constraints(required, obj)`` — why the
    object may not be admitted at all under a quota tracking ``required`` (None: fine).
    """

    resource = ""
    group = ""
    #: admission operations whose delta is charged (CREATE only for object counts)
    operations: tuple[str, ...] = ("CREATE",)

    def __init__(self) -> None:
        self.names: tuple[str, ...] = (count_name(self.resource, self.group),)

    def handles(self, operation: str) -> bool:
        return operation in self.operations

    def matching_resources(self, names: Iterable[str]) -> list[str]:
        return sorted({n for n in names if n in self.names})

    def matches_scope(self, selector: dict, obj: dict) -> bool:
        return False  # generic.MatchesNoScopeFunc

    def matches_scopes(self, selectors: list[dict], obj: dict) -> bool:
        return all(self.matches_scope(s, obj) for s in selectors)

    def matches(self, quota: dict, obj: dict) -> bool:
        return bool(self.matching_resources(hard_of(quota))) and \
            self.matches_scopes(scope_selectors(quota), obj)

    def constraints(self, required: list[str], obj: dict) -> str | None:
        return None

    def usage(self, obj: dict, now: float) -> ResourceList:
        return {n: _one() for n in self.names}


class ObjectCountEvaluator(Evaluator):
    """generic.NewObjectCountEvaluator: one object costs 1 ``count/<resource>`` (and 1 of
    the legacy alias, e.g. ``configmaps``); only creations are charged."""

    def __init__(self, resource: str, group: str = "", alias: str | None = None):
        self.resource, self.group = resource, group
        super().__init__()
        if alias:
            self.names += (alias,)


class PodEvaluator(Evaluator):
    resource = PODS
    # pods.go podResources
    _NAMES = ("count/pods", "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory",
              "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage",
              "pods")
    # pods.go validationSet: "it was a mistake" — quota on these makes them mandatory per container
    _VALIDATION = frozenset({"cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu",
                             "limits.memory"})

    def matching_resources(self, names: Iterable[str]) -> list[str]:
        out = set()
        for n in names:
            if n in self._NAMES or n.startswith((HUGEPAGES_PREFIX, REQUESTS_HUGEPAGES_PREFIX)) \
                    or (not _is_native(n) and n.startswith(REQUESTS_PREFIX)):
                out.add(n)
        return sorted(out)

    def matches_scope(self, selector: dict, obj: dict) -> bool:
        spec = _spec(obj)
        scope = selector.get("scopeName")
        if scope in ("Terminating", "NotTerminating"):
            ads = spec.get("activeDeadlineSeconds")
            terminating = isinstance(ads, int) and not isinstance(ads, bool) and ads >= 0
            return terminating == (scope == "Terminating")
        if scope in ("BestEffort", "NotBestEffort"):
            return is_best_effort(spec) == (scope == "BestEffort")
        if scope == "PriorityClass":
            pc = spec.get("priorityClassName")
            pc = pc if isinstance(pc, str) else ""
            if selector.get("operator") == "Exists":
                return bool(pc)
            return _scope_label_match(selector, {"PriorityClass": pc} if pc else {})
        if scope == "CrossNamespacePodAffinity":
            return _cross_namespace_affinity(spec)
        return False

    def constraints(self, required: list[str], obj: dict) -> str | None:
        need = sorted(set(required) & self._VALIDATION)
        if not need:
            return None
        spec = _spec(obj)
        missing: dict[str, set[str]] = {}
        for key in ("containers", "initContainers"):
            for c in _containers(spec, key):
                have = _compute_usage(container_resources(c, "requests"), container_resources(c, "limits"))
                for r in need:
                    if r not in have:
                        missing.setdefault(r, set()).add(str(c.get("name", "")))
        if not missing:
            return None
        parts = [f"{r} for: {','.join(sorted(missing[r]))}" for r in sorted(missing)]
        return "must specify " + "; ".join(parts)

    def usage(self, obj: dict, now: float) -> ResourceList:
        # count/pods counts every stored pod; compute resources stop at end of life
        out: ResourceList = {"count/pods": _one()}
        if not quota_v1_pod(obj, now):
            return out
        spec = _spec(obj)
        return add(out, _compute_usage(pod_resources(spec, "requests"), pod_resources(spec, "limits")))


def _compute_usage(requests: ResourceList, limits: ResourceList) -> ResourceList:
    """podComputeUsageHelper: ``cpu`` and ``requests.cpu`` both mean the request."""
    out: ResourceList = {"pods": _one()}
    for r in ("cpu", "memory", "ephemeral-storage"):
        if r in requests:
            out[r] = out[REQUESTS_PREFIX + r] = requests[r]
        if r in limits:
            out["limits." + r] = limits[r]
    for r, q in requests.items():
        if r.startswith(HUGEPAGES_PREFIX):
            out[r] = out[REQUESTS_PREFIX + r] = q
        elif not _is_native(r) and not r.startswith(REQUESTS_PREFIX):
            out[REQUESTS_PREFIX + r] = q  # extended resources: only requests.<name> is allowed
    return out


def _scope_label_match(selector: dict, labels: dict) -> bool:
    """ScopedResourceSelectorRequirementsAsSelector: the scope name is the label key."""
    op = selector.get("operator")
    values = selector.get("values") if isinstance(selector.get("values"), list) else []
    try:
        sel = from_label_selector_dict({"matchExpressions": [
            {"key": selector.get("scopeName"), "operator": op, "values": values}]})
        return sel.matches(labels)
    except Exception:  # noqa: BLE001 — an unparsable selector matches nothing (upstream: error)
        return False


def _cross_namespace_affinity(spec: dict) -> bool:
    aff = spec.get("affinity") if isinstance(spec.get("affinity"), dict) else {}
    for kind in ("podAffinity", "podAntiAffinity"):
        a = aff.get(kind) if isinstance(aff.get(kind), dict) else {}
        terms = list(a.get("requiredDuringSchedulingIgnoredDuringExecution") or [])
        terms += [t.get("podAffinityTerm") for t in a.get("preferredDuringSchedulingIgnoredDuringExecution") or []
                  if isinstance(t, dict)]
        for t in terms:
            if isinstance(t, dict) and (t.get("namespaces") or t.get("namespaceSelector") is not None):
                return True
    return False


class ServiceEvaluator(Evaluator):
    resource = SERVICES
    operations = ("CREATE", "UPDATE")  # a service's type can change
    _NAMES = ("count/services", "services", "services.nodeports", "services.loadbalancers")

    def matching_resources(self, names: Iterable[str]) -> list[str]:
        return sorted({n for n in names if n in self._NAMES})

    def usage(self, obj: dict, now: float) -> ResourceList:
        spec = _spec(obj)
        ports = [p for p in spec.get("ports") or () if isinstance(p, dict)] \
            if isinstance(spec.get("ports"), list) else []
        out = {"count/services": _one(), "services": _one(),
               "services.loadbalancers": _one(0), "services.nodeports": _one(0)}
        kind = spec.get("type")
        if kind == "NodePort":
            out["services.nodeports"] = _one(len(ports))
        elif kind == "LoadBalancer":
            if spec.get("allocateLoadBalancerNodePorts") is False:
                # nodePorts are not allocated: only explicitly requested ones count
                out["services.nodeports"] = _one(sum(1 for p in ports if p.get("nodePort")))
            else:
                out["services.nodeports"] = _one(len(ports))
            out["services.loadbalancers"] = _one()
        return out


class PvcEvaluator(Evaluator):
    resource = PVCS
    operations = ("CREATE", "UPDATE")
    _NAMES = ("persistentvolumeclaims", "requests.storage")

    def matching_resources(self, names: Iterable[str]) -> list[str]:
        out = set()
        for n in names:
            if n == "count/persistentvolumeclaims" or n in self._NAMES or \
                    any(n.endswith(STORAGE_CLASS_SUFFIX + r) for r in self._NAMES):
                out.add(n)
        return sorted(out)

    def usage(self, obj: dict, now: float) -> ResourceList:
        out: ResourceList = {"persistentvolumeclaims": _one(), "count/persistentvolumeclaims": _one()}
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        ann = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
        spec = _spec(obj)
        cls = ann.get(BETA_STORAGE_CLASS_ANNOTATION, spec.get("storageClassName"))
        cls = cls if isinstance(cls, str) else ""
        if cls:
            out[cls + STORAGE_CLASS_SUFFIX + "persistentvolumeclaims"] = _one()
        res = spec.get("resources") if isinstance(spec.get("resources"), dict) else {}
        req = parse_list(res.get("requests")).get("storage")
        if req is not None:
            status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
            alloc = parse_list(status.get("allocatedResources")).get("storage")
            if alloc is not None and alloc.value > req.value:
                req = alloc  # an expansion in progress is charged at its larger size
            if req.value.denominator != 1:  # counted in whole bytes (issue 94313)
                req = Quantity(-((-req.value).__floor__()), req.format)
            out["requests.storage"] = req
            if cls:
                out[cls + STORAGE_CLASS_SUFFIX + "requests.storage"] = req
        return out


def evaluator_for(plural: str, group: str = "") -> Evaluator | None:
    """quota.Registry.Get, falling back to an object-count evaluator as admission does;
    None for ignored resources."""
    if (plural, group) in IGNORED:
        return None
    if not group:
        special = {PODS: PodEvaluator, SERVICES: ServiceEvaluator, PVCS: PvcEvaluator}.get(plural)
        if special is not None:
            return special()
    return ObjectCountEvaluator(plural, group, LEGACY_ALIASES.get(plural) if not group else None)


def registry(extra: Iterable[tuple[str, str]] = ()) -> list[Evaluator]:
    """core.NewEvaluators (pods, services, PVCs, legacy aliases) plus an object-count
    evaluator per ``(plural, group)`` in ``extra`` (upstream: every discovered resource)."""
    out: list[Evaluator] = [PodEvaluator(), ServiceEvaluator(), PvcEvaluator()]
    out += [ObjectCountEvaluator(p, "", a) for p, a in LEGACY_ALIASES.items()]
    seen = {(e.resource, e.group) for e in out}
    for plural, group in extra:
        if (plural, group) not in seen and (plural, group) not in IGNORED:
            seen.add((plural, group))
            out.append(ObjectCountEvaluator(plural, group))
    return out
