"""``kubectl get`` columns of every served kind against upstream's printers
(pkg/printers/internalversion/printers.go AddHandlers; rest.DefaultTableConvertor in
k8s.io/apiserver/pkg/registry/rest/table.go for kinds without a printer), through both the
kubectl emulation (k8score/kubectl/printers.py) and the API server's Table (apiserver/table.py).

Cells are what the API server computes, which always renders wide (pkg/printers/storage):
so LoadBalancer and Ingress addresses are never clipped, and PriorityClass's PREEMPTIONPOLICY
shows without ``-o wide``.
"""

import re
from types import SimpleNamespace

import pytest

from k8score.apiserver.table import to_table
from k8score.kubectl.printers import table

T0 = "2026-01-01T00:00:00Z"
NOW = 3 * 3600 + 4 * 60 + 10.0   # 3h4m10s after T0


def obj(kind, name, ns="default", **fields):
    meta = {"name": name, "creationTimestamp": T0}
    if ns:
        meta["namespace"] = ns
    meta.update(fields.pop("meta", {}))
    return {"kind": kind, "metadata": meta, **fields}


def _header_line(plural, wide):
    from k8score.kubectl.columns import table_for
    cols, _ = table_for(plural)
    return [h for h, prio in cols if wide or prio == 0]


def rows(plural, objs, wide=False):
    return table(plural, objs, NOW, wide=wide).splitlines()


def cells(line):
    """A table line's cells (tabwriter pads with at least three blanks)."""
    return re.split(r" {3,}", line.strip())


@pytest.mark.parametrize("plural, plain, wide_only", [
    ("secrets", ["NAME", "TYPE", "DATA", "AGE"], []),
    ("resourcequotas", ["NAME", "REQUEST", "LIMIT", "AGE"], []),
    ("rolebindings", ["NAME", "ROLE", "AGE"], ["USERS", "GROUPS", "SERVICEACCOUNTS"]),
    ("clusterrolebindings", ["NAME", "ROLE", "AGE"], ["USERS", "GROUPS", "SERVICEACCOUNTS"]),
    ("priorityclasses", ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"], []),
    ("controllerrevisions", ["NAME", "CONTROLLER", "REVISION", "AGE"], []),
    ("validatingwebhookconfigurations", ["NAME", "WEBHOOKS", "AGE"], []),
    ("mutatingwebhookconfigurations", ["NAME", "WEBHOOKS", "AGE"], []),
    ("roles", ["NAME", "CREATED AT"], []),
    ("clusterroles", ["NAME", "CREATED AT"], []),
    ("limitranges", ["NAME", "CREATED AT"], []),
    ("customresourcedefinitions", ["NAME", "CREATED AT"], []),
    ("widgets", ["NAME", "AGE"], []),   # a custom resource: Name + the default Age column
    ("networkpolicies", ["NAME", "POD-SELECTOR", "AGE"], []),
    ("podtemplates", ["NAME", "CONTAINERS", "IMAGES", "POD LABELS"], []),
    ("runtimeclasses", ["NAME", "HANDLER", "AGE"], []),
    ("certificatesigningrequests", ["NAME", "AGE", "SIGNERNAME", "REQUESTOR", "REQUESTEDDURATION", "CONDITION"], []),
    ("persistentvolumes", ["NAME", "CAPACITY", "ACCESS MODES", "RECLAIM POLICY", "STATUS", "CLAIM", "STORAGECLASS",
                           "VOLUMEATTRIBUTESCLASS", "REASON", "AGE"], ["VOLUMEMODE"]),
])
def test_upstream_column_lists(plural, plain, wide_only):
    assert _header_line(plural, False) == plain
    assert _header_line(plural, True) == plain + wide_only


def test_secret_type_and_data_count():
    s = obj("Secret", "creds", type="kubernetes.io/basic-auth", data={"username": "YQ==", "password": "Yg=="})
    empty = obj("Secret", "empty", type="Opaque")
    assert rows("secrets", [s, empty]) == [
        "NAME    TYPE                       DATA   AGE",
        "creds   kubernetes.io/basic-auth   2      3h4m",
        "empty   Opaque                     0      3h4m"]


def test_quota_splits_limits_from_requests_sorted_and_canonical():
    q = obj("ResourceQuota", "budget", status={
        "hard": {"pods": "4", "requests.cpu": "1000m", "limits.memory": "1024Mi", "limits.cpu": "1500m",
                 "configmaps": "5"},
        "used": {"pods": "1", "requests.cpu": "100m", "configmaps": "1"}})
    # unused limits print the zero Quantity; 1000m is 1 and 1024Mi is 1Gi once canonical
    assert cells(rows("resourcequotas", [q])[1]) == [
        "budget", "configmaps: 1/5, pods: 1/4, requests.cpu: 100m/1", "limits.cpu: 0/1500m, limits.memory: 0/1Gi",
        "3h4m"]
    # a quota the controller has not seen yet: both columns empty
    assert rows("resourcequotas", [obj("ResourceQuota", "new")])[1].split() == ["new", "3h4m"]


def test_bindings_role_and_subject_lists():
    rb = obj("RoleBinding", "robot-reads", ns="shop", roleRef={"kind": "ClusterRole", "name": "view"},
             subjects=[{"kind": "ServiceAccount", "name": "robot", "namespace": "shop"},
                       {"kind": "User", "name": "alice"}, {"kind": "User", "name": "bob"},
                       {"kind": "Group", "name": "devs"}])
    bare = obj("ClusterRoleBinding", "nobody", ns=None, roleRef={"kind": "ClusterRole", "name": "edit"})
    assert rows("rolebindings", [rb]) == ["NAME          ROLE               AGE",
                                          "robot-reads   ClusterRole/view   3h4m"]
    out = rows("clusterrolebindings", [rb, bare], wide=True)
    assert cells(out[1]) == ["robot-reads", "ClusterRole/view", "3h4m", "alice, bob", "devs", "shop/robot"]
    # no subjects: the three wide cells are empty strings, not <none>
    assert out[2].rstrip() == "nobody        ClusterRole/edit   3h4m"


def test_created_at_is_rfc3339_not_an_age():
    role = obj("Role", "reader", meta={"creationTimestamp": "2026-01-01T00:02:03Z"})
    assert rows("roles", [role]) == ["NAME     CREATED AT", "reader   2026-01-01T00:02:03Z"]
    # -o wide adds nothing; a missing timestamp is Go's zero time
    assert rows("limitranges", [obj("LimitRange", "lr", meta={"creationTimestamp": None})], wide=True) == [
        "NAME   CREATED AT", "lr     0001-01-01T00:00:00Z"]


def test_priorityclass_shows_preemption_policy_without_wide():
    pcs = [obj("PriorityClass", "batch-low", ns=None, value=1000, preemptionPolicy="Never"),
           obj("PriorityClass", "vip", ns=None, value=2000000000, globalDefault=True,
               preemptionPolicy="PreemptLowerPriority")]
    assert rows("priorityclasses", pcs) == rows("priorityclasses", pcs, wide=True) == [
        "NAME        VALUE        GLOBAL-DEFAULT   AGE    PREEMPTIONPOLICY",
        "batch-low   1000         false            3h4m   Never",
        "vip         2000000000   true             3h4m   PreemptLowerPriority"]


def test_controller_revision_names_its_controller_by_group_kind():
    owned = obj("ControllerRevision", "db-7c9", revision=3, meta={"ownerReferences": [
        {"apiVersion": "v1", "kind": "Pod", "name": "x"},   # not the controller
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "controller": True}]})
    core = obj("ControllerRevision", "rc-1", revision=1, meta={"ownerReferences": [
        {"apiVersion": "v1", "kind": "ReplicationController", "name": "old", "controller": True}]})
    orphan = obj("ControllerRevision", "orphan-1", revision=1)
    assert [r.split()[1:3] for r in rows("controllerrevisions", [owned, core, orphan])[1:]] == [
        ["statefulset.apps/db", "3"], ["replicationcontroller/old", "1"], ["<none>", "1"]]


def test_webhook_configurations_count_webhooks():
    cfg = obj("ValidatingWebhookConfiguration", "policy", ns=None, webhooks=[{"name": "a.x.io"}, {"name": "b.x.io"}])
    none = obj("MutatingWebhookConfiguration", "empty", ns=None)
    assert rows("validatingwebhookconfigurations", [cfg])[1].split() == ["policy", "2", "3h4m"]
    assert rows("mutatingwebhookconfigurations", [none])[1].split() == ["empty", "0", "3h4m"]


def test_csr_condition_precedence_and_requested_duration():
    denied = obj("CertificateSigningRequest", "a", ns=None, spec={"username": "alice", "expirationSeconds": 7200},
                 status={"conditions": [{"type": "Approved"}, {"type": "Denied"}]})
    issued = obj("CertificateSigningRequest", "b", ns=None, spec={"signerName": "kubernetes.io/kubelet-serving",
                 "username": "system:node:node-1"}, status={"conditions": [{"type": "Approved"}], "certificate": "Zm9v"})
    out = [r.split() for r in rows("certificatesigningrequests", [denied, issued])[1:]]
    assert out == [["a", "3h4m", "<none>", "alice", "120m", "Denied"],
                   ["b", "3h4m", "kubernetes.io/kubelet-serving", "system:node:node-1", "<none>", "Approved,Issued"]]


def test_networkpolicy_empty_selector_and_podtemplate_labels():
    allow = obj("NetworkPolicy", "deny-all", spec={"podSelector": {}})
    web = obj("NetworkPolicy", "web", spec={"podSelector": {"matchLabels": {"app": "web"},
              "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db", "cache"]}]}})
    assert [r.split()[1] for r in rows("networkpolicies", [allow, web])[1:]] == ["<none>", "app=web,tier"]
    assert rows("networkpolicies", [web])[1].split()[1:4] == ["app=web,tier", "notin", "(cache,db)"]
    pt = obj("PodTemplate", "t", template={"metadata": {"labels": {"b": "2", "a": "1"}},
                                          "spec": {"containers": [{"name": "c1", "image": "i1"},
                                                                  {"name": "c2", "image": "i2"}]}})
    assert rows("podtemplates", [pt])[1].split() == ["t", "c1,c2", "i1,i2", "a=1,b=2"]


def test_hpa_targets_follow_format_hpa_metrics():
    from k8score.kubectl.columns import hpa_metrics
    specs = [{"type": "Resource", "resource": {"name": "cpu", "target": {"averageUtilization": 50}}},
             {"type": "ContainerResource", "containerResource": {"name": "memory", "container": "app",
                                                                 "target": {"averageValue": "1024Mi"}}},
             {"type": "External", "external": {"target": {"averageValue": "30"}}},
             {"type": "Object", "object": {"target": {"value": "2k"}}},
             {"type": "Bogus"}]
    statuses = [{"resource": {"current": {"averageUtilization": 75}}},
                {"containerResource": {"current": {"averageValue": "512Mi"}}},
                {"external": {"current": {"averageValue": "1500m"}}},
                {"object": {"current": {"value": "2000"}}}]
    # at most two metrics even with -o wide (formatHPAMetrics has no wide form)
    assert hpa_metrics(specs, statuses, True) == hpa_metrics(specs, statuses, False) == \
        "cpu: 75%/50%, memory: 512Mi/1Gi + 3 more..."
    assert hpa_metrics(specs[2:4], statuses[2:4]) == "1500m/30 (avg), 2k/2k"
    assert hpa_metrics(specs[2:], []) == "<unknown>/30 (avg), <unknown>/2k + 1 more..."
    assert hpa_metrics(specs[4:], []) == "<unknown type>"


def test_load_balancer_and_ingress_addresses_are_never_clipped():
    svc = obj("Service", "lb", spec={"type": "LoadBalancer", "clusterIPs": ["10.96.0.10"], "ports": [{"port": 80}]},
              status={"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}, {"hostname": "lb.example.com"}]}})
    ing = obj("Ingress", "web", spec={"rules": [{"host": "a"}]},
              status={"loadBalancer": {"ingress": [{"ip": "198.51.100.200"}, {"ip": "198.51.100.201"}]}})
    assert rows("services", [svc])[1].split()[3] == "203.0.113.10,lb.example.com"
    assert rows("ingresses", [ing])[1].split()[3] == "198.51.100.200,198.51.100.201"


def test_pv_and_pvc_zero_capacity_and_unset_volume_mode():
    pv = obj("PersistentVolume", "pv1", ns=None, spec={"accessModes": ["ReadWriteOnce"]}, status={"phase": "Available"})
    pvc = obj("PersistentVolumeClaim", "c", spec={"volumeName": "pv1"}, status={"phase": "Bound"})
    assert rows("persistentvolumes", [pv], wide=True)[1].split()[1:3] == ["0", "RWO"]
    assert rows("persistentvolumes", [pv], wide=True)[1].split()[-1] == "<unset>"
    assert rows("persistentvolumeclaims", [pvc], wide=True)[1].split()[2:4] == ["pv1", "0"]
    assert rows("persistentvolumeclaims", [pvc], wide=True)[1].split()[-1] == "<unset>"


def test_served_table_uses_upstream_names_and_types():
    info = SimpleNamespace(plural="roles")
    t = to_table(info, {"kind": "RoleList", "items": [obj("Role", "reader")]}, NOW)
    assert [(d["name"], d["type"], d["format"]) for d in t["columnDefinitions"]] == [
        ("Name", "string", "name"), ("Created At", "date", "")]
    assert t["rows"][0]["cells"] == ["reader", T0]
    pc = to_table(SimpleNamespace(plural="priorityclasses"),
                  obj("PriorityClass", "p", ns=None, value=7, preemptionPolicy="Never"), NOW)
    assert [(d["name"], d["type"], d["priority"]) for d in pc["columnDefinitions"]] == [
        ("Name", "string", 0), ("Value", "integer", 0), ("Global-Default", "boolean", 0), ("Age", "string", 0),
        ("PreemptionPolicy", "string", 0)]
    assert pc["rows"][0]["cells"] == ["p", 7, "false", "3h4m", "Never"]
    rb = to_table(SimpleNamespace(plural="rolebindings"), obj("RoleBinding", "b", roleRef={"kind": "Role", "name": "r"}),
                  NOW)
    assert [d["name"] for d in rb["columnDefinitions"] if d["priority"] == 1] == ["Users", "Groups", "ServiceAccounts"]
