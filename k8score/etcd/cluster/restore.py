"""What etcdutl does to snapshot files, and the keyspace hash ``endpoint hashkv`` reports.

* :func:`snapshot_status` — etcdutl/snapshot/v3_snapshot.go ``Status``: the revision, the
  number of key/value pairs over all buckets, the file size and a hash of the file.
* :func:`restore` — ``Restore``: a new data directory (:class:`DataDir`) from a snapshot,
  for one member of a *new* cluster: the members come from ``--initial-cluster`` (ids from
  peer URLs and ``--initial-cluster-token``, so the same flags give the same ids), the
  keyspace and its revision from the snapshot, a raft log that starts at term 1 with the
  members' conf changes committed (``saveWALAndSnap``). ``bump``/``mark_compacted``: the
  ``--bump-revision``/``--mark-compacted`` flags of later 3.5 releases (package revbump).
* :func:`hash_kv` — server/storage/mvcc/hash.go ``HashByRev``: a hash of every version of
  every key up to a revision; members that applied the same log agree on it.

What k8score cannot match: real etcd hashes (crc32 Castagnoli) the bbolt file's buckets and
sizes are bbolt pages. Here the snapshot file is k8score's own image (``image.py``); the hashes
are crc32 (IEEE) of a canonical encoding of the same content, and sizes are the estimate of
``admin.db_size``. The revision, the pair counts and every output shape do match.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from ...raft import ConfState, HardState, Snapshot
from ...raft.types import SnapshotMetadata
from ..store import Store
from ..types import ERR_COMPACTED, ERR_FUTURE_REV, EtcdError
from . import image
from .membership import MemberInfo, Membership, compute_cluster_id, compute_member_id

# The pairs a fresh etcd 3.5 backend holds besides keys, leases and members: meta
# (consistent_index, term, confState), auth (authRevision), cluster (clusterVersion)
# — a fresh member with 3 puts reports 9 keys in `etcdutl snapshot status` (checked).
_FIXED_PAIRS = 5
# meta's scheduledCompactRev and finishedCompactRev, once a compaction ran
_COMPACTION_PAIRS = 2


def _kv_bytes(kv) -> bytes:
    return f"{kv.mod_revision}\0{kv.create_revision}\0{kv.version}\0{kv.lease}\0{kv.key}\0" \
           f"{kv.value if kv.version else ''}\0".encode("utf-8", "surrogatepass")


def _load(data: bytes) -> tuple[Store, Membership | None]:
    store = Store()
    members = image.restore(store, data)
    return store, members


def snapshot_status(data: bytes) -> dict:
    """{"hash", "revision", "totalKey", "totalSize"} of snapshot bytes (Status, pb order)."""
    from .admin import db_size
    store, members = _load(data)
    h = zlib.crc32(b"key")
    pairs = 0
    for key in sorted(store._hist):
        for kv in store._hist[key]:
            h = zlib.crc32(_kv_bytes(kv), h)
            pairs += 1
    lease_ids = sorted(store._leases)
    h = zlib.crc32(b"lease" + b"".join(b"%d\0" % i for i in lease_ids), h)
    member_ids = sorted(members.members) if members is not None else []
    h = zlib.crc32(b"members" + b"".join(b"%d\0" % i for i in member_ids), h)
    pairs += len(lease_ids) + len(member_ids) + _FIXED_PAIRS
    if store._compacted:
        pairs += _COMPACTION_PAIRS
    return {"hash": h, "revision": store.revision, "totalKey": pairs,
            "totalSize": db_size(store)[1]}


def hash_kv(store: Store, rev: int = 0) -> tuple[int, int, int]:
    """(hash, compact revision or -1, the revision hashed): kvstore.HashByRev. ``rev`` 0 is
    the current revision; a future one or one below the compaction point is an error."""
    if rev > store.revision:
        raise EtcdError(ERR_FUTURE_REV)
    compacted = store.compact_revision if store._compacted else -1
    if 0 < rev < compacted:
        raise EtcdError(ERR_COMPACTED)
    upto = rev or store.revision
    h = zlib.crc32(b"key")
    for key in sorted(store._hist):
        for kv in store._hist[key]:
            if kv.mod_revision > upto:
                break
            h = zlib.crc32(_kv_bytes(kv), h)
    return h, compacted, upto


def parse_initial_cluster(text: str) -> dict[str, list[str]]:
    """types.NewURLsMap: ``name=url,name=url`` (a name may repeat: several URLs)."""
    out: dict[str, list[str]] = {}
    for part in text.split(","):
        name, eq, url = part.partition("=")
        if not eq:
            raise ValueError(f"missing = in {part!r}")
        out.setdefault(name, []).append(url)
    return out


@dataclass
class DataDir:
    """A member's data directory as etcdutl restore writes it (member/snap/db + WAL)."""

    path: str
    name: str
    member_id: int
    membership: Membership
    image: bytes            # the keyspace with the new membership (member/snap/db)
    voters: tuple           # every member of --initial-cluster, by id

    @property
    def commit(self) -> int:
        """saveWALAndSnap: one ConfChangeAddNode entry per member, all committed, term 1."""
        return len(self.voters)

    def raft_snapshot(self) -> Snapshot:
        return Snapshot(self.image, SnapshotMetadata(ConfState(voters=self.voters), self.commit, 1))

    def hard_state(self) -> HardState:
        return HardState(term=1, vote=self.voters[0], commit=self.commit)


def verify_bootstrap(name: str, ics: dict, peer_urls: list) -> None:
    """config.ServerConfig.VerifyBootstrap (verifyLocalMember), with its error texts."""
    if name not in ics:
        raise ValueError(f'couldn\'t find local name "{name}" in the initial cluster configuration')
    want, got = sorted(ics[name]), sorted(peer_urls)
    if want != got:
        listed = ",".join(f"{name}={u}" for u in ics[name])
        # netutil.URLStringsEqual: "<a>"(resolved from "<a>") != "<b>"(resolved from "<b>")
        a, b = ",".join(got), ",".join(want)
        raise ValueError(f"--initial-cluster has {listed} but missing from "
                         f"--initial-advertise-peer-urls={','.join(peer_urls)} "
                         f'("{a}"(resolved from "{a}") != "{b}"(resolved from "{b}"))')


def restore(data: bytes, path: str, name: str, ics: dict, token: str,
            bump: int = 0) -> tuple[DataDir, list[tuple]]:
    """The data directory and the log records (message, fields) etcdutl prints on the way."""
    store, _old = _load(data)    # saveDB: TrimMembershipFromBackend drops the old members
    infos = sorted((MemberInfo(compute_member_id(urls, token), list(urls), n)
                    for n, urls in ics.items()), key=lambda m: m.id)
    cid = compute_cluster_id([m.id for m in infos])
    logs: list[tuple] = [("membership/store.go:141", "Trimming membership information from the backend...", None)]
    for m in infos:
        logs.append(("membership/cluster.go:421", "added member",
                     {"cluster-id": f"{cid:x}", "local-member-id": "0",
                      "added-peer-id": f"{m.id:x}", "added-peer-peer-urls": m.peer_urls}))
    if bump:
        # etcd 3.5 package revbump (UnsafeModifyLastRevision; its log calls at lines 28 and
        # 45, the file name assumed): a placeholder key-bucket entry at latest+bump, and compaction
        # scheduled there (etcd finishes it on start: every older revision is gone)
        latest = store.revision
        logs.append(("revbump/revbump.go:28", "bumping latest revision",
                     {"latest-revision": latest, "bump-amount": bump,
                      "new-latest-revision": latest + bump}))
        logs.append(("revbump/revbump.go:45", "marking revision compacted",
                     {"revision": latest + bump}))
        store.revision = latest + bump
        store._log, store._log_base = [()], store.revision
        store.compact(store.revision)
    ms = Membership(cid, infos)
    me = next(m for m in infos if m.name == name)
    dd = DataDir(path, name, me.id, ms, image.image(store, ms), tuple(m.id for m in infos))
    return dd, logs
