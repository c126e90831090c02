"""CPU accounting in the container model: the cpu cgroup (k8score/container/cpu.py), the CFS
quota the kubelet sets from a container's CPU limit (pkg/kubelet/kuberuntime/
kuberuntime_container_linux.go, pkg/kubelet/cm/helpers_linux.go MilliCPUToQuota), the CRI
stats (containerd internal/cri/server/container_stats_list.go) and the kubelet's
``/metrics/resource`` (pkg/kubelet/metrics/collectors/resource_metrics.go)."""

import pytest

from k8score import Cluster
from k8score.container.cpu import Cpu, quota_cores
from k8score.container.process import Busy, Proc, Process, SIGTERM, Sleep
from k8score.sim import Loop


def _busy_program(seconds, then=None):
    def prog(proc):
        yield Busy(seconds)
        if then is not None:
            yield Sleep(then)
        return 0
    return prog


def _run(loop, limit, *works):
    cpu = Cpu(limit, lambda: loop.now)
    procs = [Process(loop, _busy_program(w), Proc(["x"], clock=lambda: loop.now, cpu=cpu)).start() for w in works]
    loop.run(until=100)
    return cpu, procs


def test_busy_under_a_500m_limit_takes_twice_its_cpu_time():
    loop = Loop(0)
    cpu, (p,) = _run(loop, 0.5, 1.0)
    assert p.finished_at == pytest.approx(2.0)
    assert cpu.usage() == pytest.approx(1.0)


def test_busy_without_a_limit_runs_at_one_core():
    loop = Loop(0)
    cpu, (a, b) = _run(loop, None, 1.0, 3.0)
    assert (a.finished_at, b.finished_at) == (pytest.approx(1.0), pytest.approx(3.0))
    assert cpu.usage() == pytest.approx(4.0)


def test_busy_processes_share_the_quota_then_the_survivor_speeds_up():
    # 1.5 cores for three 1-core-second tasks: each gets 0.5 core; after 2 s all are done
    loop = Loop(0)
    _, procs = _run(loop, 1.5, 1.0, 1.0, 1.0)
    assert [p.finished_at for p in procs] == [pytest.approx(2.0)] * 3
    # 1 core for 1 s + 2 s of work: 0.5 each until the first ends at 2 s, then 1 core: 3 s
    loop = Loop(0)
    _, (a, b) = _run(loop, 1.0, 1.0, 2.0)
    assert (a.finished_at, b.finished_at) == (pytest.approx(2.0), pytest.approx(3.0))


def test_burned_work_drains_at_the_limit_and_usage_is_cumulative():
    t = [0.0]
    cpu = Cpu(0.5, lambda: t[0])
    cpu.burn(2.0)
    t[0] = 1.0
    assert (cpu.usage(), cpu.backlog) == (pytest.approx(0.5), pytest.approx(1.5))
    assert cpu.rate() == pytest.approx(0.5)          # since construction
    t[0] = 10.0
    assert (cpu.usage(), cpu.backlog) == (pytest.approx(2.0), 0.0)
    assert cpu.rate() == pytest.approx(1.5 / 9.0)    # since the previous call
    t[0] = 11.0
    assert cpu.rate() == 0.0


def test_a_signal_interrupts_busy_work_and_stops_charging():
    loop = Loop(0)
    cpu = Cpu(0.5, lambda: loop.now)

    def prog(proc):
        proc.on_signal[SIGTERM] = lambda sig: proc.exit(0)
        yield Busy(10)
        return 1
    p = Process(loop, prog, Proc(["x"], clock=lambda: loop.now, cpu=cpu)).start()
    loop.run(until=1.0)
    p.signal(SIGTERM)
    loop.run(until=50)
    assert (p.exit_code, p.finished_at) == (0, 1.0)
    assert cpu.usage() == pytest.approx(0.5)


def test_quota_cores_of_cri_resources():
    assert quota_cores({"cpuQuota": 50000, "cpuPeriod": 100000}) == 0.5
    assert quota_cores({"cpuQuota": 0}) is None and quota_cores({}) is None


PHP_POD = """apiVersion: v1
kind: Pod
metadata:
  name: php
  labels: {run: php}
spec:
  containers:
  - name: php-apache
    image: registry.k8s.io/hpa-example
    resources:
      limits: {cpu: 500m}
      requests: {cpu: 200m}
---
apiVersion: v1
kind: Service
metadata: {name: php-apache}
spec:
  ports: [{port: 80}]
  selector: {run: php}
"""
LOAD = ('run load --image=busybox:1.28 --restart=Never -- /bin/sh -c '
        '"while sleep 0.01; do wget -q -O- http://php-apache; done"')


@pytest.fixture(scope="module")
def loaded():
    c = Cluster(nodes=1, seed=3, metrics_server=False)
    c.apply(PHP_POD)
    c.run(20)
    c.kubectl(LOAD)
    c.run(5)
    rt = c.kubelets["node-1"].runtime
    php = next(x for x in rt.containers.values() if x.metadata["name"] == "php-apache")
    rt.container_stats(php.id)                 # a stats sample: usageNanoCores counts from here
    start, used0 = c.now, php.cpu.usage()
    c.run(30)
    return c, rt, php, start, used0


def test_the_kubelet_sets_the_cfs_quota_of_the_cpu_limit(loaded):
    _, _, php, _, _ = loaded
    assert php.resources["cpuPeriod"] == 100000 and php.resources["cpuQuota"] == 50000
    assert php.cpu.limit == 0.5


def test_the_load_generator_holds_php_apache_at_its_limit(loaded):
    c, rt, php, start, used0 = loaded
    st = rt.container_stats(php.id)["cpu"]
    # 83 requests a second at 8 ms each want 0.67 core; the quota gives 0.5
    assert int(st["usageNanoCores"]["value"]) == pytest.approx(500_000_000, rel=1e-6)
    assert int(st["usageCoreNanoSeconds"]["value"]) / 1e9 - used0 == pytest.approx(15.0, rel=1e-6)
    assert php.cpu.backlog > 0                   # the rest waits in the run queue
    load = next(x for x in rt.containers.values() if x.metadata["name"] == "load")
    assert rt.container_stats(load.id)["cpu"]["usageCoreNanoSeconds"] == {"value": "0"}


def test_pod_sandbox_stats_sum_the_containers_cpu(loaded):
    _, rt, php, _, _ = loaded
    sb = next(s for s in rt.list_pod_sandbox_stats() if s["attributes"]["metadata"]["name"] == "php")
    assert sb["linux"]["cpu"]["usageCoreNanoSeconds"]["value"] == \
        rt.container_stats(php.id)["cpu"]["usageCoreNanoSeconds"]["value"]


def test_the_kubelet_serves_resource_metrics_in_prometheus_text(loaded):
    c, _, php, _, _ = loaded
    text = c.kubelets["node-1"].server.resource_metrics()
    lines = text.splitlines()
    assert lines[:2] == ["# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the "
                         "container in core-seconds", "# TYPE container_cpu_usage_seconds_total counter"]
    row = next(line for line in lines if line.startswith('container_cpu_usage_seconds_total{container="php-apache"'))
    labels, value, stamp = row.split(" ")
    assert labels == 'container_cpu_usage_seconds_total{container="php-apache",namespace="default",pod="php"}'
    assert float(value) == pytest.approx(php.cpu.usage(), abs=1e-6)
    assert int(stamp) == int((1767225600 + c.now) * 1000)      # 2026-01-01T00:00:00Z + now, in ms
    assert lines[-1] == "resource_scrape_error 0"
    assert [line.split(" ")[3] for line in lines if line.startswith("# TYPE")] == \
        ["counter", "gauge", "gauge", "counter", "gauge", "counter", "gauge", "gauge"]


def test_a_new_quota_applies_from_the_moment_it_is_set():
    # UpdateContainerResources: 1 s of work, 1 s at 0.5 core (0.5 done), then 1 core: done at 1.5 s
    loop = Loop(0)
    cpu = Cpu(0.5, lambda: loop.now)
    p = Process(loop, _busy_program(1.0), Proc(["x"], clock=lambda: loop.now, cpu=cpu)).start()
    loop.run(until=1.0)
    cpu.set_limit(1.0)
    loop.run(until=10)
    assert p.finished_at == pytest.approx(1.5)
