"""managedFields fast path, the cases by hand: a Lease renewal's re-stamp and re-sort, the no-op,
fall-backs to the full computation (another manager loses a field, tampered entries, a float in
a key), the 11th updater merged into ``ancient-changes``, and memoised key texts.
Upstream: k8s.io/apimachinery/pkg/util/managedfields/internal/ (managedfieldsupdater.go,
managedfields.go sortEncodedManagedFields, capmanagers.go) and sigs.k8s.io/structured-merge-diff
merge/update.go; the property tests are in tests/test_fieldmanager_fastpath.py.
"""

from __future__ import annotations

import copy

from k8score.api.schema import schema_for
from k8score.apiserver.fieldmanager import update_managed_fields
from k8score.apiserver.fieldmanager.apply import default_reset_fields
from k8score.apiserver.fieldmanager.fastpath import canonical, reuse

from tests.fieldmanager_helpers import T0, T1, T2, fast, slow, text, tracked, with_fields


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
