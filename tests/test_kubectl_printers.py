"""``kubectl get`` tables and pod STATUS, from hand-written Kubernetes JSON at a fixed ``now``."""

import pytest

from k8score.kubectl.podstatus import pod_status
from k8score.kubectl.printers import as_list, names, no_resources, table

T0 = "2026-01-01T00:00:00Z"
NOW = 3 * 3600 + 4 * 60 + 10.0   # 3h4m10s after T0


def meta(name, ns="default", created=T0, **extra):
    m = {"name": name, "creationTimestamp": created, **extra}
    if ns:
        m["namespace"] = ns
    return m


def pod(name, phase="Running", statuses=(), node="node-1", ip="10.244.1.5", created=T0, **kw):
    p = {"apiVersion": "v1", "kind": "Pod", "metadata": meta(name, created=created, **kw.pop("meta", {})),
         "spec": {"containers": [{"name": s.get("name", "c")} for s in statuses] or [{"name": "c"}]},
         "status": {"phase": phase, "containerStatuses": list(statuses)}}
    if node:
        p["spec"]["nodeName"] = node
    if ip:
        p["status"]["podIPs"] = [{"ip": ip}]
        p["status"]["podIP"] = ip
    p["spec"].update(kw.pop("spec", {}))
    p["status"].update(kw.pop("status", {}))
    return p


def running(name="c", restarts=0, ready=True, **extra):
    return {"name": name, "ready": ready, "restartCount": restarts, "state": {"running": {"startedAt": T0}},
            **extra}


def waiting(reason, name="c", restarts=0, **extra):
    return {"name": name, "ready": False, "restartCount": restarts, "state": {"waiting": {"reason": reason}},
            **extra}


def terminated(reason="", code=0, name="c", signal=0):
    t = {"exitCode": code, "startedAt": T0, "finishedAt": T0}
    if reason:
        t["reason"] = reason
    if signal:
        t["signal"] = signal
    return {"name": name, "ready": False, "restartCount": 0, "state": {"terminated": t}}


# -- pod STATUS (printers.go printPod) ---------------------------------------------------------
@pytest.mark.parametrize("p, expected", [
    (pod("a", phase="Pending", statuses=(), node=None, ip=None), ("0/1", "Pending", "0")),
    (pod("a", phase="Pending", statuses=[waiting("ContainerCreating")]), ("0/1", "ContainerCreating", "0")),
    (pod("a", statuses=[running()]), ("1/1", "Running", "0")),
    (pod("a", statuses=[running(ready=False)]), ("0/1", "Running", "0")),
    (pod("a", phase="Pending", statuses=[waiting("ErrImagePull")]), ("0/1", "ErrImagePull", "0")),
    (pod("a", phase="Pending", statuses=[waiting("ImagePullBackOff")]), ("0/1", "ImagePullBackOff", "0")),
    (pod("a", phase="Succeeded", statuses=[terminated("Completed")]), ("0/1", "Completed", "0")),
    (pod("a", phase="Failed", statuses=[terminated("Error", 1)]), ("0/1", "Error", "0")),
    (pod("a", phase="Failed", statuses=[terminated("OOMKilled", 137)]), ("0/1", "OOMKilled", "0")),
    (pod("a", phase="Failed", statuses=[terminated(code=2)]), ("0/1", "ExitCode:2", "0")),
    (pod("a", phase="Failed", statuses=[terminated(code=143, signal=15)]), ("0/1", "Signal:15", "0")),
    (pod("a", statuses=[running()], meta={"deletionTimestamp": T0}), ("1/1", "Terminating", "0")),
    (pod("a", phase="Succeeded", statuses=[terminated("Completed")], meta={"deletionTimestamp": T0}),
     ("0/1", "Completed", "0")),
    (pod("a", statuses=[running()], meta={"deletionTimestamp": T0}, status={"reason": "NodeLost"}),
     ("1/1", "Unknown", "0")),
    (pod("a", phase="Failed", statuses=(), status={"reason": "Evicted"}), ("0/1", "Evicted", "0")),
    (pod("a", phase="Pending", statuses=(), node=None, ip=None,
         status={"conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}),
     ("0/1", "SchedulingGated", "0")),
    # a sidecar-less pod with one finished and one running container is Running, not Completed
    (pod("a", statuses=[running("b"), terminated("Completed", name="a")],
         status={"conditions": [{"type": "Ready", "status": "True"}]}), ("1/2", "Running", "0")),
    (pod("a", statuses=[running("b"), terminated("Completed", name="a")]), ("1/2", "NotReady", "0")),
])
def test_pod_status_column(p, expected):
    assert pod_status(p) == expected


def test_init_containers_show_progress_and_failures():
    base = pod("a", phase="Pending", statuses=[waiting("PodInitializing")],
               spec={"initContainers": [{"name": "i1"}, {"name": "i2"}]})
    base["status"]["initContainerStatuses"] = [
        terminated("Completed", name="i1"), {"name": "i2", "ready": False, "restartCount": 0,
                                             "state": {"running": {"startedAt": T0}}}]
    assert pod_status(base)[1] == "Init:1/2"
    base["status"]["initContainerStatuses"][1] = waiting("ErrImagePull", name="i2")
    assert pod_status(base)[1] == "Init:ErrImagePull"
    base["status"]["initContainerStatuses"][1] = terminated("Error", 1, name="i2")
    assert pod_status(base)[1] == "Init:Error"


def test_restarts_show_how_long_ago_the_last_one_was():
    cs = waiting("CrashLoopBackOff", restarts=3,
                 lastState={"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "2026-01-01T03:03:58Z"}})
    p = pod("crashy", statuses=[cs])
    assert pod_status(p, now=NOW) == ("0/1", "CrashLoopBackOff", "3 (12s ago)")
    assert pod_status(p) == ("0/1", "CrashLoopBackOff", "3")


# -- tables --------------------------------------------------------------------------------------
def test_pods_table_and_wide():
    pods = [pod("web-7c5ddbdf54-2xkqv", statuses=[running()]),
            pod("web-7c5ddbdf54-8fzvn", phase="Pending", statuses=[waiting("ContainerCreating")],
                ip=None, created="2026-01-01T03:04:05Z")]
    assert table("pods", pods, NOW) == (
        "NAME                   READY   STATUS              RESTARTS   AGE\n"
        "web-7c5ddbdf54-2xkqv   1/1     Running             0          3h4m\n"
        "web-7c5ddbdf54-8fzvn   0/1     ContainerCreating   0          5s\n")
    assert table("pods", pods, NOW, wide=True) == (
        "NAME                   READY   STATUS              RESTARTS   AGE    IP           NODE     "
        "NOMINATED NODE   READINESS GATES\n"
        "web-7c5ddbdf54-2xkqv   1/1     Running             0          3h4m   10.244.1.5   node-1   "
        "<none>           <none>\n"
        "web-7c5ddbdf54-8fzvn   0/1     ContainerCreating   0          5s     <none>       node-1   "
        "<none>           <none>\n")


def node(name, ready="True", unschedulable=False, labels=None):
    n = {"apiVersion": "v1", "kind": "Node", "metadata": meta(name, ns=None, labels=labels or {}),
         "spec": {"unschedulable": True} if unschedulable else {},
         "status": {"conditions": [{"type": "MemoryPressure", "status": "False"},
                                   {"type": "Ready", "status": ready}],
                    "addresses": [{"type": "InternalIP", "address": "172.18.0.3"},
                                  {"type": "Hostname", "address": name}],
                    "nodeInfo": {"kubeletVersion": "v1.37.1", "osImage": "Debian GNU/Linux 12 (bookworm)",
                                 "kernelVersion": "6.8.0", "containerRuntimeVersion": "containerd://2.1.4"}}}
    return n


def test_nodes_status_roles_and_wide():
    nodes = [node("control-plane", labels={"node-role.kubernetes.io/control-plane": ""}),
             node("node-1", unschedulable=True), node("node-2", ready="Unknown"),
             node("node-3", labels={"kubernetes.io/role": "worker", "node-role.kubernetes.io/infra": ""})]
    assert table("nodes", nodes, NOW) == (
        "NAME            STATUS                     ROLES           AGE    VERSION\n"
        "control-plane   Ready                      control-plane   3h4m   v1.37.1\n"
        "node-1          Ready,SchedulingDisabled   <none>          3h4m   v1.37.1\n"
        "node-2          NotReady                   <none>          3h4m   v1.37.1\n"
        "node-3          Ready                      infra,worker    3h4m   v1.37.1\n")
    wide = table("nodes", nodes[:1], NOW, wide=True).splitlines()
    assert wide[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP",
                               "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"]
    assert wide[1].endswith("172.18.0.3    <none>        Debian GNU/Linux 12 (bookworm)   6.8.0            "
                            "containerd://2.1.4")


def test_node_without_conditions_is_unknown():
    n = node("x")
    n["status"]["conditions"] = []
    assert table("nodes", [n], NOW).splitlines()[1].split()[1] == "Unknown"


def deployment(name, replicas=3, ready=2, updated=3, available=2):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(name, labels={"app": name}),
            "spec": {"replicas": replicas,
                     "selector": {"matchLabels": {"app": name},
                                  "matchExpressions": [{"key": "tier", "operator": "In",
                                                        "values": ["web", "api"]}]},
                     "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2"},
                                                          {"name": "log", "image": "busybox"}]}}},
            "status": {"replicas": 3, "readyReplicas": ready, "updatedReplicas": updated,
                       "availableReplicas": available}}


def test_deployments_and_replicasets():
    d = deployment("nginx-deployment")
    assert table("deployments", [d], NOW, wide=True) == (
        "NAME               READY   UP-TO-DATE   AVAILABLE   AGE    CONTAINERS   IMAGES                 "
        "SELECTOR\n"
        "nginx-deployment   2/3     3            2           3h4m   nginx,log    nginx:1.14.2,busybox   "
        "app=nginx-deployment,tier in (api,web)\n")
    rs = {"metadata": meta("nginx-deployment-66b6c48dd5"), "spec": {"replicas": 3},
          "status": {"replicas": 3, "readyReplicas": 1}}
    assert table("replicasets", [rs], NOW) == (
        "NAME                          DESIRED   CURRENT   READY   AGE\n"
        "nginx-deployment-66b6c48dd5   3         3         1       3h4m\n")


def test_services_of_each_type():
    def svc(name, kind, ports, cluster_ip="10.96.12.34", **spec):
        return {"metadata": meta(name), "spec": {"type": kind, "clusterIP": cluster_ip, "clusterIPs": [cluster_ip],
                                                 "ports": ports, **spec}, "status": {}}
    services = [
        svc("kubernetes", "ClusterIP", [{"port": 443, "protocol": "TCP"}], "10.96.0.1"),
        svc("web", "NodePort", [{"port": 80, "nodePort": 30080, "protocol": "TCP"},
                                {"port": 53, "nodePort": 30053, "protocol": "UDP"}]),
        svc("lb", "LoadBalancer", [{"port": 80, "nodePort": 31000, "protocol": "TCP"}]),
        svc("db", "ClusterIP", [{"port": 5432, "protocol": "TCP"}], "None"),
    ]
    assert table("services", services, NOW) == (
        "NAME         TYPE           CLUSTER-IP    EXTERNAL-IP   PORT(S)                     AGE\n"
        "kubernetes   ClusterIP      10.96.0.1     <none>        443/TCP                     3h4m\n"
        "web          NodePort       10.96.12.34   <none>        80:30080/TCP,53:30053/UDP   3h4m\n"
        "lb           LoadBalancer   10.96.12.34   <pending>     80:31000/TCP                3h4m\n"
        "db           ClusterIP      None          <none>        5432/TCP                    3h4m\n")


def test_endpoints_list_three_then_count_the_rest():
    ep = {"metadata": meta("web"), "subsets": [{
        "addresses": [{"ip": f"10.244.1.{i}"} for i in range(2, 7)], "ports": [{"port": 80}]}]}
    empty = {"metadata": meta("none")}
    assert table("endpoints", [ep, empty], NOW) == (
        "NAME   ENDPOINTS                                               AGE\n"
        "web    10.244.1.2:80,10.244.1.3:80,10.244.1.4:80 + 2 more...   3h4m\n"
        "none   <none>                                                  3h4m\n")


def test_events_namespaces_configmaps_serviceaccounts_leases():
    ev = {"metadata": meta("web.17f3a"), "type": "Normal", "reason": "Scheduled",
          "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
          "message": "Successfully assigned default/web to node-1 ", "firstTimestamp": "2026-01-01T03:00:00Z",
          "lastTimestamp": "2026-01-01T03:03:10Z", "count": 2, "source": {"component": "default-scheduler"}}
    assert table("events", [ev], NOW) == (
        "LAST SEEN   TYPE     REASON      OBJECT    MESSAGE\n"
        "60s         Normal   Scheduled   pod/web   Successfully assigned default/web to node-1\n")
    wide = table("events", [ev], NOW, wide=True).splitlines()
    assert wide[0].split("   ")[-3:] == ["FIRST SEEN", "COUNT", "NAME"]
    assert wide[1].split()[-3:] == ["4m10s", "2", "web.17f3a"]
    assert "default-scheduler" in wide[1]
    ns = {"metadata": meta("kube-system", ns=None), "status": {"phase": "Active"}}
    assert table("namespaces", [ns], NOW) == "NAME          STATUS   AGE\nkube-system   Active   3h4m\n"
    cm = {"metadata": meta("kube-root-ca.crt"), "data": {"ca.crt": "x"}}
    assert table("configmaps", [cm], NOW) == "NAME               DATA   AGE\nkube-root-ca.crt   1      3h4m\n"
    sa = {"metadata": meta("default")}
    assert table("serviceaccounts", [sa], NOW) == "NAME      SECRETS   AGE\ndefault   0         3h4m\n"
    lease = {"metadata": meta("node-1", ns="kube-node-lease"), "spec": {"holderIdentity": "node-1"}}
    assert table("leases", [lease], NOW) == "NAME     HOLDER   AGE\nnode-1   node-1   3h4m\n"


def test_all_namespaces_labels_and_kind_prefix():
    pods = [pod("coredns-1", statuses=[running()], meta={"labels": {"k8s-app": "kube-dns", "a": "b"}}),
            pod("web", statuses=[running()])]
    pods[0]["metadata"]["namespace"] = "kube-system"
    assert table("pods", pods, NOW, with_namespace=True, show_labels=True, kind_prefix="pod") == (
        "NAMESPACE     NAME            READY   STATUS    RESTARTS   AGE    LABELS\n"
        "kube-system   pod/coredns-1   1/1     Running   0          3h4m   a=b,k8s-app=kube-dns\n"
        "default       pod/web         1/1     Running   0          3h4m   <none>\n")
    assert table("pods", pods[1:], NOW, no_headers=True) == "web   1/1   Running   0     3h4m\n"


def test_names_lists_and_empty_messages():
    d = deployment("web")
    assert names([d], "Deployment", "apps") == "deployment.apps/web\n"
    assert names([pod("p")], "Pod", "") == "pod/p\n"
    assert as_list([]) == {"apiVersion": "v1", "items": [], "kind": "List", "metadata": {"resourceVersion": ""}}
    assert no_resources("default") == "No resources found in default namespace."
    assert no_resources(None) == "No resources found"
