"""The baseline Pod Security checks (they also apply under restricted unless overridden).

Upstream: staging/src/k8s.io/pod-security-admission/policy/check_*.go, one function per
check version; reasons and details are upstream's texts word for word. ``BASELINE_CHECKS``
lists every check with the versions it changed at.

>>> spec = {"containers": [{"name": "app", "securityContext": {"privileged": True}}]}
>>> privileged_1_0({}, spec).forbidden_detail
'container "app" must not set securityContext.privileged=true'
"""

from __future__ import annotations

from ._common import (ALLOWED, Check, CheckFn, CheckResult, VersionedCheck, bad_profiles,
                      containers, go_quote, join_quote, mapping, name_of, pluralize, relax_for_user_namespace,
                      security_context, seq, setters, sub, text, v)
from .levels import BASELINE


# --- check_windowsHostProcess.go ----------------------------------------------------------
def windows_host_process_1_0(meta: dict, spec: dict) -> CheckResult:
    def host_process(sc: dict | None) -> bool:
        return mapping(sc and sc.get("windowsOptions")).get("hostProcess") is True

    bad = [name_of(c) for c in containers(spec) if host_process(security_context(c))]
    who = setters(host_process(security_context(spec)), bad)
    if who:
        return CheckResult(False, "hostProcess", " and ".join(who)
                           + " must not set securityContext.windowsOptions.hostProcess=true")
    return ALLOWED


# --- check_hostNamespaces.go --------------------------------------------------------------
def host_namespaces_1_0(meta: dict, spec: dict) -> CheckResult:
    used = [f"{k}=true" for k in ("hostNetwork", "hostPID", "hostIPC") if spec.get(k) is True]
    if used:
        return CheckResult(False, "host namespaces", ", ".join(used))
    return ALLOWED


# --- check_privileged.go ------------------------------------------------------------------
def privileged_1_0(meta: dict, spec: dict) -> CheckResult:
    bad = [name_of(c) for c in containers(spec)
           if mapping(security_context(c)).get("privileged") is True]
    if bad:
        return CheckResult(False, "privileged",
                           f'{pluralize("container", "containers", len(bad))} {join_quote(bad)} '
                           "must not set securityContext.privileged=true")
    return ALLOWED


# --- check_capabilities_baseline.go: the container runtime's default set ------------------
CAPABILITIES_ALLOWED_1_0 = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})
CHECK_CAPABILITIES_BASELINE = "capabilities_baseline"


def capabilities_baseline_1_0(meta: dict, spec: dict) -> CheckResult:
    bad: list[str] = []
    extra: set[str] = set()
    for c in containers(spec):
        caps = sub(security_context(c), "capabilities")
        if caps is None:
            continue
        added = [text(cap) for cap in seq(caps.get("add")) if text(cap) not in CAPABILITIES_ALLOWED_1_0]
        if added:
            extra.update(added)
            bad.append(name_of(c))
    if bad:
        return CheckResult(False, "non-default capabilities",
                           f'{pluralize("container", "containers", len(bad))} {join_quote(bad)} '
                           f"must not include {join_quote(sorted(extra))} in "
                           "securityContext.capabilities.add")
    return ALLOWED


# --- check_hostPathVolumes.go -------------------------------------------------------------
CHECK_HOST_PATH_VOLUMES = "hostPathVolumes"


def host_path_volumes_1_0(meta: dict, spec: dict) -> CheckResult:
    bad = [name_of(vol) for vol in seq(spec.get("volumes"))
           if isinstance(vol, dict) and vol.get("hostPath") is not None]
    if bad:
        return CheckResult(False, "hostPath volumes",
                           f'{pluralize("volume", "volumes", len(bad))} {join_quote(bad)}')
    return ALLOWED


# --- check_hostPorts.go -------------------------------------------------------------------
def host_ports_1_0(meta: dict, spec: dict) -> CheckResult:
    bad: list[str] = []
    ports: set[str] = set()
    for c in containers(spec):
        used = [p.get("hostPort") for p in seq(c.get("ports"))
                if isinstance(p, dict) and p.get("hostPort") not in (None, 0)]
        if used:
            ports.update(text(p) for p in used)
            bad.append(name_of(c))
    if bad:
        # sets.String.List(): sorted as strings, so "443" comes before "80"
        return CheckResult(False, "hostPort",
                           f'{pluralize("container", "containers", len(bad))} {join_quote(bad)} '
                           f'{pluralize("uses", "use", len(bad))} '
                           f'{pluralize("hostPort", "hostPorts", len(ports))} {", ".join(sorted(ports))}')
    return ALLOWED


# --- check_hostProbesAndhostLifecycle.go (v1.34+) -----------------------------------------
def host_probes_and_lifecycle_1_34(meta: dict, spec: dict) -> CheckResult:
    bad: set[str] = set()
    hosts: set[str] = set()
    for c in containers(spec):
        handlers = [mapping(c.get(p)) for p in ("livenessProbe", "readinessProbe", "startupProbe")]
        lifecycle = mapping(c.get("lifecycle"))
        handlers += [mapping(lifecycle.get(h)) for h in ("postStart", "preStop")]
        for h in handlers:
            for kind in ("httpGet", "tcpSocket"):
                host = mapping(h.get(kind)).get("host")
                if host not in (None, ""):
                    bad.add(name_of(c))
                    hosts.add(text(host))
    if bad:
        return CheckResult(False, "probe or lifecycle host",
                           f'{pluralize("container", "containers", len(bad))} {join_quote(sorted(bad))} '
                           f'{pluralize("uses", "use", len(bad))} '
                           f'{pluralize("probe or lifecycle host", "probe or lifecycle hosts", len(hosts))} '
                           f"{join_quote(sorted(hosts))}")
    return ALLOWED


# --- check_appArmorProfile.go -------------------------------------------------------------
APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"


def _apparmor_type_ok(profile: dict) -> bool:
    return profile.get("type") in ("RuntimeDefault", "Localhost")


def _apparmor_annotation_ok(value: str) -> bool:
    return value in ("", "runtime/default") or value.startswith("localhost/")


def app_armor_profile_1_0(meta: dict, spec: dict) -> CheckResult:
    pod_bad, bad, bad_values = bad_profiles(spec, "appArmorProfile", _apparmor_type_ok)
    who = setters(pod_bad, bad)
    annotations = sorted(f"{k}={go_quote(text(val))}" for k, val in mapping(meta.get("annotations")).items()
                         if isinstance(k, str) and k.startswith(APPARMOR_ANNOTATION_PREFIX)
                         and not _apparmor_annotation_ok(text(val)))
    values = sorted(bad_values) + annotations
    if annotations:
        who.append(pluralize("annotation", "annotations", len(annotations)))
    if who:
        return CheckResult(False, pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles",
                                            len(values)),
                           f'{" and ".join(who)} must not set AppArmor profile type to {join_quote(values)}')
    return ALLOWED


# --- check_seLinuxOptions.go --------------------------------------------------------------
SELINUX_TYPES_1_0 = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
SELINUX_TYPES_1_31 = SELINUX_TYPES_1_0 | {"container_engine_t"}


def _se_linux(spec: dict, allowed_types: frozenset) -> CheckResult:
    bad_types: set[str] = set()
    flags = {"user": False, "role": False}

    def valid(opts: dict) -> bool:
        ok = True
        if text(opts.get("type")) not in allowed_types:
            ok = False
            bad_types.add(text(opts.get("type")))
        for key in ("user", "role"):
            if text(opts.get(key)):
                ok = False
                flags[key] = True
        return ok

    pod_opts = sub(security_context(spec), "seLinuxOptions")
    pod_bad = pod_opts is not None and not valid(pod_opts)
    bad = [name_of(c) for c in containers(spec)
           if (o := sub(security_context(c), "seLinuxOptions")) is not None and not valid(o)]
    who = setters(pod_bad, bad)
    if not who:
        return ALLOWED
    data = []
    if bad_types:
        data.append(f'{pluralize("type", "types", len(bad_types))} {join_quote(sorted(bad_types))}')
    data += [f"{key} may not be set" for key in ("user", "role") if flags[key]]
    return CheckResult(False, "seLinuxOptions",
                       f'{" and ".join(who)} set forbidden securityContext.seLinuxOptions: '
                       + "; ".join(data))


def se_linux_options_1_0(meta: dict, spec: dict) -> CheckResult:
    return _se_linux(spec, SELINUX_TYPES_1_0)


def se_linux_options_1_31(meta: dict, spec: dict) -> CheckResult:
    return _se_linux(spec, SELINUX_TYPES_1_31)


# --- check_procMount_baseline.go ----------------------------------------------------------
CHECK_PROC_MOUNT = "procMount"


def proc_mount_1_0(meta: dict, spec: dict) -> CheckResult:
    bad: list[str] = []
    kinds: set[str] = set()
    for c in containers(spec):
        pm = mapping(security_context(c)).get("procMount")
        if pm is not None and pm != "Default":
            bad.append(name_of(c))
            kinds.add(text(pm))
    if bad:
        return CheckResult(False, "procMount",
                           f'{pluralize("container", "containers", len(bad))} {join_quote(bad)} '
                           f"must not set securityContext.procMount to {join_quote(sorted(kinds))}")
    return ALLOWED


def proc_mount_1_35(meta: dict, spec: dict) -> CheckResult:
    # a pod in a user namespace (hostUsers: false) may unmask /proc
    return ALLOWED if relax_for_user_namespace(spec) else proc_mount_1_0(meta, spec)


# --- check_seccompProfile_baseline.go -----------------------------------------------------
SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"
CHECK_SECCOMP_BASELINE = "seccompProfile_baseline"


def seccomp_type_ok(profile: dict) -> bool:
    return profile.get("type") in ("Localhost", "RuntimeDefault")


def _seccomp_annotation_ok(value: str) -> bool:
    return value in ("runtime/default", "docker/default") or value.startswith("localhost/")


def seccomp_profile_baseline_1_0(meta: dict, spec: dict) -> CheckResult:
    """Before v1.19 seccomp was set by the alpha annotations."""
    annotations = mapping(meta.get("annotations"))
    keys = [SECCOMP_POD_ANNOTATION] + [SECCOMP_CONTAINER_ANNOTATION_PREFIX + name_of(c)
                                       for c in containers(spec)]
    forbidden = sorted({f"{k}={go_quote(text(annotations[k]))}" for k in keys
                        if k in annotations and not _seccomp_annotation_ok(text(annotations[k]))})
    if forbidden:
        return CheckResult(False, "seccompProfile",
                           f'forbidden {pluralize("annotation", "annotations", len(forbidden))} '
                           + ", ".join(forbidden))
    return ALLOWED


def seccomp_profile_baseline_1_19(meta: dict, spec: dict) -> CheckResult:
    pod_bad, bad, bad_values = bad_profiles(spec, "seccompProfile", seccomp_type_ok)
    who = setters(pod_bad, bad)
    if who:
        return CheckResult(False, "seccompProfile",
                           f'{" and ".join(who)} must not set securityContext.seccompProfile.type '
                           f"to {join_quote(sorted(bad_values))}")
    return ALLOWED


# --- check_sysctls.go: the "safe" sysctls, grown over versions ----------------------------
SYSCTLS_1_0 = frozenset({"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                         "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
                         "net.ipv4.ip_unprivileged_port_start"})
SYSCTLS_1_27 = SYSCTLS_1_0 | {"net.ipv4.ip_local_reserved_ports"}
SYSCTLS_1_29 = SYSCTLS_1_27 | {"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                               "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}
SYSCTLS_1_32 = SYSCTLS_1_29 | {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}
SYSCTLS_1_37 = SYSCTLS_1_32 | {"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"}


def _sysctls(allowed: frozenset) -> CheckFn:
    def check(meta: dict, spec: dict) -> CheckResult:
        bad = [text(s.get("name")) for s in seq(mapping(security_context(spec)).get("sysctls"))
               if isinstance(s, dict) and text(s.get("name")) not in allowed]
        if bad:
            return CheckResult(False, "forbidden sysctls", ", ".join(bad))
        return ALLOWED
    return check


BASELINE_CHECKS: tuple[Check, ...] = (
    Check("windowsHostProcess", BASELINE, (VersionedCheck(v(0), windows_host_process_1_0),)),
    Check("hostNamespaces", BASELINE, (VersionedCheck(v(0), host_namespaces_1_0),)),
    Check("privileged", BASELINE, (VersionedCheck(v(0), privileged_1_0),)),
    Check(CHECK_CAPABILITIES_BASELINE, BASELINE, (VersionedCheck(v(0), capabilities_baseline_1_0),)),
    Check(CHECK_HOST_PATH_VOLUMES, BASELINE, (VersionedCheck(v(0), host_path_volumes_1_0),)),
    Check("hostPorts", BASELINE, (VersionedCheck(v(0), host_ports_1_0),)),
    Check("hostProbesAndHostLifecycle", BASELINE,
          (VersionedCheck(v(34), host_probes_and_lifecycle_1_34),)),
    Check("appArmorProfile", BASELINE, (VersionedCheck(v(0), app_armor_profile_1_0),)),
    Check("seLinuxOptions", BASELINE, (VersionedCheck(v(0), se_linux_options_1_0),
                                       VersionedCheck(v(31), se_linux_options_1_31))),
    Check(CHECK_PROC_MOUNT, BASELINE, (VersionedCheck(v(0), proc_mount_1_0),
                                       VersionedCheck(v(35), proc_mount_1_35))),
    Check(CHECK_SECCOMP_BASELINE, BASELINE, (VersionedCheck(v(0), seccomp_profile_baseline_1_0),
                                             VersionedCheck(v(19), seccomp_profile_baseline_1_19))),
    Check("sysctls", BASELINE, (VersionedCheck(v(0), _sysctls(SYSCTLS_1_0)),
                                VersionedCheck(v(27), _sysctls(SYSCTLS_1_27)),
                                VersionedCheck(v(29), _sysctls(SYSCTLS_1_29)),
                                VersionedCheck(v(32), _sysctls(SYSCTLS_1_32)),
                                VersionedCheck(v(37), _sysctls(SYSCTLS_1_37)))),
)
