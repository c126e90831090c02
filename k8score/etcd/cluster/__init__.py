"""etcd as a cluster of 1, 3 or 5 members replicating the MVCC store through Raft.

>>> from k8score.sim import Loop
>>> from k8score.etcd.cluster import EtcdCluster
>>> loop = Loop(seed=1)
>>> ec = EtcdCluster(loop, members=3, seed=1)
>>> ec.start(); ec.wait_for_leader()
True
>>> cli = ec.client()
>>> cli.put("foo", "bar").header.revision
2
>>> sorted({m.store.revision for m in ec.members})
[2]

Members are named ``etcd-1``..``etcd-N`` (a lone member keeps the name ``etcd`` and
short-circuits raft). Each is a :class:`~k8score.etcd.cluster.member.Member` component; the
peer network (:mod:`.network`) carries their messages with latency and faults; the
:class:`~k8score.etcd.cluster.client.Client` is what the API server holds.

Addresses: member i advertises ``https://192.168.0.(9+i):2379`` to clients and ``:2380`` to
peers (:func:`client_url`, :func:`peer_url`). Membership changes (``etcdctl member add|
remove|promote``, ``move-leader``; server side in :mod:`.admin`, each member's view in
:mod:`.membership`): ``member add`` registers a member, :meth:`EtcdCluster.add_process`
gives it a process to ``start()``; a wiped member re-added under the same peer URL rejoins
with the new id.
"""

from __future__ import annotations

import random
from typing import Any

from .client import (ERR_DEADLINE, ERR_NO_LEADER, ERR_TIMEOUT, ERR_UNAVAILABLE, Client,
                     ClientWatch)
from .member import (DEFAULT_CATCH_UP_ENTRIES, DEFAULT_SNAPSHOT_COUNT, ELECTION_TICKS,
                     TICK_SECONDS, Member, Request)
from .membership import MemberInfo, Membership, compute_cluster_id, compute_member_id
from .network import LATENCY, Network
from ..types import CLUSTER_ID, MEMBER_ID

#: etcd's --initial-cluster-token default (server/embed/config.go).
CLUSTER_TOKEN = "etcd-cluster"


def peer_url(i: int) -> str:
    """Member i's --initial-advertise-peer-urls: the i-th control-plane address, port 2380."""
    return f"https://192.168.0.{9 + i}:2380"


def client_url(i: int) -> str:
    """Member i's --advertise-client-urls: the same address, port 2379."""
    return f"https://192.168.0.{9 + i}:2379"


def member_id(peer_urls: list[str], token: str = CLUSTER_TOKEN) -> int:
    """server/etcdserver/api/membership/member.go computeMemberID: the first 8 bytes of
    sha1(sorted peer URLs + cluster token), big-endian."""
    return compute_member_id(peer_urls, token)


class EtcdCluster:
    """``members`` etcd members on ``loop``. ``snapshot_count`` / ``catch_up_entries`` are
    etcd's ``--snapshot-count`` and SnapshotCatchUpEntries (small values show log compaction
    and snapshot catch-up in a short run)."""

    def __init__(self, loop: Any, members: int = 1, seed: int = 0,
                 snapshot_count: int = DEFAULT_SNAPSHOT_COUNT,
                 catch_up_entries: int = DEFAULT_CATCH_UP_ENTRIES):
        if members < 1:
            raise ValueError("an etcd cluster needs at least one member")
        self.loop = loop
        # One draw from the loop's seeded generator seeds the peer network (latencies, faults).
        self.network = Network(loop, random.Random(loop.rng.getrandbits(64)) if members > 1
                               else random.Random(seed))
        names = ["etcd"] if members == 1 else [f"etcd-{i}" for i in range(1, members + 1)]
        ids = [member_id([peer_url(i)]) for i in range(1, members + 1)]
        if members == 1:   # the ids a lone store's response headers carry (types.py)
            ids = [MEMBER_ID]
        self.snapshot_count, self.catch_up_entries, self.seed = snapshot_count, catch_up_entries, seed
        # etcd's bootstrap (--initial-cluster): every member starts knowing all of them, started
        boot = Membership(compute_cluster_id(ids), [
            MemberInfo(ids[i], [peer_url(i + 1)], name, [client_url(i + 1)])
            for i, name in enumerate(names)])
        if members == 1:
            boot.cluster_id = CLUSTER_ID
        self.cluster_id = boot.cluster_id
        self.members: list[Member] = [
            Member(name, ids[i], ids, loop, self.network, seed=seed, direct=members == 1,
                   snapshot_count=snapshot_count, catch_up_entries=catch_up_entries,
                   peer_urls=[peer_url(i + 1)], client_urls=[client_url(i + 1)],
                   membership=boot.copy(), discover=self._discover)
            for i, name in enumerate(names)]
        for m in self.members:
            self.network.members[m.id] = m
        self._client: Client | None = None

    # -- lookup -----------------------------------------------------------------------------
    def member(self, name: str) -> Member:
        for m in self.members:
            if m.name == name:
                return m
        raise KeyError(f"no etcd member {name!r}; members are: {', '.join(m.name for m in self.members)}")

    def member_by_id(self, id_: int) -> Member | None:
        return self.network.members.get(id_)

    def leader(self) -> Member | None:
        """The member that is leader in the highest term among running members (None if none)."""
        best = None
        for m in self.members:
            if m.running and m.is_leader and (best is None or m.node.raft.term > best.node.raft.term):
                best = m
        return best

    def client(self, endpoint: str | None = None) -> Client:
        """The shared client (what the API server holds), or with ``endpoint`` a new one
        pinned to that member (``etcdctl --endpoints``). Their watches are WithRequireLeader
        watches, as the API server's etcd3 watcher and ``etcdctl watch`` open them."""
        if endpoint is not None:
            return Client(self, require_leader=True).use(endpoint)
        if self._client is None:
            self._client = Client(self, require_leader=True)
        return self._client

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        for m in self.members:
            m.start()

    def wait_for_leader(self, timeout: float = 10.0) -> bool:
        if len(self.members) == 1:
            return True
        def known() -> bool:
            lead = self.leader()
            return lead is not None and all(m.leader == lead.id for m in self.members if m.available)
        return self.loop.run(until=self.loop.now + timeout, predicate=known)

    # -- faults -----------------------------------------------------------------------------
    def _ids(self, names) -> list[int]:
        return [self.member(n).id for n in names]

    def partition(self, *groups) -> None:
        """Cut the network between groups of member names; an unnamed member is alone."""
        named = {n for g in groups for n in g}
        rest = [[m.name] for m in self.members if m.name not in named]
        self.network.partition(*[self._ids(g) for g in list(groups) + rest])

    def heal(self) -> None:
        self.network.heal()
        self.network.set_faults()

    def status(self) -> list[dict]:
        return [m.status() for m in self.members]

    def diagram(self) -> str:
        """Graphviz DOT of members, roles, terms, logs and messages in flight (``show(ec)``)."""
        from .diagram import cluster_dot
        return cluster_dot(self)

    # -- membership (the server side of `etcdctl member ...`: admin.py) ---------------------
    def _discover(self, asking: Member):
        """A running, reachable peer's membership (getClusterFromRemotePeers)."""
        for m in self.members:
            if m is not asking and m.available and m.node is not None:
                return m.membership.copy()
        return None

    def add_process(self, name: str, peer_urls: list | None = None,
                    client_urls: list | None = None) -> Member:
        """The etcd process of a member ``member add`` registered (not started: ``start()``
        it, as ``etcd --initial-cluster-state=existing``). ``etcd-N`` defaults to the
        documented addresses :func:`peer_url` / :func:`client_url` of N. An existing,
        stopped member of that name is reused (it rejoins with the new id once wiped)."""
        n = int(name.rsplit("-", 1)[1]) if name.rsplit("-", 1)[-1].isdigit() else len(self.members) + 1
        peer_urls = list(peer_urls or [peer_url(n)])
        client_urls = list(client_urls or [client_url(n)])
        for m in self.members:
            if m.name == name:
                if m.running:
                    raise RuntimeError(f"{name} is running")
                m.peer_urls, m.client_urls = peer_urls, client_urls
                return m
        m = Member(name, 0, [], self.loop, self.network, seed=self.seed,
                   snapshot_count=self.snapshot_count, catch_up_entries=self.catch_up_entries,
                   peer_urls=peer_urls, client_urls=client_urls,
                   membership=Membership(self.cluster_id, []), discover=self._discover)
        self.members.append(m)
        if self._client is not None:
            m.listeners.append(self._client._member_changed)
        return m


__all__ = ["CLUSTER_TOKEN", "MemberInfo", "Membership", "client_url", "Client", "ClientWatch", "ELECTION_TICKS", "ERR_DEADLINE",
           "ERR_NO_LEADER", "ERR_TIMEOUT", "ERR_UNAVAILABLE", "EtcdCluster", "LATENCY", "Member",
           "Network", "Request", "TICK_SECONDS", "member_id", "peer_url"]
