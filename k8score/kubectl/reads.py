"""The read-only commands: ``get``, ``events``, ``api-resources``, ``version`` (``describe``:
:mod:`.describe_cmd`), and how every command finds its objects (:func:`targets`, :func:`fetch`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..api.resources import ResourceInfo
from ..client import ApiError
from . import jsonpath
from .args import Args, CommandError
from .gosort import go_sort
from .options import render
from .printers import as_list, kind_name, names, no_resources, table

if TYPE_CHECKING:
    from .kubectl import Kubectl

_OUTPUTS = ("", "wide", "name", "json", "yaml", "kyaml")
_PRINTER_ERROR = ('error: unable to match a printer suitable for the output format "{0}", allowed formats are: '
                  "custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,"
                  "jsonpath-as-json,jsonpath-file,kyaml,name,template,templatefile,wide,yaml")
_NO_TYPE = ('You must specify the type of resource to {0}. Use "kubectl api-resources" for a complete '
            "list of supported resources.\n\nerror: Required resource not specified.\n"
            'Use "kubectl explain <resource>" for a detailed description of that resource '
            "(e.g. kubectl explain pods).\nSee 'kubectl {0} -h' for help and examples")


def targets(k: "Kubectl", positional: list[str]) -> list[tuple[ResourceInfo, list[str]]]:
    """resource.Builder ResourceTypeOrNameArgs: ``TYPE[,TYPE] [NAME...]`` or ``TYPE/NAME...``."""
    if any("/" in a for a in positional):
        if "/" not in positional[0]:
            raise CommandError("error: there is no need to specify a resource type as a separate argument when "
                               "passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' "
                               "instead of 'kubectl get resource resource/<resource_name>'")
        grouped: dict[str, tuple[ResourceInfo, list[str]]] = {}
        for a in positional:
            kind, _, name = a.partition("/")
            if "/" not in a or not name:
                raise CommandError("error: arguments in resource/name form must have a single resource and name")
            info = k.resource(kind)
            grouped.setdefault(info.plural, (info, []))[1].append(name)
        return list(grouped.values())
    return [(info, list(positional[1:])) for info in k.resources(positional[0])]


def fetch(k: "Kubectl", info: ResourceInfo, wanted: list[str], args: Args) -> list[dict]:
    """Named objects (NotFound errors printed, the rest kept) or a filtered list."""
    ns = k.ns_for(info, args)
    if wanted:
        found = []
        for name in wanted:
            try:
                found.append(typed(k.client.get(info.plural, name, namespace=ns), info))
            except ApiError as e:
                if e.code == 404 and args.get("ignore-not-found"):
                    continue
                if e.code != 404:
                    raise
                k.err(k.api_error_text(e))
        return found
    labels, fields = args.get("selector") or "", args.get("field-selector") or ""
    try:
        result = k.client.list(info.plural, namespace=ns, label_selector=labels or None,
                               field_selector=fields or None)
    except ApiError as e:
        # cli-runtime resource/helper.go EnhanceListError: the message names the list (a GVR)
        if e.code not in (400, 404):
            raise
        gvr = f"{info.group}/{info.version}, Resource={info.plural}"
        message = f'Unable to list "{gvr}": {e.message}' if not labels and not fields else \
            f'Unable to find "{gvr}" that match label selector "{labels}", field selector "{fields}": {e.message}'
        raise ApiError({**e.status, "message": message}) from None
    return [typed(o, info) for o in result.get("items") or []]


def typed(obj: dict, info: ResourceInfo) -> dict:
    """``obj`` with its ``apiVersion`` and ``kind``: list items come without them on the wire,
    and kubectl fills them in."""
    if "kind" in obj and "apiVersion" in obj:
        return obj
    return {"apiVersion": info.api_version, "kind": info.kind, **obj}


def _sort(objs: list[dict], sort_by: str | None, plural: str, table: bool) -> list[dict]:
    # get.go: without --sort-by, the server's order (events too: by name, which upstream's
    # recorders make <object>.<hex UnixNano>); with it, sorter.go's sort.Sort (sortby.py)
    if not sort_by:
        return objs
    from .sortby import sort_by as go_sort_by
    return go_sort_by(objs, sort_by)


def get(k: "Kubectl", args: Args, stdin: str | None) -> None:
    if not args.args:
        raise CommandError(_NO_TYPE.format("get"))
    output = args.get("output", "")
    output, _, template = output.partition("=")
    if output not in _OUTPUTS + ("jsonpath", "custom-columns"):
        raise CommandError(_PRINTER_ERROR.format(output))
    requested = targets(k, args.args)
    single = len(requested) == 1 and len(requested[0][1]) == 1
    generic = _generic_printer(output, template) if output in ("jsonpath", "custom-columns") else None
    if generic is not None and not single:
        generic()   # printGeneric: a printer error replaces the errors of fetching several names
    groups = []
    for info, wanted in requested:
        objs = _sort(fetch(k, info, wanted, args), args.get("sort-by"), info.plural, output in ("", "wide"))
        groups.append((info, objs))
    total = sum(len(objs) for _, objs in groups)
    items = [o for _, objs in groups for o in objs]
    # get.go multipleGVKsRequested: kinds are shown when the objects found are of several kinds
    with_kind = len({(info.group, info.kind) for info, objs in groups if objs}) > 1
    if output in ("json", "yaml", "kyaml"):
        # cli-runtime JSONYamlPrintFlags (kyaml since 1.34): managedFields hidden unless --show-managed-fields
        if single and len(items) == 1:
            k.out(render(items[0], output, args))
        elif items or not single:
            k.out(render(as_list(items), output, args))
        return
    if generic is not None:
        # get.go printGeneric: a single named object that was not found ends it; otherwise the
        # printer is built now (template errors) and prints the one List of everything found
        if single and not items:
            return
        columns = generic()
        if output == "custom-columns":
            from . import columns_custom
            text, error = columns_custom.render(columns, items, bool(args.get("no-headers")))
            k.out_raw(text)
            if error:
                raise CommandError(error)
            return
    if output == "jsonpath":
        data = items[0] if single and len(items) == 1 else as_list(items)
        try:
            k.out_raw(jsonpath.render(template, data))
        except (jsonpath.JSONPathError, ValueError) as e:
            raise CommandError(f"error: error parsing jsonpath {template}, {e}") from None
        return
    if total == 0:
        if k.last_exit_code == 0 and not any(wanted for _, wanted in requested):
            # get.go allResourcesNamespaced: the Table of a cluster-scoped kind is not namespaced
            namespaced = not args.get("all-namespaces") and all(info.namespaced for info, _ in requested)
            ns = (args.get("namespace") or k.namespace) if namespaced else None
            k.fail(no_resources(ns), exit_code=0)
        return
    now = k.now()
    printed = False
    for info, objs in groups:
        if not objs:
            continue
        if output == "name":
            k.out(names(objs, info.kind, info.group))
            continue
        if printed:
            k.out("\n")
        options = dict(wide=output == "wide", with_namespace=bool(args.get("all-namespaces")) and info.namespaced,
                       show_labels=bool(args.get("show-labels")), no_headers=bool(args.get("no-headers")),
                       kind_prefix=kind_name(info.kind, info.group) if with_kind else None)
        from .columns_crd import crd_of, crd_table, table_text
        crd = crd_of(getattr(k.client, "api", None), info)
        if crd is not None:   # the Table the server builds from the CRD's printer columns
            k.out(table_text(crd_table(crd, info.version), objs, now, **options))
        else:
            k.out(table(info.plural, objs, now, **options))
        printed = True


def _generic_printer(output: str, template: str):
    """Building ``-o jsonpath|custom-columns``' printer (get.go ToPrinter), deferred: the
    check raises what kubectl prints for a bad template; custom columns' parsed spec."""
    def build():
        if output == "custom-columns":
            from .columns_custom import parse_spec
            return parse_spec(template)
        if not template:   # cli-runtime pkg/genericclioptions/jsonpath_flags.go ToPrinter
            raise CommandError("error: template format specified but no template given")
        return None
    return build


# -- the rest -------------------------------------------------------------------------
def events(k: "Kubectl", args: Args, stdin: str | None) -> None:
    """``kubectl events [--for TYPE/NAME] [--types Warning]``: the event table, oldest first."""
    info = k.resource("events")
    objs = fetch(k, info, [], args)
    if args.get("for"):
        kind, _, name = args.get("for").partition("/")
        target = k.resource(kind)
        objs = [e for e in objs if (e.get("involvedObject") or {}).get("kind") == target.kind
                and (e.get("involvedObject") or {}).get("name") == name]
    if args.get("types"):
        wanted = {t.strip().lower() for t in args.get("types").split(",")}
        objs = [e for e in objs if (e.get("type") or "").lower() in wanted]
    all_ns = bool(args.get("all-namespaces"))
    if not objs:  # events.go Run: on stderr, exit code 0
        k.fail("No events found." if all_ns else
               f"No events found in {args.get('namespace') or k.namespace} namespace.", exit_code=0)
        return
    # events.go Run: sort.Sort(SortableEvents) (unstable: Go's pdqsort) on the server's order
    objs = go_sort(objs, _event_before)
    if args.get("output"):
        k.out(table("events", objs, k.now(), wide=args.get("output") == "wide",
                    with_namespace=all_ns, no_headers=bool(args.get("no-headers"))))
        return
    # event_printer.go printOneEvent: OBJECT is Kind/Name
    from .tabwriter import TABLE_MINWIDTH, TABLE_PADDING, tabwrite
    from .timefmt import since

    now = k.now()
    lines = [] if args.get("no-headers") else \
        [("NAMESPACE\t" if all_ns else "") + "LAST SEEN\tTYPE\tREASON\tOBJECT\tMESSAGE"]
    for e in objs:
        first = since(e.get("eventTime") or e.get("firstTimestamp"), now)
        if e.get("series"):
            interval = f"{since(e['series'].get('lastObservedTime'), now)} (x{e['series'].get('count', 0)} over {first})"
        elif (e.get("count") or 0) > 1:
            interval = f"{since(e.get('lastTimestamp'), now)} (x{e['count']} over {first})"
        else:
            interval = first
        ref = e.get("involvedObject") or {}
        lines.append((f"{(e.get('metadata') or {}).get('namespace', '')}\t" if all_ns else "") +
                     f"{interval}\t{e.get('type', '')}\t{e.get('reason', '')}\t{ref.get('kind', '')}/"
                     f"{ref.get('name', '')}\t{(e.get('message') or '').strip()}")
    k.out(tabwrite("\n".join(lines) + "\n", TABLE_MINWIDTH, TABLE_PADDING))


def _event_before(a: dict, b: dict) -> bool:
    """events.go SortableEvents.Less: eventTime(a).Before(eventTime(b)), where eventTime is
    series.lastObservedTime, else lastTimestamp when set, else eventTime (zero when unset)."""
    return _event_time(a) < _event_time(b)


def _event_time(e: dict) -> float:
    from ..sim.clock import parse as parse_time
    series = e.get("series")
    stamp = series.get("lastObservedTime") if series is not None else e.get("lastTimestamp") or e.get("eventTime")
    return parse_time(stamp) if stamp else float("-inf")    # Go's zero time: before any other


def api_resources(k: "Kubectl", args: Args, stdin: str | None) -> None:
    """cmd/apiresources/apiresources.go: the discovery table; ``--namespaced``, ``--api-group``,
    ``--verbs`` filter it, ``-o name`` prints ``plural.group``, ``-o wide`` adds VERBS and
    CATEGORIES (as discovery lists them: apiserver/discovery_v2.py)."""
    from ..api.resources import verbs
    from ..apiserver.discovery_v2 import _ALL as all_category
    from .tabwriter import TABLE_MINWIDTH, TABLE_PADDING, tabwrite
    fmt = args.get("output") or ""
    if fmt not in ("", "wide", "name"):
        raise CommandError(f'error: --output {fmt} is not available')
    infos = sorted(k.client.resources(), key=lambda i: (i.group, i.plural))
    if args.get("namespaced") is not None:
        infos = [i for i in infos if i.namespaced == args.get("namespaced")]
    if args.get("api-group") is not None:
        infos = [i for i in infos if i.group == args.get("api-group")]
    wanted = [v for value in args.get("verbs") or [] for v in value.split(",") if v]
    if wanted:   # apiresources.go: only resources whose discovery verbs include every one asked for
        infos = [i for i in infos if all(v in verbs(i) for v in wanted)]
    if fmt == "name":
        k.out("".join(f"{i.plural}.{i.group}\n" if i.group else f"{i.plural}\n" for i in infos))
        return
    lines = [] if args.get("no-headers") else \
        ["NAME\tSHORTNAMES\tAPIVERSION\tNAMESPACED\tKIND" + ("\tVERBS\tCATEGORIES" if fmt == "wide" else "")]
    for i in infos:
        row = (f"{i.plural}\t{','.join(i.short_names)}\t{i.api_version}\t"
               f"{'true' if i.namespaced else 'false'}\t{i.kind}")
        if fmt == "wide":
            category = "all" if i.plural in all_category and not i.group.endswith(".k8s.io") else ""
            row += f"\t{','.join(verbs(i))}\t{category}"
        lines.append(row)
    if lines:
        k.out(tabwrite("\n".join(lines) + "\n", TABLE_MINWIDTH, TABLE_PADDING))


def version(k: "Kubectl", args: Args, stdin: str | None) -> None:
    from .kubectl import KUSTOMIZE_VERSION, VERSION
    text = f"Client Version: {VERSION}\nKustomize Version: {KUSTOMIZE_VERSION}\n"
    if args.get("client"):
        k.out(text)
        return
    try:
        k.client.list("namespaces")
        text += f"Server Version: {VERSION}\n"
    except ApiError as e:
        k.out(text)
        raise CommandError(k.api_error_text(e)) from None
    k.out(text)
