"""kubectl logs / exec / run through the API server's pods/log and pods/exec and the kubelet API.

Upstream: pkg/registry/core/pod/rest/log.go, subresources.go, pkg/registry/core/pod/strategy.go
(LogLocation, ExecLocation, validateContainer), pkg/apis/core/validation ValidatePodLogOptions,
pkg/kubelet/server/server.go (getContainerLogs, getExec), pkg/kubelet/kubelet_pods.go
(validateContainerLogStatus), pkg/kubelet/kuberuntime/logs/logs.go (CRI log format),
staging/src/k8s.io/kubectl/pkg/cmd/{logs/logs.go,exec/exec.go,run/run.go},
pkg/polymorphichelpers/logsforobject.go, cmd/util/podcmd/podcmd.go, pkg/describe/describe.go.

The node is a hand-built Host with CRI log files written as the runtime writes them, and a fake
runtime whose ``exec_sync`` answers 50 ms later on the virtual clock.
"""

from __future__ import annotations

import pytest

from k8score.api.errors import ApiError
from k8score.apiserver.registry.podconnect import KubeletConnections
from k8score.client import Client
from k8score.kubectl import Kubectl
from k8score.kubectl.describe_blocks import _probe
from k8score.kubelet.server import KubeletServer, render_log
from k8score.node.host import Host

NODE_IP = "172.18.0.3"
UID = "0b5e7f4e-1111-4222-8333-944455556666"
LOGDIR = f"/var/log/pods/default_web_{UID}/nginx"


class FakeRuntime:
    """exec_sync(id, cmd, timeout, cb): answers from ``answers[cmd[0]]`` after 50 ms."""

    def __init__(self, loop):
        self.loop = loop
        self.calls = []
        self.answers = {"cat": ("web\n", "", 0), "false": ("", "", 1),
                        "sh": ("out\n", "sh: oops\n", 3)}

    def exec_sync(self, cid, cmd, timeout, cb):
        self.calls.append((cid, list(cmd)))
        self.loop.call_later(0.05, cb, *self.answers.get(cmd[0], ("", "", 0)))


@pytest.fixture
def node(api, loop):
    api.create("nodes", {"metadata": {"name": "node-1"}})
    host = Host("node-1", NODE_IP, loop)
    runtime = FakeRuntime(loop)
    state = {"up": True}
    server = KubeletServer("node-1", host, runtime, lambda ns, n: api.lister.get("pods", n, ns),
                           running=lambda: state["up"], now=lambda: loop.now)
    api.kubelets = KubeletConnections()
    api.kubelets.register("node-1", server)
    return host, runtime, state


def kubectl(api, loop, user="kubernetes-admin"):
    return Kubectl(Client(api, user=user), lambda: loop.now,
                   wait=lambda pred, t: loop.run(until=loop.now + t, predicate=pred))


def make_pod(api, name="web", containers=("nginx",), node="node-1", init=()):
    spec = {"containers": [{"name": c, "image": "nginx:1.27"} for c in containers]}
    if init:
        spec["initContainers"] = [{"name": c, "image": "busybox"} for c in init]
    if node:
        spec["nodeName"] = node
    pod = api.create("pods", {"metadata": {"name": name}, "spec": spec})
    return pod


def set_status(api, name, statuses, phase="Running", init=None):
    pod = api.get("pods", name, namespace="default")
    pod["status"] = {"phase": phase, "containerStatuses": statuses, "initContainerStatuses": init or [],
                     "conditions": [{"type": "Ready", "status": "True" if phase == "Running" else "False"}]}
    api.update("pods", pod, namespace="default", subresource="status")


def running(name="nginx", restarts=0, last=None, cid="containerd://c1"):
    st = {"name": name, "ready": True, "restartCount": restarts, "image": "nginx:1.27", "imageID": "",
          "containerID": cid, "state": {"running": {"startedAt": "2026-01-01T00:00:01Z"}}}
    if last:
        st["lastState"] = {"terminated": last}
    return st


def cri(*lines, stream="stdout"):
    return "".join(f"2026-01-01T00:00:0{i}.5Z {stream} F {line}\n" for i, line in enumerate(lines))


def web_with_log(api, host, text=None, restarts=0, last=None):
    pod = make_pod(api)
    log = f"/var/log/pods/default_web_{pod['metadata']['uid']}/nginx"
    host.fs.mkdir(log, parents=True)
    host.fs.write(f"{log}/{restarts}.log", text if text is not None else cri("one", "two", "three"))
    set_status(api, "web", [running(restarts=restarts, last=last)])
    return log


# -- logs -------------------------------------------------------------------------------
def test_logs_reads_the_cri_file_with_tail_and_timestamps(api, loop, node):
    host, _, _ = node
    web_with_log(api, host)
    k = kubectl(api, loop)
    assert k.run("logs web") == "one\ntwo\nthree\n"
    assert k.run("logs web --tail=2") == "two\nthree\n"
    assert k.run("logs pod/web --tail 0") == ""
    assert k.run("logs web --tail=1 --timestamps") == "2026-01-01T00:00:02.500000000Z three\n"
    assert k.run("logs web --tail=-2") == "error: --tail must be greater than or equal to -1\n"
    assert k.last_exit_code == 1
    assert k.run("logs web --limit-bytes=6") == "one\ntw"
    assert k.run("logs web --limit-bytes=5") == "one\nt"


def test_partial_records_join_and_malformed_lines_are_skipped():
    raw = ("2026-01-01T00:00:01Z stdout P hel\n2026-01-01T00:00:01.1Z stdout F lo\n"
           "garbage line\n2026-01-01T00:00:02Z stderr F err\n")
    assert render_log(raw, {}, 10.0) == "hello\nerr\n"
    assert render_log(raw, {"sinceSeconds": 8}, 10.0) == "err\n"  # 10 - 8 = 2 s: the last record only
    assert render_log(raw, {"sinceSeconds": 9}, 10.0) == "hello\nerr\n"


def test_previous_reads_the_last_terminated_instance(api, loop, node):
    host, _, _ = node
    k = kubectl(api, loop)
    log = web_with_log(api, host, cri("second life"), restarts=1,
                       last={"exitCode": 1, "reason": "Error", "containerID": "containerd://c0"})
    host.fs.write(f"{log}/0.log", cri("first life", "panic: boom", stream="stderr"))
    assert k.run("logs web") == "second life\n"
    assert k.run("logs web -p") == "first life\npanic: boom\n"
    assert k.run("logs web --previous --tail=1") == "panic: boom\n"


def test_previous_without_a_terminated_instance_is_a_bad_request(api, loop, node):
    host, _, _ = node
    web_with_log(api, host)
    k = kubectl(api, loop)
    assert k.run("logs web -p") == ('Error from server (BadRequest): previous terminated container "nginx" '
                                    'in pod "web" not found\n')
    assert k.last_exit_code == 1


def test_waiting_containers_say_why(api, loop, node):
    make_pod(api)
    k = kubectl(api, loop)
    waiting = {"name": "nginx", "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}}
    set_status(api, "web", [waiting], phase="Pending")
    assert k.run("logs web") == ('Error from server (BadRequest): container "nginx" in pod "web" is waiting '
                                 'to start: ContainerCreating\n')
    waiting["state"]["waiting"]["reason"] = "ImagePullBackOff"
    set_status(api, "web", [waiting], phase="Pending")
    assert k.run("logs web").endswith("is waiting to start: trying and failing to pull image\n")
    set_status(api, "web", [], phase="Pending")
    assert k.run("logs web") == 'Error from server (BadRequest): container "nginx" in pod "web" is not available\n'


def test_a_missing_log_file_is_reported_as_the_kubelet_does(api, loop, node):
    make_pod(api)
    set_status(api, "web", [running()])
    uid = api.get("pods", "web", namespace="default")["metadata"]["uid"]
    path = f"/var/log/pods/default_web_{uid}/nginx/0.log"
    assert kubectl(api, loop).run("logs web") == (
        f'Error from server (BadRequest): failed to try resolving symlinks in path "{path}": lstat {path}: '
        "no such file or directory\n")


def test_container_choice_in_kubectl_and_in_the_api(api, loop, node):
    host, _, _ = node
    pod = make_pod(api, "two", containers=("a", "b"), init=("setup",))
    base = f"/var/log/pods/default_two_{pod['metadata']['uid']}"
    for c in ("a", "b", "setup"):
        host.fs.mkdir(f"{base}/{c}", parents=True)
        host.fs.write(f"{base}/{c}/0.log", cri(f"from {c}"))
    done = {"name": "setup", "restartCount": 0, "containerID": "containerd://s",
            "state": {"terminated": {"exitCode": 0, "reason": "Completed", "containerID": "containerd://s"}}}
    set_status(api, "two", [running("a", cid="containerd://a"), running("b", cid="containerd://b")], init=[done])
    k = kubectl(api, loop)
    # kubectl picks the first container and says so on stderr (logsforobject.go)
    assert k.run("logs two") == 'Defaulted container "a" out of: a, b, setup (init)\nfrom a\n'
    assert k.run("logs two -c b") == "from b\n"
    assert k.run("logs two b") == "from b\n"
    assert k.run("logs two b -c a") == "error: only one of -c or an inline [CONTAINER] arg is allowed\n"
    assert k.run("logs two -c nope") == "error: container nope is not valid for pod two out of: a, b, setup (init)\n"
    # init containers first (logsforobject.go), each line prefixed
    assert k.run("logs two --all-containers --prefix") == (
        "[pod/two/setup] from setup\n[pod/two/a] from a\n[pod/two/b] from b\n")
    assert k.run("logs two --all-containers -c a") == (
        "error: --all-containers=true should not be specified with container name a\n")
    # the API itself refuses to guess (strategy.go validateContainer)
    with pytest.raises(ApiError) as e:
        api.get("pods", "two", namespace="default", subresource="log")
    assert str(e.value) == ("Error from server (BadRequest): a container name must be specified for pod two, "
                            "choose one of: [setup a b]")
    with pytest.raises(ApiError) as e:
        api.get("pods", "two", namespace="default", subresource="log", container="zz")
    assert e.value.message == "container zz is not valid for pod two"


def test_log_options_are_validated_on_both_sides_of_each_limit(api, loop, node):
    host, _, _ = node
    web_with_log(api, host)
    with pytest.raises(ApiError) as e:
        api.get("pods", "web", namespace="default", subresource="log", tailLines=-1, limitBytes=0)
    assert e.value.code == 422
    assert e.value.message == ('PodLogOptions "web" is invalid: [tailLines: Invalid value: -1: must be greater '
                               "than or equal to 0, limitBytes: Invalid value: 0: must be greater than 0]")
    assert api.get("pods", "web", namespace="default", subresource="log", tailLines=0, limitBytes=1) == ""
    with pytest.raises(ApiError) as e:
        api.get("pods", "web", namespace="default", subresource="log", sinceSeconds=5,
                sinceTime="2026-01-01T00:00:00Z")
    assert "at most one of `sinceTime` or `sinceSeconds` may be specified" in e.value.message


def test_unscheduled_pods_have_empty_logs_and_no_exec(api, loop, node):
    make_pod(api, node=None)
    k = kubectl(api, loop)
    assert k.run("logs web") == "" and k.last_exit_code == 0
    assert k.run("exec web -- ls") == "Error from server (BadRequest): pod web does not have a host assigned\n"
    # logs.go Complete wraps the builder's NotFound with the namespace
    assert k.run("logs nope") == \
        'error: error from server (NotFound): pods "nope" not found in namespace "default"\n'


def test_a_stopped_kubelet_refuses_the_connection(api, loop, node):
    host, _, state = node
    web_with_log(api, host)
    state["up"] = False
    k = kubectl(api, loop)
    assert k.run("logs web --tail=1") == (
        f'Error from server: Get "https://{NODE_IP}:10250/containerLogs/default/web/nginx?tailLines=1": '
        f"dial tcp {NODE_IP}:10250: connect: connection refused\n")
    assert k.run("exec web -- cat /etc/hostname") == (
        f"Error from server: error dialing backend: dial tcp {NODE_IP}:10250: connect: connection refused\n")
    state["up"] = True
    assert k.run("logs web --tail=1") == "three\n"


def test_a_node_without_kubelet_or_node_object(api, loop, node):
    make_pod(api, node="node-9")
    assert kubectl(api, loop).run("logs web") == 'Error from server (NotFound): nodes "node-9" not found\n'


# -- exec -------------------------------------------------------------------------------
def test_exec_runs_in_the_running_container_on_the_virtual_clock(api, loop, node):
    host, runtime, _ = node
    web_with_log(api, host)
    k = kubectl(api, loop)
    t0 = loop.now
    assert k.run("exec web -- cat /etc/hostname") == "web\n" and k.last_exit_code == 0
    assert runtime.calls == [("c1", ["cat", "/etc/hostname"])]
    assert loop.now == pytest.approx(t0 + 0.05)
    assert k.run("exec web -c nginx -- sh -c 'echo out; exit 3'") == (
        "out\nsh: oops\ncommand terminated with exit code 3\n")
    assert (k.last_exit_code, k.last_stdout, k.last_stderr) == (3, "out\n", "sh: oops\ncommand terminated with "
                                                                            "exit code 3\n")
    assert k.run("exec -it web -- false") == "command terminated with exit code 1\n"


def test_exec_command_line_errors(api, loop, node):
    host, runtime, _ = node
    web_with_log(api, host)
    k = kubectl(api, loop)
    assert k.run("exec web ls") == ("error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- "
                                    "[COMMAND] instead\nSee 'kubectl exec -h' for help and examples\n")
    assert k.run("exec web") == "error: you must specify at least one command for the container\n"
    assert k.run("exec -- ls") == "error: pod, type/name or --filename must be specified\n"
    assert k.run("exec web -c zz -- ls") == "Error from server (BadRequest): container zz is not valid for pod web\n"
    assert runtime.calls == []


def test_exec_needs_a_running_container_and_a_live_pod(api, loop, node):
    make_pod(api)
    k = kubectl(api, loop)
    set_status(api, "web", [{"name": "nginx", "restartCount": 0,
                             "state": {"waiting": {"reason": "ContainerCreating"}}}], phase="Pending")
    assert k.run("exec web -- ls") == 'error: unable to upgrade connection: container not found ("nginx")\n'
    set_status(api, "web", [{"name": "nginx", "restartCount": 0, "containerID": "containerd://c1",
                             "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
               phase="Succeeded")
    assert k.run("exec web -- ls") == ("error: cannot exec into a container in a completed pod; "
                                       "current phase is Succeeded\n")


def test_rbac_get_pods_log_and_create_pods_exec(api, loop, node):
    host, _, _ = node
    web_with_log(api, host)
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "viewer"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}
    api.create("roles", role, namespace="default")
    api.create("rolebindings", {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                                "metadata": {"name": "jane"},
                                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                            "name": "viewer"},
                                "subjects": [{"kind": "User", "name": "jane",
                                              "apiGroup": "rbac.authorization.k8s.io"}]}, namespace="default")
    k = kubectl(api, loop, user="jane")
    assert k.run("logs web") == ('Error from server (Forbidden): pods "web" is forbidden: User "jane" cannot get '
                                 'resource "pods/log" in API group "" in the namespace "default"\n')
    role["rules"].append({"apiGroups": [""], "resources": ["pods/log", "pods/exec"], "verbs": ["get"]})
    api.update("roles", role, namespace="default")
    assert k.run("logs web --tail=1") == "three\n"
    # kubectl POSTs the exec upgrade: "get pods/exec" is not enough
    assert k.run("exec web -- ls") == ('Error from server (Forbidden): pods "web" is forbidden: User "jane" cannot '
                                       'create resource "pods/exec" in API group "" in the namespace "default"\n')
    role["rules"].append({"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]})
    api.update("roles", role, namespace="default")
    assert k.run("exec web -- cat /etc/hostname") == "web\n"


# -- run --------------------------------------------------------------------------------
def test_run_creates_a_pod_as_the_generator_does(api, loop, node):
    k = kubectl(api, loop)
    assert k.run("run box --image=busybox --restart=Never --env=A=1 --port=8080 -- sleep 10") == "pod/box created\n"
    pod = api.get("pods", "box", namespace="default")
    c = pod["spec"]["containers"][0]
    assert (pod["metadata"]["labels"], pod["spec"]["restartPolicy"]) == ({"run": "box"}, "Never")
    assert (c["args"], c["env"], c["ports"][0]["containerPort"]) == (["sleep", "10"], [{"name": "A", "value": "1"}],
                                                                     8080)
    assert k.run("run cmd --image=busybox --command -- sh -c true") == "pod/cmd created\n"
    assert api.get("pods", "cmd", namespace="default")["spec"]["containers"][0]["command"] == ["sh", "-c", "true"]
    assert k.run("run x --image=busybox --restart=Sometimes") == (
        "error: invalid restart policy: Sometimes\nSee 'kubectl run -h' for help and examples\n")
    assert k.run("run x --image=busybox --rm") == (
        "error: --rm should only be used for attached containers\nSee 'kubectl run -h' for help and examples\n")
    assert k.run("run x --image=busybox -t") == (
        "error: -i/--stdin is required for containers with -t/--tty=true\n"
        "See 'kubectl run -h' for help and examples\n")
    assert k.run("run x") == 'error: required flag(s) "image" not set\n'


def _complete_later(api, loop, host, name, code, lines):
    """What scheduler, kubelet and runtime would do: the pod is bound at 0.5 s, its container
    runs until 2 s, writes ``lines`` and exits ``code``."""
    def bind():
        api.create("pods", {"metadata": {"name": name}, "target": {"name": "node-1"}},
                   namespace="default", subresource="binding")

    def finish():
        pod = api.get("pods", name, namespace="default")
        log = f"/var/log/pods/default_{name}_{pod['metadata']['uid']}/{name}"
        host.fs.mkdir(log, parents=True)
        host.fs.write(f"{log}/0.log", cri(*lines))
        term = {"exitCode": code, "reason": "Completed" if code == 0 else "Error",
                "containerID": "containerd://r1"}
        set_status(api, name, [{"name": name, "restartCount": 0, "containerID": "containerd://r1",
                                "state": {"terminated": term}}], phase="Succeeded" if code == 0 else "Failed")
    loop.call_later(0.5, bind)
    loop.call_later(2.0, finish)


def test_run_rm_attached_prints_the_output_then_deletes(api, loop, node):
    host, _, _ = node
    k = kubectl(api, loop)
    _complete_later(api, loop, host, "hello", 0, ["hi there"])
    assert k.run("run hello --image=busybox --restart=Never --rm -i -- echo hi there") == (
        'hi there\npod "hello" deleted from default namespace\n')
    assert k.last_exit_code == 0
    assert api.lister.get("pods", "hello", "default") is None  # a finished pod goes at once (grace 0)


def test_run_attached_failure_exits_with_the_container_code(api, loop, node):
    host, _, _ = node
    k = kubectl(api, loop)
    _complete_later(api, loop, host, "bad", 2, ["no such thing"])
    out = k.run("run bad --image=busybox --restart=Never --rm -i -- false")
    # checkErr adds no second newline: the terminated message (empty here) ends the text
    assert out == 'no such thing\npod "bad" deleted from default namespace\npod default/bad terminated (Error)\n'
    assert k.last_exit_code == 2


def test_run_attached_without_a_clock_times_out_but_still_removes(api, loop, node):
    k = Kubectl(Client(api, user="kubernetes-admin"), lambda: loop.now)  # no wait hook
    out = k.run("run slow --image=busybox --rm -i --restart=Never -- sleep 5")
    assert out == 'pod "slow" deleted from default namespace\nerror: timed out waiting for the condition\n'


# -- describe ---------------------------------------------------------------------------
def test_describe_probe_lines():
    attrs = {"initialDelaySeconds": 5, "timeoutSeconds": 1, "periodSeconds": 5, "successThreshold": 1,
             "failureThreshold": 3}
    assert _probe({"exec": {"command": ["cat", "/tmp/healthy"]}, **attrs}) == (
        "exec [cat /tmp/healthy] delay=5s timeout=1s period=5s #success=1 #failure=3")
    assert _probe({"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, **attrs}).startswith(
        "http-get http://:8080/healthz delay=5s")
    assert _probe({"tcpSocket": {"port": 8080}, **attrs}).startswith("tcp-socket :8080 delay=5s")
    assert _probe({"grpc": {"port": 2379, "service": ""}, **attrs}).startswith("grpc <pod>:2379  delay=5s")


def test_exec_prefers_the_streaming_exec_with_stdin(api, loop, node):
    host, runtime, _ = node
    web_with_log(api, host)
    got = []

    def streaming(cid, cmd, cb, *, stdin="", tty=False, on_error=None):
        got.append((cid, cmd, stdin, tty))
        loop.call_later(0.01, cb, stdin.upper(), "", 0)
    runtime.exec = streaming
    k = kubectl(api, loop)
    assert k.run("exec -i web -- cat", stdin="hello\n") == "HELLO\n"
    assert k.run("exec web -- cat", stdin="ignored\n") == ""  # without -i no stdin is sent
    assert got == [("c1", ["cat"], "hello\n", False), ("c1", ["cat"], "", False)]
    runtime.exec = lambda cid, cmd, cb, **kw: kw["on_error"](Exception("container is in CONTAINER_EXITED state"))
    assert k.run("exec web -- ls") == "error: unable to upgrade connection: container is in CONTAINER_EXITED state\n"
