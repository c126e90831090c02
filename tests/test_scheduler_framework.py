"""The framework runtime, the scheduling algorithm, the cache and explanations (no API server)."""

import random

import pytest

from k8score.scheduler import (Algorithm, Code, CycleState, FitError, Framework, NoNodesAvailable,
                               PreFilterPlugin, PreFilterResult, Profile, SchedulerCache, ScorePlugin,
                               Snapshot, Status, default_profile, format_explanation,
                               num_feasible_nodes_to_find)
from k8score.scheduler.algorithm import SchedulingError
from k8score.scheduler.explain import record_for
from k8score.scheduler.nodeinfo import NodeTree
from k8score.scheduler.plugins import REGISTRY, build_profile
from k8score.scheduler.testing import make_node, make_pod, taint


def schedule(nodes, pod, pods=(), seed=0, alg=None, profile=None):
    fw = Framework(profile or default_profile())
    alg = alg or Algorithm(random.Random(seed))
    return alg.schedule(fw, CycleState(), pod, Snapshot.from_objects(nodes, list(pods)))


# -- numFeasibleNodesToFind and the rotating start index -------------------------------------

@pytest.mark.parametrize("nodes, expected", [
    (1, 1), (99, 99), (100, 100), (125, 100),   # < 100 nodes: all; then never below 100
    (500, 230),                                  # 50 - 500//125 = 46% -> 230
    (1000, 420), (5000, 500),                    # 42% ; 50 - 40 = 10% -> 500
    (5999, 299), (6000, 300), (20000, 1000),     # floor of 5%
])
def test_num_feasible_nodes_to_find_matches_schedule_one_go(nodes, expected):
    assert num_feasible_nodes_to_find(nodes) == expected


def test_explicit_percentage_of_nodes_to_score():
    assert num_feasible_nodes_to_find(1000, 30) == 300
    assert num_feasible_nodes_to_find(1000, 5) == 100     # still at least 100 nodes


def test_the_scan_starts_where_the_previous_pod_stopped():
    nodes = [make_node(f"n{i:03d}", cpu="8") for i in range(250)]    # 48% of 250 -> 120 to find
    snap = Snapshot.from_objects(nodes)
    fw = Framework(default_profile())
    alg = Algorithm(random.Random(1))
    starts, evaluated = [], []
    for _ in range(4):
        r = alg.schedule(fw, CycleState(), make_pod("p", {"cpu": "1"}), snap)
        starts.append(r.diagnosis.start_index)
        evaluated.append(r.diagnosis.evaluated[0])
    assert num_feasible_nodes_to_find(250) == 120
    assert starts == [0, 120, 240 % 250, (240 + 120) % 250]
    assert evaluated == ["n000", "n120", "n240", "n110"]


def test_rejected_nodes_count_towards_the_next_start_index():
    nodes = [make_node(f"n{i}", unschedulable=(i < 3)) for i in range(6)]
    alg = Algorithm(random.Random(0))
    r = schedule(nodes, make_pod("p"), alg=alg)
    # fewer than 100 nodes: all 6 are examined (3 rejected + 3 feasible), index wraps to 0
    assert (r.evaluated_nodes, r.feasible_nodes, alg.next_start_node_index) == (6, 3, 0)


# -- picking the host ---------------------------------------------------------------------------

def test_highest_total_wins_and_ties_are_broken_by_the_seeded_rng():
    nodes = [make_node(f"node-{i}") for i in range(1, 6)]     # identical nodes: a 5-way tie
    picks = [schedule(nodes, make_pod("p", {"cpu": "100m"}), seed=s).suggested_host for s in range(40)]
    assert picks == [schedule(nodes, make_pod("p", {"cpu": "100m"}), seed=s).suggested_host for s in range(40)]
    assert set(picks) == {f"node-{i}" for i in range(1, 6)}       # every tied node can win
    roomier = nodes + [make_node("big", cpu="64", memory="256Gi")]
    assert {schedule(roomier, make_pod("p", {"cpu": "100m"}), seed=s).suggested_host for s in range(10)} == {"big"}


def test_reservoir_tie_break_is_roughly_uniform():
    from k8score.scheduler.framework import NodeScores
    alg = Algorithm(random.Random(7))
    scores = []
    for name, total in (("a", 300), ("b", 420), ("c", 420), ("d", 420)):
        ns = NodeScores(name)
        ns.total = total
        scores.append(ns)
    counts = {"b": 0, "c": 0, "d": 0}
    for _ in range(3000):
        host, tie = alg.select_host(scores)
        counts[host] += 1
    assert tie == ["b", "c", "d"]
    assert all(900 < c < 1100 for c in counts.values()), counts


def test_weighted_total_is_the_sum_of_normalized_scores_times_weights():
    nodes = [make_node("tainted", taints=[taint("x", "1", "PreferNoSchedule")]), make_node("clean")]
    r = schedule(nodes, make_pod("p", {"cpu": "1", "memory": "1Gi"}))
    assert r.suggested_host == "clean"
    for ns in r.scores:
        assert ns.total == sum(ps.normalized * ps.weight for ps in ns.scores)
    by = {ns.name: {ps.plugin: ps for ps in ns.scores} for ns in r.scores}
    assert (by["tainted"]["TaintToleration"].raw, by["tainted"]["TaintToleration"].weighted) == (1, 0)
    assert (by["clean"]["TaintToleration"].raw, by["clean"]["TaintToleration"].weighted) == (0, 300)


def test_single_feasible_node_skips_scoring():
    r = schedule([make_node("a", unschedulable=True), make_node("b")], make_pod("p"))
    assert (r.suggested_host, r.scores) == ("b", None)


# -- failures -----------------------------------------------------------------------------------

def test_fit_error_message_is_upstreams_sorted_histogram():
    nodes = [make_node("node-1", cpu="2", unschedulable=True), make_node("node-2", cpu="2"),
             make_node("node-3", cpu="2")]
    with pytest.raises(FitError) as e:
        schedule(nodes, make_pod("web-1", {"cpu": "3"}))
    assert str(e.value) == "0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu."
    assert e.value.diagnosis.unschedulable_plugins == {"NodeUnschedulable", "NodeResourcesFit"}


def test_fit_error_counts_each_reason_and_sorts_lexicographically():
    nodes = [make_node(f"n{i}", cpu="1", memory="1Gi") for i in range(12)]
    nodes += [make_node("t", taints=[taint("gpu", "true")])]
    with pytest.raises(FitError) as e:
        schedule(nodes, make_pod("p", {"cpu": "2", "memory": "2Gi"}))
    # "12 ..." sorts before "1 node(s)..." because Go's sort.Strings compares strings
    assert str(e.value) == ("0/13 nodes are available: 1 node(s) had untolerated taint {gpu: true}, "
                            "12 Insufficient cpu, 12 Insufficient memory.")


def test_no_nodes():
    with pytest.raises(NoNodesAvailable, match="no nodes available to schedule pods"):
        schedule([], make_pod("p"))


class RejectAll(PreFilterPlugin):
    name = "RejectAll"

    def pre_filter(self, state, pod, nodes):
        return None, Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, "pod is not welcome here")


class OnlyNode(PreFilterPlugin):
    name = "OnlyNode"

    def pre_filter(self, state, pod, nodes):
        return PreFilterResult({"b"}), None


class BadScore(ScorePlugin):
    name = "BadScore"

    def score(self, state, pod, node_info):
        return 101


def profile_with(extra, weight=1):
    base = build_profile()
    return Profile("default-scheduler", base.plugins + [(extra, weight)])


def test_prefilter_rejection_gives_every_node_the_same_verdict():
    nodes = [make_node("a"), make_node("b")]
    with pytest.raises(FitError) as e:
        schedule(nodes, make_pod("p"), profile=profile_with(RejectAll()))
    assert str(e.value) == "0/2 nodes are available: pod is not welcome here."


def test_prefilter_result_narrows_the_nodes_examined():
    nodes = [make_node("a"), make_node("b"), make_node("c")]
    r = schedule(nodes, make_pod("p"), profile=profile_with(OnlyNode()))
    assert (r.suggested_host, r.diagnosis.evaluated) == ("b", ["b"])
    with pytest.raises(FitError) as e:
        schedule(nodes, make_pod("p", {"cpu": "100"}), profile=profile_with(OnlyNode()))
    assert str(e.value) == ("0/3 nodes are available: 1 Insufficient cpu, "
                            "2 node(s) didn't satisfy plugin(s) [OnlyNode].")


def test_out_of_range_score_is_an_error():
    with pytest.raises(SchedulingError, match="invalid score 101"):
        schedule([make_node("a"), make_node("b")], make_pod("p"), profile=profile_with(BadScore()))


def test_profile_rejects_duplicates_and_needs_a_binder():
    with pytest.raises(ValueError, match="more than once"):
        Profile("x", [(REGISTRY["NodeName"](), 0), (REGISTRY["NodeName"](), 0)])
    with pytest.raises(ValueError, match="Bind plugin"):
        Framework(build_profile(plugins=[("NodeName", 0)]))


# -- cache and snapshot -----------------------------------------------------------------------------

def test_assumed_pods_count_immediately_and_forget_releases_them():
    cache, snap = SchedulerCache(), Snapshot()
    cache.add_node(make_node("n", cpu="2"))
    cache.update_snapshot(snap)
    ni = snap.get("n")
    pod = make_pod("web-1", {"cpu": "1500m"}, node_name="n")
    cache.assume_pod(pod)
    cache.update_snapshot(snap)
    assert snap.get("n") is ni and ni.requested_cpu == 1500 and cache.is_assumed("default/web-1")
    cache.forget_pod(pod)
    cache.update_snapshot(snap)
    assert ni.requested_cpu == 0 and not cache.is_assumed("default/web-1")


def test_binding_confirmed_by_the_watch_keeps_accounting_once():
    cache, snap = SchedulerCache(), Snapshot()
    cache.add_node(make_node("n"))
    pod = make_pod("web-1", {"cpu": "1"}, node_name="n")
    cache.assume_pod(pod)
    cache.finish_binding(pod)
    cache.add_pod(pod)                  # the pod shows up bound in the informer
    cache.update_snapshot(snap)
    assert not cache.is_assumed("default/web-1")
    assert (snap.get("n").requested_cpu, len(snap.get("n").pods)) == (1000, 1)
    cache.remove_pod(pod)
    cache.update_snapshot(snap)
    assert snap.get("n").requested_cpu == 0


def test_snapshot_copies_only_changed_nodes():
    cache, snap = SchedulerCache(), Snapshot()
    for i in range(3):
        cache.add_node(make_node(f"n{i}"))
    cache.update_snapshot(snap)
    before = [ni.generation for ni in snap.node_infos]
    cache.add_pod(make_pod("p", {"cpu": "1"}, node_name="n1"))
    cache.update_snapshot(snap)
    after = [ni.generation for ni in snap.node_infos]
    assert before[0] == after[0] and before[2] == after[2] and after[1] > before[1]
    cache.remove_node("n0")
    cache.update_snapshot(snap)
    assert [ni.name for ni in snap.node_infos] == ["n1", "n2"]


def test_node_tree_interleaves_zones():
    tree = NodeTree()
    for name, zone in (("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b"), ("c1", "c"), ("b2", "b")):
        tree.add(make_node(name, zone=zone))
    assert tree.list() == ["a1", "b1", "c1", "a2", "b2", "a3"]


# -- explanation -------------------------------------------------------------------------------------

def test_explanation_lists_filters_scores_and_the_choice():
    nodes = [make_node("node-1", unschedulable=True), make_node("node-2", cpu="4", memory="8Gi"),
             make_node("node-3", cpu="2", memory="4Gi")]
    fw = Framework(default_profile())
    r = Algorithm(random.Random(0)).schedule(fw, CycleState(), make_pod("web-1", {"cpu": "1"}),
                                             Snapshot.from_objects(nodes))
    rec = record_for("default/web-1", 3.0, 1, 1, fw.weights, 3, r)
    d = rec.to_dict()
    assert (d["outcome"], d["node"]) == ("Scheduled", "node-2")
    rows = {row["node"]: row for row in d["nodes"]}
    assert rows["node-1"]["plugin"] == "NodeUnschedulable"
    fit = rows["node-2"]["scores"]["NodeResourcesFit"]
    # cpu (4000-1000)*100//4000 = 75, memory 100 - 200Mi/8Gi -> 97 : (75+97)//2 = 86
    assert (fit["raw"], fit["normalized"], fit["weight"]) == (86, 86, 1)
    assert rows["node-2"]["total"] == sum(c["weighted"] for c in rows["node-2"]["scores"].values())
    text = format_explanation(rec)
    assert "*node-2" in text and "NodeUnschedulable: node(s) were unschedulable" in text
    assert "TaintToleration ×3" in text and "Scheduled -> node-2" in text


def test_explanation_of_a_failure_carries_the_event_message():
    nodes = [make_node("node-1", cpu="1")]
    fw = Framework(default_profile())
    with pytest.raises(FitError) as e:
        Algorithm(random.Random(0)).schedule(fw, CycleState(), make_pod("big", {"cpu": "2"}),
                                             Snapshot.from_objects(nodes))
    rec = record_for("default/big", 1.0, 2, 5, fw.weights, 1, e.value)
    assert rec.outcome == "Unschedulable"
    assert "0/1 nodes are available: 1 Insufficient cpu." in format_explanation(rec)
    assert rec.to_dict()["nodes"][0]["reasons"] == ["Insufficient cpu"]


def test_node_selector_routes_the_pod_and_explains_the_rest():
    nodes = [make_node("a", labels={"disk": "hdd"}), make_node("b", labels={"disk": "ssd"}),
             make_node("c")]
    pod = make_pod("db", {"cpu": "1"})
    pod["spec"]["nodeSelector"] = {"disk": "ssd"}
    assert schedule(nodes, pod).suggested_host == "b"
    pod["spec"]["nodeSelector"] = {"disk": "nvme"}
    with pytest.raises(FitError) as e:
        schedule(nodes, pod)
    assert str(e.value) == "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."
