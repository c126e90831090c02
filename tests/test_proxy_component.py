"""kube-proxy as a node component in a running cluster, reading real EndpointSlices.

Upstream: cmd/kube-proxy/app/server.go (informers), pkg/proxy/iptables/proxier.go
(syncProxyRules, partial syncs), pkg/proxy/endpointslicecache.go.
"""

from __future__ import annotations

import random

import pytest

from k8score import Cluster
from k8score.proxy import KubeProxy, service_chain_name

APP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: nginx:1.27, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
"""


def kubernetes_slice(c):
    """The ``default/kubernetes`` EndpointSlice the API server's endpoint reconciler writes
    (pkg/controlplane/reconcilers/endpointsadapter.go); created here if this build's API
    server does not write it yet."""
    if not any(s["metadata"]["name"] == "kubernetes" for s in c.get("endpointslices")):
        c.api.create("endpointslices", {
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "kubernetes", "namespace": "default",
                         "labels": {"kubernetes.io/service-name": "kubernetes"}},
            "addressType": "IPv4", "endpoints": [{"addresses": ["172.18.0.2"], "conditions": {"ready": True}}],
            "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}, namespace="default")
    return c


def ready_endpoints(c, name="web"):
    eps = [e for e in c.get("endpoints") if e["metadata"]["name"] == name]
    if not eps:
        return []
    ep = eps[0]
    return sorted(a["ip"] for s in ep.get("subsets") or () for a in s.get("addresses") or ())


@pytest.fixture(scope="module")
def running():
    c = kubernetes_slice(Cluster(nodes=2, seed=0))
    p = KubeProxy(c.loop, c.apiserver, "node-1")
    p.start()
    c.apply(APP)
    assert c.run(until=lambda: len(ready_endpoints(c)) == 3, timeout=120)
    c.run(2)
    return c, p


def test_component_conventions():
    assert KubeProxy.kind == "kube-proxy" and KubeProxy.plane == "node" and KubeProxy.writes == ()
    assert "services" in KubeProxy.watches and "endpointslices" in KubeProxy.watches  # upstream reads slices since 1.21
    c = Cluster(nodes=1, seed=1)
    p = KubeProxy(c.loop, c.apiserver, "node-1")
    assert p.name == "kube-proxy/node-1"
    # cmd/kube-proxy/app: iptables, ipvs and nftables on Linux; userspace was removed in 1.26
    assert KubeProxy(c.loop, c.apiserver, "node-1", mode="ipvs").mode == "ipvs"
    assert KubeProxy(c.loop, c.apiserver, "node-1", mode="nftables").mode == "nftables"
    with pytest.raises(ValueError, match='unsupported proxy mode "userspace"'):
        KubeProxy(c.loop, c.apiserver, "node-1", mode="userspace")
    with pytest.raises(ValueError, match='unsupported IPVS scheduler "fifo"'):
        KubeProxy(c.loop, c.apiserver, "node-1", mode="ipvs", ipvs_scheduler="fifo")
    assert not hasattr(KubeProxy(c.loop, c.apiserver, "node-1"), "endpoints_resource")


def test_rules_program_the_service_and_trace_lands_on_a_ready_pod(running):
    c, p = running
    ip = c.get("services", "web")["spec"]["clusterIP"]
    rules = p.rules()
    assert f'"default/web cluster IP" -m tcp -p tcp -d {ip} --dport 80 -j {service_chain_name("default/web", "tcp")}' in rules
    assert "KUBE-SVC-NPX46M4PTMTKRN6Y" in rules  # the kubernetes Service
    pods = ready_endpoints(c)
    assert len(pods) == 3
    seen = set()
    for seed in range(30):
        t = p.trace("10.244.1.5", ip, 80, rng=random.Random(seed))
        assert t.verdict == "ACCEPT" and t.endpoint.rsplit(":", 1)[1] == "80"
        seen.add(t.endpoint.rsplit(":", 1)[0])
    assert seen == set(pods)
    assert "=> DNAT to" in str(p.trace("10.244.1.5", ip, 80))


def test_sync_log_says_when_and_why(running):
    c, p = running
    log = p.sync_log
    assert log[0].reasons[-1] == "informers synced" and log[0].services >= 1
    assert any(r.startswith("EndpointSlice default/web-") for rec in log for r in rec.reasons)
    # the first sync is full; later ones are partial and rewrite only default/web's chains
    assert log[0].full and "default/kubernetes" in log[0].rewritten
    later = [rec for rec in log[1:] if rec.reasons and all("default/web" in r for r in rec.reasons)]
    assert later and all(not rec.full and rec.rewritten == ("default/web",) for rec in later)
    assert "[partial, 1 services rewritten;" in str(later[-1])
    assert any("Service default/web added" in r for rec in log for r in rec.reasons)
    # minSyncPeriod 1 s with a burst of 2: never three runner syncs within one second
    # (the initial sync is a direct syncProxyRules call, outside the runner, as upstream)
    times = [rec.time for rec in log[1:]]
    assert len(times) >= 3
    assert all(b - a >= 1.0 - 1e-6 for a, b in zip(times, times[2:]))
    assert "service ports" in str(log[-1])


def test_rules_follow_the_endpoints_controller(running):
    c, p = running
    before = p.rules()
    c.kubectl("scale deployment web --replicas=1")
    assert c.run(until=lambda: len(ready_endpoints(c)) == 1, timeout=120)
    c.run(2)
    after = p.rules()
    assert after != before
    only = ready_endpoints(c)[0]
    assert sum(1 for line in after.splitlines() if "-j DNAT" in line and "default/web " in line) == 1
    assert f"--to-destination {only}:80" in after
    for seed in range(5):
        assert p.trace("10.244.1.5", c.get("services", "web")["spec"]["clusterIP"], 80,
                       rng=random.Random(seed)).endpoint == f"{only}:80"


def test_deleting_pods_endpoints_gives_reject_and_noop_changes_do_not_sync():
    c = kubernetes_slice(Cluster(nodes=1, seed=3))
    p = KubeProxy(c.loop, c.apiserver, "node-1")
    p.start()
    c.apply(APP.replace("replicas: 3", "replicas: 0"))
    c.run(25)   # CoreDNS's pods settle too (their slice changes are syncs of their own)
    ip = c.get("services", "web")["spec"]["clusterIP"]
    assert "default/web has no endpoints" in p.rules()
    assert p.trace("10.244.0.9", ip, 80).verdict == "REJECT"
    n = len(p.sync_log)
    c.kubectl("label service web team=blue")  # changes no service port: nothing to sync
    c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db"},
             "spec": {"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"port": 5432}]}})
    c.run(5)  # a headless Service is not kube-proxy's business either
    assert len(p.sync_log) == n
    assert "default/db" not in p.rules()
    c.run(31)  # but the periodic resync still runs (syncPeriod 30 s)
    assert p.sync_log[-1].reasons == ("periodic",)


def test_stopped_proxy_keeps_stale_rules_and_catches_up_on_restart():
    c = kubernetes_slice(Cluster(nodes=2, seed=4))
    p = KubeProxy(c.loop, c.apiserver, "node-1")
    p.start()
    c.apply(APP.replace("replicas: 3", "replicas: 2"))
    assert c.run(until=lambda: len(ready_endpoints(c)) == 2, timeout=120)
    c.run(2)
    p.stop()
    stale = p.rules()
    c.kubectl("scale deployment web --replicas=1")
    assert c.run(until=lambda: len(ready_endpoints(c)) == 1, timeout=120)
    web_dnats = lambda text: sum(1 for line in text.splitlines()  # noqa: E731
                                 if "-j DNAT" in line and '--comment default/web ' in line)
    assert p.rules() == stale and web_dnats(stale) == 2
    p.start()
    c.run(2)
    assert web_dnats(p.rules()) == 1


def test_same_seed_same_rules_and_log():
    def run():
        c = kubernetes_slice(Cluster(nodes=2, seed=11))
        p = KubeProxy(c.loop, c.apiserver, "node-2")
        p.start()
        c.apply(APP)
        c.run(20)
        return p.rules(), [str(r) for r in p.sync_log], str(p.trace("10.244.0.7", c.get("services", "web")["spec"]["clusterIP"], 80))
    assert run() == run()


def test_nodeport_on_the_nodes_own_address():
    c = kubernetes_slice(Cluster(nodes=1, seed=5))
    p = KubeProxy(c.loop, c.apiserver, "node-1")
    p.start()
    c.apply(APP.replace("replicas: 3", "replicas: 2").replace("ports: [{port: 80, targetPort: 80}]",
                                                                "type: NodePort\n  ports: [{port: 80, targetPort: 80}]"))
    assert c.run(until=lambda: len(ready_endpoints(c)) == 2, timeout=120)
    c.run(2)
    node_port = c.get("services", "web")["spec"]["ports"][0]["nodePort"]
    node_ip = [a["address"] for a in c.get("nodes", "node-1")["status"]["addresses"] if a["type"] == "InternalIP"][0]
    assert p.local_ips() == [node_ip]
    t = p.trace("203.0.113.9", node_ip, node_port, rng=random.Random(0))
    assert t.endpoint in {f"{ip}:80" for ip in ready_endpoints(c)}
    assert t.masquerade and "nat/KUBE-NODEPORTS" in t.path


def test_waits_for_both_informers_before_the_first_sync():
    c = kubernetes_slice(Cluster(nodes=1, seed=6))
    c.stop("kube-apiserver")
    p = KubeProxy(c.loop, c.apiserver, "node-1")
    p.start()
    c.run(10)
    assert not p.initialized and p.sync_log == [] and p.rules() == ""
    c.start("kube-apiserver")
    assert c.run(until=lambda: p.initialized, timeout=60)
    assert p.sync_log[0].reasons[-1] == "informers synced"
    assert "KUBE-SVC-NPX46M4PTMTKRN6Y" in p.rules()
