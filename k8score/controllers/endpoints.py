"""The Endpoints controller (pkg/controller/endpoint/endpoints_controller.go).

For every Service with a selector it keeps an Endpoints object of the same name listing
the pods behind it: pods that match the selector and have an IP, ready ones under
``subsets[].addresses``, the others under ``notReadyAddresses`` (all of them ready when
``publishNotReadyAddresses`` is set), each with ``nodeName`` and a ``targetRef`` to the
pod. Ports come from the Service's ``targetPort``; a named target port is looked up in
each pod's container ports, so pods that name the port differently land in different
subsets (``RepackSubsets``). kube-proxy programs the node's packet rules from these.

Services without a selector are left alone (their Endpoints are managed by hand, like the
``kubernetes`` Service's by the API server). Pods being deleted are dropped at once.
Upstream also writes EndpointSlices (a separate controller); not modelled here.
"""

from __future__ import annotations

import copy
from typing import Any

from ..client.errors import ApiError
from ..client.meta import is_pod_ready, key_func, labels_match, split_key
from ..lang import Text
from .base import Controller

# k8s.io/api/discovery/v1 well_known_labels.go: LabelSkipMirror — the endpoints controller
# marks its own Endpoints so the EndpointSlice mirroring controller ignores them.
SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror"


def find_port(pod: dict, service_port: dict) -> int | None:
    """podutil.FindPort: the container port a Service port's targetPort names (None: not found)."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    protocol = service_port.get("protocol", "TCP")
    for c in (pod.get("spec") or {}).get("containers") or ():
        for p in c.get("ports") or ():
            if p.get("name") == target and p.get("protocol", "TCP") == protocol:
                return p.get("containerPort")
    return None


def _address(pod: dict) -> dict:
    meta, spec = pod["metadata"], pod.get("spec") or {}
    addr: dict[str, Any] = {"ip": pod["status"]["podIP"]}
    if spec.get("hostname") and spec.get("subdomain"):
        addr["hostname"] = spec["hostname"]
    if spec.get("nodeName"):
        addr["nodeName"] = spec["nodeName"]
    addr["targetRef"] = {"kind": "Pod", "namespace": meta.get("namespace"), "name": meta.get("name"),
                         "uid": meta.get("uid")}
    return addr


def _ip_key(addr: dict) -> tuple:
    try:
        return (0, tuple(int(x) for x in addr["ip"].split(".")), addr["targetRef"].get("uid", ""))
    except ValueError:
        return (1, addr["ip"], addr["targetRef"].get("uid", ""))


def compute_subsets(service: dict, pods: list[dict]) -> list[dict]:
    """The ``subsets`` for ``service`` given the candidate ``pods`` (already selector-matched)."""
    publish = bool((service.get("spec") or {}).get("publishNotReadyAddresses"))
    groups: dict[tuple, dict[str, dict[str, dict]]] = {}  # ports -> {"ready"/"notReady": {ip+uid: addr}}
    ports_of: dict[tuple, list[dict]] = {}
    for pod in pods:
        status, meta = pod.get("status") or {}, pod.get("metadata") or {}
        if not status.get("podIP") or status.get("phase") in ("Succeeded", "Failed"):
            continue
        if meta.get("deletionTimestamp") and not publish:
            continue
        ports = []
        for sp in (service.get("spec") or {}).get("ports") or ():
            num = find_port(pod, sp)
            if num is None:
                continue
            p: dict[str, Any] = {}
            if sp.get("name"):
                p["name"] = sp["name"]
            p["port"] = num
            p["protocol"] = sp.get("protocol", "TCP")
            if sp.get("appProtocol"):
                p["appProtocol"] = sp["appProtocol"]
            ports.append(p)
        if not ports and (service.get("spec") or {}).get("ports"):
            continue  # no port resolves on this pod (e.g. a named targetPort it does not declare)
        ports.sort(key=lambda p: (p.get("name", ""), p["port"], p["protocol"]))
        sig = tuple((p.get("name", ""), p["port"], p["protocol"]) for p in ports)
        ports_of[sig] = ports
        bucket = "ready" if publish or is_pod_ready(pod) else "notReady"
        addr = _address(pod)
        groups.setdefault(sig, {"ready": {}, "notReady": {}})[bucket][addr["ip"] + addr["targetRef"]["uid"]] = addr
    subsets = []
    for sig in sorted(groups):
        ready = sorted(groups[sig]["ready"].values(), key=_ip_key)
        not_ready = sorted(groups[sig]["notReady"].values(), key=_ip_key)
        subset: dict[str, Any] = {}
        if ready:
            subset["addresses"] = ready
        if not_ready:
            subset["notReadyAddresses"] = not_ready
        if ports_of[sig]:
            subset["ports"] = ports_of[sig]
        subsets.append(subset)
    return subsets


class EndpointsController(Controller):
    name = "endpoints"
    kind = "endpoints-controller"
    watches = ("services", "pods", "endpoints")
    writes = ("endpoints",)
    summary = Text("为每个带选择器的 Service 维护同名的 Endpoints：记录匹配 Pod 的 IP 和端口，区分就绪与未就绪",
                   "Keeps an Endpoints of the same name for each Service with a selector: the IPs and ports of the matching Pods, ready and not ready apart")
    event_component = "endpoint-controller"

    def setup(self) -> None:
        self.svc_informer = self.informer("services")
        self.pod_informer = self.informer("pods")
        self.ep_informer = self.informer("endpoints")
        self.svc_informer.add_event_handler(on_add=self.enqueue, on_update=lambda o, n: self.enqueue(n),
                                            on_delete=self.enqueue)
        self.pod_informer.add_event_handler(on_add=self._pod_changed, on_update=self._pod_updated,
                                            on_delete=self._pod_changed)
        self.ep_informer.add_event_handler(on_delete=self.enqueue)

    def _services_for(self, pod: dict) -> list[str]:
        ns = (pod.get("metadata") or {}).get("namespace")
        labels = (pod.get("metadata") or {}).get("labels")
        return [key_func(s) for s in self.svc_informer.list(ns)
                if labels_match((s.get("spec") or {}).get("selector"), labels)]

    def _pod_changed(self, pod: dict) -> None:
        for key in self._services_for(pod):
            self.queue.add(key)

    def _pod_updated(self, old: dict, cur: dict) -> None:
        if old["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            return
        for key in dict.fromkeys(self._services_for(old) + self._services_for(cur)):
            self.queue.add(key)

    def sync(self, key: Any) -> None:
        ns, name = split_key(key)
        svc = self.svc_informer.get(key)
        if svc is None:
            if self.ep_informer.get(key) is not None:
                try:
                    self.client.delete("endpoints", name, namespace=ns)
                except ApiError as err:
                    if err.code != 404:
                        raise
            return
        selector = (svc.get("spec") or {}).get("selector")
        if not selector or (svc.get("spec") or {}).get("type") == "ExternalName":
            return
        pods = [p for p in self.pod_informer.list(ns) if labels_match(selector, p["metadata"].get("labels"))]
        subsets = compute_subsets(svc, pods)
        labels = dict(svc["metadata"].get("labels") or {})
        labels[SKIP_MIRROR] = "true"
        current = self.ep_informer.get(key)
        if current is not None and (current.get("subsets") or []) == subsets and \
                (current["metadata"].get("labels") or {}) == labels:
            return
        if current is None:
            body = {"apiVersion": "v1", "kind": "Endpoints",
                    "metadata": {"name": name, "namespace": ns, "labels": labels}}
            if subsets:
                body["subsets"] = subsets
            try:
                self.client.create("endpoints", body, namespace=ns)
                return
            except ApiError as err:
                if err.reason != "AlreadyExists":
                    raise
                current = self.client.get("endpoints", name, namespace=ns)
        body = copy.deepcopy(current)
        body["metadata"]["labels"] = labels
        if subsets:
            body["subsets"] = subsets
        else:
            body.pop("subsets", None)
        self.client.update("endpoints", body, namespace=ns)
