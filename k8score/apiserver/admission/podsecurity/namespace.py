"""PodSecurity on namespaces: refuse bad labels, warn about pods a new enforce level refuses.

Upstream: staging/src/k8s.io/pod-security-admission/admission/admission.go
(ValidateNamespace, EvaluatePodsInNamespace, decoratePodWarnings, prioritizePods,
exemptNamespaceWarning).

- CREATE with a bad level or version label: 422 Invalid, e.g. ``Namespace "x" is invalid:
  metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "foo": must be one of
  privileged, baseline, restricted``. UPDATE refuses them too, unless the old labels had the
  very same errors (so a namespace that was already wrong can still be edited).
- UPDATE that tightens the enforce level (stricter level, or another version, and not
  privileged): every existing pod is evaluated against it and the namespace is still
  updated, with warnings: ``existing pods in namespace "x" violate the new PodSecurity
  enforce level "restricted:latest"`` followed by one line per distinct set of reasons,
  ``<first pod by name> (and N other pods): <reasons>``, the lines sorted.
"""

from __future__ import annotations

from ._common import mapping, seq
from .levels import PRIVILEGED, Policy, compare_levels, LevelVersion
from .registry import Evaluator, aggregate

#: defaultNamespaceMaxPodsToCheck (admission.go). Upstream also stops after 1 s of checking;
#: the simulation has no wall clock, so only the count bounds the work.
MAX_PODS_TO_CHECK = 3000


def exempt_namespace_warning(namespace: str, policy: Policy, defaults: Policy, labels: dict) -> str:
    """exemptNamespaceWarning: tell the user the labels on an exempt namespace do nothing."""
    if policy.fully_privileged() or policy.equivalent(defaults):
        return ""
    parts = []
    for mode, lv in (("enforce", policy.enforce), ("audit", policy.audit), ("warn", policy.warn)):
        label = "pod-security.kubernetes.io/" + mode
        if lv.level != PRIVILEGED and (label in labels or label + "-version" in labels):
            parts.append(f"{mode}={lv}")
    return (f'namespace "{namespace}" is exempt from Pod Security, and the policy '
            f'({", ".join(parts)}) will be ignored')


def enforce_tightened(new: LevelVersion, old: LevelVersion) -> bool:
    """Whether existing pods must be dry-run against ``new`` (admission.go ValidateNamespace):
    not when unchanged, not when privileged, not when only the level was relaxed."""
    if new == old or new.level == PRIVILEGED:
        return False
    return not (new.version == old.version and compare_levels(new.level, old.level) < 1)


def _controller_uid(pod: dict) -> str | None:
    for ref in seq(mapping(pod.get("metadata")).get("ownerReferences")):
        if isinstance(ref, dict) and ref.get("controller") is True:
            return str(ref.get("uid", ""))
    return None


def prioritize_pods(pods: list[dict], exempt_runtime_class) -> list[dict]:
    """prioritizePods: drop runtime-class-exempt pods; one pod per controller first, then the
    other replicas (they usually repeat the first one's warnings)."""
    first, duplicates, seen = [], [], set()
    for pod in pods:
        if exempt_runtime_class(mapping(pod.get("spec")).get("runtimeClassName")):
            continue
        uid = _controller_uid(pod)
        if uid is None:
            first.append(pod)
        elif uid in seen:
            duplicates.append(pod)
        else:
            seen.add(uid)
            first.append(pod)
    return first + duplicates


def evaluate_pods_in_namespace(evaluator: Evaluator, namespace: str, pods: list[dict],
                               enforce: LevelVersion, exempt_runtime_class,
                               max_pods: int = MAX_PODS_TO_CHECK) -> list[str]:
    """EvaluatePodsInNamespace: the warnings for ``pods`` (listed in any order) under ``enforce``."""
    # the watch cache lists in key order already; sorting keeps the answer independent of it
    pods = sorted((p for p in pods if isinstance(p, dict)),
                  key=lambda p: str(mapping(p.get("metadata")).get("name", "")))
    prioritized = prioritize_pods(pods, exempt_runtime_class)
    total = len(prioritized)
    checked = prioritized[:max_pods]
    reasons: list[str] = []                 # distinct reason strings, first-seen order
    counts: dict[str, list] = {}            # reasons -> [lexically first pod name, count]
    for pod in checked:
        meta = mapping(pod.get("metadata"))
        result = aggregate(evaluator.evaluate_pod(enforce, meta, mapping(pod.get("spec"))))
        if result.allowed:
            continue
        reason, name = result.forbidden_reason(), str(meta.get("name", ""))
        entry = counts.get(reason)
        if entry is None:
            counts[reason] = [name, 1]
            reasons.append(reason)
        else:
            entry[0] = min(entry[0], name)
            entry[1] += 1
    warnings = []
    if len(checked) < total:
        warnings.append(f"new PodSecurity enforce level only checked against the first "
                        f"{len(checked)} of {total} existing pods")
    if reasons:
        warnings.append(f'existing pods in namespace "{namespace}" violate the new PodSecurity '
                        f'enforce level "{enforce}"')
    lines = []
    for reason in reasons:
        name, n = counts[reason]
        if n == 1:
            lines.append(f"{name}: {reason}")
        elif n == 2:
            lines.append(f"{name} (and 1 other pod): {reason}")
        else:
            lines.append(f"{name} (and {n - 1} other pods): {reason}")
    return warnings + sorted(lines)
