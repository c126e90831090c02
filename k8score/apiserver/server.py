"""kube-apiserver: the front door of the cluster and the only component that touches etcd.

Every request — from a component's client, kubectl, the REST function or the browser —
goes through one pipeline (pipeline.py): authentication, authorization, then the generic
registry store (registry/store.py) with the resource's strategy: decode, default,
mutating admission, validation, validating admission, one guarded etcd transaction.
A request that fails at any step leaves etcd untouched.

>>> from k8score.sim import Loop
>>> from k8score.etcd import Store
>>> loop = Loop(seed=1); api = APIServer(loop, Store()); api.start()
>>> web = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
...        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}
>>> api.create("pods", web)  # no controller manager yet: no "default" ServiceAccount
Traceback (most recent call last):
...
k8score.api.errors.ApiError: Error from server (Forbidden): pods "web" is forbidden: error looking up service account default/default: serviceaccount "default" not found
>>> _ = api.create("serviceaccounts", {"metadata": {"name": "default"}})
>>> pod = api.create("pods", web)
>>> pod["metadata"]["namespace"], pod["status"]["phase"], pod["spec"]["volumes"][0]["name"][:16]
('default', 'Pending', 'kube-api-access-')
>>> api.get("pods", "nope")
Traceback (most recent call last):
...
k8score.api.errors.ApiError: Error from server (NotFound): pods "nope" not found
"""

from __future__ import annotations

import dataclasses
import random
from collections import deque
from typing import Any, Callable

from ..api.errors import ApiError
from ..lang import Text
from ..api.resources import BUILTIN
from ..sim import Component, Loop
from ..sim.clock import rfc3339
from .admission import default_admission_plugins
from .admission.chain import AdmissionChain
from .admission.priority import system_class_bodies
from .admission.webhook import WebhookServers
from .pipeline import selectors, serve
from .registry.podconnect import KubeletConnections
from .registry import Registry, Store, builtin_strategies
from .registry.store import parse_rv
from .authn import Authenticator
from .authz.bootstrap import bootstrap_objects
from .authz.node import NodeAuthorizer
from .authz.rbac import RBACAuthorizer
from .request import (ALLOW, APISERVER, NO_OPINION, SYSTEM_MASTERS, PluginContext, Request, UserInfo,
                      options_from, user_from_name)
from .services import ServiceAllocator
from .storage import Storage
from .cacher import Cacher
from .uncached import UNCACHED, Uncached
from .compactor import COMPACTION_INTERVAL, Compactor
from .registry.crd import restore as restore_crds
from .storage import try_decode
from .tokens import uuid_from

#: Namespaces every cluster has (kubeadm / the apiserver's system namespaces controller).
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
#: Default delivery delay of watch events (an HTTP watch stream is not instantaneous).
DEFAULT_WATCH_LATENCY = 0.001
AUDIT_LOG_SIZE = 1000  # requests kept in APIServer.audit (oldest dropped first)


class APIServer(Component):
    """The typed API of the cluster: create/get/list/update/patch/delete/watch, and
    :meth:`serve` / :meth:`handle` for whole requests."""

    kind = "kube-apiserver"
    plane = "control-plane"
    watches: tuple[str, ...] = ()      # it watches etcd itself, not the API
    writes: tuple[str, ...] = ()       # it writes etcd directly
    summary = Text("集群的唯一入口：认证、授权、准入、校验并持久化所有对象，也是唯一读写 etcd 的组件",
                   "The cluster's only entry point: authenticates, authorizes, admits, validates and persists "
                   "every object; the only component that reads and writes etcd")

    def __init__(self, loop: Loop, store: Any, seed: int | None = None,
                 name: str = "kube-apiserver", watch_latency: float = DEFAULT_WATCH_LATENCY,
                 advertise_address: str = "172.18.0.2"):  # a kind control-plane node's IP
        super().__init__(name, loop)
        self.storage = Storage(store, lambda: self.loop.now)
        self.registry = Registry(builtin_strategies())
        self.objects = Store(self)  # the generic registry store (every verb, every resource)
        self.store = store          # the etcd store: only Storage (storage.py) reads or writes it
        self.watch_latency = watch_latency
        self.advertise_address = advertise_address
        # uids, generated names and ClusterIPs come from one seeded generator
        self.rng = random.Random(f"kube-apiserver:{seed}" if seed is not None
                                 else loop.rng.getrandbits(64))
        self.services = ServiceAllocator(self.rng)
        self.lister = StorageLister(self)
        self.plugin_context = PluginContext(lister=self.lister, now=lambda: self.loop.now,
                                            timestamp=self.timestamp, rng=self.rng,
                                            loopback=self._loopback)
        self.authenticator = Authenticator(self.plugin_context)
        #: --authorization-mode=Node,RBAC, behind the system:masters short cut
        #: (pkg/kubeapiserver/authorizer/config.go: privileged groups first)
        self.authorizers: list[Any] = [PrivilegedGroups(), NodeAuthorizer(self.plugin_context),
                                       RBACAuthorizer(self.plugin_context)]
        #: webhook servers a page registers (``api.webhooks.register("ns/svc/path", fn)``)
        self.webhooks = WebhookServers()
        #: node name -> the kubelet's :10250 API (pods/log, pods/exec reach the node through it)
        self.kubelets = KubeletConnections()
        self.admission = AdmissionChain(default_admission_plugins(self.plugin_context, self.webhooks))
        #: the watch cache: one Cacher per resource (group_resource -> Cacher), started lazily
        self.cachers: dict[str, Cacher] = {}
        self.requests = 0
        #: the etcd compactor (compactor.py), made at each start
        self.compactor: Compactor | None = None
        #: recent requests: (virtual time, user, verb, resource, namespace, name, HTTP code)
        self.audit: deque = deque(maxlen=AUDIT_LOG_SIZE)
        #: traces of recent requests (see trace.py); ``last_trace`` is the newest
        self.traces: deque = deque(maxlen=50)
        self.last_trace: Any = None
        self._stamp = (-1, "")

    # -- lifecycle -------------------------------------------------------------
    def on_start(self) -> None:
        for strategy in self.registry.strategies():  # the watch cache of every resource
            if not getattr(strategy, "create_only", False):
                self.cacher(strategy)
        self.services.rebuild(self)
        restore_crds(self)
        for ns in SYSTEM_NAMESPACES:
            self._ensure("namespaces", {"metadata": {"name": ns}})
        self._bootstrap_kubernetes_service()
        for body in system_class_bodies():  # storage_scheduling.go AddSystemPriorityClasses
            self._ensure("priorityclasses", body)
        # the rbac/bootstrap-roles post-start hook, then what kubeadm init adds
        for obj in bootstrap_objects() + kubeadm_bindings():
            self._ensure(self.registry.table.by_kind(obj["apiVersion"], obj["kind"]).plural, obj)
        # etcd3/compact.go: every server runs a compactor (a new process starts a new one)
        self.compactor = Compactor(self.storage.store)
        self.every(COMPACTION_INTERVAL, lambda: self.compactor.tick(self.loop.now))

    def on_stop(self) -> None:
        # every open watch ends with 503; a restart relists into fresh caches
        for cacher in self.cachers.values():
            cacher.stop()
        self.cachers.clear()

    def cacher(self, strategy: Any) -> Cacher:
        """The watch cache of ``strategy``'s resource (created and started on first use)."""
        key = strategy.info.group_resource
        c = self.cachers.get(key)
        if c is None:
            cls = Uncached if key in UNCACHED else Cacher   # events: no watch cache (uncached.py)
            c = cls(self.loop, self.store, strategy.prefix(), self._decoder(strategy, cls is Cacher),
                       strategy.indexers, kind=strategy.info.kind,
                       api_version=strategy.info.api_version, owner=self.name)
            c.start()
            self.cachers[key] = c
        return c

    def forget_cacher(self, info: Any) -> None:
        """A resource stopped being served (its CRD was deleted): end its watches."""
        c = self.cachers.pop(info.group_resource, None)
        if c is not None:
            c.stop(ApiError.gone(f"the resource {info.group_resource} is no longer served").status)

    def _decoder(self, strategy: Any, handoff: bool = True) -> Callable[[str, int], Any]:
        """Decode a stored value; ``handoff``: take the object this server just wrote instead
        (only a watch cache may: it is the one reader of each write, see Storage.update)."""
        fix = getattr(strategy, "decode_stored", None)
        take = self.storage.take if handoff else (lambda value: None)
        def decode(value: str, rev: int) -> Any:
            obj = take(value)   # what this server just wrote, handed over (Storage.update)
            if obj is not None:
                obj["metadata"]["resourceVersion"] = str(rev)
            else:
                obj = try_decode(value, rev)
            return fix(obj) if obj is not None and fix is not None else obj
        return decode

    def _ensure(self, resource: str, body: dict) -> None:
        """Create a bootstrap object unless it exists (a post-start hook's loopback request)."""
        meta = body["metadata"]
        if self.lister.get(resource, meta["name"], meta.get("namespace")) is None:
            self.create(resource, body, namespace=meta.get("namespace"), user=APISERVER)

    def _bootstrap_kubernetes_service(self) -> None:
        # pkg/controlplane/controller/kubernetesservice: the Service every pod can reach the API at
        self._ensure("services", {"metadata": {"name": "kubernetes", "namespace": "default",
                                               "labels": {"component": "apiserver",
                                                          "provider": "kubernetes"}},
                                  "spec": {"clusterIP": self.services.first_ip,
                                           "ports": [{"name": "https", "port": 443,
                                                      "targetPort": 6443}]}})
        self._ensure("endpoints", {"metadata": {"name": "kubernetes", "namespace": "default",
                                                "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
                                   "subsets": [{"addresses": [{"ip": self.advertise_address}],
                                                "ports": [{"name": "https", "port": 6443}]}]})
        # pkg/controlplane/reconcilers/endpointsadapter.go: the API server writes the matching
        # EndpointSlice itself (the Endpoints carry skip-mirror, so the mirroring controller
        # leaves them alone); kube-proxy reads only slices
        self._ensure("endpointslices", {
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "kubernetes", "namespace": "default",
                         "labels": {"kubernetes.io/service-name": "kubernetes"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [self.advertise_address], "conditions": {"ready": True}}],
            "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]})

    # -- helpers shared by the pipeline's stages ----------------------------------------
    def timestamp(self, offset: float = 0.0) -> str:
        """rfc3339 of the virtual clock (+offset), cached per second (it is on the create path)."""
        sec = int(self.loop.now + offset)
        if sec != self._stamp[0]:
            self._stamp = (sec, rfc3339(sec))
        return self._stamp[1]

    def new_uid(self) -> str:
        return uuid_from(self.rng)

    def record(self, req: Request, trace: Any) -> None:
        user = req.user.name if isinstance(req.user, UserInfo) else req.user
        name = req.name
        if name is None and req.verb == "create" and isinstance(req.body, dict):
            meta = req.body.get("metadata")
            name = meta.get("name") if isinstance(meta, dict) else None
        self.audit.append((self.loop.now, user, req.verb, req.resource, req.namespace,
                           name if isinstance(name, str) else None, trace.code))
        self.traces.append(trace)

    # -- the one entry point --------------------------------------------------------------
    def serve(self, req: Request) -> Any:
        """Run one :class:`~k8score.apiserver.request.Request` through the pipeline."""
        return serve(self, req)

    def authorize_path(self, headers: dict, user: Any, cert: Any, verb: str, path: str) -> UserInfo:
        """Authenticate and authorize a non-resource request (``GET /version``, ``/api``):
        the user it runs as, or ApiError 401/403 (``forbidden: User "x" cannot get path "/y"``)."""
        from .authz import authorize_chain, forbidden_error
        from .request import AuthzAttributes
        who = self.authenticator.authenticate(headers, user if isinstance(user, UserInfo) else None, cert)
        attrs = AuthzAttributes(who, verb, path=path, is_resource_request=False)
        decision, reason, _ = authorize_chain(self.authorizers, attrs)
        if decision != ALLOW:
            raise forbidden_error(attrs, reason)
        return who

    def _loopback(self, req: Request) -> Any:
        """A request the API server makes to itself (admission writing quota status): it
        runs as system:apiserver unless it names another user."""
        if req.user is None:
            req = dataclasses.replace(req, user=APISERVER)
        return self.serve(req)

    def handle(self, request: dict) -> dict:
        """One REST request -> ``{"code", "body"}`` (see rest.py); for HTTP transports."""
        from .rest import handle  # rest builds on this module
        return handle(self, request)

    # -- the verbs, as Python calls (each builds a Request) ----------------------------------
    def create(self, resource: str, body: dict, namespace: str | None = None,
               subresource: str | None = None, *, user: Any = None, **options: Any) -> dict:
        name = None
        if subresource and isinstance(body, dict) and isinstance(body.get("metadata"), dict):
            name = body["metadata"].get("name")
        return self.serve(Request("create", resource, namespace, name, subresource, body,
                                  options_from(options), _user(user)))

    def get(self, resource: str, name: str, namespace: str | None = None, *, user: Any = None,
            subresource: str | None = None, **options: Any) -> dict:
        return self.serve(Request("get", resource, namespace, name, subresource, None,
                                  options_from(options), _user(user)))

    def list(self, resource: str, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None, resource_version: str | None = None, *,
             user: Any = None, **options: Any) -> dict:
        opts = options_from(options, labelSelector=label_selector, fieldSelector=field_selector,
                        resourceVersion=resource_version)
        return self.serve(Request("list", resource, namespace, None, None, None, opts, _user(user)))

    def update(self, resource: str, body: dict, namespace: str | None = None,
               subresource: str | None = None, *, user: Any = None, **options: Any) -> dict:
        name = None
        if isinstance(body, dict) and isinstance(body.get("metadata"), dict):
            name = body["metadata"].get("name")
        return self.serve(Request("update", resource, namespace, name if isinstance(name, str) else None,
                                  subresource, body, options_from(options), _user(user)))

    def patch(self, resource: str, name: str, patch: Any, patch_type: str = "merge",
              namespace: str | None = None, subresource: str | None = None, *, user: Any = None,
              **options: Any) -> dict:
        return self.serve(Request("patch", resource, namespace, name, subresource, patch,
                                  options_from(options), _user(user), patch_type=patch_type))

    def delete(self, resource: str, name: str, namespace: str | None = None,
               grace_period_seconds: int | None = None, propagation_policy: str | None = None, *,
               user: Any = None, **options: Any) -> dict:
        opts = options_from(options, gracePeriodSeconds=grace_period_seconds,
                        propagationPolicy=propagation_policy)
        return self.serve(Request("delete", resource, namespace, name, None, None, opts, _user(user)))

    def watch(self, resource: str, callback: Callable[[dict], Any], namespace: str | None = None,
              resource_version: str | None = None, label_selector: str | None = None,
              field_selector: str | None = None, latency: float | None = None,
              send_initial_events: bool = False, *, user: Any = None, **options: Any) -> Any:
        """Stream changes to ``callback`` (see watch.py for the event shapes and how a
        watch ends). Without a resourceVersion (or "0") the current state comes first as
        ADDED events; ``send_initial_events`` then adds the ``k8s.io/initial-events-end``
        BOOKMARK that ``kubectl delete --wait`` and streaming-list clients wait for."""
        opts = options_from(options, labelSelector=label_selector, fieldSelector=field_selector,
                        resourceVersion=resource_version,
                        sendInitialEvents=True if send_initial_events else None)
        return self.serve(Request("watch", resource, namespace, None, None, None, opts, _user(user),
                                  on_event=callback, latency=latency))

    def watch_request(self, rc: Any) -> Any:
        """WATCH from the watch cache (storage/cacher): see cacher.py for the semantics."""
        req = rc.req
        if req.on_event is None:
            raise ApiError.bad_request("a watch request needs an on_event callback")
        labels, fields = selectors(rc)
        opts = req.options
        rv = parse_rv(opts.get("resourceVersion"))
        w = self.cacher(rc.strategy).watch(
            rv, req.on_event, namespace=rc.namespace, label_selector=labels, field_selector=fields,
            latency=self.watch_latency if req.latency is None else req.latency,
            send_initial_events=opts.get("sendInitialEvents") in (True, "true"),
            allow_bookmarks=opts.get("allowWatchBookmarks") in (True, "true"))
        rc.trace.step("watch", "open", f"from the watch cache, resourceVersion {rv or 'now'}")
        return w

    @property
    def open_watches(self) -> int:
        return sum(c.open_watches for c in self.cachers.values())


def _user(user: Any) -> UserInfo:
    if user is None:
        return APISERVER
    if isinstance(user, UserInfo):
        return user
    return user_from_name(str(user))


class StorageLister:
    """The :class:`~k8score.apiserver.request.Lister` plugins and authorizers read stored
    objects through: the watch cache, without copies — callers must not mutate them."""

    def __init__(self, api: APIServer):
        self._api = api
        self._builtin: dict[str, Any] = {}   # built-in resource name -> its strategy

    def _strategy(self, resource: str) -> Any:
        # plugins and authorizers read through here on every request: a built-in name is
        # resolved once (a custom resource never takes a built-in's bare name, resources.py)
        strategy = self._builtin.get(resource)
        if strategy is None:
            strategy = self._api.registry.strategy_for(resource)
            if BUILTIN.get(resource) is strategy.info:
                self._builtin[resource] = strategy
        return strategy

    @property
    def revision(self) -> int:
        """etcd's revision: anything read through the lister is at least this fresh."""
        return self._api.store.revision

    def cache_token(self, resources: tuple[str, ...]) -> tuple:
        """Changes whenever an object of one of ``resources`` changes (their watch caches'
        versions): authorizers memoise their answers on it."""
        cacher = self._api.cacher
        return tuple(cacher(self._strategy(r)).version() for r in resources)

    def get(self, resource: str, name: str, namespace: str | None = None) -> dict | None:
        strategy = self._strategy(resource)
        return self._api.cacher(strategy).get(strategy.key(name, namespace), copy=False)

    def list(self, resource: str, namespace: str | None = None) -> list[dict]:
        return self._api.cacher(self._strategy(resource)).list(namespace=namespace, copy=False)[0]

    def pods_on_node(self, node: str, namespace: str | None = None) -> list[dict]:
        """The pods bound to ``node`` (optionally one namespace's), from the pods watch cache's
        ``spec.nodeName`` index: what the node authorizer walks for each kubelet request."""
        return self._api.cacher(self._strategy("pods")).list(namespace=namespace, index=("spec.nodeName", node),
                                                             copy=False)[0]


class PrivilegedGroups:
    """authorizerfactory.NewPrivilegedGroups(system:masters): always allowed."""

    name = "PrivilegedGroups"

    def authorize(self, attrs: Any) -> tuple[str, str]:
        return (ALLOW, 'member of "system:masters"') if SYSTEM_MASTERS in attrs.user.groups \
            else (NO_OPINION, "")


def kubeadm_bindings() -> list[dict]:
    """The ClusterRoleBindings ``kubeadm init`` creates (cmd/kubeadm/app/phases/addons/proxy,
    phases/kubeconfig): kube-proxy's ServiceAccount as a node proxier, and the admin group."""
    def crb(name: str, role: str, subject: dict) -> dict:
        return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": {"name": name},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                "subjects": [subject]}
    return [crb("kubeadm:node-proxier", "system:node-proxier",
                {"kind": "ServiceAccount", "name": "kube-proxy", "namespace": "kube-system"}),
            crb("kubeadm:cluster-admins", "cluster-admin",
                {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "kubeadm:cluster-admins"})]
