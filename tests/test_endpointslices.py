"""EndpointSlices (discovery.k8s.io/v1): the resource, its controllers, kubectl's table.

Upstream: pkg/apis/discovery/validation/validation.go, pkg/registry/discovery/endpointslice/
strategy.go, staging/src/k8s.io/endpointslice/{reconciler.go,utils.go,trafficdist/
trafficdist.go}, pkg/controller/endpointslice/endpointslice_controller.go,
pkg/controller/endpointslicemirroring/, plugin/pkg/auth/authorizer/rbac/bootstrappolicy/
controller_policy.go, pkg/printers/internalversion/printers.go (printEndpointSlice).
"""

from __future__ import annotations

import pytest

from k8score.api.errors import ApiError
from k8score.client import Client
from k8score.cluster import Cluster
from k8score.controllers.endpointslice import CONTROLLER_NAME
from k8score.controllers.endpointslice_reconciler import Reconciler
from k8score.controllers.endpointslice_tracker import EndpointSliceTracker

MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
SERVICE_NAME = "kubernetes.io/service-name"


def _slice(name="s1", address_type="IPv4", endpoints=None, ports=None, **extra):
    body = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": name},
            "addressType": address_type, "endpoints": endpoints or [], "ports": ports or []}
    body.update(extra)
    return body


def _invalid(api, body, **kw):
    with pytest.raises(ApiError) as e:
        api.create("endpointslices", body, namespace="default", **kw)
    assert e.value.code == 422
    return e.value.message


# -- the resource ----------------------------------------------------------------------------------
def test_create_defaults_ports_and_sets_generation(api):
    out = api.create("endpointslices", _slice(endpoints=[{"addresses": ["10.244.1.5"]}], ports=[{"port": 80}]),
                     namespace="default")
    assert out["ports"] == [{"name": "", "port": 80, "protocol": "TCP"}]
    assert out["metadata"]["generation"] == 1
    # labels count as a change (strategy.go PrepareForUpdate), other metadata does not
    out["metadata"]["annotations"] = {"a": "b"}
    out = api.update("endpointslices", out, namespace="default")
    assert out["metadata"]["generation"] == 1
    out["metadata"]["labels"] = {"x": "y"}
    out = api.update("endpointslices", out, namespace="default")
    assert out["metadata"]["generation"] == 2
    assert api.registry.resolve("endpointslices.discovery.k8s.io").kind == "EndpointSlice"


def test_validation_messages_are_upstreams(api):
    msg = _invalid(api, _slice(address_type="IP"))
    assert 'addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"' in msg
    msg = _invalid(api, _slice(endpoints=[
        {"addresses": []},
        {"addresses": ["127.0.0.1", "10.0.0.1.2", "169.254.1.1"], "hostname": "Web_1"},
        {"addresses": ["10.0.0.1"], "hints": {"forZones": [{"name": "a"}, {"name": "a"}]}}],
        ports=[{"name": "http", "port": 80, "protocol": "HTTP"}, {"name": "http", "port": 81}]))
    for part in ("endpoints[0].addresses: Required value: must contain at least 1 address",
                 'endpoints[1].addresses[0]: Invalid value: "127.0.0.1": may not be in the loopback range '
                 "(127.0.0.0/8, ::1/128)",
                 'endpoints[1].addresses[1]: Invalid value: "10.0.0.1.2": must be a valid IPv4 address',
                 'endpoints[1].addresses[2]: Invalid value: "169.254.1.1": may not be in the link-local range',
                 'endpoints[1].hostname: Invalid value: "Web_1": a lowercase RFC 1123 label',
                 'endpoints[2].hints.forZones[1].name: Duplicate value: "a"',
                 'ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
                 'ports[1].name: Duplicate value: "http"'):
        assert part in msg, part
    # an IPv6 address in an IPv4 slice; FQDN slices take names
    assert "must be a valid IPv4 address" in _invalid(api, _slice(endpoints=[{"addresses": ["fd00::1"]}]))
    api.create("endpointslices", _slice("fqdn", "FQDN", endpoints=[{"addresses": ["db.example.com"]}]),
               namespace="default")


def test_at_most_1000_endpoints_and_address_type_is_immutable(api):
    eps = [{"addresses": [f"10.1.{i // 250}.{i % 250 + 1}"]} for i in range(1001)]
    assert "endpoints: Too many: 1001: must have at most 1000 items" in _invalid(api, _slice(endpoints=eps))
    out = api.create("endpointslices", _slice(endpoints=eps[:1000]), namespace="default")
    assert len(out["endpoints"]) == 1000
    out["addressType"] = "IPv6"
    out["endpoints"] = [{"addresses": ["fd00::1"]}]
    with pytest.raises(ApiError) as e:
        api.update("endpointslices", out, namespace="default")
    assert 'addressType: Invalid value: "IPv6": field is immutable' in e.value.message


def test_controllers_may_write_slices_and_others_may_not(api):
    ctl = Client(api, user="system:serviceaccount:kube-system:endpointslicemirroring-controller")
    ctl.create("endpointslices", _slice("m"), namespace="default")
    other = Client(api, user="system:serviceaccount:default:default")
    with pytest.raises(ApiError) as e:
        other.create("endpointslices", _slice("n"), namespace="default")
    assert e.value.code == 403
    assert 'cannot create resource "endpointslices" in API group "discovery.k8s.io"' in e.value.message


# -- the reconciler, on a real API server --------------------------------------------------------
def _pod(i, ready=True, deleting=False, node="node-1", ports=(("http", 8080),)):
    meta = {"name": f"web-{i:03d}", "namespace": "default", "uid": f"uid-{i}", "labels": {"app": "web"}}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:10Z"
    ip = f"10.244.{1 + i // 200}.{i % 200 + 2}"
    return {"metadata": meta,
            "spec": {"nodeName": node, "containers": [{"name": "c", "ports": [
                {"name": n, "containerPort": p} for n, p in ports]}]},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


@pytest.fixture
def rec(api):
    svc = api.create("services", {"metadata": {"name": "web", "labels": {"tier": "front"}},
                                  "spec": {"selector": {"app": "web"},
                                           "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}},
                     namespace="default")
    client = Client(api, user="system:serviceaccount:kube-system:endpointslice-controller")
    nodes = {"node-1": {"metadata": {"name": "node-1", "labels": {"topology.kubernetes.io/zone": "zone-a"}}}}
    r = Reconciler(client, nodes.get, CONTROLLER_NAME, EndpointSliceTracker())
    r.svc = svc
    # the web Service's slices (the API server writes its own "kubernetes" slice in default too)
    r.slices = lambda: sorted([s for s in api.list("endpointslices", namespace="default")["items"]
                               if s["metadata"]["labels"].get(SERVICE_NAME) == "web"],
                              key=lambda s: -len(s["endpoints"] or ()))
    return r


def test_101_ready_pods_make_slices_of_100_and_1_and_one_more_fills_the_small_one(rec):
    pods = [_pod(i) for i in range(101)]
    rec.reconcile(rec.svc, pods, [])
    big, small = rec.slices()
    assert (len(big["endpoints"]), len(small["endpoints"])) == (100, 1)
    rec.reconcile(rec.svc, pods + [_pod(101)], rec.slices())   # the second call: no new slice
    assert [len(s["endpoints"]) for s in rec.slices()] == [100, 2]
    rec.reconcile(rec.svc, pods[:100], rec.slices())           # the small slice empties: deleted
    assert [len(s["endpoints"]) for s in rec.slices()] == [100]


def test_conditions_labels_owner_and_zone(rec):
    rec.reconcile(rec.svc, [_pod(0), _pod(1, ready=False), _pod(2, deleting=True)], [])
    [s] = rec.slices()
    by_pod = {ep["targetRef"]["name"]: ep for ep in s["endpoints"]}
    assert by_pod["web-000"]["conditions"] == {"ready": True, "serving": True, "terminating": False}
    assert by_pod["web-001"]["conditions"] == {"ready": False, "serving": False, "terminating": False}
    assert by_pod["web-002"]["conditions"] == {"ready": False, "serving": True, "terminating": True}
    assert by_pod["web-000"]["nodeName"] == "node-1" and by_pod["web-000"]["zone"] == "zone-a"
    assert by_pod["web-000"]["targetRef"] == {"kind": "Pod", "namespace": "default", "name": "web-000",
                                               "uid": "uid-0"}
    assert "hints" not in by_pod["web-000"]
    meta = s["metadata"]
    assert meta["name"].startswith("web-") and meta["generateName"] == "web-"
    assert meta["labels"] == {"tier": "front", SERVICE_NAME: "web", MANAGED_BY: "endpointslice-controller.k8s.io"}
    assert meta["ownerReferences"] == [{"apiVersion": "v1", "kind": "Service", "name": "web",
                                        "uid": rec.svc["metadata"]["uid"], "controller": True,
                                        "blockOwnerDeletion": True}]
    assert s["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]


def test_publish_not_ready_addresses_makes_every_endpoint_ready(rec):
    rec.svc["spec"]["publishNotReadyAddresses"] = True
    rec.reconcile(rec.svc, [_pod(1, ready=False), _pod(2, deleting=True)], [])
    assert [ep["conditions"]["ready"] for ep in rec.slices()[0]["endpoints"]] == [True, True]


def test_named_target_port_resolved_per_pod_gives_one_slice_per_port_set(rec):
    rec.reconcile(rec.svc, [_pod(0), _pod(1, ports=(("http", 9090),)), _pod(2, ports=(("metrics", 1),))], [])
    ports = sorted((s["ports"] or [{}])[0].get("port", 0) for s in rec.slices())
    # the pod without an "http" port still is an endpoint, in a slice without ports
    assert ports == [0, 8080, 9090]


def test_prefer_close_traffic_distribution_sets_zone_hints(rec):
    rec.svc["spec"]["trafficDistribution"] = "PreferClose"
    rec.reconcile(rec.svc, [_pod(0), _pod(1, ready=False)], [])
    eps = {ep["targetRef"]["name"]: ep for ep in rec.slices()[0]["endpoints"]}
    assert eps["web-000"]["hints"] == {"forZones": [{"name": "zone-a"}]}
    assert "hints" not in eps["web-001"]   # not-ready endpoints get none
    del rec.svc["spec"]["trafficDistribution"]
    rec.reconcile(rec.svc, [_pod(0), _pod(1, ready=False), _pod(3)], rec.slices())
    assert all("hints" not in ep for ep in rec.slices()[0]["endpoints"])


def test_placeholder_slice_for_no_endpoints_is_kept_not_recreated(rec):
    rec.reconcile(rec.svc, [], [])
    [p] = rec.slices()
    assert p["endpoints"] is None and p["ports"] is None
    rec.reconcile(rec.svc, [], [p])
    assert [s["metadata"]["uid"] for s in rec.slices()] == [p["metadata"]["uid"]]
    rec.reconcile(rec.svc, [_pod(0)], [p])   # the placeholder's name is reused for the real slice
    [s] = rec.slices()
    assert s["metadata"]["name"] == p["metadata"]["name"] and len(s["endpoints"]) == 1


# -- end to end: the cluster's controllers and real kubelets ------------------------------------------
WEB = """
apiVersion: v1
kind: Pod
metadata: {name: %(name)s, labels: {app: web}}
spec:
  containers:
  - name: web
    image: nginx
    ports: [{name: http, containerPort: %(port)d}]
"""
SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
"""


def _ready(c, n):
    return c.run(until=lambda: sum(any(x["type"] == "Ready" and x["status"] == "True"
                                       for x in p["status"].get("conditions", ())) for p in c.get("pods")) == n,
                 seconds=120)


def _slices(c, service):
    return [s for s in c.get("endpointslices") if s["metadata"]["labels"].get(SERVICE_NAME) == service]


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(nodes=2)
    c.apply(SERVICE)
    c.run(seconds=3)
    placeholder = _slices(c, "web")
    c.apply(WEB % {"name": "web-a", "port": 8080} + "---" + WEB % {"name": "web-b", "port": 9090})
    assert _ready(c, 2)
    c.run(seconds=3)
    return c, placeholder


def test_cluster_service_gets_placeholder_then_one_slice_per_named_port(cluster):
    c, placeholder = cluster
    [p] = placeholder
    assert p["endpoints"] is None and p["metadata"]["labels"][MANAGED_BY] == "endpointslice-controller.k8s.io"
    slices = sorted(_slices(c, "web"), key=lambda s: s["ports"][0]["port"])
    assert [(s["ports"][0]["port"], s["endpoints"][0]["targetRef"]["name"]) for s in slices] == \
        [(8080, "web-a"), (9090, "web-b")]
    pods = {p["metadata"]["name"]: p for p in c.get("pods")}
    for s in slices:
        [ep] = s["endpoints"]
        pod = pods[ep["targetRef"]["name"]]
        assert ep["addresses"] == [pod["status"]["podIP"]] and ep["nodeName"] == pod["spec"]["nodeName"]
        assert ep["conditions"] == {"ready": True, "serving": True, "terminating": False}
    # kube-dns: the two coredns pods of kubeadm's Deployment, ready
    [dns] = [s for s in c.get("endpointslices", namespace="kube-system")]
    assert dns["metadata"]["labels"][SERVICE_NAME] == "kube-dns"
    coredns = sorted(p["metadata"]["name"] for p in c.get("pods", namespace="kube-system")
                     if p["metadata"]["name"].startswith("coredns-"))
    assert len(coredns) == 2 and sorted(ep["targetRef"]["name"] for ep in dns["endpoints"]) == coredns
    assert all(ep["conditions"] == {"ready": True, "serving": True, "terminating": False} for ep in dns["endpoints"])


def test_kubectl_get_endpointslices(cluster):
    c, _ = cluster
    out = c.kubectl("get endpointslices").splitlines()
    assert out[0].split() == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    rows = sorted(line.split()[:4] for line in out[1:])
    ips = {p["metadata"]["name"]: p["status"]["podIP"] for p in c.get("pods")}
    apiserver = c.get("endpoints", "kubernetes")["subsets"][0]["addresses"][0]["ip"]
    assert rows[0] == ["kubernetes", "IPv4", "6443", apiserver]     # the API server's own slice
    assert sorted(r[1:] for r in rows[1:]) == [["IPv4", "8080", ips["web-a"]], ["IPv4", "9090", ips["web-b"]]]
    [dns] = c.kubectl("get endpointslices -n kube-system").splitlines()[1:]
    kind, ports, endpoints = dns.split()[1:4]
    dns_ips = sorted(p["status"]["podIP"] for p in c.get("pods", namespace="kube-system")
                     if p["metadata"]["name"].startswith("coredns-"))
    assert (kind, sorted(ports.split(",")), sorted(endpoints.split(","))) == ("IPv4", ["53", "53", "9153"], dns_ips)
    # a Service without endpoints: its placeholder slice prints <unset>
    c.apply(SERVICE.replace("name: web", "name: idle").replace("app: web", "app: idle"))
    c.run(seconds=2)
    [idle] = [line for line in c.kubectl("get endpointslices").splitlines() if line.startswith("idle-")]
    assert idle.split()[1:4] == ["IPv4", "<unset>", "<unset>"]


def test_selectorless_service_with_manual_endpoints_is_mirrored():
    c = Cluster(nodes=1)
    c.apply("""
apiVersion: v1
kind: Service
metadata: {name: ext}
spec:
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: ext, labels: {team: db}, annotations: {note: x}}
subsets:
- addresses: [{ip: 192.0.2.10}]
  notReadyAddresses: [{ip: 192.0.2.11}]
  ports: [{name: pg, port: 5432}]
""")
    c.run(seconds=3)
    [s] = _slices(c, "ext")
    assert s["metadata"]["labels"] == {"team": "db", SERVICE_NAME: "ext",
                                       MANAGED_BY: "endpointslicemirroring-controller.k8s.io"}
    assert s["metadata"]["annotations"] == {"note": "x"}
    ep_obj = c.get("endpoints", "ext")
    assert s["metadata"]["ownerReferences"][0]["kind"] == "Endpoints"
    assert s["metadata"]["ownerReferences"][0]["uid"] == ep_obj["metadata"]["uid"]
    assert s["ports"] == [{"name": "pg", "port": 5432, "protocol": "TCP"}]
    assert [(e["addresses"], e["conditions"]) for e in s["endpoints"]] == \
        [(["192.0.2.10"], {"ready": True}), (["192.0.2.11"], {"ready": False})]
    # skip-mirror: the slice goes; the kubernetes Service's Endpoints is never mirrored
    c.api.patch("endpoints", "ext", {"metadata": {"labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}}},
                namespace="default")
    c.run(seconds=3)
    assert _slices(c, "ext") == []
    [own] = _slices(c, "kubernetes")     # the API server writes its own slice (endpointsadapter.go)
    assert own["metadata"]["name"] == "kubernetes" and own["metadata"]["labels"] == {SERVICE_NAME: "kubernetes"}
