"""The CRI's other calls: ExecSync, container events, sandboxes, images, version and status;
containerd and CRI-O side by side.

Upstream: k8s.io/cri-api pkg/apis/runtime/v1/api.proto (ExecSync, GetContainerEvents,
PodSandboxStatus, ImageFsInfo, StatusResponse); containerd internal/cri/server/
container_execsync.go ("timeout 1s exceeded: context deadline exceeded"), sandbox_run_linux.go
(resolv.conf); containerd's and CRI-O's pull errors for a missing image.
"""

from __future__ import annotations

import pytest

from cri_fakes import Node, install
from k8score.container import catalog
from k8score.cri import Containerd, CriO, CRIError


@pytest.fixture
def fakes(monkeypatch):
    install(monkeypatch)


def _exec(node, cid, cmd, timeout=0):
    out, errs = [], []
    node.rt.exec_sync(cid, cmd, timeout, lambda *r: out.append(r), on_error=errs.append)
    node.loop.run(predicate=lambda: bool(out or errs), max_events=100_000)
    return out[0] if out else errs[0]


def test_exec_sync_shares_the_container_fs_and_times_out(fakes):
    node = Node()
    sid, cid = node.run("example.com/tools:1", command=["writer", "/tmp/healthy", "ok\n"])
    assert _exec(node, cid, ["cat", "/tmp/healthy"]) == ("ok\n", "", 0)
    assert _exec(node, cid, ["cat", "/tmp/nope"]) == ("", "cat: can't open '/tmp/nope': No such file or directory\n", 1)
    t0 = node.loop.now
    err = _exec(node, cid, ["stubborn"], timeout=1)
    assert isinstance(err, CRIError) and err.code == "DeadlineExceeded"
    assert err.desc == "failed to exec in container: timeout 1s exceeded: context deadline exceeded"
    assert node.loop.now - t0 == pytest.approx(1.0)
    assert node.status(cid)["state"] == "CONTAINER_RUNNING"          # the exec died, not the container
    err = _exec(node, cid, ["nosuch"])
    assert err.desc.startswith('failed to exec in container: failed to start exec "')
    assert err.desc.endswith('OCI runtime exec failed: exec failed: unable to start container process: exec: '
                             '"nosuch": executable file not found in $PATH: unknown')
    # without on_error the callback gets exit code None
    got = []
    node.rt.exec_sync(cid, ["nosuch"], 0, lambda *r: got.append(r))
    node.loop.run(until=node.loop.now + 0.1)
    assert got == [("", "", None)]
    node.call(node.rt.stop_container, cid, 0)
    assert node.status(cid)["exitCode"] == 137
    assert _exec(node, cid, ["cat", "/tmp/healthy"]).desc == \
        "failed to exec in container: container is in CONTAINER_EXITED state"


def test_container_events_in_order_for_a_short_lived_container(fakes):
    node = Node()
    seen = []
    cancel = node.rt.get_container_events(seen.append)
    node.pull("example.com/tools:1")
    sid = node.sandbox()
    cid = node.container(sid, "example.com/tools:1", command=["printer", "2"])
    node.start(cid)
    node.loop.run(until=node.loop.now + 2)
    node.rt.remove_container(cid)
    node.loop.run(until=node.loop.now + 0.1)
    mine = [(e["containerId"], e["containerEventType"]) for e in seen]
    assert mine == [(sid, "CONTAINER_CREATED_EVENT"), (sid, "CONTAINER_STARTED_EVENT"),
                    (cid, "CONTAINER_CREATED_EVENT"), (cid, "CONTAINER_STARTED_EVENT"),
                    (cid, "CONTAINER_STOPPED_EVENT"), (cid, "CONTAINER_DELETED_EVENT")]
    stopped = seen[4]
    assert stopped["podSandboxStatus"]["id"] == sid
    assert [(s["id"], s["exitCode"], s["reason"]) for s in stopped["containersStatuses"]] == [(cid, 2, "Error")]
    cancel()
    node.rt.stop_pod_sandbox(sid)
    node.loop.run(until=node.loop.now + 0.1)
    assert len(seen) == 6


def test_sandboxes_get_ips_in_order_and_stop_releases_them(fakes):
    node = Node()
    node.pull("example.com/tools:1")
    a, b = node.sandbox("a", "u-a"), node.sandbox("b", "u-b")
    status = node.rt.pod_sandbox_status(a)
    assert status["status"]["network"]["ip"] == "10.244.1.2" and status["status"]["state"] == "SANDBOX_READY"
    assert node.rt.pod_sandbox_status(b)["status"]["network"]["ip"] == "10.244.1.3"
    assert node.host.fs.isdir("/var/log/pods/default_a_u-a")
    cid = node.container(a, "example.com/tools:1")
    node.start(cid)
    assert "10.244.1.2" in node.net.namespaces
    node.rt.stop_pod_sandbox(a)
    assert node.status(cid)["exitCode"] == 137 and "10.244.1.2" not in node.net.namespaces
    assert [s["state"] for s in node.rt.list_pod_sandbox()] == ["SANDBOX_NOTREADY", "SANDBOX_READY"]
    assert [s["id"] for s in node.rt.list_pod_sandbox({"state": {"state": "SANDBOX_READY"}})] == [b]
    # host-local IPAM continues after the last address it gave, not at the freed one
    assert node.rt.pod_sandbox_status(node.sandbox("c", "u-c"))["status"]["network"]["ip"] == "10.244.1.4"
    node.rt.remove_pod_sandbox(a)
    assert node.rt.list_containers({"podSandboxId": a}) == []
    with pytest.raises(CRIError) as e:
        node.rt.pod_sandbox_status(a)
    assert e.value.desc == f'an error occurred when try to find sandbox "{a}": not found'


def test_sandbox_waits_for_the_pod_cidr(fakes):
    node = Node()
    node.rt._pod_cidr = None
    assert node.rt.status()["status"]["conditions"][1] == {
        "type": "NetworkReady", "status": False, "reason": "NetworkPluginNotReady",
        "message": "Network plugin returns error: cni plugin not initialized"}
    sb, err = node.call(node.rt.run_pod_sandbox, {"metadata": {"name": "x", "namespace": "default", "uid": "u"}})
    assert sb is None and "loadFlannelSubnetEnv failed" in err.desc


def test_images_pull_list_status_remove_and_fs_info(fakes):
    node = Node()
    ref, err = node.pull("example.com/tools:1")
    assert err is None and ref.startswith("sha256:")
    assert [(i["repoTags"][0], i["pinned"]) for i in node.rt.list_images()] == [
        ("example.com/tools:1", False), ("registry.k8s.io/pause:3.10", True)]
    assert node.rt.image_status("example.com/tools:1")["id"] == ref
    used = sum(int(i["size"]) for i in node.rt.list_images())
    fs = node.rt.image_fs_info()["imageFilesystems"][0]
    assert fs["usedBytes"] == {"value": str(used)}
    assert fs["fsId"]["mountpoint"] == "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs"
    node.rt.remove_image("example.com/tools:1")
    node.rt.remove_image("example.com/tools:1")                     # idempotent
    assert node.rt.image_status("example.com/tools:1") is None
    _, err = node.pull("example.com/doesnotexist:1")
    assert str(err) == ('rpc error: code = NotFound desc = failed to pull and unpack image '
                        '"example.com/doesnotexist:1": failed to resolve reference "example.com/doesnotexist:1": '
                        'example.com/doesnotexist:1: not found')
    crio = Node(CriO)
    _, err = crio.pull("example.com/doesnotexist:1")
    assert str(err) == ("rpc error: code = Unknown desc = reading manifest 1 in example.com/doesnotexist: "
                        "manifest unknown")
    ref, _ = crio.pull("example.com/tools:1")
    assert len(ref) == 64 and ":" not in ref                         # containers/storage IDs
    assert crio.rt.image_fs_info()["imageFilesystems"][0]["fsId"]["mountpoint"] == \
        "/var/lib/containers/storage/overlay-images"


def test_version_status_and_runtime_config_per_flavour(fakes):
    c, o = Node(Containerd).rt, Node(CriO).rt
    assert c.version() == {"version": "0.1.0", "runtimeName": "containerd", "runtimeVersion": "v2.1.4",
                           "runtimeApiVersion": "v1"}
    assert o.version() == {"version": "0.1.0", "runtimeName": "cri-o", "runtimeVersion": "1.34.1",
                           "runtimeApiVersion": "v1"}
    assert c.PAUSE_IMAGE == o.PAUSE_IMAGE == "registry.k8s.io/pause:3.10"
    assert c.runtime_config() == o.runtime_config() == {"linux": {"cgroupDriver": "SYSTEMD"}}
    assert [h["name"] for h in c.status()["runtimeHandlers"]] == ["runc", ""]
    assert [h["name"] for h in o.status()["runtimeHandlers"]] == ["crun", "runc", ""]
    assert all(cond["status"] for cond in c.status()["status"]["conditions"])
    assert c.status(verbose=True)["info"]["lastCNILoadStatus"] == "OK"


def test_the_real_catalog_runs_a_shell_and_sleep_ignores_sigterm():
    try:
        spec = catalog.lookup("docker.io/library/busybox:1.36")
        ready = catalog.program_for(spec, ["sh"], spec.env) is not None
    except NotImplementedError:
        ready = False
    if not ready:   # TODO(lead): drop this guard once the catalog and the shell have landed
        pytest.skip("the image catalog or the shell is not filled in yet")
    node = Node()
    sid, cid = node.run("busybox:1.36", command=["sh", "-c", "echo hi; exit 3"])
    node.loop.run(until=node.loop.now + 1)
    st = node.status(cid)
    assert (st["exitCode"], st["reason"]) == (3, "Error")
    assert node.host.fs.read(st["logPath"]).splitlines()[0].endswith(" stdout F hi")
    sleeper = node.container(sid, "busybox:1.36", name="sleep", command=["sleep", "3600"])
    node.start(sleeper)
    t0 = node.loop.now
    node.call(node.rt.stop_container, sleeper, 30)
    assert node.status(sleeper)["exitCode"] == 137 and node.loop.now - t0 == pytest.approx(30.0, abs=0.01)
