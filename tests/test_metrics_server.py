"""metrics-server and ``kubectl top``: scraping each kubelet's ``/metrics/resource`` every 15 s
(kubernetes-sigs/metrics-server pkg/scraper, pkg/storage), the ``metrics.k8s.io/v1beta1``
NodeMetrics/PodMetrics served through the API server (pkg/api/node.go, pod.go), and kubectl's
printing (k8s.io/kubectl/pkg/cmd/top/top_node.go, top_pod.go, pkg/metricsutil/metrics_printer.go)."""

import re

import pytest

from k8score import Cluster
from k8score.client import ApiError
from k8score.metrics import install
from k8score.metrics.scrape import Batch, Point, Storage, decode

PODS = """apiVersion: v1
kind: Pod
metadata: {name: php, labels: {app: php}}
spec:
  containers:
  - name: php-apache
    image: registry.k8s.io/hpa-example
    resources: {limits: {cpu: 500m}, requests: {cpu: 200m}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - {name: nginx, image: nginx}
  - {name: sidecar, image: busybox, command: [sleep, "3600"]}
---
apiVersion: v1
kind: Service
metadata: {name: php-apache}
spec:
  ports: [{port: 80}]
  selector: {app: php}
"""
LOAD = ('run load --image=busybox:1.28 --restart=Never -- /bin/sh -c '
        '"while sleep 0.01; do wget -q -O- http://php-apache; done"')


@pytest.fixture(scope="module")
def c():
    c = Cluster(nodes=1, seed=5, metrics_server=False)
    assert c.kubectl("top nodes") == "error: Metrics API not available\n"     # no addon yet
    c.apply(PODS)
    c.run(20)
    install(c)
    assert c.kubectl("top nodes") == "error: metrics not available yet\n"    # one scrape: no rate yet
    assert c.kubectl("top pods") == "error: metrics not available yet\n"     # pods younger than 2 min
    c.kubectl(LOAD)
    c.run(30)      # two more scrapes: the last window is all under load
    return c


def test_top_pod_shows_usage_with_kubectls_columns(c):
    assert c.kubectl("top pods") == (
        "NAME   CPU(cores)   MEMORY(bytes)   \n"
        "load   0m           1Mi             \n"
        "php    500m         12Mi            \n"
        "web    0m           7Mi             \n")


def test_top_pod_containers_and_sum(c):
    assert c.kubectl("top pod web --containers") == (
        "POD   NAME      CPU(cores)   MEMORY(bytes)   \n"
        "web   nginx     0m           6Mi             \n"
        "web   sidecar   0m           1Mi             \n")
    assert c.kubectl("top pods -l app=php --sum") == (
        "NAME   CPU(cores)   MEMORY(bytes)   \n"
        "php    500m         12Mi            \n"
        "       ________     ________        \n"
        "       500m         12Mi            \n")


def test_top_pod_all_namespaces_sorted_by_cpu(c):
    out = c.kubectl("top pods -A --sort-by=cpu").splitlines()
    assert out[0] == "NAMESPACE     NAME                      CPU(cores)   MEMORY(bytes)   "
    assert out[1].split() == ["default", "php", "500m", "12Mi"]
    assert {line.split()[0] for line in out[1:]} == {"default", "kube-system"}
    assert c.kubectl("top pods --sort-by=disk") == "error: --sort-by accepts only cpu or memory\n"


def test_top_node_percentages_of_allocatable(c):
    node = c.api.get("nodes.metrics.k8s.io", "node-1")
    mem = int(node["usage"]["memory"][:-2])      # Ki / Mi: BinarySI canonical
    lines = c.kubectl("top nodes").splitlines()
    assert lines[0] == "NAME     CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)   "
    name, cpu, cpu_pct, memory, mem_pct = lines[1].split()
    assert (name, cpu, cpu_pct) == ("node-1", "500m", "12%")      # 500m of 4 cores, truncated
    assert memory.endswith("Mi") and mem_pct == "0%" and mem > 0


def test_the_metrics_api_objects(c):
    pm = c.api.get("pods.metrics.k8s.io", "php", namespace="default")
    assert (pm["kind"], pm["apiVersion"], pm["window"]) == ("PodMetrics", "metrics.k8s.io/v1beta1", "15s")
    assert pm["containers"] == [{"name": "php-apache", "usage": {"cpu": "500m", "memory": "12Mi"}}]
    assert pm["metadata"]["labels"] == {"app": "php"}
    nm = c.api.list("nodes.metrics.k8s.io")
    assert nm["kind"] == "NodeMetricsList" and [n["metadata"]["name"] for n in nm["items"]] == ["node-1"]
    assert [p["metadata"]["name"] for p in
            c.api.list("pods.metrics.k8s.io", namespace="default", label_selector="app=web")["items"]] == ["web"]


def test_missing_objects_are_not_found(c):
    assert c.kubectl("top pod nope") == \
        'Error from server (NotFound): podmetrics.metrics.k8s.io "default/nope" not found\n'
    assert c.kubectl("top node nope") == \
        'Error from server (NotFound): nodemetrics.metrics.k8s.io "nope" not found\n'


def test_requests_go_through_authorization_and_never_reach_etcd(c):
    with pytest.raises(ApiError) as e:
        c.api.impersonating("jane").list("pods.metrics.k8s.io", namespace="default")
    assert e.value.code == 403
    assert 'User "jane" cannot list resource "pods" in API group "metrics.k8s.io"' in e.value.message
    with pytest.raises(ApiError) as e:
        c.api.create("pods.metrics.k8s.io", {"metadata": {"name": "x"}}, namespace="default")
    assert e.value.code == 405
    keys = c.etcdctl("get /registry --prefix --keys-only").split()
    assert "/registry/pods/default/php" in keys            # the listing works...
    assert [k for k in keys if "metrics.k8s.io" in k or k.startswith("/registry/nodemetrics")] == []


def test_a_stopped_metrics_server_takes_the_api_away():
    c = Cluster(nodes=1, seed=2, metrics_server=False)
    install(c)
    c.run(16)
    assert c.kubectl("top nodes").startswith("NAME ")
    c.stop("metrics-server")
    assert c.kubectl("top pods") == "error: Metrics API not available\n"
    c.start("metrics-server")      # a restarted server has no points: one scrape is not enough
    assert c.kubectl("top nodes") == "error: metrics not available yet\n"
    c.run(15)
    assert c.kubectl("top nodes").startswith("NAME ")


def test_an_old_pod_without_metrics_is_named():
    c = Cluster(nodes=1, seed=2, metrics_server=False)
    c.apply(PODS.split("---")[1])
    c.run(150)
    install(c)
    # time.Since: the age in Go's Duration format, nanoseconds included
    assert re.fullmatch(r"error: Metrics not available for pod default/web, age: 2m30\.\d+s\n", c.kubectl("top pods"))


def test_storage_needs_two_points_and_a_fresh_container_uses_its_start():
    s = Storage(15.0)
    text = ('container_cpu_usage_seconds_total{container="c",namespace="ns",pod="p"} 1 1000\n'
            'container_memory_working_set_bytes{container="c",namespace="ns",pod="p"} 1048576 1000\n'
            'container_start_time_seconds{container="c",namespace="ns",pod="p"} -100 1000\n'
            'node_cpu_usage_seconds_total 10 1000\nnode_memory_working_set_bytes 5 1000\n')
    b = Batch()
    decode("n1", text, b)
    assert b.pods[("ns", "p")]["c"] == Point(1.0, 1048576, 1.0, -100.0)
    s.store(b)
    assert s.node("n1") is None and s.pod("ns", "p") is None and not s.ready
    b2 = Batch()
    decode("n1", text.replace(" 1 1000", " 4 16000").replace(" 1000\n", " 16000\n").replace("10 16000", "13 16000"), b2)
    s.store(b2)
    assert s.ready and s.node("n1").cpu_nanocores == 200_000_000      # 3 core-s over 15 s
    assert s.pod("ns", "p")[0][1].cpu_nanocores == 200_000_000
    # a container started 12 s before its first point (10 s <= age < 15 s): usage from its start
    fresh = Storage(15.0)
    b3 = Batch()
    decode("n1", text.replace("} -100 1000", "} -11 1000"), b3)
    fresh.store(b3)
    assert fresh.pod("ns", "p")[0][1].cpu_nanocores == pytest.approx(83_333_333, abs=1)
