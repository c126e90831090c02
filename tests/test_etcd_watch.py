"""etcd watch: ordered, unique, reliable, atomic, resumable — live and replayed."""

from hypothesis import given, settings
from hypothesis import strategies as st

from k8score.etcd import OpDelete, OpPut, Store, prefix_end


def events(resps):
    """Flatten responses to (revision, type, key, value) tuples."""
    return [(e.kv.mod_revision, e.type, e.kv.key, e.kv.value) for r in resps for e in r.events]


def test_live_prefix_watch_sees_only_its_prefix():
    s = Store()
    got = []
    s.watch("/registry/pods/", prefix_end("/registry/pods/"), callback=got.append)
    s.put("/registry/pods/default/a", "1")
    s.put("/registry/nodes/n1", "x")
    s.put("/registry/pods/default/a", "2")
    s.delete_range("/registry/pods/default/a")
    assert events(got) == [(2, "PUT", "/registry/pods/default/a", "1"),
                           (4, "PUT", "/registry/pods/default/a", "2"),
                           (5, "DELETE", "/registry/pods/default/a", "")]
    d = got[-1].events[0].kv
    assert (d.mod_revision, d.create_revision, d.version) == (5, 0, 0)


def test_key_and_range_watches():
    s = Store()
    one, rng, frm = [], [], []
    s.watch("b", callback=one.append)
    s.watch("b", "d", callback=rng.append)
    s.watch("c", "\0", callback=frm.append)
    for k in ("a", "b", "bb", "c", "d", "e"):
        s.put(k, k)
    assert [e[2] for e in events(one)] == ["b"]
    assert [e[2] for e in events(rng)] == ["b", "bb", "c"]
    assert [e[2] for e in events(frm)] == ["c", "d", "e"]


def test_start_revision_replays_history_then_goes_live():
    s = Store()
    s.put("k", "1")
    s.put("k", "2")
    s.put("other", "x")
    got = []
    w = s.watch("k", start_revision=2, callback=got.append)
    # history comes as one catch-up response stamped with the current revision...
    assert events(got) == [(2, "PUT", "k", "1"), (3, "PUT", "k", "2")]
    assert [r.header.revision for r in got] == [4]
    # ...then one response per new revision
    s.put("k", "3")
    assert events(got)[-1] == (5, "PUT", "k", "3") and got[-1].header.revision == 5
    w.cancel()
    s.put("k", "4")
    assert len(got) == 2


def test_prev_kv_live_and_replayed():
    s = Store()
    s.put("k", "1")
    s.put("k", "2")
    s.delete_range("k")
    for start in (0, 2):
        got = []
        s.watch("k", start_revision=start, prev_kv=True, callback=got.append)
        if start == 0:
            s.put("k", "again")
            s.put("k", "more")
        prevs = [(e.type, e.prev_kv.value if e.prev_kv else None) for r in got for e in r.events]
        if start == 0:
            assert prevs == [("PUT", None), ("PUT", "again")]
        else:
            assert prevs[:3] == [("PUT", None), ("PUT", "1"), ("DELETE", "2")]


def test_filters():
    s = Store()
    noput, nodel = [], []
    s.watch("k", filters=("noput",), callback=noput.append)
    s.watch("k", filters=("nodelete",), callback=nodel.append)
    s.put("k", "1")
    s.delete_range("k")
    assert [e[1] for e in events(noput)] == ["DELETE"]
    assert [e[1] for e in events(nodel)] == ["PUT"]


def test_atomic_one_response_per_revision():
    s = Store()
    got = []
    s.watch("p/", prefix_end("p/"), callback=got.append)
    s.txn([], [OpPut("p/a", "1"), OpPut("p/b", "2"), OpPut("q", "3")], [])
    s.delete_range("p/", prefix_end("p/"))
    assert len(got) == 2
    assert [(e.type, e.kv.key) for e in got[0].events] == [("PUT", "p/a"), ("PUT", "p/b")]
    assert [(e.type, e.kv.key) for e in got[1].events] == [("DELETE", "p/a"), ("DELETE", "p/b")]
    assert {e.kv.mod_revision for e in got[1].events} == {3}


def test_resumable_from_last_seen_plus_one():
    s = Store()
    first = []
    w = s.watch("k", callback=first.append)
    for i in range(3):
        s.put("k", str(i))
    w.cancel()
    s.put("k", "missed-1")
    s.put("k", "missed-2")
    rest = []
    s.watch("k", start_revision=first[-1].header.revision + 1, callback=rest.append)
    assert [e[3] for e in events(first) + events(rest)] == ["0", "1", "2", "missed-1", "missed-2"]


def test_watch_below_compaction_is_canceled_with_compact_revision():
    s = Store()
    for i in range(5):
        s.put("k", str(i))
    s.compact(4)
    got = []
    w = s.watch("k", start_revision=3, callback=got.append)
    assert len(got) == 1
    assert got[0].canceled and got[0].compact_revision == 4 and got[0].events == []
    s.put("k", "later")
    assert len(got) == 1 and w.canceled
    # from the compaction revision itself is still fine (its put survives)
    ok = []
    s.watch("k", start_revision=4, callback=ok.append)
    assert [e[0] for e in events(ok)] == [4, 5, 6, 7]


def test_a_delete_at_the_compaction_revision_is_still_replayed():
    s = Store()
    s.put("k", "v")
    s.delete_range("k")          # revision 3
    s.compact(3)
    got = []
    s.watch("k", start_revision=3, prev_kv=True, callback=got.append)
    assert events(got) == [(3, "DELETE", "k", "")]
    assert got[0].events[0].prev_kv is None   # revision 2 is compacted
    s.put("other", "x")
    s.compact(4)                  # now the tombstone is below the compaction point
    assert "k" not in s._hist


def test_progress_notify_only_to_watchers_that_asked():
    s = Store()
    s.put("a", "1")
    asked, silent = [], []
    s.watch("z", progress_notify=True, callback=asked.append)
    s.watch("z", callback=silent.append)
    s.put("b", "2")
    s.progress()
    assert silent == []
    assert len(asked) == 1 and asked[0].events == [] and asked[0].header.revision == 3
    assert asked[0].is_progress_notify


def test_a_write_from_inside_a_callback_is_delivered_after_the_current_revision():
    s = Store()
    order = []

    def first(resp):
        order.append(("first", resp.header.revision))
        if resp.header.revision == 2:
            s.put("k", "from-callback")

    s.watch("k", callback=first)
    s.watch("k", callback=lambda r: order.append(("second", r.header.revision)))
    s.put("k", "v")
    assert order == [("first", 2), ("second", 2), ("first", 3), ("second", 3)]


def test_watch_created_inside_a_callback_gets_no_duplicates():
    s = Store()
    late = []

    def cb(resp):
        if resp.header.revision == 2:
            s.put("k", "b")                   # revision 3, queued
            s.watch("k", start_revision=2, callback=late.append)

    s.watch("k", callback=cb)
    s.put("k", "a")
    s.put("k", "c")
    assert [e[0] for e in events(late)] == [2, 3, 4]


# -- model-based: replay from any revision is exactly the history -------------------
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.sampled_from(["a", "ab", "b", "c"]),
                  st.sampled_from(["1", "2"])),
        st.tuples(st.just("del"), st.sampled_from(["a", "b"]), st.booleans()),
        st.tuples(st.just("txn"), st.sampled_from(["a", "b"]), st.sampled_from(["ab", "c"])),
    ), min_size=1, max_size=25)


def apply(s, model, op):
    """Apply ``op`` to the store and append the expected per-revision events to model."""
    live = {kv.key: kv.value for kv in s.range("\0", "\0").kvs}
    kind = op[0]
    if kind == "put":
        s.put(op[1], op[2])
        model.append([("PUT", op[1], op[2])])
    elif kind == "del":
        key, prefix = op[1], op[2]
        gone = sorted(k for k in live if (k.startswith(key) if prefix else k == key))
        s.delete_range(key, prefix_end(key) if prefix else None)
        if gone:
            model.append([("DELETE", k, "") for k in gone])
    else:
        s.txn([], [OpDelete(op[1]), OpPut(op[2], "t")], [])
        evs = [("DELETE", op[1], "")] if op[1] in live else []
        model.append(evs + [("PUT", op[2], "t")])


@settings(max_examples=150, deadline=None)
@given(ops=OPS, data=st.data())
def test_replay_from_any_revision_matches_model(ops, data):
    s = Store()
    model = []          # model[i] = events of revision i + 2
    live_all = []
    s.watch("\0", "\0", callback=live_all.append)
    for op in ops:
        apply(s, model, op)
    expected = [(i + 2, t, k, v) for i, evs in enumerate(model) for t, k, v in evs]
    assert events(live_all) == expected
    start = data.draw(st.integers(1, s.revision + 1))
    prefix = data.draw(st.sampled_from(["", "a", "b"]))
    got = []
    if prefix:
        s.watch(prefix, prefix_end(prefix), start_revision=start, callback=got.append)
    else:
        s.watch("\0", "\0", start_revision=start, callback=got.append)
    want = [e for e in expected if e[0] >= start and e[2].startswith(prefix)]
    assert events(got) == want
    # replay is one catch-up response (fewer than 1000 revisions) at the current revision
    assert [r.header.revision for r in got] == ([s.revision] if want else [])


@settings(max_examples=80, deadline=None)
@given(ops=OPS, data=st.data())
def test_replay_after_compaction_matches_model(ops, data):
    s = Store()
    model = []
    for op in ops:
        apply(s, model, op)
    if s.revision < 2:
        return
    compact_at = data.draw(st.integers(2, s.revision))
    s.compact(compact_at)
    start = data.draw(st.integers(1, s.revision))
    got = []
    s.watch("\0", "\0", start_revision=start, callback=got.append)
    if start < compact_at:
        assert len(got) == 1 and got[0].canceled and got[0].compact_revision == compact_at
        return
    expected = [(i + 2, t, k, v) for i, evs in enumerate(model) for t, k, v in evs]
    # every change from the compaction revision on survives, deletions at it included
    # (etcd 3.5.16+ keeps the tombstone at the compaction revision)
    want = [e for e in expected if e[0] >= start]
    assert events(got) == want


@settings(max_examples=80, deadline=None)
@given(puts=st.lists(st.sampled_from(["a1", "a2", "b1"]), min_size=1, max_size=15),
       echo_budget=st.integers(0, 6), late_start=st.integers(1, 8))
def test_writes_and_watches_from_callbacks_keep_every_stream_exact(puts, echo_budget,
                                                                   late_start):
    """Callbacks that write and open watches never reorder, drop or repeat revisions."""
    s = Store()
    budget = [echo_budget]
    streams = {}

    def echo(resp):
        # write back into the store from inside a delivery, a few times
        if budget[0] > 0:
            budget[0] -= 1
            s.put("b-echo", str(resp.header.revision))
        if resp.header.revision == late_start and "late" not in streams:
            streams["late"] = []
            s.watch("\0", "\0", start_revision=2, callback=streams["late"].append)

    streams["a"] = []
    streams["all"] = []
    s.watch("a", prefix_end("a"), callback=streams["a"].append)
    s.watch("a", prefix_end("a"), callback=echo)
    s.watch("\0", "\0", callback=streams["all"].append)
    for k in puts:
        s.put(k, "v")
    # the truth: every revision's change, read back from the store's history
    log = []
    for rev in range(2, s.revision + 1):
        kvs = [kv for kv in s.range("\0", "\0", revision=rev).kvs if kv.mod_revision == rev]
        log.extend((rev, "PUT", kv.key, kv.value) for kv in kvs)
    assert events(streams["all"]) == log
    assert events(streams["a"]) == [e for e in log if e[2].startswith("a")]
    if "late" in streams:
        assert events(streams["late"]) == log


def test_long_replay_comes_in_batches_of_1000_revisions():
    s = Store()
    for i in range(2500):
        s.put(f"k{i % 7}", str(i))
    s.put("other", "x")
    got = []
    s.watch("k", prefix_end("k"), start_revision=2, callback=got.append)
    assert [len(r.events) for r in got] == [1000, 1000, 500]
    assert {r.header.revision for r in got} == {s.revision}
    assert [e[0] for e in events(got)] == list(range(2, 2502))
