"""The robustness checks on hand-made histories: each one must accept the right history and
reject the broken one (the checker can fail).

Upstream: etcd tests/robustness/model (deterministic.go: the KV model; non_deterministic.go:
failed requests fork the state), tests/robustness/validate/watch.go (ordered, unique,
atomic, bookmarkable, reliable, resumable), validate/patch_history.go, and porcupine's
checker.go (Wing & Gong search with memoization).
"""

from k8score.etcd.robustness import linearizability, watch
from k8score.etcd.robustness.history import History, WatchRecord
from k8score.etcd.robustness.model import KVModel
from k8score.etcd.robustness.patch import patch

KEYS = ["key/0", "key/1"]
MODEL = KVModel(KEYS)


def hist(*ops):
    h = History()
    for req, resp in ops:
        h.record(0, req, resp, 0.0, "" if resp is not None else "etcdserver: request timed out")
    return h


def test_a_sequential_history_of_every_request_kind_is_linearizable():
    h = hist((("put", "key/0", "a"), (2,)),
             (("range", "key/0"), (2, ("a", 2, 2, 1))),
             (("cas", "key/0", 2, "b"), (True, 3, None)),
             (("cas", "key/0", 2, "c"), (False, 3, ("b", 3, 2, 2))),
             (("multi", (("key/0", "d"), ("key/1", "e"))), (4,)),
             (("list",), (4, (("key/0", "d", 4), ("key/1", "e", 4)))),
             (("delete", "key/1"), (1, 5)),
             (("delete", "key/1"), (0, 5)))          # deleting nothing keeps the revision
    res = linearizability.check(MODEL, h.ops)
    assert res.ok is True and [op.id for op in res.order] == list(range(8))


def test_a_stale_read_and_a_wrong_revision_are_not_linearizable():
    stale = hist((("put", "key/0", "a"), (2,)), (("put", "key/0", "b"), (3,)),
                 (("range", "key/0"), (3, ("a", 2, 2, 1))))
    res = linearizability.check(MODEL, stale.ops)
    assert res.ok is False and res.stuck is stale.ops[2]
    skipped = hist((("put", "key/0", "a"), (2,)), (("put", "key/1", "b"), (4,)))
    assert linearizability.check(MODEL, skipped.ops).ok is False


def test_an_unknown_write_may_or_may_not_have_happened_but_only_after_its_call():
    for seen in (("range", "key/0"), (3, ("a", 2, 2, 1))), (("range", "key/0"), (2, None)):
        h = hist((("put", "key/0", "a"), None), (("put", "key/1", "x"), None),
                 (("put", "key/1", "y"), (2,)) if seen[1][1] is None else (("put", "key/1", "y"), (3,)),
                 seen)
        assert linearizability.check(MODEL, h.ops).ok is True
    early = hist((("range", "key/0"), (2, ("a", 2, 2, 1))), (("put", "key/0", "a"), None))
    assert linearizability.check(MODEL, early.ops).ok is False


def test_the_search_bound_gives_inconclusive_never_ok():
    h = hist(*[(("put", f"key/{i % 2}", f"v{i}"), None) for i in range(12)],
             (("range", "key/0"), (99, None)))
    res = linearizability.check(MODEL, h.ops, max_states=50)
    assert res.ok is None and res.states == 50


def test_minimize_keeps_the_stale_read_and_drops_unrelated_reads():
    h = hist((("put", "key/0", "a"), (2,)), (("range", "key/1"), (2, None)),
             (("put", "key/0", "b"), (3,)), (("list",), (3, (("key/0", "b", 3),))),
             (("range", "key/0"), (3, ("a", 2, 2, 1))))
    res = linearizability.check(MODEL, h.ops)
    small = linearizability.minimize(MODEL, h.ops, res)
    assert [op.id for op in small] == [0, 2, 4]


def test_patch_settles_unknown_writes_from_complete_watches():
    h = hist((("put", "key/0", "a"), (2,)), (("put", "key/0", "lost"), None),
             (("put", "key/1", "kept"), None), (("delete", "key/1"), None))
    w = WatchRecord(0, 9, 1, "key/")
    w.responses = [(0, 2, (("PUT", "key/0", "a", 2),), False, 1),
                   (0, 3, (("PUT", "key/1", "kept", 3),), False, 4)]
    ops = patch(h.ops, [w], 3)
    assert [(op.id, op.resp) for op in ops] == [(0, (2,)), (2, ("persisted", 3))]
    assert ops[1].ret == 2 * 5 + 1.5                 # before the request after delivery returned
    assert linearizability.check(MODEL, ops).ok is True
    # a watch that missed revision 3 settles nothing: the unknown writes stay unknown
    assert [op.resp for op in patch(h.ops, [w], 4)][1:] == [None, ("persisted", 3), None]


def record(*responses, start=1):
    w = WatchRecord(0, 5, start, "key/")
    w.responses = [(0, hdr, tuple(evs), progress, 0) for hdr, evs, progress in responses]
    return w


def ev(key, value, rev, typ="PUT"):
    return (typ, key, value, rev)


def test_each_watch_guarantee_rejects_its_violation():
    good = record((2, [ev("key/0", "a", 2)], False), (3, [ev("key/0", "b", 3), ev("key/1", "c", 3)], False),
                  (3, [], True), (4, [ev("key/0", "", 4, "DELETE")], False))
    assert [f(good) for f in (watch.ordered, watch.unique, watch.atomic, watch.bookmarkable)] == [[]] * 4
    assert watch.ordered(record((3, [ev("key/0", "b", 3)], False), (3, [ev("key/0", "a", 2)], False)))[0] \
        .startswith("Ordered: watch #0 client 5 from revision 1 got revision 2 after 3")
    assert watch.unique(record((2, [ev("key/0", "a", 2)], False), (2, [ev("key/0", "a", 2)], False)))
    assert watch.atomic(record((3, [ev("key/0", "b", 3)], False), (3, [ev("key/1", "c", 3)], False)))[0] \
        .startswith("Atomic:")
    assert watch.bookmarkable(record((3, [], True), (3, [ev("key/0", "b", 3)], False)))[0] \
        .startswith("Bookmarkable:")
    history, _ = watch.merge([good])
    gap = record((2, [ev("key/0", "a", 2)], False), (4, [ev("key/0", "", 4, "DELETE")], False))
    assert watch.reliable(good, history) == [] and watch.reliable(gap, history)[0].startswith("Reliable:")
    late = record((4, [ev("key/0", "", 4, "DELETE")], False), start=3)
    assert watch.resumable(late, history)[0].startswith("Resumable: watch #0 client 5 from revision 3")
    assert watch.resumable(record((4, [ev("key/0", "", 4, "DELETE")], False), start=4), history) == []


def test_watches_are_held_against_the_kv_history():
    h = hist((("put", "key/0", "a"), (2,)), (("put", "key/0", "b"), (3,)))
    phantom = record((2, [ev("key/0", "a", 2)], False), (3, [ev("key/0", "zzz", 3)], False))
    out = watch.validate([phantom], h.ops)
    assert out == ["Watch event at revision 3 for key/0='zzz': no client wrote it",
                   "Acknowledged #1 t=0.000s client 0: ('put', 'key/0', 'b') -> (3,) is missing "
                   "from the watched history (revisions 2..3)"]
    other = record((2, [ev("key/0", "b", 2)], False))
    assert watch.merge([phantom, other])[1][0].startswith("Watches disagree about revision 2")
