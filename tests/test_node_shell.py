"""``c.ssh``: a shell on a node with crictl, systemctl, journalctl and file commands.

Upstream formats: kubernetes-sigs/cri-tools cmd/crictl/container.go (``ps`` columns), sandbox.go
(``pods``), image.go (``images``), display.go (tabwriter minwidth 20, padding 3), util.go
(13-character ids), logs.go (log path, ``previous terminated container``); docker/go-units
HumanDuration / HumanSizeWithPrecision; bash's ``command not found`` (127); GNU coreutils
messages; systemd's ``systemctl status`` / ``journalctl`` short output.
"""

import json

import pytest

from k8score import Cluster
from k8score.node.crictl import human_duration, human_size, tabwrite


@pytest.fixture(scope="module")
def c():
    c = Cluster(nodes=1, seed=0)
    c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hello"},
             "spec": {"containers": [{"name": "box", "image": "busybox",
                                      "command": ["sh", "-c", "echo hi from box; sleep 3600"]}]}})
    assert c.run(until=lambda: c.get("pods", "hello")["status"].get("phase") == "Running", seconds=60)
    c.run(1)   # the shell's first command (echo) runs 1 ms after the container started
    return c


@pytest.mark.parametrize("seconds,text", [(0.4, "Less than a second"), (1, "1 second"), (59, "59 seconds"),
                                          (60, "About a minute"), (119, "About a minute"), (120, "2 minutes"),
                                          (3599, "59 minutes"), (5400, "2 hours"), (47 * 3600, "47 hours"),
                                          (48 * 3600, "2 days")])
def test_human_duration_is_go_units(seconds, text):
    assert human_duration(seconds) == text


def test_sizes_and_tables_as_crictl_prints_them():
    assert [human_size(s) for s in (320368, 44710204, 999, 1_500_000_000)] == ["320kB", "44.7MB", "999B", "1.5GB"]
    assert tabwrite([["A", "LONGER-THAN-TWENTY-CHARS", "Z"], ["b", "c", "last"]]) == (
        "A                   LONGER-THAN-TWENTY-CHARS   Z\n"
        "b                   c                          last\n")


def test_crictl_ps_lists_the_running_container(c):
    out = c.ssh("node-1", "sudo crictl ps -a")
    header, *rows = out.splitlines()
    assert header.split() == ["CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD", "ID", "POD",
                              "NAMESPACE"]
    assert header.index("IMAGE") == 20                     # 13-char id padded to tabwriter's minwidth
    row = rows[0]
    assert len(row.split()[0]) == 13 and " box " in row
    assert row.split()[-2:] == ["hello", "default"]
    cid = row.split()[0]
    assert c.ssh("node-1", "crictl ps -a -q").startswith(cid)
    pods = c.ssh("node-1", "crictl pods").splitlines()
    assert pods[0].split() == ["POD", "ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME"]
    assert "Ready" in pods[1] and "hello" in pods[1] and pods[1].endswith("(default)")
    images = c.ssh("node-1", "crictl images")
    assert images.splitlines()[0].split() == ["IMAGE", "TAG", "IMAGE", "ID", "SIZE"]
    assert "registry.k8s.io/pause" in images and "docker.io/library/busybox" in images


def test_crictl_logs_and_inspect(c):
    cid = c.ssh("node-1", "crictl ps -q").split()[0]
    assert c.ssh("node-1", f"crictl logs {cid[:6]}") == "hi from box\n"
    prev = c.ssh("node-1", f"crictl logs -p {cid}")
    assert prev == "FATA[0000] previous terminated container box not found\n" and prev.exit_code == 1
    assert '"state": "CONTAINER_RUNNING"' in c.ssh("node-1", f"crictl inspect {cid}")
    missing = c.ssh("node-1", "crictl inspect abc123")
    assert missing == ('FATA[0000] rpc error: code = NotFound desc = an error occurred when try to find '
                       'container "abc123": not found\n') and missing.exit_code == 1


def test_crictl_exec_runs_in_the_container(c):
    cid = c.ssh("node-1", "crictl ps -q").split()[0]
    out = c.ssh("node-1", f"crictl exec -it {cid} echo inside")
    assert out == "inside\n" and out.exit_code == 0


def test_files_on_the_host(c):
    assert c.ssh("node-1", "hostname") == "node-1\n"
    assert c.ssh("node-1", "echo a > /tmp/f; echo b >> /tmp/f; cat /tmp/f") == "a\nb\n"
    out = c.ssh("node-1", "cat /nope")
    assert out == "cat: /nope: No such file or directory\n" and out.exit_code == 1
    out = c.ssh("node-1", "ls /nope")
    assert out == "ls: cannot access '/nope': No such file or directory\n" and out.exit_code == 2
    assert c.ssh("node-1", "mkdir /a/b") == "mkdir: cannot create directory '/a/b': No such file or directory\n"
    assert c.ssh("node-1", "mkdir -p /a/b && mkdir /a/b") == "mkdir: cannot create directory '/a/b': File exists\n"
    assert c.ssh("node-1", "rm /a") == "rm: cannot remove '/a': Is a directory\n"
    assert c.ssh("node-1", "rm -r /a && ls /a || echo gone").endswith("gone\n")
    assert c.ssh("node-1", "cat /nope 2>/dev/null || echo fallback") == "fallback\n"
    assert c.ssh("node-1", "echo x | tee /tmp/t") == "x\n" and c.ssh("node-1", "cat /tmp/t") == "x\n"


def test_unknown_commands_and_hosts(c):
    out = c.ssh("node-1", "kubeadm-foo init")
    assert out == "bash: kubeadm-foo: command not found\n" and out.exit_code == 127
    out = c.ssh("node-9", "true")
    assert out == "ssh: Could not resolve hostname node-9: Name or service not known\n" and out.exit_code == 255


def test_systemctl_and_journalctl_follow_the_kubelet():
    c = Cluster(nodes=1, seed=1)
    up = int(c.now)   # Cluster() returns once cluster DNS answers, some seconds after the kubelet started
    assert 5 <= up < 60
    out = c.ssh("node-1", "systemctl status kubelet")
    assert out.startswith("● kubelet.service - kubelet: The Kubernetes Node Agent\n")
    assert f"     Active: active (running) since Thu 2026-01-01 00:00:00 UTC; {up}s ago\n" in out
    assert out.exit_code == 0
    c.stop("kubelet/node-1")
    c.run(seconds=70)
    out = c.ssh("node-1", "systemctl status kubelet")
    assert out.startswith("○ kubelet.service")
    assert f"Active: inactive (dead) since Thu 2026-01-01 00:00:{up:02d} UTC; 1min 10s ago" in out
    assert out.exit_code == 3
    assert c.ssh("node-1", "systemctl is-active kubelet") == "inactive\n"
    lines = c.ssh("node-1", "journalctl -u kubelet --no-pager -n 1").splitlines()
    assert len(lines) == 1 and lines[0].startswith("Jan 01 00:00:0") and " node-1 kubelet[1234]: " in lines[0]
    assert c.ssh("node-1", "journalctl -u containerd-nothing") == "-- No entries --\n"


def test_crictl_version_info_and_inspectp(c):
    assert c.ssh("node-1", "crictl version") == (
        "Version:  0.1.0\nRuntimeName:  containerd\nRuntimeVersion:  v2.1.4\nRuntimeApiVersion:  v1\n")
    info = json.loads(c.ssh("node-1", "crictl info"))
    assert [(x["type"], x["status"]) for x in info["status"]["conditions"]] == [
        ("RuntimeReady", True), ("NetworkReady", True)]
    pod_id = next(line.split()[0] for line in c.ssh("node-1", "crictl pods").splitlines()[1:] if " hello " in line)
    sandbox = json.loads(c.ssh("node-1", f"crictl inspectp {pod_id}"))
    assert sandbox["status"]["metadata"]["name"] == "hello"
    assert sandbox["status"]["network"]["ip"] == c.get("pods", "hello")["status"]["podIP"]
    missing = c.ssh("node-1", "crictl inspectp nope")
    assert missing.exit_code == 1 and "not found" in missing
