"""etcdutl: the offline etcd tool — ``snapshot status`` and ``snapshot restore``.

Run on a control-plane machine against files, not a running member (etcdutl/etcdutl/
snapshot_command.go, printer*.go; etcdutl/snapshot/v3_snapshot.go for the restore).
``etcdctl snapshot save PATH`` leaves its file in ``ec.saved[PATH]``; every control-plane
machine sees the same files (as if copied with scp). A restore writes a data directory on
the machine ``on`` (default: the machine of the member named ``--name``); written to that
member's ``--data-dir`` (``/var/lib/etcd``), stopped and emptied first, it *is* that member's
data the next time it starts. Other paths are recorded in ``ec.data_dirs`` and stay unused.

>>> from k8score.sim import Loop
>>> from k8score.etcd.cluster import EtcdCluster
>>> from k8score.etcd.etcdctl import etcdctl
>>> ec = EtcdCluster(Loop(seed=1), members=3, seed=1); ec.start(); _ = ec.wait_for_leader()
>>> _ = ec.client().put("foo", "bar")
>>> etcdctl(ec.client(), "--endpoints=https://192.168.0.10:2379 snapshot save snap.db", cluster=ec)
'Snapshot saved at snap.db'
>>> print(etcdutl(ec, "snapshot status snap.db -w table"))
+----------+----------+------------+------------+
|   HASH   | REVISION | TOTAL KEYS | TOTAL SIZE |
+----------+----------+------------+------------+
| 2a4b4eb6 |        2 |          9 |      20 kB |
+----------+----------+------------+------------+

Output is what etcdutl 3.5 writes, stdout then stderr (its zap log lines: console encoding,
RFC 3339 seconds from the virtual clock). Two differences: the "restoring snapshot" record
carries no ``stack`` field (etcdutl 3.5 logs its Go stack there), and a missing required
flag prints the error without cobra's usage text. Hashes and sizes are k8score's own
(restore.py says why); revisions, key counts and shapes are etcdutl's.
"""

from __future__ import annotations

import json

from . import etcdctl_print as P
from .cluster import restore as R
from .etcdctl_args import Exit, FlagError, parse, run_command_line
from .etcdctl_table import human_bytes, table

#: The release the simulated etcd reports (admin.SERVER_VERSION).
ETCDUTL_VERSION = "3.5.16"

_GLOBAL = {"write-out": "str", "help": "bool"}
_SHORT = {"w": "write-out", "h": "help"}
# snapshot_command.go NewSnapshotRestoreCommand flags
_RESTORE = {"data-dir": "str", "wal-dir": "str", "initial-cluster": "str",
            "initial-cluster-token": "str", "initial-advertise-peer-urls": "str",
            "name": "str", "skip-hash-check": "bool", "initial-memory-map-size": "int",
            "bump-revision": "int", "mark-compacted": "bool"}
_DEFAULT_NAME = "default"                               # snapshot_command.go defaultName
_DEFAULT_PEER_URLS = "http://localhost:2380"            # defaultInitialAdvertisePeerURLs


def etcdutl(ec, command_line: str, on: str | None = None) -> str:
    """Run one etcdutl command line (with or without the leading ``etcdutl``) on the
    machine of member ``on``; returns what it prints. Never raises for a bad command."""
    return run_command_line("etcdutl", command_line, lambda args, out: _main(ec, args, out, on))


def _main(ec, args, out, on):
    words = [a for a in args if not a.startswith("-")][:2]
    if words[:1] == ["version"]:
        out += [f"etcdutl version: {ETCDUTL_VERSION}", "API version: 3.5"]
        return
    if words[:2] == ["snapshot", "save"]:
        # snapshot_command.go NewSnapshotSaveCommand: hidden, deprecated, always fails
        out.append("Command \"save\" is deprecated, Use `etcdctl snapshot save` to download snapshot")
        raise Exit("In order to download snapshot use: `etcdctl snapshot save ...`")
    if words[:2] not in (["snapshot", "status"], ["snapshot", "restore"]):
        raise Exit(f'"etcdutl {" ".join(words)}" is not simulated here (try: snapshot status, '
                   'snapshot restore, version)')
    spec = dict(_GLOBAL, **(_RESTORE if words[1] == "restore" else {}))
    try:
        flags, pos = parse(args, spec, _SHORT)
    except FlagError as e:
        raise Exit(str(e)) from None
    pos = pos[2:]
    fmt = flags.get("write-out", "simple")
    if fmt not in ("simple", "json", "fields", "protobuf", "table"):
        raise Exit("unsupported output format")
    if words[1] == "status":
        _status(ec, pos, fmt, out)
    else:
        _restore(ec, pos, flags, out, on)


def _status(ec, pos, fmt, out):
    if len(pos) != 1:
        raise Exit("snapshot status requires exactly one argument")
    data = getattr(ec, "saved", {}).get(pos[0])
    if data is None:
        raise Exit(f"stat {pos[0]}: no such file or directory")
    st = R.snapshot_status(data)
    row = [f"{st['hash']:x}", str(st["revision"]), str(st["totalKey"]), human_bytes(st["totalSize"])]
    if fmt == "json":                      # printer_json.go: the Status struct as is
        out.append(P.to_json(st))
    elif fmt == "table":                   # printer_table.go: right-aligned rows
        out.extend(table(["hash", "revision", "total keys", "total size"], [row]))
    elif fmt == "fields":                  # printer_fields.go DBStatus
        out += [f'"Hash" : {st["hash"]}', f'"Revision" : {st["revision"]}',
                f'"Keys" : {st["totalKey"]}', f'"Size" : {st["totalSize"]}']
    elif fmt == "simple":
        out.append(", ".join(row))
    else:
        raise Exit(f"{fmt} not supported as output format")


def _log(ec, caller: str, msg: str, fields: dict | None) -> str:
    """One zap console line: time, level, caller, message, then the fields as JSON."""
    from ..sim import clock
    line = f"{clock.rfc3339(ec.loop.now)}\tinfo\t{caller}\t{msg}"
    if fields:
        line += "\t{" + ", ".join(f"{json.dumps(k)}: {_zap_value(v)}" for k, v in fields.items()) + "}"
    return line


def _zap_value(v) -> str:
    if isinstance(v, list):                # zap's spaced JSON arrays
        return "[" + ", ".join(json.dumps(x) for x in v) + "]"
    return json.dumps(v)


def _restore(ec, pos, flags, out, on):
    """snapshot_command.go SnapshotRestoreCommandFunc, then v3_snapshot.go Restore."""
    if "data-dir" not in flags:            # cmd.MarkFlagRequired("data-dir")
        raise Exit('required flag(s) "data-dir" not set')
    if len(pos) != 1:
        raise Exit("snapshot restore requires exactly one argument")
    bump, mark = flags.get("bump-revision", 0), bool(flags.get("mark-compacted"))
    if bump < 0:
        raise Exit(f'invalid argument "{bump}" for "--bump-revision" flag: strconv.ParseUint: '
                   f'parsing "{bump}": invalid syntax')
    if (bump == 0 and mark) or (bump > 0 and not mark):
        raise Exit("--mark-compacted required if --revision-bump > 0")
    name = flags.get("name", _DEFAULT_NAME)
    data_dir = flags["data-dir"] or f"{name}.etcd"
    peer_urls = flags.get("initial-advertise-peer-urls", _DEFAULT_PEER_URLS).split(",")
    try:
        ics = R.parse_initial_cluster(flags.get("initial-cluster", f"{name}=http://localhost:2380"))
        R.verify_bootstrap(name, ics, peer_urls)
    except ValueError as e:
        raise Exit(str(e)) from None
    machine = _machine(ec, on, name)
    target = machine if data_dir == machine.data_dir else None
    if not hasattr(ec, "data_dirs"):
        ec.data_dirs = {}
    busy = (machine.name, data_dir) in ec.data_dirs
    if target is not None and (target.running or target.has_data) or target is None and busy:
        raise Exit(f'data-dir "{data_dir}" not empty or could not be read')
    dirs = {"path": pos[0], "wal-dir": f"{data_dir}/member/wal", "data-dir": data_dir,
            "snap-dir": f"{data_dir}/member/snap"}
    out.append(_log(ec, "snapshot/v3_snapshot.go:251", "restoring snapshot", dirs))
    data = getattr(ec, "saved", {}).get(pos[0])
    if data is None:
        raise Exit(f"open {pos[0]}: no such file or directory")
    dd, logs = R.restore(data, data_dir, name, ics, flags.get("initial-cluster-token", "etcd-cluster"),
                         bump=bump)
    out += [_log(ec, caller, msg, fields) for caller, msg, fields in logs]
    out.append(_log(ec, "snapshot/v3_snapshot.go:272", "restored snapshot", dirs))
    if target is not None:
        target.load_data_dir(dd)
        ec.cluster_id = dd.membership.cluster_id
    else:
        ec.data_dirs[(machine.name, data_dir)] = dd


def _machine(ec, on, name):
    """The member whose machine etcdutl runs on."""
    if on is not None:
        return ec.member(on)
    for m in ec.members:
        if m.name == name:
            return m
    return ec.members[0]
