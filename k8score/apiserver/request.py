"""The request types every stage of the API server's pipeline shares.

Upstream a request carries its attributes through the handler chain
(k8s.io/apiserver/pkg/endpoints/request: ``RequestInfo``; pkg/authentication/user:
``user.Info``; pkg/authorization/authorizer: ``Attributes``; pkg/admission: ``Attributes``).
Here they are plain data classes:

- :class:`UserInfo` — who is asking (authentication's answer);
- :class:`Request` — one API request: verb, resource, namespace, name, subresource,
  body and options (``dryRun``, ``fieldManager``, ``fieldValidation``, ...);
- :class:`AuthzAttributes` — what authorization decides on (user + verb + resource...);
- :class:`AdmissionAttributes` — what admission plugins see and may mutate;
- the plugin interfaces :class:`Authorizer`, :class:`MutatingAdmission`,
  :class:`ValidatingAdmission`, and :class:`Lister` — the read-only view of stored
  objects that admission plugins and authorizers get (upstream: informer listers).

>>> u = UserInfo("system:node:node-1", ("system:nodes", "system:authenticated"))
>>> a = AuthzAttributes(u, "get", resource="pods", namespace="default", name="web")
>>> a.is_resource_request, a.api_group
(True, '')
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

# --- well-known users and groups (k8s.io/apiserver/pkg/authentication/user/user.go) ---
SYSTEM_MASTERS = "system:masters"
ALL_AUTHENTICATED = "system:authenticated"
ALL_UNAUTHENTICATED = "system:unauthenticated"
ANONYMOUS = "system:anonymous"
NODES_GROUP = "system:nodes"
SERVICE_ACCOUNTS_GROUP = "system:serviceaccounts"
APISERVER_USER = "system:apiserver"

# verbs (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go)
READ_VERBS = ("get", "list", "watch")
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")


@dataclass(frozen=True)
class UserInfo:
    """user.Info: name, uid, groups and extra (e.g. the pod a ServiceAccount token is bound to)."""

    name: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def in_group(self, group: str) -> bool:
        return group in self.groups

    def extra_dict(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in self.extra}


#: the identity of the API server's own loopback requests (bootstrap objects)
APISERVER = UserInfo(APISERVER_USER, (SYSTEM_MASTERS,))


#: Python keyword -> the query option (metav1 *Options field) it stands for
OPTION_NAMES = {"dry_run": "dryRun", "field_manager": "fieldManager", "field_validation": "fieldValidation",
                "resource_version_match": "resourceVersionMatch", "continue_": "continue",
                "allow_watch_bookmarks": "allowWatchBookmarks", "send_initial_events": "sendInitialEvents",
                "grace_period_seconds": "gracePeriodSeconds", "propagation_policy": "propagationPolicy",
                "label_selector": "labelSelector", "field_selector": "fieldSelector",
                "resource_version": "resourceVersion"}


def options_from(keywords: dict, **named: Any) -> dict:
    """Query options from Python keywords (``dry_run="All"`` -> ``{"dryRun": "All"}``); None
    values are left out."""
    out = {k: v for k, v in named.items() if v is not None}
    for k, v in keywords.items():
        if v is not None:
            out[OPTION_NAMES.get(k, k)] = v
    return out


@dataclass
class Request:
    """One API request, as the REST layer and the in-process client both build it.

    ``verb`` is the Kubernetes verb (get, list, watch, create, update, patch, delete,
    deletecollection); ``resource`` a plural ("pods") or any spelling the table resolves.
    ``options`` holds the query parameters that change how the request runs:
    ``dryRun`` ("All"), ``fieldManager``, ``fieldValidation`` (Strict/Warn/Ignore),
    ``force`` (server-side apply), ``resourceVersion``, ``resourceVersionMatch``,
    ``limit``, ``continue``, ``labelSelector``, ``fieldSelector``, ``gracePeriodSeconds``,
    ``propagationPolicy``, ``sendInitialEvents``, ``allowWatchBookmarks``.
    ``user`` is who the transport authenticated (None: authenticate from ``headers``).
    """

    verb: str
    resource: str = ""
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None
    body: Any = None
    options: dict = field(default_factory=dict)
    user: UserInfo | None = None
    headers: dict = field(default_factory=dict)
    path: str = ""                 # for non-resource requests (/healthz, /version, ...)
    patch_type: str | None = None  # merge | json | strategic | apply
    on_event: Any = None           # watch: callback for each event
    latency: float | None = None   # watch: delivery delay (simulated stream)
    #: a verified client certificate's subject, as a TLS transport hands it over:
    #: ``{"CN": "kubernetes-admin", "O": ["kubeadm:cluster-admins"]}`` (user and groups)
    cert: dict | None = None

    @property
    def dry_run(self) -> bool:
        dr = self.options.get("dryRun")
        if isinstance(dr, (list, tuple)):
            return "All" in dr
        return dr == "All"


@dataclass
class AuthzAttributes:
    """authorizer.Attributes: what an authorizer decides on."""

    user: UserInfo
    verb: str
    resource: str = ""
    api_group: str = ""
    api_version: str = "v1"
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None
    path: str = ""                       # non-resource requests: "/healthz", "/version"...
    is_resource_request: bool = True


#: authorizer decisions (authorizer.Decision)
ALLOW, DENY, NO_OPINION = "allow", "deny", "no-opinion"


class Authorizer(Protocol):
    """authorizer.Authorizer: ``authorize(attrs) -> (decision, reason)``.

    ``decision`` is ALLOW, DENY or NO_OPINION; ``reason`` says why (shown in the
    request trace and in SubjectAccessReview's ``status.reason``). Chained authorizers
    (Node, then RBAC) stop at the first ALLOW or DENY.
    """

    name: str

    def authorize(self, attrs: AuthzAttributes) -> tuple[str, str]: ...


class Lister(Protocol):
    """Read-only view of stored objects, served from the API server's watch cache
    (upstream: the informer listers admission plugins and authorizers use)."""

    def get(self, resource: str, name: str, namespace: str | None = None) -> dict | None: ...

    def list(self, resource: str, namespace: str | None = None) -> list[dict]: ...


@dataclass
class AdmissionAttributes:
    """admission.Attributes: what admission plugins see.

    ``operation`` is CREATE, UPDATE, DELETE or CONNECT. Mutating plugins may change
    ``obj`` in place; a refusal is an ``ApiError`` raised by the plugin (usually 403
    Forbidden, as admission.NewForbidden builds it, or 422 Invalid).
    ``info`` is the ResourceInfo of the resource; ``subresource`` e.g. "status".
    """

    operation: str
    info: Any
    namespace: str | None
    name: str | None
    obj: Any
    old: Any
    user: UserInfo
    subresource: str | None = None
    dry_run: bool = False
    options: dict = field(default_factory=dict)
    #: warnings for the client (HTTP ``Warning: 299 - "..."`` headers; kubectl prints them)
    warnings: list = field(default_factory=list)
    #: audit annotations (e.g. ``pod-security.kubernetes.io/audit-violations``)
    annotations: dict = field(default_factory=dict)

    @property
    def resource(self) -> str:
        return self.info.plural

    @property
    def kind(self) -> str:
        return self.info.kind


class MutatingAdmission(Protocol):
    """admission.MutationInterface. ``handles(op)`` says which operations it sees."""

    name: str

    def handles(self, operation: str) -> bool: ...

    def admit(self, a: AdmissionAttributes) -> str | None:
        """Mutate ``a.obj`` or raise ApiError; may return a short note for the trace."""


class ValidatingAdmission(Protocol):
    """admission.ValidationInterface: may refuse, never mutates."""

    name: str

    def handles(self, operation: str) -> bool: ...

    def validate(self, a: AdmissionAttributes) -> str | None:
        """Raise ApiError to refuse; may return a short note for the trace."""


@dataclass
class PluginContext:
    """What the API server hands every authorizer and admission plugin at construction.

    - ``lister``: read-only stored objects (watch cache), see :class:`Lister`;
    - ``now()``: the virtual clock in seconds; ``timestamp(offset=0.0)`` its RFC 3339 text;
    - ``rng``: the API server's seeded generator (generated names, token ids);
    - ``loopback(request)``: run a :class:`Request` as ``system:apiserver`` through the
      whole pipeline (e.g. ResourceQuota admission updating ``status.used``); returns the
      resulting object or raises ``ApiError``.
    """

    lister: Lister
    now: Callable[[], float]
    timestamp: Callable[..., str]
    rng: random.Random
    loopback: Callable[[Request], Any]


def user_from_name(name: str, groups: tuple[str, ...] = ()) -> UserInfo:
    """The UserInfo a well-known in-process identity authenticates as.

    ``system:node:<n>`` is in ``system:nodes``; ``system:serviceaccount:<ns>:<n>`` in
    ``system:serviceaccounts`` and ``system:serviceaccounts:<ns>``; ``kubernetes-admin``
    (kubeadm's admin.conf client certificate, O=kubeadm:cluster-admins before 1.29 and
    system:masters in super-admin.conf) is in ``system:masters`` here; everyone
    authenticated is in ``system:authenticated``.

    >>> user_from_name("system:serviceaccount:default:reader").groups
    ('system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated')
    """
    if name == ANONYMOUS:
        return UserInfo(ANONYMOUS, tuple(groups) or (ALL_UNAUTHENTICATED,))
    extra: tuple[str, ...] = ()
    if name.startswith("system:node:"):
        extra = (NODES_GROUP,)
    elif name.startswith("system:serviceaccount:") and name.count(":") == 3:
        extra = (SERVICE_ACCOUNTS_GROUP, f"{SERVICE_ACCOUNTS_GROUP}:{name.split(':')[2]}")
    elif name == "kubernetes-admin":
        extra = (SYSTEM_MASTERS,)
    out = tuple(groups) + tuple(g for g in extra if g not in groups)
    if ALL_AUTHENTICATED not in out:
        out += (ALL_AUTHENTICATED,)
    return UserInfo(name, out)
