"""What the EndpointSlice controllers share: labels, the pod -> endpoint mapping, slice shells.

Upstream: staging/src/k8s.io/endpointslice/utils.go (podToEndpoint, getEndpointPorts,
newEndpointSlice, setEndpointSliceLabels, FindPort), util/controller_utils.go
(ShouldPodBeInEndpoints, EndpointsEqualBeyondHash), util/endpointset.go (hashEndpoint) and
trafficdist/trafficdist.go (hints for ``spec.trafficDistribution``).

>>> pod = {"metadata": {"name": "web-1", "namespace": "default", "uid": "u1"},
...        "spec": {"nodeName": "node-1"},
...        "status": {"podIP": "10.244.1.5", "podIPs": [{"ip": "10.244.1.5"}],
...                   "conditions": [{"type": "Ready", "status": "True"}]}}
>>> svc = {"metadata": {"name": "web", "namespace": "default"}, "spec": {}}
>>> pod_to_endpoint(pod, None, svc, "IPv4")["conditions"]
{'ready': True, 'serving': True, 'terminating': False}
"""

from __future__ import annotations

import copy
import ipaddress
from typing import Any

from ..client.errors import ApiError
from ..client.meta import is_pod_ready
from ..apiserver.validation.names import is_dns1123_subdomain

# k8s.io/api/discovery/v1 well_known_labels.go
LABEL_SERVICE_NAME = "kubernetes.io/service-name"
LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
LABEL_SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror"
# k8s.io/api/core/v1 well_known_labels.go IsHeadlessService, LabelTopologyZone
LABEL_HEADLESS = "service.kubernetes.io/headless"
LABEL_ZONE = "topology.kubernetes.io/zone"
# core/v1 annotation_key_constants.go AnnotationTopologyMode / DeprecatedAnnotationTopologyAwareHints
ANNOTATION_TOPOLOGY_MODE = "service.kubernetes.io/topology-mode"
ANNOTATION_TOPOLOGY_HINTS = "service.kubernetes.io/topology-aware-hints"
_RESERVED = (LABEL_SERVICE_NAME, LABEL_MANAGED_BY, LABEL_HEADLESS)   # utils.go isReservedLabelKey


def ip_key(address: str) -> tuple:
    """Numeric order of addresses (IPv4 before IPv6, anything unparsable last)."""
    try:
        ip = ipaddress.ip_address(address)
        return (ip.version, int(ip), "")
    except ValueError:
        return (9, 0, address)


# -- pods -> endpoints ----------------------------------------------------------------------
def should_pod_be_in_endpoints(pod: dict) -> bool:
    """ShouldPodBeInEndpoints(pod, includeTerminating=true): not terminal, has an IP."""
    status = pod.get("status") or {}
    if status.get("phase") in ("Succeeded", "Failed"):
        return False
    return bool(status.get("podIP") or status.get("podIPs"))


def find_port(pod: dict, service_port: dict) -> int | None:
    """utils.go FindPort: a number is itself; a name is looked up in the containers' ports of
    the same protocol, then in restartable init containers' (sidecars); None: no such port."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if not isinstance(target, str):
        return None
    if target.isdigit():
        return int(target)
    proto = service_port.get("protocol", "TCP")
    spec = pod.get("spec") or {}
    sidecars = [c for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"]
    for container in list(spec.get("containers") or ()) + sidecars:
        for p in container.get("ports") or ():
            if p.get("name") == target and p.get("protocol", "TCP") == proto:
                return p.get("containerPort")
    return None


def endpoint_ports(service: dict, pod: dict) -> list[dict]:
    """utils.go getEndpointPorts: one EndpointPort per Service port that resolves on ``pod``."""
    spec = service.get("spec") or {}
    out = []
    for sp in spec.get("ports") or ():
        num = find_port(pod, sp)
        if num is None:
            continue   # "Failed to find port for service": this pod lacks the named port
        port = {"name": sp.get("name", ""), "port": num, "protocol": sp.get("protocol", "TCP")}
        if sp.get("appProtocol"):
            port["appProtocol"] = sp["appProtocol"]
        out.append(port)
    return out


def port_map_key(ports: list[dict]) -> tuple:
    """util.NewPortMapKey: the same ports in any order are one group."""
    return tuple(sorted((p.get("name", ""), p.get("port"), p.get("protocol", "TCP"), p.get("appProtocol", ""))
                        for p in ports))


def _addresses(pod: dict, address_type: str) -> list[str]:
    """utils.go getEndpointAddresses: the pod IPs of this family."""
    status = pod.get("status") or {}
    ips = [p.get("ip") for p in status.get("podIPs") or () if p.get("ip")] or \
        ([status["podIP"]] if status.get("podIP") else [])
    want = 6 if address_type == "IPv6" else 4
    out = []
    for ip in ips:
        try:
            parsed = ipaddress.ip_address(ip)
        except ValueError:
            continue
        if parsed.version == want:
            out.append(str(parsed))
    return out


def pod_to_endpoint(pod: dict, node: dict | None, service: dict, address_type: str) -> dict:
    """utils.go podToEndpoint. serving = the pod's Ready condition; terminating = a deletion
    timestamp; ready = serving and not terminating ("For compatibility reasons, ready should
    never be true if a pod is terminating, unless publishNotReadyAddresses was set")."""
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    svc_meta = service.get("metadata") or {}
    serving = is_pod_ready(pod)
    terminating = meta.get("deletionTimestamp") is not None
    ready = bool((service.get("spec") or {}).get("publishNotReadyAddresses")) or (serving and not terminating)
    ep: dict[str, Any] = {"addresses": _addresses(pod, address_type),
                          "conditions": {"ready": ready, "serving": serving, "terminating": terminating}}
    # ShouldSetHostname: the pod names this Service as its subdomain
    if spec.get("hostname") and spec.get("subdomain") == svc_meta.get("name") and \
            meta.get("namespace") == svc_meta.get("namespace"):
        ep["hostname"] = spec["hostname"]
    ep["targetRef"] = {"kind": "Pod", "namespace": meta.get("namespace"), "name": meta.get("name"),
                       "uid": meta.get("uid")}
    if spec.get("nodeName"):
        ep["nodeName"] = spec["nodeName"]
    zone = ((node or {}).get("metadata") or {}).get("labels", {}).get(LABEL_ZONE)
    if zone:
        ep["zone"] = zone
    return ep


def endpoint_key(ep: dict) -> tuple:
    """endpointset.go hashEndpoint: addresses (sorted), hostname and the target's
    namespace/name identify an endpoint; conditions, node and zone are its changeable state."""
    ref = ep.get("targetRef") or {}
    return (tuple(sorted(ep.get("addresses") or ())), ep.get("hostname") or "",
            ref.get("namespace") or "", ref.get("name") or "")


def endpoint_order(ep: dict) -> tuple:
    """The order endpoints are packed in (upstream pops a hash set; k8score sorts by address
    so runs and pages are reproducible)."""
    addrs = ep.get("addresses") or [""]
    return (ip_key(addrs[0]),) + endpoint_key(ep)


def endpoints_equal_beyond_hash(a: dict, b: dict) -> bool:
    """util.EndpointsEqualBeyondHash: nodeName, zone, the three conditions and targetRef
    (ignoring its resourceVersion) — hints are not compared."""
    for field in ("nodeName", "zone"):
        if a.get(field) != b.get(field):
            return False
    ca, cb = a.get("conditions") or {}, b.get("conditions") or {}
    if any(ca.get(c) != cb.get(c) for c in ("ready", "serving", "terminating")):
        return False
    ra = {k: v for k, v in (a.get("targetRef") or {}).items() if k != "resourceVersion"}
    rb = {k: v for k, v in (b.get("targetRef") or {}).items() if k != "resourceVersion"}
    return ra == rb


# -- slices -----------------------------------------------------------------------------------
def slice_prefix(name: str) -> str:
    """getEndpointSlicePrefix: ``<name>-`` unless that is no valid generateName prefix."""
    prefix = f"{name}-"
    # NameIsDNSSubdomain(prefix, true) masks the trailing dash (maskTrailingDash: "-" -> "a")
    return prefix if not is_dns1123_subdomain(name + "a") else name


def owned_by(slice_: dict, owner: dict, kind: str) -> bool:
    """utils.go ownedBy: an ownerReference to this very object (by uid)."""
    uid = (owner.get("metadata") or {}).get("uid")
    return any(ref.get("uid") == uid and ref.get("kind") == kind and ref.get("apiVersion") == "v1"
               for ref in (slice_.get("metadata") or {}).get("ownerReferences") or ())


def controller_owner_ref(owner: dict, kind: str) -> dict:
    """metav1.NewControllerRef(owner, v1/kind)."""
    meta = owner["metadata"]
    return {"apiVersion": "v1", "kind": kind, "name": meta["name"], "uid": meta.get("uid"),
            "controller": True, "blockOwnerDeletion": True}


def is_service_ip_set(service: dict) -> bool:
    ip = (service.get("spec") or {}).get("clusterIP")
    return bool(ip) and ip != "None"


def service_slice_labels(slice_labels: dict | None, service: dict, controller: str) -> tuple[dict, bool]:
    """utils.go setEndpointSliceLabels: the Service's labels (minus reserved keys), the
    headless label when it has no ClusterIP, service-name and managed-by; and whether the
    non-reserved labels differ from the slice's."""
    current = {k: v for k, v in (slice_labels or {}).items() if k not in _RESERVED}
    labels = {k: v for k, v in ((service.get("metadata") or {}).get("labels") or {}).items()
              if k not in _RESERVED}
    changed = current != labels
    if not is_service_ip_set(service):
        labels[LABEL_HEADLESS] = ""
    labels[LABEL_SERVICE_NAME] = service["metadata"]["name"]
    labels[LABEL_MANAGED_BY] = controller
    return labels, changed


def new_service_slice(service: dict, ports: list[dict], address_type: str, controller: str) -> dict:
    """utils.go newEndpointSlice: generateName ``<svc>-``, owned by the Service."""
    meta = service["metadata"]
    labels, _ = service_slice_labels({}, service, controller)
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"generateName": slice_prefix(meta["name"]), "namespace": meta.get("namespace"),
                         "labels": labels, "ownerReferences": [controller_owner_ref(service, "Service")]},
            "addressType": address_type, "endpoints": [], "ports": copy.deepcopy(ports)}


def address_types_for_service(service: dict) -> list[str]:
    """utils.go getAddressTypesForService: from spec.ipFamilies; else the ClusterIP's family;
    a headless Service without families gets both."""
    spec = service.get("spec") or {}
    families = {"IPv4Protocol" if f == "IPv4" else f for f in spec.get("ipFamilies") or ()}
    types = [t for t, fam in (("IPv4", "IPv4Protocol"), ("IPv6", "IPv6Protocol")) if fam in families]
    if types:
        return types
    if is_service_ip_set(service):
        return ["IPv6" if ":" in spec["clusterIP"] else "IPv4"]
    return ["IPv4", "IPv6"]


# -- hints (trafficdist.go) ---------------------------------------------------------------------
#: spec.trafficDistribution values that ask for same-zone (and PreferSameNode: same-node) hints
CLOSE_TRAFFIC = ("PreferClose", "PreferSameZone", "PreferSameNode")


def hints_enabled(annotations: dict | None) -> bool:
    """utils.go hintsEnabled: topology-aware-hints (which wins) or topology-mode is Auto/auto."""
    annotations = annotations or {}
    val = annotations.get(ANNOTATION_TOPOLOGY_HINTS, annotations.get(ANNOTATION_TOPOLOGY_MODE))
    return val in ("Auto", "auto")


def desired_hints(ep: dict, traffic: str | None) -> dict | None:
    """The hints trafficdist.go gives a ready endpoint (None: none). Not-ready endpoints keep
    whatever they had (upstream skips them)."""
    if traffic not in CLOSE_TRAFFIC:
        return None
    hints: dict = {}
    if ep.get("zone"):
        hints["forZones"] = [{"name": ep["zone"]}]
    if traffic == "PreferSameNode" and ep.get("nodeName"):
        hints["forNodes"] = [{"name": ep["nodeName"]}]
    return hints or None


def apply_hints(slice_: dict, traffic: str | None) -> bool:
    """Set (PreferClose...) or clear (anything else) the hints of ``slice_``'s endpoints in
    place; whether anything changed (the heuristic's needsUpdate)."""
    changed = False
    for ep in slice_.get("endpoints") or ():
        if traffic in CLOSE_TRAFFIC and not (ep.get("conditions") or {}).get("ready"):
            continue
        want = desired_hints(ep, traffic)
        if ep.get("hints") != want:
            changed = True
            if want is None:
                ep.pop("hints", None)
            else:
                ep["hints"] = want
    return changed


def write_slices(client: Any, tracker: Any, namespace: str | None, owner_deleting: bool,
                 to_create: list[dict], to_update: list[dict], to_delete: list[dict]) -> None:
    """The writes ending a reconcile (staging/src/k8s.io/endpointslice/reconciler.go finalize,
    shared by the mirroring controller): creates (none for an owner being deleted; a namespace
    being terminated stops them), updates, then deletes (a slice already gone is fine)."""
    if not owner_deleting:
        for s in to_create:
            try:
                tracker.update(client.create("endpointslices", s, namespace=namespace))
            except ApiError as err:
                if namespace_terminating(err):
                    return
                raise
    for s in to_update:
        tracker.update(client.update("endpointslices", s, namespace=namespace))
    for s in to_delete:
        delete_slice(client, tracker, namespace, s)


def delete_slice(client: Any, tracker: Any, namespace: str | None, slice_: dict) -> None:
    """Delete ``slice_``; the tracker expects the deletion (a slice already gone is fine)."""
    try:
        client.delete("endpointslices", slice_["metadata"]["name"], namespace=namespace)
    except ApiError as err:
        if err.code != 404:   # deleteEndpointSlice tolerates slices already gone
            raise
        return
    tracker.expect_deletion(slice_)


def namespace_terminating(err: ApiError) -> bool:
    causes = ((err.status or {}).get("details") or {}).get("causes") or []
    return any(c.get("reason") == "NamespaceTerminating" for c in causes)

