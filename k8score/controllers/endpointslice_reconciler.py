"""The EndpointSlice reconciler: desired endpoints in, slice creates/updates/deletes out.

Upstream staging/src/k8s.io/endpointslice/reconciler.go. For one Service it groups the
selected pods by the ports they resolve (a named targetPort can differ per pod), then per
group keeps existing slices as full as it can with as few writes as possible:

1. walk the existing slices: keep wanted endpoints (updated in place), drop the rest; a
   slice left empty is deleted, a changed one updated (labels follow the Service's);
2. top up the slices already being updated, fullest first;
3. put what is left into the unchanged slice that it fills closest to full, else into new
   slices of at most ``max_endpoints_per_slice`` (100: kube-controller-manager
   ``--max-endpoints-per-slice``).

A Service with no endpoints at all keeps one empty *placeholder* slice (no ports, no
endpoints). Before writing, creates reuse the names of slices about to be deleted
(``finalize``: an update instead of a delete plus a create). Upstream pops endpoints from a
hash set; k8score packs them in address order so the same input gives the same slices.

Topology: ``spec.trafficDistribution: PreferClose`` (``PreferSameZone``,
``PreferSameNode``) gives each ready endpoint ``hints.forZones`` (and ``forNodes``) of its
own zone / node (trafficdist.go). The ``service.kubernetes.io/topology-mode: Auto``
annotation's CPU-proportional zone allocation (topologycache) is not modelled: such a
Service gets no hints, as upstream does when the allocation is infeasible.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from ..client.errors import ApiError
from . import endpointslice_util as u
from .endpointslice_tracker import EndpointSliceTracker

#: kube-controller-manager --max-endpoints-per-slice default
#: (pkg/controller/endpointslice/config/v1alpha1/defaults.go)
MAX_ENDPOINTS_PER_SLICE = 100


class ReconcileError(Exception):
    """Some writes failed or some pods were skipped; the sync is retried (utilerrors aggregate)."""


class Reconciler:
    """Writes the EndpointSlices of Services. ``nodes(name)`` -> Node or None (the lister)."""

    def __init__(self, client: Any, nodes: Callable[[str], dict | None], controller_name: str,
                 tracker: EndpointSliceTracker, max_endpoints_per_slice: int = MAX_ENDPOINTS_PER_SLICE):
        self.client = client
        self.tracker = tracker
        self.nodes = nodes
        self.controller_name = controller_name
        self.max = max_endpoints_per_slice

    def reconcile(self, service: dict, pods: list[dict], existing: list[dict]) -> None:
        """Make ``service``'s slices (``existing``: those labelled as its and this controller's)
        represent ``pods``; raises :class:`ReconcileError` / ApiError after doing what it could."""
        supported = u.address_types_for_service(service)
        to_delete = [s for s in existing if s.get("addressType") not in supported]
        errors: list[str] = []
        for address_type in supported:
            mine = [s for s in existing if s.get("addressType") == address_type]
            try:
                self._by_address_type(service, pods, mine, address_type, errors)
            except ApiError as err:
                errors.append(str(err))
        ns, name = service["metadata"].get("namespace"), service["metadata"]["name"]
        for s in to_delete:
            try:
                u.delete_slice(self.client, self.tracker, ns, s)
            except ApiError as err:
                errors.append(f"error deleting {s['metadata']['name']} EndpointSlice for Service {ns}/{name}: {err}")
        if errors:
            raise ReconcileError("[" + ", ".join(errors) + "]" if len(errors) > 1 else errors[0])

    # -- one address type ------------------------------------------------------------------
    def _by_address_type(self, service: dict, pods: list[dict], existing: list[dict], address_type: str,
                         errors: list[str]) -> None:
        meta = service["metadata"]
        publish = bool((service.get("spec") or {}).get("publishNotReadyAddresses"))
        to_create: list[dict] = []
        to_update: list[dict] = []
        to_delete: list[dict] = []
        existing_by_ports: dict[tuple, list[dict]] = {}
        for s in sorted(existing, key=lambda s: s["metadata"]["name"]):
            if u.owned_by(s, service, "Service"):
                existing_by_ports.setdefault(u.port_map_key(s.get("ports") or []), []).append(s)
            else:   # a slice of an older Service of the same name
                to_delete.append(s)

        desired_ports: dict[tuple, list[dict]] = {}
        desired: dict[tuple, list[dict]] = {}
        for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
            if not u.should_pod_be_in_endpoints(pod):
                continue
            ports = u.endpoint_ports(service, pod)
            key = u.port_map_key(ports)
            desired_ports.setdefault(key, ports)
            desired.setdefault(key, [])
            node_name = (pod.get("spec") or {}).get("nodeName") or ""
            node = self.nodes(node_name) if node_name else None
            if node is None and not publish:
                # "skipping Pod for Service, Node not found": retried, the slice written without it
                errors.append(f"skipping Pod {pod['metadata']['name']} for Service {meta.get('namespace')}/"
                              f"{meta['name']}: Node {node_name} Not Found")
                continue
            ep = u.pod_to_endpoint(pod, node, service, address_type)
            if ep["addresses"]:
                desired[key].append(ep)

        for key in sorted(desired):
            eps = {u.endpoint_key(ep): ep for ep in sorted(desired[key], key=u.endpoint_order)}
            c, up, d = self._by_port_mapping(service, existing_by_ports.get(key, []), eps,
                                             desired_ports[key], address_type)
            to_create += c
            to_update += up
            to_delete += d
        for key in sorted(existing_by_ports):
            if key not in desired:
                to_delete += existing_by_ports[key]

        # "When no endpoint slices would usually exist, we need to add a placeholder."
        if len(existing) == len(to_delete) and not to_create:
            placeholder = u.new_service_slice(service, [], address_type, self.controller_name)
            if len(to_delete) == 1 and _same_placeholder(to_delete[0], placeholder):
                to_delete = []   # the placeholder is already there: keep it
            else:
                to_create.append(placeholder)

        unchanged = [s for s in existing if s["metadata"]["name"] not in
                     {x["metadata"]["name"] for x in to_update + to_delete}]
        traffic = (service.get("spec") or {}).get("trafficDistribution")
        annotations = meta.get("annotations")
        if traffic in u.CLOSE_TRAFFIC and not u.hints_enabled(annotations):
            for s in unchanged:   # trafficdist.ReconcileHints: unchanged slices missing hints
                fixed = copy.deepcopy(s)
                if u.apply_hints(fixed, traffic):
                    to_update.append(fixed)
            for s in to_create + to_update:
                u.apply_hints(s, traffic)
        else:                     # topologycache.RemoveHintsFromSlices
            for s in to_create + to_update:
                u.apply_hints(s, None)
        self._finalize(service, to_create, to_update, to_delete)

    def _by_port_mapping(self, service: dict, existing: list[dict], desired: dict[tuple, dict],
                         ports: list[dict], address_type: str) -> tuple[list, list, list]:
        """reconcileByPortMapping: (to create, to update, to delete) for one group of ports."""
        by_name: dict[str, dict] = {}
        unchanged: list[str] = []
        updating: list[str] = []
        deleting: list[str] = []
        for s in existing:
            name = s["metadata"]["name"]
            by_name[name] = s
            kept, changed = [], False
            for ep in s.get("endpoints") or ():
                want = desired.pop(u.endpoint_key(ep), None)
                if want is not None:
                    kept.append(want)
                    changed = changed or not u.endpoints_equal_beyond_hash(want, ep)
            labels, labels_changed = u.service_slice_labels(s["metadata"].get("labels"), service,
                                                            self.controller_name)
            if changed or len(kept) != len(s.get("endpoints") or ()):
                if not kept:
                    deleting.append(name)
                    continue
                by_name[name] = _with(s, endpoints=kept, labels=labels)
                updating.append(name)
            elif labels_changed:
                by_name[name] = _with(s, labels=labels)
                updating.append(name)
            else:
                unchanged.append(name)

        # 2. top up the slices being written anyway, fullest first
        if desired and updating:
            for name in sorted(updating, key=lambda n: -len(by_name[n]["endpoints"])):
                self._fill(by_name[name], desired)
        # 3. the fullest-fitting unchanged slice, else new ones
        to_create: list[dict] = []
        while desired:
            target = None
            if len(desired) < self.max and unchanged:
                target = _slice_to_fill([by_name[n] for n in unchanged], len(desired), self.max)
            if target is None:
                target = u.new_service_slice(service, ports, address_type, self.controller_name)
            else:
                target = copy.deepcopy(target)
                by_name[target["metadata"]["name"]] = target
            self._fill(target, desired)
            name = target["metadata"].get("name")
            if name:
                updating.append(name)
                unchanged.remove(name)
            else:
                to_create.append(target)
        return to_create, [by_name[n] for n in updating], [by_name[n] for n in deleting]

    def _fill(self, slice_: dict, desired: dict[tuple, dict]) -> None:
        eps = slice_.setdefault("endpoints", [])
        while desired and len(eps) < self.max:
            eps.append(desired.pop(next(iter(desired))))

    # -- writes -------------------------------------------------------------------------------
    def _finalize(self, service: dict, to_create: list[dict], to_update: list[dict],
                  to_delete: list[dict]) -> None:
        """reconciler.go finalize: recycle deletes as updates, then create, update, delete."""
        i = 0
        while i < len(to_delete) and to_create:
            old = to_delete[i]
            if old.get("addressType") == to_create[-1].get("addressType") and u.owned_by(old, service, "Service"):
                fresh = to_create.pop()
                fresh["metadata"].pop("generateName", None)
                fresh["metadata"]["name"] = old["metadata"]["name"]
                to_update.append(fresh)
                del to_delete[i]
            else:
                i += 1
        meta = service["metadata"]
        u.write_slices(self.client, self.tracker, meta.get("namespace"), meta.get("deletionTimestamp") is not None,
                       to_create, to_update, to_delete)


def _with(s: dict, **fields: Any) -> dict:
    out = copy.deepcopy(s)
    if "endpoints" in fields:
        out["endpoints"] = fields["endpoints"]
    if "labels" in fields:
        out["metadata"]["labels"] = fields["labels"]
    return out


def _slice_to_fill(slices: list[dict], n: int, maximum: int) -> dict | None:
    """utils.go getSliceToFill: the slice that ``n`` more endpoints leave closest to full."""
    best, closest = None, maximum
    for s in slices:
        diff = maximum - (n + len(s.get("endpoints") or ()))
        if 0 <= diff < closest:
            best, closest = s, diff
            if diff == 0:
                break
    return best


def _same_placeholder(a: dict, b: dict) -> bool:
    """placeholderSliceCompare: namespace, labels, ownerReferences and the body (empty and
    missing lists alike); names and other metadata ignored."""
    ma, mb = a.get("metadata") or {}, b.get("metadata") or {}
    return (ma.get("namespace") == mb.get("namespace") and (ma.get("labels") or {}) == (mb.get("labels") or {})
            and a.get("addressType") == b.get("addressType")
            and (a.get("endpoints") or []) == (b.get("endpoints") or [])
            and (a.get("ports") or []) == (b.get("ports") or []))


