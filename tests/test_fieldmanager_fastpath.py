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
- (the re-stamp, the no-op and the fall-backs by hand: tests/test_fieldmanager_fastpath_cases.py).
"""

from __future__ import annotations

import copy
import importlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k8score.api.schema import schema_for
from k8score.apiserver.fieldmanager import Set, from_fields_v1, to_fields_v1, update_managed_fields
from k8score.apiserver.fieldmanager.apply import _full_update, default_reset_fields

from tests.fieldmanager_helpers import OBJECTS, T0, T1, T2, fast, slow, text, tracked, with_fields


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
