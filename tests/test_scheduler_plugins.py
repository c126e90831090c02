"""Each default plugin's Filter and Score, with upstream's own worked numbers.

Cases marked "upstream" reproduce test tables from kubernetes/kubernetes
``pkg/scheduler/framework/plugins/...``; their pods are built like ``st.MakePod()``:
one container per ``Req(...)`` call, and a pod with no ``Req`` has no containers.
"""

import pytest

from k8score.scheduler import Code, CycleState, Framework, NodeInfo, PodInfo, Snapshot, default_profile
from k8score.scheduler.plugins import (BalancedAllocation, NodeAffinity, NodeName, NodeResourcesFit,
                                       NodeUnschedulable, TaintToleration, build_profile)
from k8score.scheduler.plugins.helper import default_normalize_score
from k8score.scheduler.resources import DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, pod_requests
from k8score.api.taints import tolerates
from k8score.scheduler.testing import make_node, make_pod, taint, toleration


def st_pod(*reqs, node=None, name="p"):
    """Like upstream st.MakePod().Req(a).Req(b): one container per request map."""
    pod = {"metadata": {"name": name, "namespace": "default"},
           "spec": {"containers": [{"name": f"c{i}", "resources": {"requests": dict(r)}}
                                   for i, r in enumerate(reqs)]}}
    if node:
        pod["spec"]["nodeName"] = node
    return pod


def node_infos(nodes, pods=()):
    return Snapshot.from_objects(nodes, list(pods)).node_infos


def score_all(plugin, pod, nodes, pods=()):
    """Run PreScore + Score (+ NormalizeScore) of one plugin like the framework does."""
    infos = node_infos(nodes, pods)
    state = CycleState()
    if hasattr(plugin, "pre_score"):
        s = plugin.pre_score(state, pod, infos)
        if s is not None and s.code == Code.SKIP:
            return None
    scores = {ni.name: plugin.score(state, pod, ni) for ni in infos}
    if plugin.normalize_score is not None:
        plugin.normalize_score(state, pod, scores)
    return scores


CPU_AND_MEMORY = ({"cpu": "1000", "memory": "2000"}, {"cpu": "2000", "memory": "3000"})


# -- NodeResourcesFit: LeastAllocated (upstream least_allocated_test.go) -----------------

@pytest.mark.parametrize("name, pod_reqs, nodes, existing, expected", [
    ("nothing scheduled, resources requested, differently sized nodes", CPU_AND_MEMORY,
     [("node1", "4000", "10000"), ("node2", "6000", "10000")], [], {"node1": 37, "node2": 50}),
    ("no resources requested, pods scheduled with resources", (),
     [("node1", "10000", "20000"), ("node2", "10000", "20000")],
     [("node1", {"cpu": "3000", "memory": "0"}), ("node1", {"cpu": "3000", "memory": "0"}),
      ("node2", {"cpu": "3000", "memory": "0"}), ("node2", {"cpu": "3000", "memory": "5000"})],
     {"node1": 70, "node2": 57}),
    ("resources requested, pods scheduled with resources, differently sized nodes", CPU_AND_MEMORY,
     [("node1", "10000", "20000"), ("node2", "10000", "50000")],
     [("node1", {"cpu": "3000", "memory": "0"}), ("node2", {"cpu": "3000", "memory": "5000"})],
     {"node1": 57, "node2": 60}),
    ("requested resources exceed node capacity", ({"cpu": "3000", "memory": "0"},),
     [("node1", "4000", "10000"), ("node2", "4000", "10000")],
     [("node1", {"cpu": "3000", "memory": "0"}), ("node2", {"cpu": "3000", "memory": "5000"})],
     {"node1": 50, "node2": 25}),
])
def test_least_allocated_upstream_cases(name, pod_reqs, nodes, existing, expected):
    ns = [make_node(n, cpu=c, memory=m) for n, c, m in nodes]
    pods = [st_pod(r, node=n, name=f"e{i}") for i, (n, r) in enumerate(existing)]
    assert score_all(NodeResourcesFit(), st_pod(*pod_reqs), ns, pods) == expected


def test_least_allocated_weighted_resources_upstream():
    # (25*1 + 50*2) // 3 = 41 ; (50*1 + 50*2) // 3 = 50
    plugin = NodeResourcesFit(resources=(("memory", 2), ("cpu", 1)))
    nodes = [make_node("node1", cpu="4000", memory="10000"), make_node("node2", cpu="6000", memory="10000")]
    assert score_all(plugin, st_pod(*CPU_AND_MEMORY), nodes) == {"node1": 41, "node2": 50}


def test_most_allocated_is_the_mirror_image():
    plugin = NodeResourcesFit(strategy="MostAllocated")
    nodes = [make_node("node1", cpu="4000", memory="10000"), make_node("node2", cpu="6000", memory="10000")]
    # node1: (75 + 50) // 2 = 62 ; node2: (50 + 50) // 2 = 50
    assert score_all(plugin, st_pod(*CPU_AND_MEMORY), nodes) == {"node1": 62, "node2": 50}


def test_scoring_counts_default_requests_for_containers_without_requests():
    # pkg/scheduler/util/pod_resources.go: 100m CPU and 200Mi memory
    pod = make_pod("best-effort")
    assert pod_requests(pod) == (0, 0, 0)
    assert pod_requests(pod, non_zero=True)[:2] == (DEFAULT_MILLI_CPU_REQUEST, DEFAULT_MEMORY_REQUEST)
    node = make_node("n", cpu="1", memory="1Gi")
    # cpu (1000-100)*100//1000 = 90 ; memory (1024-200)*100//1024 = 80 -> (90+80)//2 = 85
    assert score_all(NodeResourcesFit(), pod, [node]) == {"n": 85}


# -- NodeResourcesFit: Filter ---------------------------------------------------------------

def fit_filter(pod, node, existing=()):
    ni = node_infos([node], existing)[0]
    plugin = NodeResourcesFit()
    state = CycleState()
    plugin.pre_filter(state, pod, [ni])
    return plugin.filter(state, pod, ni)


def test_fit_filter_reports_every_insufficient_resource_in_upstream_order():
    node = make_node("n", cpu="2", memory="1Gi", pods="1")
    existing = [make_pod("old", {"cpu": "1500m"}, node_name="n")]
    s = fit_filter(make_pod("new", {"cpu": "1", "memory": "2Gi"}), node, existing)
    assert s.reasons == ("Too many pods", "Insufficient cpu", "Insufficient memory")
    # 2Gi is more than the whole node: no preemption could ever help
    assert s.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE


def test_fit_filter_insufficient_cpu_is_resolvable_when_pod_fits_an_empty_node():
    node = make_node("n", cpu="2", memory="4Gi")
    s = fit_filter(make_pod("new", {"cpu": "1"}), node, [make_pod("old", {"cpu": "1500m"}, node_name="n")])
    assert (s.code, s.reasons) == (Code.UNSCHEDULABLE, ("Insufficient cpu",))


def test_pods_without_requests_fit_even_a_full_node_but_not_past_the_pod_limit():
    node = make_node("n", cpu="1", memory="1Gi", pods="2")
    full = [make_pod("hog", {"cpu": "1", "memory": "1Gi"}, node_name="n")]
    assert fit_filter(make_pod("be"), node, full) is None
    full.append(make_pod("be2", node_name="n"))
    assert fit_filter(make_pod("be"), node, full).reasons == ("Too many pods",)


def test_requests_default_to_limits_and_init_containers_take_the_max():
    pod = make_pod("p")
    pod["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "500m", "memory": "1Gi"}}
    pod["spec"]["initContainers"] = [{"name": "init", "resources": {"requests": {"cpu": "2"}}}]
    pod["spec"]["overhead"] = {"cpu": "100m"}
    assert pod_requests(pod)[:2] == (2000 + 100, 1024 ** 3)


# -- BalancedAllocation (upstream balanced_allocation_test.go) -----------------------------

@pytest.mark.parametrize("pod_reqs, nodes, existing, expected", [
    (CPU_AND_MEMORY, [("node1", "4000", "10000"), ("node2", "6000", "10000")], [],
     {"node1": 87, "node2": 100}),
    (CPU_AND_MEMORY, [("node1", "10000", "20000"), ("node2", "10000", "50000")],
     [("node1", ({"cpu": "1000", "memory": "0"}, {"cpu": "2000", "memory": "0"})),
      ("node2", CPU_AND_MEMORY)],
     {"node1": 82, "node2": 80}),
    (({"cpu": "1000", "memory": "0"}, {"cpu": "2000", "memory": "0"}),
     [("node1", "6000", "10000"), ("node2", "6000", "10000")],
     [("node1", ({"cpu": "1000", "memory": "0"}, {"cpu": "2000", "memory": "0"})),
      ("node2", CPU_AND_MEMORY)],
     {"node1": 50, "node2": 75}),
])
def test_balanced_allocation_upstream_cases(pod_reqs, nodes, existing, expected):
    ns = [make_node(n, cpu=c, memory=m) for n, c, m in nodes]
    pods = [st_pod(*r, node=n, name=f"e{i}") for i, (n, r) in enumerate(existing)]
    assert score_all(BalancedAllocation(), st_pod(*pod_reqs), ns, pods) == expected


def test_balanced_allocation_skips_best_effort_pods():
    nodes = [make_node("node1", cpu="4000", memory="10000")]
    assert score_all(BalancedAllocation(), make_pod("be"), nodes) is None
    fw = Framework(default_profile())
    state = CycleState()
    fw.run_pre_score(state, make_pod("be"), node_infos(nodes))
    assert "NodeResourcesBalancedAllocation" in state.skip_score_plugins


# -- TaintToleration --------------------------------------------------------------------------

@pytest.mark.parametrize("tol, t, expected", [
    (toleration("k", "Equal", "v", "NoSchedule"), taint("k", "v", "NoSchedule"), True),
    (toleration("k", "Equal", "v"), taint("k", "v", "NoExecute"), True),          # empty effect: all
    (toleration("k", "Equal", "other"), taint("k", "v"), False),
    (toleration("k", "Exists"), taint("k", "anything"), True),
    (toleration("", "Exists"), taint("any-key", "x", "NoExecute"), True),        # tolerates everything
    (toleration("", "Exists", effect="NoSchedule"), taint("k", "v", "NoExecute"), False),
    (toleration("k", "Exists", effect="PreferNoSchedule"), taint("k", "", "NoSchedule"), False),
    (toleration("other", "Exists"), taint("k", "v"), False),
    ({"key": "k", "value": "v"}, taint("k", "v"), True),                          # operator defaults to Equal
])
def test_toleration_matching_semantics(tol, t, expected):
    assert tolerates(tol, t) is expected


def test_taint_filter_names_the_first_untolerated_taint():
    node = make_node("n", taints=[taint("soft", "x", "PreferNoSchedule"), taint("gpu", "true", "NoSchedule"),
                                  taint("dedicated", "db", "NoExecute")])
    ni = NodeInfo(node)
    plugin = TaintToleration()
    s = plugin.filter(CycleState(), make_pod("p"), ni)
    assert (s.code, s.message) == (Code.UNSCHEDULABLE_AND_UNRESOLVABLE, "node(s) had untolerated taint {gpu: true}")
    tolerant = make_pod("p", tolerations=[toleration("gpu", "Exists")])
    assert plugin.filter(CycleState(), tolerant, ni).message == \
        "node(s) had untolerated taint {dedicated: db}"
    assert plugin.filter(CycleState(), make_pod("p", tolerations=[toleration("", "Exists")]), ni) is None


def test_taint_score_prefers_fewer_intolerable_prefer_no_schedule_taints():
    nodes = [make_node("a"),
             make_node("b", taints=[taint("x", "1", "PreferNoSchedule")]),
             make_node("c", taints=[taint("x", "1", "PreferNoSchedule"), taint("y", "1", "PreferNoSchedule")]),
             make_node("d", taints=[taint("y", "1", "PreferNoSchedule"), taint("z", "1", "NoSchedule")])]
    # raw counts 0,1,2,1 -> reversed normalization 100, 50, 0, 50
    assert score_all(TaintToleration(), make_pod("p"), nodes) == {"a": 100, "b": 50, "c": 0, "d": 50}
    # tolerating y (empty effect covers PreferNoSchedule): counts 0,1,1,0
    pod = make_pod("p", tolerations=[toleration("y", "Exists")])
    assert score_all(TaintToleration(), pod, nodes) == {"a": 100, "b": 0, "c": 0, "d": 100}
    # a NoSchedule-only toleration does not count for scoring
    pod = make_pod("p", tolerations=[toleration("x", "Exists", effect="NoSchedule")])
    assert score_all(TaintToleration(), pod, nodes)["b"] == 50


def test_default_normalize_score_integer_math():
    s = {"a": 1, "b": 2, "c": 3}
    default_normalize_score(100, False, s)
    assert s == {"a": 33, "b": 66, "c": 100}
    s = {"a": 1, "b": 2, "c": 3}
    default_normalize_score(100, True, s)
    assert s == {"a": 67, "b": 34, "c": 0}


# -- NodeUnschedulable / NodeName --------------------------------------------------------------

def test_cordoned_node_rejects_pods_unless_they_tolerate_the_unschedulable_taint():
    ni = NodeInfo(make_node("n", unschedulable=True))
    plugin = NodeUnschedulable()
    s = plugin.filter(CycleState(), make_pod("p"), ni)
    assert (s.code, s.message) == (Code.UNSCHEDULABLE_AND_UNRESOLVABLE, "node(s) were unschedulable")
    ds_pod = make_pod("ds", tolerations=[toleration("node.kubernetes.io/unschedulable", "Exists",
                                                    effect="NoSchedule")])
    assert plugin.filter(CycleState(), ds_pod, ni) is None
    assert plugin.filter(CycleState(), make_pod("p"), NodeInfo(make_node("m"))) is None


def test_node_name_filter():
    plugin = NodeName()
    pod = make_pod("p", node_name="node-2")
    assert plugin.filter(CycleState(), pod, NodeInfo(make_node("node-2"))) is None
    s = plugin.filter(CycleState(), pod, NodeInfo(make_node("node-1")))
    assert s.message == "node(s) didn't match the requested node name"


# -- default profile ------------------------------------------------------------------------------

def test_default_profile_weights_follow_upstream_default_plugins():
    fw = Framework(default_profile())
    assert fw.weights == {"TaintToleration": 3, "NodeAffinity": 2, "NodeResourcesFit": 1,
                          "PodTopologySpread": 2, "InterPodAffinity": 2,
                          "NodeResourcesBalancedAllocation": 1, "ImageLocality": 1}
    assert [p.name for p in fw.plugins_at("Bind")] == ["DefaultBinder"]
    assert fw.queue_sort.name == "PrioritySort"


def test_unknown_plugin_in_profile_is_rejected():
    with pytest.raises(ValueError, match="does not exist"):
        build_profile(plugins=[("NoSuchPlugin", 2)])


def test_pod_info_counts_what_filter_and_score_use():
    info = PodInfo(make_pod("p", {"cpu": "250m"}))
    assert (info.cpu, info.memory, info.nz_cpu, info.nz_memory) == (250, 0, 250, DEFAULT_MEMORY_REQUEST)


# -- DefaultPreemption (dry run only: a client that records deletions) --------------------------

class RecordingClient:
    def __init__(self):
        self.deleted = []

    def delete(self, resource, name, namespace=None, **_):
        self.deleted.append(name)

    def patch(self, resource, name, body, namespace=None, **_):
        pass   # the DisruptionTarget condition before each deletion (prepareCandidate)


def preempt(nodes, pods, pod):
    import random as _random

    from k8score.scheduler import Algorithm, FitError
    client = RecordingClient()
    fw = Framework(default_profile(), client=client)
    snap = Snapshot.from_objects(nodes, pods)
    fw.snapshot, fw.rng = snap, _random.Random(0)
    state = CycleState()
    with pytest.raises(FitError) as e:
        Algorithm(_random.Random(0)).schedule(fw, state, pod, snap)
    d = e.value.diagnosis
    statuses = {ni.name: d.node_to_status.get(ni.name) or d.absent_status for ni in snap.node_infos}
    result, status = fw.run_post_filter(state, pod, statuses)
    return result, status, client.deleted


def test_preemption_picks_the_node_with_the_least_important_victims():
    nodes = [make_node("a", cpu="2"), make_node("b", cpu="2")]
    pods = [make_pod("a-low", {"cpu": "1500m"}, node_name="a", priority=10),
            make_pod("b-mid", {"cpu": "1500m"}, node_name="b", priority=100),
            make_pod("b-tiny", {"cpu": "100m"}, node_name="b", priority=1)]
    result, status, deleted = preempt(nodes, pods, make_pod("vip", {"cpu": "1"}, priority=1000))
    assert status.is_success() and result.nominated_node_name == "a" and deleted == ["a-low"]


def test_preemption_reprieves_victims_that_need_not_go():
    nodes = [make_node("a", cpu="3")]
    pods = [make_pod("keep", {"cpu": "1"}, node_name="a", priority=50),
            make_pod("go", {"cpu": "1500m"}, node_name="a", priority=5)]
    _, status, deleted = preempt(nodes, pods, make_pod("vip", {"cpu": "1500m"}, priority=100))
    assert status.is_success() and deleted == ["go"]


def test_preemption_policy_never_and_unhelpful_nodes():
    nodes = [make_node("a", cpu="1"), make_node("b", cpu="1", unschedulable=True)]
    pods = [make_pod("low", {"cpu": "800m"}, node_name="a", priority=0)]
    never = make_pod("polite", {"cpu": "500m"}, priority=100)
    never["spec"]["preemptionPolicy"] = "Never"
    _, status, deleted = preempt(nodes, pods, never)
    assert (status.message, deleted) == ("preemption: not eligible due to preemptionPolicy=Never.", [])
    _, status, _ = preempt(nodes, pods, make_pod("same-prio", {"cpu": "500m"}, priority=0))
    assert status.message == ("preemption: 0/2 nodes are available: 1 No preemption victims found for "
                              "incoming pod, 1 Preemption is not helpful for scheduling.")


# -- NodeAffinity ------------------------------------------------------------------------------------

def labelled(name, **labels):
    return make_node(name, labels=labels)


def with_affinity(pod, required=None, preferred=None, node_selector=None):
    na = {}
    if required is not None:
        na["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": required}
    if preferred is not None:
        na["preferredDuringSchedulingIgnoredDuringExecution"] = preferred
    if na:
        pod["spec"]["affinity"] = {"nodeAffinity": na}
    if node_selector:
        pod["spec"]["nodeSelector"] = node_selector
    return pod


def affinity_filter(pod, node):
    return NodeAffinity().filter(CycleState(), pod, NodeInfo(node))


@pytest.mark.parametrize("expr, labels, expected", [
    ({"key": "disk", "operator": "In", "values": ["ssd", "nvme"]}, {"disk": "ssd"}, True),
    ({"key": "disk", "operator": "In", "values": ["ssd"]}, {}, False),
    ({"key": "disk", "operator": "NotIn", "values": ["hdd"]}, {}, True),        # absent label: NotIn holds
    ({"key": "disk", "operator": "NotIn", "values": ["hdd"]}, {"disk": "hdd"}, False),
    ({"key": "gpu", "operator": "Exists"}, {"gpu": ""}, True),
    ({"key": "gpu", "operator": "DoesNotExist"}, {"gpu": "1"}, False),
    ({"key": "cores", "operator": "Gt", "values": ["8"]}, {"cores": "16"}, True),
    ({"key": "cores", "operator": "Lt", "values": ["8"]}, {"cores": "16"}, False),
    ({"key": "cores", "operator": "Gt", "values": ["8"]}, {"cores": "many"}, False),
])
def test_node_selector_requirement_operators(expr, labels, expected):
    pod = with_affinity(make_pod("p"), required=[{"matchExpressions": [expr]}])
    assert (affinity_filter(pod, labelled("n", **labels)) is None) is expected


def test_required_terms_are_ored_expressions_anded_and_node_selector_also_applies():
    terms = [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]},
                                   {"key": "disk", "operator": "In", "values": ["ssd"]}]},
             {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]}]
    pod = with_affinity(make_pod("p"), required=terms, node_selector={"tier": "web"})
    assert affinity_filter(pod, labelled("n", zone="a", disk="ssd", tier="web")) is None
    assert affinity_filter(pod, labelled("n", zone="b", tier="web")) is None
    s = affinity_filter(pod, labelled("n", zone="a", disk="hdd", tier="web"))
    assert (s.code, s.message) == (Code.UNSCHEDULABLE_AND_UNRESOLVABLE,
                                   "node(s) didn't match Pod's node affinity/selector")
    assert affinity_filter(pod, labelled("n", zone="b")) is not None           # nodeSelector misses
    empty_term = with_affinity(make_pod("p"), required=[{}])
    assert affinity_filter(empty_term, labelled("n", zone="a")) is not None     # empty term matches nothing


def test_match_fields_pin_the_pod_to_named_nodes_in_prefilter():
    terms = [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2", "n3"]}]}]
    pod = with_affinity(make_pod("p"), required=terms)
    result, s = NodeAffinity().pre_filter(CycleState(), pod, [])
    assert s is None and result.node_names == {"n2", "n3"}
    conflicting = with_affinity(make_pod("p"), required=[
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]},
                         {"key": "metadata.name", "operator": "In", "values": ["n2"]}]}])
    assert NodeAffinity().pre_filter(CycleState(), conflicting, [])[1].message == "pod affinity terms conflict"
    assert NodeAffinity().pre_filter(CycleState(), make_pod("plain"), [])[1].code == Code.SKIP


def test_preferred_node_affinity_score_is_normalized_to_the_best_node():
    preferred = [{"weight": 80, "preference": {"matchExpressions": [
                     {"key": "disk", "operator": "In", "values": ["ssd"]}]}},
                 {"weight": 20, "preference": {"matchExpressions": [
                     {"key": "zone", "operator": "In", "values": ["a"]}]}}]
    pod = with_affinity(make_pod("p"), preferred=preferred)
    nodes = [labelled("n1", disk="ssd", zone="a"), labelled("n2", disk="ssd"), labelled("n3")]
    assert score_all(NodeAffinity(), pod, nodes) == {"n1": 100, "n2": 80, "n3": 0}
    only_low = [labelled("n2", zone="a"), labelled("n3")]      # raw 20 and 0 -> 100 and 0
    assert score_all(NodeAffinity(), pod, only_low) == {"n2": 100, "n3": 0}
