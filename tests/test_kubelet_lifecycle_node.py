"""The kubelet with probes, the node's filesystem, an unreachable API server and memory pressure.

Upstream: pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions (liveness kill
message), pkg/kubelet/prober (wired here), pkg/kubelet/kubelet_pods.go
makeEnvironmentVariables, pkg/kubelet/envvars/envvars.go, pkg/volume/emptydir and configmap
(``/var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~empty-dir/<name>``),
pkg/kubelet/network/dns/dns.go, pkg/kubelet/eviction (memory.available<100Mi, Evicted message).
"""

from __future__ import annotations

import kubelet_fakes as kf
from k8score.kubectl.podstatus import pod_status


def _get(api, name):
    return api.get("pods", name, "default")


def test_docs_exec_liveness_example_kills_after_three_failures_and_restarts():
    loop, api, kubelet = kf.setup()
    c = kf.shell("touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600", name="liveness",
                 livenessProbe={"exec": {"command": ["cat", "/tmp/healthy"]}, "initialDelaySeconds": 5,
                                "periodSeconds": 5})
    api.create("pods", kf.pod("liveness-exec", [c]), "default")
    loop.run(until=30)
    assert pod_status(_get(api, "liveness-exec")) == ("1/1", "Running", "0")
    loop.run(until=60)
    log = kf.log(kubelet, "liveness-exec")
    unhealthy = [m for _, r, m in log if r == "Unhealthy"]
    assert unhealthy and unhealthy[0].startswith(
        "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory")
    killing = [(t, m) for t, r, m in log if r == "Killing"]
    assert killing[0][1] == "Container liveness failed liveness probe, will be restarted"
    # sh as PID 1 ignores SIGTERM: the 30 s grace period runs out, SIGKILL, exit 137
    loop.run(until=killing[0][0] + 29)
    assert _get(api, "liveness-exec")["status"]["containerStatuses"][0]["restartCount"] == 0
    loop.run(until=killing[0][0] + 33)
    cs = _get(api, "liveness-exec")["status"]["containerStatuses"][0]
    assert cs["restartCount"] == 1 and cs["lastState"]["terminated"]["exitCode"] == 137
    assert "running" in cs["state"]


def test_readiness_initial_delay_gates_ready():
    loop, api, _ = kf.setup()
    c = {"name": "web", "image": "nginx:1.14.2",
         "readinessProbe": {"exec": {"command": ["cat", "/etc/hostname"]}, "initialDelaySeconds": 30}}
    api.create("pods", kf.pod("ready", [c]), "default")
    loop.run(until=25)
    p = _get(api, "ready")
    assert pod_status(p)[:2] == ("0/1", "Running")
    assert next(c for c in p["status"]["conditions"] if c["type"] == "Ready")["status"] == "False"


def test_env_volumes_and_dns_reach_the_container():
    loop, api, kubelet = kf.setup()
    api.create("configmaps", {"metadata": {"name": "cfg"}, "data": {"color": "blue", "size": "L"}}, "default")
    api.create("services", {"metadata": {"name": "redis-primary"},
                            "spec": {"ports": [{"name": "db", "port": 6379}], "selector": {"app": "r"}}}, "default")
    c = {"name": "app", "image": "busybox:1.36", "command": ["sleep", "3600"],
         "env": [{"name": "GREETING", "value": "hi $(COLOR)"},
                 {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                 {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}}],
         "envFrom": [{"configMapRef": {"name": "cfg"}, "prefix": ""}],
         "resources": {"limits": {"memory": "64Mi"}},
         "volumeMounts": [{"name": "data", "mountPath": "/data"}, {"name": "conf", "mountPath": "/etc/conf"}]}
    c["env"].insert(0, {"name": "COLOR", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "color"}}})
    pod = kf.pod("app", [c], volumes=[{"name": "data", "emptyDir": {}}, {"name": "conf", "configMap": {"name": "cfg"}}])
    api.create("pods", pod, "default")
    loop.run(until=15)
    uid = _get(api, "app")["metadata"]["uid"]
    [cont] = [x for x in kubelet.runtime.containers.values()]
    env = {e["key"]: e["value"] for e in cont.config["envs"]}
    assert env["GREETING"] == "hi blue" and env["POD"] == "app" and env["MEM"] == "64" and env["size"] == "L"
    assert env["REDIS_PRIMARY_SERVICE_PORT_DB"] == "6379" and env["KUBERNETES_SERVICE_PORT"] == "443"
    assert env["REDIS_PRIMARY_PORT_6379_TCP_PROTO"] == "tcp" and env["KUBERNETES_SERVICE_HOST"]
    assert cont.config["linux"]["resources"]["memoryLimitInBytes"] == 64 * 1024 * 1024
    mounts = {m["containerPath"]: m for m in cont.config["mounts"]}
    assert mounts["/data"]["hostPath"] == f"/var/lib/kubelet/pods/{uid}/volumes/kubernetes.io~empty-dir/data"
    assert mounts["/etc/conf"]["readonly"] and not mounts["/data"]["readonly"]
    assert kubelet.host.fs.read(f"/var/lib/kubelet/pods/{uid}/volumes/kubernetes.io~configmap/conf/color") == "blue"
    sandbox = kubelet.runtime.sandboxes[cont.sandbox_id]
    assert sandbox.config["dnsConfig"] == {"servers": ["10.96.0.10"], "options": ["ndots:5"],
                                           "searches": ["default.svc.cluster.local", "svc.cluster.local",
                                                        "cluster.local"]}
    assert sandbox.config["logDirectory"] == f"/var/log/pods/default_app_{uid}"
    api.delete("pods", "app", namespace="default")
    loop.run(until=60)
    assert not kubelet.host.fs.exists(f"/var/lib/kubelet/pods/{uid}")


def test_pods_keep_running_and_restarting_while_the_api_server_is_down():
    loop, api, kubelet = kf.setup()
    api.create("pods", kf.pod("flaky", [kf.shell("sleep 5; exit 1")]), "default")
    api.create("pods", kf.pod("web", [{"name": "n", "image": "nginx:1.14.2"}]), "default")
    loop.run(until=10)
    api.stop()
    loop.run(until=120)
    attempts = max(c["metadata"]["attempt"] for c in kubelet.runtime.list_containers()
                   if c["metadata"]["name"] == "c")
    assert attempts >= 3
    web = [c for c in kubelet.runtime.list_containers() if c["metadata"]["name"] == "n"]
    assert [c["state"] for c in web] == ["CONTAINER_RUNNING"]
    api.start()
    loop.run(until=140)
    assert _get(api, "flaky")["status"]["containerStatuses"][0]["restartCount"] >= attempts
    assert pod_status(_get(api, "web")) == ("1/1", "Running", "0")


def test_memory_pressure_evicts_the_best_effort_hog_with_upstream_message():
    loop, api, kubelet = kf.setup(capacity={"memory": "1Gi"})
    hog = {"name": "hog", "image": "polinux/stress", "command": ["stress", "--vm", "1", "--vm-bytes", "950m",
                                                                 "--vm-hang", "0"]}
    guaranteed = {"name": "g", "image": "nginx:1.14.2",
                  "resources": {"limits": {"memory": "16Mi", "cpu": "100m"}}}
    api.create("pods", kf.pod("hog", [hog]), "default")
    api.create("pods", kf.pod("safe", [guaranteed]), "default")
    loop.run(until=40)
    p = _get(api, "hog")
    assert p["status"]["phase"] == "Failed" and p["status"]["reason"] == "Evicted"
    msg = p["status"]["message"]
    assert msg.startswith("The node was low on resource: memory. Threshold quantity: 100Mi, available: ")
    assert "Container hog was using 973824Ki, request is 0, has larger consumption of memory. " in msg
    # kubectl's STATUS shows the killed container's reason over status.reason (printPod), as upstream:
    # stress as PID 1 ignores SIGTERM, so the eviction's 2 s minimum grace ends in SIGKILL (137)
    assert pod_status(p)[1] == "Error"
    assert p["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 137
    cond = next(c for c in p["status"]["conditions"] if c["type"] == "DisruptionTarget")
    assert cond["reason"] == "TerminationByKubelet"
    assert pod_status(_get(api, "safe"))[:2] == ("1/1", "Running")
    node_events = [e["reason"] for e in api.list("events", namespace="default")["items"]
                   if e["involvedObject"]["kind"] == "Node"]
    assert "EvictionThresholdMet" in node_events


STATIC = """apiVersion: v1
kind: Pod
metadata:
  name: static-web
spec:
  containers:
  - name: web
    image: nginx:1.14.2
"""


def test_static_pod_runs_from_the_manifest_dir_and_survives_mirror_deletion():
    loop, api, kubelet = kf.setup()
    kubelet.host.fs.write("/etc/kubernetes/manifests/static-web.yaml", STATIC)
    loop.run(until=40)   # the directory is re-read every 20 s
    mirror = _get(api, "static-web-node-1")
    assert mirror["metadata"]["annotations"]["kubernetes.io/config.mirror"]
    assert pod_status(mirror) == ("1/1", "Running", "0")
    [before] = [c["id"] for c in kubelet.runtime.list_containers() if c["state"] == "CONTAINER_RUNNING"]
    api.delete("pods", "static-web-node-1", namespace="default")
    loop.run(until=60)
    again = _get(api, "static-web-node-1")
    assert again["metadata"]["uid"] != mirror["metadata"]["uid"] and pod_status(again)[1] == "Running"
    assert [c["id"] for c in kubelet.runtime.list_containers() if c["state"] == "CONTAINER_RUNNING"] == [before]
    kubelet.host.fs.remove("/etc/kubernetes/manifests/static-web.yaml")
    loop.run(until=90)
    assert [c for c in kubelet.runtime.list_containers() if c["state"] == "CONTAINER_RUNNING"] == []
