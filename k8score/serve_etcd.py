"""``k8score serve --etcd-servers URL[,URL…] [--apiservers N]``: the served cluster keeps all
its state in a real etcd cluster, through etcd's v3 JSON gateway (k8score/serve_etcd_gateway.py).

Native only (sockets, threads), like k8score/serve.py. The cluster's API server holds a
:class:`~k8score.serve_etcd_gateway.GatewayClient` instead of the embedded store; the rest of
the Cluster (controllers, scheduler, kubelets) is unchanged: it talks to the API server.

``apiservers=N`` adds replicas ``kube-apiserver-2..N``: separate :class:`APIServer`
instances on the same loop, each with its own gateway client and so its own watch cache
fed by its own etcd watch stream — stateless servers sharing etcd, as upstream runs them
behind a load balancer. Service ClusterIP allocations are shared (upstream's allocation
bitmaps live in etcd; see k8score/ha.py build_apiservers) and every replica serves every
CRD (ha.CRDServing). The served port balances requests over the replicas round robin
(``Server(apiservers=...)``); optimistic concurrency across them is etcd's: every update
is a txn comparing the key's mod_revision with the resourceVersion read.

Example (not a doctest: it needs a running etcd)::

    cluster, replicas = build("http://127.0.0.1:2379", apiservers=3, nodes=1)
    Server(cluster, port=0, apiservers=replicas).start()
"""

from __future__ import annotations

from typing import Any

from .serve_etcd_gateway import GatewayClient


def build(etcd_servers: str, apiservers: int = 1, **cluster_kw: Any) -> tuple[Any, list]:
    """A Cluster whose API server(s) use the real etcd at ``etcd_servers``: ``(cluster, replicas)``
    (``replicas[0]`` is ``cluster.apiserver``)."""
    from .cluster import Cluster

    if apiservers < 1:
        raise ValueError("apiservers must be >= 1")
    cluster = Cluster(apiserver_store=lambda loop: GatewayClient(etcd_servers, loop=loop), **cluster_kw)
    return cluster, [cluster.apiserver] + [add_replica(cluster, etcd_servers, i)
                                           for i in range(2, apiservers + 1)]


def add_replica(cluster: Any, etcd_servers: str, i: int) -> Any:
    """``kube-apiserver-<i>`` over its own gateway client, started (it lists etcd into its
    watch caches, finds the bootstrap objects in place)."""
    from .apiserver import APIServer

    first = cluster.apiserver
    api = APIServer(cluster.loop, GatewayClient(etcd_servers, loop=cluster.loop),
                    seed=f"{cluster.seed}/{i}",   # distinct uid streams (as ha.build_apiservers)
                    name=f"kube-apiserver-{i}", advertise_address=f"192.168.0.{9 + i}")
    api.services = first.services
    api.kubelets = first.kubelets   # pods/log, exec: the same nodes' kubelet APIs
    api.start()
    if not hasattr(cluster, "_replica_crds"):
        from .ha import CRDServing
        cluster._replica_crds = CRDServing(cluster.loop, [first])
    cluster._replica_crds.servers.append(api)
    return api
