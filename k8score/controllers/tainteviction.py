"""The taint-eviction controller (pkg/controller/tainteviction, split out of node lifecycle in v1.29).

A ``NoExecute`` taint on a node evicts the pods running there: a pod that does not
tolerate the taint is deleted at once; one that tolerates it for ``tolerationSeconds`` is
deleted when that time has passed since the taint's ``timeAdded``; one that tolerates it
without a limit stays. Every pod gets ``not-ready``/``unreachable`` tolerations of 300 s
from the DefaultTolerationSeconds admission plugin, which is why pods on a lost node are
evicted about five minutes after it became unreachable (event ``TaintManagerEviction``).
The pods are deleted gracefully: with the node's kubelet gone they stay ``Terminating``
while their ReplicaSet already creates replacements elsewhere.
"""

from __future__ import annotations

from typing import Any

from ..api.taints import tolerates
from ..client.errors import ApiError
from ..client.meta import key_func, split_key
from ..lang import Text
from ..sim.clock import parse
from .base import Controller


def eviction_time(pod: dict, taints: list[dict]) -> float | None:
    """When ``pod`` must go because of ``taints`` (NoExecute only): -inf now, None never."""
    tolerations = (pod.get("spec") or {}).get("tolerations") or []
    when: float | None = None
    for taint in taints:
        if taint.get("effect") != "NoExecute":
            continue
        matching = [t for t in tolerations if tolerates(t, taint)]
        if not matching:
            return float("-inf")
        limits = [t["tolerationSeconds"] for t in matching if t.get("tolerationSeconds") is not None]
        if len(limits) < len(matching):
            continue  # tolerated forever by at least one toleration
        added = parse(taint["timeAdded"]) if taint.get("timeAdded") else 0.0
        deadline = added + max(0, min(limits))
        when = deadline if when is None else min(when, deadline)
    return when


_NODE_INDEX = "spec.nodeName"


def _pod_node(pod: dict) -> list[str]:
    node = (pod.get("spec") or {}).get("nodeName")
    return [node] if node else []


class TaintEvictionController(Controller):
    name = "taint-eviction-controller"
    kind = "taint-eviction-controller"
    watches = ("nodes", "pods")
    writes = ("pods", "events")
    summary = Text("节点带 NoExecute 污点时，驱逐（删除）不容忍该污点的 Pod；容忍有时限的，到时再驱逐",
                   "Evicts (deletes) the Pods that do not tolerate a node's NoExecute taint; Pods tolerating it for a limited time are evicted when that time is up")
    event_component = "taint-eviction-controller"

    def setup(self) -> None:
        self.node_informer = self.informer("nodes")
        self.pod_informer = self.informer("pods")
        self.pod_informer.add_indexer(_NODE_INDEX, _pod_node)   # the pods of a node, not all pods
        self.pod_informer.add_event_handler(on_add=self.enqueue, on_update=lambda old, new: self.enqueue(new))
        self.node_informer.add_event_handler(on_add=self._node_changed,
                                             on_update=lambda old, new: self._node_changed(new))

    def _node_changed(self, node: dict) -> None:
        if not any(t.get("effect") == "NoExecute" for t in (node.get("spec") or {}).get("taints") or ()):
            return
        for pod in self.pod_informer.by_index(_NODE_INDEX, node["metadata"]["name"]):
            self.enqueue(pod)

    def sync(self, key: Any) -> None:
        pod = self.pod_informer.get(key)
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            return
        node = self.node_informer.get((pod.get("spec") or {}).get("nodeName") or "")
        if node is None:
            return
        when = eviction_time(pod, (node.get("spec") or {}).get("taints") or [])
        if when is None:
            return
        if when > self.loop.now:
            self.queue.add_after(key, when - self.loop.now)
            return
        ns, name = split_key(key)
        self.recorder.event(pod, "Normal", "TaintManagerEviction", f"Marking for deletion Pod {key_func(pod)}")
        try:
            self.client.delete("pods", name, namespace=ns)
        except ApiError as err:
            if err.code != 404:
                raise
