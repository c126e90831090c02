"""Command-line parsing the way kubectl's cobra/pflag does it, with its error messages.

>>> a = parse_args(shlex.split("kubectl -n kube-system get pods -o=wide --show-labels"))
>>> a.command, a.args, a.flags["namespace"], a.flags["output"], a.flags["show-labels"]
('get', ['pods'], 'kube-system', 'wide', True)
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field


class CommandError(Exception):
    """What kubectl prints on stderr before exiting with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


# name -> (shorthand, takes a value, repeatable)
_FLAGS: dict[str, tuple[str | None, bool, bool]] = {
    "namespace": ("n", True, False),
    "all-namespaces": ("A", False, False),
    "output": ("o", True, False),
    "selector": ("l", True, False),
    "field-selector": (None, True, False),
    "show-labels": (None, False, False),
    "no-headers": (None, False, False),
    "sort-by": (None, True, False),
    "filename": ("f", True, True),
    "replicas": (None, True, False),
    "image": (None, True, True),
    "port": (None, True, False),
    "grace-period": (None, True, False),
    "now": (None, False, False),
    "force": (None, False, False),
    "wait": (None, False, False),
    "all": (None, False, False),
    "ignore-not-found": (None, False, False),
    "overwrite": (None, False, False),
    "cascade": (None, True, False),
    "dry-run": (None, True, False),
    "show-events": (None, False, False),
    "watch": ("w", False, False),
    "ignore-daemonsets": (None, False, False),
    "delete-emptydir-data": (None, False, False),
    "timeout": (None, True, False),  # drain.go --timeout (a Go duration)
    "patch": ("p", True, False),
    "type": (None, True, False),
    "for": (None, True, False),
    "types": (None, True, False),
    # impersonation: global flags (cli-runtime genericclioptions.ConfigFlags)
    "as": (None, True, False),
    "as-group": (None, True, True),
    "as-uid": (None, True, False),
    # write options (cmd/util/helpers.go AddValidateFlags, AddFieldManagerFlagVar,
    # AddServerSideApplyFlags; cli-runtime JSONYamlPrintFlags --show-managed-fields)
    "validate": (None, True, False),
    "field-manager": (None, True, False),
    "server-side": (None, False, False),
    "force-conflicts": (None, False, False),
    "show-managed-fields": (None, False, False),
    # auth can-i (cmd/auth/cani.go)
    "quiet": ("q", False, False),
    "list": (None, False, False),
    "subresource": (None, True, False),
    # top (cmd/top/top_node.go, top_pod.go) and autoscale (cmd/autoscale/autoscale.go)
    "containers": (None, False, False),
    "sum": (None, False, False),
    "show-capacity": (None, False, False),
    "min": (None, True, False),
    "max": (None, True, False),
    "cpu-percent": (None, True, False),
    "cpu": (None, True, False),
    "memory": (None, True, False),
    "name": (None, True, False),
    # api-resources (cmd/apiresources/apiresources.go), version --client
    "namespaced": (None, False, False),
    "api-group": (None, True, False),
    "verbs": (None, True, True),
    "client": (None, False, False),
    # rollout history / undo (cmd/rollout/rollout_history.go, rollout_undo.go)
    "revision": (None, True, False),
    "to-revision": (None, True, False),
    # create's generators (cmd/create/create_*.go): slices (StringSlice: each use is split at
    # commas by create_common.slice_flag) and arrays (StringArray) are repeatable
    "save-config": (None, False, False),
    "append-hash": (None, False, False),
    "from-literal": (None, True, True),
    "from-file": (None, True, True),
    "from-env-file": (None, True, True),
    "cert": (None, True, False),
    "key": (None, True, False),
    "docker-server": (None, True, False),
    "docker-username": (None, True, False),
    "docker-password": (None, True, False),
    "docker-email": (None, True, False),
    "verb": (None, True, True),
    "resource": (None, True, True),
    "resource-name": (None, True, True),
    "non-resource-url": (None, True, True),
    "aggregation-rule": (None, True, True),
    "role": (None, True, False),
    "clusterrole": (None, True, False),
    "user": (None, True, True),
    "group": (None, True, True),
    "serviceaccount": (None, True, True),
    "from": (None, True, False),
    "schedule": (None, True, False),
    "restart": (None, True, False),
    "rule": (None, True, True),
    "class": (None, True, False),
    "default-backend": (None, True, False),
    "annotation": (None, True, True),
    "min-available": (None, True, False),
    "max-unavailable": (None, True, False),
    "value": (None, True, False),
    "global-default": (None, False, False),
    "preemption-policy": (None, True, False),
    "description": (None, True, False),
    "hard": (None, True, False),
    "scopes": (None, True, False),
    "tcp": (None, True, True),
    "node-port": (None, True, False),
    "clusterip": (None, True, False),
    "external-name": (None, True, False),
    "audience": (None, True, True),
    "duration": (None, True, False),
    "bound-object-kind": (None, True, False),
    "bound-object-name": (None, True, False),
    "bound-object-uid": (None, True, False),
}
_SHORT = {short: name for name, (short, _, _) in _FLAGS.items() if short}
# bool flags that pflag lets you write bare but that default to true
_DEFAULT_TRUE = {"wait"}
# flags that may be given bare (pflag NoOptDefVal): a bare --dry-run is "unchanged", which
# GetDryRunStrategy reads as client (helpers.go AddDryRunFlag); a bare --validate is "strict"
_OPTIONAL_VALUE = {"dry-run": "unchanged", "cascade": "background", "validate": "strict"}


@dataclass
class Args:
    command: str = ""
    args: list[str] = field(default_factory=list)
    flags: dict = field(default_factory=dict)

    def get(self, name: str, default=None):
        return self.flags.get(name, default)


def int_flag(args: Args, flag: str, default: int | None = None) -> int | None:
    """An int flag's value (pflag's strconv.ParseInt, with its error), ``default`` when not given."""
    value = args.get(flag)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise CommandError(f'error: invalid argument "{value}" for "--{flag}" flag: strconv.ParseInt: '
                           f'parsing "{value}": invalid syntax\nSee \'kubectl {args.command} --help\' for usage.') from None


def _bool(value: str, flag: str, command: str) -> bool:
    if value.lower() in ("true", "t", "1"):
        return True
    if value.lower() in ("false", "f", "0"):
        return False
    raise CommandError(f'error: invalid argument "{value}" for "--{flag}" flag: strconv.ParseBool: '
                       f'parsing "{value}": invalid syntax\n{_see(command)}')


def _see(command: str) -> str:
    return f"See 'kubectl {command} --help' for usage." if command else "See 'kubectl --help' for usage."


def parse_args(tokens: list[str]) -> Args:
    """Split ``tokens`` into the command word(s), positional args and flags."""
    if tokens and tokens[0] == "kubectl":
        tokens = tokens[1:]
    out = Args()
    positional: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok == "--":
            # cobra ArgsLenAtDash (podcmd.DASH): positional args, past the command word, before "--"
            out.flags["args-len-at-dash"] = max(len(positional) - 1, 0)
            positional.extend(tokens[i:])
            break
        if tok == "-" or not tok.startswith("-") or len(tok) == 1:
            positional.append(tok)
            continue
        command = positional[0] if positional else ""
        if tok.startswith("--"):
            name, eq, value = tok[2:].partition("=")
            if name not in _FLAGS:
                raise CommandError(f"error: unknown flag: --{name}\n{_see(command)}")
            has_eq = bool(eq)
        else:
            short, rest = tok[1], tok[2:]
            if short not in _SHORT:
                raise CommandError(f"error: unknown shorthand flag: '{short}' in {tok}\n{_see(command)}")
            name = _SHORT[short]
            has_eq = bool(rest)
            value = rest[1:] if rest.startswith("=") else rest
        _, takes_value, repeatable = _FLAGS[name]
        if takes_value:
            if not has_eq:
                if name in _OPTIONAL_VALUE:
                    value = _OPTIONAL_VALUE[name]
                elif i < len(tokens):
                    value = tokens[i]
                    i += 1
                else:
                    short = _FLAGS[name][0]
                    where = f"'{short}' in -{short}" if not tok.startswith("--") and short else f"--{name}"
                    raise CommandError(f"error: flag needs an argument: {where}\n{_see(command)}")
            if repeatable:
                out.flags.setdefault(name, []).append(value)
            else:
                out.flags[name] = value
        else:
            out.flags[name] = _bool(value, name, command) if has_eq else True
    for name in _DEFAULT_TRUE:
        out.flags.setdefault(name, True)
    if positional:
        out.command, out.args = positional[0], positional[1:]
    return out


def split_command(line: str) -> list[str]:
    """shlex, with kubectl's own quoting error turned into an error message."""
    try:
        return shlex.split(line)
    except ValueError as e:
        raise CommandError(f"error: {e}") from None
