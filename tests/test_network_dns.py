"""Cluster DNS, the pods' resolver and Service routing (k8score.network).

Upstream behaviour pinned here:
- coredns/coredns plugin/kubernetes/{kubernetes.go,parse.go,namespace.go,reverse.go,README.md},
  plugin/backend_lookup.go (SRV weights), object/endpoint.go (port -1 sentinel);
- musl src/network/lookup_name.c (name_from_dns_search / name_from_dns: search list, ndots,
  NXDOMAIN continues, NODATA stops), src/network/resolvconf.c (timeout 5 s);
- kubernetes pkg/kubelet/network/dns/dns.go (GetPodDNS, limits and their event texts);
- kubernetes cmd/kubeadm/app/phases/addons/dns/manifests.go (kube-dns Service, system:coredns RBAC;
  the coredns Deployment's pods are the Service's endpoints: tests/test_coredns_deployment.py);
- containerd parseDNSOptions (resolv.conf layout);
- kubernetes pkg/proxy/iptables/proxier.go (REJECT for a Service without endpoints).
"""

import pytest

from k8score import Cluster
from k8score.container.net import DNS_TIMEOUT, NO_SERVERS, HttpResponse, NetError
from k8score.network import (CoreDNS, parse_resolv_conf, pod_dns_config, podnet_options,
                             ptr_name, resolv_conf, search_names)
from k8score.network.records import KubernetesZone

SEARCH = ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"]


# -- resolv.conf --------------------------------------------------------------------------------
def test_resolv_conf_is_written_as_containerd_does_and_reads_back():
    text = resolv_conf(SEARCH, "10.96.0.10", 5)
    assert text == ("search default.svc.cluster.local svc.cluster.local cluster.local\n"
                    "nameserver 10.96.0.10\n"
                    "options ndots:5\n")
    parsed = parse_resolv_conf("# generated\n" + text + "search a.example.\nnameserver 1.1.1.1\n")
    # nameservers accumulate; the last search line wins, trailing dot dropped
    assert parsed["servers"] == ["10.96.0.10", "1.1.1.1"]
    assert parsed["searches"] == ["a.example"]
    assert parsed["ndots"] == 5
    assert parse_resolv_conf("nameserver 127.0.0.53\n")["ndots"] == 1   # resolver(5) default


def test_pod_dns_config_follows_the_dns_policy():
    cfg = pod_dns_config({"metadata": {"namespace": "prod"}, "spec": {}})
    assert cfg == {"servers": ["10.96.0.10"],
                   "searches": ["prod.svc.cluster.local", "svc.cluster.local", "cluster.local"],
                   "options": ["ndots:5"]}
    host = {"servers": ["127.0.0.53"], "searches": ["lan"], "options": ["edns0"]}
    # ClusterFirst on the host network falls back to Default: the node's file as it is
    hostnet = pod_dns_config({"spec": {"hostNetwork": True}}, host=host)
    assert hostnet == {"servers": ["127.0.0.53"], "searches": ["lan"], "options": ["edns0"]}
    # ... unless the pod asks for ClusterFirstWithHostNet; the host's searches come after the cluster's
    withnet = pod_dns_config({"spec": {"hostNetwork": True, "dnsPolicy": "ClusterFirstWithHostNet"}}, host=host)
    assert withnet["servers"] == ["10.96.0.10"]
    assert withnet["searches"] == SEARCH + ["lan"]
    assert withnet["options"] == ["ndots:5"]
    none = pod_dns_config({"spec": {"dnsPolicy": "None", "dnsConfig": {
        "nameservers": ["192.0.2.1"], "searches": ["ns1.svc.cluster-domain.example"],
        "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}]}}}, host=host)
    assert none == {"servers": ["192.0.2.1"], "searches": ["ns1.svc.cluster-domain.example"],
                    "options": ["ndots:2", "edns0"]}
    # dnsConfig merges into ClusterFirst: duplicates dropped, an option's value replaced
    merged = pod_dns_config({"spec": {"dnsConfig": {"nameservers": ["10.96.0.10", "192.0.2.1"],
                                                    "searches": ["svc.cluster.local", "x.example"],
                                                    "options": [{"name": "ndots", "value": "1"}]}}})
    assert merged["servers"] == ["10.96.0.10", "192.0.2.1"]
    assert merged["searches"] == SEARCH + ["x.example"]
    assert merged["options"] == ["ndots:1"]
    assert podnet_options(merged) == {"search": SEARCH + ["x.example"], "nameserver": "10.96.0.10", "ndots": 1}


def test_pod_dns_config_limits_cut_and_warn_as_the_kubelet_does():
    events = []
    three = pod_dns_config({"spec": {"dnsPolicy": "None", "dnsConfig": {
        "nameservers": ["192.0.2.1", "192.0.2.2", "192.0.2.3"]}}}, events=events)
    assert three["servers"] == ["192.0.2.1", "192.0.2.2", "192.0.2.3"] and events == []
    four = pod_dns_config({"spec": {"dnsPolicy": "None", "dnsConfig": {
        "nameservers": ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]}}}, events=events)
    assert four["servers"] == ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
    assert events == [("Warning", "DNSConfigForming", "Nameserver limits were exceeded, some nameservers have "
                       "been omitted, the applied nameserver line is: 192.0.2.1 192.0.2.2 192.0.2.3")]
    events.clear()
    domains = [f"d{i}.example" for i in range(29)]          # + 3 cluster domains = 32: fits
    assert len(pod_dns_config({"spec": {"dnsConfig": {"searches": domains}}}, events=events)["searches"]) == 32
    assert events == []
    cut = pod_dns_config({"spec": {"dnsConfig": {"searches": domains + ["d29.example"]}}}, events=events)
    assert len(cut["searches"]) == 32 and "d29.example" not in cut["searches"]
    assert events[0][1] == "DNSConfigForming"
    assert events[0][2].startswith("Search Line limits were exceeded, some search paths have been omitted, "
                                   "the applied search line is: default.svc.cluster.local svc.cluster.local")


# -- the stub resolver's search list ----------------------------------------------------------------
def test_search_names_follow_ndots():
    # 4 dots < ndots 5: the search list first, then the name as written
    assert search_names("web.prod.svc.cluster.local", SEARCH, 5) == [
        "web.prod.svc.cluster.local.default.svc.cluster.local", "web.prod.svc.cluster.local.svc.cluster.local",
        "web.prod.svc.cluster.local.cluster.local", "web.prod.svc.cluster.local"]
    # 5 dots: only as written; a trailing dot: only as written, without the dot
    assert search_names("a.b.c.d.e.f", SEARCH, 5) == ["a.b.c.d.e.f"]
    assert search_names("web.prod.svc.cluster.local.", SEARCH, 5) == ["web.prod.svc.cluster.local"]
    assert search_names("web.prod", SEARCH, 1) == ["web.prod"]
    assert search_names("web", SEARCH, 1) == ["web.default.svc.cluster.local", "web.svc.cluster.local",
                                              "web.cluster.local", "web"]


# -- the kubernetes plugin, parse.go ------------------------------------------------------------------
def test_parse_request_shapes():
    z = KubernetesZone()
    assert z.parse("web.default.svc.cluster.local") == ("svc", "default", "web", "", "", "")
    assert z.parse("web-0.web.default.svc.cluster.local") == ("svc", "default", "web", "web-0", "", "")
    assert z.parse("_http._tcp.web.default.svc.cluster.local.") == ("svc", "default", "web", "", "http", "tcp")
    # two labels left are port and protocol, underscores or not (no multicluster)
    assert z.parse("a.b.web.default.svc.cluster.local") == ("svc", "default", "web", "", "a", "b")
    assert z.parse("x.a.b.web.default.svc.cluster.local") == "invalid"      # too long
    assert z.parse("web.default.cluster.local") == "invalid"                 # neither svc nor pod
    assert z.parse("svc.cluster.local") == ("", "", "", "", "", "")          # apex-like: NODATA
    with pytest.raises(ValueError):
        KubernetesZone(pod_mode="strict")


# -- a cluster with DNS -----------------------------------------------------------------------------
SERVICES = """
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{name: http, port: 80, targetPort: 8080}, {name: metrics, port: 9100, protocol: TCP}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: web}
subsets:
- addresses: [{ip: 10.244.1.5}]
  ports: [{name: http, port: 8080}, {name: metrics, port: 9100}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: db}
subsets:
- addresses: [{ip: 10.244.1.7, hostname: db-0}, {ip: 10.244.2.8}]
  notReadyAddresses: [{ip: 10.244.2.9}]
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: cold}
spec:
  clusterIP: None
  ports: [{port: 80}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: cold}
subsets:
- notReadyAddresses: [{ip: 10.244.2.10}]
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: db.example.com}
---
apiVersion: v1
kind: Service
metadata: {name: lonely}
spec:
  selector: {app: nothing-matches}
  ports: [{port: 80}]
"""


def dns_endpoints(c):
    """The ready addresses of kube-system/kube-dns: kubeadm's coredns pods once they are Ready."""
    ep = c.api.get("endpoints", "kube-dns", namespace="kube-system")
    return sorted({a["ip"] for s in ep.get("subsets") or () for a in s.get("addresses") or ()})


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(nodes=2, seed=3)
    c.apply(SERVICES)
    c.network.dns.external["example.com"] = ["93.184.215.14"]   # what `forward .` would find upstream
    c.run(until=lambda: len(dns_endpoints(c)) == 2, timeout=20)
    c.run(2)   # kube-proxy programs the new endpoints
    return c


def ask(c, name, qtype="A"):
    return c.network.dns.query(name, qtype)


def records(reply):
    return [(r.rtype, r.data) for r in reply.answers]


def test_kubeadm_dns_service_and_coredns_identity(cluster):
    svc = cluster.get("services", "kube-dns", namespace="kube-system")
    assert svc["spec"]["clusterIP"] == "10.96.0.10"
    assert [(p["name"], p["port"], p["protocol"]) for p in svc["spec"]["ports"]] == [
        ("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")]
    role = cluster.get("clusterroles", "system:coredns", namespace=None)
    assert role["rules"][0]["resources"] == ["endpoints", "services", "pods", "namespaces"]
    dns = cluster.network.dns
    # kube-system/coredns may list and watch what it needs: synced, no errors
    assert dns.ready and dns.factory.has_synced and dns.errors.entries == []
    assert dns.services.client.user == "system:serviceaccount:kube-system:coredns"


def test_coredns_without_rbac_serves_unsynced_after_five_seconds(cluster):
    dns = CoreDNS(cluster.loop, cluster.apiserver, "coredns-norbac", user="system:serviceaccount:default:default")
    dns.start()
    try:
        cluster.run(4.9)
        assert not dns.ready and dns.query("kubernetes.default.svc.cluster.local") is None
        cluster.run(0.2)
        assert dns.ready
        assert "starting server with unsynced Kubernetes API" in dns.errors.entries[-1][1]
        # it knows no namespace: every cluster name is NXDOMAIN
        assert dns.query("kubernetes.default.svc.cluster.local").rcode == "NXDOMAIN"
    finally:
        dns.stop()


def test_clusterip_service_records(cluster):
    web_ip = cluster.get("services", "web")["spec"]["clusterIP"]
    r = ask(cluster, "web.default.svc.cluster.local")
    assert (r.rcode, records(r)) == ("NOERROR", [("A", web_ip)])     # two ports, one A
    assert r.answers[0].ttl == 30                                      # kubeadm's "ttl 30"
    assert ask(cluster, "WEB.Default.svc.cluster.local.").addresses() == [web_ip]
    assert ask(cluster, "kubernetes.default.svc.cluster.local").addresses() == ["10.96.0.1"]
    nodata = ask(cluster, "web.default.svc.cluster.local", "AAAA")
    assert (nodata.rcode, nodata.answers) == ("NOERROR", [])          # IPv4 only: NODATA
    assert ask(cluster, "nope.default.svc.cluster.local").rcode == "NXDOMAIN"
    assert ask(cluster, "web.nosuchns.svc.cluster.local").rcode == "NXDOMAIN"
    assert ask(cluster, "default.svc.cluster.local").rcode == "NOERROR"    # the namespace exists
    assert ask(cluster, "nosuchns.svc.cluster.local").rcode == "NXDOMAIN"
    assert ask(cluster, "cluster.local").rcode == "NOERROR"
    assert ask(cluster, "web.default.cluster.local").rcode == "NXDOMAIN"


def test_srv_records_for_named_ports(cluster):
    one = ask(cluster, "_http._tcp.web.default.svc.cluster.local", "SRV")
    assert records(one) == [("SRV", "0 100 80 web.default.svc.cluster.local.")]
    assert [(r.name, r.data) for r in one.extra] == [
        ("web.default.svc.cluster.local", cluster.get("services", "web")["spec"]["clusterIP"])]
    both = ask(cluster, "web.default.svc.cluster.local", "SRV")
    assert records(both) == [("SRV", "0 50 80 web.default.svc.cluster.local."),
                             ("SRV", "0 50 9100 web.default.svc.cluster.local.")]
    assert ask(cluster, "_http._udp.web.default.svc.cluster.local", "SRV").rcode == "NXDOMAIN"
    assert ask(cluster, "_https._tcp.web.default.svc.cluster.local", "SRV").rcode == "NXDOMAIN"
    headless = ask(cluster, "_pg._tcp.db.default.svc.cluster.local", "SRV")
    assert records(headless) == [("SRV", "0 50 5432 db-0.db.default.svc.cluster.local."),
                                 ("SRV", "0 50 5432 10-244-2-8.db.default.svc.cluster.local.")]
    assert [(r.name, r.data) for r in headless.extra] == [("db-0.db.default.svc.cluster.local", "10.244.1.7"),
                                                          ("10-244-2-8.db.default.svc.cluster.local", "10.244.2.8")]


def test_headless_service_returns_ready_endpoints(cluster):
    assert ask(cluster, "db.default.svc.cluster.local").addresses() == ["10.244.1.7", "10.244.2.8"]
    assert ask(cluster, "db-0.db.default.svc.cluster.local").addresses() == ["10.244.1.7"]
    assert ask(cluster, "10-244-2-8.db.default.svc.cluster.local").addresses() == ["10.244.2.8"]
    # a not-ready address is not served, by any name
    assert ask(cluster, "10-244-2-9.db.default.svc.cluster.local").rcode == "NXDOMAIN"
    assert ask(cluster, "cold.default.svc.cluster.local").rcode == "NXDOMAIN"
    # an endpoint name under a ClusterIP Service works too (findServices: r.endpoint != "")
    assert ask(cluster, "10-244-1-5.web.default.svc.cluster.local").addresses() == ["10.244.1.5"]


def test_externalname_pod_and_reverse_records(cluster):
    assert records(ask(cluster, "ext.default.svc.cluster.local")) == [("CNAME", "db.example.com.")]
    # pods insecure: any dashed IP in an existing namespace, no pod needed
    assert ask(cluster, "10-1-2-3.default.pod.cluster.local").addresses() == ["10.1.2.3"]
    assert ask(cluster, "10-1-2-3.nosuchns.pod.cluster.local").rcode == "NXDOMAIN"
    assert ask(cluster, "not-an-ip.default.pod.cluster.local").rcode == "NXDOMAIN"
    assert records(ask(cluster, ptr_name("10.96.0.10"), "PTR")) == [
        ("PTR", "kube-dns.kube-system.svc.cluster.local.")]
    assert records(ask(cluster, ptr_name("10.244.1.7"), "PTR")) == [("PTR", "db-0.db.default.svc.cluster.local.")]
    assert ask(cluster, ptr_name("10.9.9.9"), "PTR").rcode == "NXDOMAIN"
    # forward . /etc/resolv.conf: only the names the simulation's outside world knows
    assert ask(cluster, "example.com").addresses() == ["93.184.215.14"]
    assert ask(cluster, "example.org").rcode == "NXDOMAIN"


def test_verified_pod_mode_needs_a_pod_with_that_ip(cluster):
    cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probe-target"},
                   "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
    cluster.run(until=lambda: cluster.get("pods", "probe-target")["status"].get("podIP"), timeout=30)
    ip = cluster.get("pods", "probe-target")["status"]["podIP"]
    dashed = ip.replace(".", "-")
    dns = CoreDNS(cluster.loop, cluster.apiserver, "coredns-verified", pod_mode="verified")
    dns.start()
    try:
        cluster.run(1)
        assert dns.query(f"{dashed}.default.pod.cluster.local").addresses() == [ip]
        assert dns.query(f"{dashed}.kube-system.pod.cluster.local").rcode == "NXDOMAIN"
        assert dns.query("10-1-2-3.default.pod.cluster.local").rcode == "NXDOMAIN"
    finally:
        dns.stop()


# -- a pod's view: resolver, routing, DNS down ----------------------------------------------------------
@pytest.fixture
def pod(cluster):
    net = cluster.network
    ns = net.attach("10.244.1.50", node="node-1", hostname="client",
                    **podnet_options(pod_dns_config({"metadata": {"namespace": "default"}})))
    yield ns
    net.detach("10.244.1.50")


def queries_since(dns, n):
    return [(name, qtype, rcode) for _t, _src, name, qtype, rcode in dns.log[n:]]


def test_resolver_walks_the_search_list_like_musl(cluster, pod):
    dns = cluster.network.dns
    web_ip = cluster.get("services", "web")["spec"]["clusterIP"]
    n = len(dns.log)
    assert pod.resolve("web") == [web_ip]
    assert queries_since(dns, n) == [("web.default.svc.cluster.local", "A", "NOERROR"),
                                     ("web.default.svc.cluster.local", "AAAA", "NOERROR")]
    n = len(dns.log)
    assert pod.resolve("kube-dns.kube-system") == ["10.96.0.10"]
    assert [q[0] for q in queries_since(dns, n)][::2] == ["kube-dns.kube-system.default.svc.cluster.local",
                                                          "kube-dns.kube-system.svc.cluster.local"]
    n = len(dns.log)
    # 4 dots: still the search list first (ndots:5), all NXDOMAIN, then the name itself
    assert pod.resolve("web.default.svc.cluster.local") == [web_ip]
    assert len(queries_since(dns, n)) == 8
    n = len(dns.log)
    # the trailing dot: one name, no search
    assert pod.resolve("web.default.svc.cluster.local.") == [web_ip]
    assert len(queries_since(dns, n)) == 2
    assert pod.resolve("localhost") == ["127.0.0.1"] and pod.resolve("client") == ["10.244.1.50"]


def test_resolver_stops_at_nodata_and_fails_as_wget_says(cluster, pod):
    dns = cluster.network.dns
    n = len(dns.log)
    # "default.svc.cluster.local" exists without an A record: musl stops there (EAI_NONAME)
    with pytest.raises(NetError) as e:
        pod.resolve("default")
    assert str(e.value) == "bad address 'default'" and e.value.seconds == 0
    assert [q[0] for q in queries_since(dns, n)][::2] == ["default.default.svc.cluster.local",
                                                          "default.svc.cluster.local"]
    n = len(dns.log)
    with pytest.raises(NetError, match="^bad address 'nope'$"):
        pod.resolve("nope")
    assert [q[0] for q in queries_since(dns, n)][::2] == ["nope.default.svc.cluster.local",
                                                          "nope.svc.cluster.local", "nope.cluster.local", "nope"]


def test_dns_down_times_out_and_comes_back(cluster, pod):
    dns = cluster.network.dns
    dns.stop()
    try:
        # the coredns pods still receive the packets (kube-proxy DNAT), but nothing answers
        with pytest.raises(NetError) as e:
            pod.resolve("web")
        assert str(e.value) == "bad address 'web'" and e.value.seconds == DNS_TIMEOUT
        with pytest.raises(NetError, match=f"^{NO_SERVERS}$"):
            pod.query("web.default.svc.cluster.local")
        assert cluster.network.service_router.last.dnat.endswith(":53")
    finally:
        dns.start()
    cluster.run(1)
    reply = pod.query("web.default.svc.cluster.local")
    assert reply.server == "10.96.0.10:53" and reply.rcode == "NOERROR"
    # a namespace without a nameserver (a node's host network here) cannot ask at all
    host = cluster.network.attach("192.168.9.9", node="node-1")
    with pytest.raises(NetError, match="^bad address 'web'$"):
        host.resolve("web")
    cluster.network.detach("192.168.9.9")


def test_coredns_health_ready_and_metrics_over_http(cluster, pod):
    ip = dns_endpoints(cluster)[0]            # a coredns pod: the probe ports are no Service ports
    assert pod.http(ip, 8181, path="/ready").body == "OK"
    assert pod.http(ip, 8080, path="/health").status == 200
    # metrics is a Service port (9153/TCP): through kube-proxy to either pod
    metrics = pod.http("10.96.0.10", 9153, path="/metrics").body
    assert 'coredns_dns_responses_total{rcode="NXDOMAIN",server="dns://:53",zone="."}' in metrics
    assert cluster.network.service_router.last.dnat in {f"{i}:9153" for i in dns_endpoints(cluster)}


def test_service_traffic_follows_kube_proxy_rules(cluster, pod):
    net = cluster.network
    backend = net.attach("10.244.1.5", node="node-1")
    hits = []
    backend.listen(8080, lambda req: hits.append((req.src_ip, req.path)) or HttpResponse(200, "hello"))
    try:
        assert pod.http("web", 80, path="/x").body == "hello"
        assert hits == [("10.244.1.50", "/x")]
        assert net.service_router.last.dnat == "10.244.1.5:8080"
        # the metrics port goes to 9100 on the same pod, where nothing listens
        with pytest.raises(NetError, match="^Connection refused$"):
            pod.connect("web", 9100)
        # no endpoints: kube-proxy's REJECT rule refuses at once
        with pytest.raises(NetError, match="^Connection refused$"):
            pod.http("lonely", 80)
        assert net.service_router.last.verdict == "REJECT"
        # no kube-proxy for the source's node: nothing DNATs the ClusterIP -- nor the DNS
        # Service's, so names do not resolve either (the resolver waits out its timeout)
        stray = net.attach("10.244.7.7", **podnet_options(pod_dns_config({})))
        with pytest.raises(NetError, match="^Connection timed out$"):
            stray.http(cluster.get("services", "web")["spec"]["clusterIP"], 80)
        with pytest.raises(NetError, match="^bad address 'web'$") as e:
            stray.resolve("web")
        assert e.value.seconds == DNS_TIMEOUT
        net.detach("10.244.7.7")
    finally:
        net.detach("10.244.1.5")


def test_answers_follow_the_watch(cluster, pod):
    cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "late"},
                   "spec": {"ports": [{"port": 80}]}})
    ip = cluster.get("services", "late")["spec"]["clusterIP"]
    cluster.run(1)
    assert pod.resolve("late") == [ip]
    cluster.delete("services", "late")
    cluster.run(1)
    with pytest.raises(NetError, match="^bad address 'late'$"):
        pod.resolve("late")
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-b"}})
    cluster.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": "team-b"},
                   "spec": {"ports": [{"port": 443}]}})
    cluster.run(1)
    assert pod.resolve("api.team-b") == [cluster.get("services", "api", namespace="team-b")["spec"]["clusterIP"]]


# -- TLS listeners ---------------------------------------------------------------------------
def test_tls_listeners_answer_https_and_refuse_the_wrong_scheme_as_go_does():
    """net/http transport.go ("server gave HTTP response to HTTPS client") and server.go
    (400 "Client sent an HTTP request to an HTTPS server.")."""
    from k8score.container.net import HTTP_TO_TLS_BODY, HTTPS_TO_PLAIN, Network
    net = Network()
    server, client = net.attach("10.244.0.5"), net.attach("10.244.1.7")
    server.listen(6443, lambda req: HttpResponse(200, "ok"), tls=True)
    server.listen(8080, lambda req: HttpResponse(200, "plain"))
    assert client.http("10.244.0.5", 6443, path="/livez", scheme="https").body == "ok"
    resp = client.http("10.244.0.5", 6443, path="/livez")
    assert (resp.status, resp.body) == (400, "Client sent an HTTP request to an HTTPS server.\n") and \
        resp.body == HTTP_TO_TLS_BODY
    with pytest.raises(NetError) as err:
        client.http("10.244.0.5", 8080, scheme="https")
    assert str(err.value) == HTTPS_TO_PLAIN == "http: server gave HTTP response to HTTPS client"
    assert client.http("10.244.0.5", 8080).body == "plain"
    # re-listening in plain, or closing, forgets TLS; TCP connects do not care
    server.listen(6443, lambda req: HttpResponse(200, "again"))
    assert client.http("10.244.0.5", 6443).body == "again"
    server.unlisten(6443)
    server.listen(6443, lambda req: HttpResponse(200, "x"))
    assert 6443 not in server.tls_ports
    client.connect("10.244.0.5", 8080)
