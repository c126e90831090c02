"""Pod and pod-template validation (pkg/apis/core/validation/validation.go ValidatePodSpec)."""

from __future__ import annotations

from ...api.field import FieldError, duplicate, forbidden, invalid, not_supported, required
from ...api.quantity import QuantityError, parse_quantity
from .names import (inclusive_range_error, is_dns1123_label, is_dns1123_subdomain, is_label_key,
                    is_valid_port_name)

_RESTART = ["Always", "OnFailure", "Never"]
_DNS = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
_PULL = ["Always", "IfNotPresent", "Never"]
_PROTOCOLS = ["SCTP", "TCP", "UDP"]
_TERM_MSG = ["File", "FallbackToLogsOnError"]
_STANDARD_RESOURCES = ("cpu", "memory", "ephemeral-storage")

# ValidatePodUpdate: the only spec fields a pod update may change
POD_UPDATE_FORBIDDEN = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
    "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
    "(allow it to be set to 1 if it was previously negative)")


def _resource_name(name: str, path: str) -> list[FieldError]:
    if name in _STANDARD_RESOURCES or name.startswith("hugepages-"):
        return []
    if "/" in name and not is_label_key(name):
        return []
    return [invalid(path, name, "must be a standard resource type or fully qualified")]


def resources(res: object, path: str) -> list[FieldError]:
    """ValidateResourceRequirements: names, non-negative values, requests <= limits."""
    if not res:
        return []
    if not isinstance(res, dict):
        return [invalid(path, res, "must be an object")]
    errs: list[FieldError] = []
    parsed: dict[str, dict] = {}
    for part in ("limits", "requests"):
        values = res.get(part) or {}
        parsed[part] = {}
        for name, raw in values.items():
            p = f"{path}.{part}[{name}]"
            errs += _resource_name(name, p)
            try:
                q = parse_quantity(raw)
            except QuantityError as e:
                errs.append(invalid(p, raw, str(e)))
                continue
            if q.value.numerator < 0:
                errs.append(invalid(p, q.canonical(), "must be greater than or equal to 0"))
            parsed[part][name] = q
    for name, q in parsed["requests"].items():
        lim = parsed["limits"].get(name)
        if lim is not None and lim is not q and q.value > lim.value:
            errs.append(invalid(f"{path}.requests[{name}]", q.canonical(),
                                f"must be less than or equal to {name} limit of {lim.canonical()}"))
    return errs


def _ports(ports: object, path: str) -> list[FieldError]:
    if ports is None:
        return []
    if not isinstance(ports, list):
        return [invalid(path, ports, "must be a list")]
    errs: list[FieldError] = []
    names: set = set()
    for i, p in enumerate(ports):
        pp = f"{path}[{i}]"
        if not isinstance(p, dict):
            errs.append(invalid(pp, p, "must be an object"))
            continue
        name = p.get("name")
        if name:
            for msg in is_valid_port_name(name):
                errs.append(invalid(f"{pp}.name", name, msg))
            if name in names:
                errs.append(duplicate(f"{pp}.name", name))
            names.add(name)
        cp = p.get("containerPort")
        if not cp:
            errs.append(required(f"{pp}.containerPort", ""))
        elif not isinstance(cp, int) or isinstance(cp, bool) or not 1 <= cp <= 65535:
            errs.append(invalid(f"{pp}.containerPort", cp, inclusive_range_error(1, 65535)))
        hp = p.get("hostPort")
        if hp and (not isinstance(hp, int) or not 1 <= hp <= 65535):
            errs.append(invalid(f"{pp}.hostPort", hp, inclusive_range_error(1, 65535)))
        proto = p.get("protocol")
        if proto not in _PROTOCOLS:
            errs.append(required(f"{pp}.protocol", "") if not proto
                        else not_supported(f"{pp}.protocol", proto, _PROTOCOLS))
    return errs


def _containers(containers: object, path: str, volumes: set, names: dict) -> list[FieldError]:
    if not isinstance(containers, list):
        return [invalid(path, containers, "must be a list")]
    errs: list[FieldError] = []
    for i, c in enumerate(containers):
        cp = f"{path}[{i}]"
        if not isinstance(c, dict):
            errs.append(invalid(cp, c, "must be an object"))
            continue
        name = c.get("name")
        if not name:
            errs.append(required(f"{cp}.name", ""))
        elif not isinstance(name, str):
            errs.append(invalid(f"{cp}.name", name, "must be a string"))
        else:
            for msg in is_dns1123_label(name):
                errs.append(invalid(f"{cp}.name", name, msg))
            if name in names:
                errs.append(duplicate(f"{cp}.name", name))
            names[name] = True
        if not c.get("image") or not isinstance(c.get("image"), str) or not c["image"].strip():
            errs.append(required(f"{cp}.image", ""))
        pol = c.get("imagePullPolicy")
        if pol not in _PULL:
            errs.append(not_supported(f"{cp}.imagePullPolicy", pol, _PULL))
        tmp = c.get("terminationMessagePolicy")
        if tmp not in _TERM_MSG:
            errs.append(not_supported(f"{cp}.terminationMessagePolicy", tmp, _TERM_MSG))
        errs += _ports(c.get("ports"), f"{cp}.ports")
        errs += resources(c.get("resources"), f"{cp}.resources")
        for j, env in enumerate(c.get("env") or ()):
            if not isinstance(env, dict) or not env.get("name"):
                errs.append(required(f"{cp}.env[{j}].name", ""))
        for j, vm in enumerate(c.get("volumeMounts") or ()):
            vp = f"{cp}.volumeMounts[{j}]"
            if not isinstance(vm, dict):
                errs.append(invalid(vp, vm, "must be an object"))
                continue
            if not vm.get("name"):
                errs.append(required(f"{vp}.name", ""))
            elif vm["name"] not in volumes:
                errs.append(FieldError("NotFound", f"{vp}.name", vm["name"]))
            if not vm.get("mountPath"):
                errs.append(required(f"{vp}.mountPath", ""))
    return errs


def pod_spec(spec: object, path: str = "spec") -> list[FieldError]:
    if not isinstance(spec, dict):
        return [required(path, "")]
    errs: list[FieldError] = []
    volumes: set = set()
    for i, v in enumerate(spec.get("volumes") or ()):
        vp = f"{path}.volumes[{i}]"
        name = v.get("name") if isinstance(v, dict) else None
        if not name:
            errs.append(required(f"{vp}.name", ""))
            continue
        for msg in is_dns1123_label(name):
            errs.append(invalid(f"{vp}.name", name, msg))
        if name in volumes:
            errs.append(duplicate(f"{vp}.name", name))
        volumes.add(name)
    containers = spec.get("containers")
    names: dict = {}
    if not containers:
        errs.append(required(f"{path}.containers", ""))
    else:
        errs += _containers(containers, f"{path}.containers", volumes, names)
    if spec.get("initContainers"):
        errs += _containers(spec["initContainers"], f"{path}.initContainers", volumes, names)
    rp = spec.get("restartPolicy")
    if rp not in _RESTART:
        errs.append(not_supported(f"{path}.restartPolicy", rp, _RESTART))
    dp = spec.get("dnsPolicy")
    if dp not in _DNS:
        errs.append(not_supported(f"{path}.dnsPolicy", dp, _DNS))
    node = spec.get("nodeName")
    if node:
        for msg in is_dns1123_subdomain(str(node)):
            errs.append(invalid(f"{path}.nodeName", node, msg))
    ads = spec.get("activeDeadlineSeconds")
    if ads is not None and (not isinstance(ads, int) or ads <= 0):
        errs.append(invalid(f"{path}.activeDeadlineSeconds", ads, "must be greater than or equal to 1"))
    tg = spec.get("terminationGracePeriodSeconds")
    if tg is not None and not isinstance(tg, int):
        errs.append(invalid(f"{path}.terminationGracePeriodSeconds", tg, "must be an integer"))
    for i, t in enumerate(spec.get("tolerations") or ()):
        tp = f"{path}.tolerations[{i}]"
        if not isinstance(t, dict):
            errs.append(invalid(tp, t, "must be an object"))
            continue
        op = t.get("operator", "Equal")
        if op not in ("Equal", "Exists"):
            errs.append(not_supported(f"{tp}.operator", op, ["Equal", "Exists"]))
        if op == "Exists" and t.get("value"):
            errs.append(invalid(f"{tp}.operator", t.get("value"),
                                "value must be empty when `operator` is 'Exists'"))
        eff = t.get("effect")
        if eff and eff not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            errs.append(not_supported(f"{tp}.effect", eff, ["NoExecute", "NoSchedule", "PreferNoSchedule"]))
    return errs


def pod_update(new_spec: dict, old_spec: dict) -> list[FieldError]:
    """ValidatePodUpdate: only images, activeDeadlineSeconds, added tolerations may change."""
    mutable = dict(old_spec)
    for key in ("containers", "initContainers"):
        olds, news = old_spec.get(key), new_spec.get(key)
        if isinstance(olds, list) and isinstance(news, list) and len(olds) == len(news):
            mutable[key] = [dict(o, image=n.get("image")) if isinstance(n, dict) else o
                            for o, n in zip(olds, news)]
    mutable["activeDeadlineSeconds"] = new_spec.get("activeDeadlineSeconds")
    if mutable["activeDeadlineSeconds"] is None:
        mutable.pop("activeDeadlineSeconds")
    old_tol = old_spec.get("tolerations") or []
    new_tol = new_spec.get("tolerations") or []
    if all(t in new_tol for t in old_tol):  # additions only
        if "tolerations" in new_spec:
            mutable["tolerations"] = new_spec["tolerations"]
    if (old_spec.get("terminationGracePeriodSeconds") or 0) < 0 and \
            new_spec.get("terminationGracePeriodSeconds") == 1:
        mutable["terminationGracePeriodSeconds"] = 1
    # validation.go validateSchedulingGatesUpdate? — ValidatePodUpdate: gates may only be removed
    errs: list[FieldError] = []
    old_gates = [g.get("name") for g in old_spec.get("schedulingGates") or () if isinstance(g, dict)]
    new_gates = new_spec.get("schedulingGates")
    if isinstance(new_gates, list) and all(isinstance(g, dict) for g in new_gates):
        for g in new_gates:
            if g.get("name") not in old_gates:
                errs.append(forbidden("spec.schedulingGates",
                                      f"only deletion is allowed, but found new scheduling gate '{g.get('name')}'"))
        if not errs:
            mutable["schedulingGates"] = new_gates
            if not new_gates and "schedulingGates" not in new_spec:
                mutable.pop("schedulingGates", None)
    elif new_gates is None:
        mutable.pop("schedulingGates", None)
    if errs:
        return errs
    if mutable != new_spec:
        return [forbidden("spec", POD_UPDATE_FORBIDDEN)]
    return []
