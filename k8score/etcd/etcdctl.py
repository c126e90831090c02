"""etcdctl v3: run an etcdctl command line against a Store and return what it prints.

>>> from k8score.etcd import Store
>>> s = Store()
>>> etcdctl(s, "put foo bar")
'OK'
>>> etcdctl(s, "etcdctl get foo")
'foo\\nbar'
>>> etcdctl(s, "get foo --rev=1")
''
>>> etcdctl(s, "get")
'Error: get command needs one argument as key and an optional argument as range_end'

The output is what etcdctl 3.5 writes (stdout then stderr, as a terminal shows
them) for the same commands against a fresh etcd, without the final newline.
Flags, argument checks and messages follow etcdctl/ctlv3/command/*_command.go;
formats follow printer_simple.go / printer_json.go / printer_fields.go.
``stdin`` is what a shell would pipe in (``put KEY`` without a value, ``txn``).
Commands that stream forever in a terminal (``watch``, ``lease keep-alive``
without ``--once``) print what they would print before waiting, and return.
Supported: put, get, del, txn, compaction, watch, lease grant/revoke/timetolive/
list/keep-alive, version; against a cluster's Client also endpoint status|health|hashkv
[--cluster], member list|add|remove|promote|update, move-leader, alarm list, snapshot save
(etcdctl_cluster.py, etcdctl_endpoint.py); global flags -w/--write-out simple|json|fields|table,
--hex, --endpoints.
"""

from __future__ import annotations

from . import etcdctl_cluster as cluster_cmds
from . import etcdctl_endpoint as endpoint_cmds
from . import etcdctl_kv as kv
from . import etcdctl_lease as lease
from . import etcdctl_txn as txn
from .etcdctl_args import GLOBAL, SHORT, Ctx, Exit, FlagError, find_command, parse, run_command_line, suggest
from .etcdctl_help import flag_error_lines, help_lines

# The etcd 3.5 patch release this package follows: from 3.5.16 on, a delete AT the
# compaction revision stays visible to watchers (etcd PR #18474, backport of #18274).
ETCDCTL_VERSION = "3.5.16"

# command path -> (flags, handler)
_COMMANDS = {
    ("put",): (kv.PUT_FLAGS, kv.put),
    ("get",): (kv.GET_FLAGS, kv.get),
    ("del",): (kv.DEL_FLAGS, kv.delete),
    ("txn",): (txn.TXN_FLAGS, txn.txn),
    ("compaction",): (kv.COMPACTION_FLAGS, kv.compaction),
    ("watch",): (kv.WATCH_FLAGS, kv.watch),
    ("lease", "grant"): ({}, lease.lease_grant),
    ("lease", "revoke"): ({}, lease.lease_revoke),
    ("lease", "timetolive"): ({"keys": "bool"}, lease.lease_timetolive),
    ("lease", "list"): ({}, lease.lease_list),
    ("lease", "keep-alive"): ({"once": "bool"}, lease.lease_keepalive),
    ("version",): ({}, lambda c, args: c.out.extend(
        [f"etcdctl version: {ETCDCTL_VERSION}", "API version: 3.5"])),
}
_COMMANDS.update(cluster_cmds.COMMANDS)
_COMMANDS.update(endpoint_cmds.COMMANDS)
_SHORT_CMD = {"watch": {"i": "interactive"}, "txn": {"i": "interactive"}}
# etcdctl 3.5's root commands and the lease subcommands; cobra matches unique prefixes
# (etcdctl sets cobra.EnablePrefixMatching), so `etcdctl compact 5` runs `compaction`.
_ROOT = ("alarm", "auth", "check", "compaction", "defrag", "del", "elect", "endpoint", "get",
         "help", "lease", "lock", "make-mirror", "member", "move-leader", "put", "role",
         "snapshot", "txn", "user", "version", "watch")
_SUBS = {"lease": ("grant", "keep-alive", "list", "revoke", "timetolive")}
_SUBS.update(cluster_cmds.SUBS)


def etcdctl(store, command_line: str, stdin: str = "", cluster=None) -> str:
    """Run one etcdctl command line (with or without the leading ``etcdctl``).

    ``cluster`` (an :class:`~k8score.etcd.cluster.EtcdCluster`) answers the endpoint,
    member, move-leader, alarm and snapshot commands; a cluster's Client brings its own.

    Never raises for a bad command: the result is then etcdctl's ``Error: ...`` line.
    """
    return run_command_line("etcdctl", command_line, lambda args, out: _main(store, args, out, stdin, cluster))


def _resolve(word: str, names) -> str | None:
    """cobra's findNext: the exact name, or the only name starting with ``word``."""
    if word in names:
        return word
    hits = [n for n in names if n.startswith(word)]
    return hits[0] if len(hits) == 1 else None


def _main(store, args, out, stdin, cluster=None):
    words = find_command(args)
    if not words:
        raise Exit("no command given (try: put, get, del, txn, compaction, lease, watch)")
    root = _resolve(words[0], _ROOT)
    if root is None:
        # cobra prints the error and a hint, then etcdctl prints the error again
        names = [n for n in _ROOT if n != "help"]   # cobra does not suggest "help"
        text = f'unknown command "{words[0]}" for "etcdctl"{suggest(words[0], names)}'
        out += [f"Error: {text}", "Run 'etcdctl --help' for usage."]
        raise Exit(text)
    cmd = (root,)
    if root in _SUBS:
        sub = _resolve(words[1], _SUBS[root]) if len(words) > 1 else None
        if sub is None:            # a group alone (or a wrong subcommand): its help
            try:
                out += help_lines(cmd) + [""]
            except KeyError:       # groups without a help text here: cobra's usage line
                out += [f"Usage:\n  etcdctl {root} <subcommand> [flags]", "",
                        "Available Commands:"] + [f"  {n}" for n in _SUBS[root]] + [""]
            return
        cmd = (root, sub)
    if cmd not in _COMMANDS:
        raise Exit(f'"etcdctl {root}" is not simulated here (try: put, get, del, txn, '
                   'compaction, lease, watch)')
    flags_spec, handler = _COMMANDS[cmd]
    spec = dict(GLOBAL)
    spec.update(flags_spec)
    shorts = dict(SHORT)
    shorts.update(_SHORT_CMD.get(root, {}))
    try:
        flags, pos = parse(args, spec, shorts)
    except FlagError as e:
        out += flag_error_lines(cmd, str(e))
        return
    if flags.get("help"):
        out += help_lines(cmd) + [""]
        return
    pos = pos[len(cmd):]
    fmt = flags.get("write-out", "simple")
    if fmt not in ("simple", "json", "fields", "protobuf", "table"):
        raise Exit("unsupported output format")
    if cluster is not None and len(cluster.members) > 1 and flags.get("endpoints") and root not in (
            "endpoint", "member", "move-leader", "alarm", "snapshot"):
        # KV and lease commands go to the member behind --endpoints (clientv3 pins the first
        # endpoint that answers), not through the API server's own client
        member = cluster_cmds.endpoint_member(cluster, flags["endpoints"])
        store = cluster.client(endpoint=member.name)
    handler(Ctx(store, flags, fmt, out, stdin, cluster), pos)
