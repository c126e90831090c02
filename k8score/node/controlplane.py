"""The kubeadm control-plane node: its static pod manifests, labels, taint, and the components' processes.

``kubeadm init`` (cmd/kubeadm/app/phases/controlplane/manifests.go, phases/etcd/local.go,
util/staticpod/utils.go ``ComponentPod``) writes four manifests to ``/etc/kubernetes/manifests``
(``etcd.yaml``, ``kube-apiserver.yaml``, ``kube-controller-manager.yaml``,
``kube-scheduler.yaml``), each a Pod in ``kube-system`` labelled ``component=<name>`` and
``tier=control-plane``, ``hostNetwork: true``, ``priorityClassName: system-node-critical``,
the ``RuntimeDefault`` seccomp profile, hostPath volumes for certificates, and probes on the
component's health port. The manifests are serialised as sigs.k8s.io/yaml does (keys sorted,
``creationTimestamp: null``, ``status: {}``). The ``markcontrolplane`` phase then labels the Node
``node-role.kubernetes.io/control-plane=""`` and ``node.kubernetes.io/exclude-from-external-load-balancers=""``
and taints it ``node-role.kubernetes.io/control-plane:NoSchedule`` (cmd/kubeadm/app/constants).

**The processes.** k8score's components are Python objects, not containers; each static pod's
container runs :meth:`ControlPlaneProcess.program`, the *process* of that component:

- starting it starts the component if it is not running (the kubelet starting kube-apiserver);
- while it runs it answers the probe paths (``/livez``, ``/readyz``, ``/healthz``: ``ok``) on the
  component's port of the host network, and checks every second that the component still runs;
- ``Cluster.stop(name)`` marks the component *held down*: the process exits 1 (the container
  shows ``Error``); restarted by the kubelet it exits 1 again at once (``CrashLoopBackOff``)
  until ``Cluster.start(name)``;
- SIGTERM (the kubelet stopping the pod: its manifest was moved away) or SIGKILL stops the
  component; putting the manifest back starts it again.
"""

from __future__ import annotations

import re
from typing import Any, Generator

import yaml

from ..container.net import HttpResponse
from ..kubeversion import GIT_VERSION
from ..container.process import SIGINT, SIGTERM, Sleep

# cmd/kubeadm/app/constants/constants.go
LABEL_NODE_ROLE_CONTROL_PLANE = "node-role.kubernetes.io/control-plane"
LABEL_EXCLUDE_FROM_EXTERNAL_LB = "node.kubernetes.io/exclude-from-external-load-balancers"
CONTROL_PLANE_TAINT = {"key": LABEL_NODE_ROLE_CONTROL_PLANE, "effect": "NoSchedule"}
CONTROL_PLANE_NODE = "control-plane"
KUBERNETES_VERSION = GIT_VERSION        # the images' tag: the simulated release (k8score/kubeversion.py)
ETCD_VERSION = "3.6.6-0"                # constants.go SupportedEtcdVersion[35] (the pin last verified)
IMAGE_REPOSITORY = "registry.k8s.io"    # constants.go DefaultImageRepository
KUBE_APISERVER_PORT = 6443              # KubeAPIServerPort
KUBE_CONTROLLER_MANAGER_PORT = 10257    # KubeControllerManagerPort
KUBE_SCHEDULER_PORT = 10259             # KubeSchedulerPort
ETCD_METRICS_PORT = 2381                # EtcdMetricsPort
ETCD_LISTEN_CLIENT_PORT = 2379
SERVICE_SUBNET = "10.96.0.0/12"         # apis/kubeadm/v1beta4 DefaultServicesSubnet
POD_SUBNET = "10.244.0.0/16"
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")


def image_for(component: str) -> str:
    """images.go GetKubernetesImage / GetEtcdImage."""
    if component == "etcd":
        return f"{IMAGE_REPOSITORY}/etcd:{ETCD_VERSION}"
    return f"{IMAGE_REPOSITORY}/{component}:{KUBERNETES_VERSION}"


def _probe(host: str, path: str, port: int, scheme: str, *, failure: int, period: int,
           delay: int | None = None) -> dict:
    # staticpod/utils.go LivenessProbe/ReadinessProbe/StartupProbe: timeoutSeconds 15
    probe: dict[str, Any] = {"failureThreshold": failure,
                             "httpGet": {"host": host, "path": path, "port": port, "scheme": scheme},
                             "periodSeconds": period, "timeoutSeconds": 15}
    if delay is not None:
        probe["initialDelaySeconds"] = delay
    return probe


def _host_path(name: str, path: str, type_: str, mount: str | None = None, ro: bool = False) -> tuple[dict, dict]:
    vm: dict[str, Any] = {"mountPath": mount or path, "name": name}
    if ro:
        vm["readOnly"] = True
    return {"hostPath": {"path": path, "type": type_}, "name": name}, vm


def _pod(component: str, command: list[str], probes: dict, cpu: str, mounts: list[tuple[dict, dict]],
         annotations: dict | None = None, memory: str | None = None) -> dict:
    """staticpod/utils.go ComponentPod."""
    requests = {"cpu": cpu, **({"memory": memory} if memory else {})}
    container = {"command": command, "image": image_for(component), "imagePullPolicy": "IfNotPresent",
                 "name": component, "resources": {"requests": requests}, **probes,
                 **({"volumeMounts": sorted((vm for _v, vm in mounts), key=lambda v: v["name"])} if mounts else {})}
    meta: dict[str, Any] = {"creationTimestamp": None, "labels": {"component": component, "tier": "control-plane"},
                            "name": component, "namespace": "kube-system"}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [container], "hostNetwork": True,
                     "priorityClassName": "system-node-critical",
                     "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                     **({"volumes": sorted((v for v, _vm in mounts), key=lambda v: v["name"])} if mounts else {})},
            "status": {}}


def manifests(ip: str, node: str = CONTROL_PLANE_NODE,
              initial_cluster: list[tuple[str, str]] | None = None) -> dict[str, dict]:
    """``{file name: Pod}`` of the four static pods kubeadm init writes for a node at ``ip``.

    ``initial_cluster``: ``(name, peer URL)`` of the etcd members when this node *joins* a
    stacked-etcd cluster (``kubeadm join --control-plane``): its etcd gets
    ``--initial-cluster`` with all of them and ``--initial-cluster-state=existing``
    (phases/etcd/local.go getEtcdCommand)."""
    pki = "/etc/kubernetes/pki"
    joined = ",".join(f"{n}={u}" for n, u in initial_cluster) if initial_cluster else None
    certs = [_host_path("ca-certs", "/etc/ssl/certs", "DirectoryOrCreate", ro=True),
             _host_path("etc-ca-certificates", "/etc/ca-certificates", "DirectoryOrCreate", ro=True),
             _host_path("usr-local-share-ca-certificates", "/usr/local/share/ca-certificates",
                        "DirectoryOrCreate", ro=True),
             _host_path("usr-share-ca-certificates", "/usr/share/ca-certificates", "DirectoryOrCreate", ro=True)]
    etcd = _pod("etcd", [
        "etcd", f"--advertise-client-urls=https://{ip}:2379", f"--cert-file={pki}/etcd/server.crt",
        "--client-cert-auth=true", "--data-dir=/var/lib/etcd", "--feature-gates=InitialCorruptCheck=true",
        f"--initial-advertise-peer-urls=https://{ip}:2380",
        *([f"--initial-cluster={joined}", "--initial-cluster-state=existing"] if joined
          else [f"--initial-cluster={node}=https://{ip}:2380"]),
        f"--key-file={pki}/etcd/server.key", f"--listen-client-urls=https://127.0.0.1:2379,https://{ip}:2379",
        f"--listen-metrics-urls=http://127.0.0.1:{ETCD_METRICS_PORT}", f"--listen-peer-urls=https://{ip}:2380",
        f"--name={node}", f"--peer-cert-file={pki}/etcd/peer.crt", "--peer-client-cert-auth=true",
        f"--peer-key-file={pki}/etcd/peer.key", f"--peer-trusted-ca-file={pki}/etcd/ca.crt",
        "--snapshot-count=10000", f"--trusted-ca-file={pki}/etcd/ca.crt", "--watch-progress-notify-interval=5s"],
        {"livenessProbe": _probe("127.0.0.1", "/livez", ETCD_METRICS_PORT, "HTTP", failure=8, period=10, delay=10),
         "readinessProbe": _probe("127.0.0.1", "/readyz", ETCD_METRICS_PORT, "HTTP", failure=3, period=1),
         "startupProbe": _probe("127.0.0.1", "/readyz", ETCD_METRICS_PORT, "HTTP", failure=24, period=10, delay=10)},
        "100m", [_host_path("etcd-certs", f"{pki}/etcd", "DirectoryOrCreate"),
                 _host_path("etcd-data", "/var/lib/etcd", "DirectoryOrCreate")],
        {"kubeadm.kubernetes.io/etcd.advertise-client-urls": f"https://{ip}:2379"}, memory="100Mi")
    apiserver = _pod("kube-apiserver", [
        "kube-apiserver", f"--advertise-address={ip}", "--allow-privileged=true",
        "--authorization-mode=Node,RBAC", f"--client-ca-file={pki}/ca.crt",
        "--enable-admission-plugins=NodeRestriction", "--enable-bootstrap-token-auth=true",
        f"--etcd-cafile={pki}/etcd/ca.crt", f"--etcd-certfile={pki}/apiserver-etcd-client.crt",
        f"--etcd-keyfile={pki}/apiserver-etcd-client.key", "--etcd-servers=https://127.0.0.1:2379",
        f"--kubelet-client-certificate={pki}/apiserver-kubelet-client.crt",
        f"--kubelet-client-key={pki}/apiserver-kubelet-client.key",
        "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
        f"--secure-port={KUBE_APISERVER_PORT}", "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-account-key-file={pki}/sa.pub", f"--service-account-signing-key-file={pki}/sa.key",
        f"--service-cluster-ip-range={SERVICE_SUBNET}", f"--tls-cert-file={pki}/apiserver.crt",
        f"--tls-private-key-file={pki}/apiserver.key"],
        {"livenessProbe": _probe(ip, "/livez", KUBE_APISERVER_PORT, "HTTPS", failure=8, period=10, delay=10),
         "readinessProbe": _probe(ip, "/readyz", KUBE_APISERVER_PORT, "HTTPS", failure=3, period=1),
         "startupProbe": _probe(ip, "/livez", KUBE_APISERVER_PORT, "HTTPS", failure=24, period=10, delay=10)},
        "250m", certs + [_host_path("k8s-certs", pki, "DirectoryOrCreate", ro=True)],
        {"kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": f"{ip}:{KUBE_APISERVER_PORT}"})
    kcm = _pod("kube-controller-manager", [
        "kube-controller-manager", "--allocate-node-cidrs=true",
        "--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf",
        "--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf", "--bind-address=127.0.0.1",
        f"--client-ca-file={pki}/ca.crt", f"--cluster-cidr={POD_SUBNET}", "--cluster-name=kubernetes",
        f"--cluster-signing-cert-file={pki}/ca.crt", f"--cluster-signing-key-file={pki}/ca.key",
        "--controllers=*,bootstrapsigner,tokencleaner", "--kubeconfig=/etc/kubernetes/controller-manager.conf",
        "--leader-elect=true", f"--requestheader-client-ca-file={pki}/front-proxy-ca.crt",
        f"--root-ca-file={pki}/ca.crt", f"--service-account-private-key-file={pki}/sa.key",
        f"--service-cluster-ip-range={SERVICE_SUBNET}", "--use-service-account-credentials=true"],
        {"livenessProbe": _probe("127.0.0.1", "/healthz", KUBE_CONTROLLER_MANAGER_PORT, "HTTPS", failure=8,
                                 period=10, delay=10),
         "startupProbe": _probe("127.0.0.1", "/healthz", KUBE_CONTROLLER_MANAGER_PORT, "HTTPS", failure=24,
                                period=10, delay=10)},
        "200m", certs + [_host_path("k8s-certs", pki, "DirectoryOrCreate", ro=True),
                         _host_path("flexvolume-dir", "/usr/libexec/kubernetes/kubelet-plugins/volume/exec",
                                    "DirectoryOrCreate"),
                         _host_path("kubeconfig", "/etc/kubernetes/controller-manager.conf", "FileOrCreate",
                                    ro=True)])
    scheduler = _pod("kube-scheduler", [
        "kube-scheduler", "--authentication-kubeconfig=/etc/kubernetes/scheduler.conf",
        "--authorization-kubeconfig=/etc/kubernetes/scheduler.conf", "--bind-address=127.0.0.1",
        "--kubeconfig=/etc/kubernetes/scheduler.conf", "--leader-elect=true"],
        {"livenessProbe": _probe("127.0.0.1", "/livez", KUBE_SCHEDULER_PORT, "HTTPS", failure=8, period=10, delay=10),
         "readinessProbe": _probe("127.0.0.1", "/readyz", KUBE_SCHEDULER_PORT, "HTTPS", failure=3, period=1),
         "startupProbe": _probe("127.0.0.1", "/livez", KUBE_SCHEDULER_PORT, "HTTPS", failure=24, period=10,
                                delay=10)},
        "100m", [_host_path("kubeconfig", "/etc/kubernetes/scheduler.conf", "FileOrCreate", ro=True)])
    return {"etcd.yaml": etcd, "kube-apiserver.yaml": apiserver,
            "kube-controller-manager.yaml": kcm, "kube-scheduler.yaml": scheduler}


def dump(pod: dict) -> str:
    """sigs.k8s.io/yaml output: keys sorted, block style, lists not indented under their key."""
    return yaml.safe_dump(pod, sort_keys=True, default_flow_style=False)


#: Component -> the port its process answers probes on (the host network).
HEALTH_PORTS = {"etcd": ETCD_METRICS_PORT, "kube-apiserver": KUBE_APISERVER_PORT,
                "kube-controller-manager": KUBE_CONTROLLER_MANAGER_PORT, "kube-scheduler": KUBE_SCHEDULER_PORT}


class ComponentProcess:
    """The process that *is* a component: a static pod's container, a kube-proxy pod's (see the
    module doc). ``held`` is set by ``Cluster.stop(instance)``: the process cannot stay up.
    Subclasses say what the process does once its component runs (:meth:`_serve`) and undo it
    when the process ends (:meth:`_close`)."""

    def __init__(self, component: Any, instance: str):
        self.component = component
        self.instance = instance     # the name Cluster.stop/start and the exit messages use
        self.held = False

    def program(self, proc: Any) -> Generator[Any, Any, int]:
        comp = self.component
        if self.held:
            proc.stderr.write(f"k8score: {self.instance} is stopped (Cluster.stop); the process exits\n")
            return 1
        if not comp.running:
            comp.start()
        served = self._serve(proc)
        graceful = []

        def terminate(_sig: int) -> None:
            graceful.append(True)
            proc.exit(0)

        proc.on_signal[SIGTERM] = terminate
        proc.on_signal[SIGINT] = terminate
        ended_by_component = False
        try:
            while True:
                yield Sleep(1.0)
                if not comp.running:
                    ended_by_component = True
                    proc.stderr.write(f"k8score: {self.instance} was stopped (Cluster.stop); the process exits\n")
                    return 1
        finally:
            self._close(served)
            if not ended_by_component and comp.running:
                # the process is gone: so is the component (on SIGTERM one with a graceful
                # shutdown runs it -- an API server its pre-shutdown hooks; SIGKILL is a crash)
                (getattr(comp, "shutdown", comp.stop) if graceful else comp.stop)()

    def _serve(self, proc: Any) -> Any:
        """Called once the component runs; what it returns is handed to :meth:`_close`."""
        return None

    def _close(self, served: Any) -> None:
        """Called as the process ends, before its component stops."""


class ControlPlaneProcess(ComponentProcess):
    """The process a control-plane static pod's container runs for ``component`` (see module doc)."""

    def __init__(self, name: str, component: Any, instance: str | None = None):
        #: ``instance``: the one it runs (``kube-scheduler-2`` on an HA control plane; else ``name``)
        super().__init__(component, instance or name)
        self.name = name             # the component (etcd, kube-apiserver...): its port

    def _serve(self, proc: Any) -> Any:
        port = HEALTH_PORTS.get(self.name)
        net = proc.net
        if net is None or port is None:
            return None
        # the components serve HTTPS on their secure ports; etcd's metrics port is plain HTTP
        net.listen(port, self._health, tls=self.name != "etcd")
        return net, port

    def _close(self, served: Any) -> None:
        if served is not None:
            net, port = served
            try:
                net.unlisten(port)
            except Exception:  # noqa: BLE001 - the network may already be gone with the sandbox
                pass

    def _health(self, request: Any) -> Any:
        if self.component.running and request.path.split("?")[0] in ("/livez", "/readyz", "/healthz"):
            return HttpResponse(200, "ok")
        return HttpResponse(404, "404 page not found\n")


def program_for_host(host: Any, argv: list[str]) -> Any:
    """The program for ``argv`` on ``host`` if it starts a control-plane component there, else None.

    The runtime asks this before the image catalog (``argv[0]`` is ``kube-apiserver``, ``etcd``...).
    """
    entry = host.components.get(argv[0]) if argv else None
    return entry.program if entry is not None else None


def write_manifests(host: Any, initial_cluster: list[tuple[str, str]] | None = None,
                    endpoint: str | None = None, init: bool = True) -> list[str]:
    """kubeadm init's (``init``) or ``join --control-plane``'s control-plane and etcd phases on
    ``host``: returns the paths written. ``endpoint``: the ``--control-plane-endpoint`` (the
    load balancer) that admin.conf and kubelet.conf name; scheduler.conf and
    controller-manager.conf always name the node's own API server (LocalAPIEndpoint);
    super-admin.conf is written by ``init`` only (phases/kubeconfig/kubeconfig.go)."""
    paths = []
    for fname, pod in manifests(host.ip, host.name, initial_cluster).items():
        path = f"/etc/kubernetes/manifests/{fname}"
        host.fs.write(path, dump(pod))
        paths.append(path)
    for d in ("/etc/kubernetes/pki/etcd", "/var/lib/etcd"):
        host.fs.mkdir(d, parents=True)
    for fname, user in KUBECONFIGS.items():
        if fname == "super-admin.conf" and not init:
            continue
        local = fname in ("controller-manager.conf", "scheduler.conf")
        host.fs.write(f"/etc/kubernetes/{fname}",
                      kubeconfig(user.format(node=host.name), host.ip if local or not endpoint else endpoint))
    return paths


# -- the HA layout: kubeadm init on the first control-plane node, join --control-plane on the others
def control_plane_nodes(count: int) -> list[str]:
    """The control-plane nodes' names as kind gives them for HA (``<cluster>-control-plane``,
    ``-control-plane2``, ``-control-plane3``), without the cluster prefix."""
    return [CONTROL_PLANE_NODE] + [f"{CONTROL_PLANE_NODE}{i}" for i in range(2, count + 1)]


def node_ip(i: int) -> str:
    """Control-plane node ``i``'s address: its etcd member's peer URL host and its API
    server's ``--advertise-address`` (k8score.etcd.cluster.peer_url, k8score.ha)."""
    return f"192.168.0.{9 + i}"


def worker_ip(name: str, control_planes: int) -> str:
    """A worker's address: the kubelet's default, moved up past the extra control-plane
    nodes (with three, ``node-1`` is 192.168.0.13: .10-.12 are the control planes)."""
    from ..kubelet.kubelet import _default_ip
    m = re.fullmatch(r"(.*?)(\d+)", name)
    if control_planes <= 1 or m is None:
        return _default_ip(name)
    return _default_ip(f"{m.group(1)}{int(m.group(2)) + control_planes - 1}")


def instance_names(i: int, count: int) -> dict[str, str]:
    """Component -> the instance control-plane node ``i`` runs (``kube-scheduler-2``; the plain
    names with one control plane)."""
    return {comp: comp if count == 1 else f"{comp}-{i}" for comp in COMPONENTS}


def initial_cluster(i: int, names: list[str]) -> list[tuple[str, str]] | None:
    """The ``--initial-cluster`` members node ``i`` joins with (None for ``kubeadm init``):
    the members so far and itself, in the order ``MemberAdd`` lists them — etcd's member list
    is sorted by member ID (server/etcdserver/api/membership/cluster.go Members)."""
    if i == 1:
        return None
    from ..etcd.cluster import member_id
    members = [(names[j - 1], f"https://{node_ip(j)}:2380") for j in range(1, i + 1)]
    return sorted(members, key=lambda m: member_id([m[1]]))


def install(host: Any, instances: dict[str, tuple[str, Any]], i: int, names: list[str]) -> None:
    """Lay out control-plane node ``i`` of ``names`` on ``host``: the processes its static pods'
    containers run (``instances``: component -> (instance name, component object)) and the
    files kubeadm writes there."""
    for comp, (instance, obj) in instances.items():
        proc = ControlPlaneProcess(comp, obj, instance)
        host.components[comp] = proc          # what the container's argv[0] runs
        host.components[instance] = proc      # what Cluster.stop/start(instance) hold
    endpoint = None
    if len(names) > 1:
        from ..ha import CONTROL_PLANE_ENDPOINT
        endpoint = CONTROL_PLANE_ENDPOINT
    write_manifests(host, initial_cluster(i, names), endpoint, init=i == 1)


def machine_components(host: Any) -> list[str]:
    """The control-plane instances running on ``host`` (its static pods' processes), in
    manifest order."""
    procs = [p for p in host.components.values() if isinstance(p, ControlPlaneProcess)]
    return sorted({p.instance for p in procs}, key=lambda n: next(
        (k for k, c in enumerate(COMPONENTS) if n == c or n.startswith(c + "-")), len(COMPONENTS)))


#: phases/kubeconfig/kubeconfig.go: the files ``kubeadm init`` writes and the user each names
KUBECONFIGS = {"admin.conf": "kubernetes-admin", "super-admin.conf": "kubernetes-super-admin",
               "kubelet.conf": "system:node:{node}",
               "controller-manager.conf": "system:kube-controller-manager",
               "scheduler.conf": "system:kube-scheduler"}


def kubeconfig(user: str, ip: str) -> str:
    """A kubeconfig as kubeadm writes it (kubeconfig.go CreateWithCerts); the keys are elided."""
    return (f"apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: REDACTED\n"
            f"    server: https://{ip}:{KUBE_APISERVER_PORT}\n  name: kubernetes\ncontexts:\n- context:\n"
            f"    cluster: kubernetes\n    user: {user}\n  name: {user}@kubernetes\n"
            f"current-context: {user}@kubernetes\nkind: Config\npreferences: {{}}\nusers:\n- name: {user}\n"
            f"  user:\n    client-certificate-data: REDACTED\n    client-key-data: REDACTED\n")


__all__ = ["manifests", "dump", "write_manifests", "ComponentProcess", "ControlPlaneProcess", "program_for_host",
           "image_for",
           "LABEL_NODE_ROLE_CONTROL_PLANE", "LABEL_EXCLUDE_FROM_EXTERNAL_LB", "CONTROL_PLANE_TAINT",
           "CONTROL_PLANE_NODE", "COMPONENTS", "HEALTH_PORTS", "control_plane_nodes", "node_ip", "worker_ip",
           "instance_names", "initial_cluster", "install", "machine_components"]
