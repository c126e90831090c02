"""The audit trail: who asked the API server to do what, and what it answered.

Upstream writes audit events (k8s.io/apiserver/pkg/audit) with the authenticated user;
here every verb takes the ``user=`` keyword a :class:`~k8score.client.Client` passes
("system:kube-scheduler", "system:node:node-1"...) and appends one tuple to
``APIServer.audit``: ``(virtual time, user, verb, resource, namespace, name, HTTP code)``.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from ..api.errors import ApiError

AUDIT_LOG_SIZE = 1000  # requests kept in APIServer.audit (oldest dropped first)


def audited(verb: str, ns_arg: int) -> Callable:
    """Record who did what (``APIServer.audit``), like the apiserver's audit log.

    Adds the ``user=`` keyword the client passes (who is calling: "kube-scheduler",
    "system:node:node-1"...); the verb itself does not depend on it.
    """
    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def verb_fn(self: Any, resource: str, *args: Any, user: str | None = None, **kw: Any) -> Any:
            code = 201 if verb == "create" else 200
            try:
                return fn(self, resource, *args, **kw)
            except ApiError as e:
                code = e.code
                raise
            finally:
                ns = kw.get("namespace", args[ns_arg] if len(args) > ns_arg else None)
                self.audit.append((self.loop.now, user, verb, resource, ns,
                                   _target_name(args[0] if args else None), code))
        sig = inspect.signature(fn)
        verb_fn.__signature__ = sig.replace(parameters=[*sig.parameters.values(), inspect.Parameter(
            "user", inspect.Parameter.KEYWORD_ONLY, default=None, annotation="str | None")])
        return verb_fn
    return wrap


def _target_name(first: Any) -> str | None:
    if isinstance(first, str):
        return first
    meta = first.get("metadata") if isinstance(first, dict) else None
    name = meta.get("name") if isinstance(meta, dict) else None
    return name if isinstance(name, str) else None
