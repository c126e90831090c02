"""``kubectl describe``: find the objects (a name, else every object whose name starts with it),
fetch what each describer needs alongside (events, pods, ReplicaSets, EndpointSlices, a lease)
and dispatch to the describer of the kind (kubectl/pkg/cmd/describe/describe.go,
kubectl/pkg/describe/describe.go DescriberFor and the describers' ``Describe`` methods).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..api.resources import ResourceInfo
from ..client import ApiError
from . import describe as desc
from .args import Args, CommandError
from .printers import no_resources
from .reads import fetch, targets, typed

if TYPE_CHECKING:
    from .kubectl import Kubectl


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
    return [typed(o, info) for o in listed if (o.get("metadata") or {}).get("name", "").startswith(prefix)], \
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
            found = [typed(k.client.get(info.plural, name, namespace=k.ns_for(info, args)), info)]
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
