"""The ``kubernetes`` Service's endpoints with three API servers: master leases in etcd.

Upstream: pkg/controlplane/reconcilers/lease.go (storageLeases: ``/masterleases/<ip>`` with a
TTL, refreshed with ``Generation++``; leaseEndpointReconciler: refuse an empty listing,
``Resetting endpoints for master service "kubernetes" to [...]``), endpointsadapter.go (the
EndpointSlice ``kubernetes``), pkg/controlplane/instance.go (DefaultEndpointReconcilerInterval
10 s, DefaultEndpointReconcilerTTL 15 s), pkg/controlplane/controller/kubernetesservice/
controller.go (Start removes a stale key: "Found stale data, ..."; Stop removes ours).
"""

import json

import pytest

from k8score import Cluster
from k8score.apiserver.masterleases import LEASE_TTL, LeaseEndpointReconciler, ReconcileError

IPS = ["192.168.0.10", "192.168.0.11", "192.168.0.12"]


@pytest.fixture(scope="module")
def c():
    return Cluster(nodes=1, seed=0, control_planes=3)


def endpoint_ips(c):
    ep = c.apiservers[0].lister.get("endpoints", "kubernetes", "default")
    return [a["ip"] for a in ep["subsets"][0]["addresses"]]


def slice_ips(c):
    s = c.apiservers[0].lister.get("endpointslices", "kubernetes", "default")
    return [e["addresses"][0] for e in s["endpoints"]]


def proxied(c, node="node-1"):
    """The API server addresses kube-proxy on ``node`` sends 10.96.0.1:443 to."""
    rules = c.ssh(node, "iptables-save -t nat").splitlines()
    return sorted(line.split("--to-destination ")[1] for line in rules
                  if "default/kubernetes:https" in line and "DNAT" in line)


def lease_value(c, ip):
    kvs = c.apiservers[0].store.range(f"/registry/masterleases/{ip}").kvs
    return (json.loads(kvs[0].value), kvs[0]) if kvs else (None, None)


def test_every_api_server_is_an_endpoint_and_holds_a_15s_lease(c):
    assert endpoint_ips(c) == slice_ips(c) == IPS
    assert proxied(c) == [f"{ip}:6443" for ip in IPS]
    out = c.kubectl("get endpointslices kubernetes").splitlines()
    assert out[1].split()[:4] == ["kubernetes", "IPv4", "6443", ",".join(IPS)]
    assert c.etcdctl("get /registry/masterleases/ --prefix --keys-only").split() == \
        [f"/registry/masterleases/{ip}" for ip in IPS]
    value, kv = lease_value(c, "192.168.0.11")
    assert value["subsets"] == [{"addresses": [{"ip": "192.168.0.11"}]}]
    assert c.etcd.lease_timetolive(kv.lease).granted_ttl == LEASE_TTL == 15
    ep = c.get("endpoints", "kubernetes")
    assert ep["metadata"]["labels"] == {"endpointslice.kubernetes.io/skip-mirror": "true"}
    assert ep["subsets"][0]["ports"][0]["port"] == 6443


def test_each_server_refreshes_its_key_every_10_seconds(c):
    s = c.apiservers[1].kubernetes_service
    before, kv0 = lease_value(c, "192.168.0.11")
    t = s.renewed
    c.run(until=lambda: s.renewed != t, timeout=11)
    assert s.renewed - t == pytest.approx(10.0)
    after, kv1 = lease_value(c, "192.168.0.11")
    # Generation++ makes the write a change; each write has its own new lease
    assert after["metadata"]["generation"] == before["metadata"]["generation"] + 1
    assert kv1.mod_revision > kv0.mod_revision and kv1.lease != kv0.lease
    # a steady state writes the Endpoints no more
    rv = c.get("endpoints", "kubernetes")["metadata"]["resourceVersion"]
    c.run(10)
    assert c.get("endpoints", "kubernetes")["metadata"]["resourceVersion"] == rv


def test_a_crashed_server_leaves_the_endpoints_after_its_lease_expires(c):
    s2 = c.apiservers[1]
    c.run(until=lambda: c.now - s2.kubernetes_service.renewed > 1.0, timeout=11)
    c.stop("kube-apiserver-2")
    last = s2.kubernetes_service.renewed
    # just before the TTL: the key and the endpoint are still there, kube-proxy still routes
    c.run(until=lambda: c.now >= last + LEASE_TTL - 0.2)
    assert lease_value(c, "192.168.0.11")[0] is not None
    assert "192.168.0.11" in endpoint_ips(c) and "192.168.0.11:6443" in proxied(c)
    # past the TTL (etcd's leader revokes expired leases once a second): the key is gone,
    # the endpoints keep it until a live server's next run (every 10 s, on the 10 s beat)
    c.run(until=lambda: c.now >= last + LEASE_TTL + 1.1)
    assert lease_value(c, "192.168.0.11")[0] is None
    assert "192.168.0.11" in endpoint_ips(c)
    c.run(until=lambda: "192.168.0.11" not in endpoint_ips(c), timeout=10)
    assert c.now == pytest.approx(last + 20.0, abs=0.01)
    assert endpoint_ips(c) == slice_ips(c) == ["192.168.0.10", "192.168.0.12"]
    assert c.apiservers[0].kubernetes_service.log[-1] == (
        pytest.approx(c.now), 'Resetting endpoints for master service "kubernetes" to [192.168.0.10 192.168.0.12]')
    c.run(1.1)   # kube-proxy's minSyncPeriod
    assert proxied(c) == ["192.168.0.10:6443", "192.168.0.12:6443"]
    t = c.trace("node-1", "10.96.0.1", 443)
    assert t.verdict == "ACCEPT" and t.endpoint in ("192.168.0.10:6443", "192.168.0.12:6443")
    # back: it adds itself on its first run, at once
    c.start("kube-apiserver-2")
    t0 = c.now
    c.run(0.01)
    assert endpoint_ips(c) == slice_ips(c) == IPS
    assert s2.kubernetes_service.log[-1] == (
        pytest.approx(t0), 'Resetting endpoints for master service "kubernetes" to [192.168.0.10 192.168.0.11 '
                              '192.168.0.12]')


def test_restart_within_the_ttl_removes_the_stale_key_first(c):
    s3 = c.apiservers[2].kubernetes_service
    c.stop("kube-apiserver-3")
    c.run(3)
    assert "192.168.0.12" in endpoint_ips(c)
    c.start("kube-apiserver-3")
    t0 = c.now
    c.run(0.01)
    lines = [line for t, line in s3.log if t == t0]
    assert lines == [
        'Resetting endpoints for master service "kubernetes" to [192.168.0.10 192.168.0.11]',
        "Found stale data, removed previous endpoints on kubernetes service, apiserver didn't exit "
        "successfully previously",
        'Resetting endpoints for master service "kubernetes" to [192.168.0.10 192.168.0.11 192.168.0.12]']
    assert endpoint_ips(c) == IPS


def test_a_graceful_shutdown_removes_the_endpoint_at_once(c):
    s3 = c.apiservers[2]
    s3.shutdown()                                 # SIGTERM: controller.go Stop
    assert not s3.running
    assert endpoint_ips(c) == slice_ips(c) == ["192.168.0.10", "192.168.0.11"]
    assert lease_value(c, "192.168.0.12")[0] is None
    assert [line for t, line in s3.kubernetes_service.log if t == c.now] == [
        "Shutting down kubernetes service endpoint reconciler",
        'Resetting endpoints for master service "kubernetes" to [192.168.0.10 192.168.0.11]']
    c.start("kube-apiserver-3")                   # no stale key: no "Found stale data"
    c.run(0.01)
    assert endpoint_ips(c) == IPS and "Found stale data" not in s3.kubernetes_service.log[-1][1]


class _NoLeases:
    def update_lease(self, ip):
        pass

    def list_leases(self):
        return []


def test_an_empty_listing_never_erases_the_endpoints(c):
    api = c.apiservers[0]
    rec = LeaseEndpointReconciler(api, _NoLeases(), lambda line: None)
    with pytest.raises(ReconcileError) as e:
        rec.reconcile_endpoints("192.168.0.10")
    assert str(e.value) == ("no master IPs were listed in storage, refusing to erase all endpoints "
                               "for the kubernetes service")
    assert endpoint_ips(c) == IPS
    rec.stopped = True                            # StopReconciling: nothing more happens
    assert rec.reconcile_endpoints("192.168.0.10") is None


def test_a_broken_endpoints_object_is_remade(c):
    """Someone rewrites default/kubernetes by hand: the next run puts the live set back."""
    ep = c.get("endpoints", "kubernetes")
    ep["subsets"] = [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"name": "https", "port": 6443}]},
                     {"addresses": [{"ip": "10.0.0.2"}], "ports": [{"name": "x", "port": 1}]}]
    ep["metadata"]["labels"] = {}
    c.api.update("endpoints", ep, namespace="default")
    c.run(10)
    ep = c.get("endpoints", "kubernetes")
    assert [a["ip"] for a in ep["subsets"][0]["addresses"]] == IPS and len(ep["subsets"]) == 1
    assert ep["metadata"]["labels"] == {"endpointslice.kubernetes.io/skip-mirror": "true"}
    assert slice_ips(c) == IPS


def test_one_api_server_keeps_its_bootstrap_endpoint_and_writes_no_leases():
    c = Cluster(nodes=0, seed=0)
    assert c.etcdctl("get /registry/masterleases/ --prefix --keys-only") == ""
    assert [a["ip"] for a in c.get("endpoints", "kubernetes")["subsets"][0]["addresses"]] == ["172.18.0.2"]
