"""Authentication: who is asking — bearer tokens, client certificates, anonymous —
plus impersonation, TokenRequest and TokenReview.

Upstream: pkg/kubeapiserver/authenticator/config.go (the union: x509, static tokens,
ServiceAccount tokens, then anonymous; ``union.NewFailOnError`` so a *bad* credential is
401, never anonymous), apiserver/pkg/authentication/group/authenticated_group_adder.go
(``system:authenticated``), apiserver/pkg/endpoints/filters/impersonation.go, and the
token pieces in :mod:`.tokens`.

>>> from types import SimpleNamespace
>>> import random
>>> ctx = SimpleNamespace(lister=None, now=lambda: 0.0, rng=random.Random(1))
>>> a = Authenticator(ctx, tokens={"t0k3n": UserInfo("alice", ("dev",))})
>>> a.authenticate({"Authorization": "Bearer t0k3n"}).groups
('dev', 'system:authenticated')
>>> a.authenticate({}).name
'system:anonymous'
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Callable
from urllib.parse import unquote

from .authz import forbidden_error
from ..api.errors import ApiError, status
from ..api.field import invalid
from .request import (ALL_AUTHENTICATED, ALL_UNAUTHENTICATED, ANONYMOUS, ALLOW, SERVICE_ACCOUNTS_GROUP,
                      AuthzAttributes, UserInfo)
from .tokens import (EPOCH_UNIX, EXPIRATION_EXTENSION, ISSUER, LEEWAY, WARN_ONLY_BOUND_TOKEN_EXPIRATION,
                     TokenSigner, make_claims, uuid_from)

AUTHN_GROUP = "authentication.k8s.io"
# apiserver/pkg/authentication/serviceaccount/util.go: extra keys of a ServiceAccount user
CREDENTIAL_ID = "authentication.kubernetes.io/credential-id"
POD_NAME, POD_UID = "authentication.kubernetes.io/pod-name", "authentication.kubernetes.io/pod-uid"
NODE_NAME, NODE_UID = "authentication.kubernetes.io/node-name", "authentication.kubernetes.io/node-uid"
#: authentication/v1 types.go: defaults and limits of TokenRequest
DEFAULT_EXPIRATION = 3600
MIN_TOKEN_AGE = 10 * 60  # validation.go MinTokenAgeSec


def unauthorized() -> ApiError:
    """The 401 every failed authentication gets (filters/authentication.go Unauthorized):
    the body never says why."""
    return ApiError(status(401, "Unauthorized", "Unauthorized"))


def with_authenticated(user: UserInfo) -> UserInfo:
    """AuthenticatedGroupAdder: add ``system:authenticated`` unless already there or the
    user is unauthenticated."""
    if ALL_AUTHENTICATED in user.groups or ALL_UNAUTHENTICATED in user.groups:
        return user
    return UserInfo(user.name, tuple(user.groups) + (ALL_AUTHENTICATED,), user.uid, user.extra)


def _extra(d: dict) -> tuple:
    return tuple((k, tuple(d[k])) for k in sorted(d))


def _headers(headers: dict | None) -> dict[str, list[str]]:
    """Header names are case-insensitive; a header may repeat (list value)."""
    out: dict[str, list[str]] = {}
    for k, v in (headers or {}).items():
        vals = v if isinstance(v, (list, tuple)) else [v]
        out.setdefault(str(k).lower(), []).extend(str(x) for x in vals)
    return out


class Authenticator:
    """Turns a request's credentials into a :class:`UserInfo`.

    - ``tokens``: the static token table ``{token: UserInfo}`` (``--token-auth-file``);
    - ServiceAccount JWTs signed by this API server (:meth:`issue_token`);
    - ``cert``: a client certificate handed by the transport as data,
      ``{"CN": "kubernetes-admin", "O": ["kubeadm:cluster-admins"]}``;
    - nothing at all: ``system:anonymous`` in ``system:unauthenticated`` (if ``anonymous``).
    """

    def __init__(self, ctx: Any, tokens: dict | None = None, anonymous: bool = True,
                 audiences: tuple = (ISSUER,)):
        self.ctx = ctx
        self.tokens: dict[str, UserInfo] = dict(tokens or {})
        self.anonymous = anonymous
        self.audiences = list(audiences)
        self.signer = TokenSigner(ctx.rng)

    def add_token(self, token: str, user: UserInfo) -> None:
        self.tokens[token] = user

    # -- authentication ---------------------------------------------------------------
    def authenticate(self, headers: dict | None = None, user: UserInfo | None = None,
                     cert: dict | None = None) -> UserInfo:
        """The authenticated user, or ApiError 401. An in-process ``user`` is trusted
        as-is (the transport vouches for it) and only gets ``system:authenticated``."""
        if user is not None:
            return with_authenticated(user)
        if cert:
            return with_authenticated(self._from_cert(cert))
        auth = _headers(headers).get("authorization", [])
        if auth:
            scheme, _, token = auth[0].strip().partition(" ")
            token = token.strip()
            if scheme.lower() == "bearer" and token:
                found, _err = self.authenticate_token(token)
                if found is None:
                    raise unauthorized()
                return found
        if self.anonymous:
            return UserInfo(ANONYMOUS, (ALL_UNAUTHENTICATED,))
        raise unauthorized()

    def _from_cert(self, cert: dict) -> UserInfo:
        """x509 CommonNameUserConversion: CN is the user, each O a group. The credential id
        is a SHA-256 over the identity data (there are no certificate bytes here)."""
        cn, orgs = str(cert.get("CN", "")), [str(o) for o in cert.get("O") or ()]
        digest = hashlib.sha256(json.dumps({"CN": cn, "O": orgs}, sort_keys=True).encode()).hexdigest()
        return UserInfo(cn, tuple(orgs), "", _extra({CREDENTIAL_ID: [f"X509SHA256={digest}"]}))

    def authenticate_token(self, token: str, audiences: list | None = None) -> tuple[UserInfo | None, str]:
        """(user, "") or (None, why). Static tokens first, then ServiceAccount JWTs."""
        if token in self.tokens:
            return with_authenticated(self.tokens[token]), ""
        claims = TokenSigner.peek(token)
        if claims is None or claims.get("iss") != ISSUER:
            return None, ""  # nobody recognised it: plain 401
        if not self.signer.verify(token):
            return None, "go-jose/go-jose: error in cryptographic primitive"
        wanted = audiences or self.audiences
        auds = claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]
        if not any(a in wanted for a in auds):
            return None, (f"token audiences {_goq(auds)} is invalid for the target audiences {_goq(wanted)}")
        try:
            return self._validate(claims)
        except (TypeError, ValueError, AttributeError, KeyError):
            return None, "service account token claims could not be validated due to unexpected private claim"

    def _validate(self, claims: dict) -> tuple[UserInfo | None, str]:
        """claims.go validator.Validate: times (with go-jose's one-minute leeway), then the
        ServiceAccount and bound pod must still exist with the UIDs in the token."""
        now = EPOCH_UNIX + self.ctx.now()
        if now + LEEWAY < claims["nbf"]:
            return None, "service account token is not valid yet"
        if now - LEEWAY > claims["exp"]:
            return None, "service account token has expired"
        if now + LEEWAY < claims["iat"]:
            return None, "service account token claims could not be validated due to unexpected validation error"
        k8s = claims["kubernetes.io"]
        ns, saref, podref, noderef = k8s["namespace"], k8s["serviceaccount"], k8s.get("pod"), k8s.get("node")
        lister = self.ctx.lister
        sa = lister.get("serviceaccounts", saref["name"], ns)
        if sa is None:
            return None, f'serviceaccounts "{saref["name"]}" not found'
        if (sa.get("metadata") or {}).get("deletionTimestamp"):
            return None, f"service account {ns}/{saref['name']} has been deleted"
        if sa["metadata"].get("uid") != saref["uid"]:
            return None, f"service account UID ({sa['metadata'].get('uid')}) does not match claim ({saref['uid']})"
        extra: dict[str, list[str]] = {}
        if claims.get("jti"):
            extra[CREDENTIAL_ID] = [f"JTI={claims['jti']}"]
        if podref:
            pod = lister.get("pods", podref["name"], ns)
            if pod is None or (pod.get("metadata") or {}).get("deletionTimestamp"):
                return None, "service account token has been invalidated"
            if pod["metadata"].get("uid") != podref["uid"]:
                return None, (f"pod UID ({pod['metadata'].get('uid')}) does not match service account "
                              f"pod ref claim ({podref['uid']})")
            extra[POD_NAME], extra[POD_UID] = [podref["name"]], [podref["uid"]]
        if noderef:
            extra[NODE_NAME] = [noderef["name"]]
            if noderef.get("uid"):
                extra[NODE_UID] = [noderef["uid"]]
        user = UserInfo(claims["sub"], (SERVICE_ACCOUNTS_GROUP, f"{SERVICE_ACCOUNTS_GROUP}:{ns}"),
                        saref["uid"], _extra(extra))
        return with_authenticated(user), ""

    # -- TokenRequest (serviceaccounts/token) -------------------------------------------
    def issue_token(self, sa: dict, body: dict | None) -> dict:
        """TokenREST.Create: a TokenRequest with ``status.token`` and
        ``status.expirationTimestamp``. A ``spec.boundObjectRef`` to a Pod (or Secret)
        ties the token to that object: deleting it revokes the token."""
        meta = sa.get("metadata") or {}
        name, ns = meta.get("name"), meta.get("namespace")
        body = body if isinstance(body, dict) else {}
        spec = dict(body.get("spec") or {})
        exp = spec.get("expirationSeconds", DEFAULT_EXPIRATION)
        errs = []
        if not isinstance(exp, int) or isinstance(exp, bool):
            raise ApiError.bad_request("spec.expirationSeconds must be an integer")
        if exp < MIN_TOKEN_AGE:
            errs.append(invalid("spec.expirationSeconds", exp, "may not specify a duration less than 10 minutes"))
        if exp > 1 << 32:
            errs.append(invalid("spec.expirationSeconds", exp, "may not specify a duration larger than 2^32 seconds"))
        if errs:
            raise ApiError.invalid(f"TokenRequest.{AUTHN_GROUP}", "", errs)
        spec["expirationSeconds"] = exp
        if not spec.get("audiences"):
            spec["audiences"] = list(self.audiences)
        pod = node = None
        ref = spec.get("boundObjectRef")
        if isinstance(ref, dict) and ref:
            pod, uid = self._bound_object(ref, name, ns)
            if ref.get("uid") and ref["uid"] != uid:
                raise ApiError.conflict(ref.get("kind"), ref.get("name"), (
                    f"the UID in the bound object reference ({ref['uid']}) does not match the UID in record. "
                    "The object might have been deleted and then recreated"))
            node_name = ((pod or {}).get("spec") or {}).get("nodeName")
            if node_name:
                node = self.ctx.lister.get("nodes", node_name)
        token_exp, warnafter = exp, 0
        if exp == WARN_ONLY_BOUND_TOKEN_EXPIRATION and pod is not None:
            token_exp, warnafter = EXPIRATION_EXTENSION, WARN_ONLY_BOUND_TOKEN_EXPIRATION
        now = self.ctx.now()
        claims = make_claims(sa, now, token_exp, spec["audiences"], uuid_from(self.ctx.rng),
                             pod=pod, node=node, warnafter=warnafter)
        return {"kind": "TokenRequest", "apiVersion": f"{AUTHN_GROUP}/v1",
                "metadata": {"name": name, "namespace": ns, "creationTimestamp": self.ctx.timestamp()},
                "spec": spec,
                "status": {"token": self.signer.sign(claims),
                           "expirationTimestamp": self.ctx.timestamp(float(exp))}}

    def _bound_object(self, ref: dict, sa_name: str, ns: str) -> tuple[dict | None, str]:
        kind, api_version = ref.get("kind"), ref.get("apiVersion") or ""
        group = api_version.rpartition("/")[0] if "/" in api_version else ""
        if group == "" and kind == "Pod":
            pod = self.ctx.lister.get("pods", ref.get("name"), ns)
            if pod is None:
                raise ApiError.not_found("pods", str(ref.get("name")))
            running_as = (pod.get("spec") or {}).get("serviceAccountName") or "default"
            if running_as != sa_name:
                raise ApiError.bad_request(f'cannot bind token for serviceaccount "{sa_name}" to pod '
                                           f'running with serviceaccount "{running_as}"')
            return pod, (pod.get("metadata") or {}).get("uid")
        if group == "" and kind == "Secret":
            secret = self.ctx.lister.get("secrets", ref.get("name"), ns)
            if secret is None:
                raise ApiError.not_found("secrets", str(ref.get("name")))
            return None, (secret.get("metadata") or {}).get("uid")
        version = api_version.rpartition("/")[2]
        raise ApiError.bad_request(f"cannot bind token to object of type {group}/{version}, Kind={kind}")

    # -- TokenReview --------------------------------------------------------------------
    def token_review(self, body: dict) -> dict:
        """tokenreview REST Create: authenticate ``spec.token``; never an error for a bad
        token (``status.authenticated: false`` and ``status.error``)."""
        spec = (body or {}).get("spec") or {}
        token = spec.get("token")
        if not isinstance(token, str) or not token:
            raise ApiError.bad_request("token is required for TokenReview in authentication")
        auds = list(spec.get("audiences") or []) or list(self.audiences)
        user, err = self.authenticate_token(token, auds)
        st: dict = {"authenticated": user is not None}
        if user is not None:
            st["user"] = user_info_dict(user)
            st["audiences"] = auds
        if err:
            st["error"] = err
        return {"kind": "TokenReview", "apiVersion": f"{AUTHN_GROUP}/v1",
                "metadata": {"creationTimestamp": None}, "spec": dict(spec), "status": st}


def user_info_dict(user: UserInfo) -> dict:
    """authentication/v1 UserInfo as JSON (empty fields omitted)."""
    d: dict = {"username": user.name}
    if user.uid:
        d["uid"] = user.uid
    if user.groups:
        d["groups"] = list(user.groups)
    if user.extra:
        d["extra"] = user.extra_dict()
    return d


def _goq(items: list) -> str:
    """Go's %q of a []string: ``["a" "b"]``."""
    return "[" + " ".join(json.dumps(str(i)) for i in items) + "]"


# -- impersonation (filters/impersonation.go) ---------------------------------------------

def _ref_text(kind: str, name: str, namespace: str = "", api_version: str = "", field_path: str = "") -> str:
    # %v of a v1.ObjectReference: {Kind Namespace Name UID APIVersion ResourceVersion FieldPath}
    return "{" + " ".join([kind, namespace, name, "", api_version, "", field_path]) + "}"


def impersonate(requestor: UserInfo, headers: dict | None,
                authorize: Callable[[AuthzAttributes], tuple[str, str]]) -> UserInfo:
    """Apply ``Impersonate-User``/``-Group``/``-Uid``/``-Extra-<key>`` headers.

    Each thing asked for is checked as ``impersonate`` on ``users``, ``groups``,
    ``serviceaccounts`` (namespaced), ``uids`` or ``userextras/<key>`` (the last two in
    group authentication.k8s.io); the first refusal is a 403 whose message names it.
    Without headers the requestor is returned unchanged. Groups, extras or a uid without
    a user are a 400.
    """
    h = _headers(headers)
    user_req = (h.get("impersonate-user") or [""])[0]
    groups_req = h.get("impersonate-group", [])
    uid_req = (h.get("impersonate-uid") or [""])[0]
    extras = [(unquote(k[len("impersonate-extra-"):]), v) for k, vals in h.items()
              if k.startswith("impersonate-extra-") for v in vals]
    if not (user_req or groups_req or uid_req or extras):
        return requestor
    from .authz.rbac import sa_username, split_sa_username
    checks: list[tuple[AuthzAttributes, str]] = []
    sa = split_sa_username(user_req) if user_req else None
    if sa:
        checks.append((AuthzAttributes(requestor, "impersonate", "serviceaccounts", namespace=sa[0], name=sa[1]),
                       _ref_text("ServiceAccount", sa[1], sa[0])))
    elif user_req:
        checks.append((AuthzAttributes(requestor, "impersonate", "users", name=user_req), _ref_text("User", user_req)))
    checks += [(AuthzAttributes(requestor, "impersonate", "groups", name=g), _ref_text("Group", g)) for g in groups_req]
    checks += [(AuthzAttributes(requestor, "impersonate", "userextras", api_group=AUTHN_GROUP, name=v, subresource=k),
                _ref_text("UserExtra", v, api_version=f"{AUTHN_GROUP}/v1", field_path=k)) for k, v in extras]
    if uid_req:
        checks.append((AuthzAttributes(requestor, "impersonate", "uids", api_group=AUTHN_GROUP, name=uid_req),
                       _ref_text("UID", uid_req, api_version=f"{AUTHN_GROUP}/v1")))
    if not user_req:
        raise ApiError.bad_request(f"requested [{' '.join(t for _, t in checks)}] without impersonating a user")
    for attrs, _text in checks:
        decision, reason = authorize(attrs)
        if decision != ALLOW:
            raise forbidden_error(attrs, reason)
    username = sa_username(*sa) if sa else user_req
    groups = list(groups_req)
    if sa and not groups_req:
        groups = [SERVICE_ACCOUNTS_GROUP, f"{SERVICE_ACCOUNTS_GROUP}:{sa[0]}"]
    if username != ANONYMOUS:
        if ALL_AUTHENTICATED not in groups and ALL_UNAUTHENTICATED not in groups:
            groups.append(ALL_AUTHENTICATED)
    elif ALL_UNAUTHENTICATED not in groups:
        groups.append(ALL_UNAUTHENTICATED)
    extra: dict[str, list[str]] = {}
    for k, v in extras:
        extra.setdefault(k, []).append(v)
    return UserInfo(username, tuple(groups), uid_req, _extra(extra))
