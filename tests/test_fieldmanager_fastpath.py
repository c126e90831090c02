"""managedFields of an update answered from the stored entries equal the full computation.

``update_managed_fields`` first tries fieldmanager/fastpath.py: when the entries are what the
API server itself writes and no other manager loses a field, it reuses them (the writer's
``time`` re-stamped, or its own entry alone re-encoded) instead of decoding, updating and
encoding every entry as k8s.io/apimachinery/pkg/util/managedfields/internal/
managedfieldsupdater.go and sigs.k8s.io/structured-merge-diff merge/update.go ``Update`` do.
The answer must be the same list, key order included. Checked here:

- a hypothesis property over real objects (a kubelet-style Pod, a Node with conditions and
  images, a Lease, a DaemonSet) with random mutations — leaves changed, added, removed; list
  items added, removed, duplicated, reordered — by several managers, on the main resource and
  the status subresource, with managedFields kept, left out, sent as ``[]`` or tampered with;
- every update of a small running cluster;
- the re-stamp (a Lease renewal), the no-op, and a fall-back (another manager loses a field).
"""

from __future__ import annotations

import copy
import importlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k8score.api.schema import schema_for
from k8score.apiserver.fieldmanager import Set, from_fields_v1, to_fields_v1, update_managed_fields
from k8score.apiserver.fieldmanager.apply import _full_update, default_reset_fields
from k8score.apiserver.fieldmanager.fastpath import canonical, reuse

T0, T1, T2 = "2026-01-01T00:00:00Z", "2026-01-01T00:00:10Z", "2026-01-01T00:00:20Z"


def fast(old, new, manager, kind, now, sub=None, api_version="v1"):
    return update_managed_fields(old, new, manager, schema_for(api_version, kind), now, api_version,
                                 subresource=sub)


def slow(old, new, manager, kind, now, sub=None, api_version="v1"):
    return _full_update(old, new, manager, schema_for(api_version, kind), now, api_version, "Update", sub,
                        default_reset_fields(sub))


def with_fields(obj, entries):
    out = copy.deepcopy(obj)
    if entries:
        out["metadata"]["managedFields"] = entries
    else:
        out["metadata"].pop("managedFields", None)
    return out


def text(v) -> str:
    return json.dumps(v)   # key order matters: the stored bytes


# -- real objects ---------------------------------------------------------------------------

def pod() -> dict:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-1", "namespace": "default", "uid": "u1", "resourceVersion": "7",
                         "labels": {"app": "web"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web",
                                              "uid": "rs1", "controller": True}]},
            "spec": {"nodeName": "node-1",
                     "containers": [{"name": "nginx", "image": "nginx:1.27",
                                     "ports": [{"containerPort": 80, "protocol": "TCP"}]},
                                    {"name": "side", "image": "busybox"}],
                     "tolerations": [{"key": "a", "operator": "Exists"}]},
            "status": {"phase": "Running", "podIP": "10.0.1.5", "podIPs": [{"ip": "10.0.1.5"}],
                       "hostIP": "172.18.0.2", "startTime": T0, "qosClass": "BestEffort",
                       "conditions": [{"type": "Initialized", "status": "True", "lastTransitionTime": T0},
                                      {"type": "Ready", "status": "True", "lastTransitionTime": T0}],
                       "containerStatuses": [{"name": "nginx", "ready": True, "restartCount": 0,
                                              "image": "nginx:1.27", "imageID": "sha256:1",
                                              "state": {"running": {"startedAt": T0}}},
                                             {"name": "side", "ready": False, "restartCount": 1,
                                              "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}


def node() -> dict:
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "node-1", "uid": "n1", "resourceVersion": "3",
                         "labels": {"kubernetes.io/hostname": "node-1", "kubernetes.io/os": "linux"},
                         "annotations": {"node.alpha.kubernetes.io/ttl": "0"}},
            "spec": {"podCIDR": "10.0.1.0/24", "podCIDRs": ["10.0.1.0/24"],
                     "taints": [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]},
            "status": {"capacity": {"cpu": "2", "memory": "4Gi", "pods": "110"},
                       "allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"},
                       "addresses": [{"type": "InternalIP", "address": "172.18.0.2"},
                                     {"type": "Hostname", "address": "node-1"}],
                       "conditions": [{"type": "MemoryPressure", "status": "False", "lastHeartbeatTime": T0,
                                       "lastTransitionTime": T0, "reason": "KubeletHasSufficientMemory"},
                                      {"type": "Ready", "status": "True", "lastHeartbeatTime": T0,
                                       "lastTransitionTime": T0, "reason": "KubeletReady"}],
                       "images": [{"names": ["nginx:1.27"], "sizeBytes": 100},
                                  {"names": ["busybox"], "sizeBytes": 5}],
                       "nodeInfo": {"kubeletVersion": "v1.37.0", "osImage": "Debian"}}}


def lease() -> dict:
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "node-1", "namespace": "kube-node-lease", "uid": "l1", "resourceVersion": "9",
                         "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "node-1", "uid": "n1"}]},
            "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40, "renewTime": T0}}


def daemonset() -> dict:
    return {"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": "kube-proxy", "namespace": "kube-system", "uid": "d1", "generation": 1,
                         "resourceVersion": "4", "labels": {"k8s-app": "kube-proxy"}},
            "spec": {"selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
                     "template": {"metadata": {"labels": {"k8s-app": "kube-proxy"}},
                                  "spec": {"containers": [{"name": "kube-proxy", "image": "kube-proxy:v1.37",
                                                           "env": [{"name": "NODE", "value": "x"}]}]}},
                     "updateStrategy": {"type": "RollingUpdate"}},
            "status": {"currentNumberScheduled": 3, "desiredNumberScheduled": 3, "numberReady": 2,
                       "observedGeneration": 1, "updatedNumberScheduled": 3}}


OBJECTS = {"Pod": ("v1", pod), "Node": ("v1", node), "Lease": ("coordination.k8s.io/v1", lease),
           "DaemonSet": ("apps/v1", daemonset)}


def tracked(kind: str) -> dict:
    """The object as stored after a create by its controller and a status write by another
    manager (two entries, as the kubelet and kube-controller-manager leave a pod)."""
    av, make = OBJECTS[kind]
    obj = make()
    status = obj.pop("status", None)
    entries = update_managed_fields(None, obj, "kube-controller-manager", schema_for(av, kind), T0, av)
    stored = with_fields(obj, entries)
    if status is not None:
        new = {**copy.deepcopy(stored), "status": status}
        entries = update_managed_fields(stored, new, "kubelet", schema_for(av, kind), T0, av, subresource="status")
        stored = with_fields(new, entries)
    assert canonical(stored["metadata"]["managedFields"])
    return stored


# -- random mutations -----------------------------------------------------------------------

def _nodes(v, path=()):
    """Every (path, value) below ``v`` (dicts and lists walked)."""
    yield path, v
    if isinstance(v, dict):
        for k, x in v.items():
            yield from _nodes(x, path + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from _nodes(x, path + (i,))


def _at(obj, path):
    for p in path:
        obj = obj[p]
    return obj


LEAVES = st.one_of(st.sampled_from(["x", "10.0.1.5", "True", T1, "nginx", ""]), st.integers(0, 3),
                   st.booleans(), st.none(), st.builds(dict), st.builds(lambda: {"a": "b"}))


def mutate(data, obj: dict) -> None:
    """One random edit somewhere in ``obj`` (metadata stays an object; managedFields are
    the test's to set)."""
    spots = [(p, v) for p, v in _nodes(obj) if p and p != ("metadata",) and p[:2] != ("metadata", "managedFields")]
    path, v = data.draw(st.sampled_from(spots))
    parent = _at(obj, path[:-1])
    op = data.draw(st.sampled_from(["set", "delete", "add", "list"]))
    if op == "set":
        parent[path[-1]] = data.draw(LEAVES)
    elif op == "delete":
        del parent[path[-1]]
    elif op == "add" and isinstance(v, dict):
        v[data.draw(st.sampled_from(["reason", "message", "zz", "status", "name"]))] = data.draw(LEAVES)
    elif op == "list" and isinstance(v, list) and v:
        how = data.draw(st.sampled_from(["append", "dup", "pop", "reverse", "rename"]))
        if how == "append":
            item = copy.deepcopy(v[0])
            if isinstance(item, dict):
                for k in ("name", "type", "ip", "key"):
                    if k in item:
                        item[k] = data.draw(st.sampled_from(["new", "Ready", "10.9.9.9", "b"]))
            v.append(item)
        elif how == "dup":
            v.append(copy.deepcopy(v[-1]))
        elif how == "pop":
            v.pop(data.draw(st.integers(0, len(v) - 1)))
        elif how == "reverse":
            v.reverse()
        elif isinstance(v[0], dict) and v[0]:
            v[0][next(iter(v[0]))] = data.draw(LEAVES)


def _order(e: dict) -> tuple:
    # managers.encode's sort (sortEncodedManagedFields)
    return (e["operation"], e.get("time") or "", e["manager"], e["apiVersion"], e.get("subresource", ""))


def _grow(fv: dict, path: tuple) -> dict:
    """``fv`` with one more path, still as encode writes it."""
    return to_fields_v1(from_fields_v1(fv).union(Set.from_paths([path])))


def _a_leaf(d: dict) -> dict:
    for v in d.values():
        if isinstance(v, dict):
            return d if not v else _a_leaf(v)
    return d


def sent_fields(data, stored: list, new: dict, manager: str, sub) -> list | None:
    """What the client sends in metadata.managedFields: the stored ones (the usual case),
    nothing, ``[]``, or a copy edited into (or just out of) the canonical form."""
    how = data.draw(st.sampled_from(["same", "same", "same", "none", "empty", "reorder", "retime", "drop-time",
                                     "garbage", "own-meta", "overlap", "dup-ident", "many", "dot-root",
                                     "dot-leaf", "empty-time"]))
    e = copy.deepcopy(stored)
    if how == "none":
        return None
    if how == "empty":
        return []
    if how == "reorder":
        return e[::-1]
    if how == "retime":
        e[0]["time"] = T2
    elif how == "drop-time":
        e[-1].pop("time", None)
    elif how == "garbage":
        return [{"manager": "x", "operation": "Nope"}]
    elif how == "own-meta":   # the writer owns a field stripmeta.go strips, and the write changes it
        mine = [x for x in e if x["manager"] == (manager or "unknown") and x.get("subresource") == sub]
        x = mine[0] if mine else e[data.draw(st.integers(0, len(e) - 1))]
        name = data.draw(st.sampled_from(["generation", "resourceVersion", "labels"]))
        x["fieldsV1"] = _grow(x["fieldsV1"], (("f", "metadata"), ("f", name)))
        new["metadata"][name] = {"changed": "1"} if name == "labels" else "99"
    elif how == "overlap" and len(e) > 1:   # two managers own the same fields (as after an apply)
        i, j = data.draw(st.permutations(range(len(e))))[:2]
        e[i]["fieldsV1"] = to_fields_v1(from_fields_v1(e[i]["fieldsV1"]).union(from_fields_v1(e[j]["fieldsV1"])))
    elif how == "dup-ident":   # one identifier twice, in sorted order (decode keeps the last)
        twin = copy.deepcopy(e[0])
        twin["time"] = T2
        twin["fieldsV1"] = {"f:metadata": {"f:annotations": {}}}
        e.append(twin)
        e.sort(key=_order)
    elif how == "many":   # up to capmanagers.go's limit of 10 Update entries, or past it
        n = data.draw(st.integers(9, 11)) - len(e)
        e.extend({"manager": f"m{i}", "operation": "Update", "apiVersion": e[0]["apiVersion"], "time": T0,
                  "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {}}}} for i in range(n))
        e.sort(key=_order)
    elif how == "dot-root":
        e[0]["fieldsV1"]["."] = {}
    elif how == "dot-leaf":
        leaf = _a_leaf(e[0]["fieldsV1"])
        leaf[next(k for k, v in leaf.items() if v == {})] = {".": {}}
    elif how == "empty-time":
        e[0]["time"] = ""
    return e


@settings(max_examples=500, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fast_path_equals_full_path(data) -> None:
    kind = data.draw(st.sampled_from(sorted(OBJECTS)))
    av = OBJECTS[kind][0]
    old = tracked(kind)
    if data.draw(st.booleans()):   # a third manager owns some fields too
        mid = copy.deepcopy(old)
        mutate(data, mid)
        entries = update_managed_fields(old, mid, "kubectl", schema_for(av, kind), T1, av)
        old = with_fields(mid, entries)
    new = copy.deepcopy(old)
    for _ in range(data.draw(st.integers(0, 3))):
        mutate(data, new)
    manager = data.draw(st.sampled_from(["kubelet", "kube-controller-manager", "kubectl", "", "other"]))
    sub = data.draw(st.sampled_from([None, "status"]))
    new["metadata"].pop("managedFields", None)
    sent = sent_fields(data, old["metadata"].get("managedFields") or [], new, manager, sub)
    if sent is not None:
        new["metadata"]["managedFields"] = sent
        if sub == "status" and data.draw(st.booleans()):
            old = with_fields(old, copy.deepcopy(sent))   # the status subresource reads the live ones
    now = data.draw(st.sampled_from([T0, T1, T2]))
    got = fast(old, new, manager, kind, now, sub, av)
    want = slow(old, new, manager, kind, now, sub, av)
    assert text(got) == text(want)


def test_every_update_of_a_running_cluster(monkeypatch) -> None:
    from k8score import Cluster
    from k8score.apiserver.registry import store
    seen = {"calls": 0, "fast": 0}
    amod = importlib.import_module("k8score.apiserver.fieldmanager.apply")  # the package's `apply` is a function
    real_reuse = amod.reuse

    def counted(*a):
        out = real_reuse(*a)
        seen["fast"] += out is not None
        return out

    def checked(old, new, manager, schema, now, api_version, operation="Update", subresource=None,
                reset_fields=None):
        got = update_managed_fields(old, new, manager, schema, now, api_version, operation, subresource,
                                    reset_fields)
        if old is not None:
            seen["calls"] += 1
            want = _full_update(old, new, manager, schema, now, api_version, operation, subresource,
                                reset_fields if reset_fields is not None else default_reset_fields(subresource))
            assert text(got) == text(want), (manager, subresource, old["kind"])
        return got

    monkeypatch.setattr(amod, "reuse", counted)
    monkeypatch.setattr(store, "update_managed_fields", checked)
    c = Cluster(nodes=2, seed=5)
    c.kubectl("create deployment web --image=nginx --replicas=4")
    c.run(60)
    assert seen["calls"] > 100
    assert seen["fast"] > seen["calls"] // 2   # the common case is the fast one


# -- the cases by hand -----------------------------------------------------------------------

def _renewed(stored: dict, when: str) -> dict:
    new = copy.deepcopy(stored)
    new["spec"]["renewTime"] = when
    return new


def test_lease_renewal_restamps_only_the_writer() -> None:
    """A kubelet renewing its Lease: the entry keeps its fields, its time becomes now and it
    sorts after the older entries (managedfields.go sortEncodedManagedFields)."""
    stored = tracked("Lease")
    stored["metadata"]["managedFields"] = update_managed_fields(
        stored, _renewed(stored, T1), "kubelet", schema_for("coordination.k8s.io/v1", "Lease"), T1,
        "coordination.k8s.io/v1")
    before = copy.deepcopy(stored["metadata"]["managedFields"])
    assert [(e["manager"], e["time"]) for e in before] == [("kube-controller-manager", T0), ("kubelet", T1)]
    got = fast(stored, _renewed(stored, T2), "kubelet", "Lease", T2, api_version="coordination.k8s.io/v1")
    assert [(e["manager"], e["time"]) for e in got] == [("kube-controller-manager", T0), ("kubelet", T2)]
    assert got[1]["fieldsV1"] == before[1]["fieldsV1"] == {"f:spec": {"f:renewTime": {}}}
    assert got[0] == before[0] and got[0] is not before[0]   # a private copy
    # the second renewal by the controller's name moves renewTime to it instead
    again = fast(stored, _renewed(stored, T2), "kube-controller-manager", "Lease", T2,
                 api_version="coordination.k8s.io/v1")
    assert [e["manager"] for e in again] == ["kube-controller-manager"]
    assert again[0]["time"] == T2 and again[0]["fieldsV1"]["f:spec"]["f:renewTime"] == {}


def test_a_restamped_entry_sorts_after_the_newer_ones() -> None:
    """kube-controller-manager edits the image it owns: only its time changes, and its entry
    moves after the kubelet's (operation, then time, then manager: sortEncodedManagedFields)."""
    stored = tracked("Pod")
    assert [e["manager"] for e in stored["metadata"]["managedFields"]] == ["kube-controller-manager", "kubelet"]
    new = copy.deepcopy(stored)
    new["spec"]["containers"][0]["image"] = "nginx:1.28"
    got = fast(stored, new, "kube-controller-manager", "Pod", T1)
    assert [(e["manager"], e["time"]) for e in got] == [("kubelet", T0), ("kube-controller-manager", T1)]
    assert got[1]["fieldsV1"] == stored["metadata"]["managedFields"][0]["fieldsV1"]


def test_nothing_changed_keeps_every_time() -> None:
    stored = tracked("Pod")
    got = fast(stored, copy.deepcopy(stored), "kubelet", "Pod", T2, "status")
    assert got == stored["metadata"]["managedFields"]
    assert {e["time"] for e in got} == {T0}


def test_another_manager_losing_a_field_falls_back() -> None:
    """kubectl changes the image kube-controller-manager set: the fast path declines, and the
    full path moves ``.spec.containers[name="nginx"].image`` to kubectl."""
    stored = tracked("Pod")
    new = copy.deepcopy(stored)
    new["spec"]["containers"][0]["image"] = "nginx:1.28"
    entries = stored["metadata"]["managedFields"]
    from k8score.apiserver.fieldmanager.apply import _filtered_compare, _without_managed_fields
    diff = _filtered_compare(_without_managed_fields(stored), _without_managed_fields(new),
                             schema_for("v1", "Pod"), default_reset_fields(None))
    assert reuse(entries, *diff, "kubectl", "v1", "", T1) is None
    got = fast(stored, new, "kubectl", "Pod", T1)
    kcm = next(e for e in got if e["manager"] == "kube-controller-manager")
    nginx = kcm["fieldsV1"]["f:spec"]["f:containers"]['k:{"name":"nginx"}']
    assert "f:image" not in nginx and "f:name" in nginx
    mine = next(e for e in got if e["manager"] == "kubectl")
    assert mine["time"] == T1
    assert mine["fieldsV1"] == {"f:spec": {"f:containers": {'k:{"name":"nginx"}': {"f:image": {}}}}}
    assert text(got) == text(slow(stored, new, "kubectl", "Pod", T1))


def test_tampered_entries_take_the_full_path() -> None:
    """Entries a client sent out of order are re-sorted, as the full path does."""
    stored = tracked("Pod")
    new = copy.deepcopy(stored)
    new["metadata"]["managedFields"] = new["metadata"]["managedFields"][::-1]
    assert not canonical(new["metadata"]["managedFields"])
    got = fast(stored, new, "kube-controller-manager", "Pod", T1)
    assert got == stored["metadata"]["managedFields"]


def test_writer_owning_a_stripped_field_loses_it() -> None:
    """A client-sent entry may own ``metadata.generation``; a write that changes it takes it
    away from the writer (stripmeta.go strips it from the write's own set), so the writer's
    entry changes even though everything it wrote is its own."""
    stored = tracked("Lease")
    entries = copy.deepcopy(stored["metadata"]["managedFields"])
    entries[0]["fieldsV1"] = {"f:metadata": {"f:generation": {}}, "f:spec": {"f:renewTime": {}}}
    stored = with_fields(stored, entries)
    assert canonical(entries)
    new = _renewed(stored, T1)
    new["metadata"]["generation"] = 2
    got = fast(stored, new, "kube-controller-manager", "Lease", T1, api_version="coordination.k8s.io/v1")
    assert got[0]["fieldsV1"] == {"f:spec": {"f:renewTime": {}}} and got[0]["time"] == T1
    assert text(got) == text(slow(stored, new, "kube-controller-manager", "Lease", T1,
                                  api_version="coordination.k8s.io/v1"))


def test_an_eleventh_updater_merges_the_oldest_into_ancient_changes() -> None:
    """Ten Update entries are the most capmanagers.go keeps: a new writer on top of them makes
    the full path merge the two oldest into ``ancient-changes`` (the fast path declines)."""
    stored = tracked("Lease")
    extra = [{"manager": f"m{i}", "operation": "Update", "apiVersion": "coordination.k8s.io/v1",
              "time": T1, "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {}}}}
             for i in range(9)]
    entries = stored["metadata"]["managedFields"] + extra
    stored = with_fields(stored, entries)
    assert canonical(entries) and len(entries) == 10
    new = copy.deepcopy(stored)
    new["metadata"]["annotations"] = {"owner": "newcomer"}   # a field nobody owns yet
    got = fast(stored, new, "newcomer", "Lease", T2, api_version="coordination.k8s.io/v1")
    assert len(got) == 10 and "ancient-changes" in [e["manager"] for e in got]
    assert got[-1]["manager"] == "newcomer" and got[-1]["time"] == T2
    assert text(got) == text(slow(stored, new, "newcomer", "Lease", T2, api_version="coordination.k8s.io/v1"))


def test_a_manager_that_removed_all_it_owned_disappears() -> None:
    """A writer that owned only an annotation and deletes it loses its entry (update.go:
    empty managers are dropped) — the fast path re-encodes the writer's entry alone."""
    stored = tracked("Lease")
    added = copy.deepcopy(stored)
    added["metadata"]["annotations"] = {"owner": "x"}
    stored = with_fields(added, fast(stored, added, "tagger", "Lease", T1, api_version="coordination.k8s.io/v1"))
    assert [e["manager"] for e in stored["metadata"]["managedFields"]] == ["kube-controller-manager", "tagger"]
    removed = copy.deepcopy(stored)
    del removed["metadata"]["annotations"]["owner"]
    got = fast(stored, removed, "tagger", "Lease", T2, api_version="coordination.k8s.io/v1")
    assert [e["manager"] for e in got] == ["kube-controller-manager", "tagger"]   # still owns the {} map
    assert got[1]["fieldsV1"] == {"f:metadata": {"f:annotations": {}}} and got[1]["time"] == T1
    del removed["metadata"]["annotations"]
    got = fast(stored, removed, "tagger", "Lease", T2, api_version="coordination.k8s.io/v1")
    assert [e["manager"] for e in got] == ["kube-controller-manager"]
    assert text(got) == text(slow(stored, removed, "tagger", "Lease", T2, api_version="coordination.k8s.io/v1"))


def test_a_float_in_an_item_key_is_left_to_the_full_path() -> None:
    """``80.0`` and ``80`` name the same list item but are two fieldsV1 texts: an entry
    spelling the key with the float still owns the item's fields."""
    stored = tracked("Pod")
    stored["spec"]["containers"][0]["ports"][0]["hostPort"] = 8080
    entries = copy.deepcopy(stored["metadata"]["managedFields"])
    entries[0]["fieldsV1"] = {"f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {"f:ports": {
        "k:{\"containerPort\":80.0,\"protocol\":\"TCP\"}": {"f:hostPort": {}}}}}}}
    stored = with_fields(stored, entries)
    new = copy.deepcopy(stored)
    new["spec"]["containers"][0]["ports"][0]["hostPort"] = 8081
    got = fast(stored, new, "kubectl", "Pod", T1)
    assert [e["manager"] for e in got] == ["kubelet", "kubectl"]   # kube-controller-manager lost its only field
    assert text(got) == text(slow(stored, new, "kubectl", "Pod", T1))


def test_an_owned_child_whose_parent_appears_makes_the_parent_owned_too() -> None:
    """Entries may name fields the object lacks (a client sent them): when the write adds
    the map above such a field, the writer owns the map itself as well (``".": {}``)."""
    stored = tracked("Lease")
    entries = stored["metadata"]["managedFields"] + [
        {"manager": "tagger", "operation": "Update", "apiVersion": "coordination.k8s.io/v1", "time": T1,
         "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:annotations": {"f:a": {}}}}}]
    stored = with_fields(stored, entries)
    new = copy.deepcopy(stored)
    new["metadata"]["annotations"] = {"a": "1", "b": "2"}
    got = fast(stored, new, "tagger", "Lease", T2, api_version="coordination.k8s.io/v1")
    assert got[-1]["fieldsV1"] == {"f:metadata": {"f:annotations": {"f:a": {}, "f:b": {}, ".": {}}}}
    assert list(got[-1]["fieldsV1"]["f:metadata"]["f:annotations"]) == ["f:a", "f:b", "."]
    assert text(got) == text(slow(stored, new, "tagger", "Lease", T2, api_version="coordination.k8s.io/v1"))


def test_an_atomic_field_rewritten_over_stale_children_is_owned_itself() -> None:
    """An entry written under a schema where ``spec.selector`` was granular names fields
    under it; rewriting the (atomic) selector makes the writer own the selector itself
    while the stale paths stay (Set.Difference removes exact paths only)."""
    stored = tracked("DaemonSet")
    entries = copy.deepcopy(stored["metadata"]["managedFields"])
    spec = entries[0]["fieldsV1"]["f:spec"]
    assert spec["f:selector"] == {}   # atomic: owned as a whole
    spec["f:selector"] = {"f:matchLabels": {"f:k8s-app": {}, ".": {}}}
    stored = with_fields(stored, entries)
    new = copy.deepcopy(stored)
    new["spec"]["selector"]["matchLabels"]["tier"] = "node"
    got = fast(stored, new, "kube-controller-manager", "DaemonSet", T1, api_version="apps/v1")
    assert [e["manager"] for e in got] == ["kubelet", "kube-controller-manager"]   # re-stamped: now last
    assert got[1]["fieldsV1"]["f:spec"]["f:selector"] == {"f:matchLabels": {"f:k8s-app": {}, ".": {}}, ".": {}}
    assert text(got) == text(slow(stored, new, "kube-controller-manager", "DaemonSet", T1, api_version="apps/v1"))


def test_memoised_key_texts_keep_80_and_80_0_apart() -> None:
    """serialize-pe.go writes the value as given: the memo of key texts must not answer a
    float key with the text of the equal int key (or the reverse)."""
    from k8score.apiserver.fieldmanager.fieldpath import key, serialize_pe
    assert serialize_pe(key({"containerPort": 80})) == 'k:{"containerPort":80}'
    assert serialize_pe(key({"containerPort": 80.0})) == 'k:{"containerPort":80.0}'
    assert serialize_pe(key({"containerPort": 80})) == 'k:{"containerPort":80}'
