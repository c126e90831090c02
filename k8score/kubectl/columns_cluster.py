"""``kubectl get`` columns of priorityclasses, controllerrevisions, admission webhook
configurations, runtimeclasses, networkpolicies and certificatesigningrequests
(pkg/printers/internalversion/printers.go: printPriorityClass, printControllerRevision,
printMutatingWebhook, printValidatingWebhook, printRuntimeClass, printNetworkPolicy,
printCertificateSigningRequest with extractCSRStatus).

Registered into :data:`k8score.kubectl.columns.TABLES`. Cells are what the API server puts
in its Table, which it always builds with ``GenerateOptions{Wide: true}``
(pkg/printers/storage/storage.go): so PriorityClass's PREEMPTIONPOLICY, a column without
``Priority: 1`` whose cell printPriorityClass adds only when wide, shows in plain
``kubectl get priorityclasses`` too.

>>> cr = {"metadata": {"name": "agent-5d9", "ownerReferences": [{"apiVersion": "apps/v1",
...       "kind": "DaemonSet", "name": "agent", "controller": True}]}, "revision": 2}
>>> _revision_row(cr, 0.0, False)[:3]
['agent-5d9', 'daemonset.apps/agent', '2']
"""

from __future__ import annotations

from .timefmt import human_duration, since


def _m(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _age(obj: dict, now: float) -> str:
    return since(_m(obj).get("creationTimestamp"), now)


def _priorityclass_row(pc: dict, now: float, wide: bool) -> list[str]:
    return [_m(pc).get("name", ""), str(pc.get("value", 0)), "true" if pc.get("globalDefault") else "false",
            _age(pc, now), pc.get("preemptionPolicy") or ""]


def controller_name(obj: dict) -> str:
    """metav1.GetControllerOf + formatResourceName(withKind): ``kind.group/name`` lower-cased
    (``kind/name`` for the core group), ``<none>`` without a controller reference."""
    for ref in _m(obj).get("ownerReferences") or ():
        if ref.get("controller"):
            api_version = ref.get("apiVersion") or ""
            group = api_version.split("/")[0] if "/" in api_version else ""
            kind = ref.get("kind") or ""
            if not kind and not group:   # schema.GroupKind.Empty(): the bare name
                return ref.get("name", "")
            return (f"{kind}.{group}" if group else kind).lower() + "/" + ref.get("name", "")
    return "<none>"


def _revision_row(cr: dict, now: float, wide: bool) -> list[str]:
    return [_m(cr).get("name", ""), controller_name(cr), str(cr.get("revision", 0)), _age(cr, now)]


def _webhooks_row(cfg: dict, now: float, wide: bool) -> list[str]:
    return [_m(cfg).get("name", ""), str(len(cfg.get("webhooks") or ())), _age(cfg, now)]


def _runtimeclass_row(rc: dict, now: float, wide: bool) -> list[str]:
    return [_m(rc).get("name", ""), rc.get("handler", ""), _age(rc, now)]


def _networkpolicy_row(np: dict, now: float, wide: bool) -> list[str]:
    from .columns import format_selector   # metav1.FormatLabelSelector: {} -> <none>
    return [_m(np).get("name", ""), format_selector((np.get("spec") or {}).get("podSelector")), _age(np, now)]


def csr_condition(csr: dict) -> str:
    """extractCSRStatus: Denied over Approved over Pending, then ``,Failed``, ``,Issued``."""
    types = {c.get("type") for c in (csr.get("status") or {}).get("conditions") or ()}
    status = "Denied" if "Denied" in types else "Approved" if "Approved" in types else "Pending"
    if "Failed" in types:
        status += ",Failed"
    if (csr.get("status") or {}).get("certificate"):
        status += ",Issued"
    return status


def _csr_row(csr: dict, now: float, wide: bool) -> list[str]:
    spec = csr.get("spec") or {}
    seconds = spec.get("expirationSeconds")
    return [_m(csr).get("name", ""), _age(csr, now), spec.get("signerName") or "<none>", spec.get("username", ""),
            "<none>" if seconds is None else human_duration(seconds), csr_condition(csr)]


_WEBHOOK_COLUMNS = [("NAME", 0), ("WEBHOOKS", 0), ("AGE", 0)]

CLUSTER_TABLES = {
    "priorityclasses": ([("NAME", 0), ("VALUE", 0), ("GLOBAL-DEFAULT", 0), ("AGE", 0), ("PREEMPTIONPOLICY", 0)],
                        _priorityclass_row),
    "controllerrevisions": ([("NAME", 0), ("CONTROLLER", 0), ("REVISION", 0), ("AGE", 0)], _revision_row),
    "mutatingwebhookconfigurations": (_WEBHOOK_COLUMNS, _webhooks_row),
    "validatingwebhookconfigurations": (_WEBHOOK_COLUMNS, _webhooks_row),
    "runtimeclasses": ([("NAME", 0), ("HANDLER", 0), ("AGE", 0)], _runtimeclass_row),
    "networkpolicies": ([("NAME", 0), ("POD-SELECTOR", 0), ("AGE", 0)], _networkpolicy_row),
    "certificatesigningrequests": ([("NAME", 0), ("AGE", 0), ("SIGNERNAME", 0), ("REQUESTOR", 0),
                                    ("REQUESTEDDURATION", 0), ("CONDITION", 0)], _csr_row),
}

__all__ = ["CLUSTER_TABLES", "controller_name", "csr_condition"]
