"""The request pipeline: one entry point for every request, whoever sends it.

``serve(api, request)`` runs the handler chain of a real kube-apiserver
(k8s.io/apiserver/pkg/server/config.go ``DefaultBuildHandlerChain``): authentication,
impersonation, authorization, then the resource handler (decode, default, admission,
validation, storage — see registry/store.py). The in-process :class:`~k8score.client.Client`,
kubectl emulation, the REST function (rest.py) and the browser all come through here.
It returns the resulting object (or a Watch) and raises ``ApiError``; each request's
:class:`~k8score.apiserver.trace.Trace` records what each stage decided.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ..api.errors import ApiError
from ..api.field import forbidden, not_supported, required
from ..api.schema import schema_for
from .fieldmanager import apply as apply_fields
from ..api.selectors import parse_field_selector, parse_label_selector
from . import deletion
from .patch import apply_patch
from .registry.store import parse_rv
from .authn import impersonate
from .authz import authorize_chain, forbidden_error
from .request import ALLOW, AuthzAttributes, Request, UserInfo
from .trace import Trace

_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")


class RequestContext:
    """One request on its way through: who, what, the strategy serving it, the trace."""

    __slots__ = ("req", "user", "info", "strategy", "trace", "namespace", "name", "warnings",
                 "annotations", "api_timestamp")

    def __init__(self, req: Request, user: UserInfo, info: Any, strategy: Any, trace: Trace):
        self.req = req
        self.user = user
        self.info = info
        self.strategy = strategy
        self.trace = trace
        ns = req.namespace
        if ns is None and req.verb not in ("list", "watch", "deletecollection"):
            ns = "default"  # a named request without a namespace means the default one
        self.namespace = ns if info.namespaced else None
        self.name = req.name
        self.warnings: list[str] = trace.warnings
        self.annotations: dict = {}
        self.api_timestamp = ""

    def namespace_for(self, body_ns: Any) -> str | None:
        """The request's namespace, reconciled with the one in the body (400 if they differ)."""
        if not self.info.namespaced:
            return None
        if body_ns is not None and not isinstance(body_ns, str):
            raise ApiError.bad_request("metadata.namespace must be a string")
        ns = self.req.namespace or body_ns or "default"
        if self.req.namespace and body_ns and body_ns != self.req.namespace:
            raise ApiError.bad_request("the namespace of the provided object does not match "
                                       "the namespace sent on the request")
        self.namespace = ns
        return ns


def describe(req: Request, user: UserInfo | None) -> str:
    what = req.resource + (f"/{req.subresource}" if req.subresource else "")
    where = f" -n {req.namespace}" if req.namespace else ""
    name = req.name
    if name is None and isinstance(req.body, dict) and isinstance(req.body.get("metadata"), dict):
        name = req.body["metadata"].get("name")
    name = f" {name}" if isinstance(name, str) and name else ""
    who = user.name if user else "?"
    return f"{req.verb.upper()} {what}{name}{where} as {who}" + (" (dry run)" if req.dry_run else "")


def serve(api: Any, req: Request) -> Any:
    """Run ``req`` through the whole pipeline; the result object, or ApiError."""
    trace = Trace(describe(req, req.user))
    try:
        out = _serve(api, req, trace)
        trace.code = 201 if req.verb == "create" else 200
        return out
    except ApiError as e:
        trace.code = e.code
        raise
    finally:
        api.last_trace = trace  # set last: a nested (loopback) request finishes first
        api.record(req, trace)


def _serve(api: Any, req: Request, trace: Trace) -> Any:
    if not api.running:
        trace.step("kube-apiserver", "down", "the API server is stopped")
        raise ApiError.service_unavailable()
    api.requests += 1
    user = api.authenticator.authenticate(req.headers, req.user, req.cert)
    trace.step("authentication", "ok", f'user "{user.name}" groups {list(user.groups)}')
    acting = impersonate(user, req.headers, lambda a: authorize_chain(api.authorizers, a)[:2])
    if acting is not user:
        trace.step("impersonation", "allowed", f'{user.name} acts as "{acting.name}" groups {list(acting.groups)}')
        user = acting
    trace.request = describe(req, user)
    if req.verb not in _VERBS:
        raise ApiError.method_not_allowed(req.resource, req.verb)
    info = api.registry.resolve(req.resource)
    strategy = api.registry.strategy_for(info)
    if not getattr(strategy, "create_only", False):
        api.cacher(strategy)  # the resource's watch cache exists from its first request on
    rc = RequestContext(req, user, info, strategy, trace)
    rc.api_timestamp = api.timestamp()
    attrs = AuthzAttributes(user=user, verb=req.verb, resource=info.plural, api_group=info.group,
                            api_version=info.version, namespace=rc.namespace, name=req.name,
                            subresource=req.subresource)
    decision, reason, by = authorize_chain(api.authorizers, attrs)
    if decision != ALLOW:
        trace.step("authorization", "denied", reason or "no authorizer allowed it")
        raise forbidden_error(attrs, reason)   # filters/authorization.go: the reason of any refusal
    trace.step("authorization", "allowed", reason if reason.startswith(by) else
               (f"{by}: {reason}" if reason else by))
    if getattr(strategy, "create_only", False):
        if getattr(strategy, "serve_read", None) is not None and req.verb != "create":
            return strategy.serve_read(api, rc)   # read-only aggregated APIs (metrics.k8s.io)
        if req.verb != "create":
            raise ApiError.method_not_allowed(info.group_resource, req.verb)
        return strategy.serve_create(api, rc)
    verb = req.verb
    handler = strategy.subresources.get(req.subresource) if req.subresource else None
    if handler is not None:
        return handler(api, rc)
    if req.subresource not in (None, "status") or (req.subresource == "status" and
                                                   not strategy.status_subresource):
        raise ApiError(_not_found_path())
    if verb == "create":
        if req.subresource:
            raise ApiError.method_not_allowed(f"{info.group_resource}/{req.subresource}", "create")
        return api.objects.create(rc)
    if verb == "get":
        return api.objects.get(rc)
    if verb == "list":
        return list_objects(api, rc)
    if verb == "watch":
        return api.watch_request(rc)
    if verb == "update":
        return api.objects.update(rc)
    if verb == "patch":
        return patch(api, rc)
    if verb == "delete":
        return deletion.delete(api, rc)
    raise ApiError.method_not_allowed(info.group_resource, verb)


def _not_found_path() -> dict:
    from ..api.errors import status
    return status(404, "NotFound", "the server could not find the requested resource")


def selectors(rc: RequestContext) -> tuple[Any, Any]:
    opts = rc.req.options
    labels = parse_label_selector(opts.get("labelSelector"))
    fields = parse_field_selector(rc.strategy.field_labels, opts.get("fieldSelector"))
    return labels, fields


def list_objects(api: Any, rc: RequestContext) -> dict:
    """LIST from the watch cache: every matching object at one resourceVersion, in key order.
    A field selector that pins an indexed field (pods' ``spec.nodeName``) reads the index."""
    labels, fields = selectors(rc)
    opts = rc.req.options
    rev = parse_rv(opts.get("resourceVersion"))
    match = opts.get("resourceVersionMatch")
    # apimachinery/pkg/apis/meta/internalversion/validation ValidateListOptions -> 422
    if match not in (None, "", "Exact", "NotOlderThan"):
        raise _invalid_options(not_supported("resourceVersionMatch", match, ["Exact", "NotOlderThan"]))
    if match and not opts.get("resourceVersion"):
        raise _invalid_options(forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden "
                                         "unless resourceVersion is provided"))
    if match == "Exact" and rev == 0:
        raise _invalid_options(forbidden("resourceVersionMatch", 'resourceVersionMatch "exact" is '
                                         'forbidden for resourceVersion "0"'))
    limit, start = _limit(opts.get("limit")), None
    token = opts.get("continue")
    if token:
        if opts.get("resourceVersion") not in (None, "", "0"):
            raise _invalid_options(forbidden("resourceVersion", "specifying resource version is not allowed "
                                             "when using continue"))
        rev, start = decode_continue(token, rc.strategy.prefix())
        match = "Exact"  # the rest of a paginated list is read at the first page's revision
    if not token and opts.get("resourceVersion") in (None, ""):
        api.storage.consistent_read()   # cacher.go ConsistentListFromCache: a quorum read first
    cacher = api.cacher(rc.strategy)
    single, index = _pinned(rc, cacher, fields, token)
    try:
        objs, at = cacher.list(namespace=rc.namespace, rv=rev, rv_match=match or None, index=index,
                               label_selector=labels, field_selector=fields, key=single)
    except ApiError as e:
        if e.code == 410 and token:  # etcd3/store.go: the continue token's revision was compacted
            raise ApiError.expired(_CONTINUE_EXPIRED) from None
        raise
    meta: dict = {"resourceVersion": str(at)}
    if start is not None or limit:
        key = rc.strategy.key
        if start is not None:
            objs = [o for o in objs if key(o["metadata"]["name"], o["metadata"].get("namespace")) >= start]
        if limit and len(objs) > limit:
            last = objs[limit - 1]["metadata"]
            meta["continue"] = encode_continue(at, key(last["name"], last.get("namespace")) + "\x00",
                                               rc.strategy.prefix())
            meta["remainingItemCount"] = len(objs) - limit
            objs = objs[:limit]
    rc.trace.step("watch cache", "read", f"{len(objs)} {rc.info.plural} at resourceVersion {at}")
    return {"kind": f"{rc.info.kind}List", "apiVersion": rc.info.api_version, "metadata": meta, "items": objs}


def _pinned(rc: RequestContext, cacher: Any, fields: Any, token: Any) -> tuple[str | None, Any]:
    """What a field selector lets the list read instead of every object: one key when it pins
    ``metadata.name`` (registry/store.go ListPredicate: ``p.MatchesSingle()`` -> a non-recursive
    GetList of that key; all-namespaces lists of a namespaced resource cannot form the key and
    read everything; never with a continue token), else an index it pins (cacher.go listItems:
    ``pred.MatcherIndex`` -> ``store.ByIndex``, pods by ``spec.nodeName``). The selector still
    filters what is read."""
    if fields is None or fields.empty():
        return None, None
    name = fields.requires_exact_match("metadata.name")
    if name is not None and not token and (rc.namespace or not rc.info.namespaced):
        return rc.strategy.key(name, rc.namespace), None
    for indexed in cacher.index_names():
        value = fields.requires_exact_match(indexed)
        if value is not None:
            return None, (indexed, value)
    return None, None


_CONTINUE_EXPIRED = ("The provided continue parameter is too old to display a consistent list result. "
                     "You can start a new list without the continue parameter, or use the continue "
                     "token in this response to retrieve the remainder of the results. Continuing with "
                     "the provided token results in an inconsistent list - objects that were created, "
                     "modified, or deleted between the time the first chunk was returned and now may "
                     "show up in the list.")


def _limit(value: Any) -> int:
    if value in (None, "", 0, "0"):
        return 0
    try:
        n = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ApiError.bad_request(f'invalid limit: "{value}"') from None
    return max(n, 0)


def encode_continue(rv: int, start_key: str, prefix: str) -> str:
    """storage/etcd3 continue token: base64 of {"v": "meta.k8s.io/v1", "rv": N, "start": key}
    with the key relative to the resource's prefix (etcd3/store.go encodeContinue)."""
    body = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start_key[len(prefix):]},
                      separators=(",", ":"))
    return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")


def decode_continue(token: Any, prefix: str) -> tuple[int, str]:
    """(revision, absolute start key) of a continue token, or 400 as upstream."""
    try:
        raw = base64.urlsafe_b64decode(str(token) + "=" * (-len(str(token)) % 4))
        data = json.loads(raw)
        if data.get("v") != "meta.k8s.io/v1":
            raise ValueError
        rv, start = int(data["rv"]), str(data["start"])
    except (ValueError, TypeError, KeyError, AttributeError):
        raise ApiError.bad_request("continue key is not valid: incorrect encoded start resourceVersion "
                                   "(version meta.k8s.io/v1)") from None
    if rv <= 0 or start.startswith("/") or ".." in start.split("/"):
        raise ApiError.bad_request("continue key is not valid: incorrect encoded start resourceVersion "
                                   "(version meta.k8s.io/v1)")
    return rv, prefix + start


def _invalid_options(err: Any) -> ApiError:
    return ApiError.invalid("ListOptions.meta.k8s.io", "", [err])


def patch(api: Any, rc: RequestContext) -> dict:
    """PATCH: read, apply the patch, then the update path (admission, validation, storage).
    ``apply`` (server-side apply) merges by field ownership and may create the object."""
    req = rc.req
    if not rc.name:
        raise ApiError.method_not_allowed(rc.info.group_resource, "patch")
    if req.patch_type == "apply":
        return server_side_apply(api, rc)
    if req.subresource == "status" and _plain_strategy(rc.strategy):
        # patch.go: the patch is applied inside GuaranteedUpdate, which starts from the
        # watch cache's copy (cacher.go GuaranteedUpdate's cachedExistingObject) and reads
        # etcd again only when the write's revision check fails on it
        cached = api.objects.read_cached(rc, rc.name, rc.namespace)
        if cached is not None:
            warned = len(rc.warnings)
            try:
                return _patch(api, rc, *cached)
            except ApiError as e:
                if e.code != 409:
                    raise
                current = api.objects.read(rc, rc.name, rc.namespace)
                if current[1] == cached[1]:
                    raise  # the cache was etcd's state: reading etcd first answers the same
                del rc.warnings[warned:]   # the second try warns again
                return _patch(api, rc, *current)
    return _patch(api, rc, *api.objects.read(rc, rc.name, rc.namespace))


def _plain_strategy(strategy: Any) -> bool:
    """A built-in resource's strategy: stored objects are exactly what the watch cache holds
    and what the schema decoder accepted (no CRD decoding hooks)."""
    return getattr(strategy, "decode_stored", None) is None and getattr(strategy, "decode_body", None) is None


def _patch(api: Any, rc: RequestContext, old: dict, rev: int) -> dict:
    """Apply the patch to ``old`` (read-only: it may be the watch cache's) stored at ``rev``
    and run the update path on the result."""
    req = rc.req
    schema = schema_for(rc.info.api_version, rc.info.kind)
    patched = apply_patch(old, req.body, req.patch_type or "merge", schema, share=True)
    if not isinstance(patched, dict) or not isinstance(patched.get("metadata"), dict):
        raise ApiError.bad_request("the patch removed the object's metadata")
    if patched["metadata"].get("name") != rc.name:
        raise ApiError.bad_request(f"the name of the object ({patched['metadata'].get('name')}) "
                                   f"does not match the name on the URL ({rc.name})")
    rc.trace.step("patch", "ok", f"{req.patch_type or 'merge'} patch applied")
    return api.objects.update(rc, patched, current=(old, rev))


def server_side_apply(api: Any, rc: RequestContext) -> dict:
    """PATCH application/apply-patch+yaml (handlers/patch.go applyPatcher): the applied
    configuration merged into the live object by field ownership; conflicts are 409."""
    req, info = rc.req, rc.info
    manager = req.options.get("fieldManager")
    if not isinstance(manager, str) or not manager:
        raise ApiError.invalid("PatchOptions.meta.k8s.io", "", [
            required("fieldManager", "is required for apply patch")])
    force = req.options.get("force") in (True, "true")
    if req.options.get("force") not in (None, False, "false", True, "true"):
        raise ApiError.bad_request(f'invalid force: "{req.options.get("force")}"')
    config = req.body
    if not isinstance(config, dict):
        raise ApiError.bad_request("error decoding YAML: the apply configuration must be an object")
    try:
        live, _ = api.objects.read(rc, rc.name, rc.namespace)
    except ApiError as e:
        if e.code != 404:
            raise
        live = None
    schema = schema_for(info.api_version, info.kind)
    merged = apply_fields(live, config, manager, force, schema, rc.api_timestamp, info.api_version,
                          subresource=req.subresource)
    rc.trace.step("server-side apply", "ok", f'field manager "{manager}"' + (" (force)" if force else ""))
    if live is None:
        return api.objects.create(rc, merged)
    return api.objects.update(rc, merged)
