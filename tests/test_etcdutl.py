"""etcd's offline tool and the hash commands: ``etcdutl snapshot status|restore`` (etcdutl/
etcdutl/snapshot_command.go, printer*.go; etcdutl/snapshot/v3_snapshot.go Status, Restore;
revbump for --bump-revision), ``etcdctl endpoint hashkv`` (ep_command.go; server/storage/mvcc
hash.go HashByRev) and ``etcdctl member update`` (member_command.go; server.go
UpdateMember). The disaster-recovery drill restores a 3-member cluster behind the API
server. Output shapes are checked against the real binaries in tests/test_etcdutl_vs_real.py.
"""

import json

from k8score import Cluster
from k8score.etcd.cluster import EtcdCluster
from k8score.etcd.etcdctl import etcdctl
from k8score.etcd.etcdutl import etcdutl
from k8score.sim import Loop

EPS = ["https://192.168.0.10:2379", "https://192.168.0.11:2379", "https://192.168.0.12:2379"]
IC = ",".join(f"etcd-{i}=https://192.168.0.{9 + i}:2380" for i in (1, 2, 3))


def boot(seed=2):
    loop = Loop(seed=seed)
    ec = EtcdCluster(loop, members=3, seed=seed)
    ec.start()
    ec.wait_for_leader()
    loop.run(until=loop.now + 1.0)
    return loop, ec, ec.client()


def ctl(ec, line):
    return etcdctl(ec.client(), line, cluster=ec)


def restore_line(i, extra=""):
    return (f"snapshot restore snap.db --name etcd-{i} --initial-cluster {IC} "
            f"--initial-advertise-peer-urls https://192.168.0.{9 + i}:2380 --data-dir /var/lib/etcd {extra}")


def test_snapshot_status_in_every_format_and_a_second_snapshot():
    loop, ec, cli = boot()
    for k, v in (("a", "1"), ("b", "2"), ("a", "3")):
        cli.put(k, v)
    assert ctl(ec, "snapshot save snap.db") == "Snapshot saved at snap.db"
    st = json.loads(etcdutl(ec, "snapshot status snap.db -w json"))
    assert list(st) == ["hash", "revision", "totalKey", "totalSize"]
    # 3 versions in the key bucket + 3 members + meta/auth/cluster's 5 pairs
    assert (st["revision"], st["totalKey"], st["totalSize"]) == (4, 11, 20480)
    assert etcdutl(ec, "snapshot status snap.db") == f"{st['hash']:x}, 4, 11, 20 kB"
    assert etcdutl(ec, "snapshot status snap.db -w fields").split("\n") == [
        f'"Hash" : {st["hash"]}', '"Revision" : 4', '"Keys" : 11', '"Size" : 20480']
    tbl = etcdutl(ec, "etcdutl snapshot status snap.db -w table").split("\n")
    assert tbl[1] == "|   HASH   | REVISION | TOTAL KEYS | TOTAL SIZE |"
    assert tbl[3] == f"| {st['hash']:x} |        4 |         11 |      20 kB |"
    # the second snapshot: one more revision, a new hash; the first file is unchanged
    cli.delete_range("b")
    ctl(ec, "snapshot save snap2.db")
    st2 = json.loads(etcdutl(ec, "snapshot status snap2.db -w json"))
    assert (st2["revision"], st2["totalKey"]) == (5, 12) and st2["hash"] != st["hash"]
    assert json.loads(etcdutl(ec, "snapshot status snap.db -w json")) == st
    assert etcdutl(ec, "snapshot status nope.db") == "Error: stat nope.db: no such file or directory"
    assert etcdutl(ec, "snapshot status") == "Error: snapshot status requires exactly one argument"
    assert etcdutl(ec, "snapshot status snap.db -w yaml") == "Error: unsupported output format"
    assert etcdutl(ec, "snapshot save x.db").split("\n")[-1] == \
        "Error: In order to download snapshot use: `etcdctl snapshot save ...`"


def test_restore_refuses_bad_flags_and_a_data_dir_in_use():
    loop, ec, cli = boot()
    ctl(ec, "snapshot save snap.db")
    assert etcdutl(ec, "snapshot restore snap.db") == 'Error: required flag(s) "data-dir" not set'
    assert etcdutl(ec, "snapshot restore --data-dir d") == \
        "Error: snapshot restore requires exactly one argument"
    assert etcdutl(ec, "snapshot restore snap.db --data-dir d --name x --initial-cluster a=http://h:1") == \
        'Error: couldn\'t find local name "x" in the initial cluster configuration'
    assert etcdutl(ec, "snapshot restore snap.db --data-dir d --name a --initial-cluster a=http://h:1 "
                       "--initial-advertise-peer-urls http://h:2") == (
        'Error: --initial-cluster has a=http://h:1 but missing from --initial-advertise-peer-urls='
        'http://h:2 ("http://h:2"(resolved from "http://h:2") != "http://h:1"(resolved from "http://h:1"))')
    for flags in ("--mark-compacted", "--bump-revision 5"):
        assert etcdutl(ec, restore_line(1, flags)) == "Error: --mark-compacted required if --revision-bump > 0"
    # etcd-1 runs on /var/lib/etcd; stopped, its WAL is still there
    assert etcdutl(ec, restore_line(1)) == 'Error: data-dir "/var/lib/etcd" not empty or could not be read'
    ec.member("etcd-1").stop()
    assert etcdutl(ec, restore_line(1)).endswith('not empty or could not be read')
    ec.member("etcd-1").wipe()
    out = etcdutl(ec, restore_line(1).replace("snap.db", "gone.db")).split("\n")
    assert out[0].endswith('\trestoring snapshot\t{"path": "gone.db", "wal-dir": "/var/lib/etcd/member/wal", '
                           '"data-dir": "/var/lib/etcd", "snap-dir": "/var/lib/etcd/member/snap"}')
    assert out[1] == "Error: open gone.db: no such file or directory"
    assert not ec.member("etcd-1").has_data
    # another directory on that machine: written, not used; a second restore there is refused
    assert "restored snapshot" in etcdutl(ec, restore_line(1).replace("/var/lib/etcd", "/tmp/r"))
    assert etcdutl(ec, restore_line(1).replace("/var/lib/etcd", "/tmp/r")) == \
        'Error: data-dir "/tmp/r" not empty or could not be read'


def test_restore_ids_are_real_etcds_for_the_same_urls_and_token():
    """Ids are sha1 of peer URLs + token (membership/member.go): the values etcdutl 3.5.1
    printed for this command line; the records come in member-id order."""
    loop, ec, cli = boot()
    ctl(ec, "snapshot save s.db")
    out = etcdutl(ec, "snapshot restore s.db --name b --initial-cluster a=http://127.0.0.1:1,"
                      "b=http://127.0.0.1:2,c=http://127.0.0.1:3 --data-dir r7 "
                      "--initial-advertise-peer-urls http://127.0.0.1:2 --initial-cluster-token tok")
    lines = [ln.split("\t") for ln in out.split("\n")]
    assert [ln[0] for ln in lines] == [f"2026-01-01T00:00:{int(loop.now):02d}Z"] * 6
    assert [ln[2:4] for ln in lines] == [
        ["snapshot/v3_snapshot.go:251", "restoring snapshot"],
        ["membership/store.go:141", "Trimming membership information from the backend..."],
        ["membership/cluster.go:421", "added member"], ["membership/cluster.go:421", "added member"],
        ["membership/cluster.go:421", "added member"], ["snapshot/v3_snapshot.go:272", "restored snapshot"]]
    assert lines[2][4] == ('{"cluster-id": "e6b49e3f120a2cdb", "local-member-id": "0", "added-peer-id": '
                           '"b647f29678b82df", "added-peer-peer-urls": ["http://127.0.0.1:1"]}')
    assert [json.loads(ln[4])["added-peer-id"] for ln in lines[2:5]] == [
        "b647f29678b82df", "1b86cb6f4861f3fd", "d1dd0451a6b74da3"]


def test_bump_revision_and_mark_compacted():
    loop, ec, cli = boot()
    cli.put("a", "1")
    cli.put("a", "2")
    ctl(ec, "snapshot save snap.db")
    for m in ec.members:
        m.stop()
        m.wipe()
    for i in (1, 2, 3):
        out = etcdutl(ec, restore_line(i, "--bump-revision 1000 --mark-compacted")).split("\n")
        assert out[5].split("\t")[3:] == ["bumping latest revision",
                                          '{"latest-revision": 3, "bump-amount": 1000, "new-latest-revision": 1003}']
        assert out[6].split("\t")[3:] == ["marking revision compacted", '{"revision": 1003}']
    for m in ec.members:
        m.start()
    assert ec.wait_for_leader()
    assert ctl(ec, "get a") == "a\n2"
    assert ctl(ec, "get a --rev=3") == "Error: etcdserver: mvcc: required revision has been compacted"
    assert ctl(ec, "put b 1") == "OK"
    assert ec.client().range("b").kvs[0].mod_revision == 1004
    # without the flags the revision is the snapshot's
    assert json.loads(etcdutl(ec, "snapshot status snap.db -w json"))["revision"] == 3


def test_hashkv_agrees_across_members_and_follows_rev():
    loop, ec, cli = boot()
    for v in "123":
        cli.put("k", v)
    loop.run(until=loop.now + 0.5)
    rows = ctl(ec, "endpoint hashkv --cluster").split("\n")
    assert sorted(r.split(", ")[0] for r in rows) == EPS
    assert len({r.split(", ")[1] for r in rows}) == 1
    full = json.loads(ctl(ec, "endpoint hashkv -w json"))[0]["HashKV"]
    assert full["compact_revision"] == -1 and full["header"]["revision"] == 4
    at3 = json.loads(ctl(ec, "endpoint hashkv --rev=3 -w json"))[0]["HashKV"]["hash"]
    assert at3 != full["hash"]
    assert ctl(ec, "endpoint hashkv --rev=3") == f"127.0.0.1:2379, {at3}"
    # --rev=3 keeps its hash after more writes (HashByRev hashes only up to rev)
    cli.put("k", "4")
    assert json.loads(ctl(ec, "endpoint hashkv --rev=3 -w json"))[0]["HashKV"]["hash"] == at3
    ctl(ec, "compaction 3")
    got = json.loads(ctl(ec, "endpoint hashkv -w json"))[0]["HashKV"]
    assert got["compact_revision"] == 3
    assert ctl(ec, "endpoint hashkv --rev=2").split("\n")[-1] == \
        "Error: etcdserver: mvcc: required revision has been compacted"
    assert ctl(ec, "endpoint hashkv --rev=99").split("\n")[-1] == \
        "Error: etcdserver: mvcc: required revision is a future revision"
    # a stopped member: reported, the others printed, then the command fails
    ec.member("etcd-3").stop()
    out = ctl(ec, f"--endpoints={','.join(EPS)} endpoint hashkv -w table").split("\n")
    assert out[0] == f"Failed to get the hash of endpoint {EPS[2]} (context deadline exceeded)"
    assert len(out) == 1 + 6 + 1 and out[-1] == "Error: context deadline exceeded"


def test_member_update_changes_peer_urls_in_every_members_view():
    loop, ec, cli = boot()
    m2 = ec.member("etcd-2")
    out = ctl(ec, f"member update {m2.id:x} --peer-urls=https://192.168.0.20:2380")
    assert out == f"Member {m2.id:16x} updated in cluster {ec.cluster_id:16x}"
    loop.run(until=loop.now + 0.5)
    assert {tuple(m.membership.members[m2.id].peer_urls) for m in ec.members} == {("https://192.168.0.20:2380",)}
    assert f"etcd-2, https://192.168.0.20:2380, {EPS[1]}" in ctl(ec, "member list")
    assert ctl(ec, f"member update {m2.id:x} --peer-urls=https://192.168.0.10:2380") == \
        "Error: etcdserver: Peer URLs already exists"
    assert ctl(ec, "member update 1234 --peer-urls=https://192.168.0.30:2380") == \
        "Error: etcdserver: member not found"
    assert ctl(ec, "member update") == "Error: member ID is not provided"
    assert ctl(ec, f"member update {m2.id:x}") == "Error: member peer urls not provided"
    # its own URLs again: allowed; -w json lists the members
    got = json.loads(ctl(ec, f"member update {m2.id:x} --peer-urls=https://192.168.0.11:2380 -w json"))
    assert [m["peerURLs"] for m in got["members"] if m["ID"] == m2.id] == [["https://192.168.0.11:2380"]]


def test_disaster_recovery_from_a_snapshot_behind_the_api_server():
    c = Cluster(nodes=0, etcd_members=3, seed=1)
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\ndata:\n  a: '1'\n"
    assert c.kubectl("create -f -", stdin=cm.format("keep")) == "configmap/keep created\n"
    assert c.etcdctl(f"--endpoints={EPS[0]} snapshot save /root/snap.db") == "Snapshot saved at /root/snap.db"
    snap_rev = json.loads(c.etcdutl("snapshot status /root/snap.db -w json"))["revision"]
    c.kubectl("create -f -", stdin=cm.format("lost"))        # written after the snapshot
    old_cluster = c.etcd_cluster.cluster_id
    for name in ("etcd-1", "etcd-2", "etcd-3"):               # all three disks lost
        c.stop(name, wipe=True)
    assert c.kubectl("get cm keep").startswith("Error from server")
    c.stop("kube-apiserver")
    for i in (1, 2, 3):
        out = c.etcdutl(restore_line(i, "--initial-cluster-token etcd-cluster-2").replace("snap.db", "/root/snap.db"))
        assert out.split("\n")[-1].split("\t")[3] == "restored snapshot"
    for name in ("etcd-1", "etcd-2", "etcd-3"):
        c.start(name)
    c.run(3)
    c.start("kube-apiserver")
    c.run(1)
    names = [ln.split()[0] for ln in c.kubectl("get cm").split("\n")[1:] if ln]
    assert "keep" in names and "lost" not in names
    c.kubectl("create -f -", stdin=cm.format("new"))
    rv = int(c.kubectl("get cm new -o jsonpath={.metadata.resourceVersion}"))
    assert rv == snap_rev + 1                  # revisions continue from the snapshot's
    # a new cluster: new token, new cluster id; every member hashes the same keyspace
    assert c.etcd_cluster.cluster_id != old_cluster
    members = c.etcdctl("member list").split("\n")
    assert sorted(ln.split(", ")[2] for ln in members) == ["etcd-1", "etcd-2", "etcd-3"]
    assert all(ln.split(", ")[1] == "started" and ln.split(", ")[4] for ln in members)
    hashes = c.etcdctl("endpoint hashkv --cluster").split("\n")
    assert len(hashes) == 3 and len({h.split(", ")[1] for h in hashes}) == 1

