"""``Client``: how every component talks to the API server (client-go's clientset).

The transport is in-process: each verb is a call on :class:`~k8score.apiserver.APIServer`.
The client adds what a real client carries with it — who is calling (``user``, shown in
explanations and, when the API server accepts it, in its audit trail) and a short
request log — and nothing else: validation, defaulting and errors are the API server's.

>>> c = Client(api, user="kube-scheduler")            # doctest: +SKIP
>>> c.get("pods", "web-1", namespace="default")        # doctest: +SKIP
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

#: Requests kept in :attr:`Client.requests` (oldest dropped first).
_REQUEST_LOG_SIZE = 200


class Client:
    """The verbs of the API server, on behalf of ``user``; failures raise ``ApiError``.

    When the API server is stopped every call raises ``ApiError`` 503 — the API server
    does that, the client only passes it on.
    """

    def __init__(self, api: Any, user: str = "anonymous", watch_latency: float | None = None):
        self.api = api
        self.user = user
        #: Default delivery delay for watches opened through this client (None: the API
        #: server's default). Tests raise it to show what a lagging watch does.
        self.watch_latency = watch_latency
        #: ``(virtual time, verb, resource, namespace, name)`` of recent requests.
        self.requests: list[tuple[float, str, str, str | None, str | None]] = []
        self._user_kw = {name: _accepts_user(getattr(api, name, None))
                         for name in ("create", "get", "list", "update", "patch", "delete", "watch")}

    # -- verbs -------------------------------------------------------------
    def create(self, resource: str, body: dict, namespace: str | None = None,
               subresource: str | None = None) -> dict:
        name = (body.get("metadata") or {}).get("name") or (body.get("metadata") or {}).get("generateName")
        self._log("create", resource if not subresource else f"{resource}/{subresource}", namespace, name)
        return self._call("create", resource, body, namespace=namespace, subresource=subresource)

    def get(self, resource: str, name: str, namespace: str | None = None) -> dict:
        self._log("get", resource, namespace, name)
        return self._call("get", resource, name, namespace=namespace)

    def list(self, resource: str, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None, resource_version: str | None = None) -> dict:
        self._log("list", resource, namespace, None)
        return self._call("list", resource, namespace=namespace, label_selector=label_selector,
                          field_selector=field_selector, resource_version=resource_version)

    def update(self, resource: str, body: dict, namespace: str | None = None,
               subresource: str | None = None) -> dict:
        self._log("update", resource if not subresource else f"{resource}/{subresource}", namespace,
                  (body.get("metadata") or {}).get("name"))
        return self._call("update", resource, body, namespace=namespace, subresource=subresource)

    def patch(self, resource: str, name: str, patch: Any, patch_type: str = "merge",
              namespace: str | None = None, subresource: str | None = None) -> dict:
        self._log("patch", resource if not subresource else f"{resource}/{subresource}", namespace, name)
        return self._call("patch", resource, name, patch, patch_type=patch_type, namespace=namespace,
                          subresource=subresource)

    def delete(self, resource: str, name: str, namespace: str | None = None,
               grace_period_seconds: int | None = None, propagation_policy: str | None = None) -> dict:
        self._log("delete", resource, namespace, name)
        return self._call("delete", resource, name, namespace=namespace,
                          grace_period_seconds=grace_period_seconds, propagation_policy=propagation_policy)

    def watch(self, resource: str, callback: Callable[[dict], Any], namespace: str | None = None,
              resource_version: str | None = None, label_selector: str | None = None,
              field_selector: str | None = None, latency: float | None = None) -> Any:
        self._log("watch", resource, namespace, None)
        if latency is None:
            latency = self.watch_latency
        return self._call("watch", resource, callback, namespace=namespace,
                          resource_version=resource_version, label_selector=label_selector,
                          field_selector=field_selector, latency=latency)

    # -- internals -----------------------------------------------------------
    def _call(self, verb: str, *args: Any, **kwargs: Any) -> Any:
        if self._user_kw.get(verb):
            kwargs["user"] = self.user
        return getattr(self.api, verb)(*args, **kwargs)

    def _log(self, verb: str, resource: str, namespace: str | None, name: str | None) -> None:
        now = getattr(getattr(self.api, "loop", None), "now", 0.0)
        self.requests.append((now, verb, resource, namespace, name))
        if len(self.requests) > _REQUEST_LOG_SIZE:
            del self.requests[: len(self.requests) - _REQUEST_LOG_SIZE]

    def __repr__(self) -> str:
        return f"<Client user={self.user!r}>"


def _accepts_user(fn: Any) -> bool:
    if fn is None:
        return False
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "user" in params
