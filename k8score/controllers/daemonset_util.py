"""What a DaemonSet's pods look like and where they belong (pure functions).

Upstream pkg/controller/daemon/util/daemonset_util.go and daemon_controller.go
(``NodeShouldRunDaemonPod``, ``predicates``, ``NewPod``):

- every daemon pod tolerates the node-problem taints (``AddOrUpdateDaemonPodTolerations``):
  not-ready and unreachable ``NoExecute`` (no ``tolerationSeconds``: a DaemonSet pod is never
  evicted when its node fails), disk/memory/pid-pressure and unschedulable ``NoSchedule``,
  and network-unavailable ``NoSchedule`` when it uses the host network;
- a node should run the pod when the pod's ``nodeName`` (if any), ``nodeSelector`` and
  required node affinity match it and it has no untolerated ``NoSchedule``/``NoExecute`` taint;
  a pod already there may *continue* running under an untolerated ``NoSchedule`` taint, not
  under an untolerated ``NoExecute`` one;
- the pod is pinned by required node affinity ``matchFields metadata.name In [<node>]``
  (``ReplaceDaemonSetPodNodeNameNodeAffinity``; the default scheduler binds it since 1.12).

>>> spec = {}; add_daemon_tolerations(spec); [t["key"].split("/")[1] for t in spec["tolerations"]]
['not-ready', 'unreachable', 'disk-pressure', 'memory-pressure', 'pid-pressure', 'unschedulable']
>>> scaled_value("25%", 3, round_up=True), scaled_value(2, 3, round_up=True)
(1, 2)
"""

from __future__ import annotations

import copy
import math
from typing import Any

from ..api.taints import find_untolerated
from ..client.meta import condition, is_pod_ready
from ..scheduler.plugins.node_affinity import required_matches
from ..sim.clock import parse
from .history import CONTROLLER_REVISION_HASH

# k8s.io/api/core/v1 well_known_taints.go
TAINT_NOT_READY = "node.kubernetes.io/not-ready"
TAINT_UNREACHABLE = "node.kubernetes.io/unreachable"
TAINT_DISK_PRESSURE = "node.kubernetes.io/disk-pressure"
TAINT_MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure"
TAINT_PID_PRESSURE = "node.kubernetes.io/pid-pressure"
TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
TAINT_NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable"
# k8s.io/api/extensions/v1beta1 types.go: DaemonSetTemplateGenerationKey
TEMPLATE_GENERATION_LABEL = "pod-template-generation"
# k8s.io/api/apps/v1: DeprecatedTemplateGeneration (kept by the API server's strategy)
TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"

_DAEMON_TOLERATIONS = (
    (TAINT_NOT_READY, "NoExecute"), (TAINT_UNREACHABLE, "NoExecute"),
    (TAINT_DISK_PRESSURE, "NoSchedule"), (TAINT_MEMORY_PRESSURE, "NoSchedule"),
    (TAINT_PID_PRESSURE, "NoSchedule"), (TAINT_UNSCHEDULABLE, "NoSchedule"),
)


def _add_toleration(spec: dict, toleration: dict) -> None:
    """v1helper.AddOrUpdateTolerationInPodSpec: a matching toleration is replaced, else appended."""
    tolerations = spec.setdefault("tolerations", [])
    for i, t in enumerate(tolerations):
        if all((t.get(k) or "") == (toleration.get(k) or "") for k in ("key", "operator", "value", "effect")):
            tolerations[i] = toleration  # MatchToleration: same key/operator/value/effect, replaced
            return
    tolerations.append(toleration)


def add_daemon_tolerations(spec: dict) -> None:
    for key, effect in _DAEMON_TOLERATIONS:
        _add_toleration(spec, {"key": key, "operator": "Exists", "effect": effect})
    if spec.get("hostNetwork"):
        _add_toleration(spec, {"key": TAINT_NETWORK_UNAVAILABLE, "operator": "Exists", "effect": "NoSchedule"})


def template_generation(ds: dict) -> str | None:
    """``GetTemplateGeneration``: the annotation's value, None when absent or not a number."""
    value = ((ds.get("metadata") or {}).get("annotations") or {}).get(TEMPLATE_GENERATION_ANNOTATION)
    return value if isinstance(value, str) and value.lstrip("-").isdigit() else None


def pod_template(ds: dict, hash_: str) -> dict:
    """``CreatePodTemplate``: the template with daemon tolerations and the generation/hash labels."""
    template = copy.deepcopy((ds.get("spec") or {}).get("template") or {})
    add_daemon_tolerations(template.setdefault("spec", {}))
    labels = template.setdefault("metadata", {}).setdefault("labels", {})
    gen = template_generation(ds)
    if gen is not None:
        labels[TEMPLATE_GENERATION_LABEL] = gen
    if hash_:
        labels[CONTROLLER_REVISION_HASH] = hash_
    return template


def pin_to_node(spec: dict, node_name: str) -> None:
    """``ReplaceDaemonSetPodNodeNameNodeAffinity``: required affinity = this node only."""
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}
    affinity = spec.setdefault("affinity", {})
    node_affinity = affinity.setdefault("nodeAffinity", {})
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": [term]}


def target_node(pod: dict) -> str | None:
    """``GetTargetNodeName``: spec.nodeName, else the node its affinity pins it to."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return spec["nodeName"]
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    for term in required.get("nodeSelectorTerms") or ():
        for req in term.get("matchFields") or ():
            if req.get("key") == "metadata.name" and req.get("operator") == "In":
                values = req.get("values") or []
                return values[0] if len(values) == 1 else None
    return None


def daemon_pod_spec(ds: dict) -> dict:
    """The template's pod spec with the daemon tolerations (``NewPod``'s spec), for
    :func:`node_should_run`: build it once per sync and pass it to every node's check
    (a copy per node made the controller's sync cost a deep copy per node)."""
    tspec = copy.deepcopy(((ds.get("spec") or {}).get("template") or {}).get("spec") or {})
    add_daemon_tolerations(tspec)
    return tspec


def node_should_run(node: dict, ds: dict, tspec: dict | None = None) -> tuple[bool, bool]:
    """``NodeShouldRunDaemonPod`` -> (should run, should continue running); ``tspec`` is
    :func:`daemon_pod_spec` of ``ds`` (computed here when not given; never mutated)."""
    if tspec is None:
        tspec = daemon_pod_spec(ds)
    name = node["metadata"]["name"]
    if tspec.get("nodeName") and tspec["nodeName"] != name:
        return False, False
    labels = node["metadata"].get("labels") or {}
    if not required_matches({"spec": tspec}, labels, name):
        return False, False
    taints = (node.get("spec") or {}).get("taints") or []
    tolerations = tspec.get("tolerations") or []
    if find_untolerated(taints, tolerations, lambda t: t.get("effect") in ("NoSchedule", "NoExecute")):
        no_execute = find_untolerated(taints, tolerations, lambda t: t.get("effect") == "NoExecute")
        return False, no_execute is None
    return True, True


def is_pod_updated(pod: dict, hash_: str, generation: str | None) -> bool:
    """``IsPodUpdated``: the pod carries the current hash (or the current template generation)."""
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return bool(hash_) and labels.get(CONTROLLER_REVISION_HASH) == hash_ or \
        (generation is not None and labels.get(TEMPLATE_GENERATION_LABEL) == generation)


def is_pod_available(pod: dict, min_ready: int, now: float) -> bool:
    """podutil.IsPodAvailable: Ready for at least ``minReadySeconds``."""
    if not is_pod_ready(pod):
        return False
    if not min_ready:
        return True
    since = (condition(pod, "Ready") or {}).get("lastTransitionTime")
    return bool(since) and parse(since) + min_ready <= now


def scaled_value(value: Any, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent."""
    if isinstance(value, str) and value.endswith("%"):
        n = int(value[:-1]) * total / 100
        return int(math.ceil(n)) if round_up else int(math.floor(n))
    return int(value or 0)


def creation_order(pod: dict) -> tuple:
    """``podByCreationTimestampAndPhase``: older first; at a tie, a Running pod first, then name."""
    meta = pod.get("metadata") or {}
    running = (pod.get("status") or {}).get("phase") == "Running"
    return (parse(meta["creationTimestamp"]) if meta.get("creationTimestamp") else 0.0,
            0 if running else 1, meta.get("name", ""))
