"""The official ``kubernetes`` Python client (pinned in the test extra) against ``k8score serve``.

It loads the kubeconfig ``Server.write_kubeconfig`` writes (bearer token, the server's CA),
sends JSON, reads Status errors as ``ApiException`` (kubernetes/client/exceptions.py), watches
with ``kubernetes.watch.Watch`` (chunked JSON lines) and execs with ``kubernetes.stream.stream``
(a WebSocket with ``v4.channel.k8s.io``; k8score/serve_streams.py). Nothing is adapted for
k8score: these are the calls the client's own examples make.
"""

from __future__ import annotations

import pytest

kubernetes = pytest.importorskip("kubernetes")
pytest.importorskip("wsproto")
from kubernetes import client, config, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402
from kubernetes.stream import stream  # noqa: E402

from serve_helpers import start, wait_for  # noqa: E402


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    server, kubeconfig, _tmp = start(tmp_path_factory.mktemp("pyclient"), nodes=1, speed=4.0)
    api_client = config.new_client_from_config(config_file=str(kubeconfig))
    yield api_client
    api_client.close()
    server.stop()


def deployment(name: str, replicas: int) -> client.V1Deployment:
    labels = {"app": name}
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1DeploymentSpec(
            replicas=replicas, selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[client.V1Container(name="nginx", image="nginx:1.27")]))))


def test_create_list_patch_delete_and_errors(api):
    apps = client.AppsV1Api(api)
    created = apps.create_namespaced_deployment("default", deployment("py", 2))
    assert (created.metadata.name, created.spec.replicas, created.metadata.namespace) == ("py", 2, "default")
    with pytest.raises(ApiException) as e:
        apps.create_namespaced_deployment("default", deployment("py", 2))
    assert e.value.status == 409 and '"reason":"AlreadyExists"' in e.value.body
    names = [d.metadata.name for d in apps.list_namespaced_deployment("default", label_selector="").items]
    assert "py" in names
    patched = apps.patch_namespaced_deployment("py", "default", {"spec": {"replicas": 3}})
    assert patched.spec.replicas == 3 and int(patched.metadata.generation) == 2
    ready = wait_for(lambda: (apps.read_namespaced_deployment("py", "default").status.ready_replicas or 0) == 3)
    assert ready
    core = client.CoreV1Api(api)
    pods = core.list_namespaced_pod("default", label_selector="app=py").items
    assert len(pods) == 3 and all(p.status.phase == "Running" for p in pods)
    apps.delete_namespaced_deployment("py", "default")
    with pytest.raises(ApiException) as e:
        apps.read_namespaced_deployment("py", "default")
    assert e.value.status == 404


def test_watch_sees_added_modified_deleted(api):
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="w1"),
                                                                     data={"a": "1"}))
    core.patch_namespaced_config_map("w1", "default", {"data": {"a": "2"}})
    core.delete_namespaced_config_map("w1", "default")
    rv = core.list_namespaced_config_map("default").metadata.resource_version
    core.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="w2")))
    core.delete_namespaced_config_map("w2", "default")
    seen = []
    w = watch.Watch()
    for ev in w.stream(core.list_namespaced_config_map, "default", field_selector="metadata.name=w2",
                       resource_version=rv, timeout_seconds=2):
        seen.append((ev["type"], ev["object"].metadata.name))
        if ev["type"] == "DELETED":
            w.stop()
    assert seen == [("ADDED", "w2"), ("DELETED", "w2")]


def test_exec_through_kubernetes_stream(api):
    core = client.CoreV1Api(api)
    core.create_namespaced_pod("default", client.V1Pod(
        metadata=client.V1ObjectMeta(name="pybox"),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox:1.36",
                                                             command=["sleep", "3600"])])))
    assert wait_for(lambda: core.read_namespaced_pod("pybox", "default").status.phase == "Running")
    out = stream(core.connect_get_namespaced_pod_exec, "pybox", "default",
                 command=["sh", "-c", "echo hi from $(hostname)"], stderr=True, stdin=False, stdout=True, tty=False)
    assert out == "hi from pybox\n"
    resp = stream(core.connect_get_namespaced_pod_exec, "pybox", "default", command=["sh", "-c", "exit 7"],
                  stderr=True, stdin=False, stdout=True, tty=False, _preload_content=False)
    resp.run_forever(timeout=10)
    assert resp.returncode == 7


def test_lightkube_smoke(tmp_path_factory):
    """lightkube (pinned in the test extra) with the same kubeconfig: list, create, get, delete."""
    lightkube = pytest.importorskip("lightkube")
    from lightkube import KubeConfig
    from lightkube.core.exceptions import ApiError
    from lightkube.models.meta_v1 import ObjectMeta
    from lightkube.resources.core_v1 import ConfigMap, Node

    server, kubeconfig, _tmp = start(tmp_path_factory.mktemp("lightkube"), nodes=2, speed=4.0)
    try:
        lk = lightkube.Client(KubeConfig.from_file(str(kubeconfig)))
        assert sorted(n.metadata.name for n in lk.list(Node)) == ["node-1", "node-2"]
        lk.create(ConfigMap(metadata=ObjectMeta(name="lk", namespace="default"), data={"k": "v"}))
        assert lk.get(ConfigMap, "lk", namespace="default").data == {"k": "v"}
        with pytest.raises(ApiError) as e:
            lk.create(ConfigMap(metadata=ObjectMeta(name="lk", namespace="default")))
        assert (e.value.status.code, e.value.status.reason) == (409, "AlreadyExists")
        lk.delete(ConfigMap, "lk", namespace="default")
        with pytest.raises(ApiError) as e:
            lk.get(ConfigMap, "lk", namespace="default")
        assert e.value.status.code == 404
    finally:
        server.stop()
