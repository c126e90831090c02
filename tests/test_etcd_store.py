"""etcd v3 MVCC store: revisions, ranges, txns and compaction behave as etcd does."""

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from k8score.etcd import (Compare, EtcdError, KeyValue, OpDelete, OpGet, OpPut, OpTxn, Store,
                          prefix_end)

COMPACTED = "etcdserver: mvcc: required revision has been compacted"
FUTURE = "etcdserver: mvcc: required revision is a future revision"


def kv_tuple(kv):
    return (kv.key, kv.value, kv.create_revision, kv.mod_revision, kv.version)


# -- revisions ---------------------------------------------------------------------
def test_fresh_store_is_at_revision_1_and_first_put_makes_2():
    s = Store()
    assert s.revision == 1
    assert s.put("foo", "bar").header.revision == 2
    assert kv_tuple(s.range("foo").kvs[0]) == ("foo", "bar", 2, 2, 1)


def test_put_of_same_value_still_bumps_revision_and_version():
    s = Store()
    s.put("foo", "bar")
    r = s.put("foo", "bar", prev_kv=True)
    assert r.header.revision == 3
    assert kv_tuple(r.prev_kv) == ("foo", "bar", 2, 2, 1)
    assert kv_tuple(s.range("foo").kvs[0]) == ("foo", "bar", 2, 3, 2)


def test_deleting_a_missing_key_does_not_bump():
    s = Store()
    s.put("a", "1")
    r = s.delete_range("nope")
    assert (r.deleted, r.header.revision, s.revision) == (0, 2, 2)


def test_recreated_key_starts_over_at_version_1():
    s = Store()
    s.put("k", "1")
    s.put("k", "2")
    s.delete_range("k")
    s.put("k", "3")
    assert kv_tuple(s.range("k").kvs[0]) == ("k", "3", 5, 5, 1)


def test_multi_key_delete_is_one_revision():
    s = Store()
    for k in ("p/a", "p/b", "p/c", "q"):
        s.put(k, k)
    r = s.delete_range("p/", prefix_end("p/"), prev_kv=True)
    assert r.deleted == 3 and r.header.revision == 6 and s.revision == 6
    assert [kv.key for kv in r.prev_kvs] == ["p/a", "p/b", "p/c"]
    assert s.range("p/", prefix_end("p/"), revision=5).count == 3
    assert s.range("p/", prefix_end("p/")).count == 0


def test_empty_key_is_rejected():
    s = Store()
    for call in (lambda: s.put("", "v"), lambda: s.range(""), lambda: s.delete_range("")):
        with pytest.raises(EtcdError, match="etcdserver: key is not provided"):
            call()


# -- ranges ------------------------------------------------------------------------
@pytest.fixture
def abc():
    s = Store()
    for k in ("a", "ab", "abc", "b", "c"):
        s.put(k, k.upper())       # revisions 2..6
    return s


def test_range_end_is_exclusive_and_sorted(abc):
    r = abc.range("a", "b")
    assert [kv.key for kv in r.kvs] == ["a", "ab", "abc"] and r.count == 3


def test_prefix_range(abc):
    assert [kv.key for kv in abc.range("ab", prefix_end("ab")).kvs] == ["ab", "abc"]
    assert prefix_end("ab") == "ac"
    assert prefix_end("a\U0010ffff") == "b"
    assert prefix_end("") == "\0"


def test_range_end_nul_means_every_key_from(abc):
    assert [kv.key for kv in abc.range("ab", "\0").kvs] == ["ab", "abc", "b", "c"]
    assert abc.range("\0", "\0").count == 5


def test_limit_sets_more_and_count_stays_total(abc):
    r = abc.range("a", "\0", limit=2)
    assert [kv.key for kv in r.kvs] == ["a", "ab"]
    assert r.count == 5 and r.more is True
    r = abc.range("a", "\0", limit=5)
    assert r.more is False and len(r.kvs) == 5


def test_count_only_and_keys_only(abc):
    r = abc.range("a", "\0", count_only=True)
    assert r.kvs == [] and r.count == 5 and r.more is False
    r = abc.range("a", "b", keys_only=True)
    assert [(kv.key, kv.value, kv.mod_revision) for kv in r.kvs] == \
        [("a", "", 2), ("ab", "", 3), ("abc", "", 4)]


def test_read_at_past_revision_header_is_current(abc):
    abc.put("a", "new")
    abc.delete_range("b")
    r = abc.range("a", "\0", revision=4)
    assert [kv.key for kv in r.kvs] == ["a", "ab", "abc"]
    assert r.kvs[0].value == "A"
    assert r.header.revision == 8
    assert [kv.key for kv in abc.range("a", "\0", revision=7).kvs] == ["a", "ab", "abc", "b", "c"]
    assert abc.range("b", revision=8).kvs == []


def test_future_revision_is_an_error(abc):
    with pytest.raises(EtcdError) as e:
        abc.range("a", revision=7)
    assert str(e.value) == FUTURE


def test_sorting(abc):
    abc.put("a", "Z")
    r = abc.range("a", "\0", sort_order="descend", sort_target="mod", limit=2)
    assert [kv.key for kv in r.kvs] == ["a", "c"] and r.more and r.count == 5
    r = abc.range("a", "\0", sort_target="value")
    assert [kv.value for kv in r.kvs] == ["AB", "ABC", "B", "C", "Z"]


# -- leases on put -------------------------------------------------------------------
def test_put_with_unknown_lease_fails_and_changes_nothing():
    s = Store()
    with pytest.raises(EtcdError, match="etcdserver: requested lease not found"):
        s.put("k", "v", lease=12345)
    assert s.revision == 1 and s.range("k").count == 0


def test_ignore_value_and_ignore_lease():
    s = Store()
    lid = s.lease_grant(60).id
    s.put("k", "v", lease=lid)
    s.put("k", "", ignore_value=True)
    kv = s.range("k").kvs[0]
    assert (kv.value, kv.lease, kv.version) == ("v", 0, 2)
    s.put("k", "w", lease=lid)
    s.put("k", "x", ignore_lease=True)
    assert s.range("k").kvs[0].lease == lid
    with pytest.raises(EtcdError, match="etcdserver: key not found"):
        s.put("missing", "", ignore_value=True)


# -- txn ---------------------------------------------------------------------------
def test_txn_success_branch_writes_share_one_revision():
    s = Store()
    s.put("x", "1")
    r = s.txn([Compare.value_("x", "=", "1")],
              [OpPut("y", "2"), OpPut("z", "3"), OpGet("y", "\0")],
              [OpPut("fail", "1")])
    assert r.succeeded and r.header.revision == 3 and s.revision == 3
    assert [kv_tuple(kv) for kv in r.responses[2].kvs] == [("y", "2", 3, 3, 1),
                                                           ("z", "3", 3, 3, 1)]
    assert r.responses[0].header.revision == 3
    assert s.range("fail").count == 0


def test_txn_failure_branch_and_read_only_txns_do_not_bump():
    s = Store()
    s.put("x", "1")
    r = s.txn([Compare.value_("x", "=", "2")], [OpPut("y", "2")], [OpGet("x")])
    assert not r.succeeded and r.header.revision == 2 and s.revision == 2
    assert r.responses[0].kvs[0].value == "1"
    r = s.txn([Compare.version("x", ">", 5)], [OpPut("y", "1")], [])
    assert not r.succeeded and r.responses == [] and s.revision == 2
    # a delete that matches nothing is not a write either
    r = s.txn([], [OpDelete("nothing")], [])
    assert r.succeeded and s.revision == 2 and r.responses[0].deleted == 0


@pytest.mark.parametrize("target,result,operand,expect", [
    ("version", "=", 0, True), ("create", "=", 0, True), ("mod", "=", 0, True),
    ("lease", "=", 0, True), ("value", "=", "", False), ("value", "!=", "x", False),
    ("version", "<", 1, True), ("mod", ">", 0, False),
])
def test_compare_on_missing_key(target, result, operand, expect):
    s = Store()
    r = s.txn([Compare("missing", target, result, operand)], [OpPut("hit", "1")], [])
    assert r.succeeded is expect


@pytest.mark.parametrize("target,result,operand,expect", [
    ("value", "=", "v2", True), ("value", "<", "v3", True), ("value", ">", "v3", False),
    ("version", "=", 2, True), ("version", "!=", 2, False), ("create", "=", 2, True),
    ("mod", "=", 3, True), ("mod", "<", 3, False), ("mod", ">", 2, True),
])
def test_compare_on_existing_key(target, result, operand, expect):
    s = Store()
    s.put("k", "v1")
    s.put("k", "v2")
    r = s.txn([Compare("k", target, result, operand)], [OpPut("hit", "1")], [])
    assert r.succeeded is expect


def test_compare_over_a_range_needs_every_key():
    s = Store()
    s.put("p/a", "1")
    s.put("p/b", "2")
    assert s.txn([Compare.version("p/", ">", 0, range_end=prefix_end("p/"))], [], []).succeeded
    assert not s.txn([Compare.value_("p/", "=", "1", range_end=prefix_end("p/"))], [], []).succeeded
    assert s.txn([Compare.version("q/", "=", 0, range_end=prefix_end("q/"))], [], []).succeeded


def test_nested_txn_and_duplicate_keys():
    s = Store()
    r = s.txn([], [OpPut("a", "1"), OpTxn([Compare.version("b", "=", 0)], [OpPut("b", "2")],
                                         [])], [])
    assert r.succeeded and r.responses[1].succeeded and s.revision == 2
    assert s.range("b").kvs[0].mod_revision == 2
    for ops in ([OpPut("a", "1"), OpPut("a", "2")],
                [OpDelete("a", "b"), OpPut("a", "1")],
                [OpPut("a", "1"), OpTxn([], [OpPut("a", "2")], [])]):
        with pytest.raises(EtcdError, match="etcdserver: duplicate key given in txn request"):
            s.txn([], ops, [])
    assert s.revision == 2
    with pytest.raises(EtcdError, match="too many operations"):
        s.txn([], [OpPut(f"k{i}", "v") for i in range(129)], [])


def test_txn_checks_leases_and_read_revisions_before_applying():
    s = Store()
    with pytest.raises(EtcdError, match="requested lease not found"):
        s.txn([], [OpPut("a", "1"), OpPut("b", "2", lease=99)], [])
    with pytest.raises(EtcdError, match="future revision"):
        s.txn([], [OpPut("a", "1"), OpGet("a", revision=5)], [])
    assert s.revision == 1 and s.range("a").count == 0


def test_txn_reads_see_earlier_writes_of_the_same_txn():
    s = Store()
    s.put("a", "old")
    r = s.txn([], [OpGet("a"), OpPut("a", "new"), OpGet("a"), OpGet("a", revision=2)], [])
    assert [x.kvs[0].value for x in (r.responses[0], r.responses[2], r.responses[3])] == \
        ["old", "new", "old"]
    assert r.responses[0].header.revision == 2 and r.responses[2].header.revision == 3


# -- compaction ----------------------------------------------------------------------
def test_compaction_keeps_latest_versions_and_rejects_older_reads():
    s = Store()
    s.put("a", "1")      # 2
    s.put("a", "2")      # 3
    s.put("b", "1")      # 4
    s.delete_range("b")  # 5
    s.put("c", "1")      # 6
    assert s.compact(5).header.revision == 6
    assert s.compact_revision == 5
    assert kv_tuple(s.range("a", revision=5).kvs[0]) == ("a", "2", 2, 3, 2)
    assert s.range("b", revision=5).kvs == []
    assert [kv.key for kv in s.range("a", "\0", revision=5).kvs] == ["a"]
    for bad in (4, 2, 1):
        with pytest.raises(EtcdError) as e:
            s.range("a", revision=bad)
        assert str(e.value) == COMPACTED
    s.put("a", "3")
    assert s.range("a").kvs[0].version == 3


def test_compaction_errors():
    s = Store()
    s.compact(0)                # etcd starts below any revision: compacting 0 is allowed once
    with pytest.raises(EtcdError) as e:
        s.compact(0)
    assert str(e.value) == COMPACTED
    s.put("a", "1")
    s.compact(2)
    for rev, msg in ((2, COMPACTED), (1, COMPACTED), (3, FUTURE)):
        with pytest.raises(EtcdError) as e:
            s.compact(rev)
        assert str(e.value) == msg


def test_compaction_drops_history_memory():
    s = Store()
    for i in range(100):
        s.put("k", str(i))
    s.delete_range("k")
    s.compact(s.revision)         # the tombstone at the compaction revision is kept...
    assert [kv.version for kv in s._hist["k"]] == [0]
    s.put("other", "x")
    s.compact(s.revision)         # ...until a later compaction passes it
    assert "k" not in s._hist and s._all_keys == ["other"]


# -- model-based -------------------------------------------------------------------
KEYS = st.sampled_from(["a", "ab", "abc", "b", "ba", "c"])
VALUES = st.sampled_from(["", "x", "y", "zz"])


class Model:
    """A dict-of-histories: every revision's changes, replayed on demand."""

    def __init__(self):
        self.rev = 1
        self.log = {}          # rev -> [(key, value or None)]
        self.compacted = 0

    def state_at(self, rev):
        state = {}
        for r in range(2, rev + 1):
            for key, value in self.log.get(r, []):
                if value is None:
                    state.pop(key, None)
                elif key in state:
                    v, create, _mod, ver = state[key]
                    state[key] = (value, create, r, ver + 1)
                else:
                    state[key] = (value, r, r, 1)
        return state

    def write(self, changes):
        if changes:
            self.rev += 1
            self.log[self.rev] = changes


class StoreVsModel(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.s = Store()
        self.m = Model()

    @rule(key=KEYS, value=VALUES)
    def put(self, key, value):
        r = self.s.put(key, value, prev_kv=True)
        before = self.m.state_at(self.m.rev).get(key)
        self.m.write([(key, value)])
        assert r.header.revision == self.m.rev
        assert (r.prev_kv is None) == (before is None)

    @rule(key=KEYS, prefix=st.booleans())
    def delete(self, key, prefix):
        state = self.m.state_at(self.m.rev)
        end = prefix_end(key) if prefix else None
        gone = sorted(k for k in state if (k.startswith(key) if prefix else k == key))
        r = self.s.delete_range(key, end)
        self.m.write([(k, None) for k in gone])
        assert r.deleted == len(gone) and r.header.revision == self.m.rev

    @rule(keys=st.lists(KEYS, min_size=1, max_size=3, unique=True), value=VALUES)
    def txn_puts(self, keys, value):
        r = self.s.txn([], [OpPut(k, value) for k in keys], [])
        self.m.write([(k, value) for k in keys])
        assert r.header.revision == self.m.rev

    @rule(data=st.data())
    @precondition(lambda self: self.m.rev > 1)
    def compact(self, data):
        rev = data.draw(st.integers(1, self.m.rev))
        if rev <= self.m.compacted:
            with pytest.raises(EtcdError, match="compacted"):
                self.s.compact(rev)
            return
        self.s.compact(rev)
        self.m.compacted = rev

    @rule(data=st.data(), key=KEYS, mode=st.sampled_from(["one", "prefix", "all"]),
          limit=st.integers(0, 3))
    def read(self, data, key, mode, limit):
        rev = data.draw(st.integers(1, self.m.rev + 1))
        end = {"one": None, "prefix": prefix_end(key), "all": "\0"}[mode]
        if rev > self.m.rev:
            with pytest.raises(EtcdError, match="future"):
                self.s.range(key, end, revision=rev)
            return
        if rev < self.m.compacted:
            with pytest.raises(EtcdError, match="compacted"):
                self.s.range(key, end, revision=rev)
            return
        state = self.m.state_at(rev)
        want = sorted(
            (k, v[0], v[1], v[2], v[3]) for k, v in state.items()
            if (k == key if mode == "one" else k.startswith(key) if mode == "prefix"
                else k >= key))
        r = self.s.range(key, end, revision=rev, limit=limit)
        got = [kv_tuple(kv) for kv in r.kvs]
        assert r.count == len(want)
        assert got == (want[:limit] if limit else want)
        assert r.more == (0 < limit < len(want))
        assert r.header.revision == self.m.rev

    @invariant()
    def revision_matches(self):
        assert self.s.revision == self.m.rev
        assert self.s.compact_revision == self.m.compacted


TestStoreVsModel = StoreVsModel.TestCase
TestStoreVsModel.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)


def test_keyvalue_is_a_value():
    assert KeyValue("k", "v", 2, 3, 2) == KeyValue("k", "v", 2, 3, 2)
    assert KeyValue("k", "v", 2, 3, 2) != KeyValue("k", "v", 2, 4, 2)
