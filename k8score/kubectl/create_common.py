"""What every ``kubectl create <generator>`` shares: its NAME, flag values, and sending and
printing the object it built.

Upstream: staging/src/k8s.io/kubectl/pkg/cmd/create/create.go (``NameFromCommandArgs``),
each create_*.go ``Run`` (``CreateOrUpdateAnnotation`` for ``--save-config``; no request with
``--dry-run=client``, ``dryRun=All`` with ``--dry-run=server``; the error wrapped as
``failed to create <what>: <err>``), cmd/util/helpers.go (``UsageErrorf``).

A generator builds a typed Go object, so ``-o json`` prints its fields in struct order (the
order the builders here insert keys in) and omits empty ``omitempty`` fields; ``-o yaml``
goes through sigs.k8s.io/yaml and sorts keys. An object that came back from the server
(``--dry-run=server`` or a real create) is decoded into the same struct: :func:`go_order`
puts its keys back in the built object's order, ``metadata`` in ObjectMeta's.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..client import ApiError
from .apply import LAST_APPLIED
from .args import Args, CommandError
from .options import CLIENT, dry_run, operation, render, without_managed_fields, write_options
from .podcmd import DASH
from .printers import kind_name
from .yamlout import to_json

if TYPE_CHECKING:
    from ..api.resources import ResourceInfo
    from .kubectl import Kubectl

#: metav1.ObjectMeta's fields in struct order (apimachinery/pkg/apis/meta/v1/types.go)
_OBJECT_META = ("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
                "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
                "annotations", "ownerReferences", "finalizers", "managedFields")


def usage_error(args: Args, path: str, message: str) -> CommandError:
    """cmdutil.UsageErrorf: the message and where to find help for ``kubectl <path>``."""
    return CommandError(f"error: {message}\nSee 'kubectl {path} -h' for help and examples")


def name_arg(args: Args, depth: int, path: str) -> str:
    """create.go NameFromCommandArgs: exactly one NAME before any ``--``.

    ``depth`` is how many words name the subcommand (``job``: 1, ``secret generic``: 2)."""
    rest = args.args[depth:]
    dash = args.get(DASH)
    count = len(rest) if dash is None else max(dash - depth, 0)
    if count != 1:
        raise usage_error(args, path, f"exactly one NAME is required, got {count}")
    check_output(args)   # Complete builds the printer right after reading NAME
    return rest[0]


#: cli-runtime PrintFlags.AllowedFormats of a generator (no table printer: no "wide")
_FORMATS = ("go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,kyaml,name,template,"
            "templatefile,yaml")


def check_output(args: Args) -> None:
    """PrintFlags.ToPrinter: ``-o`` must name one of :data:`_FORMATS` (``jsonpath=`` needs a template)."""
    output, _, template = (args.get("output") or "").partition("=")
    if not output:
        return
    if output not in _FORMATS.split(","):
        raise CommandError(f'error: unable to match a printer suitable for the output format "{output}", '
                           f"allowed formats are: {_FORMATS}")
    if output == "jsonpath" and not template:
        raise CommandError("error: jsonpath template format specified but no template given")
    if output not in ("json", "yaml", "kyaml", "name", "jsonpath"):
        raise CommandError(f'error: -o {output} is not available in this simulated cluster '
                           "(supported: json, yaml, kyaml, name, jsonpath)")


def command_args(args: Args, depth: int) -> list[str]:
    """The words after NAME (``create job NAME -- CMD ARGS``: ``args[1:]``)."""
    return args.args[depth + 1:]


def last(args: Args, flag: str, default: str = "") -> str:
    """A ``StringVar`` flag given as a repeatable one (``--image``): pflag keeps the last value."""
    value = args.get(flag)
    if isinstance(value, list):
        return value[-1] if value else default
    return default if value is None else str(value)


def array_flag(args: Args, flag: str) -> list[str]:
    """A ``StringArrayVar`` flag: every use, verbatim."""
    return list(args.get(flag) or [])


def slice_flag(args: Args, flag: str, command: str = "create") -> list[str]:
    """A ``StringSliceVar`` flag: every use read as one CSV record (pflag readAsCSV)."""
    import csv
    out: list[str] = []
    for value in args.get(flag) or []:
        if value == "":
            continue
        try:
            out.extend(next(csv.reader([value], strict=True)))
        except csv.Error as e:
            raise CommandError(f'error: invalid argument "{value}" for "--{flag}" flag: {e}\n'
                               f"See 'kubectl {command} --help' for usage.") from None
    return out


def namespace(k: "Kubectl", args: Args) -> tuple[str, bool]:
    """``(namespace, enforced)``: ToRawKubeConfigLoader().Namespace(); enforced when ``-n`` was given
    (the generators then write it into the object's metadata)."""
    ns = args.get("namespace")
    return (ns, True) if ns else (k.namespace, False)


def meta(name: str, ns: str = "", **more: Any) -> dict:
    """An ObjectMeta with its set fields, in struct order (empty ones are omitempty)."""
    fields = {"name": name, "namespace": ns, **more}
    return {key: fields[key] for key in _OBJECT_META if fields.get(key)}


def emit(k: "Kubectl", args: Args, info: "ResourceInfo", obj: dict, ns: str | None, what: str | None) -> None:
    """Send ``obj`` (unless ``--dry-run=client``) and print it.

    ``what`` names the object in the error (``secret`` -> ``failed to create secret <err>``;
    the separator is each generator's own), None: the server's error as is (role, clusterrole).
    """
    if args.get("save-config"):
        # util.CreateOrUpdateAnnotation: the object as JSON (without the annotation itself)
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
        md = obj.setdefault("metadata", {})
        md["annotations"] = {**(md.get("annotations") or {}), LAST_APPLIED: text + "\n"}
        obj["metadata"] = {key: md[key] for key in _OBJECT_META if key in md}
    strategy = dry_run(args)
    if strategy != CLIENT:
        try:
            sent = k.client.create(info.plural, obj, namespace=ns,
                                   **write_options(args, "kubectl-create", validate=True))
        except ApiError as e:
            # fmt.Errorf("failed to create <what>: %v", err): the Status message as is; an
            # unwrapped error is printed the way CheckErr prints API errors
            raise CommandError(f"error: {what}{e.message}" if what else k.api_error_text(e)) from None
        obj = go_order(sent, obj)
    output, _, template = (args.get("output") or "").partition("=")
    name = (obj.get("metadata") or {}).get("name", "")
    if output == "jsonpath":
        from . import jsonpath
        try:
            k.out_raw(jsonpath.render(template, obj))
        except (jsonpath.JSONPathError, ValueError) as e:
            raise CommandError(f"error: error parsing jsonpath {template}, {e}") from None
    elif output == "json":
        shown = obj if args.get("show-managed-fields") else without_managed_fields(obj)
        k.out(to_json(shown, sort_keys=False))
    elif output in ("yaml", "kyaml"):
        k.out(render(obj, output, args))
    elif output == "name":
        k.out(f"{kind_name(info.kind, info.group)}/{name}")
    else:
        k.out(f"{kind_name(info.kind, info.group)}/{name} {operation('created', strategy)}")


def go_order(obj: Any, template: Any) -> Any:
    """``obj`` with its keys in ``template``'s order, recursively; keys the template lacks
    (what the server filled in) follow in sorted order. ``metadata`` follows ObjectMeta."""
    if isinstance(obj, list):
        tmpl = template if isinstance(template, list) else []
        return [go_order(item, tmpl[i] if i < len(tmpl) else None) for i, item in enumerate(obj)]
    if not isinstance(obj, dict):
        return obj
    tmpl = template if isinstance(template, dict) else {}
    keys = [key for key in tmpl if key in obj] + sorted(key for key in obj if key not in tmpl)
    out = {key: go_order(obj[key], tmpl.get(key)) for key in keys}
    if isinstance(out.get("metadata"), dict):
        md = out["metadata"]
        out["metadata"] = {key: md[key] for key in _OBJECT_META if key in md}
        out["metadata"].update({key: v for key, v in md.items() if key not in out["metadata"]})
    return out


__all__ = ["usage_error", "name_arg", "check_output", "command_args", "last", "array_flag", "slice_flag", "namespace",
           "meta", "emit", "go_order"]
