"""The flags every mutating kubectl command shares, turned into request options and output.

Upstream: staging/src/k8s.io/kubectl/pkg/cmd/util/helpers.go (``GetDryRunStrategy``,
``GetValidationDirective``, ``PrintFlagsWithDryRunStrategy``, ``AddValidateFlags``,
``AddFieldManagerFlagVar``), cli-runtime genericclioptions (``NamePrintFlags``: the
``kind/name operation`` line; ``JSONYamlPrintFlags``: ``--show-managed-fields``).

- ``--dry-run=client`` sends no write at all; ``--dry-run=server`` sends it with
  ``dryRun=All`` — both print the usual line with `` (dry run)`` / `` (server dry run)``.
- ``--validate`` (default ``strict``) becomes ``fieldValidation`` Strict/Warn/Ignore.
- ``--field-manager`` defaults per command (``kubectl-create``, ``kubectl-label``...).

>>> from .args import parse_args
>>> a = parse_args(["create", "-f", "x.yaml", "--dry-run=server", "--validate=false"])
>>> write_options(a, "kubectl-create", validate=True)
{'dry_run': 'All', 'field_manager': 'kubectl-create', 'field_validation': 'Ignore'}
>>> operation("created", dry_run(a))
'created (server dry run)'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .args import Args, CommandError
from .printers import kind_name, serialize

if TYPE_CHECKING:
    from ..api.resources import ResourceInfo
    from .kubectl import Kubectl

NONE, CLIENT, SERVER = "none", "client", "server"

# strconv.ParseBool's spellings (pflag/kubectl parse these flags with it)
_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def dry_run(args: Args) -> str:
    """helpers.go GetDryRunStrategy: ``none``, ``client`` or ``server``."""
    value = args.get("dry-run")
    if value is None or value == NONE:
        return NONE
    if value in _TRUE or value in ("unchanged", CLIENT):   # "unchanged": a bare --dry-run
        return CLIENT
    if value in _FALSE:
        return NONE
    if value == SERVER:
        return SERVER
    raise CommandError(f'error: Invalid dry-run value ({value}). Must be "none", "server", or "client".')


def validation(args: Args) -> str:
    """helpers.go GetValidationDirective: ``--validate`` (default strict) -> fieldValidation."""
    value = args.get("validate", "strict")
    if value in _TRUE:
        return "Strict"
    if value in _FALSE:
        return "Ignore"
    directive = {"strict": "Strict", "warn": "Warn", "ignore": "Ignore"}.get(value)
    if directive is None:
        raise CommandError(f'error: invalid - validate option "{value}"; must be one of: strict (or true), '
                           "warn, ignore (or false)")
    return directive


def write_options(args: Args, manager: str | None, *, validate: bool = False) -> dict:
    """The query options of a write: ``dry_run``, ``field_manager`` (``--field-manager`` or the
    command's default; None for commands without the flag) and, for the commands that have
    ``--validate`` (create, apply, replace, edit), ``field_validation``."""
    opts: dict[str, Any] = {}
    if dry_run(args) == SERVER:
        opts["dry_run"] = "All"
    if manager is not None:
        opts["field_manager"] = args.get("field-manager") or manager
    if validate:
        opts["field_validation"] = validation(args)
    return opts


def operation(op: str, strategy: str) -> str:
    """PrintFlagsWithDryRunStrategy: ``created`` -> ``created (dry run)``."""
    if strategy == CLIENT:
        return f"{op} (dry run)"
    if strategy == SERVER:
        return f"{op} (server dry run)"
    return op


def without_managed_fields(obj: Any) -> Any:
    """printers.OmitManagedFieldsPrinter: a copy of ``obj`` (or of a List's items) without
    ``metadata.managedFields``."""
    if not isinstance(obj, dict):
        return obj
    out = dict(obj)
    if isinstance(out.get("items"), list):
        out["items"] = [without_managed_fields(i) for i in out["items"]]
    meta = out.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        out["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return out


def render(obj: Any, fmt: str, args: Args) -> str:
    """``-o json|yaml|kyaml``, hiding managedFields unless ``--show-managed-fields``."""
    return serialize(obj if args.get("show-managed-fields") else without_managed_fields(obj), fmt)


def print_result(k: "Kubectl", args: Args, info: "ResourceInfo", name: str, op: str, obj: Any = None) -> None:
    """What a write command prints for one object: the object itself for ``-o json|yaml``,
    ``kind/name`` for ``-o name``, else ``kind/name <op>[ (dry run)|(server dry run)]``."""
    output = args.get("output") or ""
    if output in ("json", "yaml") and isinstance(obj, dict):
        k.out(render(obj, output, args))
    elif output == "name":
        k.out(f"{kind_name(info.kind, info.group)}/{name}")
    else:
        k.out(f"{kind_name(info.kind, info.group)}/{name} {operation(op, dry_run(args))}")


__all__ = ["NONE", "CLIENT", "SERVER", "dry_run", "validation", "write_options", "operation",
           "without_managed_fields", "render", "print_result"]
