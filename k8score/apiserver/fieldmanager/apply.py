"""Server-side apply and the managedFields bookkeeping of every other write.

Mirrors sigs.k8s.io/structured-merge-diff merge/update.go (``Updater.Apply``, ``Update``,
``prune``, ``addBackOwnedItems``, ``addBackDanglingItems``) wrapped the way
k8s.io/apimachinery/pkg/util/managedfields/internal/fieldmanager.go
``NewDefaultFieldManager`` chains its managers: version check, last-applied updater,
skip-non-applied (``before-first-apply``), cap managers, build manager info,
managed-fields updater (times), strip meta, structured merge.

Both functions are pure: they take the live object (or None on create) and return new data;
time is the caller's ``now_text`` (RFC 3339, ``2026-01-01T00:00:00Z``).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from ...api.errors import ApiError, status
from .fieldpath import Set, path_string
from .fastpath import canonical, reuse
from .managers import (BEFORE_FIRST_APPLY, DEFAULT_MANAGER, DecodeError, Managed, VersionedSet,
                       cap_update_managers, decode, encode, identifier, print_manager, strip_meta)
from .typed import (TypedError, child_schema, compare, ensure_named_fields_are_members, merge, remove_items,
                    to_field_set)

# kubectl's annotation (lastapplied.go LastAppliedConfigAnnotation)
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

# Go value structs of the built-in kinds (never nil in a typed empty object, unlike pointers
# and maps): a create does not make their writer own their existence ("." in fieldsV1).
# apps/v1 types.go DeploymentSpec.Template/Strategy, DaemonSetSpec/StatefulSetSpec.UpdateStrategy,
# core/v1 PodTemplateSpec.ObjectMeta/Spec.
_VALUE_STRUCTS = (("metadata",), ("spec",), ("status",), ("spec", "template"),
                  ("spec", "template", "metadata"), ("spec", "template", "spec"),
                  ("spec", "strategy"), ("spec", "updateStrategy"))


def default_reset_fields(subresource: str | None) -> Set:
    """What a write may not change (the strategies' GetResetFields): the main resource never
    writes ``status``; the status subresource never writes ``spec``."""
    top = "spec" if subresource == "status" else "status"
    return Set.from_paths([(("f", top),)])


def apply(live: dict | None, config: dict, manager: str, force: bool, schema: Any, now_text: str,
          api_version: str, subresource: str | None = None, reset_fields: Set | None = None) -> dict:
    """Server-side apply ``config`` onto ``live`` (None: create by apply) as ``manager``.

    Returns the new object with ``metadata.managedFields`` updated. Raises :class:`ApiError`:
    400 when ``config`` carries managedFields or another apiVersion; 409 Conflict (one cause
    ``FieldManagerConflict`` per field) when another manager owns a field that this apply
    changes and ``force`` is false — with ``force`` the fields move to the applier. Fields the
    applier applied last time and leaves out now are removed unless another manager owns them.
    Values under ``reset_fields`` (default: ``status``, or ``spec`` for the status subresource)
    keep their live value and are owned by nobody.
    """
    if not isinstance(config, dict):
        raise ApiError.bad_request("apply patch must be a JSON object")
    meta = config.get("metadata", {})
    if not isinstance(meta, dict):
        raise ApiError.bad_request("metadata must be an object")
    if isinstance(meta, dict) and meta.get("managedFields") is not None:
        raise ApiError.bad_request("metadata.managedFields must be nil")
    if config.get("apiVersion", api_version) != api_version:
        # structuredmerge.go Apply
        raise ApiError.bad_request("Incorrect version specified in apply patch. Specified patch "
                                   f"version: {config.get('apiVersion')}, expected: {api_version}")
    reset = reset_fields if reset_fields is not None else default_reset_fields(subresource)
    live_obj = _without_managed_fields(live) if live is not None else {}
    try:
        managed = decode(_meta(live).get("managedFields"))
    except DecodeError as e:
        raise ApiError(status(500, "", f"failed to decode managed fields: {e}")) from None
    if not managed.fields and live is not None:
        # skipnonapplied.go: whoever wrote the untracked object owns what is there
        _update(managed, _empty_like(live_obj, schema), live_obj, BEFORE_FIRST_APPLY, schema, now_text,
                api_version, subresource, reset)
    me = identifier(manager, "Apply", api_version, subresource or "")
    try:
        new = _apply_merge(live_obj, config, me, managed, force, schema, api_version, reset)
    except TypedError as e:
        raise ApiError(status(500, "", f"failed to create typed patch object: {e}")) from None
    new = _restore(new, live_obj, reset)
    strip_meta(managed, me)
    if new != live_obj:
        managed.times[me] = now_text
    else:
        new = live_obj
    if manager == "kubectl" and _has_last_applied(live_obj):
        # lastappliedupdater.go: keep kubectl's client-side annotation in step
        new = copy.deepcopy(new)
        ann = new["metadata"].get("annotations")
        new["metadata"]["annotations"] = {**(ann if isinstance(ann, dict) else {}),
                                          LAST_APPLIED: _last_applied_text(config)}
    return _with_managed_fields(new, encode(managed))


def update_managed_fields(old: dict | None, new: dict, manager: str, schema: Any, now_text: str,
                          api_version: str, operation: str = "Update", subresource: str | None = None,
                          reset_fields: Set | None = None) -> list:
    """managedFields after a create/update/patch that is not an apply.

    ``manager`` (``"unknown"`` when empty) gains every field the write added or changed;
    other managers lose those fields and the removed ones; entries left empty are dropped; the
    writer's entry is stamped ``now_text`` only if it changed something. Past 10 Update entries
    the oldest merge into ``ancient-changes``. Never raises: an object that does not fit the
    schema keeps ``old``'s managedFields. A client may send ``managedFields`` in ``new``
    (kept unless it does not decode) or ``[]`` to reset them; the status subresource always
    starts from ``old``'s. An object stored without managedFields stays without them (only a
    create or an apply starts tracking). Returns the list to store (may be empty).
    """
    reset = reset_fields if reset_fields is not None else default_reset_fields(subresource)
    diff = None
    if old is not None and operation == "Update":
        # fastpath.py: the stored entries answer most updates without decoding them
        entries = _live_or_new_entries(old, new, bool(subresource))
        if canonical(entries):
            try:
                diff = _filtered_compare(_without_managed_fields(old), _without_managed_fields(new),
                                         schema, reset)
            except TypedError:
                return _kept(old)
            out = reuse(entries, *diff, manager or DEFAULT_MANAGER, api_version, subresource or "", now_text)
            if out is not None:
                return out
    return _full_update(old, new, manager, schema, now_text, api_version, operation, subresource, reset, diff)


def _full_update(old: dict | None, new: dict, manager: str, schema: Any, now_text: str, api_version: str,
                 operation: str, subresource: str | None, reset: Set, diff: tuple | None = None) -> list:
    """update_managed_fields by decoding, updating and encoding every entry (``diff``: the
    filtered comparison of old and new, when already made)."""
    managed = _live_or_new(old, new, bool(subresource))
    if not managed.fields and old is not None:
        return []
    old_obj = _without_managed_fields(old) if old is not None else _empty_like(new, schema)
    try:
        _update(managed, old_obj, _without_managed_fields(new), manager, schema, now_text,
                api_version, subresource, reset, operation, diff)
    except TypedError:
        # fieldmanager.go UpdateNoErrors: an object that does not fit its schema keeps the
        # live managedFields (validation will refuse the object anyway)
        return _kept(old)
    cap_update_managers(managed)
    return encode(managed)


def _kept(old: Any) -> list:
    kept = _meta(old).get("managedFields")
    return copy.deepcopy(kept) if isinstance(kept, list) else []


def create_shape(obj: Any) -> Any:
    """An object that :func:`update_managed_fields` answers exactly as for ``obj`` when it is
    a create (``old`` None): ``obj`` with every string and number it reaches through maps
    alone (not through a list) replaced by ``""`` / ``0``, and ``metadata.managedFields``
    kept as is. Memoising creates on it makes objects that differ only in such values
    (names, uids, timestamps, an Event's message) one computation.

    Why the answer cannot differ: compared with the typed empty object (:func:`_empty_like`,
    which keeps only maps, lists and nulls), such a leaf is added whatever its value — a
    value is never equal to the empty object's ``{}``/``null`` nor to the missing field;
    its type (map, list, null or scalar) is kept, and list items, whose values name them
    (``k:{"name":"x"}``, ``v:"x"``), are not touched. Field sets record paths, never values.

    >>> create_shape({"metadata": {"name": "a", "labels": {"app": "web"}}, "n": 3, "l": ["x"]})
    {'metadata': {'name': '', 'labels': {'app': ''}}, 'n': 0, 'l': ['x']}
    """
    if not isinstance(obj, dict):
        return obj
    out = _shape(obj)
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        out["metadata"]["managedFields"] = meta["managedFields"]
    return out


def _shape(d: dict) -> dict:
    out = {}
    for k, v in d.items():
        t = type(v)
        if t is str:
            v = ""
        elif t is dict:
            v = _shape(v)
        elif t is int or t is float:
            v = 0
        out[k] = v
    return out


# -- internals -------------------------------------------------------------------------------

def _update(managed: Managed, old: dict, new: dict, manager: str, schema: Any, now_text: str,
            api_version: str, subresource: str | None, reset: Set, operation: str = "Update",
            diff: tuple | None = None) -> None:
    """managedfieldsupdater.go + update.go Update: the write's changes as a temporary manager,
    merged into the writer's entry (with a new time) only when not empty."""
    added, modified, removed = diff if diff is not None else _filtered_compare(old, new, schema, reset)
    for ident in list(managed.fields):
        vs = managed.fields[ident]
        s = vs.set.difference(modified.union(added)).difference(removed)
        if s.empty():
            del managed.fields[ident]
        else:
            managed.fields[ident] = VersionedSet(s, vs.api_version, vs.applied)
    current = modified.union(added).difference(removed)
    holder = identifier("current-operation", operation, api_version, subresource or "")
    managed.fields[holder] = VersionedSet(current, api_version, False)
    strip_meta(managed, holder)
    vs = managed.fields.pop(holder, None)
    if vs is None:
        return
    me = identifier(manager, operation, api_version, subresource or "")
    if me in managed.fields:
        vs = VersionedSet(vs.set.union(managed.fields[me].set), api_version, False)
    managed.fields[me] = vs
    managed.times[me] = now_text


def _filtered_compare(old: Any, new: Any, schema: Any, reset: Set) -> tuple[Set, Set, Set]:
    added, modified, removed = compare(old, new, schema)
    return (_exclude(added, reset), _exclude(modified, reset), _exclude(removed, reset))


def _exclude(s: Set, prefixes: Set) -> Set:
    """Set.RecursiveDifference: drop every path at or under a member of ``prefixes``."""
    out = Set()
    out.members = s.members - prefixes.members
    for pe, c in s.children.items():
        if pe in prefixes.members:
            continue
        sub = _exclude(c, prefixes.children[pe]) if pe in prefixes.children else c   # shared, read-only
        if not sub.empty():
            out.children[pe] = sub
    return out


def _apply_merge(live: dict, config: dict, me: Any, managed: Managed, force: bool, schema: Any,
                 api_version: str, reset: Set) -> dict:
    """update.go Apply: merge, record the applied set, prune, then check other managers."""
    new = merge(live, config, schema)
    last = managed.fields.get(me)
    managed.fields[me] = VersionedSet(_exclude(to_field_set(config, schema), reset), api_version, True)
    if last is not None and not last.set.empty():
        new = _prune(new, managed, last.set, schema)
    added, modified, removed = _filtered_compare(live, new, schema, reset)
    changed = modified.union(added)
    conflicts = []
    for ident in sorted(managed.fields):
        if ident == me:
            continue
        vs = managed.fields[ident]
        clash = vs.set.intersection(changed)
        if not clash.empty():
            conflicts.extend((ident, p) for p in clash.paths())
    if conflicts and not force:
        raise _conflict_error(conflicts)
    for ident in list(managed.fields):
        if ident == me:
            continue
        vs = managed.fields[ident]
        s = vs.set.difference(changed).difference(removed)
        if s.empty():
            del managed.fields[ident]
        else:
            managed.fields[ident] = VersionedSet(s, vs.api_version, vs.applied)
    return new


def _prune(merged: dict, managed: Managed, last: Set, schema: Any) -> dict:
    """Remove what the applier applied last time and not now, unless someone owns it."""
    ens = lambda s: ensure_named_fields_are_members(s, schema)  # noqa: E731
    pruned = remove_items(merged, ens(last), schema)
    owned = Set()
    for vs in managed.fields.values():
        owned = owned.union(vs.set)
    merged_set = ens(to_field_set(merged, schema))
    pruned_set = ens(to_field_set(pruned, schema))
    # addBackOwnedItems: put back whatever another manager (or this config) owns
    pruned = remove_items(merged, merged_set.difference(pruned_set.union(ens(owned))), schema)
    # addBackDanglingItems: remove only what the applier itself owned last time
    pruned_set = ens(to_field_set(pruned, schema))
    return remove_items(merged, merged_set.difference(pruned_set).intersection(ens(last)), schema)


def _conflict_error(conflicts: list) -> ApiError:
    """conflict.go NewConflictError + errors.NewApplyConflict."""
    causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {print_manager(i)}",
               "field": path_string(p)} for i, p in conflicts]
    if len(conflicts) == 1:
        i, p = conflicts[0]
        msg = f"Apply failed with 1 conflict: conflict with {print_manager(i)}: {path_string(p)}"
    else:
        by_manager: dict = {}
        for i, p in conflicts:
            by_manager.setdefault(print_manager(i), []).append(path_string(p))
        lines = []
        for name in sorted(by_manager):
            lines.append(f"conflicts with {name}:")
            lines.extend(f"- {p}" for p in by_manager[name])
        msg = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return ApiError(status(409, "Conflict", msg, {"causes": causes}))


def _live_or_new_entries(old: dict, new: dict, subresource: bool) -> Any:
    """The raw managedFields :func:`_live_or_new` decodes when they are canonical (a sent
    list that is not falls back to the full path, which decides between sent and live)."""
    sent = None if subresource else _meta(new).get("managedFields")
    return _meta(old).get("managedFields") if sent is None else sent


def _live_or_new(old: dict | None, new: dict, subresource: bool) -> Managed:
    """fieldmanager.go decodeLiveOrNew."""
    def safe(obj: Any) -> Managed:
        try:
            return decode(_meta(obj).get("managedFields"))
        except DecodeError:
            return Managed()
    if subresource:
        return safe(old)
    sent = _meta(new).get("managedFields")
    if sent == [] or sent == [{}]:
        return Managed()
    got = safe(new)
    return got if got.fields else safe(old)


def _restore(new: dict, live: dict, reset: Set) -> dict:
    # the strategy's PrepareForUpdate keeps reset fields as they were (top-level ones)
    for pe in reset.members:
        name = pe[1]
        if name in live:
            new[name] = copy.deepcopy(live[name])
        else:
            new.pop(name, None)
    return new


def _empty_like(obj: dict, schema: Any) -> dict:
    """What ``new(Kind)`` looks like as JSON, shaped after ``obj``: value structs are ``{}``
    and required (non-omitempty) lists and maps ``null``; a create then owns the existence
    of only what a typed empty object lacks (ports, labels: ``".": {}``)."""
    return _skeleton(obj, schema, ())


def _skeleton(obj: dict, sch: Any, path: tuple) -> dict:
    out: dict = {}
    required = getattr(sch, "required", ()) if sch is not None else ()
    for k, v in obj.items():
        sub, _ = child_schema(sch, k)
        if path + (k,) in _VALUE_STRUCTS and isinstance(v, dict):
            out[k] = _skeleton(v, sub, path + (k,))
        elif k in required and isinstance(v, (dict, list)):
            out[k] = None
    return out


def _meta(obj: Any) -> dict:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    return meta if isinstance(meta, dict) else {}


def _without_managed_fields(obj: dict) -> dict:
    """``obj`` without metadata.managedFields: a shallow view (comparisons only read it)."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or "managedFields" not in meta:
        return obj
    return {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}


def _with_managed_fields(obj: dict, entries: list) -> dict:
    out = copy.deepcopy(obj)
    if not isinstance(out.get("metadata"), dict):
        out["metadata"] = {}
    meta = out["metadata"]
    if entries:
        meta["managedFields"] = entries
    else:
        meta.pop("managedFields", None)
    return out


def _has_last_applied(obj: dict) -> bool:
    ann = _meta(obj).get("annotations")
    return isinstance(ann, dict) and bool(ann.get(LAST_APPLIED))


def _last_applied_text(config: dict) -> str:
    # buildLastApplied: the applied object minus the annotation, as encoding/json writes it
    c = copy.deepcopy(config)
    ann = (c.get("metadata") or {}).get("annotations")
    if isinstance(ann, dict):
        ann.pop(LAST_APPLIED, None)
    return json.dumps(c, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
