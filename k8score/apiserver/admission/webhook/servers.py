"""Webhook servers as Python functions: where a page plugs in its admission webhook.

A real webhook is an HTTPS server reached through ``clientConfig.service`` (a Service in the
cluster) or ``clientConfig.url``. Here a page registers a function under the same address::

    servers = WebhookServers()
    servers.register("default/pod-policy/mutate", fn)        # service default/pod-policy, path /mutate
    servers.register("https://hooks.example.com/check", fn2)  # a URL

``fn(review: dict) -> dict`` gets an ``admission.k8s.io/v1`` AdmissionReview request and answers
one with a ``response``. The service port is not part of the address (one function serves every
port). A call that cannot be made raises :class:`~.review.CallError` with the reason a real API
server would give (webhookutil ClientManager + the service resolver):

- no function at a service address: ``service "pod-policy" not found`` when the Service does
  not exist, else ``dial tcp <clusterIP>:<port>: connect: connection refused``;
- no function at a URL: ``dial tcp: lookup <host>: no such host``;
- the function raises: its exception text, as a transport error (the simulation's stand-in for a
  server that crashed mid-request).

>>> s = WebhookServers()
>>> s.register("default/pod-policy/mutate", lambda review: review)
>>> s.target({"service": {"namespace": "default", "name": "pod-policy", "path": "/mutate"}})
'default/pod-policy/mutate'
>>> s.url({"service": {"namespace": "default", "name": "pod-policy", "path": "/mutate"}}, 10)
'https://pod-policy.default.svc:443/mutate?timeout=10s'
"""

from __future__ import annotations

from typing import Callable
from urllib.parse import urlsplit

from .review import CallError

WebhookFn = Callable[[dict], dict]
DEFAULT_SERVICE_PORT = 443  # admissionregistration/v1 SetDefaults_ServiceReference


class WebhookServers:
    """The registry of webhook functions, by ``namespace/name[path]`` or URL."""

    def __init__(self) -> None:
        self._fns: dict[str, WebhookFn] = {}

    def register(self, target: str, fn: WebhookFn) -> None:
        """Serve ``target`` (``"<ns>/<service><path>"`` or a URL) with ``fn``; replaces any earlier."""
        if not isinstance(target, str) or not callable(fn):
            raise TypeError("register(target: str, fn: callable)")
        self._fns[target] = fn

    def unregister(self, target: str) -> None:
        """Take the server at ``target`` down (later calls fail as unreachable)."""
        self._fns.pop(target, None)

    def __contains__(self, target: str) -> bool:
        return target in self._fns

    @staticmethod
    def target(client_config: dict) -> str:
        """The registry key of a webhook's ``clientConfig``."""
        svc = client_config.get("service")
        if isinstance(svc, dict):
            path = svc.get("path") or ""
            return f"{svc.get('namespace', '')}/{svc.get('name', '')}{path}"
        return str(client_config.get("url") or "")

    @staticmethod
    def url(client_config: dict, timeout: int | None) -> str:
        """The URL the API server would POST to (shown in call errors)."""
        svc = client_config.get("service")
        if isinstance(svc, dict):
            port = svc.get("port") or DEFAULT_SERVICE_PORT
            base = f"https://{svc.get('name', '')}.{svc.get('namespace', '')}.svc:{port}{svc.get('path') or ''}"
        else:
            base = str(client_config.get("url") or "")
        return f"{base}?timeout={timeout}s" if timeout else base

    def call(self, webhook: str, client_config: dict, review: dict, *, timeout: int | None,
             lister=None) -> object:
        """POST ``review`` to the webhook; the function's answer, or CallError."""
        url = self.url(client_config, timeout)
        fn = self._fns.get(self.target(client_config))
        if fn is None:
            raise CallError(webhook, f'failed to call webhook: Post "{url}": '
                                     f"{self._unreachable(client_config, lister)}")
        try:
            return fn(review)
        except Exception as exc:  # the server "crashed": a transport error, never our crash
            raise CallError(webhook, f'failed to call webhook: Post "{url}": {exc}') from None

    @staticmethod
    def _unreachable(client_config: dict, lister) -> str:
        svc = client_config.get("service")
        if not isinstance(svc, dict):
            host = urlsplit(str(client_config.get("url") or "")).hostname or ""
            return f"dial tcp: lookup {host}: no such host"
        service = lister.get("services", svc.get("name", ""), svc.get("namespace")) if lister else None
        if service is None:
            return f'service "{svc.get("name", "")}" not found'
        ip = (service.get("spec") or {}).get("clusterIP", "")
        return f"dial tcp {ip}:{svc.get('port') or DEFAULT_SERVICE_PORT}: connect: connection refused"
