"""LIST with a field selector that pins one object or an indexed field reads only that.

Upstream: staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go ListPredicate
(``p.MatchesSingle()`` -> a non-recursive GetList of the one key; not with a continue token;
an all-namespaces list of a namespaced resource cannot build the key), storage/selection_predicate.go
``MatcherIndex`` and cacher.go ``listItems`` (``store.ByIndex``: pods by ``spec.nodeName``).
Every kubelet and kube-proxy lists its own Node by ``metadata.name``; before this, each such list
examined every node — quadratic in the cluster's size.
"""

import pytest

from tests.apihelpers import default_service_accounts


def _pods(api, n=6):
    api.create("namespaces", {"metadata": {"name": "other"}})
    default_service_accounts(api, namespaces=("default", "other"))
    for i in range(n):
        api.create("pods", {"metadata": {"name": f"p{i}"},
                            "spec": {"nodeName": f"n{i % 2}", "containers": [{"name": "c", "image": "x"}]}},
                   namespace="default" if i < 4 else "other")


def _names(out):
    return [(o["metadata"].get("namespace"), o["metadata"]["name"]) for o in out["items"]]


def _scanned(api, resource):
    return api.cacher(api.registry.strategy_for(api.registry.resolve(resource))).list_scanned


def test_a_node_listed_by_name_reads_one_key(api):
    for i in range(30):
        api.create("nodes", {"metadata": {"name": f"node-{i}"}})
    before = _scanned(api, "nodes")
    out = api.list("nodes", field_selector="metadata.name=node-7")
    assert _names(out) == [(None, "node-7")]
    assert _scanned(api, "nodes") - before == 1
    # a name that is not there: an empty list (at the current resourceVersion), nothing scanned
    before = _scanned(api, "nodes")
    out = api.list("nodes", field_selector="metadata.name=node-99")
    assert out["items"] == [] and int(out["metadata"]["resourceVersion"]) > 0
    assert _scanned(api, "nodes") - before == 0
    # != does not pin: every node is examined, all but one returned
    before = _scanned(api, "nodes")
    assert len(api.list("nodes", field_selector="metadata.name!=node-7")["items"]) == 29
    assert _scanned(api, "nodes") - before == 30


def test_the_selector_still_filters_what_the_key_reads(api):
    for i in range(3):
        api.create("nodes", {"metadata": {"name": f"node-{i}", "labels": {"i": str(i)}}})
    assert api.list("nodes", field_selector="metadata.name=node-1,metadata.name=node-2")["items"] == []
    assert api.list("nodes", label_selector="i=2", field_selector="metadata.name=node-1")["items"] == []
    assert _names(api.list("nodes", label_selector="i=1", field_selector="metadata.name=node-1")) == \
        [(None, "node-1")]


def test_pods_by_name_in_a_namespace_and_across_namespaces(api):
    _pods(api)
    before = _scanned(api, "pods")
    assert _names(api.list("pods", "other", field_selector="metadata.name=p4")) == [("other", "p4")]
    assert _scanned(api, "pods") - before == 1
    assert api.list("pods", "default", field_selector="metadata.name=p4")["items"] == []
    # all namespaces: no key can be formed, so every pod is examined; both namespaces answer
    before = _scanned(api, "pods")
    assert _names(api.list("pods", field_selector="metadata.name=p4")) == [("other", "p4")]
    assert _scanned(api, "pods") - before == 6


def test_pods_by_node_read_the_node_index_in_key_order(api):
    _pods(api)
    before = _scanned(api, "pods")
    out = api.list("pods", field_selector="spec.nodeName=n0")
    assert _names(out) == [("default", "p0"), ("default", "p2"), ("other", "p4")]
    assert _scanned(api, "pods") - before == 3
    assert _names(api.list("pods", "default", field_selector="spec.nodeName=n1")) == \
        [("default", "p1"), ("default", "p3")]
    # an index value with a second requirement: both apply
    assert _names(api.list("pods", field_selector="spec.nodeName=n1,metadata.namespace=other")) == \
        [("other", "p5")]


@pytest.mark.parametrize("selector", ["spec.nodeName=n0", "metadata.name=p2", "spec.nodeName!=n0"])
def test_pinned_lists_equal_a_full_scan(api, selector):
    _pods(api)
    from k8score.api.selectors import parse_field_selector
    strategy = api.registry.strategy_for(api.registry.resolve("pods"))
    fields = parse_field_selector(strategy.field_labels, selector)
    everything = api.list("pods", "default")["items"]
    assert api.list("pods", "default", field_selector=selector)["items"] == \
        [o for o in everything if fields.matches(o)]


def test_a_paginated_pinned_list_continues(api):
    for i in range(5):
        api.create("nodes", {"metadata": {"name": f"node-{i}"}})
    first = api.list("nodes", field_selector="metadata.name=node-3", limit=1)
    assert _names(first) == [(None, "node-3")] and "continue" not in first["metadata"]
