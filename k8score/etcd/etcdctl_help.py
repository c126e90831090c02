"""etcdctl's help and usage text (etcdctl/ctlv3/command/help.go template, v3.5).

Shown when a command group is run without a subcommand (``etcdctl lease``) and
after a flag error, where cobra prints the error, the usage, then etcdctl prints
the error again. Columns are aligned like Go's text/tabwriter with tab padding
(minwidth 0, tabwidth 8, padding 1): a column is as wide as its widest cell plus
one, rounded up to a multiple of 8, and filled with tabs.
"""

from __future__ import annotations

import re

API_VERSION = "3.5"
_FLAG_NAME = re.compile(r"--([a-z-]+)")

# Global flags as `etcdctl --help` lists them (sorted by name).
_GLOBAL_FLAGS = [
    ('      --cacert=""', "verify certificates of TLS-enabled secure servers using this CA bundle"),
    ('      --cert=""', "identify secure client using this TLS certificate file"),
    ("      --command-timeout=5s",
     "timeout for short running command (excluding dial timeout)"),
    ("      --debug[=false]", "enable client-side debug logging"),
    ("      --dial-timeout=2s", "dial timeout for client connections"),
    ('  -d, --discovery-srv=""',
     "domain name to query for SRV records describing cluster endpoints"),
    ('      --discovery-srv-name=""', "service name to query when using DNS discovery"),
    ("      --endpoints=[127.0.0.1:2379]", "gRPC endpoints"),
    ("      --hex[=false]", "print byte strings as hex encoded strings"),
    ("      --insecure-discovery[=true]",
     "accept insecure SRV records describing cluster endpoints"),
    ("      --insecure-skip-tls-verify[=false]",
     "skip server certificate verification (CAUTION: this option should be enabled only for "
     "testing purposes)"),
    ("      --insecure-transport[=true]", "disable transport security for client connections"),
    ("      --keepalive-time=2s", "keepalive time for client connections"),
    ("      --keepalive-timeout=6s", "keepalive timeout for client connections"),
    ('      --key=""', "identify secure client using this TLS key file"),
    ('      --password=""', "password for authentication (if this option is used, --user option "
                            "shouldn't include password)"),
    ('      --user=""', "username[:password] for authentication (prompt if password is not "
                        "supplied)"),
    ('  -w, --write-out="simple"', "set the output format (fields, json, protobuf, simple, table)"),
]


def _help_flag(name):
    return ("  -h, --help[=false]", f"help for {name}")


_PUT_LONG = """Puts the given key into the store.

When <value> begins with '-', <value> is interpreted as a flag.
Insert '--' for workaround:

$ put <key> -- <value>
$ put -- <key> <value>

If <value> isn't given as a command line argument and '--ignore-value' is not specified,
this command tries to read the value from standard input.

If <lease> isn't given as a command line argument and '--ignore-lease' is not specified,
this command tries to read the value from standard input.

For example,
$ cat file | put <key>
will store the content of the file to <key>."""

# command path -> (short, use line, long description, local flags without --help)
_COMMANDS = {
    ("get",): ("Gets the key or a range of keys", "get [options] <key> [range_end]", "", [
        ('      --consistency="l"', "Linearizable(l) or Serializable(s)"),
        ("      --count-only[=false]", "Get only the count"),
        ("      --from-key[=false]",
         "Get keys that are greater than or equal to the given key using byte compare"),
        ("      --keys-only[=false]", "Get only the keys"),
        ("      --limit=0", "Maximum number of results"),
        ('      --order=""', "Order of results; ASCEND or DESCEND (ASCEND by default)"),
        ("      --prefix[=false]", "Get keys with matching prefix"),
        ("      --print-value-only[=false]",
         'Only write values when using the "simple" output format'),
        ("      --rev=0", "Specify the kv revision"),
        ('      --sort-by=""', "Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION"),
    ]),
    ("put",): ("Puts the given key into the store",
               "put [options] <key> <value> (<value> can also be given from stdin)", _PUT_LONG, [
                   ("      --ignore-lease[=false]", "updates the key using its current lease"),
                   ("      --ignore-value[=false]", "updates the key using its current value"),
                   ('      --lease="0"', "lease ID (in hexadecimal) to attach to the key"),
                   ("      --prev-kv[=false]",
                    "return the previous key-value pair before modification"),
               ]),
    ("del",): ("Removes the specified key or range of keys [key, range_end)",
               "del [options] <key> [range_end]", "", [
                   ("      --from-key[=false]", "delete keys that are greater than or equal to "
                                                "the given key using byte compare"),
                   ("      --prefix[=false]", "delete keys with matching prefix"),
                   ("      --prev-kv[=false]", "return deleted key-value pairs"),
               ]),
    ("txn",): ("Txn processes all the requests in one transaction", "txn [options]", "", [
        ("  -i, --interactive[=false]", "Input transaction in interactive mode"),
    ]),
    ("compaction",): ("Compacts the event history in etcd", "compaction [options] <revision>", "", [
        ("      --physical[=false]",
         "'true' to wait for compaction to physically remove all old revisions"),
    ]),
    ("watch",): ("Watches events stream on keys or prefixes",
                 "watch [options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...]",
                 "", [
                     ("  -i, --interactive[=false]", "Interactive mode"),
                     ("      --prefix[=false]", "Watch on a prefix if prefix is set"),
                     ("      --prev-kv[=false]",
                      "get the previous key-value pair before the event happens"),
                     ("      --progress-notify[=false]",
                      "get periodic watch progress notification from server"),
                     ("      --rev=0", "Revision to start watching"),
                 ]),
    ("version",): ("Prints the version of etcdctl", "version", "", []),
    ("lease",): ("Lease related commands", "lease <subcommand>", "", []),
    ("lease", "grant"): ("Creates leases", "grant <ttl>", "", []),
    ("lease", "revoke"): ("Revokes leases", "revoke <leaseID>", "", []),
    ("lease", "timetolive"): ("Get lease information", "timetolive <leaseID> [options]", "", [
        ("      --keys[=false]", "Get keys attached to this lease"),
    ]),
    ("lease", "list"): ("List all active leases", "list", "", []),
    ("lease", "keep-alive"): ("Keeps leases alive (renew)", "keep-alive [options] <leaseID>", "", [
        ("      --once[=false]", "Resets the keep-alive time to its original value and "
                                 "cobrautl.Exits immediately"),
    ]),
}
_SUBCOMMANDS = {"lease": ["grant", "keep-alive", "list", "revoke", "timetolive"],
                "member": ["add", "list", "promote", "remove", "update"],
                "endpoint": ["hashkv", "health", "status"]}

# etcdctl/ctlv3/command/member_command.go and ep_command.go (groups and their commands).
_CLUSTER_FLAG = ("      --cluster[=false]", "use all endpoints from the cluster member list")
_COMMANDS.update({
    ("member",): ("Membership related commands", "member <subcommand>", "", []),
    ("member", "add"): ("Adds a member into the cluster", "add <memberName> [options]",
                        "", [
        ("      --learner[=false]", "indicates if the new member is raft learner"),
        ('      --peer-urls=""', "comma separated peer URLs for the new member."),
    ]),
    ("member", "list"): ("Lists all members in the cluster", "list", "", []),
    ("member", "promote"): ("Promotes a non-voting member in the cluster",
                            "promote <memberID>", "", []),
    ("member", "remove"): ("Removes a member from the cluster", "remove <memberID>", "", []),
    ("member", "update"): ("Updates a member in the cluster", "update <memberID> [options]", "", []),
    ("endpoint",): ("Endpoint related commands", "endpoint <subcommand>", "", [_CLUSTER_FLAG]),
    ("endpoint", "hashkv"): ("Prints the KV history hash for each endpoint in --endpoints",
                             "hashkv", "", []),
    ("endpoint", "health"): ("Checks the healthiness of endpoints specified in `--endpoints` flag",
                             "health", "", []),
    ("endpoint", "status"): ("Prints out the status of endpoints specified in `--endpoints` flag",
                             "status", "", []),
})


def tab_align(rows: list[tuple[str, ...]]) -> list[str]:
    """text/tabwriter(minwidth 0, tabwidth 8, padding 1, padchar '\\t') over one block.

    Every cell but the last of a row is a column cell; the last is free text.
    """
    ncols = max(len(r) for r in rows) - 1
    widths = []
    for c in range(ncols):
        w = max((len(r[c]) for r in rows if len(r) > c + 1), default=0) + 1
        widths.append(-(-w // 8) * 8)
    out = []
    for r in rows:
        parts = []
        for c, cell in enumerate(r[:-1]):
            parts.append(cell + "\t" * -(-(widths[c] - len(cell)) // 8))
        out.append("".join(parts) + r[-1])
    return out


def help_lines(cmd: tuple[str, ...]) -> list[str]:
    """The help text of ``cmd`` (a command path such as ("lease", "grant")), as lines."""
    short, use, long, flags = _COMMANDS[cmd]
    name = " ".join(cmd)
    parent = " ".join(cmd[:-1])
    use_line = f"etcdctl {parent + ' ' if parent else ''}{use} [flags]"
    lines = ["NAME:", f"\t{name} - {short}", "", "USAGE:", f"\t{use_line}", ""]
    subs = _SUBCOMMANDS.get(cmd[0]) if len(cmd) == 1 else None
    if subs:
        lines += ["API VERSION:", f"\t{API_VERSION}", "", "", "COMMANDS:"]
        lines += tab_align([("", s, _COMMANDS[(cmd[0], s)][0]) for s in subs])
        lines.append("")
    if long:
        lines += ["DESCRIPTION:"] + [f"\t{line}" for line in long.split("\n")] + [""]
    local = sorted(flags + [_help_flag(cmd[-1])], key=lambda f: _FLAG_NAME.search(f[0])[1])
    lines += ["OPTIONS:"] + tab_align(local) + [""]
    lines += ["GLOBAL OPTIONS:"] + tab_align(_GLOBAL_FLAGS)
    return lines


def flag_error_lines(cmd: tuple[str, ...], msg: str) -> list[str]:
    """cobra's output for a flag error: the error, the usage, then etcdctl's own Error line."""
    return [f"Error: {msg}"] + help_lines(cmd) + ["", "", f"Error: {msg}"]


# The put/get/del commands that `txn` builds fresh for each request line use cobra's
# default usage template and pflag's FlagUsages (spaces, not tabs; "(default ...)").
_TXN_FLAGS = {
    "put": ("put [options] <key> <value> (<value> can also be given from stdin)", [
        ("ignore-lease", "", "", "updates the key using its current lease"),
        ("ignore-value", "", "", "updates the key using its current value"),
        ("lease", "string", '"0"', "lease ID (in hexadecimal) to attach to the key"),
        ("prev-kv", "", "", "return the previous key-value pair before modification"),
    ]),
    "get": ("get [options] <key> [range_end]", [
        ("consistency", "string", '"l"', "Linearizable(l) or Serializable(s)"),
        ("count-only", "", "", "Get only the count"),
        ("from-key", "", "",
         "Get keys that are greater than or equal to the given key using byte compare"),
        ("keys-only", "", "", "Get only the keys"),
        ("limit", "int", "", "Maximum number of results"),
        ("order", "string", "", "Order of results; ASCEND or DESCEND (ASCEND by default)"),
        ("prefix", "", "", "Get keys with matching prefix"),
        ("print-value-only", "", "", 'Only write values when using the "simple" output format'),
        ("rev", "int", "", "Specify the kv revision"),
        ("sort-by", "string", "", "Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION"),
    ]),
    "del": ("del [options] <key> [range_end]", [
        ("from-key", "", "", "delete keys that are greater than or equal to the given key "
                             "using byte compare"),
        ("prefix", "", "", "delete keys with matching prefix"),
        ("prev-kv", "", "", "return deleted key-value pairs"),
    ]),
}


def cobra_usage_lines(name: str) -> list[str]:
    """cobra's default usage for the txn-internal ``put``/``get``/``del`` command."""
    use, flags = _TXN_FLAGS[name]
    rows = [("  -h, --help", f"help for {name}")]
    for flag, varname, default, usage in flags:
        head = f"      --{flag}" + (f" {varname}" if varname else "")
        rows.append((head, usage + (f" (default {default})" if default else "")))
    rows.sort(key=lambda r: _FLAG_NAME.search(r[0])[1])
    width = max(len(h) for h, _ in rows)
    lines = ["Usage:", f"   {use} [flags]", "", "Flags:"]
    lines += [f"{h}{' ' * (width - len(h) + 3)}{u}" for h, u in rows]
    return lines + [""]
