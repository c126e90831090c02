"""etcdctl endpoint status|health|hashkv [--cluster] (etcdctl/ctlv3/command/ep_command.go;
printers printer_simple.go, printer_table.go, printer_json.go, printer_fields.go of etcd 3.5).

Each endpoint is asked on its own: one that is stopped, paused or unknown is reported
(``context deadline exceeded``) and the others still answer; ``--cluster`` asks every client
URL of the member list. Endpoints resolve as in :mod:`.etcdctl_cluster`.
"""

from __future__ import annotations

import zlib

from . import etcdctl_print as P
from .etcdctl_args import Ctx, Exit
from .etcdctl_cluster import _DEADLINE, _cluster, _cluster_eps, _endpoints, _fields_hdr, _member_at
from .etcdctl_table import go_duration, human_bytes, table
from .types import EtcdError

ENDPOINT_FLAGS = {"cluster": "bool"}
HASHKV_FLAGS = {"cluster": "bool", "rev": "int"}


def endpoint_status(c: Ctx, args):
    from .cluster import admin
    ec = _cluster(c)
    eps = _cluster_eps(c, ec) if c.f("cluster") else _endpoints(c)
    got = []
    for ep in eps:
        m = _member_at(ec, ep)
        try:
            if m is None:
                raise EtcdError(_DEADLINE)
            got.append((ep, admin.status(ec, m), m))
        except EtcdError as e:
            c.out.append(f"Failed to get the status of endpoint {ep} ({e})")
    rows = [[ep, f"{s['member_id']:x}", s["version"], human_bytes(s["db_size"]),
             str(s["leader"] == s["member_id"]).lower(), str(s["is_learner"]).lower(),
             str(s["raft_term"]), str(s["raft_index"]), str(s["raft_applied_index"]),
             ", ".join(s["errors"])] for ep, s, _ in got]
    if c.fmt == "json":
        out = []
        for ep, s, m in got:
            # pb.StatusResponse field order; encoding/json omitempty drops zero values
            st = {"header": {k: s[k] for k in ("cluster_id", "member_id", "revision", "raft_term")
                             if s[k]},
                  "version": s["version"], "dbSize": s["db_size"], "leader": s["leader"],
                  "raftIndex": s["raft_index"], "raftTerm": s["raft_term"],
                  "raftAppliedIndex": s["raft_applied_index"], "errors": s["errors"],
                  "dbSizeInUse": s["db_size_in_use"], "isLearner": s["is_learner"]}
            st = {k: v for k, v in st.items() if v or k == "header"}
            out.append({"Endpoint": ep, "Status": st})
        c.out.append(P.to_json(out))
    elif c.fmt == "table":
        c.out.extend(table(["endpoint", "ID", "version", "db size", "is leader", "is learner",
                            "raft term", "raft index", "raft applied index", "errors"], rows))
    elif c.fmt == "simple":
        c.out.extend(", ".join(r) for r in rows)
    elif c.fmt == "fields":                               # printer_fields.go EndpointStatus
        for ep, s, _ in got:
            c.out += _fields_hdr(s) + [
                f'"Version" : {P.go_quote(s["version"])}', f'"DBSize" : {s["db_size"]}',
                f'"Leader" : {s["leader"]}', f'"IsLearner" : {str(s["is_learner"]).lower()}',
                f'"RaftIndex" : {s["raft_index"]}', f'"RaftTerm" : {s["raft_term"]}',
                f'"RaftAppliedIndex" : {s["raft_applied_index"]}',
                f'"Errors" : [{" ".join(s["errors"])}]', f'"Endpoint" : {P.go_quote(ep)}', ""]
    else:
        raise Exit(f"{c.fmt} not supported as output format")


def endpoint_hashkv(c: Ctx, args):
    """ep_command.go epHashKVCommandFunc: each endpoint's hash of its keyspace up to
    ``--rev`` (0: all); a failing endpoint is reported and makes the command fail last."""
    from .cluster import admin
    ec = _cluster(c)
    eps = _cluster_eps(c, ec) if c.f("cluster") else _endpoints(c)
    got, err = [], None
    for ep in eps:
        m = _member_at(ec, ep)
        try:
            if m is None:
                raise EtcdError(_DEADLINE)
            got.append((ep, admin.hash_kv(ec, m, c.f("rev", 0))))
        except EtcdError as e:
            err = str(e)
            c.out.append(f"Failed to get the hash of endpoint {ep} ({e})")
    if c.fmt == "json":
        c.out.append(P.to_json([{"Endpoint": ep, "HashKV": {
            "header": {k: v for k, v in r["header"].items() if v},
            "hash": r["hash"], "compact_revision": r["compact_revision"]}} for ep, r in got]))
    elif c.fmt == "table":
        c.out.extend(table(["endpoint", "hash"], [[ep, str(r["hash"])] for ep, r in got]))
    elif c.fmt == "simple":
        c.out.extend(f"{ep}, {r['hash']}" for ep, r in got)
    elif c.fmt == "fields":                               # printer_fields.go EndpointHashKV
        for ep, r in got:
            c.out += _fields_hdr(r["header"]) + [f'"Endpoint" : {P.go_quote(ep)}',
                                                 f'"Hash" : {r["hash"]}', ""]
    else:
        raise Exit(f"{c.fmt} not supported as output format")
    if err is not None:
        raise Exit(err)


def _took(ec, m) -> float:
    """A linearizable get's round trip, 1-4 ms (deterministic: the instant and the member)."""
    return 0.001 + (zlib.crc32(f"{ec.loop.now}/{m.id}".encode()) % 3_000_000) / 1e9


def endpoint_health(c: Ctx, args):
    from .cluster import Client
    ec = _cluster(c)
    eps = _cluster_eps(c, ec) if c.f("cluster") else _endpoints(c)
    results = []   # (ep, healthy, took, error)
    for ep in eps:
        m = _member_at(ec, ep)
        # ep_command.go epHealthCommandFunc: a linearizable Get("health") through that endpoint
        try:
            if m is None or not m.available:
                raise EtcdError(_DEADLINE)
            Client(ec).use(m.name).range("health")
            results.append((ep, True, go_duration(_took(ec, m)), ""))
        except EtcdError as e:
            took = go_duration(5.0 + _took(ec, m) if m else 5.0)
            results.append((ep, False, took, str(e)))
    if c.fmt == "json":
        c.out.append(P.to_json([dict({"endpoint": ep, "health": ok, "took": took},
                                     **({"error": err} if err else {}))
                                for ep, ok, took, err in results]))
    elif c.fmt == "fields":
        for ep, ok, took, err in results:
            c.out += [f'"Endpoint" : {P.go_quote(ep)}', f'"Health" : {str(ok).lower()}',
                      f'"Took" : {took}', f'"Error" : {err}', ""]
    elif c.fmt == "table":
        c.out.extend(table(["endpoint", "health", "took", "error"],
                           [[ep, str(ok).lower(), took, err] for ep, ok, took, err in results]))
    else:
        for ep, ok, took, err in results:
            c.out.append(f"{ep} is healthy: successfully committed proposal: took = {took}" if ok
                         else f"{ep} is unhealthy: failed to commit proposal: {err}")
    if not all(ok for _, ok, _, _ in results):
        raise Exit("unhealthy cluster")


COMMANDS = {
    ("endpoint", "hashkv"): (HASHKV_FLAGS, endpoint_hashkv),
    ("endpoint", "status"): (ENDPOINT_FLAGS, endpoint_status),
    ("endpoint", "health"): (ENDPOINT_FLAGS, endpoint_health),
}
