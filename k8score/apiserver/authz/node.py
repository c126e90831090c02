"""The Node authorizer: a kubelet may read only what the pods bound to its node use.

Upstream: plugin/pkg/auth/authorizer/node/node_authorizer.go (``NodeAuthorizer.Authorize``
and its ``authorize*`` helpers) over the graph of graph_populator.go; the node identity
is pkg/auth/nodeidentifier (``system:node:<name>`` in group ``system:nodes``).

Instead of upstream's incrementally maintained graph, the relationships are looked up on
demand through ``ctx.lister``: the pods of the request's namespace whose ``spec.nodeName``
is the node, and what they reference (secrets, configmaps, PVCs, the ServiceAccount, the
PV a PVC is bound to). Cost: O(pods in that namespace) per subdivided request.

Contract: users that are not nodes get NO_OPINION with no reason. Secrets, configmaps,
PVCs, PVs, serviceaccount tokens, leases and CSINodes are subdivided; refusals are
NO_OPINION with upstream's reason (``no relationship found between node 'node-2' and
this object``), so RBAC is still asked. Everything else is allowed iff the ``system:node``
rules (bootstrap ``node_rules``) allow it. Pods are readable through those rules (the
``AuthorizeNodeWithSelectors`` field-selector narrowing of 1.32 needs field selectors in
the attributes and is not modelled); that a node only writes its own Node object is
NodeRestriction admission's job, as upstream.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..admission.podrefs import configmap_names, secret_names
from ..request import ALLOW, NO_OPINION, NODES_GROUP, AuthzAttributes
from .bootstrap import node_rules
from .rbac import rules_allow

NODE_USER_PREFIX = "system:node:"  # pkg/auth/nodeidentifier/default.go
NODE_LEASE_NAMESPACE = "kube-node-lease"  # pkg/apis/core/types.go NamespaceNodeLease
_MAX_MEMO = 1024  # memoised rule answers; cleared when full (deterministic)


def node_identity(user: Any) -> tuple[str, bool]:
    """nodeidentifier.NodeIdentity: (node name, is a node)."""
    if user is None or not user.name.startswith(NODE_USER_PREFIX) or NODES_GROUP not in user.groups:
        return "", False
    return user.name[len(NODE_USER_PREFIX):], True


def _d(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def _l(v: Any) -> list:
    return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []


def pod_pvc_names(pod: dict) -> set[str]:
    """graph_populator: persistentVolumeClaim volumes, and ``<pod>-<volume>`` for ephemeral ones."""
    spec, out = _d(pod.get("spec")), set()
    pod_name = _d(pod.get("metadata")).get("name")
    for v in _l(spec.get("volumes")):
        out.add(_d(v.get("persistentVolumeClaim")).get("claimName"))
        if "ephemeral" in v:
            out.add(f"{pod_name}-{v.get('name')}")
    return {n for n in out if isinstance(n, str) and n}


class NodeAuthorizer:
    """authorizer.Authorizer for kubelets (``--authorization-mode=Node,RBAC``)."""

    name = "Node"

    def __init__(self, ctx: Any):
        self.lister = ctx.lister
        self.node_rules = node_rules()
        #: (rules, their count) the memo below was filled from; attributes -> allowed
        self._memo_of: tuple = (None, 0)
        self._allowed: dict[tuple, bool] = {}
        self._by_name = False   # a rule lists resourceNames: the name is part of the key

    def authorize(self, attrs: AuthzAttributes) -> tuple[str, str]:
        node, is_node = node_identity(attrs.user)
        if not is_node:
            return NO_OPINION, ""
        if not node:
            return NO_OPINION, f'unknown node for user "{attrs.user.name}"'
        if attrs.is_resource_request:
            gr = (attrs.api_group or "", attrs.resource)
            sub = attrs.subresource or ""
            if gr in (("", "secrets"), ("", "configmaps")):
                return self._read_namespaced(node, attrs)
            if gr == ("", "persistentvolumeclaims"):
                return self._status_update(node, attrs) if sub == "status" else self._get(node, attrs)
            if gr == ("", "persistentvolumes"):
                return self._get(node, attrs)
            if gr == ("", "serviceaccounts"):
                return self._create_token(node, attrs)
            if gr == ("coordination.k8s.io", "leases"):
                return self._lease(node, attrs)
            if gr == ("storage.k8s.io", "csinodes"):
                return self._csinode(node, attrs)
        if self._rules_allow(attrs):
            return ALLOW, ""
        return NO_OPINION, ""

    def _rules_allow(self, a: AuthzAttributes) -> bool:
        """rules_allow over the fixed ``system:node`` rules, memoised: the answer is a pure
        function of the attributes the rules read (the name only when a rule lists
        ``resourceNames``; NodeRules has none). Every kubelet request that is not
        subdivided reaches it (events, pods/status, nodes), with few distinct keys."""
        rules = self.node_rules
        if self._memo_of[0] is not rules or self._memo_of[1] != len(rules):
            self._memo_of = (rules, len(rules))
            self._allowed = {}
            self._by_name = any(isinstance(r, dict) and r.get("resourceNames") for r in rules)
        key = (a.is_resource_request, a.verb, a.api_group, a.resource, a.subresource, a.path,
               a.name if self._by_name else None)
        hit = self._allowed.get(key)
        if hit is None:
            if len(self._allowed) >= _MAX_MEMO:
                self._allowed.clear()
            hit = self._allowed[key] = rules_allow(a, rules)
        return hit

    def rules_for(self, user: Any, namespace: str | None) -> tuple[list, list, bool, str]:
        """Nodes' permissions cannot be enumerated (node_authorizer.go RulesFor)."""
        if node_identity(user)[1]:
            return [], [], True, "node authorizer does not support user rule resolution"
        return [], [], False, ""

    # -- node_authorizer.go helpers ----------------------------------------------------
    def _read_namespaced(self, node: str, a: AuthzAttributes) -> tuple[str, str]:
        if a.verb not in ("get", "list", "watch"):
            return NO_OPINION, "can only read resources of this type"
        if a.subresource:
            return NO_OPINION, "cannot read subresource"
        if not a.namespace:
            return NO_OPINION, "can only read namespaced object of this type"
        return self._authorize(node, a)

    def _get(self, node: str, a: AuthzAttributes) -> tuple[str, str]:
        if a.verb != "get":
            return NO_OPINION, "can only get individual resources of this type"
        if a.subresource:
            return NO_OPINION, "cannot get subresource"
        return self._authorize(node, a)

    def _status_update(self, node: str, a: AuthzAttributes) -> tuple[str, str]:
        if a.verb not in ("update", "patch"):
            return NO_OPINION, "can only get/update/patch this type"
        if a.subresource != "status":
            return NO_OPINION, "can only update status subresource"
        return self._authorize(node, a)

    def _create_token(self, node: str, a: AuthzAttributes) -> tuple[str, str]:
        if a.verb != "create" or not a.name:
            return NO_OPINION, "can only create tokens for individual service accounts"
        if a.subresource != "token":
            return NO_OPINION, "can only create token subresource of serviceaccount"
        return self._authorize(node, a)

    def _lease(self, node: str, a: AuthzAttributes) -> tuple[str, str]:
        if a.verb not in ("get", "create", "update", "patch", "delete"):
            return NO_OPINION, "can only get, create, update, patch, or delete a node lease"
        if a.namespace != NODE_LEASE_NAMESPACE:
            return NO_OPINION, f'can only access leases in the "{NODE_LEASE_NAMESPACE}" system namespace'
        # create is not checked: the name is unknown here; NodeRestriction admission checks it
        if a.verb != "create" and a.name != node:
            return NO_OPINION, "can only access node lease with the same name as the requesting node"
        return ALLOW, ""

    def _csinode(self, node: str, a: AuthzAttributes) -> tuple[str, str]:
        if a.verb not in ("get", "create", "update", "patch", "delete"):
            return NO_OPINION, "can only get, create, update, patch, or delete a CSINode"
        if a.subresource:
            return NO_OPINION, "cannot authorize CSINode subresources"
        if a.verb != "create" and a.name != node:
            return NO_OPINION, "can only access CSINode with the same name as the requesting node"
        return ALLOW, ""

    def _authorize(self, node: str, a: AuthzAttributes) -> tuple[str, str]:
        if not a.name:
            return NO_OPINION, "No Object name found"
        if self._has_path(node, a.resource, a.namespace or "", a.name):
            return ALLOW, ""
        return NO_OPINION, f"no relationship found between node '{node}' and this object"

    # -- the graph, looked up on demand -------------------------------------------------
    def _node_pods(self, node: str, namespace: str | None) -> Iterator[dict]:
        """The pods bound to ``node`` (the graph's pod -> node edges). A lister with
        ``pods_on_node`` (the watch cache's ``spec.nodeName`` index) makes this O(pods on the
        node) instead of O(pods in the namespace) for each kubelet request."""
        on_node = getattr(self.lister, "pods_on_node", None)
        pods = on_node(node, namespace) if on_node is not None else self.lister.list("pods", namespace)
        for pod in pods:
            if isinstance(pod, dict) and _d(pod.get("spec")).get("nodeName") == node:
                yield pod

    def _has_path(self, node: str, resource: str, namespace: str, name: str) -> bool:
        if resource == "persistentvolumes":
            return self._pv_used(node, name)
        for pod in self._node_pods(node, namespace):
            if resource == "secrets" and name in secret_names(pod):
                return True
            if resource == "configmaps" and name in configmap_names(pod):
                return True
            if resource == "persistentvolumeclaims" and name in pod_pvc_names(pod):
                return True
            if resource == "serviceaccounts" and name == (pod["spec"].get("serviceAccountName") or "default"):
                return True
        return False

    def _pv_used(self, node: str, pv_name: str) -> bool:
        """A PV is reachable through a PVC bound to it (``spec.volumeName``) that a pod on
        the node uses — the PV's ``spec.claimRef`` names that PVC."""
        pv = self.lister.get("persistentvolumes", pv_name)
        ref = _d(_d((pv or {}).get("spec")).get("claimRef"))
        ns, claim = ref.get("namespace"), ref.get("name")
        if not ns or not claim:
            return False
        pvc = self.lister.get("persistentvolumeclaims", claim, ns)
        if _d((pvc or {}).get("spec")).get("volumeName") != pv_name:
            return False
        return self._has_path(node, "persistentvolumeclaims", ns, claim)
