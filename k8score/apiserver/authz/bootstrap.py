"""The default RBAC policy a new cluster starts with, as data.

Upstream: plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go (``clusterRoles``,
``clusterRoleBindings``, ``NodeRules``), controller_policy.go (``system:controller:*``),
namespace_policy.go (kube-system leader-locking roles); testdata/cluster-roles.yaml and
cluster-role-bindings.yaml show the stored result. Read at the recent policy.go (1.3x).

Every object carries ``kubernetes.io/bootstrapping: rbac-defaults`` and
``rbac.authorization.kubernetes.io/autoupdate: "true"``. Rules are sorted field by field
as ``PolicyRuleBuilder.Rule()`` sorts them. ``admin``/``edit``/``view`` have only an
aggregationRule; the clusterrole-aggregation controller fills their rules from the
``system:aggregate-to-*`` roles. Rules behind alpha/beta feature gates (DRA,
ClusterTrustBundle, MultiCIDRServiceAllocator) are left out, as with the gates off.

>>> names = [o["metadata"]["name"] for o in cluster_roles()]
>>> "cluster-admin" in names and "system:controller:deployment-controller" in names
True
"""

from __future__ import annotations

from marshal import dumps, loads

RBAC_GROUP = "rbac.authorization.k8s.io"
LABELS = {"kubernetes.io/bootstrapping": "rbac-defaults"}
ANNOTATIONS = {"rbac.authorization.kubernetes.io/autoupdate": "true"}
AGG = "rbac.authorization.k8s.io/aggregate-to-"

# policy.go verb sets
WRITE = ("create", "update", "patch", "delete", "deletecollection")
READ_WRITE = ("get", "list", "watch") + WRITE
READ = ("get", "list", "watch")
READ_UPDATE = ("get", "list", "watch", "update", "patch")

# the well-known signer names (k8s.io/api/certificates/v1beta1)
_SIGNERS = {"legacy-unknown": "kubernetes.io/legacy-unknown",
            "kubelet-serving": "kubernetes.io/kubelet-serving",
            "kube-apiserver-client": "kubernetes.io/kube-apiserver-client",
            "kube-apiserver-client-kubelet": "kubernetes.io/kube-apiserver-client-kubelet"}


def R(verbs, groups, resources, names=()) -> dict:
    """rbacv1helpers.NewRule(verbs...).Groups(...).Resources(...).Names(...).RuleOrDie()."""
    verbs = (verbs,) if isinstance(verbs, str) else verbs
    groups = (groups,) if isinstance(groups, str) else groups
    resources = (resources,) if isinstance(resources, str) else resources
    rule = {"verbs": sorted(verbs), "apiGroups": sorted(groups), "resources": sorted(resources)}
    if names:
        rule["resourceNames"] = sorted((names,) if isinstance(names, str) else names)
    return rule


def URLS(verbs, *urls) -> dict:
    verbs = (verbs,) if isinstance(verbs, str) else verbs
    return {"verbs": sorted(verbs), "nonResourceURLs": sorted(urls)}


def EVENTS() -> dict:
    """controller_policy.go eventsRule."""
    return R(("create", "update", "patch"), ("", "events.k8s.io"), "events")


def _meta(name: str, labels: dict | None = None, namespace: str | None = None) -> dict:
    m: dict = {"name": name}
    if namespace:
        m["namespace"] = namespace
    m["labels"] = {**(labels or {}), **LABELS}
    m["annotations"] = dict(ANNOTATIONS)
    return m


def _cr(name: str, rules=None, labels=None, aggregate_from: str | None = None) -> dict:
    obj = {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "ClusterRole", "metadata": _meta(name, labels)}
    if aggregate_from:
        obj["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {AGG + aggregate_from: "true"}}]}
    else:
        obj["rules"] = list(rules or [])
    return obj


def _subjects(users=(), groups=(), sas=()) -> list:
    out = [{"apiGroup": RBAC_GROUP, "kind": "User", "name": u} for u in users]
    out += [{"apiGroup": RBAC_GROUP, "kind": "Group", "name": g} for g in groups]
    out += [{"kind": "ServiceAccount", "name": n, "namespace": ns} for ns, n in sas]
    return out


def _crb(role: str, users=(), groups=(), sas=()) -> dict:
    """rbacv1helpers.NewClusterBinding(role): binding named like its ClusterRole."""
    obj = {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "ClusterRoleBinding", "metadata": _meta(role),
           "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": role}}
    subjects = _subjects(users, groups, sas)
    if subjects:
        obj["subjects"] = subjects
    return obj


def node_rules() -> list[dict]:
    """policy.go NodeRules: what ``system:node`` grants; the Node authorizer narrows it."""
    return [
        R("create", "authentication.k8s.io", "tokenreviews"),
        R("create", "authorization.k8s.io", ("subjectaccessreviews", "localsubjectaccessreviews")),
        R(READ, "", "services"),
        R(("create", "get", "list", "watch"), "", "nodes"),
        R(("update", "patch"), "", "nodes/status"),
        R(("update", "patch"), "", "nodes"),
        R(("create", "update", "patch"), "", "events"),
        R(READ, "", "pods"),
        R(("create", "delete"), "", "pods"),
        R(("update", "patch"), "", "pods/status"),
        R("create", "", "pods/eviction"),
        R(("get", "list", "watch"), "", ("secrets", "configmaps")),
        R("get", "", ("persistentvolumeclaims", "persistentvolumes")),
        R("get", "", "endpoints"),
        R(("create", "get", "list", "watch"), "certificates.k8s.io", "certificatesigningrequests"),
        R(("get", "create", "update", "patch", "delete"), "coordination.k8s.io", "leases"),
        R("get", "storage.k8s.io", "volumeattachments"),
        R("create", "", "serviceaccounts/token"),
        R(("get", "update", "patch"), "", "persistentvolumeclaims/status"),
        R(("get", "watch", "list"), "storage.k8s.io", "csidrivers"),
        R(("get", "create", "update", "patch", "delete"), "storage.k8s.io", "csinodes"),
        R(READ, "node.k8s.io", "runtimeclasses"),
    ]


def _aggregate_roles() -> list[dict]:
    edit = [
        R(READ, "", ("pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy")),
        R("impersonate", "", "serviceaccounts"),
        R(WRITE, "", ("pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward")),
        R("create", "", "pods/eviction"),
        R(WRITE, "", ("replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
                      "services/proxy", "persistentvolumeclaims", "configmaps", "secrets", "events")),
        R("create", "", "serviceaccounts/token"),
        R(WRITE, "apps", ("statefulsets", "statefulsets/scale", "daemonsets", "deployments", "deployments/scale",
                          "deployments/rollback", "replicasets", "replicasets/scale")),
        R(WRITE, "autoscaling", "horizontalpodautoscalers"),
        R(WRITE, "batch", ("jobs", "cronjobs")),
        R(WRITE, "extensions", ("daemonsets", "deployments", "deployments/scale", "deployments/rollback",
                                "ingresses", "replicasets", "replicasets/scale", "replicationcontrollers/scale",
                                "networkpolicies")),
        R(WRITE, "policy", "poddisruptionbudgets"),
        R(WRITE, "networking.k8s.io", ("networkpolicies", "ingresses")),
    ]
    view = [
        R(READ, "", ("pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
                     "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status",
                     "configmaps")),
        R(READ, "", ("limitranges", "resourcequotas", "bindings", "events", "pods/status", "resourcequotas/status",
                     "namespaces/status", "replicationcontrollers/status", "pods/log")),
        R(READ, "", "namespaces"),
        R(READ, "discovery.k8s.io", "endpointslices"),
        R(READ, "apps", ("controllerrevisions", "statefulsets", "statefulsets/status", "statefulsets/scale",
                         "daemonsets", "daemonsets/status", "deployments", "deployments/status", "deployments/scale",
                         "replicasets", "replicasets/status", "replicasets/scale")),
        R(READ, "autoscaling", ("horizontalpodautoscalers", "horizontalpodautoscalers/status")),
        R(READ, "batch", ("jobs", "cronjobs", "cronjobs/status", "jobs/status")),
        R(READ, "extensions", ("daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                               "deployments/status", "ingresses", "ingresses/status", "replicasets",
                               "replicasets/scale", "replicasets/status", "replicationcontrollers/scale",
                               "networkpolicies")),
        R(READ, "policy", ("poddisruptionbudgets", "poddisruptionbudgets/status")),
        R(READ, "networking.k8s.io", ("networkpolicies", "ingresses", "ingresses/status")),
    ]
    return [
        _cr("admin", aggregate_from="admin"),
        _cr("edit", labels={AGG + "admin": "true"}, aggregate_from="edit"),
        _cr("view", labels={AGG + "edit": "true"}, aggregate_from="view"),
        _cr("system:aggregate-to-admin", [
            R("create", "authorization.k8s.io", "localsubjectaccessreviews"),
            R(READ_WRITE, RBAC_GROUP, ("roles", "rolebindings")),
        ], labels={AGG + "admin": "true"}),
        _cr("system:aggregate-to-edit", edit, labels={AGG + "edit": "true"}),
        _cr("system:aggregate-to-view", view, labels={AGG + "view": "true"}),
    ]


def _system_roles() -> list[dict]:
    approver = lambda name, signer: _cr(name, [R("approve", "certificates.k8s.io", "signers", _SIGNERS[signer])])
    return [
        _cr("system:heapster", [R(READ, "", ("events", "pods", "nodes", "namespaces")),
                                R(READ, "extensions", "deployments")]),
        _cr("system:node", node_rules()),
        _cr("system:node-problem-detector", [R("get", "", "nodes"), R("patch", "", "nodes/status"), EVENTS()]),
        _cr("system:kubelet-api-admin", [
            R(READ, "", "nodes"), R("proxy", "", "nodes"),
            R("*", "", ("nodes/proxy", "nodes/metrics", "nodes/stats", "nodes/log"))]),
        _cr("system:node-bootstrapper", [R(("create", "get", "list", "watch"), "certificates.k8s.io",
                                           "certificatesigningrequests")]),
        _cr("system:auth-delegator", [R("create", "authentication.k8s.io", "tokenreviews"),
                                      R("create", "authorization.k8s.io", "subjectaccessreviews")]),
        _cr("system:kube-aggregator", [R(READ, "", ("services", "endpoints"))]),
        _cr("system:kube-controller-manager", [
            EVENTS(),
            R("create", "coordination.k8s.io", "leases"),
            R(("get", "update"), "coordination.k8s.io", "leases", "kube-controller-manager"),
            R("create", "", ("secrets", "serviceaccounts")),
            R("delete", "", "secrets"),
            R("get", "", ("namespaces", "secrets", "serviceaccounts", "configmaps")),
            R("update", "", ("secrets", "serviceaccounts")),
            R("create", "authentication.k8s.io", "tokenreviews"),
            R("create", "authorization.k8s.io", "subjectaccessreviews"),
            R(("list", "watch"), "*", "*"),
            R("create", "", "serviceaccounts/token"),
        ]),
        _cr("system:kube-dns", [R(("list", "watch"), "", ("endpoints", "services"))]),
        # cluster/addons/rbac/cloud-controller-manager-roles.yaml (the process identity the CCM's
        # shared informers list and watch as; its controllers write as their ServiceAccounts)
        _cr("system:cloud-controller-manager", [
            R(("create", "patch", "update"), "", "events"), R("*", "", "nodes"), R("patch", "", "nodes/status"),
            R(("list", "patch", "update", "watch"), "", "services"), R("create", "", "serviceaccounts"),
            R(("get", "list", "update", "watch"), "", "persistentvolumes"),
            R(("create", "get", "list", "watch", "update"), "", "endpoints")]),
        _cr("system:persistent-volume-provisioner", [
            R(("get", "list", "watch", "create", "delete"), "", "persistentvolumes"),
            R(("get", "list", "watch", "update"), "", "persistentvolumeclaims"),
            R(READ, "storage.k8s.io", "storageclasses"),
            R("watch", "", "events"),
            EVENTS(),
        ]),
        _cr("system:certificates.k8s.io:certificatesigningrequests:nodeclient",
            [R("create", "certificates.k8s.io", "certificatesigningrequests/nodeclient")]),
        _cr("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
            [R("create", "certificates.k8s.io", "certificatesigningrequests/selfnodeclient")]),
        _cr("system:volume-scheduler", [R(READ_UPDATE, "", "persistentvolumes"),
                                        R(READ, "storage.k8s.io", "storageclasses"),
                                        R(READ_UPDATE, "", "persistentvolumeclaims")]),
        approver("system:certificates.k8s.io:legacy-unknown-approver", "legacy-unknown"),
        approver("system:certificates.k8s.io:kubelet-serving-approver", "kubelet-serving"),
        approver("system:certificates.k8s.io:kube-apiserver-client-approver", "kube-apiserver-client"),
        approver("system:certificates.k8s.io:kube-apiserver-client-kubelet-approver",
                 "kube-apiserver-client-kubelet"),
        _cr("system:service-account-issuer-discovery", [URLS(
            "get", "/.well-known/openid-configuration", "/.well-known/openid-configuration/",
            "/openid/v1/jwks", "/openid/v1/jwks/")]),
        _cr("system:node-proxier", [
            R(("list", "watch"), "", ("services", "endpoints")), R(READ, "", "nodes"), EVENTS(),
            R(("list", "watch"), "discovery.k8s.io", "endpointslices")]),
        _cr("system:kube-scheduler", [
            EVENTS(),
            R("create", "coordination.k8s.io", "leases"),
            R(("get", "update"), "coordination.k8s.io", "leases", "kube-scheduler"),
            R(READ, "", "nodes"),
            R(("get", "list", "watch", "delete"), "", "pods"),
            R("create", "", ("pods/binding", "bindings")),
            R(("patch", "update"), "", "pods/status"),
            R(READ, "", ("services", "replicationcontrollers")),
            R(READ, ("apps", "extensions"), "replicasets"),
            R(READ, "apps", "statefulsets"),
            R(READ, "policy", "poddisruptionbudgets"),
            R(READ, "", ("persistentvolumeclaims", "persistentvolumes")),
            R("create", "authentication.k8s.io", "tokenreviews"),
            R("create", "authorization.k8s.io", "subjectaccessreviews"),
            R(READ, "storage.k8s.io", "csinodes"),
            R(READ, "", "namespaces"),
            R(READ, "storage.k8s.io", "csidrivers"),
            R(READ, "storage.k8s.io", "csistoragecapacities"),
        ]),
    ]


def _controller_roles() -> list[tuple[str, list[dict]]]:
    """controller_policy.go buildControllerRoles (the controllers k8score runs, and their
    neighbours); each is bound to ServiceAccount kube-system/<name>."""
    return [
        ("attachdetach-controller", [   # controller_policy.go (CSINode/CSIDriver rules GA since 1.17)
            R(("list", "watch"), "", ("persistentvolumes", "persistentvolumeclaims")),
            R(("get", "list", "watch"), "", "nodes"),
            R(("patch", "update"), "", "nodes/status"),
            R(("list", "watch"), "", "pods"),
            EVENTS(),
            R(("get", "create", "delete", "list", "watch"), "storage.k8s.io", "volumeattachments"),
            R(("get", "watch", "list"), "storage.k8s.io", "csidrivers"),
            R(("get", "watch", "list"), "storage.k8s.io", "csinodes")]),
        ("clusterrole-aggregation-controller",
         [R(("escalate", "get", "list", "watch", "update", "patch"), RBAC_GROUP, "clusterroles")]),
        ("cronjob-controller", [
            R(("get", "list", "watch", "update"), "batch", "cronjobs"),
            R(("get", "list", "watch", "create", "update", "delete", "patch"), "batch", "jobs"),
            R("update", "batch", "cronjobs/status"), R("update", "batch", "cronjobs/finalizers"),
            R(("list", "watch", "delete"), "", "pods"), EVENTS()]),
        ("daemon-set-controller", [
            R(READ, ("extensions", "apps"), "daemonsets"),
            R("update", ("extensions", "apps"), "daemonsets/status"),
            R("update", ("extensions", "apps"), "daemonsets/finalizers"),
            R(("list", "watch"), "", "nodes"),
            R(("list", "watch", "create", "delete", "patch"), "", "pods"),
            R("create", "", "pods/binding"),
            R(("get", "list", "watch", "create", "delete", "update", "patch"), "apps", "controllerrevisions"),
            EVENTS()]),
        ("deployment-controller", [
            R(("get", "list", "watch", "update"), ("extensions", "apps"), "deployments"),
            R("update", ("extensions", "apps"), "deployments/status"),
            R("update", ("extensions", "apps"), "deployments/finalizers"),
            R(("get", "list", "watch", "create", "update", "patch", "delete"), ("apps", "extensions"), "replicasets"),
            R(("get", "list", "watch", "update"), "", "pods"),
            EVENTS()]),
        ("disruption-controller", [
            R(("get", "list", "watch"), ("extensions", "apps"), "deployments"),
            R(("get", "list", "watch"), ("apps", "extensions"), "replicasets"),
            R(("get", "list", "watch"), "", "replicationcontrollers"),
            R(("get", "list", "watch"), "policy", "poddisruptionbudgets"),
            R(("get", "list", "watch"), "apps", "statefulsets"),
            R("update", "policy", "poddisruptionbudgets/status"),
            R("get", "*", "*/scale"),
            R(("patch", "update"), "", "pods/status"), EVENTS()]),
        ("endpoint-controller", [
            R(READ, "", ("services", "pods")),
            R(("get", "list", "watch", "create", "update", "delete"), "", "endpoints"),
            R("create", "", "endpoints/restricted"), EVENTS()]),
        ("endpointslice-controller", [
            R(READ, "", ("services", "pods", "nodes")), R("update", "", "services/finalizers"),
            R(("get", "list", "watch", "create", "update", "delete"), "discovery.k8s.io", "endpointslices"),
            R("create", "discovery.k8s.io", "endpointslices/restricted"), EVENTS()]),
        ("endpointslicemirroring-controller", [
            R(READ, "", ("services", "endpoints")),
            R("update", "", "services/finalizers"), R("update", "", "endpoints/finalizers"),
            R(("get", "list", "create", "update", "delete"), "discovery.k8s.io", "endpointslices"),
            EVENTS()]),
        ("generic-garbage-collector", [
            R(("get", "list", "watch", "patch", "update", "delete"), "*", "*"), EVENTS()]),
        ("horizontal-pod-autoscaler", [   # controller_policy.go: the HPA reads the metrics APIs
            R(READ, "autoscaling", "horizontalpodautoscalers"),
            R("update", "autoscaling", "horizontalpodautoscalers/status"),
            R(("get", "update"), "*", "*/scale"),
            R("list", "", "pods"),
            R("list", "metrics.k8s.io", "pods"),
            R(("get", "list"), "custom.metrics.k8s.io", "*"),
            R(("get", "list"), "external.metrics.k8s.io", "*"),
            EVENTS()]),
        ("job-controller", [
            R(("get", "list", "watch", "update", "patch"), "batch", "jobs"),
            R("update", "batch", "jobs/status"), R("update", "batch", "jobs/finalizers"),
            R(("list", "watch", "create", "delete", "patch"), "", "pods"), EVENTS()]),
        ("namespace-controller", [
            R(("get", "list", "watch", "delete"), "", "namespaces"),
            R("update", "", ("namespaces/finalize", "namespaces/status")),
            R(("get", "list", "watch", "delete", "deletecollection"), "*", "*")]),
        ("node-controller", [
            R(("get", "list", "watch", "update", "delete", "patch"), "", "nodes"),
            R(("patch", "update"), "", "nodes/status"),
            R(("patch", "update"), "", "pods/status"),
            R(("list", "watch", "get", "delete"), "", "pods"),
            R(READ, "coordination.k8s.io", "leases"),
            EVENTS()]),
        ("persistent-volume-binder", [
            R(("get", "list", "watch", "update", "create", "delete"), "", "persistentvolumes"),
            R("update", "", "persistentvolumes/status"),
            R(("get", "list", "watch", "update"), "", "persistentvolumeclaims"),
            R("update", "", "persistentvolumeclaims/status"),
            R(("list", "watch", "get", "create", "delete"), "", "pods"),
            R(("get", "list", "watch"), "storage.k8s.io", "storageclasses"),
            R(("get", "create", "update", "delete"), "", "endpoints"),
            R(("get", "create", "delete"), "", "services"), R("get", "", "secrets"),
            R(("get", "list"), "", "nodes"), R("watch", "", "events"), EVENTS()]),
        ("pod-garbage-collector", [
            R(("list", "watch", "delete"), "", "pods"), R(READ, "", "nodes"), R("patch", "", "pods/status")]),
        ("pv-protection-controller", [
            R(("get", "list", "watch", "update"), "", "persistentvolumes"), EVENTS()]),
        ("pvc-protection-controller", [
            R(("get", "list", "watch", "update"), "", "persistentvolumeclaims"),
            R(("list", "watch", "get"), "", "pods"), EVENTS()]),
        ("replication-controller", [   # policy/controller_policy.go
            R(("get", "list", "watch", "update"), "", "replicationcontrollers"),
            R("update", "", "replicationcontrollers/status"),
            R("update", "", "replicationcontrollers/finalizers"),
            R(("list", "watch", "patch", "create", "delete"), "", "pods"), EVENTS()]),
        ("replicaset-controller", [
            R(("get", "list", "watch", "update"), ("apps", "extensions"), "replicasets"),
            R("update", ("apps", "extensions"), "replicasets/status"),
            R("update", ("apps", "extensions"), "replicasets/finalizers"),
            R(("list", "watch", "patch", "create", "delete"), "", "pods"), EVENTS()]),
        ("resourcequota-controller", [
            R(("list", "watch"), "*", "*"), R("update", "", "resourcequotas/status"), EVENTS()]),
        ("service-account-controller", [R("create", "", "serviceaccounts"), EVENTS()]),
        ("statefulset-controller", [
            R(("list", "watch"), "", "pods"), R(READ, "apps", "statefulsets"),
            R("update", "apps", "statefulsets/status"), R("update", "apps", "statefulsets/finalizers"),
            R(("get", "create", "delete", "update", "patch"), "", "pods"),
            R(("get", "create", "delete", "update", "patch", "list", "watch"), "apps", "controllerrevisions"),
            R(("get", "create", "list", "watch"), "", "persistentvolumeclaims"),
            R(("update", "delete"), "", "persistentvolumeclaims"),
            R("update", "", "pods/finalizers"), EVENTS()]),
        ("ttl-controller", [R(("update", "patch", "list", "watch"), "", "nodes"), EVENTS()]),
        ("ttl-after-finished-controller", [R(("get", "list", "watch", "delete"), "batch", "jobs"), EVENTS()]),
        ("root-ca-cert-publisher", [R(("create", "update"), "", "configmaps"), EVENTS()]),
        # cloud-controller-manager's (controller_policy.go keeps their roles): the route and
        # service controllers. The service controller also patches the Service itself for its
        # finalizer: upstream sends that through services/status, whose strategy keeps metadata.
        ("route-controller", [R(("list", "watch"), "", "nodes"), R("patch", "", "nodes/status"), EVENTS()]),
        ("service-controller", [
            R(READ, "", "services"), R(("patch", "update"), "", "services/status"),
            R("patch", "", "services"), R(("list", "watch"), "", "nodes"), EVENTS()]),
    ]


def cluster_roles() -> list[dict]:
    """Every bootstrap ClusterRole (policy.go clusterRoles + controller roles)."""
    roles = [
        _cr("cluster-admin", [R("*", "*", "*"), URLS("*", "*")]),
        _cr("system:discovery", [URLS("get", "/livez", "/readyz", "/healthz", "/version", "/version/",
                                      "/openapi", "/openapi/*", "/api", "/api/*", "/apis", "/apis/*")]),
        _cr("system:monitoring", [URLS("get", "/metrics", "/metrics/slis", "/livez", "/readyz", "/healthz",
                                       "/livez/*", "/readyz/*", "/healthz/*")]),
        _cr("system:basic-user", [
            R("create", "authorization.k8s.io", ("selfsubjectaccessreviews", "selfsubjectrulesreviews")),
            R("create", "authentication.k8s.io", "selfsubjectreviews")]),
        _cr("system:public-info-viewer", [URLS("get", "/livez", "/readyz", "/healthz", "/version", "/version/")]),
    ]
    roles += _aggregate_roles() + _system_roles()
    roles += [_cr("system:controller:" + name, rules) for name, rules in _controller_roles()]
    return roles


def cluster_role_bindings() -> list[dict]:
    """policy.go clusterRoleBindings + one binding per controller role."""
    bindings = [
        _crb("cluster-admin", groups=("system:masters",)),
        _crb("system:monitoring", groups=("system:monitoring",)),
        _crb("system:discovery", groups=("system:authenticated",)),
        _crb("system:basic-user", groups=("system:authenticated",)),
        _crb("system:public-info-viewer", groups=("system:authenticated", "system:unauthenticated")),
        _crb("system:node-proxier", users=("system:kube-proxy",)),
        _crb("system:kube-controller-manager", users=("system:kube-controller-manager",)),
        _crb("system:kube-dns", sas=(("kube-system", "kube-dns"),)),
        _crb("system:cloud-controller-manager", users=("system:cloud-controller-manager",)),
        _crb("system:kube-scheduler", users=("system:kube-scheduler",)),
        _crb("system:volume-scheduler", users=("system:kube-scheduler",)),
        # deprecated since the Node authorizer (1.7): kept with no subjects
        _crb("system:node"),
        _crb("system:service-account-issuer-discovery", groups=("system:serviceaccounts",)),
    ]
    bindings += [_crb("system:controller:" + name, sas=(("kube-system", name),))
                 for name, _ in _controller_roles()]
    return bindings


def namespace_roles() -> list[dict]:
    """namespace_policy.go: the kube-system Roles (leader locking, authn config reader)."""
    def role(name, rules):
        return {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "Role",
                "metadata": _meta(name, namespace="kube-system"), "rules": rules}
    return [
        role("extension-apiserver-authentication-reader",
             [R(READ, "", "configmaps", "extension-apiserver-authentication")]),
        role("system::leader-locking-kube-controller-manager",
             [R("watch", "", "configmaps"), R(("get", "update"), "", "configmaps", "kube-controller-manager")]),
        role("system::leader-locking-kube-scheduler",
             [R("watch", "", "configmaps"), R(("get", "update"), "", "configmaps", "kube-scheduler")]),
    ]


def namespace_role_bindings() -> list[dict]:
    def rb(name, role, users=(), sas=()):
        obj = {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "RoleBinding",
               "metadata": _meta(name, namespace="kube-system"),
               "roleRef": {"apiGroup": RBAC_GROUP, "kind": "Role", "name": role}}
        obj["subjects"] = _subjects(users=users, sas=sas)
        return obj
    return [
        rb("system::extension-apiserver-authentication-reader", "extension-apiserver-authentication-reader",
           users=("system:kube-controller-manager", "system:kube-scheduler")),
        rb("system::leader-locking-kube-controller-manager", "system::leader-locking-kube-controller-manager",
           users=("system:kube-controller-manager",), sas=(("kube-system", "kube-controller-manager"),)),
        rb("system::leader-locking-kube-scheduler", "system::leader-locking-kube-scheduler",
           users=("system:kube-scheduler",), sas=(("kube-system", "kube-scheduler"),)),
    ]


def bootstrap_objects() -> list[dict]:
    """Everything, in creation order: ClusterRoles, ClusterRoleBindings, Roles, RoleBindings.
    Fresh copies each call (callers may mutate them); built once per process."""
    global _BUILT
    if _BUILT is None:
        _BUILT = dumps(cluster_roles() + cluster_role_bindings() + namespace_roles()
                       + namespace_role_bindings(), 2)
    return loads(_BUILT)


_BUILT: bytes | None = None
