"""PodTopologySpread: filter, score, system default constraints, hints, and the issue's example.

Upstream: ``pkg/scheduler/framework/plugins/podtopologyspread`` (filtering.go, scoring.go,
common.go, plugin.go); weights from ``pkg/scheduler/apis/config/v1/default_plugins.go``.
Scores are computed in each test from upstream's formulas: per constraint
``count * log(domains + 2) + maxSkew - 1`` summed and rounded, then
``100 * (max + min - s) // max``.
"""

import math

import pytest

from k8score.scheduler import Code, CycleState, Framework, Snapshot, build_profile
from k8score.scheduler.plugins import PodTopologySpread
from k8score.scheduler.testing import make_node, make_pod


def pod(name, labels=None, node=None, ns="default", constraints=None, owner=None, **kw):
    p = make_pod(name, node_name=node, namespace=ns, **kw)
    p["metadata"]["labels"] = dict(labels or {})
    if constraints:
        p["spec"]["topologySpreadConstraints"] = constraints
    if owner:
        p["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner,
                                             "uid": "rs-uid", "controller": True}]
    return p


def spread(key, skew=1, when="DoNotSchedule", sel=None, **extra):
    return {"maxSkew": skew, "topologyKey": key, "whenUnsatisfiable": when,
            "labelSelector": {"matchLabels": sel if sel is not None else {"app": "web"}}, **extra}


ZONE, HOST = "topology.kubernetes.io/zone", "kubernetes.io/hostname"


class FakeInformer:
    def __init__(self, objs):
        self.objs = objs

    def list(self, namespace=None):
        return [o for o in self.objs if namespace is None or o["metadata"].get("namespace") == namespace]

    def get(self, key):
        return next((o for o in self.objs
                     if f"{o['metadata'].get('namespace', '')}/{o['metadata']['name']}".lstrip("/") == key
                     or o["metadata"]["name"] == key), None)


class FakeFactory:
    """The scheduler's informers, as PodTopologySpread reads them (services, replicasets...)."""

    def __init__(self, **objs):
        self.objs = objs

    def informer(self, resource):
        return FakeInformer(self.objs.get(resource, []))


def run(plugin_pod, nodes, pods=(), factory=None):
    """Filter verdicts and normalized PodTopologySpread scores through a one-plugin Framework."""
    fw = Framework(build_profile(plugins=[("PodTopologySpread", 2), ("DefaultBinder", 0)]))
    fw.informer_factory = factory
    snap = Snapshot.from_objects(nodes, list(pods))
    fw.snapshot = snap
    pl = fw.plugin("PodTopologySpread")
    state = CycleState()
    _, s = pl.pre_filter(state, plugin_pod, snap.node_infos)
    verdicts = {}
    for ni in snap.node_infos:
        r = None if (s is not None and s.is_skip()) else pl.filter(state, plugin_pod, ni)
        verdicts[ni.name] = None if r is None else (r.code, r.message)
    if pl.pre_score(state, plugin_pod, snap.node_infos) is not None:
        return verdicts, None, None
    raw = {ni.name: pl.score(state, plugin_pod, ni) for ni in snap.node_infos}
    norm = dict(raw)
    pl.normalize_score(state, plugin_pod, norm)
    return verdicts, raw, norm


ZONED = [make_node("a1", zone="a"), make_node("a2", zone="a"), make_node("b1", zone="b")]
NOT_MATCH = "node(s) didn't match pod topology spread constraints"


def test_filter_max_skew_rejects_the_crowded_zone_and_a_node_missing_the_label():
    existing = [pod("w1", {"app": "web"}, "a1"), pod("w2", {"app": "web"}, "a2"),
                pod("other", {"app": "db"}, "b1")]                  # does not match: not counted
    nodes = ZONED + [make_node("bare")]                              # no zone label at all
    incoming = pod("new", {"app": "web"}, constraints=[spread(ZONE)])
    verdicts, _, _ = run(incoming, nodes, existing)
    # zone a: 2 + 1 (self) - 0 (min, zone b) = 3 > 1 ; zone b: 0 + 1 - 0 = 1
    assert verdicts["a1"] == verdicts["a2"] == (Code.UNSCHEDULABLE, NOT_MATCH)
    assert verdicts["b1"] is None
    assert verdicts["bare"] == (Code.UNSCHEDULABLE_AND_UNRESOLVABLE, NOT_MATCH + " (missing required label)")


def test_filter_max_skew_two_allows_one_more_and_a_non_matching_pod_does_not_count_itself():
    existing = [pod("w1", {"app": "web"}, "a1")]
    incoming = pod("new", {"app": "web"}, constraints=[spread(ZONE, skew=2)])
    verdicts, _, _ = run(incoming, ZONED, existing)
    assert verdicts == {"a1": None, "a2": None, "b1": None}          # 1 + 1 - 0 = 2 <= 2
    existing.append(pod("w2", {"app": "web"}, "a2"))
    verdicts, _, _ = run(incoming, ZONED, existing)
    assert verdicts["a1"] == (Code.UNSCHEDULABLE, NOT_MATCH)          # 2 + 1 - 0 = 3 > 2
    # a pod outside the selector adds no self-match: 2 + 0 - 0 = 2 <= 2
    outsider = pod("new", {"app": "api"}, constraints=[spread(ZONE, skew=2)])
    assert run(outsider, ZONED, existing)[0]["a1"] is None


@pytest.mark.parametrize("min_domains, a_passes", [(2, True), (3, False)])
def test_min_domains_makes_the_global_minimum_zero_while_domains_are_missing(min_domains, a_passes):
    existing = [pod("w1", {"app": "web"}, "a1"), pod("w2", {"app": "web"}, "b1")]
    incoming = pod("new", {"app": "web"}, constraints=[spread(ZONE, minDomains=min_domains)])
    verdicts, _, _ = run(incoming, ZONED, existing)
    # 2 domains: minDomains 2 -> min 1: 1 + 1 - 1 = 1 ok ; minDomains 3 -> min 0: 2 > 1
    assert (verdicts["a1"] is None) is a_passes and (verdicts["b1"] is None) is a_passes


@pytest.mark.parametrize("policy, a_passes", [("Ignore", False), ("Honor", True)])
def test_node_taints_policy_honor_drops_the_tainted_domain(policy, a_passes):
    nodes = [make_node("a1", zone="a"), make_node("b1", zone="b",
                                                  taints=[{"key": "gpu", "effect": "NoSchedule"}])]
    existing = [pod("w1", {"app": "web"}, "a1")]
    incoming = pod("new", {"app": "web"}, constraints=[spread(ZONE, nodeTaintsPolicy=policy)])
    verdicts, _, _ = run(incoming, nodes, existing)
    # Ignore: zone b (0 pods) is a domain -> 1 + 1 - 0 = 2 > 1; Honor: only zone a -> 1 + 1 - 1 = 1
    assert (verdicts["a1"] is None) is a_passes


def test_node_affinity_policy_honor_by_default_ignore_counts_the_excluded_zone():
    existing = [pod("w1", {"app": "web"}, "a1")]
    for policy, a_passes in (("Honor", True), ("Ignore", False)):
        incoming = pod("new", {"app": "web"}, constraints=[spread(ZONE, nodeAffinityPolicy=policy)])
        incoming["spec"]["nodeSelector"] = {ZONE: "a"}
        assert (run(incoming, ZONED, existing)[0]["a2"] is None) is a_passes


def test_match_label_keys_counts_only_the_same_revision():
    existing = [pod("old1", {"app": "web", "pod-template-hash": "v1"}, "a1"),
                pod("old2", {"app": "web", "pod-template-hash": "v1"}, "a2")]
    plain = pod("new", {"app": "web", "pod-template-hash": "v2"}, constraints=[spread(ZONE)])
    keyed = pod("new", {"app": "web", "pod-template-hash": "v2"},
                constraints=[spread(ZONE, matchLabelKeys=["pod-template-hash"])])
    assert run(plain, ZONED, existing)[0]["a1"] == (Code.UNSCHEDULABLE, NOT_MATCH)
    assert run(keyed, ZONED, existing)[0]["a1"] is None              # v1 pods are not counted


def test_score_hostname_schedule_anyway_worked_example():
    nodes = [make_node(n) for n in ("n1", "n2", "n3")]
    existing = [pod("w1", {"app": "web"}, "n2"), pod("w2", {"app": "web"}, "n3"),
                pod("w3", {"app": "web"}, "n3")]
    incoming = pod("new", {"app": "web"}, constraints=[spread(HOST, when="ScheduleAnyway")])
    verdicts, raw, norm = run(incoming, nodes, existing)
    assert verdicts == {"n1": None, "n2": None, "n3": None}         # ScheduleAnyway never filters
    w = math.log(3 + 2)                                              # 3 scored nodes
    assert raw == {"n1": round(0 * w), "n2": round(1 * w), "n3": round(2 * w)} == {"n1": 0, "n2": 2, "n3": 3}
    assert norm == {"n1": 100 * (3 + 0 - 0) // 3, "n2": 100 * (3 + 0 - 2) // 3, "n3": 0} == \
        {"n1": 100, "n2": 33, "n3": 0}


def test_score_skips_nodes_without_the_key_and_gives_them_zero():
    nodes = ZONED + [make_node("bare")]
    incoming = pod("new", {"app": "web"}, constraints=[spread(ZONE, when="ScheduleAnyway")])
    existing = [pod("w1", {"app": "web"}, "a1")]
    _, raw, norm = run(incoming, nodes, existing)
    w = math.log(2 + 2)                                              # zones a, b
    assert raw == {"a1": round(w), "a2": round(w), "b1": 0, "bare": 0}
    assert norm == {"a1": 100 * (1 + 0 - 1) // 1, "a2": 0, "b1": 100, "bare": 0}


def test_system_default_constraints_need_an_owner_and_spread_replicas():
    nodes = [make_node(n) for n in ("n1", "n2", "n3")]               # no zone labels
    rs = {"metadata": {"name": "web-rs", "namespace": "default"},
          "spec": {"selector": {"matchLabels": {"app": "web"}}}}
    factory = FakeFactory(replicasets=[rs])
    existing = [pod("w1", {"app": "web"}, "n2", owner="web-rs"), pod("w2", {"app": "web"}, "n3", owner="web-rs"),
                pod("w3", {"app": "web"}, "n3", owner="web-rs")]
    incoming = pod("new", {"app": "web"}, owner="web-rs")
    verdicts, raw, norm = run(incoming, nodes, existing, factory)
    assert verdicts == {"n1": None, "n2": None, "n3": None}          # defaults are ScheduleAnyway
    # hostname maxSkew 3: cnt*log(5) + 2 ; zone maxSkew 5: no node has the label -> no credit
    w = math.log(3 + 2)
    assert raw == {"n1": round(2), "n2": round(w + 2), "n3": round(2 * w + 2)} == {"n1": 2, "n2": 4, "n3": 5}
    assert norm == {"n1": 100 * (5 + 2 - 2) // 5, "n2": 100 * (5 + 2 - 4) // 5, "n3": 100 * 2 // 5} == \
        {"n1": 100, "n2": 60, "n3": 40}
    # a bare pod (no owner, no Service) gets no default constraints: Skip
    assert run(pod("bare", {"app": "web"}), nodes, existing, factory)[1] is None
    # a Service selecting the pod is enough
    svc = {"metadata": {"name": "web", "namespace": "default"}, "spec": {"selector": {"app": "web"}}}
    assert run(pod("bare", {"app": "web"}), nodes, existing, FakeFactory(services=[svc]))[2] == norm


def test_queueing_hints_pod_and_node_changes():
    pl = PodTopologySpread()
    me = pod("new", {"app": "web"}, constraints=[spread(ZONE)])
    assert pl._after_pod_change(me, None, pod("w", {"app": "web"}, "a1")) is True
    assert pl._after_pod_change(me, None, pod("w", {"app": "db"}, "a1")) is False
    assert pl._after_pod_change(me, None, pod("w", {"app": "web"}, "a1", ns="other")) is False
    assert pl._after_pod_change(me, pod("w", {"app": "web"}, "a1"), None) is True          # deleted
    assert pl._after_pod_change(me, pod("w", {"app": "db"}, "a1"), pod("w", {"app": "web"}, "a1")) is True
    assert pl._after_node_change(me, None, make_node("z1", zone="z")) is True
    assert pl._after_node_change(me, None, make_node("plain")) is False
    relabel = make_node("a1", zone="a", labels={"disk": "ssd"})
    assert pl._after_node_change(me, make_node("a1", zone="a"), relabel) is False
    assert pl._after_node_change(me, make_node("a1", zone="a"), make_node("a1", zone="c")) is True


# -- the example, whole cluster -----------------------------------------------------

def test_six_replicas_next_to_a_three_cpu_pod_use_node_1_too():
    """Issue 11: 3 nodes of 4 CPU (zones k8score-1a/b/c), a 3-CPU pod on node-1, then
    ``kubectl create deployment web --replicas=6``: the default spreading puts 2 on each node.

    Per pod, the PodTopologySpread raw score of a node is (hostname and zone are the same
    domains here, both weights log(3 + 2)) ``c*w + 2 + c*w + 4`` for its ``c`` replicas, and
    NodeResourcesFit (LeastAllocated) cannot outweigh a 100 -> 66 drop (x2) alone."""
    from k8score.cluster import Cluster
    c = Cluster(nodes=3, seed=0)
    c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big"},
             "spec": {"nodeName": "node-1", "containers": [
                 {"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "3"}}}]}})
    c.run(5)
    c.kubectl("create deployment web --image=nginx --replicas=6")
    c.run(30)
    recs = sorted((r for r in c.scheduler.history if r.pod_key.startswith("default/web-")), key=lambda r: r.cycle)
    assert [r.node for r in recs] == ["node-3", "node-2", "node-1", "node-3", "node-2", "node-1"]
    w = math.log(5)
    counts = {"node-1": 0, "node-2": 0, "node-3": 0}
    for r in recs:
        raw = {n: round(k * w + 2 + k * w + 4) for n, k in counts.items()}
        hi, lo = max(raw.values()), min(raw.values())
        want = {n: (raw[n], 100 * (hi + lo - raw[n]) // hi) for n in raw}
        got = {row["node"]: (row["scores"]["PodTopologySpread"]["raw"],
                             row["scores"]["PodTopologySpread"]["normalized"]) for row in r.nodes()}
        assert got == want
        counts[r.node] += 1
    assert counts == {"node-1": 2, "node-2": 2, "node-3": 2}
    # the third replica: node-1 wins with by far the lowest Fit (~55 against ~90) because the
    # others lost 2 x (100 - 66) = 68 points of spreading; total = TT 300 + Fit + 2 x PTS
    rows = {row["node"]: row for row in recs[2].nodes()}
    fit = {n: r["scores"]["NodeResourcesFit"]["normalized"] for n, r in rows.items()}
    assert {n: r["total"] for n, r in rows.items()} == {
        "node-1": 300 + fit["node-1"] + 200, "node-2": 300 + fit["node-2"] + 132,
        "node-3": 300 + fit["node-3"] + 132}
    assert fit["node-1"] + 68 > max(fit["node-2"], fit["node-3"]) > fit["node-1"] + 30
    # the explain table (issue 13): short plugin headers, a legend, rows well inside 80 columns
    from k8score.textwidth import width
    text = c.scheduler.explain_text(recs[2].pod_key)
    table = [line for line in text.splitlines() if line.startswith(("节点", " node", "*node", "列", "    "))]
    assert table[0].split() == ["节点", "过滤", "TT×3", "Fit×1", "PTS×2", "总分"]
    assert "*node-1  passed  0→100" in text and "PTS = PodTopologySpread ×2" in text
    assert max(width(line) for line in table) <= 80
