"""``Cluster(kubeadm=True, control_planes=3)``: kubeadm's stacked-etcd HA layout as static pods.

Upstream: kubeadm docs "Creating Highly Available Clusters with kubeadm" (stacked etcd, ``kubeadm
init --control-plane-endpoint`` then ``kubeadm join --control-plane``); cmd/kubeadm/app/phases/etcd/
local.go getEtcdCommand (a joining member: ``--initial-cluster`` with the members so far and
``--initial-cluster-state=existing``), phases/kubeconfig/kubeconfig.go (admin.conf/kubelet.conf name
the control-plane endpoint, scheduler.conf/controller-manager.conf the LocalAPIEndpoint,
super-admin.conf on init only), phases/markcontrolplane (label + taint on every control-plane node);
kind's HA node names (``control-plane``, ``control-plane2``, ``control-plane3``).
"""

import pytest

from k8score import Cluster

NODES = ["control-plane", "control-plane2", "control-plane3"]
COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]


@pytest.fixture(scope="module")
def c():
    return Cluster(nodes=1, seed=0, kubeadm=True, control_planes=3)


def ready(c, pod):
    """The pod's container is ready (kubectl's READY 1/1) — cheap enough for run(until=...)."""
    got = c.apiserver.lister.get("pods", pod, "kube-system") or {}
    return all(st.get("ready") for st in (got.get("status") or {}).get("containerStatuses") or [{}])


def node_ready(c, name):
    conds = c.apiserver.lister.get("nodes", name)["status"]["conditions"]
    return any(x["type"] == "Ready" and x["status"] == "True" for x in conds)


def api_ips(c):
    s = c.apiserver.lister.get("endpointslices", "kubernetes", "default")
    return [e["addresses"][0] for e in s["endpoints"]]


def row(c, pod):
    line = c.kubectl(f"get pod -n kube-system {pod}").splitlines()[1].split()
    return line[1], line[2]


def test_three_tainted_control_plane_nodes_and_a_worker_after_them(c):
    rows = [line.split()[:3] for line in c.kubectl("get nodes").splitlines()[1:]]
    assert rows == [[n, "Ready", "control-plane"] for n in NODES] + [["node-1", "Ready", "<none>"]]
    for i, name in enumerate(NODES):
        node = c.get("nodes", name)
        assert node["spec"]["taints"] == [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
        assert node["status"]["addresses"][0] == {"type": "InternalIP", "address": f"192.168.0.{10 + i}"}
    # 192.168.0.10-12 are the control planes (etcd peers, API servers): the worker comes next
    assert c.get("nodes", "node-1")["status"]["addresses"][0]["address"] == "192.168.0.13"


def test_each_node_runs_its_instances_as_static_pods(c):
    rows = [line.split() for line in c.kubectl("get pods -n kube-system -o wide").splitlines()[1:]]
    static = [(r[0], r[1], r[2], r[5], r[6]) for r in rows if r[0].split("-control-plane")[0] in COMPONENTS]
    assert static == [(f"{comp}-{node}", "1/1", "Running", f"192.168.0.{10 + NODES.index(node)}", node)
                      for comp in COMPONENTS for node in NODES]
    for node in NODES:
        assert c.ssh(node, "ls /etc/kubernetes/manifests") == \
            "etcd.yaml  kube-apiserver.yaml  kube-controller-manager.yaml  kube-scheduler.yaml\n"
    # the process of kube-scheduler-control-plane2's container is the instance kube-scheduler-2
    assert c.hosts["control-plane2"].components["kube-scheduler-2"].component is c.component("kube-scheduler-2")


def _flags(c, node, fname):
    text = c.ssh(node, f"cat /etc/kubernetes/manifests/{fname}")
    return [line.strip()[2:] for line in text.splitlines() if line.strip().startswith("- --")]


def test_manifests_are_kubeadm_init_then_join_control_plane(c):
    init = _flags(c, "control-plane", "etcd.yaml")
    assert "--initial-cluster=control-plane=https://192.168.0.10:2380" in init
    assert not any(f.startswith("--initial-cluster-state") for f in init)
    second = _flags(c, "control-plane2", "etcd.yaml")
    cluster2 = next(f for f in second if f.startswith("--initial-cluster="))
    assert sorted(cluster2.split("=", 1)[1].split(",")) == ["control-plane2=https://192.168.0.11:2380",
                                                             "control-plane=https://192.168.0.10:2380"]
    assert "--initial-cluster-state=existing" in second and "--name=control-plane2" in second
    third = _flags(c, "control-plane3", "etcd.yaml")
    assert len(next(f for f in third if f.startswith("--initial-cluster=")).split(",")) == 3
    api = _flags(c, "control-plane3", "kube-apiserver.yaml")
    assert "--advertise-address=192.168.0.12" in api and "--etcd-servers=https://127.0.0.1:2379" in api
    # kubeconfigs: the balancer for admin and kubelet, the local API server for the others
    cat = lambda f: c.ssh("control-plane2", f"cat /etc/kubernetes/{f}")  # noqa: E731
    assert "server: https://192.168.0.9:6443" in cat("admin.conf")
    assert "server: https://192.168.0.9:6443" in cat("kubelet.conf")
    assert "server: https://192.168.0.11:6443" in cat("scheduler.conf")
    assert "super-admin.conf" not in c.ssh("control-plane2", "ls /etc/kubernetes")
    assert "super-admin.conf" in c.ssh("control-plane", "ls /etc/kubernetes")


def test_stopping_instances_crash_loops_their_pods_and_moves_the_leader(c):
    assert c.leader("kube-scheduler") == "kube-scheduler-1"
    c.stop("kube-scheduler-2")                    # a standby: the leader stays
    c.run(2)
    assert row(c, "kube-scheduler-control-plane2") == ("0/1", "CrashLoopBackOff")
    assert row(c, "kube-scheduler-control-plane3") == ("1/1", "Running")
    assert c.leader("kube-scheduler") == "kube-scheduler-1"
    t0 = c.now
    c.stop("kube-scheduler-1")                    # the leader: only kube-scheduler-3 is left
    assert c.run(until=lambda: c.leader("kube-scheduler") == "kube-scheduler-3", timeout=30)
    assert 13 <= c.now - t0 <= 15 + 2 * 4.4 + 1   # the Lease expires, then a jittered retry
    assert row(c, "kube-scheduler-control-plane") == ("0/1", "CrashLoopBackOff")
    c.start("kube-scheduler-1")
    c.start("kube-scheduler-2")
    assert c.run(until=lambda: ready(c, "kube-scheduler-control-plane")
                 and ready(c, "kube-scheduler-control-plane2"), timeout=120)
    assert row(c, "kube-scheduler-control-plane2") == ("1/1", "Running")
    assert c.leader("kube-scheduler") == "kube-scheduler-3"   # no preemption of a healthy leader


def test_stopping_a_control_plane_node_takes_its_members_down_together(c):
    c.stop("control-plane2")
    for name in ("etcd-2", "kube-apiserver-2", "kube-scheduler-2", "kube-controller-manager-2",
                 "kubelet/control-plane2", "kube-proxy/control-plane2"):
        assert not c.component(name).running, name
    assert c.component("etcd-1").running and c.component("kubelet/control-plane").running
    t0 = c.now
    # its API server's master lease expires: the kubernetes endpoints drop it within TTL + interval
    assert c.run(until=lambda: "192.168.0.11" not in api_ips(c), timeout=30)
    assert 15 <= c.now - t0 <= 26
    assert c.kubectl("get endpointslices kubernetes").splitlines()[1].split()[3] == "192.168.0.10,192.168.0.12"
    # nothing reports from the machine: the node goes NotReady after the grace period
    assert c.run(until=lambda: not node_ready(c, "control-plane2"), timeout=60)
    assert c.kubectl("get node control-plane2").split()[6] == "NotReady"
    assert row(c, "etcd-control-plane2") == ("1/1", "Running")   # its last reported status stays
    c.start("control-plane2")
    assert c.run(until=lambda: node_ready(c, "control-plane2"), timeout=60)
    assert c.run(until=lambda: "192.168.0.11" in api_ips(c), timeout=30)
    assert c.component("etcd-2").running and c.component("kube-proxy/control-plane2").running
