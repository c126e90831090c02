"""etcdctl lease grant / revoke / timetolive / list / keep-alive (lease_command.go)."""

from __future__ import annotations

from . import etcdctl_print as P
from .etcdctl_args import Ctx, Exit, int_arg
from .types import EtcdError


def lease_id(arg):
    return int_arg(arg, 16, "bad lease ID arg ({}), expecting ID in Hex")


def lease_grant(c: Ctx, args):
    if len(args) != 1:
        raise Exit("lease grant command needs TTL argument")
    ttl = int_arg(args[0], 10, "bad TTL ({})")
    try:
        r = c.store.lease_grant(ttl)
    except EtcdError as e:
        raise Exit(f"failed to grant lease ({e})") from None
    c.emit([f"lease {r.id:016x} granted with TTL({r.ttl}s)"], P.grant_obj(r), P.fields_lease(r))


def lease_revoke(c: Ctx, args):
    if len(args) != 1:
        raise Exit("lease revoke command needs 1 argument")
    lid = lease_id(args[0])
    try:
        r = c.store.lease_revoke(lid)
    except EtcdError as e:
        raise Exit(f"failed to revoke lease ({e})") from None
    c.emit([f"lease {lid:016x} revoked"], P.revoke_obj(r), P.fields_header(r.header))


def lease_timetolive(c: Ctx, args):
    if len(args) != 1:
        raise Exit("lease timetolive command needs lease ID as argument")
    keys = c.f("keys")
    r = c.store.lease_timetolive(lease_id(args[0]), keys=keys)
    if r.granted_ttl == 0 and r.ttl == -1:
        simple = [f"lease {r.id:016x} already expired"]
    else:
        txt = f"lease {r.id:016x} granted with TTL({r.granted_ttl}s), remaining({r.ttl}s)"
        if keys:
            txt += f", attached keys([{' '.join(r.keys)}])"
        simple = [txt]
    c.emit(simple, P.timetolive_obj(r), P.fields_timetolive(r))


def lease_list(c: Ctx, args):
    r = c.store.lease_leases()
    simple = [f"found {len(r.leases)} leases"] + [f"{lid:016x}" for lid in r.leases]
    c.emit(simple, P.leases_obj(r), P.fields_leases(r))


def lease_keepalive(c: Ctx, args):
    if len(args) != 1:
        raise Exit("lease keep-alive command needs lease ID as argument")
    lid = lease_id(args[0])
    if c.f("once"):
        r = c.store.lease_keepalive(lid)
        c.emit([f"lease {r.id:016x} keepalived with TTL({r.ttl})"], P.keepalive_obj(r),
               P.fields_lease(r))
        return
    # The streaming form prints one line per renewal until interrupted; show the first.
    try:
        r = c.store.lease_keepalive(lid)
    except EtcdError:
        c.out.append(f"lease {lid:016x} expired or revoked.")
        return
    c.emit([f"lease {r.id:016x} keepalived with TTL({r.ttl})"], P.keepalive_obj(r),
           P.fields_lease(r))
