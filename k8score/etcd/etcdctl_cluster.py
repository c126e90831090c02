"""etcdctl member list|add|remove|promote|update, move-leader, alarm list, snapshot save
(etcdctl/ctlv3/command/member_command.go, move_leader_command.go, alarm_command.go,
snapshot_command.go; printers printer_simple.go, printer_table.go, printer_json.go of
etcd 3.5), and how every cluster command finds the member behind an endpoint. The
``endpoint`` commands are in :mod:`.etcdctl_endpoint`.

They need an etcd cluster: ``etcdctl(..., cluster=ec)``, or ``store`` a
:class:`~k8score.etcd.cluster.Client` (its ``cluster``). Endpoints: member i answers at ``https://192.168.0.(9+i):2379`` (peer port
2380, :func:`~k8score.etcd.cluster.client_url`); etcdctl runs on the first control-plane
machine, so its default ``--endpoints=127.0.0.1:2379`` is ``etcd-1`` (``etcd`` alone).
An endpoint that is stopped, paused or unknown fails with ``context deadline exceeded``
(etcdctl's dial timeout), as a real one does after 5 s.
"""

from __future__ import annotations

from . import etcdctl_print as P
from .etcdctl_args import BadInt, Ctx, Exit
from .etcdctl_table import table
from .types import EtcdError

DEFAULT_ENDPOINT = "127.0.0.1:2379"
_DEADLINE = "context deadline exceeded"

MEMBER_ADD_FLAGS = {"peer-urls": "str", "learner": "bool"}
MEMBER_UPDATE_FLAGS = {"peer-urls": "str"}


def _cluster(c: Ctx):
    ec = c.cluster
    if ec is None:
        raise Exit("this command needs an etcd cluster: etcdctl(store, line, cluster=...)")
    return ec


def _member_at(ec, ep: str):
    """The member serving endpoint ``ep`` (None if no member listens there)."""
    host = ep.split("://", 1)[-1].rstrip("/")
    if host in (DEFAULT_ENDPOINT, "localhost:2379"):
        return ec.members[0]
    for m in ec.members:
        if any(u.split("://", 1)[-1] == host for u in m.client_urls):
            return m
    return None


def _endpoints(c: Ctx) -> list[str]:
    return [e for e in c.f("endpoints", DEFAULT_ENDPOINT).split(",") if e]


def _answering(ec, eps):
    """The first endpoint's member that answers (clientv3 fails over between endpoints)."""
    for ep in eps:
        m = _member_at(ec, ep)
        if m is not None and m.available:
            return m
    raise Exit(_DEADLINE)


def endpoint_member(ec, endpoints: str):
    """The member a KV command with ``--endpoints`` talks to (the first that answers)."""
    return _answering(ec, [e for e in endpoints.split(",") if e])


def _cluster_eps(c: Ctx, ec) -> list[str]:
    """--cluster: every client URL of the member list (members sorted by id)."""
    via = _answering(ec, _endpoints(c))
    return [u for info in via.membership.sorted() for u in info.client_urls]


def parse_uint_hex(arg: str) -> int:
    """strconv.ParseUint(arg, 16, 64), with Go's error text."""
    ok = arg and all(ch in "0123456789abcdefABCDEF" for ch in arg)
    if not ok:
        raise BadInt(f'strconv.ParseUint: parsing "{arg}": invalid syntax')
    v = int(arg, 16)
    if v >= 1 << 64:
        raise BadInt(f'strconv.ParseUint: parsing "{arg}": value out of range')
    return v


def _hex_id(arg: str, what: str = "member") -> int:
    try:
        return parse_uint_hex(arg)
    except BadInt as e:
        raise Exit(f"bad {what} ID arg ({e}), expecting ID in Hex") from None


def _header(ec, m, revision: bool = False) -> dict:
    from .cluster import admin
    s = admin.status(ec, m)
    h = {"cluster_id": s["cluster_id"], "member_id": m.id}
    if revision:
        h["revision"] = m.store.revision
    h["raft_term"] = s["raft_term"]
    return h


def _member_obj(info) -> dict:
    d = {"ID": info.id}
    if info.name:
        d["name"] = info.name
    if info.peer_urls:
        d["peerURLs"] = list(info.peer_urls)
    if info.client_urls:
        d["clientURLs"] = list(info.client_urls)
    if info.is_learner:
        d["isLearner"] = True
    return d


def _member_rows(members) -> list[list[str]]:
    return [[f"{m.id:x}", "started" if m.name else "unstarted", m.name, ",".join(m.peer_urls),
             ",".join(m.client_urls), str(m.is_learner).lower()] for m in members]


_MEMBER_HDR = ["ID", "Status", "Name", "Peer Addrs", "Client Addrs", "Is Learner"]


def _emit_members(c: Ctx, ec, via, members, simple_lines=None, extra=None) -> None:
    if c.fmt == "json":
        obj = {"header": _header(ec, via)}
        obj.update(extra or {})
        obj["members"] = [_member_obj(m) for m in members]
        c.out.append(P.to_json(obj))
    elif c.fmt == "table" and simple_lines is None:
        c.out.extend(table(_MEMBER_HDR, _member_rows(members)))
    elif c.fmt in ("simple", "table"):
        c.out.extend(simple_lines if simple_lines is not None
                     else [", ".join(r) for r in _member_rows(members)])
    elif c.fmt == "fields" and simple_lines is None:      # printer_fields.go MemberList
        h = _header(ec, via)
        c.out.extend(_fields_hdr(h))
        for m in members:
            c.out += [f'"ID" : {m.id}', f'"Name" : {P.go_quote(m.name)}']
            c.out += [f'"PeerURL" : {P.go_quote(u)}' for u in m.peer_urls]
            c.out += [f'"ClientURL" : {P.go_quote(u)}' for u in m.client_urls]
            c.out += [f'"IsLearner" : {str(m.is_learner).lower()}', ""]
    else:
        raise Exit(f"{c.fmt} not supported as output format")


def _fields_hdr(h: dict) -> list[str]:
    return [f'"ClusterID" : {h["cluster_id"]}', f'"MemberID" : {h["member_id"]}',
            f'"Revision" : {h.get("revision", 0)}', f'"RaftTerm" : {h["raft_term"]}']


def _call(fn, *args):
    try:
        return fn(*args)
    except EtcdError as e:
        raise Exit(str(e)) from None


# -- member --------------------------------------------------------------------------------
def member_list(c: Ctx, args):
    ec = _cluster(c)
    via = _answering(ec, _endpoints(c))
    _emit_members(c, ec, via, via.membership.sorted())


def member_add(c: Ctx, args):
    from .cluster import admin
    if not args:
        raise Exit("member name not provided")
    if len(args) > 1:
        raise Exit(f"too many arguments, did you mean --peer-urls={args[1]}")
    if not c.f("peer-urls", ""):
        raise Exit("member peer urls not provided")
    name, urls = args[0], c.f("peer-urls").split(",")
    ec = _cluster(c)
    via = _answering(ec, _endpoints(c))
    info, members = _call(admin.member_add, ec, via, urls, bool(c.f("learner")))
    cid = via.membership.cluster_id
    conf = [f"{name if m.id == info.id else m.name}={u}" for m in members for u in m.peer_urls]
    lines = [f"Member {info.id:16x} added to cluster {cid:16x}", "",
             f'ETCD_NAME="{name}"', f'ETCD_INITIAL_CLUSTER="{",".join(conf)}"',
             f'ETCD_INITIAL_ADVERTISE_PEER_URLS="{",".join(urls)}"',
             'ETCD_INITIAL_CLUSTER_STATE="existing"']
    _emit_members(c, ec, via, members, lines, {"member": _member_obj(info)})


def _member_by_id(c: Ctx, args, change, done: str):
    """``member remove|promote ID``: ``change(ec, via, id)`` through an answering member, then
    ``Member <id> <done> cluster <cluster id>`` (member_command.go)."""
    if len(args) != 1:
        raise Exit("member ID is not provided")
    id_ = _hex_id(args[0])
    ec = _cluster(c)
    via = _answering(ec, _endpoints(c))
    members = _call(change, ec, via, id_)
    _emit_members(c, ec, via, members, [f"Member {id_:16x} {done} cluster {via.membership.cluster_id:16x}"])


def member_remove(c: Ctx, args):
    from .cluster import admin
    _member_by_id(c, args, admin.member_remove, "removed from")


def member_promote(c: Ctx, args):
    from .cluster import admin
    _member_by_id(c, args, admin.member_promote, "promoted in")


def member_update(c: Ctx, args):
    """member_command.go memberUpdateCommandFunc: new peer URLs for a member."""
    from .cluster import admin
    if len(args) != 1:
        raise Exit("member ID is not provided")
    id_ = _hex_id(args[0])
    if not c.f("peer-urls", ""):
        raise Exit("member peer urls not provided")
    ec = _cluster(c)
    via = _answering(ec, _endpoints(c))
    members = _call(admin.member_update, ec, via, id_, c.f("peer-urls").split(","))
    _emit_members(c, ec, via, members,
                  [f"Member {id_:16x} updated in cluster {via.membership.cluster_id:16x}"])


def move_leader(c: Ctx, args):
    from .cluster import admin
    if len(args) != 1:
        raise Exit("move-leader command needs 1 argument")
    try:
        target = parse_uint_hex(args[0])
    except BadInt as e:
        raise Exit(str(e)) from None
    ec = _cluster(c)
    eps = _endpoints(c)
    leader = None
    for ep in eps:                 # move_leader_command.go: find the leader's endpoint
        m = _member_at(ec, ep)
        if m is not None and m.available and m.is_leader:
            leader = m
    if leader is None:
        raise Exit(f"no leader endpoint given at [{' '.join(eps)}]")
    _call(admin.move_leader, ec, leader, target)
    c.out.append(f"Leadership transferred from {leader.id:x} to {target:x}")


# -- alarm / snapshot ------------------------------------------------------------------------
def alarm_list(c: Ctx, args):
    """No NOSPACE or CORRUPT alarm is ever raised here: nothing to list."""
    ec = _cluster(c)
    via = _answering(ec, _endpoints(c))
    if c.fmt == "json":
        c.out.append(P.to_json({"header": _header(ec, via, revision=True)}))
    elif c.fmt == "fields":
        c.out.extend(_fields_hdr(_header(ec, via, revision=True)))
    elif c.fmt != "simple":
        raise Exit(f"{c.fmt} not supported as output format")


def snapshot_save(c: Ctx, args):
    """The serving member's keyspace, saved on the etcdctl machine as ``ec.saved[path]``."""
    from .cluster import image
    if len(args) != 1:
        raise Exit("snapshot save expects one argument")
    eps = _endpoints(c)
    if len(eps) != 1:
        raise Exit(f"snapshot must be requested to one selected node, not multiple [{' '.join(eps)}]")
    ec = _cluster(c)
    m = _member_at(ec, eps[0])
    if m is None or not m.available:
        raise Exit(_DEADLINE)
    if not hasattr(ec, "saved"):
        ec.saved = {}
    ec.saved[args[0]] = image.image(m.store, m.membership)
    c.out.append(f"Snapshot saved at {args[0]}")


COMMANDS = {
    ("member", "list"): ({}, member_list),
    ("member", "add"): (MEMBER_ADD_FLAGS, member_add),
    ("member", "remove"): ({}, member_remove),
    ("member", "promote"): ({}, member_promote),
    ("member", "update"): (MEMBER_UPDATE_FLAGS, member_update),
    ("move-leader",): ({}, move_leader),
    ("alarm", "list"): ({}, alarm_list),
    ("snapshot", "save"): ({}, snapshot_save),
}
SUBS = {"member": ("add", "list", "promote", "remove", "update"),
        "endpoint": ("hashkv", "health", "status"),
        "alarm": ("disarm", "list"),
        "snapshot": ("restore", "save", "status")}
