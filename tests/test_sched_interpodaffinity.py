"""InterPodAffinity: required/preferred (anti-)affinity, symmetry, namespaces, scores, hints.

Upstream: ``pkg/scheduler/framework/plugins/interpodaffinity`` (filtering.go, scoring.go,
plugin.go), ``framework/types.go`` (AffinityTerm); the FailedScheduling text from
``schedule_one.go`` (FitError) and ``defaultpreemption``. Score normalization as
upstream: ``int(100 * (s - min) / (max - min))``.
"""

import pytest

from k8score.scheduler import Code, CycleState, Framework, Snapshot, build_profile
from k8score.scheduler.plugins import InterPodAffinity
from k8score.scheduler.testing import make_node, make_pod

HOST, ZONE = "kubernetes.io/hostname", "topology.kubernetes.io/zone"
ANTI = "node(s) didn't match pod anti-affinity rules"
AFF = "node(s) didn't match pod affinity rules"
EXISTING = "node(s) didn't satisfy existing pods anti-affinity rules"


def pod(name, labels=None, node=None, ns="default", affinity=None, anti=None, pref=None, pref_anti=None):
    p = make_pod(name, node_name=node, namespace=ns)
    p["metadata"]["labels"] = dict(labels or {})
    aff = {}
    req = "requiredDuringSchedulingIgnoredDuringExecution"
    pre = "preferredDuringSchedulingIgnoredDuringExecution"
    if affinity or pref:
        aff["podAffinity"] = {**({req: affinity} if affinity else {}), **({pre: pref} if pref else {})}
    if anti or pref_anti:
        aff["podAntiAffinity"] = {**({req: anti} if anti else {}), **({pre: pref_anti} if pref_anti else {})}
    if aff:
        p["spec"]["affinity"] = aff
    return p


def term(labels, key=HOST, **extra):
    return {"labelSelector": {"matchLabels": labels}, "topologyKey": key, **extra}


def run(incoming, nodes, pods=()):
    fw = Framework(build_profile(plugins=[("InterPodAffinity", 2), ("DefaultBinder", 0)]))
    snap = Snapshot.from_objects(nodes, list(pods))
    fw.snapshot = snap
    pl = fw.plugin("InterPodAffinity")
    state = CycleState()
    _, s = pl.pre_filter(state, incoming, snap.node_infos)
    verdicts = {}
    for ni in snap.node_infos:
        r = None if (s is not None and s.is_skip()) else pl.filter(state, incoming, ni)
        verdicts[ni.name] = None if r is None else (r.code, r.message)
    if pl.pre_score(state, incoming, snap.node_infos) is not None:
        return verdicts, None, None
    raw = {ni.name: pl.score(state, incoming, ni) for ni in snap.node_infos}
    norm = dict(raw)
    pl.normalize_score(state, incoming, norm)
    return verdicts, raw, norm


NODES = [make_node("n1", zone="a"), make_node("n2", zone="a"), make_node("n3", zone="b")]


def test_required_anti_affinity_rejects_the_nodes_holding_a_match():
    existing = [pod("w1", {"app": "web"}, "n1"), pod("db", {"app": "db"}, "n2")]
    incoming = pod("w2", {"app": "web"}, anti=[term({"app": "web"})])
    verdicts, _, _ = run(incoming, NODES, existing)
    assert verdicts == {"n1": (Code.UNSCHEDULABLE, ANTI), "n2": None, "n3": None}
    # on zone: n1's match blocks its whole zone (n1, n2)
    incoming = pod("w2", {"app": "web"}, anti=[term({"app": "web"}, ZONE)])
    assert run(incoming, NODES, existing)[0] == {"n1": (Code.UNSCHEDULABLE, ANTI),
                                                 "n2": (Code.UNSCHEDULABLE, ANTI), "n3": None}


def test_existing_pods_anti_affinity_is_symmetric():
    guard = pod("guard", {"app": "guard"}, "n3", anti=[term({"app": "web"}, ZONE)])
    verdicts, _, _ = run(pod("w", {"app": "web"}), NODES, [guard])
    assert verdicts == {"n1": None, "n2": None, "n3": (Code.UNSCHEDULABLE, EXISTING)}
    # a pod the guard's selector does not match is not affected
    assert run(pod("d", {"app": "db"}), NODES, [guard])[0] == {"n1": None, "n2": None, "n3": None}


def test_required_affinity_needs_a_match_in_the_domain_unless_it_is_the_first_of_its_group():
    existing = [pod("db", {"app": "db"}, "n1")]
    incoming = pod("api", {"app": "api"}, affinity=[term({"app": "db"}, ZONE)])
    assert run(incoming, NODES, existing)[0] == {
        "n1": None, "n2": None, "n3": (Code.UNSCHEDULABLE_AND_UNRESOLVABLE, AFF)}
    # nothing matches anywhere: only a pod matching its own terms may start the group
    assert set(run(incoming, NODES, [])[0].values()) == {(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, AFF)}
    first = pod("db-0", {"app": "db"}, affinity=[term({"app": "db"}, ZONE)])
    assert run(first, NODES, [])[0] == {"n1": None, "n2": None, "n3": None}
    # a node without the topology key never satisfies affinity
    bare = [make_node("bare")]
    assert run(incoming, NODES + bare, existing)[0]["bare"] == (Code.UNSCHEDULABLE_AND_UNRESOLVABLE, AFF)


def test_namespaces_and_namespace_selector():
    other = [pod("w1", {"app": "web"}, "n1", ns="other")]
    same_ns = pod("w2", {"app": "web"}, anti=[term({"app": "web"})])
    assert run(same_ns, NODES, other)[0]["n1"] is None                     # default: own namespace
    listed = pod("w2", {"app": "web"}, anti=[term({"app": "web"}, namespaces=["other"])])
    assert run(listed, NODES, other)[0]["n1"] == (Code.UNSCHEDULABLE, ANTI)
    everywhere = pod("w2", {"app": "web"}, anti=[term({"app": "web"}, namespaceSelector={})])
    assert run(everywhere, NODES, other)[0]["n1"] == (Code.UNSCHEDULABLE, ANTI)


def test_match_and_mismatch_label_keys():
    existing = [pod("old", {"app": "web", "rev": "1"}, "n1")]
    same_rev = pod("new", {"app": "web", "rev": "2"}, anti=[term({"app": "web"}, matchLabelKeys=["rev"])])
    assert run(same_rev, NODES, existing)[0]["n1"] is None                 # rev=1 pod does not count
    other_rev = pod("new", {"app": "web", "rev": "2"}, anti=[term({"app": "web"}, mismatchLabelKeys=["rev"])])
    assert run(other_rev, NODES, existing)[0]["n1"] == (Code.UNSCHEDULABLE, ANTI)


def test_preferred_score_worked_example():
    existing = [pod("db", {"app": "db"}, "n1"), pod("cache", {"app": "cache"}, "n3")]
    incoming = pod("api", {"app": "api"},
                   pref=[{"weight": 10, "podAffinityTerm": term({"app": "db"}, ZONE)}],
                   pref_anti=[{"weight": 4, "podAffinityTerm": term({"app": "cache"})}])
    _, raw, norm = run(incoming, NODES, existing)
    # zone a gets +10 (db on n1), n3's hostname -4 (cache)
    assert raw == {"n1": 10, "n2": 10, "n3": -4}
    assert norm == {"n1": int(100 * (10 + 4) / 14), "n2": 100, "n3": 0}


def test_existing_pods_required_affinity_scores_with_hard_weight_one():
    fan = pod("fan", {"app": "fan"}, "n2", affinity=[term({"app": "web"})])
    _, raw, norm = run(pod("w", {"app": "web"}), NODES, [fan])
    assert raw == {"n1": 0, "n2": 1, "n3": 0} and norm == {"n1": 0, "n2": 100, "n3": 0}
    # with no affinity anywhere, PreScore skips the plugin
    assert run(pod("w", {"app": "web"}), NODES, [pod("x", {"app": "x"}, "n1")])[1] is None


def test_queueing_hints():
    pl = InterPodAffinity()
    wants_db = pod("api", {"app": "api"}, affinity=[term({"app": "db"})])
    assert pl._after_pod_change(wants_db, None, pod("db", {"app": "db"}, "n1")) is True
    assert pl._after_pod_change(wants_db, None, pod("x", {"app": "x"}, "n1")) is False
    avoids = pod("w", {"app": "web"}, anti=[term({"app": "web"})])
    assert pl._after_pod_change(avoids, pod("w0", {"app": "web"}, "n1"), None) is True    # blocker gone
    assert pl._after_pod_change(avoids, pod("x", {"app": "x"}, "n1"), None) is False
    assert pl._after_node_change(wants_db, make_node("n1"), make_node("n1", labels={"disk": "ssd"})) is False


# -- the example, whole cluster -------------------------------------------------------

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector: {matchLabels: {app: web}}
            topologyKey: kubernetes.io/hostname
      containers: [{name: web, image: nginx}]
"""


def test_four_replicas_with_hostname_anti_affinity_on_three_nodes():
    from k8score.cluster import Cluster
    c = Cluster(nodes=3, seed=0)
    c.apply(DEPLOYMENT)
    c.run(30)
    pods = [p for p in c.get("pods") if p["metadata"]["name"].startswith("web-")]
    placed = sorted(p["spec"].get("nodeName") or "" for p in pods)
    assert placed == ["", "node-1", "node-2", "node-3"]
    [pending] = [p for p in pods if not p["spec"].get("nodeName")]
    msgs = {e["message"] for e in c.events() if e["reason"] == "FailedScheduling"
            and e["involvedObject"]["name"] == pending["metadata"]["name"]}
    assert msgs == {"0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. "
                    "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."}
    assert "Pending" in c.kubectl(f"get pod {pending['metadata']['name']}")
    # deleting the replica on node-2 frees it: the parked pod's hint (a pod its anti-affinity
    # matched is gone) requeues it at once, not after 5 minutes
    name = pending["metadata"]["name"]
    before = c.scheduler.explain(f"default/{name}").attempt
    [victim] = [p["metadata"]["name"] for p in pods if p["spec"].get("nodeName") == "node-2"]
    c.kubectl(f"delete pod {victim} --wait=false")
    deleted_at = c.now
    c.run(60)
    rec = c.scheduler.explain(f"default/{name}")
    assert (rec.attempt, rec.node) == (before + 1, "node-2") and rec.time < deleted_at + 5
    live = [p for p in c.get("pods") if p["metadata"]["name"].startswith("web-")]
    assert sorted(p["spec"].get("nodeName") or "" for p in live) == ["", "node-1", "node-2", "node-3"]


def test_pre_filter_extensions_update_a_cloned_state_for_what_if_checks():
    """Preemption's dry run removes a victim from a copy of the node and of the cycle state
    (``AddPod``/``RemovePod``): the anti-affinity match disappears with it, only in the copy."""
    from k8score.scheduler import NodeInfo, PodInfo
    fw = Framework(build_profile(plugins=[("InterPodAffinity", 2), ("PodTopologySpread", 2),
                                          ("DefaultBinder", 0)]))
    victim = pod("w1", {"app": "web"}, "n1")
    snap = Snapshot.from_objects(NODES, [victim])
    fw.snapshot = snap
    incoming = pod("w2", {"app": "web"}, anti=[term({"app": "web"})])
    incoming["spec"]["topologySpreadConstraints"] = [
        {"maxSkew": 1, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule",
         "labelSelector": {"matchLabels": {"app": "web"}}}]
    state = CycleState()
    fw.run_pre_filter(state, incoming, snap.node_infos)
    n1 = snap.get("n1")
    assert fw.run_filter(state, incoming, n1).message == ANTI
    trial, what_if = n1.clone(), state.clone()
    info = trial.remove_pod("default/w1")
    fw.run_pre_filter_extension_remove_pod(what_if, incoming, info, trial)
    assert fw.run_filter(what_if, incoming, trial) is None
    assert fw.run_filter(state, incoming, n1).message == ANTI          # the original is untouched
    trial.add_pod(info)
    fw.run_pre_filter_extension_add_pod(what_if, incoming, info, trial)
    assert fw.run_filter(what_if, incoming, trial).message == ANTI
    assert isinstance(info, PodInfo) and isinstance(trial, NodeInfo)
