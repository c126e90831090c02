"""The Kubernetes docs' pod examples, applied unchanged, behave as the docs describe.

Manifests are copied byte for byte from kubernetes/website ``content/en/examples/``:
``pods/probe/exec-liveness.yaml``, ``pods/probe/http-liveness.yaml``,
``pods/probe/tcp-liveness-readiness.yaml``, ``pods/probe/grpc-liveness.yaml`` (task "Configure
Liveness, Readiness and Startup Probes"), the ``myapp-pod`` + ``myservice``/``mydb`` example of
the concept page "Init Containers" (``content/en/docs/concepts/workloads/pods/init-containers.md``),
``static-web`` of the task "Create static Pods" (``content/en/docs/tasks/configure-pod-container/
static-pod.md``), ``pods/resource/memory-request-limit-2.yaml`` ("Assign Memory Resources").

Upstream behaviour pinned: pkg/kubelet/prober (defaults, ``Liveness probe failed: <output>``,
``HTTP probe failed with statuscode: 500``), kuberuntime_manager.go computePodActions (the
liveness kill message), kuberuntime_container.go killContainer (grace period, SIGKILL -> 137),
pkg/kubelet/kubelet.go (CrashLoopBackOff: ``initialBackOff`` 10 s, ``MaxContainerBackOff`` 300 s),
kubectl's printPod STATUS column (``Init:0/2``, ``Error``, ``CrashLoopBackOff``, ``OOMKilled``).
"""

from __future__ import annotations

import pytest

from k8score import Cluster
from k8score.client.informer import SharedInformer
from k8score.client import Client

from test_static_pods import STATIC_WEB   # the docs' static-web manifest, held once

EXEC_LIVENESS = """\
apiVersion: v1
kind: Pod
metadata:
  labels:
    test: liveness
  name: liveness-exec
spec:
  containers:
  - name: liveness
    image: registry.k8s.io/busybox:1.27.2
    args:
    - /bin/sh
    - -c
    - touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600
    livenessProbe:
      exec:
        command:
        - cat
        - /tmp/healthy
      initialDelaySeconds: 5
      periodSeconds: 5
"""

HTTP_LIVENESS = """\
apiVersion: v1
kind: Pod
metadata:
  labels:
    test: liveness
  name: liveness-http
spec:
  containers:
  - name: liveness
    image: registry.k8s.io/e2e-test-images/agnhost:2.40
    args:
    - liveness
    livenessProbe:
      httpGet:
        path: /healthz
        port: 8080
        httpHeaders:
        - name: Custom-Header
          value: Awesome
      initialDelaySeconds: 3
      periodSeconds: 3
"""

TCP_LIVENESS_READINESS = """\
apiVersion: v1
kind: Pod
metadata:
  name: goproxy
  labels:
    app.kubernetes.io/name: goproxy
spec:
  containers:
  - name: goproxy
    image: registry.k8s.io/goproxy:0.1
    ports:
    - containerPort: 8080
    readinessProbe:
      tcpSocket:
        port: 8080
      initialDelaySeconds: 15
      periodSeconds: 10
    livenessProbe:
      tcpSocket:
        port: 8080
      initialDelaySeconds: 15
      periodSeconds: 10
"""

GRPC_LIVENESS = """\
apiVersion: v1
kind: Pod
metadata:
  name: etcd-with-grpc
spec:
  containers:
  - name: etcd
    image: registry.k8s.io/etcd:3.5.1-0
    command: [ "/usr/local/bin/etcd", "--data-dir",  "/var/lib/etcd", "--listen-client-urls", "http://0.0.0.0:2379", "--advertise-client-urls", "http://127.0.0.1:2379", "--log-level", "debug"]
    ports:
    - containerPort: 2379
    livenessProbe:
      grpc:
        port: 2379
      initialDelaySeconds: 10
"""

# The startup-probe snippet of the probes task (a pod around it; the snippet is unchanged).
STARTUP_PROBE = """\
apiVersion: v1
kind: Pod
metadata:
  name: slow-start
spec:
  containers:
  - name: app
    image: registry.k8s.io/e2e-test-images/agnhost:2.40
    args: ["liveness"]
    ports:
    - name: liveness-port
      containerPort: 8080
    livenessProbe:
      httpGet:
        path: /healthz
        port: liveness-port
      failureThreshold: 1
      periodSeconds: 10

    startupProbe:
      httpGet:
        path: /healthz
        port: liveness-port
      failureThreshold: 30
      periodSeconds: 10
"""

MYAPP = """\
apiVersion: v1
kind: Pod
metadata:
  name: myapp-pod
  labels:
    app.kubernetes.io/name: MyApp
spec:
  containers:
  - name: myapp-container
    image: busybox:1.28
    command: ['sh', '-c', 'echo The app is running! && sleep 3600']
  initContainers:
  - name: init-myservice
    image: busybox:1.28
    command: ['sh', '-c', "until nslookup myservice.$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace).svc.cluster.local; do echo waiting for myservice; sleep 2; done"]
  - name: init-mydb
    image: busybox:1.28
    command: ['sh', '-c', "until nslookup mydb.$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace).svc.cluster.local; do echo waiting for mydb; sleep 2; done"]
"""

SERVICES = """\
---
apiVersion: v1
kind: Service
metadata:
  name: myservice
spec:
  ports:
  - protocol: TCP
    port: 80
    targetPort: 9376
---
apiVersion: v1
kind: Service
metadata:
  name: mydb
spec:
  ports:
  - protocol: TCP
    port: 80
    targetPort: 9377
"""


MEMORY_DEMO_2 = """\
apiVersion: v1
kind: Pod
metadata:
  name: memory-demo-2
  namespace: mem-example
spec:
  containers:
  - name: memory-demo-2-ctr
    image: polinux/stress
    resources:
      requests:
        memory: "50Mi"
      limits:
        memory: "100Mi"
    command: ["stress"]
    args: ["--vm", "1", "--vm-bytes", "250M", "--vm-hang", "1"]
"""

CANT_OPEN = "cat: can't open '/tmp/healthy': No such file or directory"


@pytest.fixture
def c():
    return Cluster(nodes=2, seed=0)


def _row(c, name, ns="default"):
    """``kubectl get pod NAME`` as (READY, STATUS, RESTARTS)."""
    line = c.kubectl(f"get pod {name} -n {ns}").splitlines()[1].split()
    return line[1], line[2], " ".join(line[3:-1])


def _at(c, t0, seconds):
    c.run(seconds=t0 + seconds - c.now)


def _events(c, name, reason, since=0.0):
    return [t for t, _, text in c.timeline(since) if text.startswith(f"{reason}: Pod/{name}:")]


def _squash(text):
    """Columns collapsed to single spaces (the table widths depend on the other rows)."""
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


def _cs(c, name, ns="default"):
    return c.get("pods", name, namespace=ns)["status"]["containerStatuses"][0]


# -- Configure Liveness, Readiness and Startup Probes --------------------------------------
def test_exec_liveness_fails_after_35s_and_restarts_after_the_grace_period(c):
    c.apply(EXEC_LIVENESS)
    t0 = c.now
    _at(c, t0, 30)
    # "Within 30 seconds ... the output indicates that no liveness probes have failed yet"
    assert _events(c, "liveness-exec", "Unhealthy") == []
    assert "Unhealthy" not in c.kubectl("describe pod liveness-exec")
    _at(c, t0, 36)
    # "After 35 seconds ... liveness probes have failed": started at ~3.8 s (after the pull), the
    # file goes at ~33.8 s, the probe at ~35 s fails with busybox cat's message
    [first] = _events(c, "liveness-exec", "Unhealthy")
    assert 34 < first - t0 <= 36
    desc = _squash(c.kubectl("describe pod liveness-exec"))
    assert f"Warning Unhealthy 1s kubelet spec.containers{{liveness}}: Liveness probe failed: {CANT_OPEN}" in desc
    _at(c, t0, 46)
    # third failure (failureThreshold 3, periodSeconds 5): the kubelet kills the container
    desc = _squash(c.kubectl("describe pod liveness-exec"))
    assert f"Unhealthy 1s (x3 over 11s) kubelet spec.containers{{liveness}}: " \
           f"Liveness probe failed: {CANT_OPEN}" in desc
    assert "Normal Killing 1s kubelet spec.containers{liveness}: " \
           "Container liveness failed liveness probe, will be restarted" in desc
    [kill] = _events(c, "liveness-exec", "Killing")
    # sh as PID 1 ignores SIGTERM: still running through the 30 s grace period
    _at(c, kill, 29.9)
    assert _row(c, "liveness-exec") == ("1/1", "Running", "0")
    _at(c, kill, 31)
    cs = _cs(c, "liveness-exec")
    assert cs["restartCount"] == 1 and "running" in cs["state"]
    assert cs["lastState"]["terminated"]["exitCode"] == 137
    assert cs["lastState"]["terminated"]["reason"] == "Error"
    _at(c, t0, 80)   # "Wait another 30 seconds": RESTARTS has been incremented
    assert _row(c, "liveness-exec") == ("1/1", "Running", "1 (5s ago)")


def test_http_liveness_500_after_10s_restarts(c):
    c.apply(HTTP_LIVENESS)
    c.run(until=lambda: _events(c, "liveness-http", "Started"), timeout=30)
    started = _events(c, "liveness-http", "Started")[0]
    _at(c, started, 9.9)
    assert _events(c, "liveness-http", "Unhealthy") == []   # /healthz 200 for the first 10 s
    _at(c, started, 19)
    unhealthy = _events(c, "liveness-http", "Unhealthy")
    kills = _events(c, "liveness-http", "Killing")
    # probes every 3 s: three 500s in a row, then the kill; agnhost exits at once (Go, PID 1: exit 2)
    assert len(unhealthy) == 3 and kills == [unhealthy[2]]
    assert [round(b - a, 3) for a, b in zip(unhealthy, unhealthy[1:])] == [3.0, 3.0]
    assert 10 < unhealthy[0] - started <= 13
    desc = c.kubectl("describe pod liveness-http")
    assert "Liveness probe failed: HTTP probe failed with statuscode: 500" in desc
    assert "Liveness:       http-get http://:8080/healthz delay=3s timeout=1s period=3s #success=1 #failure=3" in desc
    cs = _cs(c, "liveness-http")
    assert cs["restartCount"] == 1 and cs["lastState"]["terminated"]["exitCode"] == 2


def test_tcp_readiness_and_liveness_after_15s(c):
    c.apply(TCP_LIVENESS_READINESS)
    c.run(until=lambda: _events(c, "goproxy", "Started"), timeout=30)
    started = _events(c, "goproxy", "Started")[0]
    _at(c, started, 14.5)
    assert _row(c, "goproxy")[:2] == ("0/1", "Running")        # initialDelaySeconds: 15
    _at(c, started, 26)
    assert _row(c, "goproxy") == ("1/1", "Running", "0")
    desc = c.kubectl("describe pod goproxy")
    assert "Liveness:       tcp-socket :8080 delay=15s timeout=1s period=10s #success=1 #failure=3" in desc
    assert "Readiness:      tcp-socket :8080 delay=15s timeout=1s period=10s #success=1 #failure=3" in desc
    c.run(seconds=60)
    assert _events(c, "goproxy", "Unhealthy") == [] and _row(c, "goproxy") == ("1/1", "Running", "0")


def test_grpc_liveness_passes_against_etcd(c):
    c.apply(GRPC_LIVENESS)
    c.run(seconds=60)
    assert _row(c, "etcd-with-grpc") == ("1/1", "Running", "0")
    assert _events(c, "etcd-with-grpc", "Unhealthy") == []
    assert "Liveness:       grpc <pod>:2379  delay=10s timeout=1s period=10s #success=1 #failure=3" in \
        c.kubectl("describe pod etcd-with-grpc")


def test_startup_probe_holds_liveness_off_until_it_succeeds(c):
    c.apply(STARTUP_PROBE)
    c.run(seconds=8)
    # agnhost liveness serves 200 for 10 s: the startup probe succeeds at once, then liveness
    # (failureThreshold 1) kills on its first 500
    c.run(seconds=30)
    kills = _events(c, "slow-start", "Killing")
    assert kills and "Startup probe failed" not in c.kubectl("describe pod slow-start")
    assert "Liveness probe failed: HTTP probe failed with statuscode: 500" in c.kubectl("describe pod slow-start")


# -- Init Containers -----------------------------------------------------------------------
def test_init_containers_wait_for_the_services_through_dns(c):
    c.apply(MYAPP)
    t0 = c.now
    c.run(seconds=30)
    assert _row(c, "myapp-pod") == ("0/1", "Init:0/2", "0")
    desc = c.kubectl("describe pod myapp-pod")
    assert "Status:           Pending" in desc
    init_block = desc[desc.index("Init Containers:"):desc.index("Containers:\n  myapp")]
    assert "init-myservice:" in init_block and "State:          Running" in init_block
    assert init_block.split("init-mydb:")[1].count("Reason:       PodInitializing") == 1
    assert "Initialized                 False" in desc
    assert "spec.initContainers{init-myservice}: Pulling image \"busybox:1.28\"" in desc
    logs = c.kubectl("logs myapp-pod -c init-myservice")
    assert logs.count("waiting for myservice") >= 10   # every 2 s (+ the lookups' time)
    # busybox 1.28's nslookup (the libc resolver): the server with its reverse name, then the failure
    assert ("Server:    10.96.0.10\nAddress 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local\n\n"
            "nslookup: can't resolve 'myservice.default.svc.cluster.local'\nwaiting for myservice\n") in logs
    assert c.kubectl("logs myapp-pod -c init-mydb") == \
        'Error from server (BadRequest): container "init-mydb" in pod "myapp-pod" is waiting to start: ' \
        'PodInitializing\n'
    c.apply(SERVICES)
    created = c.now
    c.run(seconds=10)
    assert _row(c, "myapp-pod") == ("1/1", "Running", "0")
    assert c.kubectl("logs myapp-pod -c myapp-container") == "The app is running!\n"
    ip = c.get("services", "myservice")["spec"]["clusterIP"]
    assert f"Name:      myservice.default.svc.cluster.local\nAddress 1: {ip} myservice.default.svc.cluster.local\n" in \
        c.kubectl("logs myapp-pod -c init-myservice")
    inits = c.get("pods", "myapp-pod")["status"]["initContainerStatuses"]
    assert [s["state"]["terminated"]["reason"] for s in inits] == ["Completed", "Completed"]
    started = _events(c, "myapp-pod", "Started", since=created)
    assert len(started) == 2 and started[0] - created < 3      # init-mydb, then myapp-container
    assert t0 + 30 <= created


# -- Create static Pods --------------------------------------------------------------------
def test_static_web_over_ssh_gets_a_mirror_pod_that_deleting_does_not_stop(c):
    out = c.ssh("node-1", "tee /etc/kubernetes/manifests/static-web.yaml", stdin=STATIC_WEB)
    assert out == STATIC_WEB and out.exit_code == 0
    c.run(seconds=15)
    rows = c.kubectl("get pods").splitlines()
    assert rows[1].split()[:4] == ["static-web-node-1", "1/1", "Running", "0"]
    mirror = c.get("pods", "static-web-node-1")
    assert mirror["metadata"]["annotations"]["kubernetes.io/config.source"] == "file"
    assert mirror["metadata"]["ownerReferences"][0]["kind"] == "Node"
    ps = _crictl_ps(c, "node-1")
    assert [line.split()[-3:] for line in ps] == [["c753e7dbf6b53", "static-web-node-1", "default"]]
    assert " Running             web                 0 " in ps[0]
    before = [line.split()[0] for line in ps]
    c.kubectl("delete pod static-web-node-1")
    c.run(seconds=5)
    # the mirror pod is back; the container never stopped
    assert _row(c, "static-web-node-1") == ("1/1", "Running", "0")
    assert [line.split()[0] for line in _crictl_ps(c, "node-1")] == before
    c.ssh("node-1", "mv /etc/kubernetes/manifests/static-web.yaml /tmp")
    c.run(seconds=25)   # fileCheckFrequency 20 s at the latest
    assert c.kubectl("get pods") == "No resources found in default namespace.\n"
    assert _crictl_ps(c, "node-1") == []


def _crictl_ps(c, node):
    """``crictl ps`` rows of the test's own pods (namespace ``default``; coredns may run there too)."""
    return [line for line in c.ssh(node, "crictl ps").splitlines()[1:] if line.split()[-1] == "default"]


# -- Assign Memory Resources: exceeding the limit ------------------------------------------
def test_memory_demo_2_is_oom_killed_and_restarted(c):
    c.kubectl("create namespace mem-example")
    c.run(seconds=1)   # the ServiceAccount controller creates "default" in the new namespace
    c.apply(MEMORY_DEMO_2)
    statuses = []
    c.run(until=lambda: statuses.append(_row(c, "memory-demo-2", "mem-example")[1]) or
          "OOMKilled" in statuses, timeout=30)
    cs = _cs(c, "memory-demo-2", "mem-example")
    term = cs["state"].get("terminated") or cs["lastState"]["terminated"]
    assert (term["reason"], term["exitCode"]) == ("OOMKilled", 137)
    c.run(seconds=40)
    cs = _cs(c, "memory-demo-2", "mem-example")
    assert cs["restartCount"] >= 3 and cs["lastState"]["terminated"]["reason"] == "OOMKilled"
    assert _row(c, "memory-demo-2", "mem-example")[1] in ("CrashLoopBackOff", "OOMKilled", "Running")
    desc = c.kubectl("describe pod memory-demo-2 -n mem-example")
    assert "Last State:     Terminated\n      Reason:       OOMKilled\n      Exit Code:    137" in desc
    assert "QoS Class:                   Burstable" in desc


# -- termination and restarts (the reader scenarios) --------------------------------
def test_deleted_sleep_pod_is_terminating_for_the_grace_period_then_gone_with_137(c):
    c.kubectl("run sleeper --image=busybox:1.36 -- sleep 3600")
    c.run(seconds=10)
    seen = []
    watcher = SharedInformer(Client(c.apiserver, user="kubernetes-admin", watch_latency=0.0), c.loop, "pods")
    watcher.add_event_handler(on_update=lambda old, new: seen.append(new["status"]["containerStatuses"][0]),
                              on_delete=lambda old: seen.append(old["status"]["containerStatuses"][0]))
    watcher.start()
    t0 = c.now
    assert c.kubectl("delete pod sleeper --wait=false") == 'pod "sleeper" deleted from default namespace\n'
    _at(c, t0, 1)
    assert _row(c, "sleeper") == ("1/1", "Terminating", "0")
    _at(c, t0, 29.5)
    assert _row(c, "sleeper") == ("1/1", "Terminating", "0")   # sleep as PID 1 ignores SIGTERM
    assert c.run(until=lambda: "sleeper" not in c.kubectl("get pods"), timeout=5)
    assert 30 <= c.now - t0 <= 32
    c.run(seconds=1)   # what a watch (`kubectl get pods -w`) saw last: the final status, then DELETED
    last = seen[-1]["state"]["terminated"]
    assert (last["exitCode"], last["reason"]) == (137, "Error")


def test_exit_3_never_is_error_and_onfailure_crash_loops_with_doubling_backoff(c):
    c.kubectl("run fail-never --image=busybox:1.36 --restart=Never -- sh -c 'exit 3'")
    c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "fail-onfailure"},
             "spec": {"restartPolicy": "OnFailure",
                      "containers": [{"name": "c", "image": "busybox:1.36", "command": ["sh", "-c", "exit 3"]}]}})
    c.run(seconds=10)
    assert _row(c, "fail-never") == ("0/1", "Error", "0")
    never = c.get("pods", "fail-never")
    assert never["status"]["phase"] == "Failed"
    assert never["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 3
    c.run(seconds=700)
    assert _row(c, "fail-never") == ("0/1", "Error", "0")
    # from the kubelet's own log: past 25 events about one pod, client-go's spam filter keeps
    # most of them from the API server (events_cache.go), as upstream
    starts = [t for k in c.kubelets.values() for t, _, reason, obj, _ in k.recorder.log
              if reason == "Started" and obj == "pod/fail-onfailure"]
    gaps = [round(b - a) for a, b in zip(starts, starts[1:])]
    # the first restart is immediate, then 10 s doubling, capped at 300 s (MaxContainerBackOff)
    assert gaps[:7] == [0, 10, 20, 40, 80, 160, 300]
    assert len(starts) == 8
    ready, status, restarts = _row(c, "fail-onfailure")
    assert (ready, status) == ("0/1", "CrashLoopBackOff") and restarts.startswith("7 (")
    cs = _cs(c, "fail-onfailure")
    assert cs["state"]["waiting"]["message"].startswith("back-off 5m0s restarting failed container=c pod=fail-onfailure_default(")
    assert cs["lastState"]["terminated"]["exitCode"] == 3 and cs["lastState"]["terminated"]["reason"] == "Error"
    assert c.get("pods", "fail-onfailure")["status"]["phase"] == "Running"
