"""KubeSchedulerConfiguration (``kubescheduler.config.k8s.io/v1``): profiles from YAML or a dict.

As ``pkg/scheduler/apis/config/v1`` (defaults, ``default_plugins.go``: ``mergePlugins``),
``pkg/scheduler/apis/config/validation`` (messages) and
``pkg/scheduler/framework/runtime/framework.go`` (``expandMultiPointPlugins``,
``getScoreWeights``). What is read::

    apiVersion: kubescheduler.config.k8s.io/v1
    kind: KubeSchedulerConfiguration
    percentageOfNodesToScore: 0            # 0 = adaptive; [0-100]
    profiles:
    - schedulerName: bin-packing
      percentageOfNodesToScore: 50         # overrides the global value for this profile
      plugins:
        multiPoint: {enabled: [{name: MyPlugin, weight: 3}], disabled: [{name: ImageLocality}]}
        score:      {enabled: [{name: NodeResourcesFit, weight: 5}], disabled: [{name: "*"}]}
      pluginConfig:
      - name: NodeResourcesFit
        args: {scoringStrategy: {type: MostAllocated, resources: [{name: cpu, weight: 1}]}}

Rules, as upstream: the default plugins (:data:`~.plugins.DEFAULT_PLUGINS`) are every
profile's ``multiPoint`` set; a custom ``multiPoint`` disables defaults by name (``"*"``:
all) and re-configures a default in place (its weight) or appends new plugins. At a
single extension point, ``disabled`` takes multi-point plugins out of that point only
(``"*"``: all of them), and ``enabled`` plugins come first, in their order, then the
remaining multi-point plugins. A Score weight given at ``score`` wins over the
multi-point one; weight 0 becomes 1.

Plugin args (``pluginConfig``), with upstream's defaults and validation:
NodeResourcesFit ``scoringStrategy`` (LeastAllocated / MostAllocated /
RequestedToCapacityRatio with ``requestedToCapacityRatio.shape``, ``resources``),
NodeResourcesBalancedAllocation ``resources``, PodTopologySpread ``defaultConstraints``
/ ``defaultingType``, InterPodAffinity ``hardPodAffinityWeight``, DefaultPreemption
``minCandidateNodesPercentage`` / ``minCandidateNodesAbsolute``, VolumeBinding
``bindTimeoutSeconds``; an out-of-tree plugin receives its ``args`` dict as given.

Errors raise :class:`ConfigError` (a ValueError) with upstream's field-path messages,
several joined as ``utilerrors.Aggregate`` prints them: ``[a, b]``.
"""

from __future__ import annotations

from typing import Any, Callable

from .framework import Profile
from .handle import PluginSpec
from .interface import EXTENSION_POINTS
from .plugins import DEFAULT_PLUGINS, DEFAULT_SCHEDULER_NAME, REGISTRY

API_VERSION = "kubescheduler.config.k8s.io/v1"
KIND = "KubeSchedulerConfiguration"
# config/v1/defaults.go: podInitialBackoffSeconds 1, podMaxBackoffSeconds 10
DEFAULT_POD_INITIAL_BACKOFF_SECONDS = 1
DEFAULT_POD_MAX_BACKOFF_SECONDS = 10
#: YAML key of each extension point -> the framework's name for it
POINTS = {name[0].lower() + name[1:]: name for name, _ in EXTENSION_POINTS}
_SUPPORTED_STRATEGIES = ("LeastAllocated", "MostAllocated", "RequestedToCapacityRatio")


class ConfigError(ValueError):
    """An invalid KubeSchedulerConfiguration (the message lists every field error)."""


class SchedulerConfiguration:
    """The validated, defaulted configuration: :attr:`profiles` ready for frameworks."""

    def __init__(self, profiles: list[Profile], percentage_of_nodes_to_score: int,
                 pod_initial_backoff_seconds: int, pod_max_backoff_seconds: int):
        self.profiles = profiles
        self.percentage_of_nodes_to_score = percentage_of_nodes_to_score
        self.pod_initial_backoff_seconds = pod_initial_backoff_seconds
        self.pod_max_backoff_seconds = pod_max_backoff_seconds

    @property
    def scheduler_names(self) -> list[str]:
        return [p.scheduler_name for p in self.profiles]


def _aggregate(errors: list[str]) -> str:
    """``utilerrors.Aggregate.Error()``: one message, or ``[m1, m2]`` without repeats."""
    seen: list[str] = []
    for e in errors:
        if e not in seen:
            seen.append(e)
    return seen[0] if len(seen) == 1 else "[" + ", ".join(seen) + "]"


def _go(v: Any) -> str:
    """A bad value as ``field.Error`` prints it (strings quoted)."""
    if isinstance(v, str):
        return '"' + v.replace('"', '\\"') + '"'
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _invalid(path: str, value: Any, detail: str) -> str:
    return f"{path}: Invalid value: {_go(value)}: {detail}"


def _int(errors: list[str], path: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(_invalid(path, value, "must be an integer"))
        return 0
    return value


def merge_registry(out_of_tree: dict[str, Callable] | None) -> dict[str, Callable]:
    """``Registry.Merge``: in-tree plugins plus the reader's; a name may not be reused."""
    merged = dict(REGISTRY)
    for name, factory in (out_of_tree or {}).items():
        if name in merged:
            raise ConfigError(f"a plugin named {name} already exists")
        merged[name] = factory
    return merged


def load_config(config: Any, registry: dict[str, Callable] | None = None) -> SchedulerConfiguration:
    """Parse (YAML text or dict), default and validate a KubeSchedulerConfiguration.

    A config without ``profiles`` gets the single ``default-scheduler`` profile."""
    if isinstance(config, SchedulerConfiguration):
        return config
    if isinstance(config, str):
        import yaml
        config = yaml.safe_load(config) or {}
    if not isinstance(config, dict):
        raise ConfigError(f"a KubeSchedulerConfiguration must be a mapping, got {type(config).__name__}")
    api_version = config.get("apiVersion", API_VERSION)
    if api_version != API_VERSION or config.get("kind", KIND) != KIND:
        raise ConfigError(f'no kind "{config.get("kind", KIND)}" is registered for version '
                          f'"{api_version}" in scheme "pkg/scheduler/apis/config/scheme/scheme.go:30"')
    reg = merge_registry(registry)
    errors: list[str] = []
    pct = config.get("percentageOfNodesToScore")
    if pct is not None:
        pct = _int(errors, "percentageOfNodesToScore", pct)
        if not 0 <= pct <= 100:
            errors.append(_invalid("percentageOfNodesToScore", pct, "not in valid range [0-100]"))
    initial = config.get("podInitialBackoffSeconds", DEFAULT_POD_INITIAL_BACKOFF_SECONDS)
    maximum = config.get("podMaxBackoffSeconds", DEFAULT_POD_MAX_BACKOFF_SECONDS)
    if initial <= 0:
        errors.append(_invalid("podInitialBackoffSeconds", initial, "must be greater than 0"))
    if maximum < initial:
        errors.append(_invalid("podMaxBackoffSeconds", maximum,
                               "must be greater than or equal to PodInitialBackoffSeconds"))
    raw_profiles = config.get("profiles")
    if raw_profiles is None:
        raw_profiles = [{}]
    if not raw_profiles:
        errors.append("profiles: Required value")
    profiles: list[Profile] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_profiles or ()):
        path = f"profiles[{i}]"
        raw = dict(raw or {})
        name = raw.get("schedulerName", DEFAULT_SCHEDULER_NAME if "schedulerName" not in raw else "")
        if not name:
            errors.append(f"{path}.schedulerName: Required value")
        elif name in seen:
            errors.append(f"{path}.schedulerName: Duplicate value: profiles[{seen[name]}].schedulerName")
        else:
            seen[name] = i
        ppct = raw.get("percentageOfNodesToScore")
        if ppct is not None:
            ppct = _int(errors, f"{path}.percentageOfNodesToScore", ppct)
            if not 0 <= ppct <= 100:
                errors.append(_invalid(f"{path}.percentageOfNodesToScore", ppct, "not in valid range [0-100]"))
        plugins = raw.get("plugins") or {}
        args = _plugin_args(errors, path, raw.get("pluginConfig") or [])
        profiles.append(_build(errors, path, name, plugins, args, reg,
                               ppct if ppct is not None else (pct if pct is not None else None)))
    _common_queue_sort(errors, raw_profiles or [])
    if errors:
        raise ConfigError(_aggregate(errors))
    return SchedulerConfiguration(profiles, pct or 0, initial, maximum)


def _common_queue_sort(errors: list[str], raw_profiles: list) -> None:
    """``validateCommonQueueSort``: every profile sorts its queue the same way (one queue)."""
    def qs(raw):
        return ((raw or {}).get("plugins") or {}).get("queueSort") or {}
    canon = qs(raw_profiles[0]) if raw_profiles else {}
    if len(canon.get("enabled") or ()) > 1:
        errors.append(_invalid("profiles[0].plugins.queueSort.Enabled", len(canon["enabled"]),
                               "only one queue sort plugin can be enabled"))
    for i in range(1, len(raw_profiles)):
        if qs(raw_profiles[i]) != canon:
            errors.append(f"profiles[{i}].plugins.queueSort: Invalid value: {qs(raw_profiles[i])}: "
                          f"must be the same for all profiles")


# -- plugin sets --------------------------------------------------------------------------
def _names(plugin_set: dict, key: str) -> list[tuple[str, int]]:
    return [(p.get("name", ""), int(p.get("weight") or 0)) for p in (plugin_set or {}).get(key) or ()]


def merge_multi_point(custom: dict | None) -> list[tuple[str, int]]:
    """``mergePluginSet(defaults, custom.multiPoint)``: defaults minus the disabled (``"*"``:
    all), re-configured defaults replaced in place, other custom plugins appended."""
    disabled = {n for n, _ in _names(custom, "disabled")}
    enabled = _names(custom, "enabled")
    by_name = {n: (i, (n, w)) for i, (n, w) in enumerate(enabled)}
    out: list[tuple[str, int]] = []
    replaced: set[int] = set()
    if "*" not in disabled:
        for name, weight in DEFAULT_PLUGINS:
            if name in disabled:
                continue
            if name in by_name:
                idx, entry = by_name[name]
                replaced.add(idx)
                out.append(entry)
            else:
                out.append((name, weight))
    out.extend(e for i, e in enumerate(enabled) if i not in replaced)
    return out


def _build(errors: list[str], path: str, name: str, plugins: dict, args: dict[str, dict],
           reg: dict[str, Callable], pct: int | None) -> Profile:
    unknown = [k for k in plugins if k != "multiPoint" and k not in POINTS]
    for k in unknown:
        errors.append(f'{path}.plugins: Invalid value: "{k}": unknown extension point')
    multi = merge_multi_point(plugins.get("multiPoint"))
    order: list[str] = []
    weights: dict[str, int] = {}
    # where a name first appears: framework.go reports an unknown multi-point plugin at the
    # first extension point it expands (PreFilter), a specific one at its own point
    first_point: dict[str, str] = {}
    for n, _ in multi:
        if n not in order:
            order.append(n)
            first_point[n] = "PreFilter"
    specific: dict[str, dict] = {POINTS[k]: v or {} for k, v in plugins.items() if k in POINTS}
    for point, pset in specific.items():
        for n, _ in _names(pset, "enabled"):
            if n not in order:
                order.append(n)
                first_point[n] = point
    specs = []
    for n in order:
        if n not in reg:
            errors.append(f"initializing profiles: creating profile for scheduler name {name}: "
                          f'{first_point[n]}Plugin "{n}" does not exist')
            continue
        specs.append(PluginSpec(n, reg[n], args.get(n, {})))
    # getScoreWeights: the score point's weights first, then multi-point ones
    for n, w in _names(specific.get("Score"), "enabled") + multi:
        weights.setdefault(n, w)

    def expand(built: dict[str, Any]) -> dict[str, list[str]]:
        return expand_points(name, multi, specific, built)

    return Profile(name, [(s, weights.get(s.name, 0)) for s in specs], pct, expand=expand)


def expand_points(profile_name: str, multi: list[tuple[str, int]], specific: dict[str, dict],
                  built: dict[str, Any]) -> dict[str, list[str]]:
    """``expandMultiPointPlugins``: the plugin names at each extension point, given the built
    plugins (a plugin is placed only at the points it implements)."""
    out: dict[str, list[str]] = {}
    for point, iface in EXTENSION_POINTS:
        pset = specific.get(point) or {}
        enabled = [n for n, _ in _names(pset, "enabled")]
        disabled = {n for n, _ in _names(pset, "disabled")}
        for n in enabled:
            if n in built and not isinstance(built[n], iface):
                raise ConfigError(f"initializing profiles: creating profile for scheduler name "
                                  f'{profile_name}: plugin "{n}" does not extend {point}Plugin plugin')
        if "*" in disabled:
            out[point] = enabled
            continue
        override: list[str] = []
        from_multi: list[str] = []
        for n, _ in multi:
            pl = built.get(n)
            if pl is None or not isinstance(pl, iface) or n in disabled:
                continue
            if n in enabled:
                override.append(n)
                continue
            if n not in from_multi:
                from_multi.append(n)
        first = [n for n in enabled if n in override]
        rest = [n for n in enabled if n not in override]
        out[point] = first + from_multi + rest
    return out


# -- plugin args ----------------------------------------------------------------------
def _plugin_args(errors: list[str], path: str, configs: list) -> dict[str, dict]:
    """``pluginConfig``: each plugin's args, defaulted and validated, as constructor kwargs."""
    out: dict[str, dict] = {}
    for i, pc in enumerate(configs):
        p = f"{path}.pluginConfig[{i}]"
        name = (pc or {}).get("name", "")
        args = (pc or {}).get("args") or {}
        if name in out:
            errors.append(f'{p}: Duplicate value: "{name}"')
            continue
        conv = _ARGS.get(name)
        out[name] = conv(errors, f"{p}.args", args) if conv is not None else dict(args)
    return out


def _fit_args(errors: list[str], path: str, args: dict) -> dict:
    strategy = args.get("scoringStrategy") or {"type": "LeastAllocated"}
    sp = f"{path}.scoringStrategy"
    typ = strategy.get("type") or "LeastAllocated"
    if typ not in _SUPPORTED_STRATEGIES:
        errors.append(f'{sp}.type: Unsupported value: {_go(typ)}: supported values: '
                      + ", ".join(f'"{s}"' for s in _SUPPORTED_STRATEGIES))
    resources = strategy.get("resources") or [{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}]
    for j, r in enumerate(resources):
        w = r.get("weight", 1)
        if not 0 < w <= 100:
            errors.append(_invalid(f"{sp}.resources[{j}].weight", w,
                                   f"resource weight of {r.get('name')} not in valid range (0, 100]"))
    out: dict[str, Any] = {"strategy": typ, "resources": tuple((r["name"], int(r.get("weight", 1)))
                                                               for r in resources)}
    rtcr = strategy.get("requestedToCapacityRatio")
    if typ == "RequestedToCapacityRatio":
        if rtcr is None:
            errors.append(f"{sp}.requestedToCapacityRatio: Required value: "
                          f"must be specified when type is RequestedToCapacityRatio")
        else:
            shape = rtcr.get("shape") or []
            _validate_shape(errors, f"{sp}.requestedToCapacityRatio.shape", shape)
            out["shape"] = tuple((int(pt.get("utilization", 0)), int(pt.get("score", 0))) for pt in shape)
    elif rtcr is not None:
        errors.append(f"{sp}.requestedToCapacityRatio: Forbidden: must be nil when type is not "
                      f"RequestedToCapacityRatio")
    return out


def _validate_shape(errors: list[str], path: str, shape: list) -> None:
    """``validateFunctionShape``: increasing utilization in [0, 100], scores in [0, 10]."""
    if not shape:
        errors.append(f"{path}: Required value: at least one point must be specified")
        return
    for i in range(1, len(shape)):
        if shape[i - 1].get("utilization", 0) >= shape[i].get("utilization", 0):
            errors.append(_invalid(f"{path}[{i}].utilization", shape[i].get("utilization", 0),
                                   "values must be sorted in increasing order"))
            break
    for i, pt in enumerate(shape):
        u, sc = pt.get("utilization", 0), pt.get("score", 0)
        if not 0 <= u <= 100:
            errors.append(_invalid(f"{path}[{i}].utilization", u, "not in valid range [0, 100]"))
        if not 0 <= sc <= 10:
            errors.append(_invalid(f"{path}[{i}].score", sc, "not in valid range [0, 10]"))


def _balanced_args(errors: list[str], path: str, args: dict) -> dict:
    resources = args.get("resources") or [{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}]
    seen: set[str] = set()
    for j, r in enumerate(resources):
        if r.get("name") in seen:
            errors.append(f'{path}.resources[{j}].name: Duplicate value: {_go(r.get("name"))}')
        seen.add(r.get("name"))
        if r.get("weight", 1) != 1:
            errors.append(_invalid(f"{path}.resources[{j}].weight", r.get("weight"), "must be 1"))
    return {"resources": tuple((r["name"], 1) for r in resources)}


def _spread_args(errors: list[str], path: str, args: dict) -> dict:
    from .plugins.pod_topology_spread import SYSTEM_DEFAULT_CONSTRAINTS
    constraints = list(args.get("defaultConstraints") or ())
    # config/v1/defaults.go: DefaultingType "System" unless constraints are listed
    typ = args.get("defaultingType") or ("List" if constraints else "System")
    if typ not in ("System", "List"):
        errors.append(f'{path}.defaultingType: Unsupported value: {_go(typ)}: supported values: "System", "List"')
    elif typ == "System" and constraints:
        errors.append(_invalid(f"{path}.defaultingType", typ, "when .defaultConstraints are not empty"))
    for i, c in enumerate(constraints):
        p = f"{path}.defaultConstraints[{i}]"
        if int(c.get("maxSkew") or 0) <= 0:
            errors.append(_invalid(f"{p}.maxSkew", int(c.get("maxSkew") or 0), "not in valid range (0, inf)"))
        if not c.get("topologyKey"):
            errors.append(f"{p}.topologyKey: Required value: can not be empty")
        wu = c.get("whenUnsatisfiable")
        if not wu:
            errors.append(f"{p}.whenUnsatisfiable: Required value: can not be empty")
        elif wu not in ("DoNotSchedule", "ScheduleAnyway"):
            errors.append(f'{p}.whenUnsatisfiable: Unsupported value: {_go(wu)}: supported values: '
                          f'"DoNotSchedule", "ScheduleAnyway"')
        if c.get("labelSelector") is not None:
            errors.append(f"{p}.labelSelector: Forbidden: constraint must not define a selector, "
                          f"as they deduced for each pod")
        for j in range(i):
            o = constraints[j]
            if (o.get("topologyKey"), o.get("whenUnsatisfiable")) == (c.get("topologyKey"), wu):
                errors.append(f'{path}.defaultConstraints[{i}]: Duplicate value: "{{{c.get("topologyKey")}, {wu}}}"')
                break
    if typ == "System":
        return {"default_constraints": SYSTEM_DEFAULT_CONSTRAINTS, "defaulting_type": "System"}
    return {"default_constraints": tuple(constraints), "defaulting_type": "List"}


def _affinity_args(errors: list[str], path: str, args: dict) -> dict:
    w = args.get("hardPodAffinityWeight", 1)   # config/v1/defaults.go: 1
    if not 0 <= w <= 100:
        errors.append(_invalid(f"{path}.hardPodAffinityWeight", w, "not in valid range [0, 100]"))
    out = {"hard_pod_affinity_weight": int(w)}
    if args.get("ignorePreferredTermsOfExistingPods"):
        out["ignore_preferred_terms_of_existing_pods"] = True
    return out


def _preemption_args(errors: list[str], path: str, args: dict) -> dict:
    pct = args.get("minCandidateNodesPercentage", 10)   # config/v1/defaults.go: 10, 100
    ab = args.get("minCandidateNodesAbsolute", 100)
    pp, ap = f"{path}.minCandidateNodesPercentage", f"{path}.minCandidateNodesAbsolute"
    if not 0 <= pct <= 100:
        errors.append(_invalid(pp, pct, "not in valid range [0, 100]"))
    if ab < 0:
        errors.append(_invalid(ap, ab, "not in valid range [0, inf)"))
    if pct == 0 and ab == 0:
        errors.append(_invalid(pp, pct, "cannot be zero at the same time as minCandidateNodesAbsolute"))
        errors.append(_invalid(ap, ab, "cannot be zero at the same time as minCandidateNodesPercentage"))
    return {"min_candidate_nodes_percentage": int(pct), "min_candidate_nodes_absolute": int(ab)}


def _volume_binding_args(errors: list[str], path: str, args: dict) -> dict:
    t = args.get("bindTimeoutSeconds", 600)
    if t < 0:
        errors.append(_invalid(f"{path}.bindTimeoutSeconds", t,
                               "invalid BindTimeoutSeconds, should not be a negative value"))
    return {"bind_timeout_seconds": t}


_ARGS: dict[str, Callable[[list, str, dict], dict]] = {
    "NodeResourcesFit": _fit_args,
    "NodeResourcesBalancedAllocation": _balanced_args,
    "PodTopologySpread": _spread_args,
    "InterPodAffinity": _affinity_args,
    "DefaultPreemption": _preemption_args,
    "VolumeBinding": _volume_binding_args,
}
