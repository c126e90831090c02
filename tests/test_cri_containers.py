"""Containers that really run behind the CRI: exits, logs, stop signals, mounts, env, memory.

Upstream: k8s.io/cri-api pkg/apis/runtime/v1/api.proto (ContainerConfig, ContainerStatus);
containerd internal/cri/server/container_start.go (StartError, exit 128), container_status.go
(Completed/Error), container_stop.go (stop signal, then SIGKILL after the timeout),
internal/cri/io/logger.go (CRI log lines, RFC3339Nano); kubernetes
pkg/kubelet/kuberuntime/kuberuntime_container.go (log paths, legacy /var/log/containers link).
"""

from __future__ import annotations

import pytest

from cri_fakes import MiB, Node, install
from k8score.cri import CriO, virtual_seconds
from k8score.cri.logs import containerd_timestamp


@pytest.fixture(autouse=True)
def _catalog(monkeypatch):
    install(monkeypatch)


def test_command_runs_exit_code_reason_and_cri_log_lines():
    node = Node()
    sid, cid = node.run("example.com/tools:1", command=["printer"], args=["3"])
    st = node.status(cid)
    assert st["state"] == "CONTAINER_RUNNING" and st["exitCode"] == 0 and st["reason"] == ""
    started = virtual_seconds(st["startedAt"])
    node.loop.run(until=node.loop.now + 5)
    st = node.status(cid)
    assert (st["state"], st["exitCode"], st["reason"]) == ("CONTAINER_EXITED", 3, "Error")
    assert virtual_seconds(st["finishedAt"]) - started == pytest.approx(1.0)
    path = "/var/log/pods/default_web_uid-1/app/0.log"
    assert st["logPath"] == path
    lines = node.host.fs.read(path).splitlines()
    # the unterminated stderr text is flushed as a partial line when the container exits
    assert lines == [f"{containerd_timestamp(started)} stdout F hello from web",
                     f"{containerd_timestamp(started + 1)} stderr P no newline"]
    link = f"/var/log/containers/web_default_app-{cid}.log"
    assert node.host.fs.read(link) == node.host.fs.read(path)
    # the same image and command with exit 0 is Completed; the second attempt logs to 1.log
    cid2 = node.container(sid, "example.com/tools:1", attempt=1, command=["printer", "0"])
    node.start(cid2)
    node.loop.run(until=node.loop.now + 2)
    assert (node.status(cid2)["exitCode"], node.status(cid2)["reason"]) == (0, "Completed")
    assert node.host.fs.isfile("/var/log/pods/default_web_uid-1/app/1.log")
    node.rt.remove_container(cid)
    assert not node.host.fs.exists(path) and not node.host.fs.exists(link)
    assert node.rt.container_status(cid) is None


def test_crio_log_timestamps_have_nine_digits_and_an_offset():
    node = Node(CriO)
    _, cid = node.run("example.com/tools:1", command=["printer", "0"])
    node.loop.run(until=node.loop.now + 2)
    first = node.host.fs.read(node.status(cid)["logPath"]).splitlines()[0]
    stamp, rest = first.split(" ", 1)
    assert rest == "stdout F hello from web"
    assert stamp.startswith("2026-01-01T00:00:0") and stamp.endswith("+00:00") and len(stamp) == 35


def test_stop_sends_the_stop_signal_then_sigkill_after_the_timeout():
    node = Node()
    sid, polite = node.run("example.com/tools:1")                      # CMD server: exits 0 on SIGTERM
    stubborn = node.container(sid, "example.com/tools:1", name="sleeper", command=["stubborn"])
    node.start(stubborn)
    t0 = node.loop.now
    (err,) = node.call(node.rt.stop_container, polite, 30)
    assert err is None and node.loop.now - t0 < 0.5
    assert (node.status(polite)["exitCode"], node.status(polite)["reason"]) == (0, "Completed")
    t0 = node.loop.now
    node.call(node.rt.stop_container, stubborn, 30)
    st = node.status(stubborn)
    # PID 1 without a SIGTERM handler: the kernel drops it; SIGKILL at the grace period
    assert (st["exitCode"], st["reason"]) == (137, "Error")
    assert virtual_seconds(st["finishedAt"]) - t0 == pytest.approx(30.0)
    # a second StopContainer of an exited container succeeds at once
    t0 = node.loop.now
    assert node.call(node.rt.stop_container, stubborn, 30) == (None,) and node.loop.now == t0


def test_image_stopsignal_is_used_unless_the_config_overrides_it():
    node = Node()
    sid, web = node.run("example.com/web:1")                           # STOPSIGNAL SIGQUIT
    assert node.status(web)["stopSignal"] == "SIGQUIT"
    override = node.container(sid, "example.com/web:1", name="web2", stopSignal="SIGTERM")
    node.start(override)
    t0 = node.loop.now
    node.call(node.rt.stop_container, web, 10)
    assert node.status(web)["exitCode"] == 0 and node.loop.now - t0 < 0.5
    t0 = node.loop.now
    node.call(node.rt.stop_container, override, 10)
    assert node.status(override)["exitCode"] == 137 and node.loop.now - t0 == pytest.approx(10.0, abs=0.01)


def test_missing_executable_containerd_start_error_crio_create_error():
    node = Node()
    node.pull("example.com/tools:1")
    sid = node.sandbox()
    cid = node.container(sid, "example.com/tools:1", command=["nosuch"])
    err = node.start(cid)
    msg = ('failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create '
           'failed: unable to start container process: error during container init: exec: "nosuch": executable '
           'file not found in $PATH: unknown')
    assert str(err) == f"rpc error: code = Unknown desc = {msg}"
    st = node.status(cid)
    assert (st["state"], st["exitCode"], st["reason"], st["message"]) == ("CONTAINER_EXITED", 128, "StartError", msg)
    assert st["startedAt"] == 0 and st["finishedAt"] > 0
    crio = Node(CriO)
    crio.pull("example.com/tools:1")
    cid, err = crio.call(crio.rt.create_container, crio.sandbox(),
                         {"metadata": {"name": "app"}, "image": {"image": "example.com/tools:1"}, "command": ["nosuch"]})
    assert cid is None and err.desc == ("container create failed: executable file `nosuch` not found in $PATH: "
                                        "No such file or directory")
    assert crio.rt.list_containers() == []


def test_env_order_mounts_resolv_conf_and_hostname():
    node = Node()
    node.host.fs.mkdir("/var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~empty-dir/cache", parents=True)
    node.host.fs.write("/var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~empty-dir/cache/in", "from host\n")
    node.pull("example.com/tools:1")
    dns = {"servers": ["10.96.0.10"], "searches": ["default.svc.cluster.local", "svc.cluster.local",
                                                  "cluster.local"], "options": ["ndots:5"]}
    sid = node.sandbox(dnsConfig=dns)
    mounts = [{"containerPath": "/cache", "hostPath": "/var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~empty-dir/cache"},
              {"containerPath": "/config", "hostPath": "/var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~configmap/c",
               "readonly": True}]
    envs = [{"key": "GREETING", "value": "from-pod"}, {"key": "MODE", "value": "test"}]
    env_c = node.container(sid, "example.com/tools:1", name="env", command=["printenv"], envs=envs)
    writer = node.container(sid, "example.com/tools:1", name="w", command=["writer", "/cache/out", "hi"], mounts=mounts)
    ro = node.container(sid, "example.com/tools:1", name="ro", command=["writer", "/config/x", "no"], mounts=mounts)
    cat = node.container(sid, "example.com/tools:1", name="cat", mounts=mounts,
                         command=["cat", "/etc/resolv.conf", "/etc/hostname", "/etc/motd", "/cache/in"])
    for cid in (env_c, writer, ro, cat):
        node.start(cid)
    node.loop.run(until=node.loop.now + 1)
    env_lines = [ln.split(" ", 3)[3] for ln in node.host.fs.read(node.status(env_c)["logPath"]).splitlines()]
    assert env_lines == ["HOSTNAME=web", "PATH=/bin", "GREETING=from-pod", "MODE=test"]
    assert node.host.fs.read("/var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~empty-dir/cache/out") == "hi"
    assert node.status(ro)["exitCode"] == 1
    assert node.host.fs.read(node.status(ro)["logPath"]).endswith(
        "stderr F writer: [EROFS] Read-only file system: /config/x\n")
    out = [ln.split(" ", 3)[3] for ln in node.host.fs.read(node.status(cat)["logPath"]).splitlines()]
    assert out == ["search default.svc.cluster.local svc.cluster.local cluster.local", "nameserver 10.96.0.10",
                   "options ndots:5", "web", "welcome", "from host"]
    podnet = node.net.namespaces["10.244.1.2"]
    assert (podnet.nameserver, podnet.ndots, podnet.hostname) == ("10.96.0.10", 5, "web")
    assert podnet.search[0] == "default.svc.cluster.local"


def test_memory_limit_oom_kills_and_stats_report_usage():
    node = Node()
    sid, small = node.run("example.com/tools:1", command=["hog", "100"],
                          linux={"resources": {"memoryLimitInBytes": 256 * MiB}})
    big = node.container(sid, "example.com/tools:1", name="big", command=["hog", "300"],
                         linux={"resources": {"memoryLimitInBytes": 256 * MiB}})
    node.start(big)
    node.loop.run(until=node.loop.now + 1)
    st = node.status(big)
    assert (st["state"], st["exitCode"], st["reason"]) == ("CONTAINER_EXITED", 137, "OOMKilled")
    stats = node.rt.container_stats(small)["memory"]
    assert stats["workingSetBytes"] == {"value": str(102 * MiB)}          # image's 2 MiB + 100 MiB
    assert stats["availableBytes"] == {"value": str(154 * MiB)}
    assert [s["attributes"]["id"] for s in node.rt.list_container_stats()] == [small]
    [pod] = node.rt.list_pod_sandbox_stats()
    assert pod["linux"]["memory"]["workingSetBytes"]["value"] == str(102 * MiB)
    # lowering the limit below what it holds: its next allocation is refused
    node.rt.update_container_resources(small, {"memoryLimitInBytes": 50 * MiB})
    assert node.status(small)["resources"]["linux"]["memoryLimitInBytes"] == 50 * MiB


def test_children_spawned_in_the_container_and_killed_with_pid1():
    node = Node()
    sid, cid = node.run("example.com/tools:1", command=["parent"])
    node.loop.run(until=node.loop.now + 3)
    assert node.status(cid)["exitCode"] == 5            # the child's code, via Wait
    assert "hello from web" in node.host.fs.read(node.status(cid)["logPath"])


def test_a_single_host_file_is_bind_mounted_shared_and_read_only_when_asked():
    """hostPath ``type: FileOrCreate`` (kubeadm's kubeconfig mounts): one file, not a directory."""
    node = Node()
    node.host.fs.write("/etc/kubernetes/scheduler.conf", "kind: Config\n")
    node.pull("example.com/tools:1")
    sid = node.sandbox()
    ro = [{"containerPath": "/etc/kubernetes/scheduler.conf", "hostPath": "/etc/kubernetes/scheduler.conf",
           "readonly": True}]
    rw = [{"containerPath": "/data/conf", "hostPath": "/etc/kubernetes/scheduler.conf"}]
    cat = node.container(sid, "example.com/tools:1", name="cat", mounts=ro,
                         command=["cat", "/etc/kubernetes/scheduler.conf"])
    denied = node.container(sid, "example.com/tools:1", name="ro", mounts=ro,
                            command=["writer", "/etc/kubernetes/scheduler.conf", "x"])
    w = node.container(sid, "example.com/tools:1", name="w", mounts=rw, command=["writer", "/data/conf", "changed\n"])
    for cid in (cat, denied):
        node.start(cid)
    node.loop.run(until=node.loop.now + 1)
    assert node.host.fs.read(node.status(cat)["logPath"]).split(" ", 3)[3] == "kind: Config\n"
    assert node.host.fs.read(node.status(denied)["logPath"]).endswith(
        "stderr F writer: [EROFS] Read-only file system: /etc/kubernetes/scheduler.conf\n")
    node.start(w)
    node.loop.run(until=node.loop.now + 1)
    assert node.host.fs.read("/etc/kubernetes/scheduler.conf") == "changed\n"   # the host sees the write
    fs = node.rt.containers[w].fs
    assert fs.listdir("/data") == ["conf"] and fs.isfile("/data/conf")
    with pytest.raises(OSError) as err:
        fs.remove("/data/conf")
    assert err.value.errno_name == "EBUSY"
