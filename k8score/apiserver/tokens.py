"""ServiceAccount tokens: JWTs the API server signs (TokenRequest) and verifies (authn).

Upstream: pkg/serviceaccount/claims.go (``Claims``, ``validator.Validate``),
pkg/serviceaccount/jwt.go (``jwtTokenAuthenticator``), pkg/registry/core/serviceaccount/
storage/token.go (``TokenREST.Create``), pkg/apis/authentication/validation/validation.go.

Difference from a real cluster: real tokens are RS256/ES256-signed with the
``--service-account-signing-key-file`` private key and verifiable by anyone holding the
public key (``/openid/v1/jwks``). Here they are HS256 (HMAC-SHA256) with a 32-byte key
drawn from the API server's seeded RNG — same shape ``header.payload.signature``, same
claims, deterministic per seed, verifiable only by this API server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

# --service-account-issuer default in kubeadm / kind clusters; --api-audiences defaults to it
ISSUER = "https://kubernetes.default.svc.cluster.local"
#: sim/clock.py EPOCH (2026-01-01T00:00:00Z) as Unix seconds: NumericDate = EPOCH_UNIX + now
EPOCH_UNIX = 1767225600
#: go-jose jwt.DefaultLeeway: exp/nbf/iat are checked with one minute of slack
LEEWAY = 60
#: claims.go: a kubelet's projected token asks for 3607 s; the API server then issues a
#: one-year token that only *warns* after 3607 s (--service-account-extend-token-expiration)
WARN_ONLY_BOUND_TOKEN_EXPIRATION = 60 * 60 + 7
EXPIRATION_EXTENSION = 24 * 365 * 60 * 60


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def uuid_from(rng: Any) -> str:
    """A version-4 UUID drawn from a seeded RNG (no uuid4: runs must be reproducible): the
    text of ``uuid.UUID(int=bits, version=4)``, built directly (object uids are on the create
    path). The one UUID source of the API server: uids, token ids, admission request uids."""
    n = rng.getrandbits(128) & _UUID_CLEAR | _UUID_SET
    h = "%032x" % n
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))  # version and variant bits
_UUID_SET = (4 << 76) | (0x8000 << 48)           # version 4, RFC 4122 variant


class TokenSigner:
    """Signs and verifies JWTs with one HMAC key (drawn once from ``rng``)."""

    def __init__(self, rng: Any):
        self._key = rng.getrandbits(256).to_bytes(32, "big")
        self.kid = _b64(hashlib.sha256(self._key).digest()[:16])

    def sign(self, claims: dict) -> str:
        header = {"alg": "HS256", "kid": self.kid}
        head = _b64(json.dumps(header, separators=(",", ":")).encode())
        body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
        sig = hmac.new(self._key, f"{head}.{body}".encode(), hashlib.sha256).digest()
        return f"{head}.{body}.{_b64(sig)}"

    @staticmethod
    def peek(token: str) -> dict | None:
        """The unverified claims of a JWT-shaped token, or None if it is not one."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        try:
            claims = json.loads(_unb64(parts[1]))
        except (ValueError, UnicodeDecodeError):
            return None
        return claims if isinstance(claims, dict) else None

    def verify(self, token: str) -> bool:
        head, _, rest = token.partition(".")
        body, _, sig = rest.partition(".")
        want = hmac.new(self._key, f"{head}.{body}".encode(), hashlib.sha256).digest()
        try:
            return hmac.compare_digest(want, _unb64(sig))
        except (ValueError, TypeError):
            return False


def make_claims(sa: dict, now: float, expiration: int, audiences: list, jti: str,
                pod: dict | None = None, node: dict | None = None, warnafter: int = 0) -> dict:
    """claims.go Claims: public claims from the virtual clock plus the ``kubernetes.io``
    private claims naming the ServiceAccount and the objects the token is bound to."""
    t = int(EPOCH_UNIX + now)
    meta = sa.get("metadata") or {}
    k8s: dict = {"namespace": meta.get("namespace"),
                 "serviceaccount": {"name": meta.get("name"), "uid": meta.get("uid")}}
    if pod is not None:
        pm = pod.get("metadata") or {}
        k8s["pod"] = {"name": pm.get("name"), "uid": pm.get("uid")}
    if node is not None:
        nm = node.get("metadata") or {}
        k8s["node"] = {"name": nm.get("name"), "uid": nm.get("uid")}
    if warnafter:
        k8s["warnafter"] = t + warnafter
    return {"aud": list(audiences), "exp": t + int(expiration), "iat": t, "iss": ISSUER, "jti": jti,
            "kubernetes.io": k8s, "nbf": t, "sub": f"system:serviceaccount:{meta.get('namespace')}:{meta.get('name')}"}
