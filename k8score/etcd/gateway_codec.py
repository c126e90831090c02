"""The JSON forms of etcd v3 messages on etcd's gRPC gateway (api/etcdserverpb/rpc.proto
through grpc-gateway's jsonpb): request bodies from k8score.etcd's ops and responses back
into k8score.etcd.types. Bytes fields are base64, int64 fields JSON strings, enums their
names (``"MOD"``, ``"EQUAL"``), fields at their zero value omitted. No I/O here
(k8score/serve_etcd_gateway.py sends them).

>>> _put_body("/registry/a", "{}", lease=7)
{'key': 'L3JlZ2lzdHJ5L2E=', 'value': 'e30=', 'lease': '7'}
>>> _compare(Compare("/registry/a", "mod", "=", 5))
{'key': 'L3JlZ2lzdHJ5L2E=', 'target': 'MOD', 'result': 'EQUAL', 'mod_revision': '5'}
"""

from __future__ import annotations

import base64
from typing import Any

from .txn import Compare, OpDelete, OpGet, OpPut, OpTxn
from .types import (DeleteRangeResponse, Header, InnerHeader, KeyValue, PutResponse,
                    RangeResponse, TxnResponse)

_TARGETS = {"value": "VALUE", "version": "VERSION", "create": "CREATE", "mod": "MOD", "lease": "LEASE"}
_FIELDS = {"value": "value", "version": "version", "create": "create_revision",
           "mod": "mod_revision", "lease": "lease"}
_RESULTS = {"=": "EQUAL", "!=": "NOT_EQUAL", "<": "LESS", ">": "GREATER"}


def _b64(s: str) -> str:
    return base64.b64encode(s.encode("utf-8", "surrogateescape")).decode("ascii")


def _unb64(s: str | None) -> str:
    return base64.b64decode(s or "").decode("utf-8", "surrogateescape")


def _kv(d: dict) -> KeyValue:
    return KeyValue(_unb64(d.get("key")), _unb64(d.get("value")), int(d.get("create_revision", 0)),
                    int(d.get("mod_revision", 0)), int(d.get("version", 0)), int(d.get("lease", 0)))


def _header(d: dict, inner: bool = False) -> Header:
    rev = int((d.get("header") or {}).get("revision", 0))
    return InnerHeader(rev) if inner else Header(rev)


def _range_body(key: str, range_end: str | None, limit: int = 0, revision: int = 0,
                count_only: bool = False, keys_only: bool = False, sort_order: str = "none",
                sort_target: str = "key", serializable: bool = False) -> dict:
    body: dict = {"key": _b64(key)}
    if range_end:
        body["range_end"] = _b64(range_end)
    if limit:
        body["limit"] = str(limit)
    if revision:
        body["revision"] = str(revision)
    if sort_order != "none":
        body["sort_order"] = sort_order.upper()
    if sort_target != "key":
        body["sort_target"] = sort_target.upper()
    for name, on in (("count_only", count_only), ("keys_only", keys_only), ("serializable", serializable)):
        if on:
            body[name] = True
    return body


def _put_body(key: str, value: str, lease: int = 0, prev_kv: bool = False,
              ignore_value: bool = False, ignore_lease: bool = False) -> dict:
    body: dict = {"key": _b64(key), "value": _b64(value)}
    if lease:
        body["lease"] = str(lease)
    for name, on in (("prev_kv", prev_kv), ("ignore_value", ignore_value), ("ignore_lease", ignore_lease)):
        if on:
            body[name] = True
    return body


def _delete_body(key: str, range_end: str | None = None, prev_kv: bool = False) -> dict:
    body: dict = {"key": _b64(key)}
    if range_end:
        body["range_end"] = _b64(range_end)
    if prev_kv:
        body["prev_kv"] = True
    return body


def _compare(c: Compare) -> dict:
    out: dict = {"key": _b64(c.key), "target": _TARGETS[c.target], "result": _RESULTS[c.result]}
    if c.range_end:
        out["range_end"] = _b64(c.range_end)
    v = c.value
    out[_FIELDS[c.target]] = _b64(v) if c.target == "value" else str(int(v))
    return out


def _op(op: Any) -> dict:
    if isinstance(op, OpPut):
        return {"request_put": _put_body(op.key, op.value, op.lease, op.prev_kv, op.ignore_value,
                                         op.ignore_lease)}
    if isinstance(op, OpDelete):
        return {"request_delete_range": _delete_body(op.key, op.range_end, op.prev_kv)}
    if isinstance(op, OpGet):
        return {"request_range": _range_body(*(getattr(op, n) for n in OpGet.__slots__))}
    if isinstance(op, OpTxn):
        return {"request_txn": _txn_body(op.compare, op.success, op.failure)}
    raise TypeError(f"not a txn op: {op!r}")


def _txn_body(compare: Any, success: Any, failure: Any) -> dict:
    return {"compare": [_compare(c) for c in compare], "success": [_op(o) for o in success],
            "failure": [_op(o) for o in failure]}


def _range_resp(d: dict, inner: bool = False) -> RangeResponse:
    return RangeResponse(_header(d, inner), [_kv(kv) for kv in d.get("kvs", ())],
                         int(d.get("count", 0)), bool(d.get("more")))


def _txn_resp(d: dict, inner: bool = False) -> TxnResponse:
    out = []
    for r in d.get("responses", ()):
        if "response_put" in r:
            p = r["response_put"]
            out.append(PutResponse(_header(p, True), _kv(p["prev_kv"]) if p.get("prev_kv") else None))
        elif "response_delete_range" in r:
            p = r["response_delete_range"]
            out.append(DeleteRangeResponse(_header(p, True), int(p.get("deleted", 0)),
                                           [_kv(kv) for kv in p.get("prev_kvs", ())]))
        elif "response_range" in r:
            out.append(_range_resp(r["response_range"], True))
        elif "response_txn" in r:
            out.append(_txn_resp(r["response_txn"], True))
    return TxnResponse(_header(d, inner), bool(d.get("succeeded")), out)


def _in_range(key: str, start: str, end: str | None) -> bool:
    if not end:
        return key == start
    return key >= start and (end == "\0" or key < end)
