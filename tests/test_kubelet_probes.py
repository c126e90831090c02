"""The kubelet's probes (k8score/kubelet/prober.py, probe_worker.py, probe_net.py, probe_exec.py).

Upstream: pkg/kubelet/prober/prober_manager.go (UpdatePodStatus: started/ready), worker.go
(first-run jitter, initialDelaySeconds, thresholds, startup gating, onHold), prober.go (event
texts, retries on error), pkg/probe/http/http.go (200-399, redirects, 10 KiB body,
``HTTP probe failed with statuscode: N``), pkg/probe/tcp/tcp.go, pkg/probe/exec/exec.go,
pkg/probe/grpc/grpc.go, pkg/apis/core/v1/defaults.go (probe defaults),
pkg/kubelet/kuberuntime/kuberuntime_manager.go (the Killing message).

The kubelet here is a fake built in the test: the real loop, a real Network with the node's
and the pod's namespaces, a scripted runtime for ``exec_sync`` and a recording event recorder.
"""

from __future__ import annotations

from types import SimpleNamespace

from k8score.container.net import HttpResponse, Network
from k8score.kubelet.prober import ProbeManager
from k8score.sim.loop import Loop

NODE_IP = "192.168.0.11"
POD_IP = "10.244.1.5"


class Recorder:
    def __init__(self, loop):
        self.loop = loop
        self.events = []

    def event(self, obj, etype, reason, message, field_path=None):
        self.events.append((round(self.loop.now, 3), etype, reason, message, field_path))


class Runtime:
    """``exec_sync`` answered by ``script(cmd, now) -> (stdout, stderr, exit_code) | None``
    (None: the command hangs past its timeout) after 1 ms."""

    def __init__(self, loop, script):
        self.loop = loop
        self.script = script
        self.calls = []

    def exec_sync(self, container_id, cmd, timeout, cb, on_error=None):
        self.calls.append((round(self.loop.now, 3), container_id, list(cmd), timeout))
        out = self.script(cmd, self.loop.now)
        if out is None:
            self.loop.call_later(timeout, cb, "", "", None)
        else:
            self.loop.call_later(0.001, cb, *out)


class Env:
    def __init__(self, script=None, seed=1, settle=100.0):
        self.loop = Loop(seed=seed)
        self.net = Network()
        self.pod_net = self.net.attach(POD_IP, node="node-1", hostname="web")
        self.runtime = Runtime(self.loop, script or (lambda cmd, now: ("", "", 0)))
        self.recorder = Recorder(self.loop)
        self.kubelet = SimpleNamespace(loop=self.loop, runtime=self.runtime, recorder=self.recorder, running=True,
                                       host=SimpleNamespace(net=self.net.attach(NODE_IP, node="node-1")),
                                       call_later=lambda delay, fn: self.loop.call_later(delay, fn, owner="prober"))
        self.pm = ProbeManager(self.kubelet)
        self.changes, self.kills = [], []
        self.pm.on_change = lambda key: self.changes.append((round(self.loop.now, 3), key))
        self.pm.on_liveness_failure = lambda key, name, msg: self.kills.append((round(self.loop.now, 3), key, name, msg))
        # the kubelet has been up for a while: no first-run jitter (worker.go runs it only
        # within one period of the manager's start)
        self.loop.run(until=settle)

    def run(self, until):
        self.loop.run(until=until)

    def at(self, t, fn, *args):
        self.loop.call_at(t, fn, *args)

    def messages(self, reason="Unhealthy"):
        return [(t, m) for t, _, r, m, _ in self.recorder.events if r == reason]


def pod(*containers, restart="Always", uid="uid-1", name="web"):
    return {"metadata": {"name": name, "namespace": "default", "uid": uid},
            "spec": {"containers": list(containers), "restartPolicy": restart}}


def exec_probe(cmd, **kw):
    return {"exec": {"command": cmd}, **kw}


def http_probe(path="/healthz", port=8080, **kw):
    return {"httpGet": {"path": path, "port": port}, **kw}


# -- timing ---------------------------------------------------------------------------
def test_initial_delay_is_respected_to_the_second():
    env = Env()
    env.pm.add_pod(pod({"name": "app", "livenessProbe": exec_probe(["true"], initialDelaySeconds=30)}))
    env.pm.container_started("uid-1", "app", "containerd://c1", started_at=100.0)
    env.run(129.99)
    assert env.runtime.calls == []            # ticks at 100, 110, 120: all inside the delay
    env.run(131)
    assert [c[0] for c in env.runtime.calls] == [130.0]   # int(30.0) < 30 is false: runs

    # started half a second after the tick: at 130 only 29.5 s have passed -> the next tick
    env2 = Env()
    env2.pm.add_pod(pod({"name": "app", "livenessProbe": exec_probe(["true"], initialDelaySeconds=30)}))
    env2.at(100.5, env2.pm.container_started, "uid-1", "app", "containerd://c1", 100.5)
    env2.run(139.99)
    assert env2.runtime.calls == []
    env2.run(140.5)
    assert [c[0] for c in env2.runtime.calls] == [140.0]


def test_readiness_becomes_true_after_success_threshold_and_is_probed_at_start():
    env = Env()
    env.pod_net.listen(8080, lambda req: HttpResponse(200, "ok"))
    env.pm.add_pod(pod({"name": "app", "readinessProbe": http_probe(periodSeconds=5, successThreshold=3)}))
    assert env.pm.is_ready("uid-1", "app") is False          # no container yet
    env.at(101, env.pm.container_started, "uid-1", "app", "containerd://c1", 101.0, POD_IP)
    env.run(101)
    assert env.pm.is_started("uid-1", "app") is True         # no startup probe
    env.run(110.9)
    # readiness ran at once (101: the pod sync's manual trigger), then 106: two successes
    assert env.pm.is_ready("uid-1", "app") is False
    env.run(111)
    assert env.pm.is_ready("uid-1", "app") is True
    # the initial "not ready" for the new container, then the flip to ready
    assert env.changes == [(101.0, "default/web"), (111.0, "default/web")]
    assert env.recorder.events == []


def test_liveness_fails_after_exactly_failure_threshold_times_period():
    # the docs' exec liveness example: healthy until /tmp/healthy is removed at t=130.2
    def cat(cmd, now):
        if now < 130.2:
            return ("", "", 0)
        return ("", "cat: can't open '/tmp/healthy': No such file or directory\n", 1)

    env = Env(script=cat)
    spec = {"name": "liveness", "image": "busybox",
            "livenessProbe": exec_probe(["cat", "/tmp/healthy"], initialDelaySeconds=5, periodSeconds=5)}
    env.pm.add_pod(pod(spec, name="liveness-exec"))
    env.pm.container_started("uid-1", "liveness", "containerd://c1", started_at=100.0)
    env.run(200)
    times = [c[0] for c in env.runtime.calls]
    assert times == [105.0, 110.0, 115.0, 120.0, 125.0, 130.0, 135.0, 140.0, 145.0]  # then on hold
    msg = "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n"
    assert env.messages() == [(135.001, msg), (140.001, msg), (145.001, msg)]
    assert env.recorder.events[0][4] == "spec.containers{liveness}"
    # recorded on the 3rd failure: 3 x 5 s after the last success
    assert env.kills == [(145.001, "default/liveness-exec", "liveness",
                          "Container liveness failed liveness probe, will be restarted")]
    assert round(env.kills[0][0] - 130.0, 3) == 3 * 5 + 0.001

    # the kubelet restarts it: probing resumes for the new container ID, from healthy again
    env.pm.container_stopped("uid-1", "liveness")
    env.pm.container_started("uid-1", "liveness", "containerd://c2", started_at=201.0)
    env.runtime.script = lambda cmd, now: ("", "", 0)
    env.run(229)
    # 205 is inside the new container's 5 s delay (started 201); 210, 215, 220, 225 run
    assert [c[:2] for c in env.runtime.calls[9:]] == [(t, "containerd://c2") for t in (210.0, 215.0, 220.0, 225.0)]
    assert len(env.kills) == 1


def test_first_run_is_jittered_only_right_after_the_kubelet_starts():
    def first_runs(seed):
        env = Env(seed=seed, settle=0.0)          # the kubelet just started
        env.pm.add_pod(pod(*[{"name": f"c{i}", "livenessProbe": exec_probe(["true"])} for i in range(3)]))
        for i in range(3):
            env.pm.container_started("uid-1", f"c{i}", f"containerd://c{i}", started_at=0.0)
        env.run(9.999)
        return sorted(c[0] for c in env.runtime.calls)

    a, b = first_runs(7), first_runs(7)
    assert a == b and len(a) == 3                 # seeded: the same run twice
    assert all(0 <= t < 10 for t in a) and len(set(a)) == 3 and a[0] > 0
    assert first_runs(8) != a


# -- startup gating ------------------------------------------------------------------------
def test_startup_probe_gates_liveness_and_readiness():
    env = Env()
    up = {"v": False}
    env.pod_net.listen(8080, lambda req: HttpResponse(200 if up["v"] else 503, ""))
    c = {"name": "app", "ports": [{"name": "liveness-port", "containerPort": 8080}],
         "startupProbe": http_probe(port="liveness-port", failureThreshold=30, periodSeconds=10),
         "livenessProbe": http_probe(port="liveness-port", failureThreshold=1, periodSeconds=10),
         "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 10}}
    env.pm.add_pod(pod(c))
    env.at(100.5, env.pm.container_started, "uid-1", "app", "containerd://c1", 100.5, POD_IP)
    env.at(135, up.update, {"v": True})
    env.run(139)
    # startup failed at 110, 120, 130 (the tick grid of AddPod at 100); nothing else ran
    startup = "Startup probe failed: HTTP probe failed with statuscode: 503"
    assert env.messages() == [(110.0, startup), (120.0, startup), (130.0, startup)]
    assert not env.pm.is_started("uid-1", "app") and not env.pm.is_ready("uid-1", "app")
    env.run(141)
    # 140: startup succeeds -> started; readiness is probed at once -> ready
    assert env.pm.is_started("uid-1", "app") and env.pm.is_ready("uid-1", "app")
    assert env.kills == []
    up["v"] = False
    env.run(151)
    # liveness (failureThreshold 1) now runs and fails at 150; startup is done probing
    assert env.messages()[-1] == (150.0, "Liveness probe failed: HTTP probe failed with statuscode: 503")
    assert env.kills == [(150.0, "default/web", "app", "Container app failed liveness probe, will be restarted")]


def test_startup_failure_threshold_kills_with_startup_message_and_never_policy():
    env = Env()
    c = {"name": "app", "startupProbe": {"tcpSocket": {"port": 8080}, "failureThreshold": 2, "periodSeconds": 3}}
    env.pm.add_pod(pod(c, restart="Never"))
    env.pm.container_started("uid-1", "app", "containerd://c1", started_at=100.0, pod_ip=POD_IP)
    env.run(120)
    refused = "Startup probe failed: dial tcp 10.244.1.5:8080: connect: connection refused"
    assert env.messages() == [(100.0, refused), (103.0, refused)]   # then on hold
    assert env.kills == [(103.0, "default/web", "app", "Container app failed startup probe")]
    env.pm.container_stopped("uid-1", "app")
    env.run(200)
    # restartPolicy Never and the container terminated: the worker is gone for good
    assert len(env.messages()) == 2 and env.pm.is_started("uid-1", "app") is False


# -- messages -----------------------------------------------------------------------------
def test_http_messages_and_status_code_limits():
    env = Env()
    codes = {"/200": (200, {}), "/399": (399, {}), "/400": (400, {}), "/500": (500, {}),
             "/away": (301, {"Location": "http://10.9.9.9/"}), "/here": (302, {"Location": "/200"})}
    seen = []

    def handler(req):
        seen.append((req.path, req.headers.get("User-Agent"), req.src_ip))
        status, headers = codes[req.path]
        return HttpResponse(status, "<a>moved</a>" if status in (301, 399) else "body", headers)

    env.pod_net.listen(8080, handler)
    containers = [{"name": p.strip("/"), "readinessProbe": http_probe(path=p)} for p in codes]
    containers.append({"name": "closed", "livenessProbe": http_probe(port=8081, failureThreshold=1)})
    env.pm.add_pod(pod(*containers))
    for c in containers:
        env.pm.container_started("uid-1", c["name"], "containerd://" + c["name"], 100.0, POD_IP)
    env.run(100.5)
    ready = {c["name"]: env.pm.is_ready("uid-1", c["name"]) for c in containers[:-1]}
    assert ready == {"200": True, "399": True, "400": False, "500": False, "away": True, "here": True}
    assert sorted(m for _, m in env.messages()) == [
        'Liveness probe failed: Get "http://10.244.1.5:8081/healthz": dial tcp 10.244.1.5:8081: '
        "connect: connection refused",
        "Readiness probe failed: HTTP probe failed with statuscode: 400",
        "Readiness probe failed: HTTP probe failed with statuscode: 500"]
    assert sorted(m for _, m in env.messages("ProbeWarning")) == [
        "Readiness probe warning: Probe terminated redirects, Response body: <a>moved</a>",
        "Readiness probe warning: Probe terminated redirects, Response body: <a>moved</a>"]
    assert ("/200", "kube-probe/1.37", NODE_IP) in seen and ("/here", "kube-probe/1.37", NODE_IP) in seen


def test_redirect_warning_body_is_truncated_at_10_kib():
    env = Env()
    env.pod_net.listen(80, lambda req: HttpResponse(308, "x" * 20000, {"Location": "http://example.com/"}))
    env.pm.add_pod(pod({"name": "app", "readinessProbe": http_probe(path="/", port=80)}))
    env.pm.container_started("uid-1", "app", "containerd://c1", 100.0, POD_IP)
    env.run(100.5)
    (_, msg), = env.messages("ProbeWarning")
    assert msg == "Readiness probe warning: Probe terminated redirects, Response body: " + "x" * 10240


def test_exec_timeout_error_and_env_expansion():
    def script(cmd, now):
        return None if cmd[-1].startswith("sleep") else ("ok\n", "", 0)

    env = Env(script=script)
    slow = {"name": "slow", "livenessProbe": exec_probe(["sh", "-c", "sleep 10"], timeoutSeconds=2)}
    vars_ = {"name": "vars", "env": [{"name": "FILE", "value": "/tmp/ready"},
                                      {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
             "readinessProbe": exec_probe(["cat", "$(FILE)", "$(POD)", "$$(FILE)"])}
    bad = {"name": "bad", "readinessProbe": http_probe(port="http-web")}
    env.pm.add_pod(pod(slow, vars_, bad))
    for c in ("slow", "vars", "bad"):
        env.pm.container_started("uid-1", c, "containerd://" + c, 100.0, POD_IP)
    env.run(103)
    assert ["cat", "/tmp/ready", "$(POD)", "$(FILE)"] in [c[2] for c in env.runtime.calls]
    assert ("containerd://slow", ["sh", "-c", "sleep 10"], 2.0) in [c[1:] for c in env.runtime.calls]
    assert env.messages() == [
        (100.0, 'Readiness probe errored and resulted in unknown state: strconv.Atoi: parsing "http-web": '
                "invalid syntax"),
        (102.0, 'Liveness probe failed: command "sh -c sleep 10" timed out')]
    # an errored run is thrown away: "bad" never became ready, and reported only once per run
    assert env.pm.is_ready("uid-1", "vars") and not env.pm.is_ready("uid-1", "bad")


def test_tcp_and_grpc_probes():
    env = Env()
    serving = {"v": "SERVING"}
    env.pod_net.listen(9090, lambda req: HttpResponse(200, serving["v"], {"grpc-status": "0"})
                       if req.path == "/grpc.health.v1.Health/Check" else HttpResponse(404))
    env.pod_net.listen(8080, lambda req: HttpResponse(200, "plain http"))
    env.pod_net.listen(6379, None)                       # a plain TCP server
    c = [{"name": "grpc", "livenessProbe": {"grpc": {"port": 9090}, "periodSeconds": 5}},
         {"name": "nogrpc", "livenessProbe": {"grpc": {"port": 8080}, "failureThreshold": 1}},
         {"name": "redis", "readinessProbe": {"tcpSocket": {"port": 6379}}}]
    env.pm.add_pod(pod(*c))
    for x in c:
        env.pm.container_started("uid-1", x["name"], "containerd://" + x["name"], 100.0, POD_IP)
    env.at(102, serving.update, {"v": "NOT_SERVING"})
    env.run(106)
    assert env.pm.is_ready("uid-1", "redis")
    assert env.messages() == [
        (100.0, 'Liveness probe failed: timeout: failed to connect service "10.244.1.5:8080" within 1s: '
                "context deadline exceeded"),
        (105.0, 'Liveness probe failed: service unhealthy (responded with "NOT_SERVING")')]
    assert [k[2] for k in env.kills] == ["nogrpc"]


def test_remove_pod_and_terminating_pod_stop_probing():
    env = Env()
    env.pod_net.listen(8080, lambda req: HttpResponse(200, ""))
    calls = []
    env.pod_net.listen(8081, lambda req: calls.append(env.loop.now) or HttpResponse(200, ""))
    c = {"name": "app", "livenessProbe": http_probe(port=8081), "readinessProbe": http_probe()}
    env.pm.add_pod(pod(c))
    env.pm.container_started("uid-1", "app", "containerd://c1", 100.0, POD_IP)
    env.run(115)
    assert calls == [100.0, 110.0]
    env.pm.stop_liveness_and_startup("uid-1")
    env.run(135)
    assert calls == [100.0, 110.0] and env.pm.is_ready("uid-1", "app")   # readiness goes on
    env.pm.remove_pod("uid-1")
    assert env.pm.is_ready("uid-1", "app") is False
    before = env.loop.pending()
    env.run(200)
    assert before == 0 and calls == [100.0, 110.0]


def test_defaults_apply_to_an_unset_probe():
    # period 10, timeout 1, success 1, failure 3 (pkg/apis/core/v1/defaults.go)
    env = Env(script=lambda cmd, now: None)   # always times out
    env.pm.add_pod(pod({"name": "app", "livenessProbe": exec_probe(["check"])}))
    env.pm.container_started("uid-1", "app", "containerd://c1", 100.0)
    env.run(200)
    assert [c[0] for c in env.runtime.calls] == [100.0, 110.0, 120.0]
    assert {c[3] for c in env.runtime.calls} == {1.0}
    assert env.kills == [(121.0, "default/web", "app", "Container app failed liveness probe, will be restarted")]


def test_exec_output_order_limit_and_runtime_errors():
    def script(cmd, now):
        if cmd[0] == "gone":
            raise RuntimeError("rpc error: code = NotFound desc = container not found")
        return ("out:" + "y" * 12000, "err\n", 2)

    env = Env(script=script)
    env.pm.add_pod(pod({"name": "big", "readinessProbe": exec_probe(["check"])},
                       {"name": "gone", "readinessProbe": exec_probe(["gone"])}))
    env.pm.container_started("uid-1", "big", "containerd://big", 100.0)
    env.pm.container_started("uid-1", "gone", "containerd://gone", 100.0)
    env.run(105)
    (_, gone), (_, big) = sorted(env.messages(), key=lambda e: e[1])   # "errored" < "failed"
    # stdout then stderr, cut at 10 KiB (stderr falls off the end here)
    assert big == "Readiness probe failed: out:" + "y" * (10240 - 4)
    assert gone == ("Readiness probe errored and resulted in unknown state: "
                    "rpc error: code = NotFound desc = container not found")
    # an error is retried: three ExecSync calls in the one run, one event
    assert [c[2] for c in env.runtime.calls].count(["gone"]) == 3


def test_exec_with_a_runtime_that_reports_errors_through_on_error():
    from k8score.cri.errors import CRIError

    class ErrRuntime(Runtime):
        def exec_sync(self, container_id, cmd, timeout, cb, on_error=None):
            self.calls.append((round(self.loop.now, 3), container_id, list(cmd), timeout))
            if cmd[0] == "slow":
                err = CRIError("DeadlineExceeded", "failed to exec in container: timeout 1s exceeded: "
                                                   "context deadline exceeded")
                self.loop.call_later(timeout, on_error, err)
            else:
                err = CRIError("Unknown", 'failed to exec in container: failed to start exec: OCI runtime exec '
                                          'failed: exec failed: unable to start container process: exec: "nope": '
                                          "executable file not found in $PATH: unknown")
                self.loop.call_later(0.001, on_error, err)

    env = Env()
    env.kubelet.runtime = ErrRuntime(env.loop, None)
    env.pm.add_pod(pod({"name": "slow", "livenessProbe": exec_probe(["slow", "x"])},
                       {"name": "nope", "readinessProbe": exec_probe(["nope"])}))
    env.pm.container_started("uid-1", "slow", "containerd://slow", 100.0)
    env.pm.container_started("uid-1", "nope", "containerd://nope", 100.0)
    env.run(105)
    assert env.messages() == [
        (100.003, "Readiness probe errored and resulted in unknown state: rpc error: code = Unknown desc = "
                  'failed to exec in container: failed to start exec: OCI runtime exec failed: exec failed: '
                  'unable to start container process: exec: "nope": executable file not found in $PATH: '
                  "unknown"),
        (101.0, 'Liveness probe failed: command "slow x" timed out')]


def test_https_probes_skip_verification_and_report_scheme_mismatches():
    """pkg/probe/http/http.go (InsecureSkipVerify); net/http: transport.go / server.go texts."""
    env = Env()
    env.pod_net.listen(10259, lambda req: HttpResponse(200, "ok"), tls=True)
    env.pod_net.listen(8080, lambda req: HttpResponse(200, "ok"))
    https = {"httpGet": {"path": "/livez", "port": 10259, "scheme": "HTTPS"}}
    cs = [{"name": "tls-ok", "readinessProbe": https},
          {"name": "tls-to-plain", "readinessProbe": {"httpGet": {"path": "/livez", "port": 8080, "scheme": "HTTPS"}}},
          {"name": "plain-to-tls", "readinessProbe": {"httpGet": {"path": "/livez", "port": 10259}}},
          {"name": "plain-ok", "readinessProbe": http_probe(port=8080)}]
    env.pm.add_pod(pod(*cs))
    for c in cs:
        env.pm.container_started("uid-1", c["name"], "containerd://" + c["name"], 100.0, POD_IP)
    env.run(100.5)
    assert {c["name"]: env.pm.is_ready("uid-1", c["name"]) for c in cs} == \
        {"tls-ok": True, "tls-to-plain": False, "plain-to-tls": False, "plain-ok": True}
    assert sorted(m for _, m in env.messages()) == [
        "Readiness probe failed: Get \"https://10.244.1.5:8080/livez\": http: server gave HTTP response to "
        "HTTPS client",
        "Readiness probe failed: HTTP probe failed with statuscode: 400"]
