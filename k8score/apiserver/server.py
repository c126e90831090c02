"""kube-apiserver: the front door of the cluster and the only component that touches etcd.

Every request goes through the same steps as upstream's generic registry
(k8s.io/apiserver/pkg/registry/generic/registry/store.go): resolve the resource, decode
and default the body, run the strategy (what a client may change), validate (422),
admission (namespace exists), then one guarded etcd transaction. A request that fails
at any step leaves etcd untouched.

>>> from k8score.sim import Loop
>>> from k8score.etcd import Store
>>> loop = Loop(seed=1); api = APIServer(loop, Store()); api.start()
>>> pod = api.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
...                           "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}})
>>> pod["metadata"]["namespace"], pod["status"]["phase"], pod["spec"]["restartPolicy"]
('default', 'Pending', 'Always')
>>> api.get("pods", "nope")
Traceback (most recent call last):
...
k8score.api.errors.ApiError: Error from server (NotFound): pods "nope" not found
"""

from __future__ import annotations

import random
from collections import deque
from typing import Any, Callable

from ..etcd import EtcdError, prefix_end
from ..sim import Component, Loop
from ..sim.clock import rfc3339
from . import binding, deletion, strategy
from .audit import AUDIT_LOG_SIZE, audited
from ..api.errors import ApiError, status
from .jsonutil import copy_json, ordered_meta
from .patch import PatchError, json_patch, merge_patch, strategic_merge_patch
from .priority import SYSTEM_PRIORITY_CLASSES, PriorityClasses, system_class_bodies
from ..api.quantity import QuantityError
from ..api.resources import RESOURCES, ResourceInfo, resolve
from ..api.selectors import parse_field_selector, parse_label_selector
from .services import ServiceAllocator
from .storage import EventLeases, Storage, decode, encode
from .validation import validate_create, validate_update
from .watch import Watch, too_old

#: Namespaces every cluster has (kubeadm / the apiserver's system namespaces controller).
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
#: Default delivery delay of watch events (an HTTP watch stream is not instantaneous).
DEFAULT_WATCH_LATENCY = 0.001
# names.SimpleNameGenerator: 5 chars from this alphabet (no vowels: no accidental words)
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))  # version and variant bits
_UUID_SET = (4 << 76) | (0x8000 << 48)           # version 4, RFC 4122 variant
# top-level fields create() may share with the caller's body (see _check_type)
_SHARED_ON_CREATE = {"pods": "spec"}
_SELF = "system:apiserver"  # the user the apiserver's own (loopback) requests run as
_GENERATE_NAME_RETRIES = 8  # registry store.go: retries on a generated-name collision


class APIServer(Component):
    """The typed API of the cluster: create/get/list/update/patch/delete/watch."""

    kind = "kube-apiserver"
    plane = "control-plane"
    watches: tuple[str, ...] = ()      # it watches etcd itself, not the API
    writes: tuple[str, ...] = ()       # it writes etcd directly
    summary = "集群的唯一入口：校验、默认化并持久化所有对象，也是唯一读写 etcd 的组件"

    def __init__(self, loop: Loop, store: Any, seed: int | None = None,
                 name: str = "kube-apiserver", watch_latency: float = DEFAULT_WATCH_LATENCY,
                 advertise_address: str = "172.18.0.2"):  # a kind control-plane node's IP
        super().__init__(name, loop)
        self.storage = Storage(store)
        self.store = store
        self.watch_latency = watch_latency
        self.advertise_address = advertise_address
        # uids, generated names and ClusterIPs come from one seeded generator
        self._rng = random.Random(f"kube-apiserver:{seed}" if seed is not None
                                  else loop.rng.getrandbits(64))
        self.services = ServiceAllocator(self._rng)
        self._events = EventLeases(store)
        self._watches: dict[int, Watch] = {}
        self._namespaces: dict[str, bool] = {}  # admission's view: name -> terminating?
        self._ns_watch: Any = None
        self.priority_classes = PriorityClasses(self.storage, store)  # Priority admission's cache
        self._next_watch = 0
        self.requests = 0
        #: recent requests: (virtual time, user, verb, resource, namespace, name, HTTP code)
        self.audit: deque = deque(maxlen=AUDIT_LOG_SIZE)
        self._stamp = (-1, "")

    # -- lifecycle -------------------------------------------------------------
    def on_start(self) -> None:
        self.services.rebuild(self.storage)
        self._watch_namespaces()
        self.priority_classes.start()
        for ns in SYSTEM_NAMESPACES:
            if self.storage.get(RESOURCES["namespaces"].key(ns)) is None:
                self.create("namespaces", {"metadata": {"name": ns}}, user=_SELF)
        self._bootstrap_kubernetes_service()
        self._bootstrap_priority_classes()

    def on_stop(self) -> None:
        if self._ns_watch is not None:
            self._ns_watch.cancel()
            self._ns_watch = None
        self.priority_classes.stop()
        unavailable = ApiError.service_unavailable("apiserver is shutting down").status
        for w in list(self._watches.values()):
            w._end(unavailable)
        self._watches.clear()

    def _bootstrap_kubernetes_service(self) -> None:
        # pkg/controlplane/controller/kubernetesservice: the Service every pod can reach the API at
        key = RESOURCES["services"].key("kubernetes", "default")
        if self.storage.get(key) is not None:
            return
        self.create("services", {"metadata": {"name": "kubernetes", "namespace": "default",
                                              "labels": {"component": "apiserver",
                                                         "provider": "kubernetes"}},
                                 "spec": {"clusterIP": self.services.first_ip,
                                          "ports": [{"name": "https", "port": 443,
                                                     "targetPort": 6443}]}}, user=_SELF)
        self.create("endpoints", {"metadata": {"name": "kubernetes", "namespace": "default",
                                               "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
                                  "subsets": [{"addresses": [{"ip": self.advertise_address}],
                                               "ports": [{"name": "https", "port": 6443}]}]}, user=_SELF)

    def _bootstrap_priority_classes(self) -> None:
        # pkg/registry/scheduling/rest/storage_scheduling.go AddSystemPriorityClasses (post-start hook)
        info = RESOURCES["priorityclasses"]
        for body in system_class_bodies():
            if self.storage.get(info.key(body["metadata"]["name"])) is None:
                self.create("priorityclasses", body, user=_SELF)

    def _check(self, resource: str) -> ResourceInfo:
        if not self.running:
            raise ApiError.service_unavailable()
        self.requests += 1
        return RESOURCES.get(resource) or resolve(resource)

    # -- helpers -----------------------------------------------------------------
    def _namespace(self, info: ResourceInfo, namespace: str | None, body_ns: Any = None) -> str | None:
        if not info.namespaced:
            return None
        ns = namespace or body_ns or "default"
        if namespace and body_ns and body_ns != namespace:
            raise ApiError.bad_request("the namespace of the provided object does not match "
                                       "the namespace sent on the request")
        return ns

    def _read(self, info: ResourceInfo, name: str, namespace: str | None) -> tuple[dict, int]:
        kv = self.storage.get(info.key(name, namespace))
        if kv is None:
            raise ApiError.not_found(info.group_resource, name)
        return decode(kv.value, kv.mod_revision), kv.mod_revision

    def _timestamp(self, offset: float = 0.0) -> str:
        """rfc3339 of the virtual clock (+offset), cached per second (it is on the create path)."""
        sec = int(self.loop.now + offset)
        if sec != self._stamp[0]:
            self._stamp = (sec, rfc3339(sec))
        return self._stamp[1]

    def _uid(self) -> str:
        # the text of uuid.UUID(int=bits, version=4), built directly (it is on the create path)
        bits = self._rng.getrandbits(128) & _UUID_CLEAR | _UUID_SET
        h = "%032x" % bits
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def _decode_error(self, info: ResourceInfo, err: Exception) -> ApiError:
        return ApiError.bad_request(f'{info.kind} in version "{info.version}" cannot be handled as a '
                                    f"{info.kind}: {err}")

    def _check_type(self, info: ResourceInfo, body: Any, create: bool = False) -> dict:
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
        if not isinstance(meta, dict):
            raise self._decode_error(info, "metadata must be an object")
        try:
            # the order the real serializer writes: apiVersion, kind, metadata, ..., status
            obj = {"apiVersion": info.api_version, "kind": info.kind, "metadata": copy_json(meta) or {}}
            shared = _SHARED_ON_CREATE.get(info.plural) if create else None
            for k, v in body.items():
                if k not in obj and k != "status":
                    # a pod's spec is rebuilt by its (memoised) defaulting, never mutated in place
                    obj[k] = v if k == shared or not isinstance(v, (dict, list)) else copy_json(v)
            if "status" in body:
                obj["status"] = copy_json(body["status"])
        except ValueError as e:
            raise self._decode_error(info, e) from None
        return obj

    # -- create ------------------------------------------------------------------
    @audited("create", 1)
    def create(self, resource: str, body: dict, namespace: str | None = None,
               subresource: str | None = None) -> dict:
        info = self._check(resource)
        if subresource is not None:
            if info.plural == "pods" and subresource == "binding":
                return binding.bind(self, body, namespace)
            raise ApiError.method_not_allowed(f"{info.group_resource}/{subresource}", "create")
        obj = self._check_type(info, body, create=True)
        meta = obj["metadata"]
        ns = self._namespace(info, namespace, meta.get("namespace"))
        if ns is None:
            meta.pop("namespace", None)
        else:
            meta["namespace"] = ns
        try:
            strategy.prepare_create(info, obj)
        except QuantityError as e:
            raise self._decode_error(info, e) from None
        except (TypeError, AttributeError, KeyError, ValueError) as e:
            raise self._decode_error(info, f"malformed object ({type(e).__name__}: {e})") from None
        generate = not meta.get("name") and meta.get("generateName")
        if generate:
            meta["name"] = self._generated_name(meta["generateName"])
        meta["uid"] = self._uid()
        meta["creationTimestamp"] = self._timestamp()
        obj["metadata"] = meta = ordered_meta(meta)
        self._validate(info, obj, validate_create, obj)
        if ns is not None:
            self._admit_namespace(ns)
        if info.plural == "pods":
            self.priority_classes.admit_pod(obj)  # mutating admission: spec.priority from the class
        elif info.plural == "priorityclasses":
            self.priority_classes.admit_class(obj, update=False)
        release = self.services.allocate(obj) if info.plural == "services" else None
        value = encode(obj)
        lease = self._events.lease(self.loop.now) if info.plural == "events" else 0
        for _ in range(_GENERATE_NAME_RETRIES if generate else 1):
            rev = self.storage.create(info.key(meta["name"], ns), value, lease)
            if rev is not None:
                meta["resourceVersion"] = str(rev)
                return obj
            if generate:
                meta["name"] = self._generated_name(meta["generateName"])
                value = encode(obj)
        if release:
            release()
        raise ApiError.already_exists(info.group_resource, meta["name"])

    def _validate(self, info: ResourceInfo, obj: dict, fn: Callable, *args: Any) -> None:
        try:
            errs = fn(info, *args)
        except (TypeError, AttributeError, KeyError, ValueError) as e:
            raise self._decode_error(info, f"malformed object ({type(e).__name__}: {e})") from None
        if errs:
            name = obj["metadata"].get("name") or ""
            raise ApiError.invalid(info.qualified_kind, name if isinstance(name, str) else str(name), errs)

    def _generated_name(self, base: str) -> str:
        # names.SimpleNameGenerator: base truncated so the name fits 63 characters
        base = str(base)[: 63 - 5]
        return base + "".join(self._rng.choice(_NAME_ALPHABET) for _ in range(5))

    def _admit_namespace(self, ns: str) -> None:
        # plugin/pkg/admission/namespace/lifecycle (it reads namespaces from an informer cache)
        terminating = self._namespaces.get(ns)
        if terminating is None:
            raise ApiError.not_found("namespaces", ns)
        if terminating:
            raise ApiError.forbidden("namespaces", ns, f"unable to create new content in namespace "
                                     f"{ns} because it is being terminated")

    def _watch_namespaces(self) -> None:
        """Keep ``_namespaces`` (name -> being deleted?) in step with etcd. The etcd watch
        callback runs inside the write that changes a namespace, so it is never stale."""
        prefix = RESOURCES["namespaces"].prefix()
        kvs, rev = self.storage.list(prefix)
        self._namespaces = {}
        for kv in kvs:
            self._note_namespace(kv.key, kv.value)
        self._ns_watch = self.store.watch(prefix, prefix_end(prefix), start_revision=rev + 1,
                                          callback=self._on_namespace_event)

    def _on_namespace_event(self, resp: Any) -> None:
        for ev in resp.events:
            if ev.type == "DELETE":
                self._namespaces.pop(ev.kv.key.rsplit("/", 1)[1], None)
            else:
                self._note_namespace(ev.kv.key, ev.kv.value)

    def _note_namespace(self, key: str, value: str) -> None:
        deleting = '"deletionTimestamp"' in value and bool(decode(value, 0)["metadata"].get("deletionTimestamp"))
        self._namespaces[key.rsplit("/", 1)[1]] = deleting

    # -- read ----------------------------------------------------------------------
    @audited("get", 1)
    def get(self, resource: str, name: str, namespace: str | None = None) -> dict:
        info = self._check(resource)
        return self._read(info, name, self._namespace(info, namespace))[0]

    @audited("list", 0)
    def list(self, resource: str, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None, resource_version: str | None = None) -> dict:
        info = self._check(resource)
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(info.plural, field_selector)
        rev = _parse_rv(resource_version)
        kvs, at = self.storage.list(info.prefix(namespace if info.namespaced else None), rev)
        items = []
        for kv in kvs:
            obj = decode(kv.value, kv.mod_revision)
            if (labels.empty() or labels.matches(obj["metadata"].get("labels"))) and \
                    (fields.empty() or fields.matches(obj)):
                items.append(obj)
        return {"kind": f"{info.kind}List", "apiVersion": info.api_version,
                "metadata": {"resourceVersion": str(rev or at)}, "items": items}

    # -- update / patch ----------------------------------------------------------------
    @audited("update", 1)
    def update(self, resource: str, body: dict, namespace: str | None = None,
               subresource: str | None = None) -> dict:
        info = self._check(resource)
        return self._update(info, body, namespace, subresource)

    def _update(self, info: ResourceInfo, body: dict, namespace: str | None,
                subresource: str | None) -> dict:
        if subresource not in (None, "status") or (subresource and info.plural not in
                                                    strategy.STATUS_RESOURCES):
            raise ApiError.method_not_allowed(f"{info.group_resource}/{subresource}", "update")
        new = self._check_type(info, body)
        meta = new["metadata"]
        name = meta.get("name")
        if not name or not isinstance(name, str):
            raise ApiError.bad_request("name is required")
        ns = self._namespace(info, namespace, meta.get("namespace"))
        if ns is None:
            meta.pop("namespace", None)
        else:
            meta["namespace"] = ns
        old, old_rev = self._read(info, name, ns)
        want = _parse_rv(meta.get("resourceVersion"))
        if want and want != old_rev:
            raise ApiError.stale(info.group_resource, name)
        try:
            new = strategy.prepare_update(info, new, old, subresource)
        except QuantityError as e:
            raise self._decode_error(info, e) from None
        except (TypeError, AttributeError, KeyError, ValueError) as e:
            raise self._decode_error(info, f"malformed object ({type(e).__name__}: {e})") from None
        self._validate(info, new, validate_update, new, old)
        if info.plural == "priorityclasses" and subresource is None:
            self.priority_classes.admit_class(new, update=True)
        return self._write_update(info, new, old, old_rev)

    def _write_update(self, info: ResourceInfo, new: dict, old: dict, old_rev: int) -> dict:
        meta = new["metadata"]
        key = info.key(meta["name"], meta.get("namespace"))
        if strategy.should_delete_on_update(new):
            return deletion.remove(self, info, new, old_rev)
        value = encode(new)
        if value == encode(old):
            return old  # nothing changed: no write, no new resourceVersion (GuaranteedUpdate)
        lease = self._events.lease(self.loop.now) if info.plural == "events" else 0
        rev = self.storage.update(key, value, old_rev, lease)
        if rev is None:
            raise ApiError.stale(info.group_resource, meta["name"])
        meta["resourceVersion"] = str(rev)
        return new

    @audited("patch", 3)
    def patch(self, resource: str, name: str, patch: Any, patch_type: str = "merge",
              namespace: str | None = None, subresource: str | None = None) -> dict:
        info = self._check(resource)
        ns = self._namespace(info, namespace)
        old, _ = self._read(info, name, ns)
        try:
            if patch_type == "merge":
                if not isinstance(patch, dict):
                    raise PatchError("merge patch must be a JSON object", bad_request=True)
                patched = merge_patch(old, patch)
            elif patch_type == "json":
                patched = json_patch(old, patch)
            elif patch_type == "strategic":
                patched = strategic_merge_patch(old, patch)
            else:
                raise ApiError(_unsupported_media(patch_type))
        except PatchError as e:
            if e.bad_request:
                raise ApiError.bad_request(str(e)) from None
            raise ApiError(_status_422(str(e))) from None
        if not isinstance(patched, dict) or not isinstance(patched.get("metadata"), dict):
            raise ApiError.bad_request("the patch removed the object's metadata")
        if patched["metadata"].get("name") != name:
            raise ApiError.bad_request(f"the name of the object ({patched['metadata'].get('name')}) "
                                       f"does not match the name on the URL ({name})")
        return self._update(info, patched, ns, subresource)

    # -- delete ----------------------------------------------------------------------
    @audited("delete", 1)
    def delete(self, resource: str, name: str, namespace: str | None = None,
               grace_period_seconds: int | None = None, propagation_policy: str | None = None) -> dict:
        info = self._check(resource)
        if info.plural == "priorityclasses" and any(name == n for n, _, _ in SYSTEM_PRIORITY_CLASSES):
            # pkg/registry/scheduling/priorityclass/storage/storage.go: Delete
            raise ApiError.forbidden("priorityclasses.scheduling.k8s.io", name,
                                     "this is a system priority class and cannot be deleted")
        return deletion.delete(self, info, name, self._namespace(info, namespace),
                               grace_period_seconds, propagation_policy)

    # -- watch ---------------------------------------------------------------------------
    @audited("watch", 1)
    def watch(self, resource: str, callback: Callable[[dict], Any], namespace: str | None = None,
              resource_version: str | None = None, label_selector: str | None = None,
              field_selector: str | None = None, latency: float | None = None,
              send_initial_events: bool = False) -> Watch:
        """Stream changes to ``callback`` (see watch.py for the event shapes and how a
        watch ends). Without a resourceVersion (or "0") the current state comes first as
        ADDED events; ``send_initial_events`` then adds the ``k8s.io/initial-events-end``
        BOOKMARK that ``kubectl delete --wait`` and streaming-list clients wait for."""
        info = self._check(resource)
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(info.plural, field_selector)
        prefix = info.prefix(namespace if info.namespaced else None)
        w = Watch(self, info.plural, prefix, callback, labels, fields,
                  self.watch_latency if latency is None else latency)
        self._next_watch += 1
        self._watches[self._next_watch] = w
        w.id = self._next_watch
        rv = _parse_rv(resource_version)
        if rv == 0:
            kvs, at = self.storage.list(prefix)  # state first, as synthetic ADDED events
            w._initial(kvs)
            if send_initial_events:
                w._send({"type": "BOOKMARK", "object": {
                    "kind": info.kind, "apiVersion": info.api_version,
                    "metadata": {"resourceVersion": str(at),
                                 "annotations": {"k8s.io/initial-events-end": "true"}}}})
            start = at + 1
        else:
            start = rv + 1
            w.start_rv = rv
            if start < self.storage.compact_revision:  # etcd keeps revisions >= the compaction
                w._end(too_old(rv, self.storage.compact_revision).status)
                return w
        try:
            w._etcd_watch = self.store.watch(prefix, prefix_end(prefix), start_revision=start,
                                             prev_kv=True, callback=w._on_etcd)
        except EtcdError:  # refused (compacted meanwhile): the watch ends with 410
            w._end(too_old(rv, self.storage.compact_revision).status)
        return w

    def handle(self, request: dict) -> dict:
        """One REST request -> ``{"code", "body"}`` (see rest.py); for HTTP transports."""
        from .rest import handle  # rest builds on this module
        return handle(self, request)

    def _forget_watch(self, w: Watch) -> None:
        self._watches.pop(w.id, None)

    @property
    def open_watches(self) -> int:
        return len(self._watches)


def _parse_rv(rv: Any) -> int:
    if rv in (None, "", "0", 0):
        return 0
    try:
        n = int(rv)
    except (TypeError, ValueError):
        raise ApiError.bad_request(f'invalid resource version: "{rv}"') from None
    if n < 0:
        raise ApiError.bad_request(f'invalid resource version: "{rv}"')
    return n


def _status_422(message: str) -> dict:
    return status(422, "Invalid", message)


def _unsupported_media(patch_type: str) -> dict:
    return status(415, "UnsupportedMediaType", f"the body of the request was in an unknown format - "
                  f"accepted media types include: application/json-patch+json, "
                  f"application/merge-patch+json, application/strategic-merge-patch+json "
                  f"(got patch type {patch_type!r})")


