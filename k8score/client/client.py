"""``Client``: how every component talks to the API server (client-go's clientset).

The transport is in-process: each verb is a call on :class:`~k8score.apiserver.APIServer`.
The client adds what a real client carries with it — who is calling (``user``, shown in
explanations and, when the API server accepts it, in its audit trail) and a short
request log — and nothing else: validation, defaulting and errors are the API server's.

>>> c = Client(api, user="kube-scheduler")            # doctest: +SKIP
>>> c.get("pods", "web-1", namespace="default")        # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Callable

from ..apiserver.request import Request, UserInfo, options_from, user_from_name

#: Requests kept in :attr:`Client.requests` (oldest dropped first).
_REQUEST_LOG_SIZE = 200


class Client:
    """The verbs of the API server, on behalf of ``user``; failures raise ``ApiError``.

    Each verb builds one :class:`~k8score.apiserver.request.Request` and hands it to the
    API server's single entry point (``api.serve``) — the in-process transport. Keyword
    options are the request's query options (``dry_run="All"``, ``field_manager``,
    ``field_validation``, ``force``, ``limit``, ``continue_``...). ``impersonate`` (a user
    name and groups) adds the ``Impersonate-User`` / ``Impersonate-Group`` headers, as
    ``kubectl --as/--as-group`` does. When the API server is stopped every call raises
    ``ApiError`` 503 — the API server does that, the client only passes it on.
    """

    def __init__(self, api: Any, user: Any = "anonymous", watch_latency: float | None = None,
                 impersonate: tuple[str, tuple[str, ...]] | tuple[str, tuple[str, ...], str] | None = None):
        self.api = api
        self.user = user
        self._identity = user if isinstance(user, UserInfo) else user_from_name(str(user))
        #: Default delivery delay for watches opened through this client (None: the API
        #: server's default). Tests raise it to show what a lagging watch does.
        self.watch_latency = watch_latency
        self._headers: dict = {}
        self._impersonate = impersonate
        if impersonate:
            name, groups, uid = (tuple(impersonate) + ("",))[:3]
            self._headers = {"Impersonate-User": name}
            if groups:
                self._headers["Impersonate-Group"] = list(groups)
            if uid:
                self._headers["Impersonate-Uid"] = uid
        #: the warnings the API server returned with the last request (HTTP ``Warning``
        #: headers: fieldValidation=Warn, PodSecurity warn, webhooks...)
        self.last_warnings: list[str] = []
        #: ``(virtual time, verb, resource, namespace, name)`` of recent requests.
        self.requests: list[tuple[float, str, str, str | None, str | None]] = []

    def impersonating(self, user: str, groups: tuple[str, ...] = (), uid: str = "") -> "Client":
        """A client for the same caller that asks to act as ``user`` (``--as``, ``--as-group``,
        ``--as-uid``)."""
        return Client(self.api, self.user, self.watch_latency, (user, tuple(groups), uid))

    # -- verbs -------------------------------------------------------------
    def create(self, resource: str, body: dict, namespace: str | None = None,
               subresource: str | None = None, **options: Any) -> dict:
        meta = body.get("metadata") if isinstance(body, dict) else None
        meta = meta if isinstance(meta, dict) else {}
        name = meta.get("name") or meta.get("generateName")
        self._log("create", resource if not subresource else f"{resource}/{subresource}", namespace, name)
        return self._serve("create", resource, namespace, meta.get("name") if subresource else None,
                           subresource, body, options)

    def get(self, resource: str, name: str, namespace: str | None = None,
            subresource: str | None = None, **options: Any) -> dict:
        self._log("get", resource, namespace, name)
        return self._serve("get", resource, namespace, name, subresource, None, options)

    def list(self, resource: str, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None, resource_version: str | None = None,
             **options: Any) -> dict:
        self._log("list", resource, namespace, None)
        return self._serve("list", resource, namespace, None, None, None, options,
                           labelSelector=label_selector, fieldSelector=field_selector,
                           resourceVersion=resource_version)

    def update(self, resource: str, body: dict, namespace: str | None = None,
               subresource: str | None = None, **options: Any) -> dict:
        meta = body.get("metadata") if isinstance(body, dict) else None
        name = meta.get("name") if isinstance(meta, dict) else None
        self._log("update", resource if not subresource else f"{resource}/{subresource}", namespace, name)
        return self._serve("update", resource, namespace, name if isinstance(name, str) else None,
                           subresource, body, options)

    def patch(self, resource: str, name: str, patch: Any, patch_type: str = "merge",
              namespace: str | None = None, subresource: str | None = None, **options: Any) -> dict:
        self._log("patch", resource if not subresource else f"{resource}/{subresource}", namespace, name)
        return self._serve("patch", resource, namespace, name, subresource, patch, options,
                           patch_type=patch_type)

    def delete(self, resource: str, name: str, namespace: str | None = None,
               grace_period_seconds: int | None = None, propagation_policy: str | None = None,
               **options: Any) -> dict:
        self._log("delete", resource, namespace, name)
        return self._serve("delete", resource, namespace, name, None, None, options,
                           gracePeriodSeconds=grace_period_seconds, propagationPolicy=propagation_policy)

    def watch(self, resource: str, callback: Callable[[dict], Any], namespace: str | None = None,
              resource_version: str | None = None, label_selector: str | None = None,
              field_selector: str | None = None, latency: float | None = None, **options: Any) -> Any:
        self._log("watch", resource, namespace, None)
        if latency is None:
            latency = self.watch_latency
        return self._serve("watch", resource, namespace, None, None, None, options,
                           labelSelector=label_selector, fieldSelector=field_selector,
                           resourceVersion=resource_version, on_event=callback, latency=latency)

    def resolve(self, name: str) -> Any:
        """The ResourceInfo the server serves under ``name`` (its discovery), or 404."""
        return self.api.registry.resolve(name)

    def by_kind(self, api_version: str, kind: str) -> Any:
        """The ResourceInfo serving ``apiVersion``/``kind`` on this server, or None."""
        return self.api.registry.table.by_kind(api_version, kind)

    def resources(self) -> list:
        """Every resource the server serves (discovery), CustomResourceDefinitions included."""
        return list(self.api.registry.table)

    # -- internals -----------------------------------------------------------
    def _serve(self, verb: str, resource: str, namespace: str | None, name: str | None,
               subresource: str | None, body: Any, options: dict, *, patch_type: str | None = None,
               on_event: Any = None, latency: float | None = None, **named: Any) -> Any:
        opts = options_from(options, **named)
        req = Request(verb, resource, namespace, name, subresource, body, opts, self._identity,
                      dict(self._headers), patch_type=patch_type, on_event=on_event, latency=latency)
        try:
            return self.api.serve(req)
        finally:
            trace = getattr(self.api, "last_trace", None)
            self.last_warnings = list(getattr(trace, "warnings", ()) or ())

    def _log(self, verb: str, resource: str, namespace: str | None, name: str | None) -> None:
        now = getattr(getattr(self.api, "loop", None), "now", 0.0)
        self.requests.append((now, verb, resource, namespace, name))
        if len(self.requests) > _REQUEST_LOG_SIZE:
            del self.requests[: len(self.requests) - _REQUEST_LOG_SIZE]

    def __repr__(self) -> str:
        return f"<Client user={self._identity.name!r}>"
