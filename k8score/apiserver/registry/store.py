"""The generic store: create, get, list, update, delete and watch for every resource.

Upstream's ``registry.Store`` (k8s.io/apiserver/pkg/registry/generic/registry/store.go)
with the handler steps around it (pkg/endpoints/handlers/create.go, update.go, patch.go,
delete.go). For a write, in this order:

1. decode: the body must be an object of this resource's apiVersion/kind (400);
2. defaulting (``strategy.default``);
3. mutating admission (the chain in :mod:`k8score.apiserver.admission`);
4. ``strategy.prepare_for_create`` / ``prepare_for_update``, system metadata (uid,
   creationTimestamp, generation), then ``strategy.validate`` (422 Invalid);
5. validating admission;
6. allocation hooks (``strategy.on_create``: a Service's ClusterIP), then one guarded
   etcd transaction; any failure after an allocation undoes it.

With ``dryRun=All`` every step runs except the write (allocations are undone), so the
answer is exactly what would be stored. No step knows which resource it serves: what
differs lives in the strategy.
"""

from __future__ import annotations

from typing import Any, Callable

from ...api.errors import ApiError
from ...api.quantity import QuantityError
from ...api.schema import schema_for
from ...api.schema.decode import decode as decode_schema
from ...api.schema._fast import max_depth
from ...api.schema.limits import MAX_DEPTH, JSONSyntaxError, check_value
from ..fieldmanager import DEFAULT_MANAGER, update_managed_fields
from ..fieldmanager.apply import create_shape
from ..jsonutil import copy_json, ordered_meta
from ..memo import CopyMemo
from ..storage import encode
from .fastpath import differs, drop_struct_nulls, fast_decodes

_GENERATE_NAME_RETRIES = 8  # registry store.go: retries on a generated-name collision
# names.SimpleNameGenerator: 5 chars from this alphabet (no vowels: no accidental words)
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def decode_error(info: Any, err: Any) -> ApiError:
    return ApiError.bad_request(f'{info.kind} in version "{info.version}" cannot be handled as a '
                                f"{info.kind}: {err}")


def check_type(info: Any, body: Any, shared: str | None = None) -> dict:
    """The body as a private object of this resource (apiVersion/kind checked, copied)."""
    if not isinstance(body, dict):
        raise ApiError.bad_request(f"the body of the request must be a JSON object, got "
                                   f"{type(body).__name__}")
    api_version, kind = body.get("apiVersion"), body.get("kind")
    if api_version is not None and api_version != info.api_version:
        raise ApiError.bad_request(f"the API version in the data ({api_version}) does not match "
                                   f"the expected API version ({info.api_version})")
    if kind is not None and kind != info.kind:
        raise ApiError.bad_request(f"the kind in the data ({kind}) does not match the expected "
                                   f"kind ({info.kind})")
    meta = body.get("metadata", {})
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise decode_error(info, "metadata must be an object")
    try:
        # the order the real serializer writes: apiVersion, kind, metadata, ..., status
        obj = {"apiVersion": info.api_version, "kind": info.kind, "metadata": copy_json(meta) or {}}
        for k, v in body.items():
            if k not in obj and k != "status":
                obj[k] = v if k == shared or not isinstance(v, (dict, list)) else copy_json(v)
        if "status" in body:
            obj["status"] = copy_json(body["status"])
    except ValueError as e:
        raise decode_error(info, e) from None
    return obj


def decode_body(rc: Any, body: Any, shared: str | None = None, base: dict | None = None) -> dict:
    """The request body as a private, type-checked object of the resource: nesting and
    NaN/Infinity limits, apiVersion/kind, then the schema (Go's decoding errors, 400) with
    ``fieldValidation`` Strict / Warn / Ignore — Warn's findings become warnings.

    ``base``: the stored object a patch was applied to. A top-level map or list of ``body``
    that *is* ``base``'s (the patch left it alone) is what a decode accepted when it was
    stored, so decoding it again finds nothing: it is not decoded, and the result holds it
    by identity (read-only) — an untouched ``metadata`` as a shallow copy (the update
    path sets its name and namespace); ``status`` is always decoded. Only for the status
    subresource, whose update keeps nothing of the body but status and resourceVersion."""
    if base is not None and type(body) is dict:
        skip = [k for k, v in body.items()
                if k not in _ALWAYS_DECODED and type(v) in (dict, list) and base.get(k) is v]
        if skip:
            return _decode_rest(rc, body, shared, skip)
    info = rc.info
    hook = getattr(rc.strategy, "decode_body", None)
    schema = schema_for(info.api_version, info.kind)
    # The limits come first, but when the schema bounds the nesting below MAX_DEPTH, the
    # schema's fast path below proves them (finite floats, depth): they are checked only
    # before anything else can answer — an error, or the precise decoder.
    pending = hook is None and schema is not None and type(body) is dict and max_depth(schema) <= MAX_DEPTH
    if not pending:
        _check_limits(info, body)
    try:
        obj = check_type(info, body, shared)
        mode = rc.req.options.get("fieldValidation") or ""
        if mode not in ("Strict", "Warn", "Ignore", ""):
            raise ApiError.bad_request(f'fieldValidation {mode} is invalid: valid values are "Ignore", '
                                       f'"Warn", and "Strict"')
    except Exception:
        if pending:
            _check_limits(info, body)
        raise
    if hook is not None:  # a custom resource: its CRD's structural schema
        rc.warnings += hook(obj, mode)
        return obj
    _drop_declared_nulls(obj, info)
    if schema is not None:
        # decode's own fast path (the object as it would store it), without the memo's keys
        if fast_decodes(schema, obj):
            return obj
        if shared is None or shared not in obj:   # (never edit what the caller still holds)
            drop_struct_nulls(schema, obj)   # what decoding drops anyway (a null lastProbeTime)
            if fast_decodes(schema, obj):
                return obj
    if pending:
        _check_limits(info, body)
    decoded, warnings = _DECODE.call(info.api_version, info.kind, mode, obj)
    if warnings:
        rc.warnings += [f"unknown field \"{w}\"" if not w.startswith("unknown field") else w
                        for w in warnings]
    return decoded


_ALWAYS_DECODED = ("apiVersion", "kind", "status")


def _check_limits(info: Any, body: Any) -> None:
    """limits.check_value as the decoder answers it: nesting or NaN/Infinity 400."""
    try:
        check_value(body)
    except JSONSyntaxError as e:
        raise ApiError.bad_request(f"the object provided is unrecognized (must be of type {info.kind}): "
                                   f"couldn't get version/kind; json parse error: {e}") from None
    except TypeError as e:
        raise decode_error(info, e) from None


def _decode_rest(rc: Any, body: dict, shared: str | None, skip: list) -> dict:
    """decode_body of ``body`` but for the top-level ``skip`` keys, kept as they are: the
    same object, keys in the order check_type writes them (the decoder keeps input order)."""
    decoded = decode_body(rc, {k: v for k, v in body.items() if k not in skip}, shared)
    out = {k: decoded[k] for k in ("apiVersion", "kind", "metadata") if k in decoded}
    if "metadata" in skip:
        out["metadata"] = dict(body["metadata"])
    for k, v in body.items():
        if k in skip:
            if k != "metadata":
                out[k] = v
        elif k in decoded and k not in out and k != "status":
            out[k] = decoded[k]
    if "status" in decoded:
        out["status"] = decoded["status"]
    return out


def _drop_declared_nulls(obj: dict, info: Any) -> None:
    """Remove top-level fields of ``obj`` (check_type's own dict) that the schema declares
    and that hold null: the decoder drops them anyway (a declared null decodes as absent,
    with no warning), and without them its fast path applies — client-go's event recorder
    sends ``"eventTime": null`` with every Event."""
    nulls = [k for k, v in obj.items() if v is None]
    if nulls:
        schema = schema_for(info.api_version, info.kind)
        props = getattr(schema, "properties", None) or {}
        for k in nulls:
            if k in props:
                del obj[k]


def _decode(api_version: str, kind: str, mode: str, obj: dict) -> tuple[dict, list]:
    return decode_schema(api_version, kind, obj, mode)


def _update_fields(old: Any, new: dict, manager: str, now: str, api_version: str, sub: Any,
                   kind: str) -> list | None:
    """update_managed_fields, or None when the object does not fit its schema."""
    try:
        return update_managed_fields(old, new, manager, schema_for(api_version, kind), now, api_version,
                                     subresource=sub)
    except ApiError:
        return None  # upstream logs and keeps the write: field tracking never fails a request


# schema decode and the field-manager update are pure functions of their arguments: pods of one
# ReplicaSet repeat bodies, and a seeded page block run again repeats every write
_DECODE = CopyMemo(_decode)
_FIELDS = CopyMemo(_update_fields)


def manager_for(rc: Any) -> str:
    """The field manager of a write: the ``fieldManager`` option, else what upstream derives
    from the client's User-Agent (prefixFromUserAgent) — here from the caller's identity."""
    given = rc.req.options.get("fieldManager")
    if isinstance(given, str) and given:
        return given
    name = rc.user.name
    if name.startswith("system:node:"):
        return "kubelet"
    if name.startswith("system:serviceaccount:kube-system:") and name.endswith(
            ("-controller", "-collector", "root-ca-cert-publisher")):
        return "kube-controller-manager"
    return _DEFAULT_MANAGERS.get(name, DEFAULT_MANAGER)


_DEFAULT_MANAGERS = {"system:kube-scheduler": "kube-scheduler",
                     "system:serviceaccount:kube-system:kube-proxy": "kube-proxy",
                     "system:apiserver": "kube-apiserver"}


def track_fields(rc: Any, old: dict | None, new: dict) -> None:
    """Record in ``metadata.managedFields`` which manager set which fields (not for apply,
    which computes its own)."""
    if rc.req.patch_type == "apply":
        return
    info = rc.info
    if old is None:
        # a create's field sets do not depend on its values (create_shape): pods of one
        # template and the scheduler's Events share one computation
        fields = _FIELDS.call(None, create_shape(new), manager_for(rc), rc.api_timestamp,
                              info.api_version, rc.req.subresource, info.kind)
    else:
        # an update's old and new almost never repeat (resourceVersion, timestamps): keying
        # a memo on both would cost more than it saves
        fields = _update_fields(old, new, manager_for(rc), rc.api_timestamp, info.api_version,
                                rc.req.subresource, info.kind)
    if fields is None:
        return
    if fields:
        new["metadata"]["managedFields"] = fields
    else:
        new["metadata"].pop("managedFields", None)


def _malformed(info: Any, fn: Callable, *args: Any) -> Any:
    """Run a strategy step; a wrongly typed field it trips over is a 400, not a traceback."""
    try:
        return fn(*args)
    except QuantityError as e:
        raise decode_error(info, e) from None
    except (TypeError, AttributeError, KeyError, ValueError, IndexError) as e:
        raise decode_error(info, f"malformed object ({type(e).__name__}: {e})") from None


class Store:
    """Every verb for every resource; see the module docstring for the steps."""

    def __init__(self, api: Any):
        self.api = api

    # -- create ------------------------------------------------------------------
    def create(self, rc: Any, body: Any = None) -> dict:
        info, strategy, req = rc.info, rc.strategy, rc.req
        obj = decode_body(rc, req.body if body is None else body, getattr(strategy, "shared_on_create", None))
        meta = obj["metadata"]
        ns = rc.namespace_for(meta.get("namespace"))
        if ns is None:
            meta.pop("namespace", None)
        else:
            meta["namespace"] = ns
        extra = _malformed(info, strategy.default, obj)
        rc.trace.step("defaulting", "ok", f"{info.kind} defaults applied")
        generate = not meta.get("name") and meta.get("generateName")
        if generate:
            meta["name"] = self.generated_name(meta["generateName"])
        rc.name = meta.get("name") if isinstance(meta.get("name"), str) else None
        self.api.admission.mutate(rc, "CREATE", obj, None)
        _malformed(info, strategy.prepare_for_create, obj, extra)
        meta = obj["metadata"]
        meta["uid"] = self.api.new_uid()
        meta["creationTimestamp"] = self.api.timestamp()
        track_fields(rc, None, obj)
        obj["metadata"] = meta = ordered_meta(meta)
        self.validate(rc, obj, strategy.validate, obj)
        self.api.admission.validate(rc, "CREATE", obj, None)
        undo = _malformed(info, strategy.on_create, self.api, obj)
        try:
            if req.dry_run:
                rc.trace.step("storage", "skipped", "dryRun=All: nothing written")
                return obj
            value = encode(obj)
            lease = self.api.storage.lease_for(strategy) if strategy.ttl else 0
            for _ in range(_GENERATE_NAME_RETRIES if generate else 1):
                rev = self.api.storage.create(strategy.key(meta["name"], ns), value, lease)
                if rev is not None:
                    meta["resourceVersion"] = str(rev)
                    rc.trace.step("storage", "written", f"etcd txn put {strategy.key(meta['name'], ns)} "
                                  f"at revision {rev}")
                    undo = None
                    return obj
                if generate:
                    meta["name"] = self.generated_name(meta["generateName"])
                    value = encode(obj)
            raise ApiError.already_exists(info.group_resource, meta["name"])
        finally:
            if undo is not None:
                undo()

    def generated_name(self, base: str) -> str:
        # names.SimpleNameGenerator: base truncated so the name fits 63 characters
        base = str(base)[: 63 - 5]
        return base + "".join(self.api.rng.choice(NAME_ALPHABET) for _ in range(5))

    def validate(self, rc: Any, obj: dict, fn: Callable, *args: Any) -> None:
        errs = _malformed(rc.info, fn, *args)
        if errs:
            name = obj["metadata"].get("name") or ""
            rc.trace.step("validation", "invalid", f"{len(errs)} field error(s)")
            raise ApiError.invalid(rc.info.qualified_kind, name if isinstance(name, str) else str(name), errs)
        rc.trace.step("validation", "ok", f"{rc.info.kind} is valid")

    # -- read ---------------------------------------------------------------------
    def read(self, rc: Any, name: str, ns: str | None) -> tuple[dict, int]:
        """The stored object and its mod revision (404 if absent, 500 if undecodable)."""
        found = self.api.storage.get_object(rc.strategy, name, ns)
        if found is None:
            raise ApiError.not_found(rc.info.group_resource, name)
        return found

    def read_cached(self, rc: Any, name: str, ns: str | None) -> tuple[dict, int] | None:
        """``(object, mod revision)`` from the resource's watch cache while it is as fresh as
        etcd, else None. The object is the cache's own: read-only. A caller that writes
        based on it must read etcd (:meth:`read`) and retry when the write's revision check
        fails (as upstream's GuaranteedUpdate does with the cacher's suggestion)."""
        cacher = self.api.cachers.get(rc.info.group_resource)
        obj = cacher.current(rc.strategy.key(name, ns)) if cacher is not None else None
        if obj is None:
            return None
        try:
            return obj, int(obj["metadata"]["resourceVersion"])
        except (KeyError, TypeError, ValueError):
            return None

    def get(self, rc: Any) -> dict:
        return self.read(rc, rc.name, rc.namespace)[0]

    # -- update ---------------------------------------------------------------------
    def update(self, rc: Any, body: Any = None, current: tuple[dict, int] | None = None) -> dict:
        """PUT (and the end of PATCH). ``current``: ``(object, mod revision)`` the caller
        already read (a patch's base; read-only) instead of reading it again."""
        info, strategy, req = rc.info, rc.strategy, rc.req
        sub = req.subresource
        if sub is not None and not (sub == "status" and strategy.status_subresource):
            raise ApiError.method_not_allowed(f"{info.group_resource}/{sub}", "update")
        # a status update keeps only status from the body (prepare_for_status_update): the
        # other top-level values a patch left as they are stored need no second decode
        base = current[0] if current is not None and sub == "status" and \
            getattr(strategy, "decode_body", None) is None else None
        new = decode_body(rc, req.body if body is None else body, base=base)
        meta = new["metadata"]
        name = meta.get("name") or rc.name
        if not name or not isinstance(name, str):
            raise ApiError.bad_request("name is required")
        if rc.name and name != rc.name:
            raise ApiError.bad_request(f"the name of the object ({name}) does not match the name on "
                                       f"the URL ({rc.name})")
        meta["name"] = rc.name = name
        ns = rc.namespace_for(meta.get("namespace"))
        if ns is None:
            meta.pop("namespace", None)
        else:
            meta["namespace"] = ns
        try:
            old, old_rev = current if current is not None else self.read(rc, name, ns)
        except ApiError as e:
            if e.code == 404 and strategy.allow_create_on_update and sub is None:
                return self.create(rc, new)
            raise
        want = _parse_rv(meta.get("resourceVersion"))
        if want and want != old_rev:
            raise ApiError.stale(info.group_resource, name)
        if sub == "status":
            applied = new["metadata"].get("managedFields") if req.patch_type == "apply" else None
            new = _malformed(info, strategy.prepare_for_status_update, new, old)
            if applied is not None:
                # meta/v1 ResetObjectMetaForStatus leaves managedFields alone: an apply to the
                # status subresource has already recorded its applier's entry in them
                new["metadata"]["managedFields"] = applied
        else:
            _malformed(info, strategy.default, new)
            _malformed(info, strategy.prepare_for_update, new, old)
        self.api.admission.mutate(rc, "UPDATE", new, old)
        if "managedFields" not in new["metadata"] and old["metadata"].get("managedFields") \
                and req.patch_type is None:
            new["metadata"]["managedFields"] = old["metadata"]["managedFields"]  # an update keeps them
        track_fields(rc, old, new)
        kept = new["metadata"].get("managedFields")
        if kept is not None and kept is old["metadata"].get("managedFields"):
            # not replaced (an apply, or an object that does not fit its schema): the
            # stored list is read-only, the object written and answered is private
            new["metadata"]["managedFields"] = copy_json(kept)
        self.validate(rc, new, strategy.validate_update, new, old)
        self.api.admission.validate(rc, "UPDATE", new, old)
        out = self.write_update(rc, new, old, old_rev)
        # a write that changes nothing answers the stored object: the caller's may be the
        # watch cache's (read-only), and the answer is the client's to keep
        return copy_json(out) if out is old and current is not None else out

    def write_update(self, rc: Any, new: dict, old: dict, old_rev: int, changed: bool = False,
                     handoff: bool = False) -> dict:
        """Store ``new`` over ``old`` if etcd still holds ``old_rev`` (else 409). ``changed``:
        the caller knows ``new`` differs from ``old`` (no comparison of their encodings);
        ``handoff``: ``new`` holds plain JSON types only and the caller gives it up — the
        watch cache keeps it instead of decoding what was written (Storage.update)."""
        strategy = rc.strategy
        meta = new["metadata"]
        if should_delete_on_update(new) and not strategy.keeps_on_update(new):
            return self.remove(rc, new, old_rev)
        value = encode(new)
        if not changed and not differs(new, old) and value == encode(old):
            rc.trace.step("storage", "unchanged", "no change: nothing written")
            return old  # nothing changed: no write, no new resourceVersion (GuaranteedUpdate)
        if rc.req.dry_run:
            rc.trace.step("storage", "skipped", "dryRun=All: nothing written")
            meta["resourceVersion"] = str(old_rev)
            return new
        undo = _malformed(rc.info, strategy.on_update, self.api, new, old)
        lease = self.api.storage.lease_for(strategy) if strategy.ttl else 0
        key = strategy.key(meta["name"], meta.get("namespace"))
        rev = self.api.storage.update(key, value, old_rev, lease, handoff=new if handoff else None)
        if rev is None:
            if undo is not None:
                undo()
            raise ApiError.stale(rc.info.group_resource, meta["name"])
        rc.trace.step("storage", "written", f"etcd txn put {key} at revision {rev}")
        meta["resourceVersion"] = str(rev)
        return new

    # -- delete -----------------------------------------------------------------------
    def remove(self, rc: Any, obj: dict, rev: int) -> dict:
        """Delete the key if it is still at ``rev``; returns the object as of the deletion."""
        strategy = rc.strategy
        meta = obj["metadata"]
        if rc.req.dry_run:
            rc.trace.step("storage", "skipped", "dryRun=All: nothing deleted")
            return obj
        drev = strategy.delete_key(self.api, obj, rev)
        if drev is None:
            raise ApiError.stale(rc.info.group_resource, meta["name"])
        strategy.on_delete(self.api, obj)
        rc.trace.step("storage", "deleted", f"etcd txn delete at revision {drev}")
        meta["resourceVersion"] = str(drev)
        return obj


def should_delete_on_update(obj: dict) -> bool:
    """registry store.go: an update that empties finalizers of a deleted object removes it."""
    meta = obj["metadata"]
    return bool(meta.get("deletionTimestamp")) and not meta.get("finalizers") \
        and meta.get("deletionGracePeriodSeconds", 0) == 0


def _parse_rv(rv: Any) -> int:
    if rv in (None, "", "0", 0):
        return 0
    if isinstance(rv, bool):
        raise ApiError.bad_request(f'invalid resource version: "{rv}"')
    try:
        n = int(rv)
    except (TypeError, ValueError, OverflowError):
        raise ApiError.bad_request(f'invalid resource version: "{rv}"') from None
    if n < 0 or isinstance(rv, float):
        raise ApiError.bad_request(f'invalid resource version: "{rv}"')
    return n


parse_rv = _parse_rv
