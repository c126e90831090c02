"""Validation of the other served kinds: Deployment, ReplicaSet (pkg/apis/apps/validation),
Service, Endpoints, ConfigMap, Event, Lease, Node (pkg/apis/core/validation)."""

from __future__ import annotations

import json
import re

from ...api.field import FieldError, GoValue, duplicate, forbidden, invalid, not_supported, required
from ...api.selectors import from_label_selector_dict
from .meta import labels
from .names import inclusive_range_error, is_dns1123_label, is_dns1123_subdomain, is_valid_port_name
from .pod import pod_spec


def _go_map(m: object) -> GoValue:
    if not isinstance(m, dict):
        return GoValue("map[string]string(nil)")
    body = ", ".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in sorted(m.items()))
    return GoValue("map[string]string{" + body + "}")


def _go_selector(sel: object) -> GoValue:
    ml = sel.get("matchLabels") if isinstance(sel, dict) else None
    me = sel.get("matchExpressions") if isinstance(sel, dict) else None
    text = "v1.LabelSelector{MatchLabels:" + _go_map(ml).text + ", MatchExpressions:" + \
        ("[]v1.LabelSelectorRequirement(nil)" if not me else json.dumps(me)) + "}"
    return GoValue(text)


def _int_or_percent(value: object, path: str) -> tuple[list[FieldError], float | None]:
    """IntOrString for maxSurge/maxUnavailable: an int >= 0 or "N%" with N <= 100."""
    if isinstance(value, bool):
        return [invalid(path, value, "must be an integer or percentage (e.g '5%')")], None
    if isinstance(value, int):
        if value < 0:
            return [invalid(path, value, "must be greater than or equal to 0")], None
        return [], float(value)
    if isinstance(value, str) and re.match(r"^[0-9]+%$", value):
        n = int(value[:-1])
        if n > 100:
            return [invalid(path, value, "must not be greater than 100%")], None
        return [], float(n)
    return [invalid(path, value, "a valid percent string must be a numeric string followed by an "
                    "ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")], None


def _workload(obj: dict, kind: str) -> list[FieldError]:
    """Shared by Deployment and ReplicaSet: replicas, selector vs template labels, template."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [required("spec", "")]
    errs: list[FieldError] = []
    replicas = spec.get("replicas")
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        errs.append(invalid("spec.replicas", replicas, "must be an integer"))
    elif replicas < 0:
        errs.append(invalid("spec.replicas", replicas, "must be greater than or equal to 0"))
    sel = spec.get("selector")
    tpl = spec.get("template") or {}
    tlabels = (tpl.get("metadata") or {}).get("labels") or {}
    if sel is None:
        errs.append(required("spec.selector", ""))
    elif not isinstance(sel, dict) or not (sel.get("matchLabels") or sel.get("matchExpressions")):
        errs.append(invalid("spec.selector", _go_selector(sel), f"empty selector is invalid for {kind}"))
    else:
        errs += labels(sel.get("matchLabels"), "spec.selector.matchLabels")
        try:
            matches = from_label_selector_dict(sel).matches(tlabels)
        except Exception:  # noqa: BLE001 - a malformed selector is reported as invalid
            errs.append(invalid("spec.selector", _go_selector(sel), "invalid label selector"))
        else:
            if not matches:
                errs.append(invalid("spec.template.metadata.labels", _go_map(tlabels),
                                    "`selector` does not match template `labels`"))
    errs += labels(tlabels, "spec.template.metadata.labels")
    tspec = tpl.get("spec")
    errs += pod_spec(tspec, "spec.template.spec")
    if isinstance(tspec, dict) and tspec.get("restartPolicy") != "Always":
        errs.append(not_supported("spec.template.spec.restartPolicy", tspec.get("restartPolicy"), ["Always"]))
    mrs = spec.get("minReadySeconds")
    if mrs is not None and (not isinstance(mrs, int) or mrs < 0):
        errs.append(invalid("spec.minReadySeconds", mrs, "must be greater than or equal to 0"))
    return errs


def deployment(obj: dict) -> list[FieldError]:
    errs = _workload(obj, "deployment")
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return errs
    strategy = spec.get("strategy") or {}
    stype = strategy.get("type")
    if stype not in ("Recreate", "RollingUpdate"):
        errs.append(not_supported("spec.strategy.type", stype, ["Recreate", "RollingUpdate"]))
    elif stype == "Recreate" and strategy.get("rollingUpdate"):
        errs.append(forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"))
    elif stype == "RollingUpdate":
        ru = strategy.get("rollingUpdate") or {}
        e1, unavailable = _int_or_percent(ru.get("maxUnavailable"), "spec.strategy.rollingUpdate.maxUnavailable")
        e2, surge = _int_or_percent(ru.get("maxSurge"), "spec.strategy.rollingUpdate.maxSurge")
        errs += e1 + e2
        if unavailable == 0 and surge == 0:
            errs.append(invalid("spec.strategy.rollingUpdate.maxUnavailable", ru.get("maxUnavailable"),
                                "may not be 0 when `maxSurge` is 0"))
    rhl = spec.get("revisionHistoryLimit")
    if rhl is not None and (not isinstance(rhl, int) or rhl < 0):
        errs.append(invalid("spec.revisionHistoryLimit", rhl, "must be greater than or equal to 0"))
    pds = spec.get("progressDeadlineSeconds")
    if pds is not None:
        if not isinstance(pds, int) or pds < 0:
            errs.append(invalid("spec.progressDeadlineSeconds", pds, "must be greater than or equal to 0"))
        elif pds <= (spec.get("minReadySeconds") or 0):
            errs.append(invalid("spec.progressDeadlineSeconds", pds,
                                "must be greater than minReadySeconds"))
    return errs


def replicaset(obj: dict) -> list[FieldError]:
    return _workload(obj, "replicaset")


def selector_update(new: dict, old: dict) -> list[FieldError]:
    """apps/v1: spec.selector is immutable."""
    ns, os_ = (new.get("spec") or {}).get("selector"), (old.get("spec") or {}).get("selector")
    if ns != os_:
        return [invalid("spec.selector", _go_selector(ns), "field is immutable")]
    return []


_SVC_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
_PROTOCOLS = ["SCTP", "TCP", "UDP"]


def service(obj: dict) -> list[FieldError]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [required("spec", "")]
    errs: list[FieldError] = []
    stype = spec.get("type")
    if stype not in _SVC_TYPES:
        errs.append(not_supported("spec.type", stype, _SVC_TYPES))
    aff = spec.get("sessionAffinity")
    if aff not in ("ClientIP", "None"):
        errs.append(not_supported("spec.sessionAffinity", aff, ["ClientIP", "None"]))
    ports = spec.get("ports") or []
    headless = spec.get("clusterIP") == "None"
    if not ports and stype != "ExternalName" and not headless:
        errs.append(required("spec.ports", ""))
    names: set = set()
    for i, p in enumerate(ports):
        pp = f"spec.ports[{i}]"
        if not isinstance(p, dict):
            errs.append(invalid(pp, p, "must be an object"))
            continue
        name = p.get("name")
        if len(ports) > 1 and not name:
            errs.append(required(f"{pp}.name", ""))
        elif name:
            for msg in is_dns1123_label(name):
                errs.append(invalid(f"{pp}.name", name, msg))
            if name in names:
                errs.append(duplicate(f"{pp}.name", name))
            names.add(name)
        port = p.get("port")
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            errs.append(invalid(f"{pp}.port", port, inclusive_range_error(1, 65535)))
        proto = p.get("protocol")
        if proto not in _PROTOCOLS:
            errs.append(not_supported(f"{pp}.protocol", proto, _PROTOCOLS))
        tp = p.get("targetPort")
        if isinstance(tp, int) and not isinstance(tp, bool):
            if not 1 <= tp <= 65535:
                errs.append(invalid(f"{pp}.targetPort", tp, inclusive_range_error(1, 65535)))
        elif isinstance(tp, str):
            for msg in is_valid_port_name(tp):
                errs.append(invalid(f"{pp}.targetPort", tp, msg))
        np_ = p.get("nodePort")
        if np_ and stype not in ("NodePort", "LoadBalancer"):
            errs.append(forbidden(f"{pp}.nodePort", "may not be used when `type` is 'ClusterIP'"))
    errs += labels(spec.get("selector"), "spec.selector")
    return errs


def service_update(new: dict, old: dict) -> list[FieldError]:
    nip, oip = (new.get("spec") or {}).get("clusterIP"), (old.get("spec") or {}).get("clusterIP")
    if oip and nip != oip:
        return [invalid("spec.clusterIPs[0]", nip, "may not change once set")]
    return []


_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def configmap(obj: dict) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set = set()
    for part in ("data", "binaryData"):
        data = obj.get(part) or {}
        if not isinstance(data, dict):
            errs.append(invalid(part, data, "must be a map"))
            continue
        for k in data:
            if not _CONFIG_KEY.match(k) or len(k) > 253:
                errs.append(invalid(f"{part}[{k}]", k, "a valid config key must consist of alphanumeric "
                                    "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or "
                                    "'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"))
            if k in seen:
                errs.append(invalid(f"{part}[{k}]", k, "duplicate of key present in data"))
            seen.add(k)
    return errs


def event(obj: dict) -> list[FieldError]:
    errs: list[FieldError] = []
    io = obj.get("involvedObject")
    if not isinstance(io, dict):
        return [required("involvedObject", "")]
    ns = obj.get("metadata", {}).get("namespace")
    if io.get("namespace") and ns != io.get("namespace"):
        errs.append(invalid("involvedObject.namespace", io.get("namespace"),
                            "does not match event.namespace"))
    if obj.get("type") not in (None, "", "Normal", "Warning"):
        errs.append(not_supported("type", obj.get("type"), ["Normal", "Warning"]))
    return errs


def node(obj: dict) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, t in enumerate((obj.get("spec") or {}).get("taints") or ()):
        if not isinstance(t, dict) or not t.get("key"):
            errs.append(required(f"spec.taints[{i}].key", ""))
            continue
        eff = t.get("effect")
        if eff not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            errs.append(not_supported(f"spec.taints[{i}].effect", eff,
                                      ["NoExecute", "NoSchedule", "PreferNoSchedule"]))
    return errs


def endpoints(obj: dict) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, subset in enumerate(obj.get("subsets") or ()):
        if not isinstance(subset, dict):
            errs.append(invalid(f"subsets[{i}]", subset, "must be an object"))
            continue
        for j, addr in enumerate(subset.get("addresses") or ()):
            if not isinstance(addr, dict) or not addr.get("ip"):
                errs.append(required(f"subsets[{i}].addresses[{j}].ip", ""))
        for j, p in enumerate(subset.get("ports") or ()):
            port = p.get("port") if isinstance(p, dict) else None
            if not isinstance(port, int) or not 1 <= port <= 65535:
                errs.append(invalid(f"subsets[{i}].ports[{j}].port", port, inclusive_range_error(1, 65535)))
    return errs


def nothing(obj: dict) -> list[FieldError]:
    return []


def subdomain(name: str) -> list[str]:
    return is_dns1123_subdomain(name)
