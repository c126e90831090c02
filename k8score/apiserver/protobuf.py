"""Decode the protobuf request bodies client-go's typed clients send for built-in kinds.

client-go's typed clients (``kubernetes.NewForConfig``) send ``application/vnd.kubernetes.protobuf``
bodies and do not retry in JSON on a 415; kubectl uses them for ``create <kind>`` (deployment,
configmap, secret, job, role, ...), ``auth can-i`` / ``whoami`` (the reviews), ``drain``
(Eviction), ``create token``. The dynamic client (``apply``, ``create -f``) sends JSON. This
module turns such a body into the JSON object the REST layer takes; a kind it has no table for
stays unsupported (the transport answers 415).

Wire format: the 4-byte magic ``k8s\\x00`` then a ``runtime.Unknown``
(apimachinery/pkg/runtime/serializer/protobuf/protobuf.go; runtime/generated.proto:
typeMeta=1 {apiVersion=1, kind=2}, raw=2, contentEncoding=3, contentType=4) whose
``raw`` is the message itself; the field numbers of every message are in
:mod:`k8score.apiserver.protobuf_schema` (from upstream's generated.proto files).

JSON form, as the Go types marshal (apimachinery/pkg/api/resource Quantity: its string;
util/intstr IntOrString: the int or the string; meta/v1 Time: RFC 3339 seconds; Duration:
Go's duration text; RawExtension: the embedded JSON; ``[]byte``: base64). A non-pointer
``omitempty`` scalar at its zero value is dropped (gogo protobuf writes it, encoding/json
would not), so the object equals the one kubectl would have sent as JSON.

>>> decode(b"k8s\\x00" + bytes([0x0a, 0x0b, 0x0a, 0x02]) + b"v1" + bytes([0x12, 0x05]) + b"Thing")
>>> cm = bytes([0x0a, 0x04, 0x0a, 0x02]) + b"cm" + bytes([0x12, 0x06, 0x0a, 0x01]) + b"a" + bytes([0x12, 0x01]) + b"b"
>>> tm = bytes([0x0a, 0x02]) + b"v1" + bytes([0x12, 0x09]) + b"ConfigMap"
>>> decode(b"k8s\\x00" + bytes([0x0a, len(tm)]) + tm + bytes([0x12, len(cm)]) + cm)
{'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'cm'}, 'data': {'a': 'b'}}
"""

from __future__ import annotations

import base64
import json
import struct
from datetime import datetime, timezone
from typing import Any

from .protobuf_schema import KINDS, MESSAGES

MAGIC = b"k8s\x00"
_MAX_DEPTH = 64  # deeper than any built-in kind nests; a hostile body stops here


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
            if i + width > len(data):
                raise ProtobufError("truncated field")
            value, i = data[i:i + width], i + width
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        out.append((num, value))
    return out


def _message(name: str, data: bytes, depth: int = 0) -> Any:
    if depth > _MAX_DEPTH:
        raise ProtobufError("nested too deep")
    table = MESSAGES[name]
    obj: dict = {}
    for num, value in _fields(data):
        spec = table.get(num)
        if spec is None:
            continue  # a field this table does not know (newer than it): skipped, as proto2 does
        key, kind = spec[0], spec[1]
        flags = spec[2] if len(spec) > 2 else ""
        if "{" in flags:
            if not isinstance(value, bytes):
                raise ProtobufError(f"map field {key} is not length-delimited")
            entry = dict(_fields(value))
            k = _scalar("s", entry.get(1, b""), depth)
            obj.setdefault(key, {})[k] = _value(kind, entry.get(2, b"" if kind not in ("i", "b") else 0), depth)
        elif "*" in flags:
            items = obj.setdefault(key, [])
            if kind in ("i", "b") and isinstance(value, bytes):  # a packed repeated varint
                i = 0
                while i < len(value):
                    v, i = _varint(value, i)
                    items.append(_value(kind, v, depth))
            else:
                items.append(_value(kind, value, depth))
        else:
            v = _value(kind, value, depth)
            if "L" in flags and isinstance(v, dict):
                v = v.get("items", [])
            if "^" in flags and isinstance(v, dict):
                obj.update(v)   # an inline (embedded) struct: its fields are the parent's in JSON
                continue
            obj[key] = v
    for key, kind, *rest in table.values():  # drop what encoding/json's omitempty would
        if key in obj and rest and "~" in rest[0] and kind in ("s", "i", "b", "y", "d", "f", "T", "MT") \
                and obj[key] in ("", 0, False, None):
            del obj[key]
    return obj


def _value(kind: str, value: Any, depth: int) -> Any:
    if kind in MESSAGES:
        if not isinstance(value, bytes):
            raise ProtobufError(f"message field of type {kind} is not length-delimited")
        return _message(kind, value, depth + 1)
    return _scalar(kind, value, depth)


def _scalar(kind: str, value: Any, depth: int) -> Any:
    if kind == "i":
        if not isinstance(value, int):
            raise ProtobufError("integer field is not a varint")
        return value - (1 << 64) if value >= 1 << 63 else value  # int32/int64 sign-extend
    if kind == "b":
        if not isinstance(value, int):
            raise ProtobufError("bool field is not a varint")
        return bool(value)
    if not isinstance(value, bytes):
        raise ProtobufError(f"field of type {kind} is not length-delimited")
    if kind == "s":
        return value.decode("utf-8", "replace")
    if kind == "y":
        return base64.b64encode(value).decode()
    if kind in ("d", "f"):
        return struct.unpack("<d" if kind == "d" else "<f", value)[0] if len(value) in (4, 8) else 0.0
    f = dict(_fields(value))
    if kind == "Q":  # resource.Quantity {string = 1}
        return bytes(f.get(1, b"")).decode("utf-8", "replace")
    if kind == "IS":  # intstr.IntOrString {type = 1, intVal = 2, strVal = 3}
        if f.get(1, 0) == 1:
            return bytes(f.get(3, b"")).decode("utf-8", "replace")
        return _scalar("i", f.get(2, 0), depth)
    if kind in ("T", "MT"):  # meta/v1 Time {seconds = 1, nanos = 2}
        if not f:  # time_proto.go: a zero Time marshals to nothing and reads back as zero (JSON null)
            return None
        seconds = _scalar("i", f.get(1, 0), depth)
        try:
            t = datetime.fromtimestamp(seconds, timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise ProtobufError(f"time out of range: {seconds}") from None
        if kind == "MT":
            micros = _scalar("i", f.get(2, 0), depth) // 1000
            return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{micros:06d}Z"
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "D":  # meta/v1 Duration {duration = 1} in nanoseconds
        return _go_duration(_scalar("i", f.get(1, 0), depth))
    if kind == "R":  # runtime.RawExtension / FieldsV1 {raw = 1}: embedded JSON
        raw = bytes(f.get(1, b""))
        try:
            return json.loads(raw) if raw.strip() else None
        except ValueError:
            raise ProtobufError("embedded object is not JSON") from None
    raise ProtobufError(f"unknown field type {kind}")


def _go_duration(ns: int) -> str:
    """time.Duration.String for whole units: 90 s -> "1m30s"; 0 -> "0s"."""
    if ns == 0:
        return "0s"
    sign, ns = ("-", -ns) if ns < 0 else ("", ns)
    if ns < 1_000_000_000:
        return f"{sign}{ns / 1e6:g}ms" if ns >= 1_000_000 else f"{sign}{ns}ns"
    h, rem = divmod(ns, 3_600_000_000_000)
    m, rem = divmod(rem, 60_000_000_000)
    s = f"{rem / 1e9:.9f}".rstrip("0").rstrip(".")
    return sign + (f"{h}h{m}m{s}s" if h else f"{m}m{s}s" if m else f"{s}s")


def decode(body: bytes) -> dict | None:
    """The JSON object a protobuf body stands for, or None when its kind is not supported.

    Raises :class:`ProtobufError` for a body that is not a Kubernetes protobuf envelope or
    whose fields do not fit their message.
    """
    if not body.startswith(MAGIC):
        raise ProtobufError("provided data does not appear to be a protobuf message, expected prefix "
                            "[107 56 115 0]")  # protobuf.go errNotMarked
    unknown = dict(_fields(body[len(MAGIC):]))
    meta = dict(_fields(bytes(unknown.get(1, b""))))
    api_version = bytes(meta.get(1, b"")).decode("utf-8", "replace")
    kind = bytes(meta.get(2, b"")).decode("utf-8", "replace")
    name = KINDS.get((api_version, kind))
    if name is None:
        return None
    try:
        obj = _message(name, bytes(unknown.get(2, b"")))
    except RecursionError:
        raise ProtobufError("nested too deep") from None
    return {"apiVersion": api_version, "kind": kind, **obj}
