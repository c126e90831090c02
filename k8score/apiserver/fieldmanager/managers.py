"""``metadata.managedFields`` entries: decoding, encoding, ordering and capping.

Mirrors k8s.io/apimachinery/pkg/util/managedfields/internal/: managedfields.go (decode,
``BuildManagerIdentifier``, ``sortEncodedManagedFields``), capmanagers.go
(``DefaultMaxUpdateManagers`` = 10, bucket ``ancient-changes``), stripmeta.go, conflict.go
(``printManager``).

A manager is identified by ``(manager, operation, apiVersion, subresource)``; appliers are
identified without their apiVersion, so an applier keeps one entry across versions.

>>> ident = identifier("kubectl", "Update", "apps/v1")
>>> print_manager(ident)
'"kubectl" using apps/v1'
>>> print_manager(identifier("kubectl", "Apply", "apps/v1"))
'"kubectl"'
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field as dc_field
from typing import Any

from .fieldpath import FieldsV1Error, Set, from_fields_v1, to_fields_v1

# fieldmanager.go DefaultMaxUpdateManagers; capmanagers.go oldUpdatesManagerName
MAX_UPDATE_MANAGERS = 10
ANCIENT_CHANGES = "ancient-changes"
# skipnonapplied.go beforeApplyManagerName
BEFORE_FIRST_APPLY = "before-first-apply"
# buildmanagerinfo.go: the manager name when the request named none
DEFAULT_MANAGER = "unknown"

# stripmeta.go stripSet: never part of any manager's set
_STRIP_PATHS = [("apiVersion",), ("kind",), ("metadata",), ("metadata", "name"),
                ("metadata", "namespace"), ("metadata", "creationTimestamp"),
                ("metadata", "selfLink"), ("metadata", "uid"), ("metadata", "clusterName"),
                ("metadata", "generation"), ("metadata", "managedFields"),
                ("metadata", "resourceVersion")]
STRIP_SET = Set.from_paths(tuple(("f", n) for n in p) for p in _STRIP_PATHS)


@dataclass(frozen=True, order=True)
class Identifier:
    """BuildManagerIdentifier: an Apply identifier carries no apiVersion."""
    manager: str
    operation: str
    api_version: str = ""
    subresource: str = ""

    def json(self) -> str:
        # json.Marshal of the ManagedFieldsEntry fields that are set, in struct order
        d: dict = {"manager": self.manager, "operation": self.operation}
        if self.api_version:
            d["apiVersion"] = self.api_version
        if self.subresource:
            d["subresource"] = self.subresource
        return json.dumps(d, separators=(",", ":"), ensure_ascii=False)


def identifier(manager: str, operation: str, api_version: str, subresource: str = "") -> Identifier:
    return Identifier(manager or DEFAULT_MANAGER, operation,
                      "" if operation == "Apply" else api_version, subresource or "")


@dataclass
class VersionedSet:
    set: Set
    api_version: str
    applied: bool


@dataclass
class Managed:
    """Decoded managedFields: one VersionedSet and one time (or None) per identifier."""
    fields: dict = dc_field(default_factory=dict)
    times: dict = dc_field(default_factory=dict)


class DecodeError(ValueError):
    pass


def decode(entries: Any) -> Managed:
    """managedfields.go DecodeManagedFields (same error texts)."""
    m = Managed()
    if entries is None:
        return m
    if not isinstance(entries, list):
        raise DecodeError("managedFields must be a list")
    for i, e in enumerate(entries):
        if not isinstance(e, dict):
            raise DecodeError(f"managed fields entry {i} is not an object")
        op = e.get("operation")
        if op not in ("Apply", "Update"):
            raise DecodeError("operation must be `Apply` or `Update`")
        if not e.get("apiVersion"):
            raise DecodeError("apiVersion must not be empty")
        ft = e.get("fieldsType", "")
        if ft == "":
            raise DecodeError(f"missing fieldsType in managed fields entry {i}")
        if ft != "FieldsV1":
            raise DecodeError(f'invalid fieldsType "{ft}" in managed fields entry {i}')
        ident = Identifier(str(e.get("manager") or ""), op, "" if op == "Apply" else e["apiVersion"],
                           str(e.get("subresource") or ""))
        try:
            s = from_fields_v1(e.get("fieldsV1") or {})
        except FieldsV1Error as err:
            raise DecodeError(f"error decoding versioned set: {err}") from None
        m.fields[ident] = VersionedSet(s, e["apiVersion"], op == "Apply")
        m.times[ident] = e.get("time")
    return m


def encode(m: Managed) -> list:
    """managedfields.go encodeManagedFields + sortEncodedManagedFields: ordered by operation
    (Apply first), time, manager, apiVersion, subresource. An entry has a ``time`` only once
    its manager changed the object."""
    out = []
    for ident, vs in m.fields.items():
        e: dict = {"manager": ident.manager, "operation": "Apply" if vs.applied else "Update",
                   "apiVersion": vs.api_version}
        t = m.times.get(ident)
        if t:
            e["time"] = t
        e["fieldsType"] = "FieldsV1"
        e["fieldsV1"] = to_fields_v1(vs.set)
        if ident.subresource:
            e["subresource"] = ident.subresource
        out.append(e)
    # Time is RFC 3339 in UTC ("2026-01-01T00:00:00Z"), so the text sorts as the instant;
    # an entry without time sorts as the Unix epoch, before every real time.
    out.sort(key=lambda e: (e["operation"], e.get("time") or "", e["manager"], e["apiVersion"],
                            e.get("subresource", "")))
    return out


def strip_meta(m: Managed, ident: Identifier) -> None:
    """stripmeta.go: drop apiVersion, kind and server-owned metadata from one manager's set."""
    vs = m.fields.get(ident)
    if vs is None:
        return
    s = vs.set.difference(STRIP_SET)
    if s.empty():
        del m.fields[ident]
    else:
        m.fields[ident] = VersionedSet(s, vs.api_version, vs.applied)


def cap_update_managers(m: Managed, limit: int = MAX_UPDATE_MANAGERS) -> None:
    """capmanagers.go: past ``limit`` Update entries, merge the oldest into one
    ``ancient-changes`` entry per apiVersion (its time is the newest merged entry's)."""
    updaters = [i for i, vs in m.fields.items() if not vs.applied]
    if len(updaters) <= limit:
        return
    updaters.sort(key=lambda i: (m.times.get(i) or "", i.json()))
    first_of_version: dict = {}
    length = len(updaters)
    for ident in updaters:
        if length <= limit:
            break
        vs = m.fields[ident]
        version = vs.api_version
        bucket = identifier(ANCIENT_CHANGES, "Update", version)
        if version in first_of_version:
            if bucket not in m.fields:
                first = first_of_version[version]
                m.fields[bucket] = m.fields.pop(first)
            m.fields[bucket] = VersionedSet(vs.set.union(m.fields[bucket].set), version, vs.applied)
            del m.fields[ident]
            length -= 1
            m.times[bucket] = m.times.get(ident)
        else:
            first_of_version[version] = ident


def print_manager(ident: Identifier) -> str:
    """conflict.go printManager: ``"kubectl" using apps/v1`` for an updater, ``"name"`` for an
    applier, with ``with subresource "status"`` when it wrote a subresource."""
    s = json.dumps(ident.manager, ensure_ascii=False)
    if ident.subresource:
        s += f' with subresource {json.dumps(ident.subresource, ensure_ascii=False)}'
    if ident.operation == "Update":
        s += f" using {ident.api_version}"
    return s
