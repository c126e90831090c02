"""What every Pod Security check shares: its result, its registration, and small helpers.

Upstream: staging/src/k8s.io/pod-security-admission/policy/checks.go (CheckResult, Check,
VersionedCheck), policy/helpers.go (joinQuote, pluralize, relaxPolicyForUserNamespacePod),
policy/visitor.go (visitContainers).

Checks read the pod as the API stores it (plain dicts). They are defensive about shapes
(a missing or mistyped field reads as unset), because admission must never raise on input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from .levels import Version


@dataclass(frozen=True)
class CheckResult:
    """policy.CheckResult: ``allowed``, else a short ``forbidden_reason`` ("privileged")
    and a ``forbidden_detail`` naming what to change."""

    allowed: bool
    forbidden_reason: str = ""
    forbidden_detail: str = ""


ALLOWED = CheckResult(True)

CheckFn = Callable[[dict, dict], CheckResult]


@dataclass(frozen=True)
class VersionedCheck:
    """policy.VersionedCheck: ``fn`` applies from ``minimum`` until the next entry's minimum.
    ``overrides`` (restricted checks only) names baseline checks it replaces at that version."""

    minimum: Version
    fn: CheckFn
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Check:
    """policy.Check: an ID, its level, and its versions in increasing order."""

    id: str
    level: str
    versions: tuple[VersionedCheck, ...]


def v(minor: int) -> Version:
    """``v(19)`` is v1.19."""
    return Version(1, minor)


def mapping(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def seq(value: object) -> list:
    return value if isinstance(value, list) else []


def name_of(obj: dict) -> str:
    n = obj.get("name")
    return n if isinstance(n, str) else ""


def join_quote(items: list[str]) -> str:
    """joinQuote: ``"a", "b"`` (no escaping, as upstream)."""
    return '"' + '", "'.join(items) + '"' if items else ""


def pluralize(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


def containers(spec: dict) -> Iterator[dict]:
    """visitContainers: init containers, then containers, then ephemeral containers."""
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in seq(spec.get(key)):
            if isinstance(c, dict):
                yield c


def security_context(obj: dict) -> dict | None:
    """A pod's or container's securityContext, or None when unset."""
    sc = obj.get("securityContext")
    return sc if isinstance(sc, dict) else None


def sub(sc: dict | None, key: str) -> dict | None:
    """A nested struct pointer (``capabilities``, ``seccompProfile``...), or None when unset."""
    if sc is None:
        return None
    value = sc.get(key)
    return value if isinstance(value, dict) else None


def is_zero_int(value: object) -> bool:
    return type(value) is int and value == 0


def is_windows(spec: dict) -> bool:
    return mapping(spec.get("os")).get("name") == "windows"


def relax_for_user_namespace(spec: dict) -> bool:
    """relaxPolicyForUserNamespacePod: ``hostUsers: false`` puts the pod in a user namespace."""
    return spec.get("hostUsers") is False


def go_quote(s: str) -> str:
    """Go's %q of a string (strconv.Quote), for values echoed back in messages."""
    out = ['"']
    escapes = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
               "\v": "\\v", "\\": "\\\\", '"': '\\"'}
    for ch in s:
        if ch in escapes:
            out.append(escapes[ch])
        elif ch == " " or ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def setters(pod_bad: bool, bad_containers: list[str]) -> list[str]:
    """The ``pod`` / ``container "a"`` / ``containers "a", "b"`` phrases several checks join
    with " and "."""
    out = ["pod"] if pod_bad else []
    if bad_containers:
        out.append(f'{pluralize("container", "containers", len(bad_containers))} '
                   f"{join_quote(bad_containers)}")
    return out


def bad_profiles(spec: dict, key: str, ok: Callable[[dict], bool]) -> tuple[bool, list[str], set[str]]:
    """For a profile struct (``seccompProfile``, ``appArmorProfile``) set on the pod and on
    containers: whether the pod's is bad, the containers whose is bad, and the bad types."""
    values: set[str] = set()
    pod_profile = sub(security_context(spec), key)
    pod_bad = pod_profile is not None and not ok(pod_profile)
    if pod_bad:
        values.add(text(pod_profile.get("type")))
    bad: list[str] = []
    for c in containers(spec):
        profile = sub(security_context(c), key)
        if profile is not None and not ok(profile):
            bad.append(name_of(c))
            values.add(text(profile.get("type")))
    return pod_bad, bad, values


def text(value: object) -> str:
    """A string field as Go reads it: unset is ""."""
    return value if isinstance(value, str) else ("" if value is None else str(value))
