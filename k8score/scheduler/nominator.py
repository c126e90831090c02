"""Pods nominated to a node by preemption (``pkg/scheduler/backend/queue/nominator.go``).

When DefaultPreemption evicts victims for a pod, the pod is *nominated* to that node
(``status.nominatedNodeName``) and waits for the victims to go. Until it is bound, the
space it will take must not be handed to a pod of lower priority: every Filter on that
node counts the nominated pods of equal or higher priority as if they were running
(:meth:`~.framework.Framework.run_filter_with_nominated_pods`, upstream
``RunFilterPluginsWithNominatedPods`` / ``addGENominatedPods``).

The nominator learns nominations from two places, as upstream: the PostFilter result
of a scheduling cycle (before the status patch reaches the API server), and pods seen
by the informer with ``status.nominatedNodeName`` (e.g. after a scheduler restart). A
pod leaves it when it is bound, deleted, or its nomination is cleared.
"""

from __future__ import annotations

from .nodeinfo import PodInfo, pod_key


class Nominator:
    """Nominated pods by node name. Cost per call: O(pods nominated to that node)."""

    __slots__ = ("_by_node", "_node_of")

    def __init__(self) -> None:
        self._by_node: dict[str, dict[str, PodInfo]] = {}
        self._node_of: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._node_of)

    def add(self, pod: dict, node_name: str) -> None:
        """Nominate ``pod`` to ``node_name`` (replacing an earlier nomination); "" removes it."""
        key = pod_key(pod)
        self.delete(key)
        if not node_name:
            return
        self._by_node.setdefault(node_name, {})[key] = PodInfo(pod)
        self._node_of[key] = node_name

    def delete(self, key: str) -> None:
        node = self._node_of.pop(key, None)
        if node is None:
            return
        pods = self._by_node[node]
        pods.pop(key, None)
        if not pods:
            del self._by_node[node]

    def update(self, old: dict | None, pod: dict) -> None:
        """An unassigned pod was added or changed: follow its ``status.nominatedNodeName``.

        ``updateNominatedPodUnlocked``: when the update leaves the field as it was (e.g.
        only labels changed while our status patch is in flight), a nomination we made
        stays; an update that clears the field removes it."""
        key = pod_key(pod)
        node = _nominated(pod)
        if not node and key in self._node_of and old is not None and _nominated(old) == node:
            node = self._node_of[key]
        self.add(pod, node)

    def node_of(self, key: str) -> str:
        return self._node_of.get(key, "")

    def pods_for_node(self, node_name: str) -> list[PodInfo]:
        """The pods nominated to ``node_name`` (``NominatedPodsForNode``), in nomination order."""
        pods = self._by_node.get(node_name)
        return list(pods.values()) if pods else []

    def has_pods_on(self, node_name: str) -> bool:
        return node_name in self._by_node


def _nominated(pod: dict) -> str:
    return (pod.get("status") or {}).get("nominatedNodeName") or ""
