"""``c.trace(src, dst)``: a packet followed through the entry node's rules in every proxy mode.

Upstream behaviour pinned: pkg/proxy/iptables/proxier.go ("has no endpoints" REJECT, "has no
local endpoints" DROP for externalTrafficPolicy Local), pkg/proxy/nftables/proxier.go
(no-endpoint-services / no-endpoint-nodeports), net/netfilter/ipvs/ip_vs_core.c
(ip_vs_leave: ICMP port unreachable), musl's resolver search order (k8score.network.resolver).
"""

from __future__ import annotations

import pytest

from k8score import Cluster
from k8score.proxy.tracefmt import WIDTH

APP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {kubernetes.io/hostname: node-2}
      containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {app: web}
  ports: [{port: 80, targetPort: 80, nodePort: 30080}]
---
apiVersion: v1
kind: Service
metadata: {name: empty}
spec:
  selector: {app: nothing}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: node-1
  containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
"""


@pytest.fixture(scope="module", params=["iptables", "ipvs", "nftables"])
def cluster(request):
    c = Cluster(nodes=3, seed=2, proxy_mode=request.param)
    c.apply(APP)
    c.run(30)
    return c


def web_pod(c):
    return [p for p in c.get("pods") if p["metadata"]["name"].startswith("web-")][0]


def test_every_node_runs_the_chosen_mode(cluster):
    assert {p.mode for p in cluster.kube_proxies.values()} == {cluster.proxy_mode}


def test_pod_to_service_by_dns_name_lands_on_the_pod(cluster):
    c = cluster
    t = c.trace("client", "web")           # one port: no port needed
    pod = web_pod(c)
    assert t.verdict == "ACCEPT" and t.node == "node-1" and t.mode == c.proxy_mode
    assert t.endpoint == f"{pod['status']['podIP']}:80"
    assert t.endpoint_name == f"default/{pod['metadata']['name']}"
    ip = c.get("services", "web")["spec"]["clusterIP"]
    assert (t.destination_ip, t.destination_port) == (ip, 80)
    assert f"dns: web -> web.default.svc.cluster.local = {ip} (nameserver 10.96.0.10)" in t.notes
    assert t.notes[0] == f"from pod default/client ({t.source}) on node-1"
    assert max(len(line) for line in str(t).splitlines()) <= WIDTH
    assert str(t).splitlines()[-1] == f"=> DNAT to {t.endpoint} (default/{pod['metadata']['name']})"
    assert "default/client" == c.trace("default/client", f"{ip}:80").notes[0].split()[2]


def test_service_without_endpoints_is_rejected(cluster):
    t = cluster.trace("client", "empty.default.svc.cluster.local", 80)
    assert t.verdict == "REJECT" and t.endpoint is None
    assert t.reason.startswith("default/empty has no endpoints")


def test_local_policy_nodeport_drops_on_a_node_without_endpoints(cluster):
    c = cluster
    ip = {n: c.hosts[n].ip for n in c.hosts}
    ok = c.trace("external", f"{ip['node-2']}:30080")
    assert ok.node == "node-2" and ok.verdict == "ACCEPT" and not ok.masquerade  # Local keeps the client IP
    t = c.trace("external", f"{ip['node-1']}:30080")
    assert t.node == "node-1"
    if c.proxy_mode == "ipvs":   # kubernetes#97081: IPVS falls back to every endpoint
        assert t.verdict == "ACCEPT"
    else:
        assert t.verdict == "DROP" and t.reason == "default/web has no local endpoints"
        assert str(t).endswith("=> DROP: default/web has no local endpoints")


def test_external_to_an_external_ip_enters_the_first_ready_node():
    c = Cluster(nodes=2, seed=3)
    c.apply(APP.replace("type: NodePort\n  externalTrafficPolicy: Local", "externalIPs: [198.51.100.7]")
            .replace(", nodePort: 30080", "").replace("node-2", "node-1"))
    c.run(30)
    t = c.trace("external", "198.51.100.7", 80)
    assert t.node == "node-1" and t.verdict == "ACCEPT" and t.masquerade and t.snat == c.hosts["node-1"].ip
    assert "the load balancer sends it to node-1 (the first Ready node by name)" in t.notes
    lines = c.ssh("node-1", "conntrack -L").splitlines()
    assert lines[0] == "conntrack v1.4.8 (conntrack-tools): 1 flow entries have been shown."
    assert lines[1].startswith(f"tcp      6 120 SYN_SENT src=203.0.113.10 dst=198.51.100.7 sport={t.source_port} "
                               f"dport=80 [UNREPLIED] src={t.endpoint.split(':')[0]} dst={t.snat} sport=80 ")
    c.run(121)   # SYN_SENT times out after 120 s
    assert c.ssh("node-1", "conntrack -L").startswith("conntrack v1.4.8 (conntrack-tools): 0 flow entries")


def test_bad_inputs_are_explained():
    c = Cluster(nodes=1, seed=4)
    with pytest.raises(ValueError, match="from outside the cluster"):
        c.trace("external", "web.default.svc.cluster.local", 80)
    with pytest.raises(ValueError, match="no port given"):
        c.trace("node-1", "10.96.0.99")
    with pytest.raises(ValueError, match="unknown proxy_mode 'userspace'"):
        Cluster(nodes=1, proxy_mode="userspace")


def test_same_seed_same_trace():
    def run():
        c = Cluster(nodes=3, seed=9, proxy_mode="nftables")
        c.apply(APP.replace("replicas: 1", "replicas: 3").replace("      nodeSelector: {kubernetes.io/hostname: node-2}\n", ""))
        c.run(30)
        return [str(c.trace("client", "web")) for _ in range(3)]
    assert run() == run()
