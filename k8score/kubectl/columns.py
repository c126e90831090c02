"""The table columns of ``kubectl get``, one row function per resource.

Upstream the API server builds these rows (pkg/printers/internalversion/printers.go) and
kubectl only lays them out; here both happen on the client side. Every function is pure:
a Kubernetes object (wire-format dict) and ``now`` (virtual seconds) in, cells out.

A column is ``(header, priority)``: priority 0 is always shown, 1 only with ``-o wide``.
"""

from __future__ import annotations

from typing import Callable

from .columns_services import SERVICE_TABLES
from .podstatus import pod_row
from .selectorfmt import format_labels, format_selector, selector_string  # re-exported: describers, tests
from ..sim.clock import rfc3339
from .timefmt import human_duration, seconds_of, since

Column = tuple[str, int]


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _age(obj: dict, now: float) -> str:
    return since(_meta(obj).get("creationTimestamp"), now)


def _containers(template: dict | None) -> tuple[str, str]:
    # printers.go layoutContainerCells
    cs = ((template or {}).get("spec") or {}).get("containers") or []
    return ",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs)


# -- nodes ---------------------------------------------------------------------
#: printers.go labelNodeRolePrefix / nodeLabelRole
_ROLE_PREFIX, _ROLE_LABEL = "node-role.kubernetes.io/", "kubernetes.io/role"


def node_roles(node: dict) -> list[str]:
    roles = set()
    for k, v in (_meta(node).get("labels") or {}).items():
        if k.startswith(_ROLE_PREFIX) and k[len(_ROLE_PREFIX):]:
            roles.add(k[len(_ROLE_PREFIX):])
        elif k == _ROLE_LABEL and v:
            roles.add(v)
    return sorted(roles)


def node_status(node: dict) -> str:
    """``Ready``, ``NotReady``, ``Unknown``, plus ``,SchedulingDisabled`` when cordoned."""
    status = []
    for c in (node.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":   # printers.go NodeAllConditions = [NodeReady]
            status = ["Ready" if c.get("status") == "True" else "NotReady"]
    if not status:
        status = ["Unknown"]
    if (node.get("spec") or {}).get("unschedulable"):
        status.append("SchedulingDisabled")
    return ",".join(status)


def _address(node: dict, kind: str) -> str:
    for a in (node.get("status") or {}).get("addresses") or ():
        if a.get("type") == kind:
            return a.get("address", "")
    return "<none>"


def _node_row(node: dict, now: float, wide: bool) -> list[str]:
    info = (node.get("status") or {}).get("nodeInfo") or {}
    row = [_meta(node).get("name", ""), node_status(node), ",".join(node_roles(node)) or "<none>",
           _age(node, now), info.get("kubeletVersion", "")]
    if wide:
        row += [_address(node, "InternalIP"), _address(node, "ExternalIP"),
                info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
                info.get("containerRuntimeVersion") or "<unknown>"]
    return row


# -- workloads -------------------------------------------------------------------
def _deployment_row(d: dict, now: float, wide: bool) -> list[str]:
    spec, st = d.get("spec") or {}, d.get("status") or {}
    row = [_meta(d).get("name", ""), f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
           str(st.get("updatedReplicas", 0)), str(st.get("availableReplicas", 0)), _age(d, now)]
    if wide:
        names, images = _containers(spec.get("template"))
        row += [names, images, selector_string(spec.get("selector"))]
    return row


def _replicaset_row(rs: dict, now: float, wide: bool) -> list[str]:
    spec, st = rs.get("spec") or {}, rs.get("status") or {}
    row = [_meta(rs).get("name", ""), str(spec.get("replicas", 1)), str(st.get("replicas", 0)),
           str(st.get("readyReplicas", 0)), _age(rs, now)]
    if wide:
        names, images = _containers(spec.get("template"))
        row += [names, images, format_selector(spec.get("selector"))]
    return row


def _replicationcontroller_row(rc: dict, now: float, wide: bool) -> list[str]:
    # printers.go printReplicationController: the selector is a plain label map
    row = _replicaset_row({**rc, "spec": {**(rc.get("spec") or {}), "selector": None}}, now, wide)
    if wide:
        row[-1] = format_labels((rc.get("spec") or {}).get("selector")) or "<none>"
    return row


def _daemonset_row(ds: dict, now: float, wide: bool) -> list[str]:
    # printers.go printDaemonSet
    spec, st = ds.get("spec") or {}, ds.get("status") or {}
    node_selector = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector")
    row = [_meta(ds).get("name", ""), str(st.get("desiredNumberScheduled", 0)),
           str(st.get("currentNumberScheduled", 0)), str(st.get("numberReady", 0)),
           str(st.get("updatedNumberScheduled", 0)), str(st.get("numberAvailable", 0)),
           format_labels(node_selector) if node_selector else "<none>", _age(ds, now)]
    if wide:
        names, images = _containers(spec.get("template"))
        row += [names, images, format_selector(spec.get("selector"))]
    return row


def _pdb_row(pdb: dict, now: float, wide: bool) -> list[str]:
    # printers.go printPodDisruptionBudget: MIN AVAILABLE / MAX UNAVAILABLE "N/A" when unset
    spec, st = pdb.get("spec") or {}, pdb.get("status") or {}
    unset = lambda v: "N/A" if v is None else str(v)  # noqa: E731
    return [_meta(pdb).get("name", ""), unset(spec.get("minAvailable")), unset(spec.get("maxUnavailable")),
            str(st.get("disruptionsAllowed", 0)), _age(pdb, now)]


def _statefulset_row(sts: dict, now: float, wide: bool) -> list[str]:
    # printers.go printStatefulSet
    spec, st = sts.get("spec") or {}, sts.get("status") or {}
    row = [_meta(sts).get("name", ""), f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 1)}", _age(sts, now)]
    if wide:
        row += list(_containers(spec.get("template")))
    return row


# -- the rest ------------------------------------------------------------------------
def _namespace_row(ns: dict, now: float, wide: bool) -> list[str]:
    return [_meta(ns).get("name", ""), (ns.get("status") or {}).get("phase", ""), _age(ns, now)]


def _configmap_row(cm: dict, now: float, wide: bool) -> list[str]:
    return [_meta(cm).get("name", ""), str(len(cm.get("data") or {}) + len(cm.get("binaryData") or {})),
            _age(cm, now)]


def _serviceaccount_row(sa: dict, now: float, wide: bool) -> list[str]:
    return [_meta(sa).get("name", ""), str(len(sa.get("secrets") or [])), _age(sa, now)]


def _lease_row(lease: dict, now: float, wide: bool) -> list[str]:
    return [_meta(lease).get("name", ""), (lease.get("spec") or {}).get("holderIdentity") or "",
            _age(lease, now)]


def _event_row(ev: dict, now: float, wide: bool) -> list[str]:
    first = since(ev.get("firstTimestamp"), now) if ev.get("firstTimestamp") else since(ev.get("eventTime"), now)
    last = since(ev.get("lastTimestamp"), now) if ev.get("lastTimestamp") else first
    count = ev.get("count") or 0
    series = ev.get("series")
    if series:
        last, count = since(series.get("lastObservedTime"), now), series.get("count", 0)
    elif count == 0:
        count = 1   # singleton events don't have a count in the new API
    obj = ev.get("involvedObject") or {}
    target = f"{(obj.get('kind') or '').lower()}/{obj['name']}" if obj.get("name") \
        else (obj.get("kind") or "").lower()
    message = (ev.get("message") or "").strip()
    if not wide:
        return [last, ev.get("type", ""), ev.get("reason", ""), target, message]
    src = ev.get("source") or {}
    component = src.get("component") or ev.get("reportingComponent") or ev.get("reportingController") or ""
    host = src.get("host") or ev.get("reportingInstance") or ""
    source = f"{component}, {host}" if host else component
    return [last, ev.get("type", ""), ev.get("reason", ""), target, obj.get("fieldPath", ""), source,
            message, first, str(count), _meta(ev).get("name", "")]


def _job_row(job: dict, now: float, wide: bool) -> list[str]:
    # printers.go printJob: status from the conditions, completions, duration
    spec, st = job.get("spec") or {}, job.get("status") or {}
    true = {c.get("type") for c in st.get("conditions") or () if c.get("status") == "True"}
    if spec.get("completions") is not None:
        completions = f"{st.get('succeeded', 0)}/{spec['completions']}"
    elif (spec.get("parallelism") or 0) > 1:
        completions = f"{st.get('succeeded', 0)}/1 of {spec['parallelism']}"
    else:
        completions = f"{st.get('succeeded', 0)}/1"
    start, done = seconds_of(st.get("startTime")), seconds_of(st.get("completionTime"))
    duration = "" if start is None else human_duration((done if done is not None else now) - start)
    status = ("Complete" if "Complete" in true else "Failed" if "Failed" in true
              else "Terminating" if _meta(job).get("deletionTimestamp") else "Suspended" if "Suspended" in true
              else "FailureTarget" if "FailureTarget" in true
              else "SuccessCriteriaMet" if "SuccessCriteriaMet" in true else "Running")
    row = [_meta(job).get("name", ""), status, completions, duration, _age(job, now)]
    if wide:
        names, images = _containers(spec.get("template"))
        row += [names, images, format_selector(spec.get("selector"))]
    return row


def _cronjob_row(cj: dict, now: float, wide: bool) -> list[str]:
    # printers.go printCronJob
    spec, st = cj.get("spec") or {}, cj.get("status") or {}
    suspend = spec.get("suspend")
    last = since(st["lastScheduleTime"], now) if st.get("lastScheduleTime") else "<none>"
    row = [_meta(cj).get("name", ""), spec.get("schedule", ""), spec.get("timeZone") or "<none>",
           "<unset>" if suspend is None else str(bool(suspend)), str(len(st.get("active") or ())), last,
           _age(cj, now)]
    if wide:
        names, images = _containers(((spec.get("jobTemplate") or {}).get("spec") or {}).get("template"))
        sel = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("selector")
        row += [names, images, format_selector(sel)]
    return row


RowFn = Callable[[dict, float, bool], list]

#: plural -> (columns, row function). Headers are printers.go column names, upper-cased.
TABLES: dict[str, tuple[list[Column], RowFn]] = {
    "pods": ([("NAME", 0), ("READY", 0), ("STATUS", 0), ("RESTARTS", 0), ("AGE", 0), ("IP", 1),
              ("NODE", 1), ("NOMINATED NODE", 1), ("READINESS GATES", 1)], pod_row),
    "nodes": ([("NAME", 0), ("STATUS", 0), ("ROLES", 0), ("AGE", 0), ("VERSION", 0), ("INTERNAL-IP", 1),
               ("EXTERNAL-IP", 1), ("OS-IMAGE", 1), ("KERNEL-VERSION", 1), ("CONTAINER-RUNTIME", 1)],
              _node_row),
    "deployments": ([("NAME", 0), ("READY", 0), ("UP-TO-DATE", 0), ("AVAILABLE", 0), ("AGE", 0),
                     ("CONTAINERS", 1), ("IMAGES", 1), ("SELECTOR", 1)], _deployment_row),
    "replicasets": ([("NAME", 0), ("DESIRED", 0), ("CURRENT", 0), ("READY", 0), ("AGE", 0),
                     ("CONTAINERS", 1), ("IMAGES", 1), ("SELECTOR", 1)], _replicaset_row),
    "replicationcontrollers": ([("NAME", 0), ("DESIRED", 0), ("CURRENT", 0), ("READY", 0), ("AGE", 0),
                                ("CONTAINERS", 1), ("IMAGES", 1), ("SELECTOR", 1)], _replicationcontroller_row),
    "daemonsets": ([("NAME", 0), ("DESIRED", 0), ("CURRENT", 0), ("READY", 0), ("UP-TO-DATE", 0),
                    ("AVAILABLE", 0), ("NODE SELECTOR", 0), ("AGE", 0), ("CONTAINERS", 1), ("IMAGES", 1),
                    ("SELECTOR", 1)], _daemonset_row),
    "statefulsets": ([("NAME", 0), ("READY", 0), ("AGE", 0), ("CONTAINERS", 1), ("IMAGES", 1)],
                     _statefulset_row),
    "poddisruptionbudgets": ([("NAME", 0), ("MIN AVAILABLE", 0), ("MAX UNAVAILABLE", 0),
                              ("ALLOWED DISRUPTIONS", 0), ("AGE", 0)], _pdb_row),
    **SERVICE_TABLES,   # services, endpoints, endpointslices (columns_services.py)
    "events": ([("LAST SEEN", 0), ("TYPE", 0), ("REASON", 0), ("OBJECT", 0), ("SUBOBJECT", 1),
                ("SOURCE", 1), ("MESSAGE", 0), ("FIRST SEEN", 1), ("COUNT", 1), ("NAME", 1)], _event_row),
    "namespaces": ([("NAME", 0), ("STATUS", 0), ("AGE", 0)], _namespace_row),
    "configmaps": ([("NAME", 0), ("DATA", 0), ("AGE", 0)], _configmap_row),
    "serviceaccounts": ([("NAME", 0), ("SECRETS", 0), ("AGE", 0)], _serviceaccount_row),
    "leases": ([("NAME", 0), ("HOLDER", 0), ("AGE", 0)], _lease_row),
    "jobs": ([("NAME", 0), ("STATUS", 0), ("COMPLETIONS", 0), ("DURATION", 0), ("AGE", 0), ("CONTAINERS", 1),
              ("IMAGES", 1), ("SELECTOR", 1)], _job_row),
    "cronjobs": ([("NAME", 0), ("SCHEDULE", 0), ("TIMEZONE", 0), ("SUSPEND", 0), ("ACTIVE", 0),
                  ("LAST SCHEDULE", 0), ("AGE", 0), ("CONTAINERS", 1), ("IMAGES", 1), ("SELECTOR", 1)], _cronjob_row),
}


from .columns_storage import STORAGE_TABLES as _STORAGE_TABLES  # noqa: E402 - pv, pvc, sc
TABLES.update(_STORAGE_TABLES)
from .columns_csi import CSI_TABLES as _CSI_TABLES  # noqa: E402 - volumeattachments, csinodes, csidrivers
TABLES.update(_CSI_TABLES)
from .columns_networking import NETWORKING_TABLES as _NETWORKING_TABLES  # noqa: E402 - ingresses, ingressclasses
TABLES.update(_NETWORKING_TABLES)
from .columns_rbac import RBAC_TABLES as _RBAC_TABLES  # noqa: E402 - rolebindings, clusterrolebindings
TABLES.update(_RBAC_TABLES)
from .columns_config import CONFIG_TABLES as _CONFIG_TABLES  # noqa: E402 - secrets, resourcequotas, podtemplates
TABLES.update(_CONFIG_TABLES)
from .columns_cluster import CLUSTER_TABLES as _CLUSTER_TABLES  # noqa: E402 - priorityclasses, controllerrevisions...
TABLES.update(_CLUSTER_TABLES)
from .columns_autoscaling import AUTOSCALING_TABLES as _AUTOSCALING_TABLES  # noqa: E402 - hpa
TABLES.update(_AUTOSCALING_TABLES)
from .columns_autoscaling import hpa_metrics  # noqa: E402,F401 - re-exported (tests, describers)


def _default_row(obj: dict, now: float, wide: bool) -> list[str]:
    return [_meta(obj).get("name", ""), _age(obj, now)]


def _created_at_row(obj: dict, now: float, wide: bool) -> list[str]:
    """rest.DefaultTableConvertor (k8s.io/apiserver/pkg/registry/rest/table.go): the name and
    ``creationTimestamp.UTC().Format(time.RFC3339)``."""
    t = seconds_of(_meta(obj).get("creationTimestamp"))
    return [_meta(obj).get("name", ""), "0001-01-01T00:00:00Z" if t is None else rfc3339(t)]


def table_for(plural: str, crd: dict | None = None, version: str = "") -> tuple[list[Column], RowFn]:
    """Columns and row function for a resource.

    A built-in kind without a printer in printers.go (roles, clusterroles, limitranges,
    customresourcedefinitions...) gets the default table convertor, ``NAME  CREATED AT``; a
    custom resource gets its CRD's additionalPrinterColumns for ``version``
    (:mod:`.columns_crd`), ``NAME  AGE`` when it declares none or ``crd`` is not given.
    """
    from ..api.resources import BUILTIN
    if crd is not None:
        from .columns_crd import crd_table
        return crd_table(crd, version)
    if plural in TABLES:
        return TABLES[plural]
    if plural in BUILTIN:
        return [("NAME", 0), ("CREATED AT", 0)], _created_at_row
    return [("NAME", 0), ("AGE", 0)], _default_row
