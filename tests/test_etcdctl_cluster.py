"""etcdctl's cluster commands against the simulated etcd cluster: what an operator sees when
members fail (etcdctl/ctlv3/command/ep_command.go, printer_table.go, printer_json.go;
server/etcdserver/api/v3rpc/maintenance.go Status). Formats are checked against the real
binaries in tests/test_etcd_vs_real_cluster.py; this module checks the states a real
cluster cannot be put in quickly (members stopped, paused, a lone member)."""

import json

from k8score.etcd import Store
from k8score.etcd.cluster import EtcdCluster
from k8score.etcd.etcdctl import etcdctl
from k8score.sim import Loop

EPS = ["https://192.168.0.10:2379", "https://192.168.0.11:2379", "https://192.168.0.12:2379"]
ALL = f"--endpoints={','.join(EPS)} "


def boot(n=3, seed=2):
    loop = Loop(seed=seed)
    ec = EtcdCluster(loop, members=n, seed=seed)
    ec.start()
    ec.wait_for_leader()
    loop.run(until=loop.now + 1.0)
    return loop, ec, ec.client()


def test_status_rows_follow_the_raft_state_of_each_member():
    loop, ec, cli = boot()
    cli.put("a", "1")
    rows = [r.split(", ") for r in etcdctl(cli, ALL + "endpoint status").split("\n")]
    assert [r[0] for r in rows] == EPS
    assert [r[1] for r in rows] == [f"{m.id:x}" for m in ec.members]
    assert sorted(r[4] for r in rows) == ["false", "false", "true"]
    lead = ec.leader()
    term = lead.node.raft.term
    assert {r[6] for r in rows} == {str(term)}
    assert {r[7] for r in rows} == {str(lead.node.raft.log.committed)}
    # --cluster: the member list's client URLs, in member-id order
    cluster = json.loads(etcdctl(cli, "endpoint status --cluster -w json"))
    by_id = sorted(ec.members, key=lambda m: m.id)
    assert [s["Endpoint"] for s in cluster] == [m.client_urls[0] for m in by_id]
    assert all(s["Status"]["leader"] == lead.id for s in cluster)
    assert all(s["Status"]["header"]["revision"] == 2 for s in cluster)


def test_stopped_and_paused_members_fail_their_status_and_health():
    loop, ec, cli = boot()
    ec.member("etcd-3").stop()
    ec.member("etcd-2").pause()
    out = etcdctl(cli, ALL + "endpoint status -w table").split("\n")
    assert out[:2] == [f"Failed to get the status of endpoint {EPS[1]} (context deadline exceeded)",
                       f"Failed to get the status of endpoint {EPS[2]} (context deadline exceeded)"]
    assert len(out) == 2 + 5      # one row left in the table
    health = etcdctl(cli, ALL + "endpoint health -w json").split("\n")
    assert health[-1] == "Error: unhealthy cluster"
    got = {h["endpoint"]: (h["health"], h.get("error")) for h in json.loads(health[0])}
    # etcd-1 alone has no quorum: its linearizable read times out
    assert got == {EPS[0]: (False, "etcdserver: request timed out"),
                   EPS[1]: (False, "context deadline exceeded"),
                   EPS[2]: (False, "context deadline exceeded")}
    ec.member("etcd-2").resume()
    loop.run(until=loop.now + 2.0)
    health = etcdctl(cli, ALL + "endpoint health").split("\n")
    assert [h.split(" is ")[1].split(":")[0] for h in health[:3]] == ["healthy", "healthy", "unhealthy"]
    assert health[3] == "Error: unhealthy cluster"


def test_a_follower_without_a_leader_reports_it_in_errors():
    loop, ec, cli = boot()
    lead = ec.leader()
    f = next(m for m in ec.members if m is not lead)
    ec.partition([f.name], [m.name for m in ec.members if m is not f])
    loop.run(until=loop.now + 3.0)
    row = etcdctl(cli, f"--endpoints={f.client_urls[0]} endpoint status")
    assert row.endswith(", etcdserver: no leader")
    st = json.loads(etcdctl(cli, f"--endpoints={f.client_urls[0]} endpoint status -w json"))[0]
    # omitempty: no "leader" field at all when it is 0
    assert st["Status"]["errors"] == ["etcdserver: no leader"] and "leader" not in st["Status"]


def test_a_lone_member_answers_like_a_fresh_single_etcd():
    ec = EtcdCluster(Loop(seed=0), members=1)
    ec.start()
    store = ec.members[0].store
    assert etcdctl(store, "put a b") == "OK"
    assert etcdctl(store, "endpoint status", cluster=ec) == (
        "127.0.0.1:2379, 8e9e05c52164694d, 3.5.16, 29 kB, true, false, 2, 5, 5, ")
    assert etcdctl(store, "member list", cluster=ec) == (
        "8e9e05c52164694d, started, etcd, https://192.168.0.10:2380, https://192.168.0.10:2379, false")
    assert etcdctl(Store(), "member list") == (
        "Error: this command needs an etcd cluster: etcdctl(store, line, cluster=...)")


def test_snapshot_save_needs_one_endpoint_and_alarm_list_is_empty():
    loop, ec, cli = boot()
    assert etcdctl(cli, ALL + "snapshot save /backup/etcd.db") == (
        "Error: snapshot must be requested to one selected node, not multiple "
        f"[{' '.join(EPS)}]")
    assert etcdctl(cli, "snapshot save /backup/etcd.db") == "Snapshot saved at /backup/etcd.db"
    assert "/backup/etcd.db" in ec.saved
    assert etcdctl(cli, "alarm list") == ""
    assert json.loads(etcdctl(cli, "alarm list -w json"))["header"]["member_id"] == ec.members[0].id
