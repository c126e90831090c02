"""The route controller (k8s.io/cloud-provider/controllers/route/route_controller.go).

Every ``--route-reconciliation-period`` (10 s; the first pass as soon as the node cache has
synced — ``wait.NonSlidingUntil``, no watch trigger, as upstream's TODO admits) it lists the
cloud's routes and the Nodes and converges: a route per ``spec.podCIDRs`` entry of each Node
(named ``<cluster-name>-<node uid>``, the name hint), and every route inside the cluster CIDR
that no Node's CIDR accounts for (a deleted node's) is deleted. Then each Node that has a CIDR
gets the condition ``NetworkUnavailable=False`` reason ``RouteCreated`` "RouteController
created a route" (``True``/``NoRouteCreated`` "RouteController failed to create a route" if a
route could not be made), written only when it differs (``updateNetworkingCondition``). A route
that fails to be created is a Warning ``FailedToCreateRoute`` on the Node.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..client.errors import ApiError
from ..controllers.base import Controller
from ..controllers.nodeipam import CLUSTER_CIDR
from ..lang import Text
from ..sim.clock import rfc3339
from .provider import Route

# cloud-provider options: --route-reconciliation-period=10s
ROUTE_RECONCILIATION_PERIOD = 10.0
_KEY = "reconcile"


def _responsible(route: Route, cluster: Any) -> bool:
    """isResponsibleForRoute: the route's CIDR lies in the cluster CIDR."""
    try:
        net = ipaddress.ip_network(route.destination_cidr, strict=False)
    except ValueError:
        return False
    return net.network_address in cluster or net.broadcast_address in cluster


class RouteController(Controller):
    name = "route"
    kind = "route-controller"
    watches = ("nodes",)
    writes = ("nodes/status", "events")
    #: the cloud-provider interface methods it calls (drawn by diagrams/cloud_controllers.py)
    cloud_api = ("Routes.ListRoutes", "Routes.CreateRoute", "Routes.DeleteRoute")
    summary = Text("每 10 秒对照节点的 podCIDR 在云上创建/删除路由，并把节点的 NetworkUnavailable 条件设为 False",
                   "Every 10 s creates/deletes cloud routes to match the nodes' podCIDRs and sets each node's NetworkUnavailable condition to False")
    event_component = "route_controller"

    def setup(self) -> None:
        self.routes, _ = self.host.cloud.routes()
        self.cluster_name = self.host.cluster_name
        self.cluster_cidr = ipaddress.ip_network(self.host.cluster_cidr or CLUSTER_CIDR)
        self.nodes = self.informer("nodes")
        self.host.every(ROUTE_RECONCILIATION_PERIOD, lambda: self.queue.add(_KEY), first=0.0)

    def sync(self, key: Any) -> None:
        routes = self.routes.list_routes(self.cluster_name)
        nodes = sorted(self.nodes.list(), key=lambda n: n["metadata"]["name"])
        by_node: dict[str, list[Route]] = {}
        for r in routes:
            if r.target_node:
                by_node.setdefault(r.target_node, []).append(r)
        # node -> {cidr: "keep" | "add"}; a node with routes but no CIDR has an empty map
        actions: dict[str, dict[str, str]] = {n: {} for n in by_node}
        for node in nodes:
            cidrs = (node.get("spec") or {}).get("podCIDRs") or ()
            if not cidrs:
                continue
            name = node["metadata"]["name"]
            have = {r.destination_cidr for r in by_node.get(name, ())}
            actions[name] = {c: ("keep" if c in have else "add") for c in cidrs}
        for r in routes:
            if not _responsible(r, self.cluster_cidr):
                continue
            if r.blackhole or actions.get(r.target_node, {}).get(r.destination_cidr) is None:
                self.routes.delete_route(self.cluster_name, r)
        for node in nodes:
            name = node["metadata"]["name"]
            for cidr, action in list(actions.get(name, {}).items()):
                if action != "add":
                    continue
                try:
                    self.routes.create_route(self.cluster_name, node["metadata"].get("uid", name),
                                             Route("", name, cidr))
                except Exception as err:  # noqa: BLE001 - the cloud refused: report it on the Node
                    self.recorder.event({"kind": "Node", "metadata": {"name": name, "uid": name}}, "Warning",
                                        "FailedToCreateRoute",
                                        f"Could not create route {node['metadata'].get('uid')} {cidr} for node {name}: {err}")
                    continue
                actions[name][cidr] = "keep"
        for node in nodes:
            acts = actions.get(node["metadata"]["name"])
            if acts is None:
                continue
            created = bool(acts) and all(a == "keep" for a in acts.values())
            try:
                self._update_networking_condition(node, created)
            except ApiError as err:
                self.errors.handle(f"Error updating node {node['metadata']['name']}", err)

    def _update_networking_condition(self, node: dict, routes_created: bool) -> None:
        current = next((c for c in (node.get("status") or {}).get("conditions") or ()
                        if isinstance(c, dict) and c.get("type") == "NetworkUnavailable"), None)
        want = "False" if routes_created else "True"
        if current is not None and current.get("status") == want:
            return
        now = rfc3339(self.loop.now)
        cond = {"type": "NetworkUnavailable", "status": want,
                "reason": "RouteCreated" if routes_created else "NoRouteCreated",
                "message": "RouteController created a route" if routes_created
                else "RouteController failed to create a route",
                "lastTransitionTime": now, "lastHeartbeatTime": now}
        # nodeutil.SetNodeCondition: a strategic merge patch of status.conditions (merge key: type)
        self.client.patch("nodes", node["metadata"]["name"], {"status": {"conditions": [cond]}},
                          patch_type="strategic", subresource="status")
