"""Access reviews: "may X do Y?" asked of the authorizer chain, answered as objects.

Upstream: pkg/registry/authorization/{subjectaccessreview,selfsubjectaccessreview,
selfsubjectrulesreview}/rest.go, pkg/registry/authorization/util/helpers.go
(``ResourceAttributesFrom``), pkg/apis/authorization/validation/validation.go,
pkg/registry/authentication/selfsubjectreview/rest.go, and
apiserver/pkg/authorization/union (``unionAuthzRulesHandler``).

Every function takes ``(body, user, authorizers)`` — ``authorizers`` is the chain in
order (Node, RBAC) — and returns the response object or raises ApiError (422/400).
"""

from __future__ import annotations

from typing import Iterable

from ...api.errors import ApiError
from ...api.field import invalid
from ..request import ALLOW, DENY, AuthzAttributes, UserInfo
from . import authorize_chain
from .rbac import aggregate

AUTHZ_GROUP = "authorization.k8s.io"


def _attrs(user: UserInfo, spec: dict) -> AuthzAttributes:
    ra, nra = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if isinstance(ra, dict):
        return AuthzAttributes(user, str(ra.get("verb") or ""), resource=str(ra.get("resource") or ""),
                               api_group=str(ra.get("group") or ""), api_version=str(ra.get("version") or "*"),
                               namespace=ra.get("namespace") or None, name=ra.get("name") or None,
                               subresource=ra.get("subresource") or None)
    nra = nra if isinstance(nra, dict) else {}
    return AuthzAttributes(user, str(nra.get("verb") or ""), path=str(nra.get("path") or ""),
                           is_resource_request=False)


def _spec_errors(spec: dict) -> list:
    """ValidateSelfSubjectAccessReviewSpec: exactly one kind of attributes."""
    ra, nra = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if ra is not None and nra is not None:
        return [invalid("spec.nonResourceAttributes", nra, "cannot be specified in combination with resourceAttributes")]
    if ra is None and nra is None:
        return [invalid("spec.resourceAttributes", None,
                        "exactly one of nonResourceAttributes or resourceAttributes must be specified")]
    return []


def _review(kind: str, body: dict, attrs: AuthzAttributes, authorizers: Iterable) -> dict:
    decision, reason, _by = authorize_chain(authorizers, attrs)
    st: dict = {"allowed": decision == ALLOW}
    if decision == DENY:
        st["denied"] = True
    if reason:
        st["reason"] = reason
    out = {"kind": kind, "apiVersion": f"{AUTHZ_GROUP}/v1",
           "metadata": dict((body or {}).get("metadata") or {}), "spec": dict(body.get("spec") or {}),
           "status": st}
    out["metadata"].setdefault("creationTimestamp", None)
    return out


def _spec(body: dict) -> dict:
    spec = (body or {}).get("spec") if isinstance(body, dict) else None
    return spec if isinstance(spec, dict) else {}


def self_subject_access_review(body: dict, user: UserInfo, authorizers: Iterable) -> dict:
    """``kubectl auth can-i``: may the requesting user do this?"""
    spec = _spec(body)
    errs = _spec_errors(spec)
    if errs:
        raise ApiError.invalid(f"SelfSubjectAccessReview.{AUTHZ_GROUP}", "", errs)
    return _review("SelfSubjectAccessReview", body, _attrs(user, spec), authorizers)


def subject_access_review(body: dict, user: UserInfo, authorizers: Iterable) -> dict:
    """May ``spec.user``/``spec.groups`` do this? (``user`` is the caller, unused beyond
    the caller's own authorization to create the review.)"""
    spec = _spec(body)
    errs = _spec_errors(spec)
    if not spec.get("user") and not spec.get("groups"):
        errs.append(invalid("spec.user", spec.get("user") or "", "at least one of user or group must be specified"))
    if errs:
        raise ApiError.invalid(f"SubjectAccessReview.{AUTHZ_GROUP}", "", errs)
    extra = spec.get("extra") if isinstance(spec.get("extra"), dict) else {}
    subject = UserInfo(str(spec.get("user") or ""), tuple(str(g) for g in spec.get("groups") or ()),
                       str(spec.get("uid") or ""), tuple((k, tuple(extra[k])) for k in sorted(extra)))
    return _review("SubjectAccessReview", body, _attrs(subject, spec), authorizers)


def rules_for_chain(authorizers: Iterable, user: UserInfo, namespace: str | None) -> tuple[list, list, bool, str]:
    """unionAuthzRulesHandler.RulesFor: concatenate every authorizer's rules."""
    res, nonres, incomplete, errors = [], [], False, []
    for a in authorizers:
        rules_for = getattr(a, "rules_for", None)
        if rules_for is None:
            continue
        r, n, inc, err = rules_for(user, namespace)
        res += r
        nonres += n
        incomplete = incomplete or inc
        if err:
            errors.append(err)
    return res, nonres, incomplete, aggregate(errors)


def self_subject_rules_review(body: dict, user: UserInfo, authorizers: Iterable) -> dict:
    """``kubectl auth can-i --list``: every rule that applies to the user in a namespace."""
    spec = _spec(body)
    ns = spec.get("namespace")
    if not ns:
        raise ApiError.bad_request("no namespace on request")
    res, nonres, incomplete, err = rules_for_chain(authorizers, user, str(ns))
    st: dict = {"resourceRules": res, "nonResourceRules": nonres, "incomplete": incomplete}
    if err:
        st["evaluationError"] = err
    return {"kind": "SelfSubjectRulesReview", "apiVersion": f"{AUTHZ_GROUP}/v1",
            "metadata": {"creationTimestamp": None}, "spec": dict(spec), "status": st}


def self_subject_review(body: dict, user: UserInfo, authorizers: Iterable = ()) -> dict:
    """``kubectl auth whoami`` (authentication.k8s.io SelfSubjectReview)."""
    from ..authn import user_info_dict
    return {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"creationTimestamp": None}, "status": {"userInfo": user_info_dict(user)}}
