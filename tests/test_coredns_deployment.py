"""CoreDNS as kubeadm deploys it: the ``coredns`` Deployment behind the ``kube-dns`` Service.

Upstream pinned here:
- kubernetes cmd/kubeadm/app/phases/addons/dns/manifests.go (``CoreDNSDeployment``,
  ``CoreDNSConfigMap``, ``CoreDNSService``), dns.go (``createCoreDNSAddon`` order, 2 replicas),
  cmd/kubeadm/app/constants/constants.go (``CoreDNSVersion``, ``LabelNodeRoleControlPlane``);
- kubernetes pkg/apis/scheduling (system-cluster-critical = 2000000000);
- kubernetes pkg/proxy/iptables/proxier.go (a Service IP is DNATed to a ready endpoint; no
  endpoints -> REJECT, which an unconnected UDP socket never sees: the resolver times out);
- coredns coremain/run.go (banner), plugin/reload (``Running configuration SHA512``),
  plugin/ready/ready.go (503 + ``Still waiting on``), plugin/health (lameduck),
  coredns/caddy sigtrap_posix.go (``SIGTERM: Shutting down servers then terminating``);
- musl src/network/resolvconf.c (5 s timeout).
"""

import hashlib

import pytest

from k8score import Cluster
from k8score.container.fs import FileSystem
from k8score.container.images.coredns import make_coredns
from k8score.container.net import DNS_TIMEOUT, NO_SERVERS, NetError, Network
from k8score.container.process import SIGTERM, Proc, Process
from k8score.network import pod_dns_config, podnet_options
from k8score.network.addon import COREFILE, addon_objects
from k8score.sim import Loop

IMAGE = "registry.k8s.io/coredns/coredns:v1.13.1"


def dns_pods(c):
    return [p for p in c.api.list("pods", namespace="kube-system")["items"]
            if (p["metadata"].get("labels") or {}).get("k8s-app") == "kube-dns"]


def is_ready(p):
    return any(x["type"] == "Ready" and x["status"] == "True" for x in p["status"].get("conditions") or ())


def ready_endpoints(c):
    ep = c.api.get("endpoints", "kube-dns", namespace="kube-system")
    return sorted({a["ip"] for s in ep.get("subsets") or () for a in s.get("addresses") or ()})


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(nodes=2, seed=3)
    # Cluster() returns once cluster DNS answers (Cluster._wait_for_dns): a coredns pod Ready
    # behind kube-dns and every kube-proxy synced; the second pod may still be starting
    assert ready_endpoints(c) and all(p.initialized for p in c.kube_proxies.values())
    c.booted = c.now
    c.run(until=lambda: len(ready_endpoints(c)) == 2, timeout=15)
    c.ready_after_boot = c.now - c.booted
    c.run(2)   # kube-proxy's rules follow the endpoints (min sync period 1 s)
    return c


@pytest.fixture
def client(cluster):
    net = cluster.network
    ns = net.attach("10.244.1.60", node="node-1", hostname="client",
                    **podnet_options(pod_dns_config({"metadata": {"namespace": "default"}})))
    yield ns
    net.detach("10.244.1.60")


def test_the_deployment_is_kubeadms_manifest(cluster):
    d = cluster.get("deployments", "coredns", namespace="kube-system")
    assert d["metadata"]["labels"] == {"k8s-app": "kube-dns"}
    assert d["spec"]["replicas"] == 2
    assert d["spec"]["strategy"] == {"type": "RollingUpdate",      # maxSurge: the API's default
                                     "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "25%"}}
    spec = d["spec"]["template"]["spec"]
    assert (spec["priorityClassName"], spec["serviceAccountName"], spec["dnsPolicy"]) == \
        ("system-cluster-critical", "coredns", "Default")
    assert spec["tolerations"] == [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                                   {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux"}
    term = spec["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
    assert term["weight"] == 100 and term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    (vol,) = spec["volumes"]
    assert (vol["name"], vol["configMap"]["name"], vol["configMap"]["items"]) == (
        "config-volume", "coredns", [{"key": "Corefile", "path": "Corefile"}])
    (ctr,) = spec["containers"]
    assert (ctr["image"], ctr["args"]) == (IMAGE, ["-conf", "/etc/coredns/Corefile"])
    assert ctr["resources"] == {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}}
    assert [(p["name"], p["containerPort"], p["protocol"]) for p in ctr["ports"]] == [
        ("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP"),
        ("liveness-probe", 8080, "TCP"), ("readiness-probe", 8181, "TCP")]
    assert ctr["livenessProbe"]["httpGet"] == {"path": "/health", "port": "liveness-probe", "scheme": "HTTP"}
    assert (ctr["livenessProbe"]["initialDelaySeconds"], ctr["livenessProbe"]["timeoutSeconds"],
            ctr["livenessProbe"]["failureThreshold"]) == (60, 5, 5)
    assert ctr["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "readiness-probe", "scheme": "HTTP"}
    assert ctr["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                      "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}}
    # kubeadm's order (dns.go createCoreDNSAddon): ConfigMap, RBAC, ServiceAccount, Deployment, Service
    assert [r for r, _ns, _o in addon_objects()] == ["configmaps", "clusterroles", "clusterrolebindings",
                                                    "serviceaccounts", "deployments", "services"]


def test_two_pods_ready_on_two_nodes_are_the_services_endpoints(cluster):
    pods = dns_pods(cluster)
    assert len(pods) == 2 and all(is_ready(p) and p["status"]["phase"] == "Running" for p in pods)
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["node-1", "node-2"]    # preferred anti-affinity
    assert {p["spec"]["priority"] for p in pods} == {2000000000}
    assert ready_endpoints(cluster) == sorted(p["status"]["podIP"] for p in pods)
    ep = cluster.api.get("endpoints", "kube-dns", namespace="kube-system")
    assert sorted((p["name"], p["port"], p["protocol"]) for p in ep["subsets"][0]["ports"]) == [
        ("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")]
    # Cluster() returned some seconds in: scheduling waits for Ready nodes, then the pull, then the
    # readiness probe; the other pod follows within seconds
    assert 5 < cluster.booted <= 20 and 0 <= cluster.ready_after_boot <= 10


def test_the_pods_run_coredns_with_the_configmaps_corefile(cluster):
    pod = dns_pods(cluster)[0]
    logs = cluster.kubectl(f"logs -n kube-system {pod['metadata']['name']}")
    sha = hashlib.sha512((COREFILE % {"domain": "cluster.local"}).encode()).hexdigest()
    assert logs.splitlines()[:3] == [".:53", f"[INFO] plugin/reload: Running configuration SHA512 = {sha}",
                                     "CoreDNS-1.13.1"]
    runtime = cluster.kubelets[pod["spec"]["nodeName"]].runtime
    (ctr,) = [x for x in runtime.containers.values() if x.metadata["name"] == "coredns"]
    assert ctr.argv == ["/coredns", "-conf", "/etc/coredns/Corefile"]
    assert ctr.fs.read("/etc/coredns/Corefile") == COREFILE % {"domain": "cluster.local"}
    # dnsPolicy Default: the node's resolv.conf, not the cluster DNS (CoreDNS would ask itself)
    assert "10.96.0.10" not in ctr.fs.read("/etc/resolv.conf")


def test_a_query_to_the_service_ip_is_dnated_to_a_coredns_pod(cluster, client):
    net = cluster.network
    assert "10.96.0.10" not in net.namespaces          # nothing listens at the Service IP itself
    pod_ips = {f"{ip}:53" for ip in ready_endpoints(cluster)}
    reply = client.query("kubernetes.default.svc.cluster.local")
    assert reply.addresses() == ["10.96.0.1"] and reply.server == "10.96.0.10:53"
    assert net.service_router.last.dnat in pod_ips and net.service_router.last.verdict == "ACCEPT"
    dns = cluster.network.dns
    assert dns.log[-1][1] == "10.244.1.60"            # DNAT keeps the client's source address
    assert client.resolve("kube-dns.kube-system") == ["10.96.0.10"]
    net.connect(client, "10.96.0.10", 53, "TCP")       # dns-tcp
    assert 'rcode="NOERROR"' in client.http("10.96.0.10", 9153, path="/metrics").body
    # the probe ports are not Service ports: only the pod IPs answer there
    ip = ready_endpoints(cluster)[0]
    assert client.http(ip, 8080, path="/health").body == "OK"
    assert client.http(ip, 8181, path="/ready").body == "OK"
    assert client.http(ip, 8181, path="/x").status == 404
    with pytest.raises(NetError, match="^Connection timed out$"):
        client.http("10.96.0.10", 8181, path="/ready")


def test_engine_down_the_pods_go_unready_and_queries_time_out(cluster, client):
    dns = cluster.network.dns
    ip = ready_endpoints(cluster)[0]
    cluster.stop("coredns")
    try:
        # at once: the pods are still endpoints, but nothing answers
        with pytest.raises(NetError) as e:
            client.resolve("kubernetes")
        assert str(e.value) == "bad address 'kubernetes'" and e.value.seconds == DNS_TIMEOUT
        resp = client.http(ip, 8181, path="/ready")
        assert (resp.status, resp.body) == (503, "kubernetes")
        assert client.http(ip, 8080, path="/health").status == 200    # alive: no restarts
        # readiness: 3 failures 10 s apart take the pods out of the Service
        cluster.run(until=lambda: not ready_endpoints(cluster), timeout=40)
        assert not ready_endpoints(cluster) and len(dns_pods(cluster)) == 2
        cluster.run(2)
        with pytest.raises(NetError, match=f"^{NO_SERVERS}$") as e:
            client.query("kubernetes.default.svc.cluster.local")
        assert e.value.seconds == DNS_TIMEOUT
        assert cluster.network.service_router.last.verdict == "REJECT"   # ICMP unreachable, ignored by UDP
        events = cluster.kubectl("get events -n kube-system --field-selector reason=Unhealthy")
        assert "Readiness probe failed: HTTP probe failed with statuscode: 503" in events
        pod = dns_pods(cluster)[0]["metadata"]["name"]
        assert '[INFO] plugin/ready: Still waiting on: "kubernetes"' in cluster.kubectl(
            f"logs -n kube-system {pod} --tail 1")
        assert all(p["status"]["containerStatuses"][0]["restartCount"] == 0 for p in dns_pods(cluster))
    finally:
        cluster.start("coredns")
    cluster.run(until=lambda: len(ready_endpoints(cluster)) == 2, timeout=20)
    cluster.run(2)
    assert client.resolve("kubernetes") == ["10.96.0.1"]


def test_one_pod_deleted_traffic_avoids_it_and_the_replicaset_replaces_it(cluster, client):
    victim = dns_pods(cluster)[0]
    name, ip = victim["metadata"]["name"], victim["status"]["podIP"]
    cluster.delete("pods", name, namespace="kube-system")
    # a terminating pod leaves the endpoints at once (it is in its 5 s of lameduck)
    cluster.run(until=lambda: ip not in ready_endpoints(cluster), timeout=5)
    cluster.run(2)
    for _ in range(4):
        assert client.resolve("kubernetes.default.svc.cluster.local.") == ["10.96.0.1"]
        assert cluster.network.service_router.last.dnat != f"{ip}:53"
    cluster.run(until=lambda: name not in [p["metadata"]["name"] for p in dns_pods(cluster)], timeout=40)
    cluster.run(until=lambda: len(ready_endpoints(cluster)) == 2, timeout=40)
    assert len(dns_pods(cluster)) == 2


# -- the program alone ------------------------------------------------------------------------
def _start(files):
    loop = Loop(0)
    proc = Proc(["/coredns", "-conf", "/etc/coredns/Corefile"], fs=FileSystem(files),
                net=Network().attach("10.244.9.9"), clock=lambda: loop.now)
    return loop, proc, Process(loop, make_coredns(None), proc).start()


def test_program_without_corefile_exits_1_as_go_reports_it():
    loop, proc, p = _start({})
    loop.run(until=1)
    assert p.exit_code == 1
    assert proc.stderr.getvalue().endswith(" open /etc/coredns/Corefile: no such file or directory\n")
    assert proc.net.listeners == {}


def test_program_sigterm_lameducks_five_seconds_then_exits_0():
    loop, proc, p = _start({"/etc/coredns/Corefile": ".:53 {\n}\n"})
    loop.run(until=1)
    assert sorted(proc.net.listeners) == [("TCP", 53), ("TCP", 8080), ("TCP", 8181), ("TCP", 9153), ("UDP", 53)]
    # no engine on this network: DNS unanswered, not ready
    assert proc.net.listeners[("UDP", 53)](object()) is None
    p.signal(SIGTERM)
    loop.run(until=5.9)
    assert p.running and ("TCP", 8080) in proc.net.listeners      # still serving in lameduck
    loop.run(until=6.1)
    assert p.exit_code == 0 and proc.net.listeners == {}
    assert proc.stdout.getvalue().splitlines()[-2:] == [
        "[INFO] SIGTERM: Shutting down servers then terminating",
        "[INFO] plugin/health: Going into lameduck mode for 5s"]
