"""What etcdctl v3.5 prints for each response, per ``--write-out`` format.

Reimplements etcdctl/ctlv3/command/printer_simple.go, printer_json.go (Go's
encoding/json over the protobuf structs: ``omitempty`` fields, byte slices as
base64, uint64 ids as bare numbers) and printer_fields.go. Each function returns
a list of output lines.
"""

from __future__ import annotations

import base64
import json

from .types import KeyValue

# --- simple -------------------------------------------------------------------


def _hex(s: str) -> str:
    return "".join(f"\\x{b:02x}" for b in s.encode())


def simple_kv(kv: KeyValue, value_only: bool = False, is_hex: bool = False) -> list[str]:
    """printKV: the key on one line, the value on the next (just the value with value_only)."""
    k, v = (_hex(kv.key), _hex(kv.value)) if is_hex else (kv.key, kv.value)
    return [v] if value_only else [k, v]


def simple_lease_id(lid: int) -> str:
    return f"{lid:016x}"


# --- json ---------------------------------------------------------------------


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def header_obj(h) -> dict:
    """pb.ResponseHeader with omitempty: zero fields disappear."""
    out = {}
    for name in ("cluster_id", "member_id", "revision", "raft_term"):
        v = getattr(h, name)
        if v:
            out[name] = v
    return out


def kv_obj(kv: KeyValue) -> dict:
    """mvccpb.KeyValue in field order key, create_revision, mod_revision, version, value, lease."""
    out = {}
    if kv.key:
        out["key"] = _b64(kv.key)
    for name in ("create_revision", "mod_revision", "version"):
        v = getattr(kv, name)
        if v:
            out[name] = v
    if kv.value:
        out["value"] = _b64(kv.value)
    if kv.lease:
        out["lease"] = kv.lease
    return out


def range_obj(r) -> dict:
    out = {"header": header_obj(r.header)}
    if r.kvs:
        out["kvs"] = [kv_obj(kv) for kv in r.kvs]
    if r.more:
        out["more"] = True
    if r.count:
        out["count"] = r.count
    return out


def put_obj(r) -> dict:
    out = {"header": header_obj(r.header)}
    if r.prev_kv is not None:
        out["prev_kv"] = kv_obj(r.prev_kv)
    return out


def delete_obj(r) -> dict:
    out = {"header": header_obj(r.header)}
    if r.deleted:
        out["deleted"] = r.deleted
    if r.prev_kvs:
        out["prev_kvs"] = [kv_obj(kv) for kv in r.prev_kvs]
    return out


def txn_obj(r) -> dict:
    """pb.TxnResponse; each ResponseOp is a oneof, which Go's encoder shows as "Response"."""
    out = {"header": header_obj(r.header)}
    if r.succeeded:
        out["succeeded"] = True
    ops = []
    for sub in r.responses:
        name = type(sub).__name__
        if name == "PutResponse":
            ops.append({"Response": {"response_put": put_obj(sub)}})
        elif name == "RangeResponse":
            ops.append({"Response": {"response_range": range_obj(sub)}})
        elif name == "DeleteRangeResponse":
            ops.append({"Response": {"response_delete_range": delete_obj(sub)}})
        else:
            ops.append({"Response": {"response_txn": txn_obj(sub)}})
    if ops:
        out["responses"] = ops
    return out


def _embedded_header(h) -> dict:
    # clientv3's lease responses embed *pb.ResponseHeader: its fields are inlined.
    return header_obj(h)


def grant_obj(r) -> dict:
    out = _embedded_header(r.header)
    out.update({"ID": r.id, "TTL": r.ttl, "Error": ""})
    return out


def keepalive_obj(r) -> dict:
    out = _embedded_header(r.header)
    out.update({"ID": r.id, "TTL": r.ttl})
    return out


def revoke_obj(r) -> dict:
    return {"header": header_obj(r.header)}


def timetolive_obj(r) -> dict:
    out = _embedded_header(r.header)
    out.update({"id": r.id, "ttl": r.ttl, "granted-ttl": r.granted_ttl,
                "keys": [_b64(k) for k in r.keys] if r.keys else None})
    return out


def leases_obj(r) -> dict:
    out = _embedded_header(r.header)
    out["leases"] = [{"id": lid} for lid in r.leases]
    return out


def event_obj(e) -> dict:
    """mvccpb.Event: type PUT is the zero value, so only DELETE shows ("type":1)."""
    out = {}
    if e.type == "DELETE":
        out["type"] = 1
    out["kv"] = kv_obj(e.kv)
    if e.prev_kv is not None:
        out["prev_kv"] = kv_obj(e.prev_kv)
    return out


def watch_obj(r) -> dict:
    """clientv3.WatchResponse: exported Go field names, no json tags."""
    return {"Header": header_obj(r.header), "Events": [event_obj(e) for e in r.events],
            "CompactRevision": r.compact_revision, "Canceled": r.canceled,
            "Created": r.created}


def to_json(obj) -> str:
    """Go's json.Marshal: compact, fields in struct order."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# --- fields -------------------------------------------------------------------


def go_quote(s: str) -> str:
    """Go's %q for a string (strconv.Quote)."""
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\a\b\f\n\r\t\v":
            out.append({"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
                        "\t": "\\t", "\v": "\\v"}[ch])
        elif ch.isprintable():
            out.append(ch)
        elif c < 0x80:
            out.append(f"\\x{c:02x}")
        elif c < 0x10000:
            out.append(f"\\u{c:04x}")
        else:
            out.append(f"\\U{c:08x}")
    out.append('"')
    return "".join(out)


def _go_bool(b: bool) -> str:
    return "true" if b else "false"


def fields_header(h) -> list[str]:
    return [f'"ClusterID" : {h.cluster_id}', f'"MemberID" : {h.member_id}',
            f'"Revision" : {h.revision}', f'"RaftTerm" : {h.raft_term}']


def fields_kv(kv: KeyValue, pfx: str = "") -> list[str]:
    return [f'"{pfx}Key" : {go_quote(kv.key)}',
            f'"{pfx}CreateRevision" : {kv.create_revision}',
            f'"{pfx}ModRevision" : {kv.mod_revision}',
            f'"{pfx}Version" : {kv.version}',
            f'"{pfx}Value" : {go_quote(kv.value)}',
            f'"{pfx}Lease" : {kv.lease}']


def fields_get(r) -> list[str]:
    out = fields_header(r.header)
    for kv in r.kvs:
        out += fields_kv(kv)
    return out + [f'"More" : {_go_bool(r.more)}', f'"Count" : {r.count}']


def fields_put(r) -> list[str]:
    out = fields_header(r.header)
    if r.prev_kv is not None:
        out += fields_kv(r.prev_kv, "Prev")
    return out


def fields_del(r) -> list[str]:
    out = fields_header(r.header) + [f'"Deleted" : {r.deleted}']
    for kv in r.prev_kvs:
        out += fields_kv(kv, "Prev")
    return out


def fields_watch(r) -> list[str]:
    out = fields_header(r.header)
    for e in r.events:
        out.append(f'"Type" : {e.type}')
        if e.prev_kv is not None:
            out += fields_kv(e.prev_kv, "Prev")
        out += fields_kv(e.kv)
    return out


def fields_lease(r) -> list[str]:
    return fields_header(r.header) + [f'"ID" : {r.id}', f'"TTL" : {r.ttl}']


def fields_timetolive(r) -> list[str]:
    out = fields_header(r.header) + [f'"ID" : {r.id}', f'"TTL" : {r.ttl}',
                                     f'"GrantedTTL" : {r.granted_ttl}']
    return out + [f'"Key" : {go_quote(k)}' for k in r.keys]


def fields_leases(r) -> list[str]:
    return fields_header(r.header) + [f'"ID" : {lid}' for lid in r.leases]
