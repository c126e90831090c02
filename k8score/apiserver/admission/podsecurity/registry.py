"""Which checks run for a level:version, in which order, and how their results add up.

Upstream: staging/src/k8s.io/pod-security-admission/policy/registry.go (checkRegistry,
populate, EvaluatePod) and policy/checks.go (AggregateCheckResults).

Rules, as upstream:

- ``privileged`` runs no check;
- ``baseline`` runs the baseline checks; ``restricted`` runs the restricted checks plus every
  baseline check that no restricted check overrides at that version;
- at version ``v1.N`` each check runs the newest of its versions whose minimum is <= N (a
  check that appeared later is absent); ``latest``, and any version newer than the emulated
  one, evaluate as the emulated version (:data:`~.levels.EMULATED_VERSION`);
- results come in check-ID order: baseline IDs sorted, then restricted IDs sorted, which is
  why ``privileged`` comes before ``allowPrivilegeEscalation`` in a message.

>>> pod = {"containers": [{"name": "nginx", "image": "nginx"}]}
>>> aggregate(evaluate("baseline", "latest", {}, pod)).allowed
True
>>> aggregate(evaluate("restricted", "latest", {}, pod)).forbidden_reason()
'allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._common import Check, CheckFn, CheckResult
from .checks_baseline import BASELINE_CHECKS
from .checks_restricted import RESTRICTED_CHECKS
from .levels import (BASELINE, EMULATED_VERSION, PRIVILEGED, LevelVersion, Version, parse_level,
                     parse_version)

UNKNOWN_FORBIDDEN_REASON = "unknown forbidden reason"  # checks.go


@dataclass
class AggregateCheckResult:
    """policy.AggregateCheckResult: the failed checks' reasons and details, in order."""

    allowed: bool
    forbidden_reasons: list[str] = field(default_factory=list)
    forbidden_details: list[str] = field(default_factory=list)

    def forbidden_reason(self) -> str:
        """``privileged, allowPrivilegeEscalation != false`` (namespace warnings use this)."""
        return ", ".join(self.forbidden_reasons)

    def forbidden_detail(self) -> str:
        """``privileged (container "x" must not ...), ...`` (refusals and warnings use this)."""
        return ", ".join(f"{r} ({d})" if d else r
                         for r, d in zip(self.forbidden_reasons, self.forbidden_details))


def aggregate(results: list[CheckResult]) -> AggregateCheckResult:
    """AggregateCheckResults: keep the failures, in evaluation order."""
    reasons, details = [], []
    for r in results:
        if not r.allowed:
            reasons.append(r.forbidden_reason or UNKNOWN_FORBIDDEN_REASON)
            details.append(r.forbidden_detail)
    return AggregateCheckResult(not reasons, reasons, details)


class Evaluator:
    """checkRegistry: ``evaluate_pod(lv, meta, spec)`` runs the checks of ``lv``.

    ``emulation_version`` (major, minor) caps "latest" (default: the simulated v1.37).
    """

    def __init__(self, checks: tuple[Check, ...] = BASELINE_CHECKS + RESTRICTED_CHECKS,
                 emulation_version: tuple[int, int] = EMULATED_VERSION):
        self._checks = checks
        newest = max((c.versions[-1].minimum for c in checks), default=Version(1, 0),
                     key=lambda ver: (ver.major, ver.minor))
        emulated = Version(*emulation_version)
        self.max_version = emulated if emulated.older(newest) else newest
        baseline_ids = sorted(c.id for c in checks if c.level == BASELINE)
        restricted_ids = sorted(c.id for c in checks if c.level != BASELINE)
        self._order = {cid: i for i, cid in enumerate(baseline_ids + restricted_ids)}
        self._cache: dict[tuple[str, Version], list[CheckFn]] = {}

    def evaluate_pod(self, lv: LevelVersion, meta: dict, spec: dict) -> list[CheckResult]:
        if lv.level == PRIVILEGED:
            return []
        version = self.max_version if self.max_version.older(lv.version) else lv.version
        key = (lv.level, version)
        if key not in self._cache:
            self._cache[key] = self._checks_for(lv.level, version)
        return [fn(meta, spec) for fn in self._cache[key]]

    def _checks_for(self, level: str, version: Version) -> list[CheckFn]:
        active: dict[str, tuple[CheckFn, tuple[str, ...]]] = {}
        for check in self._checks:
            current = None
            for vc in check.versions:
                if not version.older(vc.minimum):
                    current = vc
            if current is not None and (check.level == BASELINE or level != BASELINE):
                active[check.id] = (current.fn, current.overrides)
        if level != BASELINE:
            overridden = {o for _, overrides in active.values() for o in overrides}
            for cid in overridden:
                active.pop(cid, None)
        return [active[cid][0] for cid in sorted(active, key=self._order.__getitem__)]


_DEFAULT = Evaluator()


def evaluate(level: str, version: str, pod_meta: dict, pod_spec: dict) -> list[CheckResult]:
    """Run the checks of ``level`` ("privileged", "baseline", "restricted") at ``version``
    ("latest" or "v1.N") against a pod's metadata and spec; one result per check run.

    Raises ValueError for a level or version the namespace labels would refuse.
    """
    lvl, err = parse_level(level)
    if err:
        raise ValueError(f"level {level!r}: {err}")
    ver, err = parse_version(version)
    if err:
        raise ValueError(f"version {version!r}: {err}")
    return _DEFAULT.evaluate_pod(LevelVersion(lvl, ver), pod_meta if isinstance(pod_meta, dict) else {},
                                 pod_spec if isinstance(pod_spec, dict) else {})
