"""Invariants of the scheduling algorithm, checked on random clusters (hypothesis)."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from k8score.scheduler import (Algorithm, CycleState, FitError, Framework, SchedulerCache, Snapshot,
                               default_profile)
from k8score.api.taints import tolerations_tolerate
from k8score.scheduler.testing import make_node, make_pod, taint, toleration

EFFECTS = st.sampled_from(["NoSchedule", "NoExecute", "PreferNoSchedule"])
KEYS = st.sampled_from(["gpu", "dedicated", "zone"])

taints_st = st.lists(st.builds(taint, KEYS, st.sampled_from(["a", "b"]), EFFECTS), max_size=2)
tolerations_st = st.lists(st.one_of(
    st.builds(toleration, KEYS, st.just("Exists"), st.just(""), st.sampled_from(["", "NoSchedule"])),
    st.builds(toleration, KEYS, st.just("Equal"), st.sampled_from(["a", "b"]), EFFECTS),
    st.just(toleration("", "Exists"))), max_size=2)

nodes_st = st.lists(st.tuples(st.integers(1, 8), st.integers(1, 16), st.integers(1, 6), taints_st, st.booleans()),
                    min_size=1, max_size=8)
pods_st = st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 6), tolerations_st),
                   min_size=1, max_size=25)


def build_nodes(spec):
    return [make_node(f"node-{i}", cpu=cpu, memory=f"{mem}Gi", pods=pods, taints=ts,
                      unschedulable=(cordoned and i % 2 == 0))
            for i, (cpu, mem, pods, ts, cordoned) in enumerate(spec)]


def build_pod(i, cpu_m, mem_gi, tols):
    req = {}
    if cpu_m:
        req["cpu"] = f"{cpu_m}m"
    if mem_gi:
        req["memory"] = f"{mem_gi}Gi"
    return make_pod(f"p{i}", req, tolerations=tols)


def run(nodes, pods, seed):
    """Schedule pods one by one, assuming each placement in the cache as the scheduler does."""
    fw = Framework(default_profile())
    cache, snap = SchedulerCache(), Snapshot()
    for n in nodes:
        cache.add_node(n)
    alg = Algorithm(random.Random(seed))
    placements = []
    for pod in pods:
        cache.update_snapshot(snap)
        try:
            host = alg.schedule(fw, CycleState(), pod, snap).suggested_host
        except FitError as e:
            # no node may pass every filter when the algorithm says so
            assert all(fw.run_filter(CycleState(), pod, ni) is not None for ni in snap.node_infos), str(e)
            placements.append(None)
            continue
        # the chosen node passes every Filter plugin
        assert fw.run_filter(CycleState(), pod, snap.get(host)) is None
        cache.assume_pod(dict(pod, spec=dict(pod["spec"], nodeName=host)))
        placements.append(host)
    cache.update_snapshot(snap)
    return placements, snap


@settings(max_examples=60, deadline=None)
@given(nodes_st, pods_st, st.integers(0, 2**32))
def test_placements_respect_filters_and_capacity(node_spec, pod_spec, seed):
    nodes = build_nodes(node_spec)
    pods = [build_pod(i, *p) for i, p in enumerate(pod_spec)]
    placements, snap = run(nodes, pods, seed)
    for ni in snap.node_infos:
        assert ni.requested_cpu <= ni.allocatable_cpu
        assert ni.requested_memory <= ni.allocatable_memory
        assert len(ni.pods) <= ni.allowed_pods
    cordon = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
    for pod, host in zip(pods, placements):
        if host and snap.get(host).unschedulable:
            # only a pod tolerating the unschedulable taint may land on a cordoned node
            assert tolerations_tolerate(pod["spec"].get("tolerations") or [], cordon)


@settings(max_examples=25, deadline=None)
@given(nodes_st, pods_st, st.integers(0, 2**32))
def test_same_seed_same_placements(node_spec, pod_spec, seed):
    nodes = build_nodes(node_spec)
    pods = [build_pod(i, *p) for i, p in enumerate(pod_spec)]
    assert run(nodes, pods, seed)[0] == run(nodes, pods, seed)[0]
