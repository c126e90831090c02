"""Table output (``Accept: application/json;as=Table;v=v1;g=meta.k8s.io``): the server-side
printing kubectl asks for (k8s.io/apiserver/pkg/endpoints/handlers/response.go, tableconvertor;
pkg/printers/internalversion/printers.go for the columns).

The columns are the same printers the kubectl emulation uses (k8score/kubectl/columns.py: one
implementation), named as printers.go names them ("Name", "Ready", "Cluster-IP"...); kubectl
upper-cases them. Each row carries the object's metadata as a PartialObjectMetadata
(``includeObject=Metadata``, kubectl's default), or the whole object with ``includeObject=Object``.

A custom resource's Table is its CRD's additionalPrinterColumns (apiextensions-apiserver
tableconvertor.go; k8score/kubectl/columns_crd.py): the CRD is looked up by resource, so
callers pass ``api``; without it a custom resource gets the default ``Name``/``Age``.
"""

from __future__ import annotations

from typing import Any

#: printers.go column names that are not simply title-cased headers
_NAMES = {"CLUSTER-IP": "Cluster-IP", "EXTERNAL-IP": "External-IP", "PORT(S)": "Port(s)", "IP": "IP",
          "UP-TO-DATE": "Up-to-date", "LAST SEEN": "Last Seen", "NOMINATED NODE": "Nominated Node",
          "READINESS GATES": "Readiness Gates", "FIRST SEEN": "First Seen",
          "ADDRESSTYPE": "AddressType", "INTERNAL-IP": "Internal-IP", "OS-IMAGE": "OS-Image",
          "KERNEL-VERSION": "Kernel-Version", "CONTAINER-RUNTIME": "Container-Runtime", "PV": "PV",
          "MINPODS": "MinPods", "MAXPODS": "MaxPods", "STORAGECLASS": "StorageClass",
          "VOLUMEATTRIBUTESCLASS": "VolumeAttributesClass", "VOLUMEMODE": "VolumeMode",
          "RECLAIMPOLICY": "ReclaimPolicy", "VOLUMEBINDINGMODE": "VolumeBindingMode",
          "ALLOWVOLUMEEXPANSION": "AllowVolumeExpansion", "ATTACHREQUIRED": "AttachRequired",
          "PODINFOONMOUNT": "PodInfoOnMount", "STORAGECAPACITY": "StorageCapacity", "TOKENREQUESTS": "TokenRequests",
          "REQUIRESREPUBLISH": "RequiresRepublish", "SERVICEACCOUNTS": "ServiceAccounts",
          "GLOBAL-DEFAULT": "Global-Default", "PREEMPTIONPOLICY": "PreemptionPolicy", "POD-SELECTOR": "Pod-Selector",
          "SIGNERNAME": "SignerName", "REQUESTEDDURATION": "RequestedDuration"}
#: printers.go column types (kubectl prints every type the same way; clients of the JSON see them)
_TYPES = {"RESTARTS": "string", "COUNT": "integer", "DATA": "integer", "SECRETS": "integer", "ACTIVE": "integer",
          "ALLOWED DISRUPTIONS": "integer", "DESIRED": "integer", "CURRENT": "integer", "AVAILABLE": "integer",
          "WEBHOOKS": "integer", "DRIVERS": "integer", "VALUE": "integer", "GLOBAL-DEFAULT": "boolean",
          "SUSPEND": "boolean", "ATTACHED": "boolean", "ATTACHREQUIRED": "boolean", "PODINFOONMOUNT": "boolean",
          "STORAGECAPACITY": "boolean", "REQUIRESREPUBLISH": "boolean",
          # rest.DefaultTableConvertor's creation time (an RFC 3339 string cell)
          "CREATED AT": "date"}


def wants_table(accept: Any) -> bool:
    """Whether an Accept header asks for a meta.k8s.io/v1 Table first."""
    first = str(accept or "").split(",")[0]
    params = {p.strip().split("=")[0]: p.strip().partition("=")[2] for p in first.split(";")[1:]}
    return params.get("as") == "Table" and params.get("g", "meta.k8s.io") == "meta.k8s.io"


def crd_for(api: Any, info: Any) -> dict | None:
    """The CustomResourceDefinition that serves ``info`` (None for a built-in resource):
    what customresource_handler.go builds a resource's table convertor from."""
    try:
        name = getattr(api.registry.strategy_for(info), "crd_name", None)
    except (AttributeError, KeyError):
        return None
    return api.lister.get("customresourcedefinitions", name) if name else None


def to_table(info: Any, result: dict, now: float, include: str = "Metadata", api: Any = None) -> dict:
    """A list (or one object) of ``info``'s resource as a Table; ``api`` (the APIServer) finds
    a custom resource's CRD."""
    from ..kubectl import columns_crd
    from ..kubectl.columns import table_for  # the one set of printers
    items = result.get("items") if result.get("kind", "").endswith("List") else [result]
    crd = crd_for(api, info) if api is not None else None
    if crd is not None:
        crd_columns = columns_crd.printer_columns(crd, info.version)
        defs = columns_crd.definitions(crd_columns)
        row = lambda obj, now, wide: columns_crd.cells(obj, crd_columns, now)  # noqa: E731
    else:
        columns, row = table_for(info.plural)
        defs = [{"name": _NAMES.get(h, h.title()), "type": _TYPES.get(h, "string"),
                 "format": "name" if h == "NAME" else "", "description": "", "priority": prio}
                for h, prio in columns]
    rows = []
    for obj in items or ():
        cells = row(obj, now, True)
        out: dict = {"cells": cells if crd is not None else [_cell(defs[i]["type"], c) for i, c in enumerate(cells)]}
        if include == "Object":
            out["object"] = obj
        elif include != "None":
            out["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": obj.get("metadata") or {}}
        rows.append(out)
    meta = {k: v for k, v in (result.get("metadata") or {}).items()
            if k in ("resourceVersion", "continue", "remainingItemCount")}
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta,
            "columnDefinitions": defs, "rows": rows}


def _cell(kind: str, value: Any) -> Any:
    if kind == "integer":
        try:
            return int(value)
        except (TypeError, ValueError):
            return value
    return value
