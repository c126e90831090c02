"""Containers that run what a reader types can break nothing (issue 8, quality bar).

Readers edit the examples: any pod the API server accepts — a shell script with garbage in it,
an image that does not exist, probes on closed ports, init containers and hooks that fail,
``envFrom`` a missing ConfigMap — may fail *as Kubernetes would*, but may not raise out of
``c.run()``, leave an internal error (a k8score bug) in a component's ``errors`` log or a
container's stderr, break ``kubectl get``/``describe``/``logs``, or make a later ``c.run()``
fail. A seed reproduces a run exactly.

Upstream behaviour relied on: busybox ``shell/ash.c`` (``breakcmd``: N <= 0 is an "Illegal
number", N is capped at the loop nesting; ``ckmalloc`` -> "out of memory"), ``shell/math.c``
(``arith_t`` is ``long long``; "exponent less than 0"), glibc ``posix/getopt.c`` ("invalid
option -- 'x'"), kubelet ``pkg/kubelet/logs/container_log_manager.go`` (rotation at
``containerLogMaxSize`` 10Mi keeping ``containerLogMaxFiles`` 5,
``pkg/kubelet/apis/config/v1beta1/defaults.go``).

The hypothesis cases are derandomized (the same examples every run). The long campaign with
figures is ``bench/fuzz_containers.py``.
"""

from __future__ import annotations

import re

import posixpath
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k8score import Cluster
from k8score.container.fs import FileSystem
from k8score.container.process import SIGKILL, SIGTERM, Proc, Process
from k8score.container.shell import PROGRAMS, spawner
from k8score.container.shell.applets.common import MAX_TEXT
from k8score.container.shell.lexer import MAX_NESTING
from k8score.sim import Loop

EPOCH = 1795892400.0
INTERNAL = "k8score: internal error"      # what process.py writes when a program raised

# -- scripts from the shell's grammar ------------------------------------------------------

ATOMS = [
    "echo hi", "echo $x", "x=1", "x=$((x+1))", "echo ${x:-d} ${x#a} ${#x} ${x%%*}", "true", "false", ":",
    "sleep 1", "sleep 0.5", "sleep 99999999999", "sleep inf", "sleep x", "cat /etc/hostname", "cat /nope",
    "ls -la /tmp", "mkdir -p /tmp/a/b", "touch /tmp/f", "rm -rf /tmp/a", "head -n 2", "tail -n 1", "grep -c x",
    "wc -l", "date", "date +%s", "env", "hostname", "id", "pwd", "uname -a", "seq 3", "seq 5 1", "expr 1 + 2",
    "expr 1 / 0", "[ 1 -lt x ]", "test -f /x", "printf '%s %d\\n' a 7", "printf '%*d|%.*f' -4 2 -1 3",
    "echo -e 'a\\tb'", "tee /tmp/t", "kill -0 1", "kill 99", "wait", "trap 'echo t' TERM", "trap - TERM",
    "trap 'exit 0' EXIT", "exit 3", "exit x", "export A=1", "unset x", "set -e", "shift 5", "eval 'echo e'",
    "cd /nope", ". /nope", "wget -q -O- http://x", "wget -T 1 --spider http://10.0.0.1", "nslookup kubernetes",
    "x=$(echo s)", "echo `echo b`", "echo $((1/0))", "echo $((2**64 << 70))", "echo ${x:?boom}", "echo *",
    "echo a > /tmp/o", "echo a >> /nope/o", "echo a 2>&1 >&2", "break", "continue 0", "uname -q", "cat -z",
    "local x", "read x", "yes", "seq 100000000", "printf '%999999999d' 1", "x=$x$x$x$x", "date -d @9999999999999999999",
]
GARBAGE = ["'", '"', "`", "$(", "\\", "${", "((", "}", ")", "|", "&", ";;", "fi", "done", "\x00", "é", "\n"]


@st.composite
def scripts(draw, depth: int = 0) -> str:
    """A script from the shell's grammar, nested up to a few levels, sometimes spoiled."""
    if depth > 3 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(ATOMS))
    a, b = draw(scripts(depth + 1)), draw(scripts(depth + 1))
    form = draw(st.sampled_from([
        "{a}; {b}", "{a} && {b}", "{a} || {b}", "{a} | {b}", "{a} & {b}", "if {a}; then {b}; else {a}; fi",
        "for i in 1 2 3; do {b}; done", "( {a} )", "{{ {a}; }}", "x=$({a})", "case $x in *) {a};; esac",
        "! {a}", "{a} > /tmp/z", "echo \"$({a})\"", "eval '{a}'", "sh -c '{a}'",
        "i=0; while [ $i -lt 3 ]; do i=$((i+1)); {b}; done"]))
    text = form.format(a=a, b=b)
    if draw(st.integers(0, 4)) == 0:                       # spoil it: garbage at a random place
        k = draw(st.integers(0, len(text)))
        text = text[:k] + draw(st.sampled_from(GARBAGE)) + text[k:]
    return text


def run_sh(script: str, *, until: float = 20.0, spawn: bool = True) -> Process:
    loop = Loop(0)
    proc = Proc(["sh", "-c", script], fs=FileSystem(clock=lambda: loop.now), clock=lambda: loop.now,
                epoch=EPOCH, env={"HOME": "/root"}, spawn=spawner(loop) if spawn else None, rng=random.Random(0))
    p = Process(loop, PROGRAMS["sh"], proc, pid1=True).start()
    loop.run(until=until)
    p.signal(SIGTERM)
    loop.run(until=until + 1)
    p.signal(SIGKILL)
    loop.run(until=until + 2)
    return p


@settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(script=scripts(), spawn=st.booleans())
def test_random_scripts_end_without_internal_errors(script, spawn):
    p = run_sh(script, spawn=spawn)
    assert p.exit_code is not None and 0 <= p.exit_code <= 255
    stderr = p.proc.stderr.getvalue()
    assert INTERNAL not in stderr, (script, stderr)
    assert len(p.proc.stdout.getvalue()) < 4 * MAX_TEXT


# -- regressions for the shell bugs the fuzzing found ---------------------------------------

def _sh(script: str) -> tuple[int | None, str, str]:
    p = run_sh(script, until=5)
    return p.exit_code, p.proc.stdout.getvalue(), p.proc.stderr.getvalue()


def test_break_and_continue_follow_ash_breakcmd():
    # outside a loop they do nothing (LoopCtl used to escape the shell: internal error, 255)
    assert _sh("continue; break; echo after") == (0, "after\n", "")
    assert _sh("break 0") == (2, "", "sh: break: line 1: Illegal number: 0\n")
    # N larger than the nesting breaks the outermost loop; a break in a loop's condition ends it
    assert _sh("for i in 1 2; do for j in a b; do continue 9; echo x; done; echo $i; done; echo end") == \
        (0, "end\n", "")
    assert _sh("while break; do echo no; done; echo ok") == (0, "ok\n", "")
    # a subshell or command substitution cannot break its parent's loop
    assert _sh("for i in 1 2; do (break); echo $i$(break); done") == (0, "1\n2\n", "")


@pytest.mark.parametrize("script, expected", [
    ("uname -q", (1, "", "uname: invalid option -- 'q'\n")),
    ("cat /dev/null; touch -z /tmp/x", (1, "", "touch: invalid option -- 'z'\n")),
    ("echo a | grep -z a", (2, "", "grep: invalid option -- 'z'\n")),
    ("ls -é /", (1, "", "ls: invalid option -- 'é'\n")),
    ("wget -T x http://a", (1, "", "wget: invalid number 'x'\n")),
])
def test_unknown_options_are_getopt_errors(script, expected):
    assert _sh(script) == expected


@pytest.mark.parametrize("expr, out", [
    ("1 << 100000", "4294967296"),                    # shift count mod 64, as x86's shl
    ("9223372036854775807 + 1", "-9223372036854775808"),
    ("2 ** 99999999", "0"), ("2 ** 3 ** 2", "512"), ("2 ** 62", "4611686018427387904"),
    ("1 >> -1", "0"), ("0x10 + 010", "24"),
])
def test_arithmetic_is_64_bit(expr, out):
    assert _sh(f"echo $(({expr}))") == (0, out + "\n", "")


def test_arithmetic_errors_are_ash_messages():
    assert _sh("echo $((2 ** -1))") == (2, "", "sh: exponent less than 0\n")
    assert _sh("echo $((08))") == (2, "", "sh: arithmetic syntax error\n")


def test_nesting_limit_is_a_clear_error_at_any_stack_depth():
    ok = "(" * (MAX_NESTING - 2) + "echo deep" + ")" * (MAX_NESTING - 2)     # + the list and the command
    too_deep = "(" * 300 + "echo deep" + ")" * 300
    msg = f"sh: nesting too deep (k8score's shell allows {MAX_NESTING} levels)\n"
    assert _sh(ok) == (0, "deep\n", "")
    assert _sh(too_deep) == (2, "", msg)
    assert _sh("if true; then " * 200 + "echo x" + "; fi" * 200) == (2, "", msg)
    # endless eval recursion used to end in RecursionError (internal error, 255)
    assert _sh("x='eval \"$x\"'; eval \"$x\"") == (2, "", msg)
    code, out, err = _sh("echo " + "$(echo " * 100 + "x" + ")" * 100)
    assert (code, INTERNAL in err, msg in err) == (0, False, True)


def test_memory_hogs_in_the_shell_fail_as_malloc_does():
    assert _sh("x=a; while :; do x=$x$x; done; echo never") == (2, "", "sh: out of memory\n")
    assert _sh("seq 100000000 | wc -l") == (0, "0\n", "seq: out of memory\n")
    assert _sh("printf '%999999999d' 1") == (1, "", "sh: out of memory\n")
    assert _sh("seq 99999 | tail -n 1") == (0, "99999\n", "")       # below the limit: works


def test_dates_beyond_time_t_are_invalid():
    assert _sh("date -d @99999999999999999999") == (1, "", "date: invalid date '@99999999999999999999'\n")


# -- random pods on a real cluster ------------------------------------------------------------

IMAGES = ["busybox", "busybox:1.36", "alpine", "nginx", "httpd", "polinux/stress", "registry.k8s.io/pause:3.10",
          "registry.k8s.io/e2e-test-images/agnhost:2.53", "doesnotexist", "example.com/never/heard-of:v1", "ubuntu"]
HEAVY = ["while true; do :; done", "while true; do sleep 1 & done", "sleep 99999999999999",
         "trap 'exit 0' TERM; while true; do sleep 1; done", "while true; do echo x; sleep 0.1; done"]


def _probe(draw) -> dict:
    kind = draw(st.sampled_from(["exec", "httpGet", "tcpSocket"]))
    port = draw(st.sampled_from([80, 8080, 1, 65535, "http"]))
    handler = {"exec": {"exec": {"command": draw(st.sampled_from([["cat", "/tmp/healthy"], ["sh", "-c", "exit 1"],
                                                                      ["true"], ["nope"]]))}},
               "httpGet": {"httpGet": {"path": "/healthz", "port": port}},
               "tcpSocket": {"tcpSocket": {"port": port}}}[kind]
    return {**handler, "initialDelaySeconds": draw(st.integers(0, 10)), "periodSeconds": draw(st.integers(1, 10)),
            "timeoutSeconds": draw(st.integers(1, 3)), "failureThreshold": draw(st.integers(1, 3))}


@st.composite
def containers(draw, name: str, init: bool = False) -> dict:
    image = draw(st.sampled_from(IMAGES))
    c: dict = {"name": name, "image": image}
    shape = draw(st.integers(0, 4))
    if shape == 0 and image == "polinux/stress":
        c["command"] = ["stress"]
        c["args"] = ["--vm", "1", "--vm-bytes", draw(st.sampled_from(["250M", "50M", "1G", "x"])), "--vm-hang", "1"]
        c["resources"] = {"limits": {"memory": "100Mi"}}
    elif shape in (1, 2):
        c["command"] = ["sh", "-c", draw(scripts()) if shape == 1 else draw(st.sampled_from(HEAVY))]
    elif shape == 3:
        c["args"] = [draw(st.sampled_from(["-c", "netexec", "liveness", "--help", "pause"]))]
    if not init and draw(st.booleans()):
        c[draw(st.sampled_from(["livenessProbe", "readinessProbe", "startupProbe"]))] = _probe(draw)
    if draw(st.integers(0, 3)) == 0:
        c["envFrom"] = [{"configMapRef": {"name": "missing", "optional": draw(st.booleans())}}]
    if draw(st.integers(0, 3)) == 0:
        c["env"] = [{"name": "K", "valueFrom": {"configMapKeyRef": {"name": "missing", "key": "k"}}}]
    if not init and draw(st.integers(0, 3)) == 0:
        hook = {"exec": {"command": ["sh", "-c", draw(st.sampled_from(["exit 1", "sleep 1000", "echo hi"]))]}}
        c["lifecycle"] = {draw(st.sampled_from(["postStart", "preStop"])): hook}
    return c


@st.composite
def pods(draw, k: int) -> dict:
    spec: dict = {"restartPolicy": draw(st.sampled_from(["Always", "OnFailure", "Never"])),
                  "terminationGracePeriodSeconds": draw(st.sampled_from([0, 1, 30])),
                  "containers": [draw(containers(f"c{i}")) for i in range(draw(st.integers(1, 2)))]}
    if draw(st.integers(0, 2)) == 0:
        spec["initContainers"] = [draw(containers("init", init=True))]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{k}", "namespace": "default"}, "spec": spec}


def _internal_errors(c: Cluster) -> list[str]:
    comps = [c.scheduler, c.controller_manager, *c.kubelets.values(), *c.kube_proxies.values()]
    lines = [line for comp in comps for line in comp.errors.lines()]
    for name, host in c.hosts.items():                 # container stderr reaches the CRI log files
        for path in _files(host.fs, "/var/log/pods"):
            if INTERNAL in host.fs.read(path):
                lines.append(f"{name}:{path}: {INTERNAL}")
    return lines


def _files(fs, top: str) -> list[str]:
    out, todo = [], [top]
    while todo:
        d = todo.pop()
        if not fs.isdir(d):
            continue
        for entry in sorted(fs.listdir(d)):
            p = posixpath.join(d, entry)
            (todo if fs.isdir(p) else out).append(p)
    return out


def _check_kubectl(c: Cluster, manifests: list[dict]) -> None:
    c.kubectl("get pods -o wide")
    for m in manifests:
        name = m["metadata"]["name"]
        c.kubectl(f"describe pod {name}")
        for ctr in m["spec"]["containers"]:
            c.kubectl(f"logs {name} -c {ctr['name']}")
            c.kubectl(f"logs {name} -c {ctr['name']} --previous")


@settings(max_examples=8, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**16), manifests=st.lists(st.integers(0, 0), min_size=1, max_size=3).flatmap(
    lambda ks: st.tuples(*[pods(k) for k in range(len(ks))])))
def test_random_pods_never_break_the_cluster(seed, manifests):
    c = Cluster(nodes=2, seed=seed)
    for m in manifests:
        c.apply(m)
    c.run(60)
    assert _internal_errors(c) == []
    _check_kubectl(c, manifests)
    for m in manifests:
        c.delete("pod", m["metadata"]["name"])
    c.run(40)                                          # the second run: deletion, grace, kill
    assert _internal_errors(c) == []
    _check_kubectl(c, [])


# -- determinism -------------------------------------------------------------------------------

DET = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "flaky", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["sh", "-c",
                                 "echo $RANDOM; sleep $((RANDOM % 5)); exit $((RANDOM % 2))"],
                                 "livenessProbe": {"httpGet": {"port": 80}, "periodSeconds": 3}}]}},
       {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]}}]


def _timeline(seed: int) -> list:
    c = Cluster(nodes=2, seed=seed)
    for m in DET:
        c.apply(m)
    c.run(90)
    return [(e["reason"], e["involvedObject"].get("name"), e["message"], e.get("count"), e["lastTimestamp"])
            for e in c.events()] + [c.kubectl("logs flaky"), c.kubectl("get pods -o wide")]


def test_a_seed_reproduces_the_run_and_another_seed_differs():
    first = _timeline(11)
    assert _timeline(11) == first
    assert _timeline(12) != first


# -- cost and size of a runaway container ------------------------------------------------------

def _pod(name: str, script: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["sh", "-c", script]}]}}


def test_a_busy_loop_is_stopped_by_deletion():
    c = Cluster(nodes=2, seed=1)
    c.apply(_pod("spin", "while true; do :; done"))
    c.run(30)
    assert "Running" in c.kubectl("get pod spin")
    c.delete("pod", "spin")
    c.run(40)                                          # SIGTERM ignored by PID 1, SIGKILL after 30 s
    assert "NotFound" in c.kubectl("get pod spin") or "not found" in c.kubectl("get pod spin")
    assert _internal_errors(c) == []


def test_container_logs_rotate_at_10mi():
    """pkg/kubelet/logs/container_log_manager.go: checked every 10 s, rotated past 10Mi, at most
    5 files (the live one included); kubectl logs then shows only the live file."""
    c = Cluster(nodes=2, seed=1)
    # a 4 MiB line every 5 s: 56 MiB in 70 s, more than 5 files of 10 MiB
    c.apply(_pod("loud", "x=$(printf '%4194303s' x); while true; do echo \"$x\"; sleep 5; done"))
    c.run(70)
    node = next(n for n, h in c.hosts.items() if any("loud" in p for p in _files(h.fs, "/var/log/pods")))
    fs = c.hosts[node].fs
    files = [p for p in _files(fs, "/var/log/pods") if "_loud_" in p]
    sizes = [len(fs.read(p)) for p in files]
    assert len(files) <= 5 and max(sizes) <= 10 * 2**20 + 2 * 4 * 2**20, (files, sizes)
    rotated = [p for p in files if not p.endswith(".log")]
    assert rotated and all(re.search(r"/0\.log\.2026010\d-\d{6}$", p) for p in rotated), files
    assert sum(sizes) < 60 * 2**20 and len(c.kubectl("logs loud")) <= max(sizes)
