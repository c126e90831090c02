"""The pod-template-hash: how a Deployment names its ReplicaSets.

Upstream (pkg/controller/controller_utils.go ``ComputeHash``) feeds the pod template into
an FNV-32a hasher, then the little-endian ``collisionCount`` (if set), and encodes the
decimal digits of the sum with apimachinery ``pkg/util/rand.SafeEncodeString``: each byte
indexes the alphabet ``bcdfghjklmnpqrstvwxz2456789`` modulo 27 (no vowels, no
look-alike characters, so no accidental words). Upstream hashes Go's ``spew`` dump of the
template struct; we hash its canonical JSON (sorted keys) — same algorithm and alphabet,
different bytes in, so hashes look real but differ from a real cluster's.

>>> safe_encode_string("0123456789")
'456789bcdf'
>>> fnv32a(b"")
2166136261
>>> len(compute_hash({"metadata": {"labels": {"app": "nginx"}}, "spec": {}})) <= 10
True
"""

from __future__ import annotations

import json

# apimachinery pkg/util/rand/rand.go: alphanums — "bcdfghjklmnpqrstvwxz2456789"
ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"

_FNV32_OFFSET = 2166136261  # hash/fnv: offset32
_FNV32_PRIME = 16777619     # hash/fnv: prime32


def fnv32a(data: bytes, h: int = _FNV32_OFFSET) -> int:
    for b in data:
        h ^= b
        h = (h * _FNV32_PRIME) & 0xFFFFFFFF
    return h


def safe_encode_string(s: str) -> str:
    return "".join(ALPHANUMS[b % len(ALPHANUMS)] for b in s.encode())


def compute_hash(template: dict, collision_count: int | None = None) -> str:
    """``ComputeHash(template, collisionCount)`` -> e.g. ``'5d9f8d6c4b'``-style string."""
    h = fnv32a(json.dumps(template, sort_keys=True, separators=(",", ":")).encode())
    if collision_count is not None:
        h = fnv32a((collision_count & 0xFFFFFFFF).to_bytes(4, "little"), h)
    return safe_encode_string(str(h))
