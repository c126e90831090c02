"""Static pods and the kubeadm layout.

Upstream: pkg/kubelet/config/file.go, file_linux.go, common.go (``<name>-<node>``, config.hash /
config.source / config.seen, NoExecute toleration, fileCheckFrequency 20 s);
pkg/kubelet/pod/mirror_client.go (config.mirror, controller ownerReference to the Node);
kubelet.go SyncPod (an outdated or deleted mirror is deleted and created again);
cmd/kubeadm/app/phases/controlplane/manifests.go, phases/etcd/local.go, constants (labels, taint).
The docs task "Create static Pods" (static-web) is the reader's scenario.
"""

import pytest

from k8score import Cluster
from k8score.container.process import SIGTERM, Proc, Process
from k8score.kubelet.static import (CONFIG_HASH_ANNOTATION, CONFIG_MIRROR_ANNOTATION, ManifestError,
                                    StaticPodSource, decode_manifest, is_mirror_pod_of)
from k8score.node import Host
from k8score.node.journal import klog
from k8score.node.controlplane import ControlPlaneProcess, manifests
from k8score.sim import Component, Loop

STATIC_WEB = """\
apiVersion: v1
kind: Pod
metadata:
  name: static-web
  labels:
    role: myrole
spec:
  containers:
    - name: web
      image: nginx
      ports:
        - name: web
          containerPort: 80
          protocol: TCP
"""


# -- the file source ----------------------------------------------------------------------
def test_decode_applies_the_kubelet_defaults():
    pod = decode_manifest(STATIC_WEB, "/etc/kubernetes/manifests/static-web.yaml", "Node-1", 3.5)
    meta = pod["metadata"]
    assert meta["name"] == "static-web-node-1"            # lowercased node name
    assert meta["namespace"] == "default"
    assert pod["spec"]["nodeName"] == "Node-1"
    assert len(meta["uid"]) == 32 and meta["annotations"][CONFIG_HASH_ANNOTATION] == meta["uid"]
    assert meta["annotations"]["kubernetes.io/config.source"] == "file"
    assert meta["annotations"]["kubernetes.io/config.seen"] == "2026-01-01T00:00:03.5Z"
    assert {"operator": "Exists", "effect": "NoExecute"} in pod["spec"]["tolerations"]
    assert pod["status"] == {"phase": "Pending"}
    again = decode_manifest(STATIC_WEB, "/etc/kubernetes/manifests/static-web.yaml", "Node-1", 9.0)
    edited = decode_manifest(STATIC_WEB.replace("myrole", "other"), "/etc/kubernetes/manifests/static-web.yaml",
                             "Node-1", 9.0)
    other_file = decode_manifest(STATIC_WEB, "/etc/kubernetes/manifests/b.yaml", "Node-1", 9.0)
    assert again["metadata"]["uid"] == meta["uid"]
    assert len({meta["uid"], edited["metadata"]["uid"], other_file["metadata"]["uid"]}) == 3


@pytest.mark.parametrize("text,message", [
    ("kind: Service\nmetadata: {name: x}\n", 'couldn\'t parse as pod(invalid pod: kind "Service")'),
    ("a: [1, 2\n", "couldn't parse as pod("),
    ("kind: Pod\nmetadata: {name: x}\nspec: {}\n", "spec.containers: Required value"),
])
def test_a_manifest_that_is_not_one_pod_is_refused(text, message):
    with pytest.raises(ManifestError) as err:
        decode_manifest(text, "/etc/kubernetes/manifests/x.yaml", "node-1", 0.0)
    assert message in str(err.value)


class _StandIn(Component):
    """The smallest kubelet a StaticPodSource needs (k8score.kubelet.Kubelet makes the same calls)."""

    def __init__(self, loop, host):
        super().__init__("kubelet/node-1", loop)
        self.host, self.node_name, self.changes = host, "node-1", []
        self.client, self.registered, self._node_uid = None, True, None   # no API server here

    def on_start(self):
        self.source.start(None)

    def log(self, level, where, msg, **kv):   # Kubelet.log: one klog line in the journal
        self.host.log("kubelet", klog(level, self.loop.now, where, msg, **kv))


def _stand_in():
    loop = Loop(0)
    host = Host("node-1", "192.168.0.11", loop)
    k = _StandIn(loop, host)
    k.source = StaticPodSource(k)
    k.source.on_change = k.changes.append
    k.start()
    return loop, host, k


def test_bad_and_hidden_files_are_skipped_and_the_rest_runs():
    loop, host, k = _stand_in()
    host.fs.write("/etc/kubernetes/manifests/web.yaml", STATIC_WEB)
    host.fs.write("/etc/kubernetes/manifests/.web.yaml.swp", "garbage")
    host.fs.write("/etc/kubernetes/manifests/bad.yaml", "kind: Service\n")
    host.notify("/etc/kubernetes/manifests/web.yaml")
    loop.run(until=0.5)
    assert k.source.keys() == ["default/static-web-node-1"]
    assert k.changes == [["default/static-web-node-1"]]
    errors = [m for _t, u, m in host.journal if "Could not process manifest file" in m]
    assert len(errors) == 1 and 'path="/etc/kubernetes/manifests/bad.yaml"' in errors[0]
    assert errors[0].startswith("E0101 00:00:00.000000    1234 file.go:")


def test_without_inotify_the_directory_is_read_every_20_seconds():
    loop, host, k = _stand_in()
    loop.run(until=1.0)
    host.fs.write("/etc/kubernetes/manifests/web.yaml", STATIC_WEB)   # no notify
    loop.run(until=19.9)
    assert k.source.keys() == []
    loop.run(until=20.1)
    assert k.source.keys() == ["default/static-web-node-1"]
    host.fs.remove("/etc/kubernetes/manifests/web.yaml")
    host.notify("/etc/kubernetes/manifests/web.yaml")
    loop.run(until=20.2)
    assert k.source.keys() == [] and k.changes[-1] == ["default/static-web-node-1"]


# -- on a cluster: the docs' "Create static Pods" task ------------------------------------------
@pytest.fixture(scope="module")
def web():
    c = Cluster(nodes=2, seed=0)
    out = c.ssh("node-1", "mkdir -p /etc/kubernetes/manifests/ && tee /etc/kubernetes/manifests/static-web.yaml",
                stdin=STATIC_WEB)
    assert out.exit_code == 0
    assert c.run(until=lambda: _phase(c, "static-web-node-1") == "Running", seconds=30)
    return c


def _phase(c, name, ns="default"):
    pods = [p for p in c.get("pods", namespace=ns) if p["metadata"]["name"] == name]
    return (pods[0].get("status") or {}).get("phase") if pods else None


def test_the_mirror_pod_carries_the_hash_and_is_owned_by_the_node(web):
    pod = web.get("pods", "static-web-node-1")
    ann = pod["metadata"]["annotations"]
    assert ann[CONFIG_MIRROR_ANNOTATION] == ann[CONFIG_HASH_ANNOTATION]
    assert pod["metadata"]["uid"] != ann[CONFIG_HASH_ANNOTATION]        # the API gave it its own uid
    node = web.get("nodes", "node-1")
    assert pod["metadata"]["ownerReferences"] == [{"apiVersion": "v1", "kind": "Node", "name": "node-1",
                                                   "uid": node["metadata"]["uid"], "controller": True}]
    assert "static-web-node-1" in web.kubectl("get pods")


def test_deleting_the_mirror_pod_does_not_stop_the_static_pod(web):
    before = web.get("pods", "static-web-node-1")["metadata"]["uid"]
    running = web.ssh("node-1", "crictl ps -q")
    assert web.kubectl("delete pod static-web-node-1").startswith('pod "static-web-node-1" deleted')
    assert web.run(until=lambda: any(p["metadata"]["name"] == "static-web-node-1"
                                     and p["metadata"]["uid"] != before for p in web.get("pods")), seconds=40)
    assert web.ssh("node-1", "crictl ps -q") == running                  # same container, never restarted


def test_removing_the_manifest_stops_the_pod_and_removes_its_mirror(web):
    web.ssh("node-1", "rm /etc/kubernetes/manifests/static-web.yaml")
    assert web.run(until=lambda: _phase(web, "static-web-node-1") is None, seconds=30)
    assert "web" not in web.ssh("node-1", "crictl ps")


# -- kubeadm layout ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def kubeadm():
    return Cluster(nodes=2, seed=0, kubeadm=True)


def test_kubeadm_node_is_labelled_and_tainted(kubeadm):
    node = kubeadm.get("nodes", "control-plane")
    labels = node["metadata"]["labels"]
    assert labels["node-role.kubernetes.io/control-plane"] == ""
    assert labels["node.kubernetes.io/exclude-from-external-load-balancers"] == ""
    assert node["spec"]["taints"] == [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    rows = [line.split()[:3] for line in kubeadm.kubectl("get nodes").splitlines()[1:]]
    assert rows == [["control-plane", "Ready", "control-plane"], ["node-1", "Ready", "<none>"],
                    ["node-2", "Ready", "<none>"]]
    assert "node-2" in kubeadm.kubelets and "node-3" not in kubeadm.kubelets   # nodes= counts workers


def test_kubeadm_control_plane_runs_as_static_pods(kubeadm):
    pods = {p["metadata"]["name"]: p for p in kubeadm.get("pods", namespace="kube-system")}
    for comp in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        pod = pods[f"{comp}-control-plane"]
        assert pod["metadata"]["labels"] == {"component": comp, "tier": "control-plane"}
        assert pod["status"]["phase"] == "Running"
        assert pod["spec"]["priorityClassName"] == "system-node-critical"
    assert kubeadm.ssh("control-plane", "ls /etc/kubernetes/manifests") == \
        "etcd.yaml  kube-apiserver.yaml  kube-controller-manager.yaml  kube-scheduler.yaml\n"


def test_user_pods_stay_off_the_tainted_control_plane(kubeadm):
    kubeadm.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                   "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    assert kubeadm.run(until=lambda: kubeadm.get("pods", "p")["spec"].get("nodeName"), seconds=10)
    assert kubeadm.get("pods", "p")["spec"]["nodeName"] in ("node-1", "node-2")


def test_kubeadm_get_pods_wide_shows_the_four_static_pods_ready_on_the_node_ip(kubeadm):
    rows = [line.split() for line in kubeadm.kubectl("get pods -A -o wide").splitlines()[1:]]
    cp = [r for r in rows if r[0] == "kube-system" and r[1].endswith("-control-plane")]
    assert [r[1:5] + r[6:8] for r in cp] == [
        [f"{comp}-control-plane", "1/1", "Running", "0", "192.168.0.10", "control-plane"]
        for comp in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")]
    # hostNetwork: the node's namespace (no CNI IP), the node's hostname; HTTPS probes pass
    sched = kubeadm.kubelets["control-plane"].host.net
    assert sched.tls_ports >= {6443, 10257, 10259} and 2381 not in sched.tls_ports
    pod = kubeadm.get("pods", "kube-scheduler-control-plane", namespace="kube-system")
    assert pod["status"]["podIPs"] == [{"ip": "192.168.0.10"}] and pod["status"]["hostIP"] == "192.168.0.10"
    assert "Unhealthy" not in [t.split(":")[0] for _, _, t in kubeadm.timeline()]
    # kubeadm's kubeconfig mounts (hostPath FileOrCreate): one file, bind-mounted read-only
    desc = kubeadm.kubectl("describe pod -n kube-system kube-scheduler-control-plane")
    assert "/etc/kubernetes/scheduler.conf from kubeconfig (ro)" in desc
    assert "HostPathType:  FileOrCreate" in desc
    assert kubeadm.ssh("control-plane", "crictl ps --name kube-scheduler -q").strip()
    assert "server: https://192.168.0.10:6443" in kubeadm.ssh("control-plane", "cat /etc/kubernetes/scheduler.conf")


def test_stopping_the_scheduler_crash_loops_its_static_pod_until_started_again():
    c = Cluster(nodes=1, seed=0, kubeadm=True)
    name = "kube-scheduler-control-plane"

    def row():
        line = c.kubectl(f"get pod -n kube-system {name}").splitlines()[1].split()
        return line[1], line[2], line[3]

    assert row() == ("1/1", "Running", "0")
    c.stop("kube-scheduler")
    c.run(seconds=2)
    # the process notices within a second and exits 1; restarted at once, it exits again
    assert row() == ("0/1", "CrashLoopBackOff", "1")
    c.run(seconds=30)
    st = c.get("pods", name, namespace="kube-system")["status"]["containerStatuses"][0]
    assert st["lastState"]["terminated"]["exitCode"] == 1 and st["restartCount"] >= 2
    c.start("kube-scheduler")
    c.run(seconds=60)   # the next try after the back-off runs, then startup/readiness probes pass
    assert row()[:2] == ("1/1", "Running")
    assert c.scheduler.running


def test_a_hostnetwork_pod_on_a_worker_uses_the_node_ip_and_namespace():
    c = Cluster(nodes=1, seed=0)
    c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
             "spec": {"hostNetwork": True, "containers": [{"name": "web", "image": "nginx:1.27"}]}})
    c.run(seconds=15)
    pod = c.get("pods", "web")
    assert pod["status"]["podIP"] == pod["status"]["hostIP"] == "192.168.0.11"
    host = c.kubelets["node-1"].host
    assert ("TCP", 80) in host.net.listeners   # nginx listens in the node's namespace
    assert "Welcome to nginx!" in host.net.http("192.168.0.11", 80).body
    assert c.kubectl("exec web -- hostname") == "node-1\n"
    c.kubectl("delete pod web")
    c.run(seconds=35)
    assert ("TCP", 80) not in host.net.listeners
    assert "192.168.0.11" in c.network.namespaces   # stopping the sandbox leaves the node's network


def test_kubeadm_manifests_match_kubeadm():
    m = manifests("192.168.0.10")
    api = m["kube-apiserver.yaml"]
    c = api["spec"]["containers"][0]
    assert c["image"] == "registry.k8s.io/kube-apiserver:v1.37.1"
    assert "--advertise-address=192.168.0.10" in c["command"]
    assert c["livenessProbe"]["httpGet"] == {"host": "192.168.0.10", "path": "/livez", "port": 6443,
                                             "scheme": "HTTPS"}
    assert api["metadata"]["annotations"] == {
        "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": "192.168.0.10:6443"}
    assert m["etcd.yaml"]["spec"]["containers"][0]["resources"] == {"requests": {"cpu": "100m", "memory": "100Mi"}}
    assert m["kube-scheduler.yaml"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["port"] == 10259


# -- the process of a control-plane component --------------------------------------------------
class _Comp(Component):
    pass


def test_component_process_follows_the_component():
    loop = Loop(0)
    comp = _Comp("kube-scheduler", loop)
    cp = ControlPlaneProcess("kube-scheduler", comp)
    p = Process(loop, cp.program, Proc(["kube-scheduler"]), pid1=True).start()
    assert comp.running                                  # starting the process starts it
    loop.run(until=3)
    cp.held = True
    comp.stop()                                          # Cluster.stop("kube-scheduler")
    loop.run(until=5)
    assert p.exit_code == 1 and "was stopped" in p.proc.stderr.getvalue()
    again = Process(loop, cp.program, Proc(["kube-scheduler"]), pid1=True).start()
    assert again.exit_code == 1 and not comp.running     # held down: crash loop
    cp.held = False
    third = Process(loop, cp.program, Proc(["kube-scheduler"]), pid1=True).start()
    loop.run(until=7)
    assert comp.running and third.running
    third.signal(SIGTERM)                                # kubelet stops the pod: manifest moved away
    assert third.exit_code == 0 and not comp.running


def test_mirror_pod_of_needs_the_same_name_and_hash():
    pod = decode_manifest(STATIC_WEB, "/etc/kubernetes/manifests/w.yaml", "node-1", 0)
    mirror = {"metadata": {"name": "static-web-node-1", "namespace": "default",
                           "annotations": {CONFIG_MIRROR_ANNOTATION: pod["metadata"]["uid"]}}}
    assert is_mirror_pod_of(mirror, pod)
    mirror["metadata"]["annotations"][CONFIG_MIRROR_ANNOTATION] = "0" * 32
    assert not is_mirror_pod_of(mirror, pod)
