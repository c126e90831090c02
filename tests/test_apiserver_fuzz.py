"""Property test: no input breaks the API server or the components behind it (issue 6, item 6).

Objects of every served kind — pods, deployments, replicasets, services, nodes, namespaces,
configmaps, secrets, serviceaccounts, events, leases, priorityclasses, limitranges,
resourcequotas, roles, rolebindings, clusterroles, clusterrolebindings, webhook
configurations — are spoiled (wrong types, int32/int64 edges, NaN/Infinity, ``10**400``,
unicode, long strings, nesting 1,000 deep) and patched with malformed merge / JSON /
strategic-merge bodies. Generators and checks: ``bench/fuzz_apiserver.py`` (its long
campaign runs many more). Upstream: every failure is a Status
(``staging/src/k8s.io/apiserver/pkg/endpoints/handlers/rest.go``), a refused request
writes nothing (``pkg/registry/generic/registry/store.go``), JSON has no NaN/Infinity
(``k8s.io/apimachinery/pkg/util/json``), and a controller survives what it cannot decode
(``k8s.io/apimachinery/pkg/util/runtime``: ``HandleCrash``).

Both halves are strict: every input must be answered with an object or a Status.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

_spec = importlib.util.spec_from_file_location(
    "fuzz_apiserver", Path(__file__).resolve().parent.parent / "bench" / "fuzz_apiserver.py")
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)

_CI = settings(derandomize=True, max_examples=60, deadline=None, database=None,
               suppress_health_check=list(HealthCheck))
_tried = {"components": 0, "api": 0}


@_CI
@given(fuzz.requests)
def test_a_cluster_runs_60_seconds_after_whatever_the_server_accepted(reqs):
    _tried["components"] += len(reqs)
    broken = [f for f in fuzz.check_requests(reqs, seed=1) if f.where == "components"]
    assert broken == []


@_CI
@given(fuzz.requests)
def test_every_answer_is_an_object_or_a_status_and_nothing_invalid_is_stored(reqs):
    _tried["api"] += len(reqs)
    broken = [f for f in fuzz.check_requests(reqs, seed=2, run_seconds=0.0) if f.where != "components"]
    assert broken == []


def test_inputs_tried_are_counted():
    # Runs after the two properties above (file order): they sent something.
    print(f"\nfuzz inputs tried: {_tried['components']} (components), {_tried['api']} (API server)")
    assert _tried["components"] >= 20


def test_every_supported_kind_has_a_valid_baseline_the_server_accepts():
    c = fuzz.Cluster(nodes=0, seed=3)
    refused = {}
    for plural, obj in sorted(fuzz.BASELINES.items()):
        ns = None if plural in fuzz.CLUSTER_SCOPED else fuzz.NS
        try:
            c.api.create(plural, fuzz.copy.deepcopy(obj), namespace=ns)
        except fuzz.ApiError as err:
            refused[plural] = str(err)
    assert refused == {}
    assert len(fuzz.BASELINES) == 20


# The issue's own reports, one by one (API server side: expected to fail until fixed).
ISSUE_INPUTS = [
    ("create", "pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "annotations": 5},
                        "spec": {"containers": [{"name": "c", "image": "nginx"}]}}),
    ("create", "services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                            "spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": "10"}]}}),
    ("create", "pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                        "spec": {"priorityClassName": {"x": 1}, "containers": [{"name": "c", "image": "n"}]}}),
    ("create", "deployments", fuzz._set(fuzz.copy.deepcopy(fuzz.BASELINES["deployments"]),
                                        ("spec", "strategy", "rollingUpdate", "maxSurge"), "replace", 10**400)),
    ("create", "replicasets", fuzz._set(fuzz.copy.deepcopy(fuzz.BASELINES["replicasets"]),
                                        ("spec", "replicas"), "replace", 2**31)),
    ("create", "nodes", fuzz._set(fuzz.copy.deepcopy(fuzz.BASELINES["nodes"]),
                                  ("status", "conditions"), "replace", 5)),
    ("create", "configmaps", fuzz._set(fuzz.copy.deepcopy(fuzz.BASELINES["configmaps"]),
                                       ("data", "k"), "replace", float("nan"))),
    ("create", "configmaps", fuzz._set(fuzz.copy.deepcopy(fuzz.BASELINES["configmaps"]),
                                       ("data", "k"), "replace", fuzz.Nested(1000))),
    ("patch", "services", "strategic", {"spec": {"$setElementOrder/ports": 1}}),
    ("patch", "configmaps", "merge", {"metadata": {"resourceVersion": float("inf")}}),
]


@pytest.mark.parametrize("req", ISSUE_INPUTS, ids=[f"{r[0]}-{r[1]}-{i}" for i, r in enumerate(ISSUE_INPUTS)])
def test_the_issues_inputs_do_not_break_the_components(req):
    broken = [f for f in fuzz.check_requests([req], seed=4) if f.where == "components"]
    assert broken == []


@pytest.mark.parametrize("req", ISSUE_INPUTS, ids=[f"{r[0]}-{r[1]}-{i}" for i, r in enumerate(ISSUE_INPUTS)])
def test_the_issues_inputs_are_answered_with_a_status_or_stored_clean(req):
    broken = [f for f in fuzz.check_requests([req], seed=4, run_seconds=0.0) if f.where != "components"]
    assert broken == []
