"""The NodeRestriction admission plugin (plugin/pkg/admission/noderestriction/admission.go).

A kubelet authenticates as ``system:node:<name>`` in group ``system:nodes``. The Node
authorizer lets it write pods, nodes, leases... in general; this plugin narrows each write to
the kubelet's own objects:

- its own Node only (``node "node-1" is not allowed to modify node "node-2"``), never its
  taints or ``configSource`` on update, and no labels under ``node-restriction.kubernetes.io/``
  or unknown ``kubernetes.io`` / ``k8s.io`` labels (``kubernetes.io/hostname``, the topology,
  os/arch and instance-type labels and the ``kubelet.kubernetes.io`` / ``node.kubernetes.io``
  prefixes are the kubelet's to set);
- pods: create only mirror pods bound to itself, owned by its Node, referring to no
  ServiceAccount, Secret, ConfigMap or PVC; delete and evict only pods bound to itself; update
  only the status of pods bound to itself, without touching their labels;
- PVCs: only ``status`` (capacity and conditions); ServiceAccount tokens only bound to a pod
  on itself; leases only its own in ``kube-node-lease``; its own CSINode.

Like upstream the plugin sits in the mutating phase (``Admit``) but never mutates.
Difference: the PVC refusal message ends in a list of changed fields where upstream prints a
go-cmp diff.
"""

from __future__ import annotations

from ...api.errors import ApiError
from ..request import NODES_GROUP, AdmissionAttributes, PluginContext
from .namespacelifecycle import new_forbidden
from .podrefs import configmap_names, dicts, projected_sources, secret_names

PLUGIN_NAME = "NodeRestriction"
NODE_USER_PREFIX = "system:node:"              # pkg/auth/nodeidentifier nodeUserNamePrefix
MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror"  # api.MirrorPodAnnotationKey
NODE_LEASE_NAMESPACE = "kube-node-lease"       # api.NamespaceNodeLease
# core/v1 well_known_labels.go LabelNamespaceNodeRestriction
LABEL_NAMESPACE_NODE_RESTRICTION = "node-restriction.kubernetes.io"
# k8s.io/kubelet/pkg/apis/well_known_labels.go kubeletLabels / kubeletLabelNamespaces
KUBELET_LABELS = frozenset((
    "kubernetes.io/hostname", "topology.kubernetes.io/zone", "topology.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/region",
    "beta.kubernetes.io/instance-type", "node.kubernetes.io/instance-type",
    "kubernetes.io/os", "kubernetes.io/arch", "beta.kubernetes.io/os", "beta.kubernetes.io/arch",
))
KUBELET_LABEL_NAMESPACES = ("kubelet.kubernetes.io", "node.kubernetes.io")


def node_identity(user) -> tuple[str, bool]:
    """nodeidentifier.NodeIdentity: (node name, is a node) — both the prefix and the group."""
    if user is None or not user.name.startswith(NODE_USER_PREFIX) or NODES_GROUP not in user.groups:
        return "", False
    return user.name[len(NODE_USER_PREFIX):], True


def _label_namespace(key: str) -> str:
    prefix, slash, _ = key.partition("/")
    return prefix if slash else ""


def _in_namespace(ns: str, domain: str) -> bool:
    return ns == domain or ns.endswith("." + domain)


def is_kubelet_label(key: str) -> bool:
    """kubeletapis.IsKubeletLabel."""
    ns = _label_namespace(key)
    return key in KUBELET_LABELS or any(_in_namespace(ns, d) for d in KUBELET_LABEL_NAMESPACES)


def forbidden_labels(modified: set[str]) -> list[str]:
    """getForbiddenLabels, sorted (sets.String.List)."""
    out = []
    for key in modified:
        ns = _label_namespace(key)
        if _in_namespace(ns, LABEL_NAMESPACE_NODE_RESTRICTION):
            out.append(key)
        elif (_in_namespace(ns, "kubernetes.io") or _in_namespace(ns, "k8s.io")) and not is_kubelet_label(key):
            out.append(key)
    return sorted(out)


def _labels(obj: object) -> dict:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return labels if isinstance(labels, dict) else {}


def _modified_labels(a: dict, b: dict) -> set[str]:
    return {k for k in set(a) | set(b) if k not in a or k not in b or a[k] != b[k]}


def _spec(obj: object) -> dict:
    spec = obj.get("spec") if isinstance(obj, dict) else None
    return spec if isinstance(spec, dict) else {}


def _obj_name(obj: object) -> str:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    return (meta.get("name") or "") if isinstance(meta, dict) else ""


def _semantic(value: object) -> object:
    # apiequality.Semantic.DeepEqual: nil and empty slices/maps are equal
    return None if value in ([], {}) else value


class NodeRestriction:
    """Admission for requests from kubelets; everyone else passes untouched."""

    name = PLUGIN_NAME

    def __init__(self, ctx: PluginContext):
        self.ctx = ctx

    def handles(self, operation: str) -> bool:
        return operation in ("CREATE", "UPDATE", "DELETE")

    def admit(self, a: AdmissionAttributes) -> str | None:
        node, is_node = node_identity(a.user)
        if not is_node:
            return None  # "our job is just to restrict nodes"
        if not node:
            raise new_forbidden(a, f'could not determine node from user "{a.user.name}"')
        handler = _HANDLERS.get((a.info.group, a.info.plural))
        if handler is None:
            return None
        handler(self, node, a)
        return f"node {node} allowed"

    # -- pods ----------------------------------------------------------------------
    def _pods(self, node: str, a: AdmissionAttributes) -> None:
        sub = a.subresource or ""
        if sub == "":
            self._pod(node, a)
        elif sub == "status":
            self._pod_status(node, a)
        elif sub == "eviction":
            self._pod_eviction(node, a)
        else:
            raise new_forbidden(a, f'unexpected pod subresource "{sub}", only \'status\' and '
                                   "'eviction' are allowed")

    def _existing_pod(self, a: AdmissionAttributes, name: str) -> dict:
        pod = self.ctx.lister.get("pods", name, a.namespace)
        if pod is None:
            raise ApiError.not_found("pods", name)  # returned as is, not wrapped
        return pod

    def _pod(self, node: str, a: AdmissionAttributes) -> None:
        if a.operation == "CREATE":
            self._pod_create(node, a)
        elif a.operation == "DELETE":
            if _spec(self._existing_pod(a, a.name or "")).get("nodeName") != node:
                raise new_forbidden(a, f'node "{node}" can only delete pods with spec.nodeName set to itself')
        else:
            raise new_forbidden(a, f'unexpected operation "{a.operation}", node "{node}" can only '
                                   "create and delete mirror pods")

    def _pod_create(self, node: str, a: AdmissionAttributes) -> None:
        pod = a.obj if isinstance(a.obj, dict) else {}
        meta = pod.get("metadata") if isinstance(pod.get("metadata"), dict) else {}
        ann = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
        if MIRROR_POD_ANNOTATION not in ann:
            raise new_forbidden(a, f'pod does not have "{MIRROR_POD_ANNOTATION}" annotation, node '
                                   f'"{node}" can only create mirror pods')
        spec = _spec(pod)
        if spec.get("nodeName") != node:
            raise new_forbidden(a, f'node "{node}" can only create pods with spec.nodeName set to itself')
        owners = list(dicts(meta.get("ownerReferences")))
        if len(owners) > 1:
            raise new_forbidden(a, f'node "{node}" can only create pods with a single owner reference set to itself')
        if not owners:
            raise new_forbidden(a, f'node "{node}" can only create pods with an owner reference set to itself')
        owner = owners[0]
        if owner.get("apiVersion") != "v1" or owner.get("kind") != "Node" or owner.get("name") != node:
            raise new_forbidden(a, f'node "{node}" can only create pods with an owner reference set to itself')
        if owner.get("controller") is not True:
            raise new_forbidden(a, f'node "{node}" can only create pods with a controller owner reference '
                                   "set to itself")
        if owner.get("blockOwnerDeletion") is True:
            raise new_forbidden(a, f'node "{node}" must not set blockOwnerDeletion on an owner reference')
        node_obj = self.ctx.lister.get("nodes", node)
        if node_obj is None:
            raise ApiError.not_found("nodes", node)
        node_uid = (node_obj.get("metadata") or {}).get("uid", "")
        if owner.get("uid", "") != node_uid:
            raise new_forbidden(a, f"node {node} UID mismatch: expected {owner.get('uid', '')} got {node_uid}")
        # a node may not create a pod that references any other API object
        if spec.get("serviceAccountName"):
            raise new_forbidden(a, f'node "{node}" can not create pods that reference a service account')
        if secret_names(pod):
            raise new_forbidden(a, f'node "{node}" can not create pods that reference secrets')
        if configmap_names(pod):
            raise new_forbidden(a, f'node "{node}" can not create pods that reference configmaps')
        if any("clusterTrustBundle" in s for s in projected_sources(pod)):
            raise new_forbidden(a, f'node "{node}" can not create pods that reference clustertrustbundles')
        if any("persistentVolumeClaim" in v for v in dicts(spec.get("volumes"))):
            raise new_forbidden(a, f'node "{node}" can not create pods that reference persistentvolumeclaims')

    def _pod_status(self, node: str, a: AdmissionAttributes) -> None:
        if a.operation != "UPDATE":
            raise new_forbidden(a, f'unexpected operation "{a.operation}"')
        if _spec(a.old).get("nodeName") != node:
            raise new_forbidden(a, f'node "{node}" can only update pod status for pods with spec.nodeName '
                                   "set to itself")
        if _labels(a.old) != _labels(a.obj):
            raise new_forbidden(a, f'node "{node}" cannot update labels through pod status')
        old_claims = _claim_statuses(a.old)
        if old_claims != _claim_statuses(a.obj):
            raise new_forbidden(a, f'node "{node}" cannot update resource claim statues')

    def _pod_eviction(self, node: str, a: AdmissionAttributes) -> None:
        if a.operation != "CREATE":
            raise new_forbidden(a, f"unexpected operation {a.operation}")
        pod_name = a.name or _obj_name(a.obj)
        if not pod_name:
            raise new_forbidden(a, "could not determine pod from request data")
        if _spec(self._existing_pod(a, pod_name)).get("nodeName") != node:
            raise new_forbidden(a, f"node {node} can only evict pods with spec.nodeName set to itself")

    # -- nodes ---------------------------------------------------------------------
    def _nodes(self, node: str, a: AdmissionAttributes) -> None:
        requested = a.name or _obj_name(a.obj)
        if requested != node:
            raise new_forbidden(a, f'node "{node}" is not allowed to modify node "{requested}"')
        if a.operation == "CREATE":
            if _spec(a.obj).get("configSource") is not None:
                raise new_forbidden(a, f'node "{node}" is not allowed to create pods with a non-nil '
                                       "configSource")
            bad = forbidden_labels(_modified_labels(_labels(a.obj), {}))
            if bad:
                raise new_forbidden(a, f'node "{node}" is not allowed to set the following labels: '
                                       + ", ".join(bad))
        elif a.operation == "UPDATE":
            new, old = _spec(a.obj), _spec(a.old)
            source = new.get("configSource")
            if source is not None and source != old.get("configSource"):
                raise new_forbidden(a, f'node "{node}" is not allowed to update configSource to a new '
                                       "non-nil configSource")
            if _semantic(new.get("taints")) != _semantic(old.get("taints")):
                raise new_forbidden(a, f'node "{node}" is not allowed to modify taints')
            bad = forbidden_labels(_modified_labels(_labels(a.obj), _labels(a.old)))
            if bad:
                raise new_forbidden(a, "is not allowed to modify labels: " + ", ".join(bad))

    # -- other resources -----------------------------------------------------------
    def _pvcs(self, node: str, a: AdmissionAttributes) -> None:
        if a.subresource != "status":
            raise new_forbidden(a, "may only update PVC status")
        if a.operation != "UPDATE":
            raise new_forbidden(a, f'unexpected operation "{a.operation}"')
        changed = _pvc_changes(a.old, a.obj)
        if changed:
            raise new_forbidden(a, f'node "{node}" is not allowed to update fields other than '
                                   f"status.capacity and status.conditions: {', '.join(changed)}")

    def _serviceaccounts(self, node: str, a: AdmissionAttributes) -> None:
        if a.operation != "CREATE" or a.subresource != "token":
            return
        ref = _spec(a.obj).get("boundObjectRef")
        if not isinstance(ref, dict) or ref.get("apiVersion") != "v1" or ref.get("kind") != "Pod" \
                or not ref.get("name"):
            raise new_forbidden(a, "node requested token not bound to a pod")
        if not ref.get("uid"):
            raise new_forbidden(a, "node requested token with a pod binding without a uid")
        pod = self._existing_pod(a, ref["name"])
        if ref["uid"] != (pod.get("metadata") or {}).get("uid"):
            raise new_forbidden(a, f"the UID in the bound object reference ({ref['uid']}) does not match "
                                   "the UID in record. The object might have been deleted and then recreated")
        if _spec(pod).get("nodeName") != node:
            raise new_forbidden(a, "node requested token bound to a pod scheduled on a different node")

    def _leases(self, node: str, a: AdmissionAttributes) -> None:
        if a.namespace != NODE_LEASE_NAMESPACE:
            raise new_forbidden(a, f'can only access leases in the "{NODE_LEASE_NAMESPACE}" system namespace')
        name = _obj_name(a.obj) if a.operation == "CREATE" else a.name
        if name != node:
            raise new_forbidden(a, "can only access node lease with the same name as the requesting node")

    def _csinodes(self, node: str, a: AdmissionAttributes) -> None:
        name = _obj_name(a.obj) if a.operation == "CREATE" else a.name
        if name != node:
            raise new_forbidden(a, "can only access CSINode with the same name as the requesting node")


def _claim_statuses(pod: object) -> list:
    status = pod.get("status") if isinstance(pod, dict) else None
    claims = status.get("resourceClaimStatuses") if isinstance(status, dict) else None
    return [(c.get("name"), c.get("resourceClaimName")) for c in dicts(claims)]


# what a kubelet may change in a PVC through status (admitPVCStatus zeroes these before comparing)
_PVC_IGNORED = {("metadata", "resourceVersion"), ("metadata", "managedFields"),
                ("status", "capacity"), ("status", "conditions"),
                ("status", "allocatedResourceStatuses"), ("status", "allocatedResources")}


def _pvc_changes(old: object, new: object) -> list[str]:
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    changed = []
    for top in sorted(set(old) | set(new)):
        o, n = old.get(top), new.get(top)
        if isinstance(o, dict) and isinstance(n, dict):
            for key in sorted(set(o) | set(n)):
                if (top, key) not in _PVC_IGNORED and _semantic(o.get(key)) != _semantic(n.get(key)):
                    changed.append(f"{top}.{key}")
        elif _semantic(o) != _semantic(n):
            changed.append(top)
    return changed


_HANDLERS = {
    ("", "pods"): NodeRestriction._pods,
    ("", "nodes"): NodeRestriction._nodes,
    ("", "persistentvolumeclaims"): NodeRestriction._pvcs,
    ("", "serviceaccounts"): NodeRestriction._serviceaccounts,
    ("coordination.k8s.io", "leases"): NodeRestriction._leases,
    ("storage.k8s.io", "csinodes"): NodeRestriction._csinodes,
}
