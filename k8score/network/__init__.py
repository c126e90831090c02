"""The cluster network's services: cluster DNS (CoreDNS), the pods' resolver, Service routing.

- :class:`CoreDNS` (:mod:`.coredns`) — the DNS server, a component reading Services,
  Endpoints and Namespaces through the API server; :class:`KubernetesZone` (:mod:`.records`)
  is its ``kubernetes`` plugin as a pure function;
- :func:`stub_resolve` (:mod:`.resolver`) — musl's ``getaddrinfo`` search/ndots rules;
  ``Network.resolver``;
- :class:`KubeProxyRouter` (:mod:`.router`) — ``Network.service_router`` through the source
  node's kube-proxy rules;
- :func:`pod_dns_config`, :func:`resolv_conf` (:mod:`.resolvconf`) — the kubelet's DNS config
  and the file the runtime writes;
- :func:`install_addon` (:mod:`.addon`) — kubeadm's ``kube-dns`` Service, CoreDNS RBAC, ConfigMap
  and ``coredns`` Deployment (its pods run :mod:`k8score.container.images.coredns`);
- :func:`build_network` — all of it wired for a :class:`~k8score.cluster.Cluster`.

>>> from k8score import Cluster
>>> c = Cluster(nodes=1)          # Cluster wires it: c.network, CoreDNS as c.network.dns
>>> c.run(10)                     # the coredns pods become Ready a few seconds after boot
True
>>> pod = c.network.attach("10.244.1.9", node="node-1", **podnet_options(pod_dns_config({})))
>>> pod.resolve("kubernetes")
['10.96.0.1']
"""

from __future__ import annotations

from typing import Any

from ..container.net import Network
from .addon import COREDNS_IMAGE, coredns_deployment, install_addon
from .coredns import CoreDNS
from .records import KubernetesZone, ptr_name
from .resolvconf import (CLUSTER_DNS, CLUSTER_DOMAIN, parse_resolv_conf, pod_dns_config, podnet_options,
                         render_resolv_conf, resolv_conf)
from .resolver import search_names, stub_resolve
from .router import KubeProxyRouter


def build_network(cluster: Any, *, dns_ip: str = CLUSTER_DNS, domain: str = CLUSTER_DOMAIN,
                  pod_mode: str = "insecure", external: dict[str, list[str]] | None = None,
                  start: bool = True, install: bool = True) -> Network:
    """A :class:`Network` for ``cluster``, with DNS and Service routing wired.

    Creates kubeadm's addon objects (``kube-system/kube-dns`` at ``dns_ip``, CoreDNS's RBAC,
    the ``coredns`` Deployment) as ``cluster.api`` (an admin client), the :class:`CoreDNS`
    engine (started unless ``start=False``; kept as ``network.dns``; the Deployment's pods
    answer through it), the resolver, and the router over ``cluster.kube_proxies``. Nothing
    listens at ``dns_ip`` itself: a query to it is DNATed by the source node's kube-proxy to
    a ready coredns pod, as any Service traffic. Call it once per cluster; the
    caller registers ``network.dns`` among the cluster's components if it wants
    ``c.stop("coredns")``.
    """
    network = Network()
    if install:   # else the caller installs the addon once the API server serves
        install_addon(cluster.api, dns_ip, domain)
    dns = CoreDNS(cluster.loop, cluster.apiserver, zone=domain, pod_mode=pod_mode, external=external)
    network.dns = dns
    network.resolver = stub_resolve
    network.service_router = KubeProxyRouter(cluster.kube_proxies)
    if start:
        dns.start()
    return network


__all__ = ["build_network", "CoreDNS", "KubernetesZone", "KubeProxyRouter", "stub_resolve", "search_names",
           "pod_dns_config", "podnet_options", "resolv_conf", "render_resolv_conf", "parse_resolv_conf",
           "install_addon", "coredns_deployment", "COREDNS_IMAGE", "ptr_name", "CLUSTER_DNS", "CLUSTER_DOMAIN"]
