"""The restricted Pod Security checks (applied on top of baseline).

Upstream: staging/src/k8s.io/pod-security-admission/policy/check_*.go; reasons and details
are upstream's texts word for word. Some restricted checks *override* a baseline check at the
versions they exist, so a pod gets one message per rule (``unrestricted capabilities``
replaces ``non-default capabilities``, ``restricted volume types`` replaces ``hostPath
volumes``, restricted ``seccompProfile`` replaces baseline's, and from v1.35 the strict
``procMount`` replaces baseline's user-namespace-relaxed one).

>>> run_as_user_1_23({}, {"securityContext": {"runAsUser": 0}, "containers": []}).forbidden_detail
'pod must not set runAsUser=0'
"""

from __future__ import annotations

from ._common import (ALLOWED, Check, CheckResult, VersionedCheck, containers, is_windows,
                      is_zero_int, join_quote, mapping, name_of, pluralize, relax_for_user_namespace,
                      security_context, seq, setters, sub, text, v)
from .checks_baseline import (CHECK_CAPABILITIES_BASELINE, CHECK_HOST_PATH_VOLUMES, CHECK_PROC_MOUNT,
                              CHECK_SECCOMP_BASELINE, proc_mount_1_0, seccomp_type_ok)
from .levels import RESTRICTED


def _containers_phrase(names: list[str]) -> str:
    return f'{pluralize("container", "containers", len(names))} {join_quote(names)}'


# --- check_allowPrivilegeEscalation.go ----------------------------------------------------
def allow_privilege_escalation_1_8(meta: dict, spec: dict) -> CheckResult:
    # unset counts as true: only an explicit false passes
    bad = [name_of(c) for c in containers(spec)
           if mapping(security_context(c)).get("allowPrivilegeEscalation") is not False]
    if bad:
        return CheckResult(False, "allowPrivilegeEscalation != false",
                           f"{_containers_phrase(bad)} must set securityContext.allowPrivilegeEscalation=false")
    return ALLOWED


def allow_privilege_escalation_1_25(meta: dict, spec: dict) -> CheckResult:
    # Windows pods (spec.os.name: windows) cannot set the field, so they are exempt from v1.25
    return ALLOWED if is_windows(spec) else allow_privilege_escalation_1_8(meta, spec)


# --- check_capabilities_restricted.go -----------------------------------------------------
def capabilities_restricted_1_22(meta: dict, spec: dict) -> CheckResult:
    missing_drop_all: list[str] = []
    adding: list[str] = []
    forbidden: set[str] = set()
    for c in containers(spec):
        caps = sub(security_context(c), "capabilities")
        if caps is None:
            missing_drop_all.append(name_of(c))
            continue
        if "ALL" not in seq(caps.get("drop")):
            missing_drop_all.append(name_of(c))
        added = [text(a) for a in seq(caps.get("add"))
                 if a != "NET_BIND_SERVICE"]
        if added:
            forbidden.update(added)
            adding.append(name_of(c))
    details = []
    if missing_drop_all:
        details.append(f'{_containers_phrase(missing_drop_all)} must set securityContext.capabilities.drop=["ALL"]')
    if adding:
        details.append(f"{_containers_phrase(adding)} must not include {join_quote(sorted(forbidden))} "
                       "in securityContext.capabilities.add")
    if details:
        return CheckResult(False, "unrestricted capabilities", "; ".join(details))
    return ALLOWED


def capabilities_restricted_1_25(meta: dict, spec: dict) -> CheckResult:
    return ALLOWED if is_windows(spec) else capabilities_restricted_1_22(meta, spec)


# --- check_restrictedVolumes.go -----------------------------------------------------------
_ALLOWED_VOLUME_SOURCES = ("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
                           "persistentVolumeClaim", "projected", "secret")
# the order upstream names the first restricted source a volume uses
_RESTRICTED_VOLUME_SOURCES = (
    "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs",
    "rbd", "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile", "vsphereVolume",
    "quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos")


def restricted_volumes_1_0(meta: dict, spec: dict) -> CheckResult:
    bad: list[str] = []
    kinds: set[str] = set()
    for vol in seq(spec.get("volumes")):
        if not isinstance(vol, dict) or any(vol.get(k) is not None for k in _ALLOWED_VOLUME_SOURCES):
            continue
        bad.append(name_of(vol))
        kinds.add(next((k for k in _RESTRICTED_VOLUME_SOURCES if vol.get(k) is not None), "unknown"))
    if bad:
        return CheckResult(False, "restricted volume types",
                           f'{pluralize("volume", "volumes", len(bad))} {join_quote(bad)} '
                           f'{pluralize("uses", "use", len(bad))} '
                           f'{pluralize("restricted volume type", "restricted volume types", len(kinds))} '
                           f"{join_quote(sorted(kinds))}")
    return ALLOWED


# --- check_runAsNonRoot.go ----------------------------------------------------------------
def run_as_non_root_1_0(meta: dict, spec: dict) -> CheckResult:
    pod_value = mapping(security_context(spec)).get("runAsNonRoot")
    explicit: list[str] = []  # containers that set runAsNonRoot: false
    implicit: list[str] = []  # containers that leave it unset with no pod-level true
    for c in containers(spec):
        value = mapping(security_context(c)).get("runAsNonRoot")
        if value is not None:
            if value is not True:
                explicit.append(name_of(c))
        elif pod_value is not True:
            implicit.append(name_of(c))
    who = setters(pod_value is not None and pod_value is not True, explicit)
    if who:
        return CheckResult(False, "runAsNonRoot != true",
                           f'{" and ".join(who)} must not set securityContext.runAsNonRoot=false')
    if implicit:
        return CheckResult(False, "runAsNonRoot != true",
                           f"pod or {_containers_phrase(implicit)} must set securityContext.runAsNonRoot=true")
    return ALLOWED


def run_as_non_root_1_35(meta: dict, spec: dict) -> CheckResult:
    # a pod in a user namespace (hostUsers: false) runs as root only inside it
    return ALLOWED if relax_for_user_namespace(spec) else run_as_non_root_1_0(meta, spec)


# --- check_runAsUser.go -------------------------------------------------------------------
def run_as_user_1_23(meta: dict, spec: dict) -> CheckResult:
    pod_root = is_zero_int(mapping(security_context(spec)).get("runAsUser"))
    bad = [name_of(c) for c in containers(spec)
           if is_zero_int(mapping(security_context(c)).get("runAsUser"))]
    who = setters(pod_root, bad)
    if who:
        return CheckResult(False, "runAsUser=0", f'{" and ".join(who)} must not set runAsUser=0')
    return ALLOWED


def run_as_user_1_35(meta: dict, spec: dict) -> CheckResult:
    return ALLOWED if relax_for_user_namespace(spec) else run_as_user_1_23(meta, spec)


# --- check_seccompProfile_restricted.go ---------------------------------------------------
def seccomp_profile_restricted_1_19(meta: dict, spec: dict) -> CheckResult:
    bad_values: set[str] = set()
    pod_profile = sub(security_context(spec), "seccompProfile")
    pod_bad = pod_profile is not None and not seccomp_type_ok(pod_profile)
    if pod_bad:
        bad_values.add(text(pod_profile.get("type")))
    pod_set = pod_profile is not None and not pod_bad
    explicit: list[str] = []
    implicit: list[str] = []
    for c in containers(spec):
        profile = sub(security_context(c), "seccompProfile")
        if profile is not None:
            if not seccomp_type_ok(profile):
                explicit.append(name_of(c))
                bad_values.add(text(profile.get("type")))
        elif not pod_set:
            implicit.append(name_of(c))
    who = setters(pod_bad, explicit)
    if who:
        return CheckResult(False, "seccompProfile",
                           f'{" and ".join(who)} must not set securityContext.seccompProfile.type '
                           f"to {join_quote(sorted(bad_values))}")
    if implicit:
        return CheckResult(False, "seccompProfile",
                           f"pod or {_containers_phrase(implicit)} must set securityContext.seccompProfile.type "
                           'to "RuntimeDefault" or "Localhost"')
    return ALLOWED


def seccomp_profile_restricted_1_25(meta: dict, spec: dict) -> CheckResult:
    return ALLOWED if is_windows(spec) else seccomp_profile_restricted_1_19(meta, spec)


RESTRICTED_CHECKS: tuple[Check, ...] = (
    Check("allowPrivilegeEscalation", RESTRICTED,
          (VersionedCheck(v(8), allow_privilege_escalation_1_8),
           VersionedCheck(v(25), allow_privilege_escalation_1_25))),
    Check("capabilities_restricted", RESTRICTED,
          (VersionedCheck(v(22), capabilities_restricted_1_22, (CHECK_CAPABILITIES_BASELINE,)),
           VersionedCheck(v(25), capabilities_restricted_1_25, (CHECK_CAPABILITIES_BASELINE,)))),
    Check("procMount_restricted", RESTRICTED,
          (VersionedCheck(v(35), proc_mount_1_0, (CHECK_PROC_MOUNT,)),)),
    Check("restrictedVolumes", RESTRICTED,
          (VersionedCheck(v(0), restricted_volumes_1_0, (CHECK_HOST_PATH_VOLUMES,)),)),
    Check("runAsNonRoot", RESTRICTED,
          (VersionedCheck(v(0), run_as_non_root_1_0), VersionedCheck(v(35), run_as_non_root_1_35))),
    Check("runAsUser", RESTRICTED,
          (VersionedCheck(v(23), run_as_user_1_23), VersionedCheck(v(35), run_as_user_1_35))),
    Check("seccompProfile_restricted", RESTRICTED,
          (VersionedCheck(v(19), seccomp_profile_restricted_1_19, (CHECK_SECCOMP_BASELINE,)),
           VersionedCheck(v(25), seccomp_profile_restricted_1_25, (CHECK_SECCOMP_BASELINE,)))),
)
