"""The smaller describers (namespace, configmap, endpoints, serviceaccount) and the generic one
kubectl falls back to for kinds without a describer (leases, events...)."""

from __future__ import annotations

import re
from typing import Any

from .describe_blocks import Writer, meta_of, write_events, write_header


def describe_namespace(ns: dict) -> str:
    """describe.go describeNamespace (no quotas or limit ranges exist in the simulation)."""
    meta = meta_of(ns)
    w = Writer()
    write_header(w, meta, namespaced=False)
    w.write(0, f"Status:\t{(ns.get('status') or {}).get('phase', '')}\n")
    w.write(0, "\nNo resource quota.\n")
    w.write(0, "\nNo LimitRange resource.\n")
    return w.text()


def describe_configmap(cm: dict, events: list[dict] | None, now: float) -> str:
    meta = meta_of(cm)
    w = Writer()
    write_header(w, meta)
    w.write(0, "\nData\n====\n")
    for key in sorted(cm.get("data") or {}):   # upstream ranges over a Go map; sorted here
        w.write(0, f"{key}:\n----\n")
        w.write(0, f"{cm['data'][key]}\n")
        w.write(0, "\n")
    w.write(0, "\nBinaryData\n====\n")
    for key in sorted(cm.get("binaryData") or {}):
        w.write(0, f"{key}: {len(cm['binaryData'][key]) * 3 // 4} bytes\n")
    w.write(0, "\n")
    write_events(w, events, now)
    return w.text()


def describe_endpoints(ep: dict, events: list[dict] | None, now: float) -> str:
    meta = meta_of(ep)
    w = Writer()
    write_header(w, meta)
    w.write(0, "Subsets:\n")
    for ss in ep.get("subsets") or ():
        addrs = ",".join(a.get("ip", "") for a in ss.get("addresses") or ()) or "<none>"
        not_ready = ",".join(a.get("ip", "") for a in ss.get("notReadyAddresses") or ()) or "<none>"
        w.write(1, f"Addresses:\t{addrs}\n")
        w.write(1, f"NotReadyAddresses:\t{not_ready}\n")
        if ss.get("ports"):
            w.write(1, "Ports:\n")
            w.write(2, "Name\tPort\tProtocol\n")
            w.write(2, "----\t----\t--------\n")
            for p in ss["ports"]:
                w.write(2, f"{p.get('name') or '<unset>'}\t{p.get('port')}\t{p.get('protocol', 'TCP')}\n")
        w.write(0, "\n")
    write_events(w, events, now)
    return w.text()


def describe_serviceaccount(sa: dict, events: list[dict] | None, now: float) -> str:
    meta = meta_of(sa)
    w = Writer()
    write_header(w, meta)
    pulls = [s.get("name", "") for s in sa.get("imagePullSecrets") or ()]
    mounts = [s.get("name", "") for s in sa.get("secrets") or ()]
    w.write(0, "Image pull secrets:\t" + (pulls[0] if pulls else "<none>") + "\n")
    for name in pulls[1:]:
        w.write(0, f"\t{name}\n")
    if mounts:   # kubectl >= 1.3x prints the legacy token sections only when there is something
        w.write(0, f"Mountable secrets:\t{mounts[0]}\n")
        for name in mounts[1:]:
            w.write(0, f"\t{name}\n")
    write_events(w, events, now)
    return w.text()


# -- generic -----------------------------------------------------------------------------------
_ACRONYMS = ("API", "URL", "UID", "OSB", "GUID")
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_SKIP = (".metadata.managedFields", ".metadata.name", ".metadata.namespace", ".metadata.labels",
         ".metadata.annotations")


def describe_resourcequota(quota: dict) -> str:
    """describe.go ResourceQuotaDescriber: Used and Hard per resource, sorted by name."""
    meta, spec = meta_of(quota), quota.get("spec") if isinstance(quota.get("spec"), dict) else {}
    status = quota.get("status") if isinstance(quota.get("status"), dict) else {}
    w = Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    scopes = spec.get("scopes") or []
    if scopes:
        w.write(0, "Scopes:\t" + ", ".join(sorted(str(s) for s in scopes)) + "\n")
    w.write(0, "Resource\tUsed\tHard\n")
    w.write(0, "--------\t----\t----\n")
    hard, used = status.get("hard") or {}, status.get("used") or {}
    for name in sorted(spec.get("hard") or {}):
        w.write(0, f"{name}\t{used.get(name, '0')}\t{hard.get(name, '0')}\n")
    return w.text()


def smart_label(field: str) -> str:
    """describe.go smartLabelFor: ``leaseDurationSeconds`` -> ``Lease Duration Seconds``."""
    if any(not (c.isalpha() or c == "-") for c in field):
        return field
    parts = []
    for part in _WORDS.findall(field):
        parts.append(part.upper() if part.upper() in _ACRONYMS else part[:1].upper() + part[1:])
    return " ".join(parts)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return "<nil>" if v is None else str(v)


def _content(w: Writer, level: int, content: dict, prefix: str) -> None:
    # describe.go printUnstructuredContent: sorted fields, maps and lists nested a level deeper
    for field in sorted(content):
        value, path = content[field], f"{prefix}.{field}"
        if path in _SKIP:
            continue
        if isinstance(value, dict):
            w.write(level, f"{smart_label(field)}:\n")
            _content(w, level + 1, value, path)
        elif isinstance(value, list):
            w.write(level, f"{smart_label(field)}:\n")
            for child in value:
                if isinstance(child, dict):
                    _content(w, level + 1, child, path)
                else:
                    w.write(level + 1, f"{_value(child)}\n")
        else:
            w.write(level, f"{smart_label(field)}:\t{_value(value)}\n")


def describe_unstructured(obj: dict, events: list[dict] | None, now: float) -> str:
    """describe.go genericDescriber: every field of the object, as ``Title Case:  value``."""
    meta = meta_of(obj)
    w = Writer()
    write_header(w, meta)
    _content(w, 0, obj, "")
    write_events(w, events, now)
    return w.text()
