"""Authorization: the authorizer chain (Node, then RBAC) and the 403 it answers with.

- :func:`authorize_chain` — upstream's union authorizer
  (k8s.io/apiserver/pkg/authorization/union/union.go): the first ALLOW or DENY wins;
  if every authorizer has no opinion the request is refused, with their reasons joined
  by newlines.
- :func:`forbidden_error` — the 403 Forbidden Status, message exactly as
  k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go ``forbiddenMessage``
  wrapped by apimachinery ``errors.NewForbidden``.

>>> from ..request import AuthzAttributes, UserInfo
>>> a = AuthzAttributes(UserInfo("system:serviceaccount:default:reader"), "delete", "pods",
...                     namespace="default", name="p")
>>> forbidden_error(a, "").message
'pods "p" is forbidden: User "system:serviceaccount:default:reader" cannot delete resource "pods" in API group "" in the namespace "default"'
"""

from __future__ import annotations

from typing import Iterable

from ...api.errors import ApiError, status
from ..request import ALLOW, DENY, NO_OPINION, AuthzAttributes

__all__ = ["authorize_chain", "forbidden_error", "forbidden_message"]


def authorize_chain(authorizers: Iterable, attrs: AuthzAttributes) -> tuple[str, str, str]:
    """Run ``authorizers`` in order: ``(decision, reason, name of the deciding authorizer)``.

    NO_OPINION from all of them is a refusal; the reason is every non-empty reason
    joined with ``\\n`` (union.go).
    """
    reasons: list[str] = []
    for a in authorizers:
        decision, reason = a.authorize(attrs)
        if decision in (ALLOW, DENY):
            return decision, reason, getattr(a, "name", type(a).__name__)
        if reason:
            reasons.append(reason)
    return NO_OPINION, "\n".join(reasons), ""


def forbidden_message(attrs: AuthzAttributes) -> str:
    """responsewriters/errors.go forbiddenMessage (without the name/resource prefix)."""
    user = attrs.user.name if attrs.user is not None else ""
    if not attrs.is_resource_request:
        return f'User "{user}" cannot {attrs.verb} path "{attrs.path}"'
    resource = attrs.resource + (f"/{attrs.subresource}" if attrs.subresource else "")
    where = (f'in the namespace "{attrs.namespace}"' if attrs.namespace else "at the cluster scope")
    return f'User "{user}" cannot {attrs.verb} resource "{resource}" in API group "{attrs.api_group}" {where}'


def forbidden_error(attrs: AuthzAttributes, reason: str = "") -> ApiError:
    """The 403 for a refused request: ``Forbidden(...)`` then ``NewForbidden(gr, name, err)``.

    The qualified resource is ``resource[.group]`` without the subresource; no name
    gives ``pods is forbidden: ...``; a non-resource request ``forbidden: ...``.
    An authorizer's reason is appended after ``: ``.
    """
    msg = forbidden_message(attrs)
    if reason:
        msg = f"{msg}: {reason}"
    resource = attrs.resource if attrs.is_resource_request else ""
    group = attrs.api_group if attrs.is_resource_request else ""
    name = (attrs.name or "") if attrs.is_resource_request else ""
    gr = f"{resource}.{group}" if group else resource
    if not gr:
        text = f"forbidden: {msg}"
    elif not name:
        text = f"{gr} is forbidden: {msg}"
    else:
        text = f'{gr} "{name}" is forbidden: {msg}'
    details: dict = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    if resource:
        details["kind"] = resource
    return ApiError(status(403, "Forbidden", text, details or None))
