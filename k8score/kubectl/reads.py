"""The read-only commands: ``get``, ``describe``, ``api-resources``, ``version``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..api.resources import ResourceInfo
from ..client import ApiError
from . import describe as desc
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
                found.append(_typed(k.client.get(info.plural, name, namespace=ns), info))
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
    return [_typed(o, info) for o in result.get("items") or []]


def _typed(obj: dict, info: ResourceInfo) -> dict:
    # list items come without apiVersion/kind on the wire; kubectl fills them in
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


# -- describe ------------------------------------------------------------------------
def _events_for(k: "Kubectl", obj: dict, info: ResourceInfo) -> list[dict] | None:
    meta = obj.get("metadata") or {}
    if info.plural == "nodes":
        # describe.go NodeDescriber: host events carry two UIDs (controllers the node's uid, the
        # kubelet its name): two searches, the node-uid ones first
        name = meta.get("name", "")
        try:
            return [e for uid in (meta.get("uid") or "", name) for e in k.client.list(
                "events", field_selector=f"involvedObject.name={name},involvedObject.namespace=,"
                f"involvedObject.kind=Node,involvedObject.uid={uid}").get("items") or []]
        except ApiError:
            return None
    fields = [f"involvedObject.name={meta.get('name', '')}"]
    if info.namespaced:
        fields.append(f"involvedObject.namespace={meta.get('namespace', '')}")
    if info.plural == "nodes":
        fields.append("involvedObject.kind=Node")  # kubelet refs use uid=name, controllers the real uid
    elif meta.get("uid"):
        fields.append(f"involvedObject.uid={meta['uid']}")
    if info.plural != "pods":
        fields.append(f"involvedObject.kind={info.kind}")
    try:
        return k.client.list("events", namespace=meta.get("namespace") if info.namespaced else None,
                             field_selector=",".join(fields)).get("items") or []
    except ApiError:
        return None


def _prefix_matches(k: "Kubectl", info: ResourceInfo, prefix: str, args: Args) -> tuple[list[dict], int]:
    """describe.go DescribeMatchingResources: every object whose name starts with ``prefix``
    (``kubectl describe pod nginx-deployment`` describes the Deployment's pods), and how
    many objects were listed to find them."""
    listed = k.client.list(info.plural, namespace=k.ns_for(info, args)).get("items") or []
    return [_typed(o, info) for o in listed if (o.get("metadata") or {}).get("name", "").startswith(prefix)], \
        len(listed)


def _describe_one(k: "Kubectl", info: ResourceInfo, obj: dict, show_events: bool = True) -> str:
    now = k.now()
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    events = _events_for(k, obj, info) if show_events else None
    if info.plural == "pods":
        return desc.describe_pod(obj, events, now)
    if info.plural == "nodes":
        pods = [p for p in k.client.list("pods", field_selector=f"spec.nodeName={meta.get('name')}")["items"]
                if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
        try:
            lease = k.client.get("leases", meta.get("name"), namespace="kube-node-lease")
        except ApiError:
            lease = None
        return desc.describe_node(obj, pods, lease, events, now)
    if info.plural == "replicasets":
        pods = k.client.list("pods", namespace=ns, label_selector=desc.selector_string(
            (obj.get("spec") or {}).get("selector")))["items"]
        return desc.describe_replicaset(obj, pods, events, now)
    if info.plural == "deployments":
        uid = meta.get("uid")
        owned = [rs for rs in k.client.list("replicasets", namespace=ns)["items"]
                 if any(r.get("uid") == uid and r.get("controller")
                        for r in (rs.get("metadata") or {}).get("ownerReferences") or ())]
        new, old = _split_replicasets(obj, owned)
        return desc.describe_deployment(obj, old, new, events, now)
    if info.plural == "services":
        try:
            slices = k.client.list("endpointslices", namespace=ns,
                                   label_selector=f"kubernetes.io/service-name={meta.get('name')}")["items"]
        except ApiError:
            slices = []
        return desc.describe_service(obj, slices, events, now)
    if info.plural == "namespaces":
        return desc.describe_namespace(obj)
    if info.plural == "configmaps":
        return desc.describe_configmap(obj, events, now)
    if info.plural == "endpoints":
        return desc.describe_endpoints(obj, events, now)
    if info.plural == "serviceaccounts":
        return desc.describe_serviceaccount(obj, events, now)
    if info.plural == "resourcequotas":
        return desc.describe_resourcequota(obj)
    if info.plural == "horizontalpodautoscalers":
        from .describe_hpa import describe_hpa
        return describe_hpa(obj, events, now)
    if info.plural == "persistentvolumeclaims":
        from .describe_storage import describe_pvc
        return describe_pvc(obj, k.client.list("pods", namespace=ns)["items"], events, now)
    from . import describe_more as more
    if info.plural == "secrets":
        return more.describe_secret(obj)
    if info.plural == "poddisruptionbudgets":
        return more.describe_pdb(obj, events, now)
    if info.plural in ("rolebindings", "clusterrolebindings"):
        return more.describe_binding(obj)
    if info.plural == "storageclasses":
        return more.describe_storageclass(obj, events, now)
    from . import describe_rbac, describe_workloads
    if info.plural in describe_workloads.DESCRIBED:
        return describe_workloads.describe_workload(k.client, info.plural, obj, events, now)
    if info.plural in ("roles", "clusterroles"):
        return describe_rbac.describe_role(obj)
    return desc.describe_unstructured(obj, events, now)


def _split_replicasets(d: dict, owned: list[dict]) -> tuple[list[dict], list[dict]]:
    """deploymentutil.FindNewReplicaSet: the oldest RS whose template equals the Deployment's."""
    template = _strip_hash((d.get("spec") or {}).get("template") or {})
    owned = sorted(owned, key=lambda r: ((r.get("metadata") or {}).get("creationTimestamp", ""),
                                         (r.get("metadata") or {}).get("name", "")))
    new = [r for r in owned if _strip_hash((r.get("spec") or {}).get("template") or {}) == template][:1]
    # describe shows allOldRSs: scaled-down ones included
    return new, [r for r in owned if r not in new]


def _strip_hash(template: dict) -> dict:
    labels = dict(((template.get("metadata") or {}).get("labels")) or {})
    labels.pop("pod-template-hash", None)
    return {"labels": labels, "spec": template.get("spec") or {}}


def describe(k: "Kubectl", args: Args, stdin: str | None) -> None:
    if not args.args:
        raise CommandError('error: You must specify the type of resource to describe. Use "kubectl api-resources" '
                           "for a complete list of supported resources.")
    requested = targets(k, args.args)
    if len(requested) == 1 and len(requested[0][1]) == 1 and "/" not in args.args[0]:
        info, (name,) = requested[0]
        try:
            found = [_typed(k.client.get(info.plural, name, namespace=k.ns_for(info, args)), info)]
        except ApiError as e:
            if e.code != 404:
                raise
            matches, listed = _prefix_matches(k, info, name, args)
            if not matches:
                raise
            show = args.get("show-events", listed == 1)
            k.out("".join(_describe_one(k, info, o, show) + "\n" for o in matches))
            return
        requested = [(info, found)]
    else:
        requested = [(info, fetch(k, info, wanted, args)) for info, wanted in requested]
    total = sum(len(objs) for _, objs in requested)
    # kubectl >= 1.3x: events are looked up for a single object, or when --show-events is given
    show = args.get("show-events", total == 1)
    reports = [_describe_one(k, info, o, show) for info, objs in requested for o in objs]
    if reports:
        k.out("\n\n".join(reports))
    elif k.last_exit_code == 0:
        ns = None if args.get("all-namespaces") else (args.get("namespace") or k.namespace)
        k.fail(no_resources(ns), exit_code=0)


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
