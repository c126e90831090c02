"""KubeSchedulerConfiguration: profiles, plugin sets, weights, args, validation, out-of-tree plugins.

Upstream: ``pkg/scheduler/apis/config/v1/default_plugins.go`` (``mergePluginSet``),
``pkg/scheduler/framework/runtime/framework.go`` (``expandMultiPointPlugins``,
``getScoreWeights``), ``pkg/scheduler/apis/config/validation/validation.go`` and
``validation_pluginargs.go`` (messages), ``noderesources/requested_to_capacity_ratio.go``
and ``most_allocated.go`` (scores), ``pkg/scheduler/framework/runtime/registry.go``
(``Merge``), ``pkg/scheduler/profile/profile.go`` (events per schedulerName).
"""

import pytest
from apihelpers import default_service_accounts, ready_nodes

from k8score import Cluster
from k8score.apiserver import APIServer
from k8score.client import Client
from k8score.etcd import Store
from k8score.scheduler import Framework, Scheduler, ScorePlugin, default_profile
from k8score.scheduler.config import ConfigError, load_config
from k8score.scheduler.plugins.resource_allocation import (most_allocated_scorer,
                                                           requested_to_capacity_ratio_scorer)
from k8score.scheduler.testing import make_node, make_pod
from k8score.sim import Loop

BIN_PACKING = """
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
- schedulerName: bin-packing
  plugins:
    score:
      disabled: [{name: "*"}]
      enabled: [{name: NodeResourcesFit, weight: 5}]
  pluginConfig:
  - name: NodeResourcesFit
    args: {scoringStrategy: {type: MostAllocated}}
"""


def points(fw):
    return {p: [pl.name for pl in fw.plugins_at(p)] for p in ("PreFilter", "Filter", "PostFilter", "Score")}


def frameworks(cfg, registry=None):
    return {p.scheduler_name: Framework(p) for p in load_config(cfg, registry).profiles}


# --- plugin sets and weights -----------------------------------------------------------------------
def test_an_empty_config_is_the_default_profile():
    [fw] = frameworks({}).values()
    ref = Framework(default_profile())
    assert fw.scheduler_name == "default-scheduler"
    assert points(fw) == points(ref) and fw.weights == ref.weights


def test_score_star_disabled_leaves_only_the_enabled_scorer_with_its_weight():
    fws = frameworks(BIN_PACKING)
    bp = fws["bin-packing"]
    assert points(bp)["Score"] == ["NodeResourcesFit"] and bp.weights == {"NodeResourcesFit": 5}
    # filters are untouched, and the other profile keeps the defaults
    assert points(bp)["Filter"] == points(fws["default-scheduler"])["Filter"]
    assert bp.plugin("NodeResourcesFit").strategy == "MostAllocated"
    assert fws["default-scheduler"].plugin("NodeResourcesFit").strategy == "LeastAllocated"


def test_multi_point_disable_reweight_in_place_and_specific_override_first():
    fw = frameworks({"profiles": [{"plugins": {
        "multiPoint": {"enabled": [{"name": "NodeResourcesBalancedAllocation", "weight": 4}],
                       "disabled": [{"name": "ImageLocality"}, {"name": "InterPodAffinity"}]},
        "score": {"enabled": [{"name": "TaintToleration", "weight": 7}]}}}]})["default-scheduler"]
    # TaintToleration is explicitly re-configured at score: first there, weight 7 (score wins)
    assert points(fw)["Score"] == ["TaintToleration", "NodeAffinity", "NodeResourcesFit",
                                   "PodTopologySpread", "NodeResourcesBalancedAllocation"]
    assert fw.weights == {"TaintToleration": 7, "NodeAffinity": 2, "NodeResourcesFit": 1,
                          "PodTopologySpread": 2, "NodeResourcesBalancedAllocation": 4}
    assert "InterPodAffinity" not in points(fw)["Filter"] and fw.plugin("ImageLocality") is None
    # a plugin disabled at one point still serves the others
    fw = frameworks({"profiles": [{"plugins": {"filter": {"disabled": [{"name": "TaintToleration"}]}}}]})[
        "default-scheduler"]
    assert "TaintToleration" not in points(fw)["Filter"] and "TaintToleration" in points(fw)["Score"]


def test_multi_point_star_needs_the_essentials_back():
    with pytest.raises(ValueError, match="at least one Bind plugin is needed"):
        frameworks({"profiles": [{"plugins": {"multiPoint": {"disabled": [{"name": "*"}]}}}]})
    fw = frameworks({"profiles": [{"plugins": {"multiPoint": {
        "disabled": [{"name": "*"}],
        "enabled": [{"name": "PrioritySort"}, {"name": "NodeResourcesFit", "weight": 3},
                    {"name": "DefaultBinder"}]}}}]})["default-scheduler"]
    assert points(fw) == {"PreFilter": ["NodeResourcesFit"], "Filter": ["NodeResourcesFit"],
                          "PostFilter": [], "Score": ["NodeResourcesFit"]}
    assert fw.weights == {"NodeResourcesFit": 3}


# --- scores from args, by hand ------------------------------------------------------------------------
def test_requested_to_capacity_ratio_and_most_allocated_by_hand():
    # 3000m of 4000m, 5000 of 10000 bytes, weights 1
    req, alloc, w = [3000, 5000], [4000, 10000], [1, 1]
    assert most_allocated_scorer(req, alloc, w) == (75 + 50) // 2 == 62
    # shape (0,0)-(100,10) scaled x10: 75 and 50; (75 + 50) / 2 = 62.5 rounds half up to 63
    assert requested_to_capacity_ratio_scorer(((0, 0), (100, 10)))(req, alloc, w) == 63
    # shape (0,10)-(100,0): a full cpu scores 0 and leaves the mean; memory 50% -> 50
    assert requested_to_capacity_ratio_scorer(((0, 10), (100, 0)))([4000, 5000], alloc, w) == 50
    # broken line with a plateau: (0,0),(50,10),(100,10): 30% -> 0 + 100*30/50 = 60
    assert requested_to_capacity_ratio_scorer(((0, 0), (50, 10), (100, 10)))([1200], [4000], [1]) == 60
    # over capacity counts as 100 %
    assert requested_to_capacity_ratio_scorer(((0, 0), (100, 10)))([5000], [4000], [1]) == 100
    cfg = {"profiles": [{"pluginConfig": [{"name": "NodeResourcesFit", "args": {"scoringStrategy": {
        "type": "RequestedToCapacityRatio", "resources": [{"name": "cpu", "weight": 3}],
        "requestedToCapacityRatio": {"shape": [{"utilization": 0, "score": 0},
                                               {"utilization": 100, "score": 10}]}}}}]}]}
    pl = frameworks(cfg)["default-scheduler"].plugin("NodeResourcesFit")
    assert (pl.strategy, pl.resources, pl.shape) == ("RequestedToCapacityRatio", (("cpu", 3),), ((0, 0), (100, 10)))


# --- validation --------------------------------------------------------------------------------------
def err(cfg, registry=None):
    with pytest.raises(ConfigError) as e:
        load_config(cfg, registry)
    return str(e.value)


def args(name, a):
    return {"profiles": [{"pluginConfig": [{"name": name, "args": a}]}]}


def test_validation_messages_and_both_sides_of_each_limit():
    assert load_config({"percentageOfNodesToScore": 100}).percentage_of_nodes_to_score == 100
    assert err({"percentageOfNodesToScore": 101}) == \
        "percentageOfNodesToScore: Invalid value: 101: not in valid range [0-100]"
    assert err({"profiles": [{"percentageOfNodesToScore": -1}]}) == \
        "profiles[0].percentageOfNodesToScore: Invalid value: -1: not in valid range [0-100]"
    load_config(args("InterPodAffinity", {"hardPodAffinityWeight": 100}))
    assert err(args("InterPodAffinity", {"hardPodAffinityWeight": 101})) == \
        "profiles[0].pluginConfig[0].args.hardPodAffinityWeight: Invalid value: 101: not in valid range [0, 100]"
    load_config(args("DefaultPreemption", {"minCandidateNodesPercentage": 100}))
    assert err(args("DefaultPreemption", {"minCandidateNodesPercentage": 101})) == \
        "profiles[0].pluginConfig[0].args.minCandidateNodesPercentage: Invalid value: 101: not in valid range [0, 100]"
    rtcr = {"type": "RequestedToCapacityRatio",
            "requestedToCapacityRatio": {"shape": [{"utilization": 0, "score": 10}]}}
    load_config(args("NodeResourcesFit", {"scoringStrategy": rtcr}))
    rtcr["requestedToCapacityRatio"]["shape"][0]["score"] = 11
    assert err(args("NodeResourcesFit", {"scoringStrategy": rtcr})) == (
        "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape[0].score: "
        "Invalid value: 11: not in valid range [0, 10]")
    assert err(args("NodeResourcesFit", {"scoringStrategy": {"type": "MostAllocated", "resources": [
        {"name": "cpu", "weight": 100}, {"name": "memory", "weight": 101}]}})) == (
        "profiles[0].pluginConfig[0].args.scoringStrategy.resources[1].weight: Invalid value: 101: "
        "resource weight of memory not in valid range (0, 100]")
    assert err(args("PodTopologySpread", {"defaultingType": "System", "defaultConstraints": [
        {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"}]})) == \
        'profiles[0].pluginConfig[0].args.defaultingType: Invalid value: "System": ' \
        'when .defaultConstraints are not empty'


def test_several_errors_are_aggregated_and_profile_errors_named():
    assert err({"percentageOfNodesToScore": 101, "podInitialBackoffSeconds": 0}) == (
        "[percentageOfNodesToScore: Invalid value: 101: not in valid range [0-100], "
        "podInitialBackoffSeconds: Invalid value: 0: must be greater than 0]")
    assert err({"profiles": [{"schedulerName": "a"}, {"schedulerName": "a"}]}) == \
        "profiles[1].schedulerName: Duplicate value: profiles[0].schedulerName"
    assert err({"profiles": [{"schedulerName": ""}]}) == "profiles[0].schedulerName: Required value"
    assert err({"profiles": []}) == "profiles: Required value"
    assert err({"profiles": [{"plugins": {"score": {"enabled": [{"name": "Nope"}]}}}]}) == \
        'initializing profiles: creating profile for scheduler name default-scheduler: ScorePlugin "Nope" does not exist'
    assert err({"profiles": [{"schedulerName": "a"}, {"schedulerName": "b", "plugins": {
        "queueSort": {"disabled": [{"name": "*"}]}}}]}).endswith("must be the same for all profiles")
    assert err({}, registry={"NodeName": object}) == "a plugin named NodeName already exists"


# --- the component: profiles by schedulerName, a reader's plugin ---------------------------------------
class PreferSSD(ScorePlugin):
    """A reader's Score plugin: 100 on nodes labelled disk=<args.value>, else 0."""

    name = "PreferSSD"
    built_with = []

    def __init__(self, args, handle):
        # the handle is complete at construction: client, informers, snapshot
        PreferSSD.built_with.append((handle.client is not None, handle.informer_factory is not None,
                                     handle.snapshot is not None))
        self.value = args.get("value", "ssd")

    def score(self, state, pod, node_info):
        return 100 if node_info.node["metadata"]["labels"].get("disk") == self.value else 0


class Env:
    def __init__(self, config, registry=None):
        self.loop = Loop(0)
        self.api = APIServer(self.loop, Store())
        self.api.start()
        default_service_accounts(self.api)
        self.client = Client(self.api, user="kubernetes-admin")
        for n in (make_node("node-1", cpu="4"), make_node("node-2", cpu="4", labels={"disk": "ssd"})):
            self.client.create("nodes", n)
        ready_nodes(self.api, ["node-1", "node-2"])
        self.sched = Scheduler(self.loop, self.api, seed=0, config=config, registry=registry)
        self.sched.start()
        self.loop.run(until=self.loop.now + 0.5)

    def run(self, seconds=2.0):
        self.loop.run(until=self.loop.now + seconds)

    def node_of(self, name):
        return self.client.get("pods", name, namespace="default")["spec"].get("nodeName")


def test_bin_packing_profile_is_chosen_by_scheduler_name():
    env = Env(BIN_PACKING)
    env.client.create("pods", make_pod("busy", {"cpu": "2"}, node_name="node-1"))
    env.run(0.5)
    env.client.create("pods", make_pod("packed", {"cpu": "1"}, scheduler_name="bin-packing"))
    env.client.create("pods", make_pod("spread", {"cpu": "1"}))
    env.client.create("pods", make_pod("stray", {"cpu": "1"}, scheduler_name="no-such-scheduler"))
    env.run()
    # MostAllocated, weight 5: node-1 cpu 3/4 -> 75, memory 2 x 200Mi of 8Gi -> 4: (75+4)//2 = 39 -> 195;
    # node-2 cpu 1/4 -> 25, memory 200Mi of 8Gi -> 2: (25+2)//2 = 13 -> 65
    rows = env.sched.explain("default/packed").nodes()
    assert {r["node"]: r["total"] for r in rows} == {"node-1": 195, "node-2": 65}
    assert env.node_of("packed") == "node-1" and env.node_of("spread") == "node-2"
    # a pod for another scheduler is not ours: untouched, not queued, no event
    assert env.node_of("stray") is None and env.sched.explain("default/stray") is None
    assert "default/stray" not in dict(env.sched.pending())
    sources = {e["involvedObject"]["name"]: e["source"]["component"]
               for e in env.client.list("events", namespace="default")["items"] if e["reason"] == "Scheduled"}
    assert sources == {"packed": "bin-packing", "spread": "default-scheduler"}


def test_a_readers_plugin_from_the_registry_scores_and_is_rebuilt_on_restart():
    PreferSSD.built_with.clear()
    cfg = {"profiles": [{"plugins": {"multiPoint": {"enabled": [{"name": "PreferSSD", "weight": 3}]}},
                         "pluginConfig": [{"name": "PreferSSD", "args": {"value": "ssd"}}]}]}
    env = Env(cfg, registry={"PreferSSD": PreferSSD})
    env.client.create("pods", make_pod("web", {"cpu": "1"}))
    env.run()
    rows = env.sched.explain("default/web").nodes()
    mine = {r["node"]: r["scores"]["PreferSSD"] for r in rows}
    assert {n: (s["raw"], s["weighted"]) for n, s in mine.items()} == {"node-1": (0, 0), "node-2": (100, 300)}
    assert env.node_of("web") == "node-2"
    env.sched.stop()
    env.sched.start()
    assert PreferSSD.built_with == [(True, True, True)] * 3   # __init__, first start, restart


def test_cluster_takes_a_config_and_plugins():
    c = Cluster(nodes=2, seed=0, scheduler_config=BIN_PACKING)
    assert sorted(c.scheduler.frameworks) == ["bin-packing", "default-scheduler"]
    with pytest.raises(ValueError, match="not in valid range"):
        Cluster(nodes=1, scheduler_config={"percentageOfNodesToScore": 101})


def test_factories_get_args_and_the_handle_and_must_build_plugins():
    from k8score.scheduler.handle import Handle, PluginSpec, instantiate
    h = Handle(client="c")
    built = instantiate(PluginSpec("F", lambda args, handle: PreferSSD(args, handle), {"value": "nvme"}), h)
    assert built.value == "nvme" and built.handle is h          # given the handle when it kept none
    with pytest.raises(TypeError, match="must subclass an extension point"):
        instantiate(PluginSpec("Bad", lambda args, handle: object()), h)
    # an in-tree class takes its args as keywords
    fit = instantiate(PluginSpec("NodeResourcesFit", __import__("k8score").scheduler.REGISTRY["NodeResourcesFit"],
                                 {"strategy": "MostAllocated"}), h)
    assert fit.strategy == "MostAllocated" and fit.handle is h
