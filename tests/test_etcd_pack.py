"""Superseded versions are held compressed; every read still returns the exact value.

Real etcd keeps history in bbolt on disk (server/storage/mvcc/kvstore.go), not in memory; here a
version is zlib-compressed once a newer one (or a delete) supersedes it (types.KeyValue.pack).
"""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from k8score.etcd import Store
from k8score.etcd.types import _PACK_MIN, KeyValue

VALUES = st.one_of(st.text(max_size=600), st.binary(max_size=600),
                   st.sampled_from(["\ud800 lone surrogate " * 20, json.dumps({"k": "é" * 300})]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), VALUES, st.booleans()), min_size=1, max_size=12))
def test_every_revision_reads_back_exactly_what_was_written(ops):
    s = Store()
    written = {}          # revision -> {key: value}
    state = {}
    for key, value, delete in ops:
        if delete and key in state:
            s.delete_range(key)
            del state[key]
        else:
            s.put(key, value)
            state[key] = value
        written[s.revision] = dict(state)
    for rev, want in written.items():
        got = {kv.key: kv.value for kv in s.range("a", "c", revision=rev).kvs}
        assert got == want
        assert all(type(got[k]) is type(want[k]) for k in want)


def test_only_superseded_versions_of_some_size_are_packed():
    s = Store()
    big = json.dumps({"spec": {"containers": [{"name": "c", "image": "nginx"}] * 40}})
    s.put("k", big)
    s.put("small", "x" * (_PACK_MIN - 1))
    live = s.range("k").kvs[0]
    assert type(live._value) is str                    # the live version: as written
    s.put("k", big + " ")
    s.put("small", "y")
    old = s.range("k", revision=2).kvs[0]
    assert type(old._value) is not str and len(old._value.data) < len(big) // 3
    assert old.value == big
    assert type(s.range("small", revision=3).kvs[0]._value) is str   # under 256 bytes
    s.delete_range("k")
    gone = s.range("k", revision=4).kvs[0]
    assert gone.value == big + " " and type(gone._value) is not str


def test_a_watch_from_history_and_prev_kv_see_the_exact_values():
    s = Store()
    v1, v2 = "v1" * 200, "v2" * 200
    s.put("k", v1)
    s.put("k", v2)
    s.delete_range("k")
    got = []
    s.watch("k", start_revision=2, prev_kv=True, callback=lambda r: got.extend(r.events))
    assert [(e.type, e.kv.value, e.prev_kv.value if e.prev_kv else None) for e in got] == [
        ("PUT", v1, None), ("PUT", v2, v1), ("DELETE", "", v2)]
    assert KeyValue("k", v1, 2, 2, 1) == s.range("k", revision=2).kvs[0]
