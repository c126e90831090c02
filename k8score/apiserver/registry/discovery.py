"""The discovery.k8s.io group: EndpointSlice (pkg/registry/discovery/endpointslice/strategy.go,
pkg/apis/discovery/validation/validation.go, pkg/apis/discovery/v1/defaults.go).

An EndpointSlice lists up to 1000 endpoints (addresses of one ``addressType``: IPv4, IPv6
or FQDN) and the ports they all serve. The endpointslice controller writes them for
Services with a selector, the endpointslicemirroring controller mirrors hand-made
Endpoints; kube-proxy and CoreDNS read them. The API server checks the shape only — who
owns a slice is a label (``endpointslice.kubernetes.io/managed-by``), not a rule.

>>> from k8score.api.field import FieldError
>>> s = {"metadata": {"name": "web-abc", "namespace": "default"}, "addressType": "IPv4",
...      "endpoints": [{"addresses": ["127.0.0.1"]}], "ports": [{"port": 80}]}
>>> EndpointSliceStrategy().default(s); s["ports"]
[{'port': 80, 'name': '', 'protocol': 'TCP'}]
>>> [str(e) for e in endpoint_slice(s)]
['endpoints[0].addresses[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)']
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from ...api.field import FieldError, duplicate, invalid, not_supported, required
from ...api.resources import BUILTIN
from ..validation import meta as meta_validation
from ..validation.names import is_dns1123_label, is_dns1123_subdomain, is_label_key, is_label_value
from .strategy import Strategy

# pkg/apis/discovery/validation/validation.go supportedAddressTypes / supportedPortProtocols
# (sets.List() order: sorted)
ADDRESS_TYPES = ["FQDN", "IPv4", "IPv6"]
PROTOCOLS = ["SCTP", "TCP", "UDP"]
# validation.go: maxTopologyLabels, maxAddresses, maxPorts, maxEndpoints, maxZoneHints
MAX_TOPOLOGY_LABELS = 16
MAX_ADDRESSES = 100
MAX_PORTS = 20000
MAX_ENDPOINTS = 1000
MAX_ZONE_HINTS = 8


def too_many(path: str, actual: int, maximum: int) -> FieldError:
    """field.TooMany: ``Too many: 1001: must have at most 1000 items``."""
    return FieldError("TooMany", path, actual, f"must have at most {maximum} item{'s' if maximum != 1 else ''}")


# -- defaulting ------------------------------------------------------------------------------
def default_endpoint_slice(obj: dict) -> None:
    """discovery/v1 defaults.go SetDefaults_EndpointPort: name "" and protocol TCP."""
    for port in obj.get("ports") or ():
        if isinstance(port, dict):
            port.setdefault("name", "")
            port.setdefault("protocol", "TCP")


# -- validation ------------------------------------------------------------------------------
def _ip_errors(path: str, address: str, family: int) -> list[FieldError]:
    """utilvalidation.IsValidIPv4Address / IsValidIPv6Address, then apivalidation
    ValidateEndpointIP (no unspecified, loopback or link-local addresses)."""
    errs = []
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        ip = None
    if ip is None or ip.version != family:
        errs.append(invalid(path, address, f"must be a valid IPv{family} address"))
    if ip is None:
        return errs + [invalid(path, address, "must be a valid IP address")]
    if ip.is_unspecified:
        errs.append(invalid(path, address, f"may not be unspecified ({address})"))
    if ip.is_loopback:
        errs.append(invalid(path, address, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
    if ip.is_link_local and not ip.is_multicast:
        errs.append(invalid(path, address, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
    if ip in _V4_LL_MCAST if ip.version == 4 else (ip.packed[0] == 0xFF and ip.packed[1] & 0x0F == 2):
        errs.append(invalid(path, address, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
    return errs


# Go net.IP.IsLinkLocalMulticast: 224.0.0.0/24, and ffX2::/16 for IPv6
_V4_LL_MCAST = ipaddress.ip_network("224.0.0.0/24")


def _fqdn_errors(path: str, value: str) -> list[FieldError]:
    """utilvalidation.IsFullyQualifiedDomainName: a DNS subdomain with at least two labels."""
    name = value[:-1] if value.endswith(".") else value
    errs = [invalid(path, value, msg) for msg in is_dns1123_subdomain(name)]
    if not errs and len(name.split(".")) < 2:
        errs.append(invalid(path, value, "should be a domain with at least two segments separated by dots"))
    return errs


def _endpoint_errors(ep: Any, path: str, address_type: Any) -> list[FieldError]:
    if not isinstance(ep, dict):
        return [invalid(path, ep, "must be an object")]
    errs: list[FieldError] = []
    addrs = ep.get("addresses") or []
    if not addrs:
        errs.append(required(f"{path}.addresses", "must contain at least 1 address"))
    elif len(addrs) > MAX_ADDRESSES:
        errs.append(too_many(f"{path}.addresses", len(addrs), MAX_ADDRESSES))
    for j, address in enumerate(addrs):
        apath = f"{path}.addresses[{j}]"
        if not isinstance(address, str):
            errs.append(invalid(apath, address, "must be a string"))
        elif address_type in ("IPv4", "IPv6"):
            errs += _ip_errors(apath, address, 4 if address_type == "IPv4" else 6)
        elif address_type == "FQDN":
            errs += _fqdn_errors(apath, address)
        # an unknown addressType is reported once, by validateAddressType
    node = ep.get("nodeName")
    if node is not None:
        errs += [invalid(f"{path}.nodeName", node, msg) for msg in is_dns1123_subdomain(str(node))]
    topology = ep.get("deprecatedTopology")
    if isinstance(topology, dict) and len(topology) > MAX_TOPOLOGY_LABELS:
        errs.append(too_many(f"{path}.deprecatedTopology", len(topology), MAX_TOPOLOGY_LABELS))
    errs += meta_validation.labels(topology, f"{path}.deprecatedTopology")
    hostname = ep.get("hostname")
    if hostname is not None:
        errs += [invalid(f"{path}.hostname", hostname, msg) for msg in is_dns1123_label(str(hostname))]
    if isinstance(ep.get("hints"), dict):
        errs += _hint_errors(ep["hints"], f"{path}.hints")
    return errs


def _hint_errors(hints: dict, path: str) -> list[FieldError]:
    """validation.go validateHints: at most 8 zones, each named once, each a label value."""
    zones = hints.get("forZones") or []
    if len(zones) > MAX_ZONE_HINTS:
        return [too_many(f"{path}.forZones", len(zones), MAX_ZONE_HINTS)]
    errs: list[FieldError] = []
    seen: dict[str, bool] = {}
    for i, zone in enumerate(zones):
        zpath = f"{path}.forZones[{i}].name"
        name = zone.get("name", "") if isinstance(zone, dict) else ""
        if name in seen:
            errs.append(duplicate(zpath, name))
        seen[name] = True
        errs += [invalid(zpath, name, msg) for msg in is_label_value(str(name))]
    return errs


def _port_errors(ports: list, path: str = "ports") -> list[FieldError]:
    if len(ports) > MAX_PORTS:
        return [too_many(path, len(ports), MAX_PORTS)]
    errs: list[FieldError] = []
    names: dict[str, bool] = {}
    for i, port in enumerate(ports):
        ppath = f"{path}[{i}]"
        if not isinstance(port, dict):
            errs.append(invalid(ppath, port, "must be an object"))
            continue
        name = port.get("name") or ""
        if name:
            errs += [invalid(f"{ppath}.name", name, msg) for msg in is_dns1123_label(str(name))]
        if name in names:
            errs.append(duplicate(f"{ppath}.name", name))
        names[name] = True
        proto = port.get("protocol")
        if proto is None:
            errs.append(required(f"{ppath}.protocol", ""))
        elif proto not in PROTOCOLS:
            errs.append(not_supported(f"{ppath}.protocol", proto, PROTOCOLS))
        app = port.get("appProtocol")
        if app is not None:
            errs += [invalid(f"{ppath}.appProtocol", app, msg) for msg in is_label_key(str(app))]
    return errs


def endpoint_slice(obj: dict) -> list[FieldError]:
    """ValidateEndpointSlice minus the ObjectMeta checks (the strategy runs those first)."""
    errs: list[FieldError] = []
    address_type = obj.get("addressType")
    if not address_type:
        errs.append(required("addressType", ""))
    elif address_type not in ADDRESS_TYPES:
        errs.append(not_supported("addressType", address_type, ADDRESS_TYPES))
    endpoints = obj.get("endpoints") or []
    if len(endpoints) > MAX_ENDPOINTS:
        errs.append(too_many("endpoints", len(endpoints), MAX_ENDPOINTS))
    else:
        for i, ep in enumerate(endpoints):
            errs += _endpoint_errors(ep, f"endpoints[{i}]", address_type)
    return errs + _port_errors(obj.get("ports") or [])


def endpoint_slice_update(new: dict, old: dict) -> list[FieldError]:
    """ValidateEndpointSliceUpdate: addressType is immutable (ValidateImmutableField)."""
    if new.get("addressType") != old.get("addressType"):
        return [invalid("addressType", new.get("addressType"), "field is immutable")]
    return []


# -- the strategy -------------------------------------------------------------------------------
class EndpointSliceStrategy(Strategy):
    info = BUILTIN["endpointslices"]
    tracks_generation = True  # PrepareForCreate sets generation 1

    def default(self, obj: dict) -> Any:
        default_endpoint_slice(obj)

    rules = staticmethod(endpoint_slice)
    update_rules = staticmethod(endpoint_slice_update)

    def prepare_for_create(self, obj: dict, extra: Any = None) -> None:
        super().prepare_for_create(obj, extra)
        _nil_empty_lists(obj)

    def prepare_for_update(self, new: dict, old: dict) -> None:
        _nil_empty_lists(new)
        """strategy.go PrepareForUpdate: the generation counts any change but metadata's,
        and label changes ("This needs to be changed if a status attribute is added")."""
        super().prepare_for_update(new, old)
        body = {k: v for k, v in new.items() if k != "metadata"}
        old_body = {k: v for k, v in old.items() if k != "metadata"}
        gen = old["metadata"].get("generation", 0)
        if _canon(body) != _canon(old_body) or \
                (new["metadata"].get("labels") or {}) != (old["metadata"].get("labels") or {}):
            gen += 1
        new["metadata"]["generation"] = gen


def _nil_empty_lists(obj: dict) -> None:
    """``endpoints`` and ``ports`` carry no omitempty; stored as protobuf, an empty list comes
    back nil, so a placeholder slice reads ``endpoints: null`` / ``ports: null``."""
    for key in ("endpoints", "ports"):
        if key in obj and not obj[key]:
            obj[key] = None


def _canon(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


STRATEGIES = (EndpointSliceStrategy,)

__all__ = ["EndpointSliceStrategy", "STRATEGIES", "endpoint_slice", "endpoint_slice_update",
           "default_endpoint_slice"]
