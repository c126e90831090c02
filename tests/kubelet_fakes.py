"""A node for kubelet lifecycle tests: API server, kubelet, the CRI runtime (k8score.cri) and the
real image catalog and shell (busybox ``sh -c``, nginx, polinux/stress...), so the tests pin what a
reader's pod does.
"""

from __future__ import annotations

from apihelpers import default_service_accounts
from k8score.apiserver import APIServer
from k8score.controllers import KubeControllerManager
from k8score.cri import Containerd
from k8score.etcd import Store
from k8score.kubelet import Kubelet
from k8score.node.host import Host
from k8score.sim import Loop


def setup(seed=0, capacity=None):
    loop = Loop(seed)
    api = APIServer(loop, Store())
    api.start()
    default_service_accounts(api, root_ca=True)
    KubeControllerManager(loop, api, controllers=["nodeipam", "root-ca-cert-publisher"]).start()
    host = Host("node-1", "192.168.0.11", loop)
    runtime = Containerd(loop, "node-1", host=host)
    kubelet = Kubelet(loop, api, "node-1", runtime=runtime, host=host, capacity=capacity)
    kubelet.start()
    loop.run(until=1)
    return loop, api, kubelet


def pod(name="web", containers=None, image="busybox:1.36", command=None, **spec):
    containers = containers or [{"name": "c", "image": image, **({"command": command} if command else {})}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": "node-1", "containers": containers, **spec}}


def shell(script, name="c", image="busybox:1.36", **extra):
    return {"name": name, "image": image, "command": ["sh", "-c", script], **extra}


def events(api, name):
    evs = sorted(api.list("events", namespace="default")["items"], key=lambda e: int(e["metadata"]["resourceVersion"]))
    return [e for e in evs if e["involvedObject"]["name"] == name]


def log(kubelet, name):
    """(time, reason, message) of every event the kubelet recorded for pod ``name`` (not aggregated)."""
    return [(t, reason, msg) for t, _type, reason, obj, msg in kubelet.recorder.log if obj == f"pod/{name}"]
