"""The EndpointSlice mirroring controller (pkg/controller/endpointslicemirroring/).

A Service without a selector has its Endpoints written by hand (or by another controller);
this controller mirrors each such Endpoints into EndpointSlices so that readers of slices
(kube-proxy, CoreDNS) see them too. Per subset (after ``RepackSubsets``) and address
family it keeps one slice: ``addresses`` become endpoints with ``ready: true``,
``notReadyAddresses`` ones with ``ready: false``; at most 1000 addresses per subset are
mirrored (``--mirroring-max-endpoints-per-subset``). Mirrored slices copy the Endpoints'
labels and annotations (but ``endpoints.kubernetes.io/last-change-trigger-time`` and
``kubectl.kubernetes.io/last-applied-configuration``), are owned by the Endpoints and
labelled ``endpointslice.kubernetes.io/managed-by: endpointslicemirroring-controller.k8s.io``.

Not mirrored: Endpoints labelled ``endpointslice.kubernetes.io/skip-mirror: "true"`` (the
endpoints controller marks its own, the API server the ``kubernetes`` Service's), those
with a leader-election annotation, and those whose Service is missing or has a selector —
their mirrored slices are deleted.
"""

from __future__ import annotations

import copy
import ipaddress
from typing import Any

from ..client import Requeue
from ..client.meta import split_key
from ..lang import Text
from . import endpointslice_util as u
from .base import Controller
from .endpointslice import SLICE_CHANGE_DELAY, service_queue
from .endpointslice_tracker import EndpointSliceTracker

#: endpointslicemirroring_controller.go controllerName
CONTROLLER_NAME = "endpointslicemirroring-controller.k8s.io"
#: --mirroring-max-endpoints-per-subset default (endpointslicemirroring/config/v1alpha1/defaults.go)
MAX_ENDPOINTS_PER_SUBSET = 1000
#: resourcelock.LeaderElectionRecordAnnotationKey (utils.go hasLeaderElection)
LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader"
#: annotations not copied to mirrored slices (utils.go newEndpointSlice)
_NOT_COPIED = ("endpoints.kubernetes.io/last-change-trigger-time", "kubectl.kubernetes.io/last-applied-configuration")


def should_mirror(endpoints: dict | None) -> bool:
    meta = (endpoints or {}).get("metadata") or {}
    return endpoints is not None and (meta.get("labels") or {}).get(u.LABEL_SKIP_MIRROR) != "true" \
        and LEADER_ANNOTATION not in (meta.get("annotations") or {})


def address_to_endpoint(address: dict, ready: bool) -> tuple[dict, str] | None:
    """utils.go addressToEndpoint: (endpoint, addressType), None for an invalid IP."""
    try:
        ip = ipaddress.ip_address(address.get("ip") or "")
    except ValueError:
        return None
    ep: dict[str, Any] = {"addresses": [str(ip)], "conditions": {"ready": ready}}
    if address.get("hostname"):
        ep["hostname"] = address["hostname"]
    if address.get("targetRef"):
        ep["targetRef"] = copy.deepcopy(address["targetRef"])
    if address.get("nodeName"):
        ep["nodeName"] = address["nodeName"]
    return ep, "IPv4" if ip.version == 4 else "IPv6"


def _slice_ports(ports: list[dict]) -> list[dict]:
    """utils.go epPortsToEpsPorts."""
    out = []
    for p in ports or ():
        port = {"name": p.get("name", ""), "port": p.get("port"), "protocol": p.get("protocol", "TCP")}
        if p.get("appProtocol"):
            port["appProtocol"] = p["appProtocol"]
        out.append(port)
    return out


def desired_slices(endpoints: dict, max_per_subset: int = MAX_ENDPOINTS_PER_SUBSET) -> tuple[dict, int, int]:
    """reconciler.go reconcile's desired state: {(addressType, port key): (ports, {key: endpoint})},
    the number of invalid addresses and of addresses skipped in all."""
    desired: dict[tuple, tuple[list, dict]] = {}
    invalid = skipped = 0
    for subset in _repack(endpoints.get("subsets") or []):
        ports = _slice_ports(subset.get("ports") or [])
        added = 0
        total = len(subset.get("addresses") or ()) + len(subset.get("notReadyAddresses") or ())
        for field, ready in (("addresses", True), ("notReadyAddresses", False)):
            for address in subset.get(field) or ():
                if added >= max_per_subset:
                    break
                got = address_to_endpoint(address, ready)
                if got is None:
                    invalid += 1
                    continue
                ep, family = got
                group = desired.setdefault((family, u.port_map_key(ports)), (ports, {}))
                group[1].setdefault(u.endpoint_key(ep), ep)
                added += 1
        skipped += total - added
    return desired, invalid, skipped


def _repack(subsets: list[dict]) -> list[dict]:
    """endpoints.RepackSubsets (simplified): subsets with the same ports become one."""
    merged: dict[tuple, dict] = {}
    for s in subsets:
        key = u.port_map_key(_slice_ports(s.get("ports") or []))
        m = merged.setdefault(key, {"ports": s.get("ports") or [], "addresses": [], "notReadyAddresses": []})
        m["addresses"] += s.get("addresses") or []
        m["notReadyAddresses"] += s.get("notReadyAddresses") or []
    return list(merged.values())


class EndpointSliceMirroringController(Controller):
    name = "endpointslicemirroring"
    kind = "endpointslicemirroring-controller"
    watches = ("services", "endpoints", "endpointslices")
    writes = ("endpointslices",)
    summary = Text("把无选择器 Service 的 Endpoints 镜像成 EndpointSlice，供 kube-proxy 与 CoreDNS 读取",
                   "Mirrors the Endpoints of Services without a selector into EndpointSlices, for kube-proxy and CoreDNS to read")
    event_component = "endpoint-slice-mirroring-controller"

    def setup(self) -> None:
        self.queue = service_queue(self.loop, self.name)
        self.tracker = EndpointSliceTracker()
        self.svc_informer = self.informer("services")
        self.ep_informer = self.informer("endpoints")
        self.slice_informer = self.informer("endpointslices")
        self.svc_informer.add_event_handler(on_add=self._svc_changed, on_update=self._svc_updated,
                                            on_delete=self._svc_changed)
        self.ep_informer.add_event_handler(on_add=self._ep_changed, on_delete=self._ep_changed,
                                           on_update=self._ep_updated)
        self.slice_informer.add_event_handler(on_add=self._slice_added, on_update=self._slice_updated,
                                              on_delete=self._slice_deleted)

    # -- handlers (endpointslicemirroring_controller.go on*) ---------------------------------------
    def _svc_changed(self, svc: dict) -> None:
        if not (svc.get("spec") or {}).get("selector"):
            self.enqueue(svc)

    def _svc_updated(self, old: dict, cur: dict) -> None:
        if bool((old.get("spec") or {}).get("selector")) != bool((cur.get("spec") or {}).get("selector")):
            self.enqueue(cur)

    def _ep_changed(self, ep: dict) -> None:
        if should_mirror(ep):
            self.enqueue(ep)

    def _ep_updated(self, old: dict, cur: dict) -> None:
        if should_mirror(old) or should_mirror(cur):
            self.enqueue(cur)

    def _mine(self, slice_: dict) -> bool:
        return ((slice_.get("metadata") or {}).get("labels") or {}).get(u.LABEL_MANAGED_BY) == CONTROLLER_NAME

    def _queue_for_slice(self, slice_: dict) -> None:
        meta = slice_.get("metadata") or {}
        name = (meta.get("labels") or {}).get(u.LABEL_SERVICE_NAME)
        if name:
            self.queue.add_after(f"{meta.get('namespace')}/{name}", SLICE_CHANGE_DELAY)

    def _slice_added(self, slice_: dict) -> None:
        if self._mine(slice_) and self.tracker.should_sync(slice_):
            self._queue_for_slice(slice_)

    def _slice_updated(self, old: dict, cur: dict) -> None:
        if (old["metadata"].get("labels") or {}).get(u.LABEL_SERVICE_NAME) != \
                (cur["metadata"].get("labels") or {}).get(u.LABEL_SERVICE_NAME):
            self._queue_for_slice(cur)
            self._queue_for_slice(old)
        elif self._mine(old) != self._mine(cur) or (self._mine(cur) and self.tracker.should_sync(cur)):
            self._queue_for_slice(cur)

    def _slice_deleted(self, slice_: dict) -> None:
        if self._mine(slice_) and self.tracker.has(slice_) and not self.tracker.handle_deletion(slice_):
            self._queue_for_slice(slice_)

    # -- the sync -------------------------------------------------------------------------------
    def _mirrored(self, ns: str | None, name: str) -> list[dict]:
        return sorted((s for s in self.slice_informer.list(ns)
                       if (s["metadata"].get("labels") or {}).get(u.LABEL_SERVICE_NAME) == name and self._mine(s)),
                      key=lambda s: s["metadata"]["name"])

    def sync(self, key: Any) -> None:
        ns, name = split_key(key)
        endpoints = self.ep_informer.get(key)
        svc = self.svc_informer.get(key)
        if endpoints is None or not should_mirror(endpoints) or svc is None or \
                (svc.get("spec") or {}).get("selector"):
            self.tracker.delete_service(ns, name)   # deleteMirroredSlices
            for s in self._mirrored(ns, name):
                u.delete_slice(self.client, self.tracker, ns, s)
            return
        slices = self._mirrored(ns, name)
        if self.tracker.stale(ns, name, slices):
            raise Requeue("EndpointSlice informer cache is out of date")
        self._reconcile(endpoints, slices)

    def _reconcile(self, endpoints: dict, existing: list[dict]) -> None:
        desired, invalid, skipped = desired_slices(endpoints)
        if invalid:
            self.recorder.event(endpoints, "Warning", "InvalidIPAddress",
                                f"Skipped {invalid} invalid IP addresses when mirroring to EndpointSlices")
        if skipped > invalid:
            self.recorder.event(endpoints, "Warning", "TooManyAddressesToMirror",
                                f"A max of {MAX_ENDPOINTS_PER_SUBSET} addresses can be mirrored to EndpointSlices "
                                f"per Endpoints subset. {skipped} addresses were skipped")
        by_key: dict[tuple, list[dict]] = {}
        for s in existing:
            by_key.setdefault((s.get("addressType"), u.port_map_key(s.get("ports") or [])), []).append(s)
        to_create, to_update, to_delete = [], [], []
        for key in sorted(desired):
            ports, eps = desired[key]
            have = by_key.get(key, [])
            to_delete += have[1:]   # one slice per subset and family: extra ones go
            new = self._new_slice(endpoints, ports, key[0], have[0]["metadata"]["name"] if have else None)
            new["endpoints"] = list(eps.values())
            if have and _same(have[0], new):
                continue
            (to_update if have else to_create).append(new)
        for key in sorted(by_key):
            if key not in desired:
                to_delete += by_key[key]
        self._finalize(endpoints, to_create, to_update, to_delete)

    def _new_slice(self, endpoints: dict, ports: list[dict], address_type: str, name: str | None) -> dict:
        """utils.go newEndpointSlice."""
        meta = endpoints["metadata"]
        labels = dict(meta.get("labels") or {})
        labels[u.LABEL_SERVICE_NAME] = meta["name"]
        labels[u.LABEL_MANAGED_BY] = CONTROLLER_NAME
        annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in _NOT_COPIED}
        slice_meta: dict[str, Any] = {"namespace": meta.get("namespace"), "labels": labels,
                                      "annotations": annotations,
                                      "ownerReferences": [u.controller_owner_ref(endpoints, "Endpoints")]}
        if name:
            slice_meta["name"] = name
        else:
            slice_meta["generateName"] = u.slice_prefix(meta["name"])
        return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": slice_meta,
                "addressType": address_type, "ports": copy.deepcopy(ports), "endpoints": []}

    def _finalize(self, endpoints: dict, to_create: list, to_update: list, to_delete: list) -> None:
        """reconciler.go finalize with recycleSlices: a create takes over a slice being deleted."""
        for old in list(reversed(to_delete)):
            fresh = next((c for c in to_create if c["addressType"] == old.get("addressType")), None)
            if fresh is not None:
                to_create.remove(fresh)
                fresh["metadata"].pop("generateName", None)
                fresh["metadata"]["name"] = old["metadata"]["name"]
                to_update.append(fresh)
                to_delete.remove(old)
        meta = endpoints["metadata"]
        u.write_slices(self.client, self.tracker, meta.get("namespace"), meta.get("deletionTimestamp") is not None,
                       to_create, to_update, to_delete)


def _same(have: dict, want: dict) -> bool:
    """reconcileByPortMapping's early return: same endpoints (totalChanges all 0) and the
    Endpoints' labels and annotations already on the slice."""
    hm, wm = have.get("metadata") or {}, want["metadata"]
    if (hm.get("labels") or {}) != wm["labels"] or (hm.get("annotations") or {}) != wm["annotations"]:
        return False
    have_eps = {u.endpoint_key(e): e for e in have.get("endpoints") or ()}
    want_eps = {u.endpoint_key(e): e for e in want["endpoints"]}
    return have_eps.keys() == want_eps.keys() and len(have_eps) == len(have.get("endpoints") or ()) and \
        all(u.endpoints_equal_beyond_hash(want_eps[k], have_eps[k]) for k in want_eps)


__all__ = ["EndpointSliceMirroringController", "CONTROLLER_NAME", "should_mirror", "desired_slices"]
