"""The key-pair check ``kubectl create secret tls`` makes before building the Secret.

Upstream: create_secret_tls.go calls Go's crypto/tls ``X509KeyPair(cert, key)``
(src/crypto/tls/tls.go): the certificate input needs a ``CERTIFICATE`` PEM block, the key
input a ``... PRIVATE KEY`` block, and the key must belong to the certificate. Its error
texts are kept. Stdlib only: a small DER reader compares the RSA modulus and exponent of
the certificate's SubjectPublicKeyInfo with the private key's (PKCS#1 or PKCS#8); keys of
other algorithms are accepted without the match check.

>>> check_key_pair(b"not pem", b"")
Traceback (most recent call last):
...
k8score.kubectl.args.CommandError: error: tls: failed to find any PEM data in certificate input
"""

from __future__ import annotations

import base64
import re

from .args import CommandError

_PEM = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", re.S)
#: rsaEncryption, 1.2.840.113549.1.1.1
_RSA_OID = bytes.fromhex("2a864886f70d010101")


def _blocks(data: bytes) -> list[tuple[str, bytes]]:
    out = []
    for m in _PEM.finditer(data):
        body = b"".join(line for line in m.group(2).split(b"\n") if b":" not in line)
        try:
            out.append((m.group(1).decode("ascii"), base64.b64decode(body)))
        except ValueError:
            continue
    return out


def _fail(message: str) -> CommandError:
    return CommandError(f"error: tls: {message}")


def check_key_pair(cert: bytes, key: bytes) -> None:
    """Raise X509KeyPair's error for a pair it refuses."""
    blocks = _blocks(cert)
    certs = [der for kind, der in blocks if kind == "CERTIFICATE"]
    if not certs:
        if not blocks:
            raise _fail("failed to find any PEM data in certificate input")
        if len(blocks) == 1 and blocks[0][0].endswith("PRIVATE KEY"):
            raise _fail("failed to find certificate PEM data in certificate input, but did find a private key; "
                        "PEM inputs may have been switched")
        skipped = " ".join(kind for kind, _ in blocks)
        raise _fail(f'failed to find "CERTIFICATE" PEM block in certificate input after skipping PEM '
                    f"blocks of the following types: [{skipped}]")
    blocks = _blocks(key)
    keys = [(kind, der) for kind, der in blocks if kind == "PRIVATE KEY" or kind.endswith(" PRIVATE KEY")]
    if not keys:
        if not blocks:
            raise _fail("failed to find any PEM data in key input")
        if len(blocks) == 1 and blocks[0][0] == "CERTIFICATE":
            raise _fail("found a certificate rather than a key in the PEM for the private key")
        skipped = " ".join(kind for kind, _ in blocks)
        raise _fail(f'failed to find PEM block with type ending in "PRIVATE KEY" in key input after skipping '
                    f"PEM blocks of the following types: [{skipped}]")
    try:
        public = _cert_rsa(certs[0])
        private = _key_rsa(*keys[0])
    except (IndexError, ValueError):
        raise _fail("failed to parse private key") from None
    if public is not None and private is not None and public != private:
        raise _fail("private key does not match public key")


# -- a minimal DER reader ------------------------------------------------------------------------
def _tlv(data: bytes, i: int) -> tuple[int, bytes, int]:
    """(tag, content, next index) of the element at ``i``."""
    tag, n = data[i], data[i + 1]
    i += 2
    if n & 0x80:
        size = n & 0x7F
        n = int.from_bytes(data[i:i + size], "big")
        i += size
    return tag, data[i:i + n], i + n


def _children(data: bytes) -> list[tuple[int, bytes]]:
    out, i = [], 0
    while i < len(data):
        tag, content, i = _tlv(data, i)
        out.append((tag, content))
    return out


def _rsa_public(spki: bytes) -> tuple[int, int] | None:
    alg, bits = _children(spki)[:2]
    if _children(alg[1])[0][1] != _RSA_OID:
        return None
    n, e = _children(_tlv(bits[1][1:], 0)[1])[:2]     # BIT STRING: unused-bits byte, then SEQUENCE
    return int.from_bytes(n[1], "big"), int.from_bytes(e[1], "big")


def _cert_rsa(der: bytes) -> tuple[int, int] | None:
    tbs = _children(_tlv(der, 0)[1])[0][1]
    fields = _children(tbs)
    if fields[0][0] == 0xA0:        # [0] EXPLICIT version
        fields = fields[1:]
    return _rsa_public(fields[5][1])    # serial, signature, issuer, validity, subject, spki


def _key_rsa(kind: str, der: bytes) -> tuple[int, int] | None:
    seq = _children(_tlv(der, 0)[1])
    if kind == "RSA PRIVATE KEY":   # PKCS#1: version, n, e, ...
        return int.from_bytes(seq[1][1], "big"), int.from_bytes(seq[2][1], "big")
    if kind == "PRIVATE KEY" and _children(seq[1][1])[0][1] == _RSA_OID:   # PKCS#8
        inner = _children(_tlv(seq[2][1], 0)[1])
        return int.from_bytes(inner[1][1], "big"), int.from_bytes(inner[2][1], "big")
    return None


__all__ = ["check_key_pair"]
