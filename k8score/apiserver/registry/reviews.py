"""Create-only resources that are answered, never stored: the access and token reviews
(pkg/registry/authorization/*, pkg/registry/authentication/*) and the ServiceAccount
``token`` subresource (TokenRequest, pkg/registry/core/serviceaccount/storage/token.go)."""

from __future__ import annotations

from typing import Any, Callable

from ...api.errors import ApiError
from ...api.resources import BUILTIN
from ..authz import review
from .store import check_type
from .strategy import Strategy


class ReviewStrategy(Strategy):
    """A resource whose only verb is create; the answer is computed, nothing is written."""

    create_only = True
    answer: Callable[..., dict]

    def serve_create(self, api: Any, rc: Any) -> dict:
        body = check_type(self.info, rc.req.body)
        out = type(self).answer(api, body, rc.user)
        rc.trace.step("review", "answered", f"{self.info.kind} computed, nothing stored")
        return out


def _review(plural: str, fn: Callable[..., dict]) -> type:
    return type(f"{BUILTIN[plural].kind}Strategy", (ReviewStrategy,),
                {"info": BUILTIN[plural], "answer": staticmethod(fn)})


def _authz(fn: Callable[..., dict]) -> Callable[..., dict]:
    return lambda api, body, user: fn(body, user, api.authorizers)


STRATEGIES = (
    _review("selfsubjectaccessreviews", _authz(review.self_subject_access_review)),
    _review("subjectaccessreviews", _authz(review.subject_access_review)),
    _review("selfsubjectrulesreviews", _authz(review.self_subject_rules_review)),
    _review("selfsubjectreviews", _authz(review.self_subject_review)),
    _review("tokenreviews", lambda api, body, user: api.authenticator.token_review(body)),
)


def token_request(api: Any, rc: Any) -> dict:
    """``POST serviceaccounts/<name>/token``: a TokenRequest for the ServiceAccount."""
    if rc.req.verb != "create":
        raise ApiError.method_not_allowed("serviceaccounts/token", rc.req.verb)
    sa, _ = api.objects.read(rc, rc.name, rc.namespace)
    out = api.authenticator.issue_token(sa, rc.req.body)
    rc.trace.step("token", "issued", f"token for system:serviceaccount:{rc.namespace}:{rc.name}")
    return out
