"""The watch cache's compact objects and the informers' shared copies (issue 11, memory).

Upstream keeps each decoded object once in the watch cache and its cyclic buffer
(k8s.io/apiserver/pkg/storage/cacher/watch_cache.go); here consecutive versions of one key
share their unchanged subtrees (cacheshare.py) and the read-only receivers' copies of an event
share theirs with the previous copy of that key (copyshare.py). What must hold: every value,
key order and resourceVersion is exactly what decoding gives; nothing a receiver gets is the
cache's own object; deleted keys leave no copy behind.
"""

import json
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from k8score import Cluster
from k8score.apiserver.cacher import Cacher
from k8score.apiserver.cacheshare import compact
from k8score.apiserver.copyshare import EventCopies, copy_like
from k8score.apiserver.jsonutil import copy_json

from test_apiserver_cacher import PREFIX, CountingDecode, pod_json

# ``loop`` and ``store`` come from conftest.py

KEYS = st.sampled_from(["a", "b", "spec", "f:x", "k:{\"uid\":\"1\"}", "x-y", "z"])
SCALARS = st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["", "v", "w", "nginx"])
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(KEYS, inner, max_size=4), max_leaves=25)
OBJ = st.dictionaries(KEYS, JSON, max_size=5)


def containers(value, out=None):
    """Every dict and list inside ``value`` (itself included), by id."""
    out = {} if out is None else out
    if isinstance(value, (dict, list)):
        out[id(value)] = value
        for v in (value.values() if isinstance(value, dict) else value):
            containers(v, out)
    return out


def keys_interned(value):
    if isinstance(value, dict):
        return all(sys.intern(k) is k for k in value) and all(map(keys_interned, value.values()))
    if isinstance(value, list):
        return all(map(keys_interned, value))
    return True


def fresh(s):
    """A key string equal to ``s`` but not the interned object."""
    return "".join(list(s))


@settings(max_examples=300, deadline=None)
@given(OBJ, OBJ)
def test_compact_keeps_values_and_order_and_shares_equal_subtrees(new, old):
    want = json.dumps(new)
    old = compact(copy_json(old), None)
    old_text = json.dumps(old)
    new = json.loads(want)          # decoded: keys are not interned
    same = new
    out = compact(new, old)
    assert out is same                                # the cache keeps the top-level object
    assert json.dumps(out) == want                    # values and key order unchanged
    assert json.dumps(old) == old_text                # the previous version untouched
    assert keys_interned(out)
    for k, v in out.items():                          # equal subtree -> old's object
        if isinstance(v, (dict, list)) and k in old and json.dumps(old[k]) == json.dumps(v):
            assert v is old[k]            # (json.dumps: exactly equal, False is not 0)


@settings(max_examples=300, deadline=None)
@given(OBJ, OBJ)
def test_copy_like_equals_a_deep_copy_and_never_shares_with_the_cache(obj, base):
    obj = compact(json.loads(json.dumps(obj)), None)
    base = compact(json.loads(json.dumps(base)), None)
    # make obj share some subtrees with base, as consecutive cache versions do
    for k in list(obj)[:2]:
        if k in base and isinstance(base[k], (dict, list)):
            obj[k] = base[k]
    base_copy = copy_json(base)
    mine = copy_like(obj, base, base_copy)
    assert json.dumps(mine) == json.dumps(obj)
    cache_ids = containers(obj)
    assert not set(containers(mine)) & set(cache_ids)          # never the cache's containers
    for k, v in obj.items():
        if isinstance(v, (dict, list)) and base.get(k) is v:
            assert mine[k] is base_copy[k]                     # unchanged: the earlier copy


def test_equal_is_not_enough_to_share_key_order_and_number_types_are_kept():
    old = compact({"metadata": {}, "a": {"x": 1, "y": 2}, "b": [False, 1], "c": {"n": 1}}, None)
    new = compact({"metadata": {}, "a": {"y": 2, "x": 1}, "b": [0, True], "c": {"n": 1.0}}, old)
    assert json.dumps(new) == '{"metadata": {}, "a": {"y": 2, "x": 1}, "b": [0, true], "c": {"n": 1.0}}'
    assert new["a"] is not old["a"] and new["b"] is not old["b"] and new["c"] is not old["c"]
    same = compact({"metadata": {}, "a": {"x": 1, "y": 2}}, old)
    assert same["a"] is old["a"]


def test_compact_interns_the_keys_of_a_first_version():
    key = fresh("terminationMessagePath")
    assert sys.intern(key) is not key
    out = compact({"spec": [{key: "x"}]}, None)
    assert list(out["spec"][0]) == ["terminationMessagePath"]
    assert next(iter(out["spec"][0])) is sys.intern("terminationMessagePath")


def test_a_status_update_shares_spec_and_labels_with_the_version_before(loop, store):
    c = Cacher(loop, store, PREFIX, CountingDecode())
    c.start()
    store.put(f"{PREFIX}default/p", pod_json("p", node="n1"))
    first = c.current(f"{PREFIX}default/p")
    body = json.loads(pod_json("p", node="n1"))
    body["status"] = {"phase": "Running"}
    store.put(f"{PREFIX}default/p", json.dumps(body))
    second = c.current(f"{PREFIX}default/p")
    assert second is not first
    assert second["spec"] is first["spec"]
    assert second["metadata"]["labels"] is first["metadata"]["labels"]
    assert second["metadata"] is not first["metadata"]        # its resourceVersion differs
    assert first["metadata"]["resourceVersion"] != second["metadata"]["resourceVersion"]
    assert "status" not in first                             # history: the old state intact
    assert second["status"] == {"phase": "Running"}


def test_informer_copies_share_unchanged_subtrees_but_never_the_cache_objects():
    c = Cluster(nodes=1, seed=1)
    informer = c.scheduler.pod_informer
    versions = []
    def keep(pod):
        if pod["metadata"]["name"] == "p":
            versions.append(pod)
    informer.add_event_handler(on_add=keep, on_update=lambda old, new: keep(new))
    c.kubectl("run p --image=nginx")
    c.run(until=lambda: c.kubectl("get pod p -o jsonpath={.status.phase}") == "Running", timeout=60)
    c.run(1)   # the informer's watch lags the cache by its latency
    cacher = c.apiserver.cachers["pods"]
    key = "/registry/pods/default/p"
    cache_obj = cacher.current(key)
    mine = informer.get("default/p")
    assert json.dumps(mine) == json.dumps(cache_obj)
    assert not set(containers(mine)) & set(containers(cache_obj))   # a copy, not the cache's
    assert cacher.watchers.last_copy[key] == (cache_obj, mine)      # the base of the next copy
    assert len(versions) >= 3
    # pending -> bound -> running: the container list never changed after the bind
    assert versions[-1]["spec"]["containers"] is versions[-2]["spec"]["containers"]
    assert versions[-1]["status"] is not versions[0].get("status")
    # sharing never rewrote an earlier version: the phases seen, in order
    phases = [v.get("status", {}).get("phase") for v in versions]
    assert phases[0] == "Pending" and phases[-1] == "Running"
    rvs = [int(v["metadata"]["resourceVersion"]) for v in versions]
    assert rvs == sorted(set(rvs))


def test_deleted_keys_and_slimmed_receivers_leave_no_base_behind():
    c = Cluster(nodes=2, seed=2)
    c.kubectl("create deployment web --image=nginx --replicas=4")
    c.run(until=lambda: c.kubectl("get deploy web -o jsonpath={.status.readyReplicas}") == "4",
          timeout=120)
    pods = c.apiserver.cachers["pods"]
    assert set(pods.watchers.last_copy) == set(pods._objs)
    c.kubectl("scale deployment web --replicas=1")
    c.run(60)
    assert set(pods.watchers.last_copy) == set(pods._objs)
    assert len([k for k in pods._objs if "/default/web-" in k]) == 1


def test_a_slimming_informer_leaves_no_base_copy_and_a_keeping_one_does(api, loop):
    from k8score.client import Client
    from k8score.client.informer import SharedInformer
    for i in range(3):
        api.create("configmaps", {"metadata": {"name": f"cm{i}"}, "data": {"k": "v"}}, namespace="default")
    slim = SharedInformer(Client(api, user="kubernetes-admin"), loop, "configmaps", namespace="default")
    slim.set_transform(lambda o: {"metadata": {k: o["metadata"][k] for k in ("name", "namespace", "resourceVersion")}})
    slim.start()
    loop.run(until=loop.now + 1)
    api.create("configmaps", {"metadata": {"name": "cm3"}, "data": {"k": "v"}}, namespace="default")
    loop.run(until=loop.now + 1)
    cms = api.cachers["configmaps"]
    assert len(slim) == 4 and cms.watchers.last_copy == {}
    keeper = SharedInformer(Client(api, user="kubernetes-admin"), loop, "configmaps", namespace="default")
    keeper.start()
    loop.run(until=loop.now + 1)
    api.create("configmaps", {"metadata": {"name": "cm4"}, "data": {"k": "v"}}, namespace="default")
    loop.run(until=loop.now + 1)
    assert list(cms.watchers.last_copy) == ["/registry/configmaps/default/cm4"]
    assert cms.watchers.last_copy["/registry/configmaps/default/cm4"][1] is keeper.get("default/cm4")
