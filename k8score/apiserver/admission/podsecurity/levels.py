"""Pod Security levels, versions, namespace labels and the policy they make.

Upstream: staging/src/k8s.io/pod-security-admission/api/constants.go and api/helpers.go.

A namespace's labels ``pod-security.kubernetes.io/<mode>`` and ``<mode>-version`` give one
:class:`LevelVersion` per mode (enforce, audit, warn); missing labels fall back to the
configured defaults. Bad values are reported as field errors, and the policy still comes
back usable: a bad enforce level means ``restricted`` (fail closed), a bad audit or warn
level means ``privileged`` (fail open), a bad version means ``latest``.

>>> p, errs = policy_to_evaluate({"pod-security.kubernetes.io/enforce": "baseline"}, default_policy())
>>> str(p.enforce), str(p.warn), errs
('baseline:latest', 'baseline:latest', [])
>>> p, errs = policy_to_evaluate({"pod-security.kubernetes.io/enforce": "foo"}, default_policy())
>>> str(p.enforce), [str(e) for e in errs]
('restricted:latest', ['metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "foo": \
must be one of privileged, baseline, restricted'])
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ....api import field
from ....api.field import FieldError

# api/constants.go: Level
PRIVILEGED = "privileged"
BASELINE = "baseline"
RESTRICTED = "restricted"
LEVELS = (PRIVILEGED, BASELINE, RESTRICTED)  # validLevels, in upstream's order

VERSION_LATEST = "latest"

# api/constants.go: labels and audit annotation keys
LABEL_PREFIX = "pod-security.kubernetes.io/"
ENFORCE_LEVEL_LABEL = LABEL_PREFIX + "enforce"
ENFORCE_VERSION_LABEL = LABEL_PREFIX + "enforce-version"
AUDIT_LEVEL_LABEL = LABEL_PREFIX + "audit"
AUDIT_VERSION_LABEL = LABEL_PREFIX + "audit-version"
WARN_LEVEL_LABEL = LABEL_PREFIX + "warn"
WARN_VERSION_LABEL = LABEL_PREFIX + "warn-version"
AUDIT_ANNOTATION_PREFIX = LABEL_PREFIX
EXEMPTION_REASON_ANNOTATION_KEY = "exempt"
AUDIT_VIOLATIONS_ANNOTATION_KEY = "audit-violations"
ENFORCED_POLICY_ANNOTATION_KEY = "enforce-policy"

#: The Kubernetes minor version this simulation emulates (kubectl/kube-apiserver v1.37,
#: k8score/kubeversion.py):
#: "latest" evaluates the checks as of this version. Upstream: policy/registry.go
#: NewEvaluator caps its max version at the API server's emulation version.
EMULATED_VERSION = (1, 37)

_GO_MAX_INT = 2**63 - 1  # strconv.Atoi range on 64-bit


class Version(NamedTuple):
    """api.Version: ``v1.<minor>`` or ``latest`` (newer than every numbered version)."""

    major: int = 0
    minor: int = 0
    latest: bool = False

    def __str__(self) -> str:
        return VERSION_LATEST if self.latest else f"v{self.major}.{self.minor}"

    def older(self, other: "Version") -> bool:
        if self.latest:
            return False
        if other.latest:
            return True
        return (self.major, self.minor) < (other.major, other.minor)


LATEST = Version(latest=True)


def major_minor(major: int, minor: int) -> Version:
    return Version(major, minor)


class LevelVersion(NamedTuple):
    """api.LevelVersion; prints as ``restricted:latest`` or ``baseline:v1.24``."""

    level: str
    version: Version

    def __str__(self) -> str:
        return f"{self.level}:{self.version}"

    def equivalent(self, other: "LevelVersion") -> bool:
        # any two privileged levels are the same policy, whatever their versions
        return (self.level == PRIVILEGED and other.level == PRIVILEGED) or self == other


class Policy(NamedTuple):
    """api.Policy: one LevelVersion per mode."""

    enforce: LevelVersion
    audit: LevelVersion
    warn: LevelVersion

    def fully_privileged(self) -> bool:
        return self.enforce.level == self.audit.level == self.warn.level == PRIVILEGED

    def equivalent(self, other: "Policy") -> bool:
        return (self.enforce.equivalent(other.enforce) and self.audit.equivalent(other.audit)
                and self.warn.equivalent(other.warn))


def default_policy(level: str = PRIVILEGED, version: str = VERSION_LATEST) -> Policy:
    """The same level:version for all three modes (the built-in default is privileged:latest)."""
    lv = LevelVersion(_must_level(level), _must_version(version))
    return Policy(lv, lv, lv)


def policy_from_config(defaults: dict) -> Policy:
    """PodSecurityConfiguration ``defaults`` (keys ``enforce``, ``enforce-version``, ``audit``,
    ``audit-version``, ``warn``, ``warn-version``; each defaults to privileged / latest) as a
    Policy. Upstream: admission/api/helpers.go ToPolicy. Raises ValueError on a bad value."""
    modes = []
    for mode in ("enforce", "audit", "warn"):
        modes.append(LevelVersion(_must_level(defaults.get(mode, PRIVILEGED)),
                                  _must_version(defaults.get(mode + "-version", VERSION_LATEST))))
    return Policy(*modes)


def parse_level(value: object) -> tuple[str, str | None]:
    """api.ParseLevel: (level, error text). A bad value parses as ``restricted``."""
    if isinstance(value, str) and value in LEVELS:
        return value, None
    return RESTRICTED, "must be one of " + ", ".join(LEVELS)


_VERSION_RE = re.compile(r"v1\.([0-9]|[1-9][0-9]*)")


def parse_version(value: object) -> tuple[Version, str | None]:
    """api.ParseVersion: ``latest`` or ``v1.x``; a bad value parses as latest."""
    if value == VERSION_LATEST:
        return LATEST, None
    m = _VERSION_RE.fullmatch(value) if isinstance(value, str) else None
    if m is None or int(m.group(1)) > _GO_MAX_INT:
        return LATEST, 'must be "latest" or "v1.x"'
    return Version(1, int(m.group(1))), None


def compare_levels(a: str, b: str) -> int:
    """api.CompareLevels: -1, 0 or 1 as privileged < baseline < restricted."""
    return (LEVELS.index(a) > LEVELS.index(b)) - (LEVELS.index(a) < LEVELS.index(b))


def policy_to_evaluate(labels: object, defaults: Policy) -> tuple[Policy, list[FieldError]]:
    """api.PolicyToEvaluate: the namespace's effective policy and its label errors.

    Without a warn label, an enforce label that is stricter than the default warn level
    also raises warn to it (with enforce's version unless warn-version is set), so users
    get warnings for what enforce refuses.
    """
    if not isinstance(labels, dict) or not labels:
        return defaults, []
    errs: list[FieldError] = []
    enforce, audit, warn = (list(lv) for lv in defaults)

    def add(label: str, value: object, err: str | None) -> None:
        if err is not None:
            errs.append(field.invalid(f"metadata.labels[{label}]", value, err))

    has_enforce_level = has_warn_level = has_warn_version = False
    if ENFORCE_LEVEL_LABEL in labels:
        enforce[0], err = parse_level(labels[ENFORCE_LEVEL_LABEL])
        has_enforce_level = err is None  # a bad enforce level does not raise warn
        add(ENFORCE_LEVEL_LABEL, labels[ENFORCE_LEVEL_LABEL], err)
    if ENFORCE_VERSION_LABEL in labels:
        enforce[1], err = parse_version(labels[ENFORCE_VERSION_LABEL])
        add(ENFORCE_VERSION_LABEL, labels[ENFORCE_VERSION_LABEL], err)
    if AUDIT_LEVEL_LABEL in labels:
        audit[0], err = parse_level(labels[AUDIT_LEVEL_LABEL])
        add(AUDIT_LEVEL_LABEL, labels[AUDIT_LEVEL_LABEL], err)
        if err is not None:
            audit[0] = PRIVILEGED  # fail open for audit
    if AUDIT_VERSION_LABEL in labels:
        audit[1], err = parse_version(labels[AUDIT_VERSION_LABEL])
        add(AUDIT_VERSION_LABEL, labels[AUDIT_VERSION_LABEL], err)
    if WARN_LEVEL_LABEL in labels:
        has_warn_level = True
        warn[0], err = parse_level(labels[WARN_LEVEL_LABEL])
        add(WARN_LEVEL_LABEL, labels[WARN_LEVEL_LABEL], err)
        if err is not None:
            warn[0] = PRIVILEGED  # fail open for warn
    if WARN_VERSION_LABEL in labels:
        has_warn_version = True
        warn[1], err = parse_version(labels[WARN_VERSION_LABEL])
        add(WARN_VERSION_LABEL, labels[WARN_VERSION_LABEL], err)

    if not has_warn_level and has_enforce_level and compare_levels(enforce[0], warn[0]) > 0:
        warn[0] = enforce[0]
        if not has_warn_version:
            warn[1] = enforce[1]
    return Policy(LevelVersion(*enforce), LevelVersion(*audit), LevelVersion(*warn)), errs


def _must_level(value: object) -> str:
    level, err = parse_level(value)
    if err:
        raise ValueError(f"invalid PodSecurity level {value!r}: {err}")
    return level


def _must_version(value: object) -> Version:
    version, err = parse_version(value)
    if err:
        raise ValueError(f"invalid PodSecurity version {value!r}: {err}")
    return version
