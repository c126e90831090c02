"""Decode the few protobuf request bodies real kubectl sends for built-in kinds.

client-go's typed clients send ``application/vnd.kubernetes.protobuf`` bodies and do not
retry in JSON on a 415; kubectl uses them for ``auth can-i`` (SelfSubjectAccessReview)
and ``auth whoami`` (SelfSubjectReview). Everything else kubectl writes through the
dynamic client, in JSON. This module turns such a body into the JSON object the REST
layer takes; any other kind stays unsupported (the transport answers 415).

Wire format: the 4-byte magic ``k8s\\x00`` then a ``runtime.Unknown``
(apimachinery/pkg/runtime/serializer/protobuf/protobuf.go; runtime/generated.proto:
typeMeta=1 {apiVersion=1, kind=2}, raw=2, contentEncoding=3, contentType=4) whose
``raw`` is the message itself. Field numbers: api/authorization/v1/generated.proto,
api/authentication/v1/generated.proto, apimachinery/pkg/apis/meta/v1/generated.proto.

>>> decode(b"k8s\\x00" + bytes([0x0a, 0x0b, 0x0a, 0x02]) + b"v1" + bytes([0x12, 0x05]) + b"Thing")
"""

from __future__ import annotations

from typing import Any

MAGIC = b"k8s\x00"

# message name -> {field number: (json name, kind)}; kind: "string", a message name,
# or ("map", None) for map<string, string>
_OBJECT_META = {1: ("name", "string"), 2: ("generateName", "string"), 3: ("namespace", "string"),
                11: ("labels", "map"), 12: ("annotations", "map")}
_MESSAGES: dict[str, dict[int, tuple[str, Any]]] = {
    "ObjectMeta": _OBJECT_META,
    "SelfSubjectAccessReview": {1: ("metadata", "ObjectMeta"), 2: ("spec", "SelfSubjectAccessReviewSpec")},
    "SelfSubjectAccessReviewSpec": {1: ("resourceAttributes", "ResourceAttributes"),
                                    2: ("nonResourceAttributes", "NonResourceAttributes")},
    "ResourceAttributes": {1: ("namespace", "string"), 2: ("verb", "string"), 3: ("group", "string"),
                           4: ("version", "string"), 5: ("resource", "string"),
                           6: ("subresource", "string"), 7: ("name", "string")},
    "NonResourceAttributes": {1: ("path", "string"), 2: ("verb", "string")},
    "SelfSubjectReview": {1: ("metadata", "ObjectMeta")},
}
# apiVersion/kind -> top-level message
_KINDS = {("authorization.k8s.io/v1", "SelfSubjectAccessReview"): "SelfSubjectAccessReview",
          ("authentication.k8s.io/v1", "SelfSubjectReview"): "SelfSubjectReview"}


class ProtobufError(ValueError):
    pass


def _varint(data: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        if i >= len(data) or shift > 63:
            raise ProtobufError("truncated varint")
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def _fields(data: bytes) -> list[tuple[int, Any]]:
    """(field number, value) pairs; length-delimited values as bytes, varints as ints."""
    out, i = [], 0
    while i < len(data):
        key, i = _varint(data, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 2:
            n, i = _varint(data, i)
            if i + n > len(data):
                raise ProtobufError("truncated field")
            value, i = data[i:i + n], i + n
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            value, i = data[i:i + width], i + width
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        out.append((num, value))
    return out


def _message(name: str, data: bytes, depth: int = 0) -> dict:
    if depth > 8:
        raise ProtobufError("nested too deep")
    table = _MESSAGES[name]
    obj: dict = {}
    for num, value in _fields(data):
        if num not in table or not isinstance(value, bytes):
            continue  # unknown or non-string fields of these kinds are not needed
        key, kind = table[num]
        if kind == "string":
            obj[key] = value.decode("utf-8", "replace")
        elif kind == "map":
            entry = dict(_fields(value))
            obj.setdefault(key, {})[bytes(entry.get(1, b"")).decode("utf-8", "replace")] = \
                bytes(entry.get(2, b"")).decode("utf-8", "replace")
        else:
            obj[key] = _message(kind, value, depth + 1)
    return obj


def decode(body: bytes) -> dict | None:
    """The JSON object a protobuf body stands for, or None when its kind is not supported.

    Raises :class:`ProtobufError` for a body that is not a Kubernetes protobuf envelope.
    """
    if not body.startswith(MAGIC):
        raise ProtobufError("provided data does not appear to be a protobuf message, expected prefix "
                            "[107 56 115 0]")  # protobuf.go errNotMarked
    unknown = dict(_fields(body[len(MAGIC):]))
    meta = dict(_fields(unknown.get(1, b"")))
    api_version = bytes(meta.get(1, b"")).decode("utf-8", "replace")
    kind = bytes(meta.get(2, b"")).decode("utf-8", "replace")
    name = _KINDS.get((api_version, kind))
    if name is None:
        return None
    return {"apiVersion": api_version, "kind": kind, **_message(name, bytes(unknown.get(2, b"")))}
