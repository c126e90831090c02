"""NodePorts, ImageLocality and SchedulingGates; the default profile's order and weights.

Upstream: ``pkg/scheduler/framework/plugins/nodeports/node_ports.go``,
``framework/types.go`` (HostPortInfo.CheckConflict), ``plugins/imagelocality/image_locality.go``
(23 MB / 1000 MB thresholds, spread scaling), ``plugins/schedulinggates/scheduling_gates.go``,
``apis/config/v1/default_plugins.go``.
"""

from apihelpers import default_service_accounts, ready_nodes
import pytest

from k8score.apiserver import APIServer
from k8score.client import Client
from k8score.etcd import Store
from k8score.scheduler import Code, CycleState, Framework, Scheduler, Snapshot, default_profile
from k8score.scheduler.plugins import ImageLocality, NodePorts, build_profile
from k8score.scheduler.plugins.image_locality import MB, calculate_priority
from k8score.scheduler.testing import make_node, make_pod
from k8score.sim import Loop

PORTS_MSG = "node(s) didn't have free ports for the requested pod ports"


def with_ports(pod, *ports):
    pod["spec"]["containers"][0]["ports"] = [dict(p) for p in ports]
    return pod


def port(n, proto=None, ip=None):
    p = {"containerPort": 80, "hostPort": n}
    if proto:
        p["protocol"] = proto
    if ip:
        p["hostIP"] = ip
    return p


def ports_verdicts(incoming, existing):
    snap = Snapshot.from_objects([make_node("n1"), make_node("n2")], existing)
    pl, state = NodePorts(), CycleState()
    _, s = pl.pre_filter(state, incoming, snap.node_infos)
    if s is not None and s.is_skip():
        return "skip"
    out = {}
    for ni in snap.node_infos:
        r = pl.filter(state, incoming, ni)
        out[ni.name] = None if r is None else (r.code, r.message)
    return out


@pytest.mark.parametrize("used, wanted, n1_free", [
    (port(8080), port(8080), False),                          # same port, TCP, any IP
    (port(8080), port(8080, "UDP"), True),                    # other protocol
    (port(8080), port(8080, ip="10.0.0.1"), False),           # 0.0.0.0 in use blocks every IP
    (port(9090, ip="10.0.0.1"), port(9090, ip="10.0.0.2"), True),
    (port(9090, ip="10.0.0.1"), port(9090), False),           # wanting 0.0.0.0 needs every IP free
    (port(8080), port(8081), True),
])
def test_node_ports_conflicts(used, wanted, n1_free):
    existing = [with_ports(make_pod("e", node_name="n1"), used)]
    verdicts = ports_verdicts(with_ports(make_pod("p"), wanted), existing)
    assert verdicts["n2"] is None
    assert verdicts["n1"] == (None if n1_free else (Code.UNSCHEDULABLE, PORTS_MSG))


def test_node_ports_skips_pods_without_host_ports_and_hint_on_delete():
    assert ports_verdicts(make_pod("p"), []) == "skip"
    pl = NodePorts()
    wanted = with_ports(make_pod("p"), port(8080))
    holder = with_ports(make_pod("e", node_name="n1"), port(8080))
    other = with_ports(make_pod("o", node_name="n1"), port(9000))
    assert pl._after_pod_deleted(wanted, holder, None) is True
    assert pl._after_pod_deleted(wanted, other, None) is False


# -- ImageLocality ---------------------------------------------------------------------------

def node_with_images(name, *images):
    n = make_node(name)
    n["status"]["images"] = [{"names": [f"{ref}@sha256:abc", ref], "sizeBytes": size} for ref, size in images]
    return n


def image_scores(pod, nodes):
    fw = Framework(build_profile(plugins=[("ImageLocality", 1), ("DefaultBinder", 0)]))
    snap = Snapshot.from_objects(nodes)
    fw.snapshot = snap
    pl, state = fw.plugin("ImageLocality"), CycleState()
    s = pl.pre_score(state, pod, snap.node_infos)
    if s is not None:
        return None
    return {ni.name: pl.score(state, pod, ni) for ni in snap.node_infos}


def image_pod(*images):
    p = make_pod("p")
    p["spec"]["containers"] = [{"name": f"c{i}", "image": img} for i, img in enumerate(images)]
    return p


def test_image_locality_worked_example_with_spread():
    nodes = [node_with_images("n1", ("registry.k8s.io/big:1.0", 500 * MB)), node_with_images("n2")]
    # 500 MiB * 1/2 nodes = 250 MiB ; 100 * (250 - 23) // (1000 - 23) = 23
    assert image_scores(image_pod("registry.k8s.io/big:1.0"), nodes) == {"n1": 100 * 227 // 977, "n2": 0} == \
        {"n1": 23, "n2": 0}
    # on both nodes the spread is 1: 100 * (500 - 23) // 977 = 48 each
    both = [node_with_images(n, ("registry.k8s.io/big:1.0", 500 * MB)) for n in ("n1", "n2")]
    assert image_scores(image_pod("registry.k8s.io/big:1.0"), both) == {"n1": 48, "n2": 48}


def test_image_locality_thresholds_and_names():
    assert calculate_priority(20 * MB, 1) == 0                         # below 23 MB: nothing
    assert calculate_priority(2000 * MB, 1) == 100                     # clamped at 1000 MB x 1
    assert calculate_priority(1500 * MB, 2) == 100 * (1500 - 23) // (2000 - 23) == 74
    # a tagless name means :latest; the registry prefix is not guessed (upstream's TODO)
    nodes = [node_with_images("n1", ("docker.io/library/nginx:latest", 300 * MB)), node_with_images("n2")]
    assert image_scores(image_pod("docker.io/library/nginx"), nodes) == {"n1": 100 * (150 - 23) // 977, "n2": 0}
    assert image_scores(image_pod("nginx"), nodes) is None             # no node has "nginx:latest"


# -- SchedulingGates -------------------------------------------------------------------------

class Env:
    def __init__(self, nodes):
        self.loop = Loop(0)
        self.api = APIServer(self.loop, Store())
        self.api.start()
        default_service_accounts(self.api)
        self.client = Client(self.api, user="kubernetes-admin")
        for n in nodes:
            self.client.create("nodes", n)
        ready_nodes(self.api, [n["metadata"]["name"] for n in nodes])
        self.sched = Scheduler(self.loop, self.api, seed=0)
        self.sched.start()
        self.loop.run(until=self.loop.now + 0.5)

    def run(self, seconds):
        self.loop.run(until=self.loop.now + seconds)


def test_gated_pod_waits_without_attempts_until_the_gate_is_removed():
    env = Env([make_node("n1")])
    pod = make_pod("gated")
    pod["spec"]["schedulingGates"] = [{"name": "example.com/quota"}, {"name": "example.com/ready"}]
    env.client.create("pods", pod)
    env.run(400)                                   # past the 5-minute flush: still no attempt
    assert env.sched.pending() == [("default/gated", "unschedulablePods")]
    assert env.sched.queue.is_gated("default/gated") and env.sched.explain("gated") is None
    assert not [e for e in env.client.list("events", namespace="default")["items"]
                if e["reason"] == "FailedScheduling"]
    assert Framework(default_profile()).run_pre_enqueue(pod).message == \
        "waiting for scheduling gates: [example.com/quota example.com/ready]"


def test_removing_the_gates_through_the_api_schedules_the_pod():
    env = Env([make_node("n1")])
    pod = make_pod("gated")
    pod["spec"]["schedulingGates"] = [{"name": "example.com/quota"}, {"name": "example.com/ready"}]
    env.client.create("pods", pod)
    env.run(1)
    env.client.patch("pods", "gated", {"spec": {"schedulingGates": [{"name": "example.com/ready"}]}})
    env.run(5)
    assert env.sched.queue.is_gated("default/gated")          # one gate left
    env.client.patch("pods", "gated", {"spec": {"schedulingGates": None}})
    env.run(1)
    assert env.client.get("pods", "gated", namespace="default")["spec"]["nodeName"] == "n1"
    assert env.sched.explain("gated").attempt == 1
    # a gate can only be removed: adding one back is Forbidden (ValidatePodUpdate)
    with pytest.raises(Exception, match="only deletion is allowed, but found new scheduling gate 'example.com/x'"):
        env.client.patch("pods", "gated", {"spec": {"schedulingGates": [{"name": "example.com/x"}]}})


def test_a_gated_pod_shows_scheduling_gated():
    """pkg/registry/core/pod/strategy.go applySchedulingGatedCondition, as kubectl prints it."""
    from k8score import Cluster
    c = Cluster(nodes=1, seed=0)
    c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "gated"},
             "spec": {"schedulingGates": [{"name": "example.com/quota"}],
                      "containers": [{"name": "c", "image": "nginx"}]}})
    c.run(2)
    row = c.kubectl("get pod gated").splitlines()[1].split()
    assert row[:3] == ["gated", "0/1", "SchedulingGated"]
    out = c.kubectl("""patch pod gated --type=json -p '[{"op":"remove","path":"/spec/schedulingGates"}]'""")
    assert out.strip() == "pod/gated patched"
    c.run(10)
    assert c.kubectl("get pod gated").splitlines()[1].split()[2] == "Running"


def test_default_profile_order_follows_default_plugins_go():
    fw = Framework(default_profile())
    names = [p.name for p, _ in fw.profile.plugins]
    ours = ["SchedulingGates", "PrioritySort", "NodeUnschedulable", "NodeName", "TaintToleration",
            "NodeAffinity", "NodePorts", "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity",
            "DefaultPreemption", "NodeResourcesBalancedAllocation", "ImageLocality", "DefaultBinder"]
    assert [n for n in names if n in ours] == ours
    assert [p.name for p in fw.plugins_at("PreEnqueue")] == ["SchedulingGates"]
    assert {k: fw.weights[k] for k in ("PodTopologySpread", "InterPodAffinity", "ImageLocality")} == \
        {"PodTopologySpread": 2, "InterPodAffinity": 2, "ImageLocality": 1}


def test_kubelet_reports_image_sizes_in_node_status():
    from k8score.cluster import Cluster
    c = Cluster(nodes=1, seed=0)
    c.run(5)
    images = c.get("nodes", "node-1")["status"]["images"]
    assert images and all(i["sizeBytes"] > 0 and i["names"] for i in images)
    ni = c.scheduler.cache.node_info("node-1")
    assert any(name.endswith(":latest") or ":" in name for name in ni.images)
    assert ImageLocality.name in Framework(default_profile()).weights
