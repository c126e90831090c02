"""etcd leases: grant, attach, keep-alive, time-to-live, revoke and expiry on the owner's clock."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k8score.etcd import EtcdError, Store, prefix_end


def test_grant_ids_are_deterministic_per_seed_and_distinct():
    a, b, c = Store(seed=0), Store(seed=0), Store(seed=1)
    ids_a = [a.lease_grant(10).id for _ in range(3)]
    ids_b = [b.lease_grant(10).id for _ in range(3)]
    assert ids_a == ids_b
    assert len(set(ids_a)) == 3
    assert c.lease_grant(10).id not in ids_a
    assert all(0 < i < 2 ** 63 for i in ids_a)
    # etcd's ids start with the low 16 bits of the member id (8e9e05c52164694d)
    assert all(f"{i:016x}".startswith("694d") for i in ids_a)


def test_grant_with_explicit_id_and_minimum_ttl():
    s = Store()
    r = s.lease_grant(1, id=42)
    assert (r.id, r.ttl) == (42, 2)    # etcd raises TTLs below its minimum (2s)
    with pytest.raises(EtcdError, match="etcdserver: lease already exists"):
        s.lease_grant(10, id=42)
    with pytest.raises(EtcdError, match="etcdserver: too large lease TTL"):
        s.lease_grant(9_000_000_001)


def test_grant_does_not_bump_revision():
    s = Store()
    r = s.lease_grant(60)
    assert r.header.revision == 1 and s.revision == 1


def test_timetolive_counts_down_and_lists_keys():
    s = Store()
    lid = s.lease_grant(60).id
    s.put("b", "1", lease=lid)
    s.put("a", "2", lease=lid)
    r = s.lease_timetolive(lid, keys=True)
    assert (r.granted_ttl, r.ttl, r.keys) == (60, 59, ["a", "b"])
    s.advance(10.5)
    r = s.lease_timetolive(lid)
    assert (r.ttl, r.keys) == (49, [])
    missing = s.lease_timetolive(7)
    assert (missing.ttl, missing.granted_ttl) == (-1, 0)


def test_keepalive_resets_the_deadline():
    s = Store()
    lid = s.lease_grant(10).id
    s.put("k", "v", lease=lid)
    s.advance(9)
    assert s.lease_keepalive(lid).ttl == 10
    s.advance(18)
    assert s.range("k").count == 1
    s.advance(19)
    assert s.range("k").count == 0
    with pytest.raises(EtcdError, match="etcdserver: requested lease not found"):
        s.lease_keepalive(lid)


def test_revoke_deletes_all_keys_in_one_revision():
    s = Store()
    lid = s.lease_grant(60).id
    for k in ("p/c", "p/a", "p/b"):
        s.put(k, "v", lease=lid)
    s.put("p/z", "no lease")
    got = []
    s.watch("p/", prefix_end("p/"), callback=got.append)
    r = s.lease_revoke(lid)
    assert r.header.revision == 6 and s.revision == 6
    assert len(got) == 1
    assert [(e.type, e.kv.key) for e in got[0].events] == \
        [("DELETE", "p/a"), ("DELETE", "p/b"), ("DELETE", "p/c")]
    assert [kv.key for kv in s.range("p/", prefix_end("p/")).kvs] == ["p/z"]
    with pytest.raises(EtcdError, match="etcdserver: requested lease not found"):
        s.lease_revoke(lid)
    assert s.lease_leases().leases == []


def test_revoking_a_lease_without_keys_does_not_bump():
    s = Store()
    lid = s.lease_grant(60).id
    s.lease_revoke(lid)
    assert s.revision == 1


def test_key_moved_to_another_lease_or_none_is_detached():
    s = Store()
    l1, l2 = s.lease_grant(60).id, s.lease_grant(60).id
    s.put("k", "v", lease=l1)
    s.put("k", "v", lease=l2)
    assert s.lease_timetolive(l1, keys=True).keys == []
    s.lease_revoke(l1)
    assert s.range("k").kvs[0].lease == l2
    s.put("k", "v")
    s.lease_revoke(l2)
    assert s.range("k").count == 1


def test_expiry_revokes_each_lease_in_its_own_revision_earliest_first():
    s = Store()
    late = s.lease_grant(20).id
    early = s.lease_grant(10).id
    s.put("late", "v", lease=late)
    s.put("early", "v", lease=early)
    got = []
    s.watch("\0", "\0", callback=got.append)
    s.advance(5)
    assert got == []
    s.advance(30)
    assert [(r.header.revision, r.events[0].kv.key) for r in got] == [(4, "early"), (5, "late")]
    assert s.lease_leases().leases == []


def test_leases_list_in_grant_order():
    s = Store()
    ids = [s.lease_grant(t).id for t in (30, 10, 20)]
    assert s.lease_leases().leases == ids


@settings(max_examples=60, deadline=None)
@given(ttls=st.lists(st.integers(2, 30), min_size=1, max_size=5),
       steps=st.lists(st.floats(0, 12, allow_nan=False), min_size=1, max_size=8))
def test_a_key_lives_exactly_until_its_lease_deadline(ttls, steps):
    s = Store()
    ids = [s.lease_grant(t).id for t in ttls]
    for i, lid in enumerate(ids):
        s.put(f"k{i}", "v", lease=lid)
    now = 0.0
    for dt in steps:
        now += dt
        s.advance(now)
        for i, t in enumerate(ttls):
            assert (s.range(f"k{i}").count == 1) == (now < t)
            r = s.lease_timetolive(ids[i])
            if now < t:
                assert r.ttl == max(int(t - now - 0.001), 0)
            else:
                assert r.ttl == -1


def test_lease_ids_skip_one_per_request_like_etcds_request_id_generator():
    s = Store()
    a = s.lease_grant(60).id
    b = s.lease_grant(60).id          # a grant takes an id for the lease and one for raft
    s.put("k", "v")                   # raft request
    s.range("k")                      # linearizable read: a read-index request
    s.range("k", serializable=True)   # served locally: no id
    s.lease_timetolive(a)             # answered by the leader: no id
    c = s.lease_grant(60).id
    assert (b - a, c - b) == (2, 4)
