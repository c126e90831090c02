"""Strategies of the core (``v1``) group: pods, nodes, services, endpoints, namespaces,
configmaps, secrets, serviceaccounts, events (pkg/registry/core/*/strategy.go)."""

from __future__ import annotations

from typing import Any, Callable

from ...api.resources import BUILTIN
from .. import binding, defaults
from ..validation import pod as pod_validation
from ..validation import workloads
from ..validation.names import is_dns1035_label, is_dns1123_label
from ..memo import ResultMemo
from .eviction import evict
from .namespace import NamespaceStrategy  # noqa: F401  (the namespace REST rules live there)
from .podconnect import pod_exec, pod_log
from .strategy import Strategy

# a pod spec's validity depends on the spec alone: memoised for pods sharing a template
_POD_SPEC = ResultMemo(lambda spec: tuple(pod_validation.pod_spec(spec)))


class PodStrategy(Strategy):
    info = BUILTIN["pods"]
    status_subresource = True
    tracks_generation = True  # PodObservedGenerationTracking
    # pkg/registry/core/pod/strategy.go ToSelectableFields + conversion.go field labels
    field_labels = ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                    "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP",
                    "status.nominatedNodeName")
    # pod/storage/storage.go Indexers + NodeNameTriggerFunc
    indexers = {"spec.nodeName": lambda pod: (pod.get("spec") or {}).get("nodeName") or None}
    # pod/storage/storage.go PodStorage: binding, log (LogREST), exec (ExecREST) — see podconnect.py
    subresources = {"binding": binding.bind, "log": pod_log, "exec": pod_exec, "eviction": evict}
    #: the body's spec may be shared with the caller on create: its defaulting is memoised
    #: and builds a fresh spec (see defaults.pod)
    shared_on_create = "spec"

    def default(self, obj: dict) -> Any:
        return defaults.pod(obj)

    def prepare_for_create(self, obj: dict, extra: Any = None) -> None:
        super().prepare_for_create(obj)
        # pod strategy PrepareForCreate: status starts over (Pending) with its QoS class,
        # computed after admission (LimitRanger may have added requests and limits)
        obj["status"] = {"phase": "Pending", "qosClass": defaults.qos_class(obj["spec"])}
        if (obj.get("spec") or {}).get("schedulingGates"):
            # strategy.go applySchedulingGatedCondition: kubectl shows SchedulingGated from it
            obj["status"]["conditions"] = [{"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                                            "lastTransitionTime": None, "reason": "SchedulingGated",
                                            "message": "Scheduling is blocked due to non-empty scheduling gates"}]

    rules = staticmethod(lambda pod: list(_POD_SPEC.call(pod.get("spec"))))
    update_rules = staticmethod(lambda new, old: pod_validation.pod_update(new.get("spec") or {},
                                                                           old.get("spec") or {}))

    def grace_period(self, pod: dict, requested: int | None) -> int:
        """pod strategy CheckGracefulDelete: how long the kubelet gets to stop the pod."""
        spec = pod.get("spec") or {}
        if requested is not None:
            period = requested
        else:
            period = spec.get("terminationGracePeriodSeconds", defaults.DEFAULT_TERMINATION_GRACE_PERIOD)
        if not spec.get("nodeName"):
            period = 0  # never scheduled: no kubelet to wait for
        if (pod.get("status") or {}).get("phase") in ("Failed", "Succeeded"):
            period = 0  # already terminated
        if not isinstance(period, int) or period < 0:
            period = 1
        return period


class NodeStrategy(Strategy):
    info = BUILTIN["nodes"]
    key_root = "minions"  # kubeapiserver/default_storage_factory_builder.go SpecialDefaultResourcePrefixes
    status_subresource = True
    field_labels = ("spec.unschedulable",)

    def default(self, obj: dict) -> Any:
        defaults.node(obj)

    rules = staticmethod(workloads.node)


class ServiceStrategy(Strategy):
    info = BUILTIN["services"]
    key_root = "services/specs"  # SpecialDefaultResourcePrefixes
    status_subresource = True
    initial_status = {"loadBalancer": {}}
    field_labels = ("spec.clusterIP", "spec.type")

    def name_errors(self, name: str) -> list[str]:
        return is_dns1035_label(name)  # ValidateServiceName

    def default(self, obj: dict) -> Any:
        defaults.service(obj)

    rules = staticmethod(workloads.service)
    update_rules = staticmethod(workloads.service_update)

    def prepare_for_update(self, new: dict, old: dict) -> None:
        super().prepare_for_update(new, old)
        _keep_allocated(new, old)

    def on_create(self, api: Any, obj: dict) -> Callable[[], None] | None:
        return api.services.allocate(obj)

    def on_delete(self, api: Any, obj: dict) -> None:
        api.services.release(obj)


def _keep_allocated(new: dict, old: dict) -> None:
    """Service update (pkg/registry/core/service/storage patchAllocatedValues): a body
    without clusterIP / nodePorts keeps the allocated ones instead of releasing them."""
    spec, old_spec = new.get("spec"), old.get("spec") or {}
    if not isinstance(spec, dict):
        return
    if not spec.get("clusterIP") and old_spec.get("clusterIP"):
        for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
            if key in old_spec:
                spec[key] = old_spec[key]
    old_ports = {(p.get("port"), p.get("protocol")): p.get("nodePort")
                 for p in old_spec.get("ports") or () if isinstance(p, dict)}
    for p in spec.get("ports") or ():
        if isinstance(p, dict) and not p.get("nodePort") and old_ports.get((p.get("port"), p.get("protocol"))):
            p["nodePort"] = old_ports[(p.get("port"), p.get("protocol"))]


class EndpointsStrategy(Strategy):
    info = BUILTIN["endpoints"]
    key_root = "services/endpoints"  # SpecialDefaultResourcePrefixes

    def default(self, obj: dict) -> Any:
        defaults.endpoints(obj)

    rules = staticmethod(workloads.endpoints)


class ConfigMapStrategy(Strategy):
    info = BUILTIN["configmaps"]
    rules = staticmethod(workloads.configmap)


class SecretStrategy(Strategy):
    info = BUILTIN["secrets"]
    field_labels = ("type",)

    def default(self, obj: dict) -> Any:
        from .secret import merge_string_data
        merge_string_data(obj)  # core/v1 conversion.go: stringData is merged into data, never stored
        obj.setdefault("type", "Opaque")  # core/v1 defaults.go SetDefaults_Secret


class ServiceAccountStrategy(Strategy):
    info = BUILTIN["serviceaccounts"]

    @property
    def subresources(self) -> dict:  # type: ignore[override]
        from .reviews import token_request
        return {"token": token_request}


class EventStrategy(Strategy):
    info = BUILTIN["events"]
    ttl = 3600  # kube-apiserver --event-ttl default (1h)
    field_labels = ("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                    "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                    "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type")
    rules = staticmethod(workloads.event)


STRATEGIES = (PodStrategy, NodeStrategy, ServiceStrategy, EndpointsStrategy, NamespaceStrategy,
              ConfigMapStrategy, SecretStrategy, ServiceAccountStrategy, EventStrategy)
