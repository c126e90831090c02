"""``Cluster``: a whole Kubernetes cluster on one virtual clock — the public API.

>>> from k8score import Cluster
>>> c = Cluster(nodes=2, seed=0)
>>> [n["metadata"]["name"] for n in c.get("nodes")]
['node-1', 'node-2']

Wiring (as in a kubeadm cluster): one etcd member, kube-apiserver (the only
component holding the store), kube-scheduler, kube-controller-manager, and per
worker node a kubelet (with a containerd-like CRI runtime) and a kube-proxy
(iptables mode). Every component
talks to the others only through the API server's list/watch/write API.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from .api.schema.yamlload import YAMLError, load_yaml_documents
from .apiserver import APIServer, ApiError
from .client import Client
from .client.informer import SharedInformer
from .controllers import KubeControllerManager
from .etcd import Store
from .etcd.etcdctl import etcdctl as _etcdctl
from .kubectl import Kubectl
from .kubelet import Kubelet
from .livediagram import cluster_dot
from .proxy import KubeProxy
from .scheduler import Scheduler
from .sim import Component, Loop

# Bootstrap budget: nodes register, get a podCIDR and turn Ready well within this.
_BOOT_SECONDS = 5.0


class _EtcdMember(Component):
    """The etcd member as a component in the cluster's list (a single member for now)."""

    kind = "etcd"
    plane = "control-plane"

    def __init__(self, loop: Loop, store: Store):
        super().__init__("etcd", loop)
        self.store = store

    def on_start(self) -> None:
        # etcd expires leases on its own clock; check once a second (virtual).
        self.every(1.0, lambda: self.store.advance(self.loop.now))


class Cluster:
    """A simulated cluster: control plane plus ``nodes`` worker nodes ``node-1..node-N``."""

    def __init__(self, nodes: int = 3, seed: int = 0, *, node_cpu: str = "4",
                 node_memory: str = "8Gi", node_pods: int = 110):
        if nodes < 0:
            raise ValueError("nodes must be >= 0")
        self.seed = seed
        self.loop = Loop(seed)
        self.etcd = Store(seed=seed)
        self._etcd_member = _EtcdMember(self.loop, self.etcd)
        self.apiserver = APIServer(self.loop, self.etcd, seed=seed)
        self.api = Client(self.apiserver, user="kubernetes-admin")
        # The timeline is what `kubectl get events -w` would see, stamped with the virtual
        # time each Event reached the API server (a zero-latency watch).
        self._timeline: list[tuple[float, str, str]] = []
        self._event_watch = SharedInformer(Client(self.apiserver, user="kubernetes-admin", watch_latency=0.0),
                                           self.loop, "events")
        self._event_watch.add_event_handler(on_add=self._record_event,
                                            on_update=lambda old, new: self._record_event(new, old))
        self.scheduler = Scheduler(self.loop, self.apiserver)
        self.controller_manager = KubeControllerManager(self.loop, self.apiserver)
        capacity = {"cpu": str(node_cpu), "memory": str(node_memory), "pods": str(node_pods)}
        self.kubelets: dict[str, Kubelet] = {}
        self.kube_proxies: dict[str, KubeProxy] = {}
        for i in range(1, nodes + 1):
            name = f"node-{i}"
            self.kubelets[name] = Kubelet(self.loop, self.apiserver, name, capacity=dict(capacity))
            self.kube_proxies[name] = KubeProxy(self.loop, self.apiserver, name)
        self._components: dict[str, Component] = {
            "kube-apiserver": self.apiserver,
            "etcd": self._etcd_member,
            "kube-scheduler": self.scheduler,
            "kube-controller-manager": self.controller_manager,
        }
        for name, kubelet in self.kubelets.items():
            self._components[f"kubelet/{name}"] = kubelet
            self._components[f"kube-proxy/{name}"] = self.kube_proxies[name]
        self._kubectl = Kubectl(self.api, lambda: self.loop.now)
        self._event_watch.start()
        for comp in self._components.values():
            comp.start()
        # Let the nodes register and become Ready before the reader's first command.
        self.loop.run(until=_BOOT_SECONDS)
        self._boot_time = self.loop.now

    # -- time -------------------------------------------------------------
    @property
    def now(self) -> float:
        """Virtual seconds since the cluster started."""
        return self.loop.now

    def run(self, seconds: float | None = None, until: Callable[[], bool] | None = None,
            timeout: float = 3600.0) -> bool:
        """Advance virtual time by ``seconds``, or until ``until()`` is true (at most ``timeout`` s).

        Returns whether ``until`` became true (True when only ``seconds`` is given).
        """
        if seconds is None and until is None:
            raise ValueError("run() needs seconds= or until=")
        if until is None:
            self.loop.run(until=self.loop.now + seconds)
            return True
        limit = self.loop.now + (seconds if seconds is not None else timeout)
        return self.loop.run(until=limit, predicate=until)

    # -- objects ------------------------------------------------------------
    def apply(self, manifest: str | dict | list) -> list[dict]:
        """Create or update objects from YAML text (multi-document), a dict or a list of dicts."""
        docs = _documents(manifest)
        return [self._kubectl.apply_object(doc) for doc in docs]

    def get(self, resource: str, name: str | None = None, namespace: str | None = "default",
            **selectors: Any) -> Any:
        """One object (with ``name``) or a list of objects (dicts, Kubernetes JSON)."""
        info = self.api.resolve(resource)
        ns = namespace if info.namespaced else None
        if name is not None:
            return self.api.get(info.plural, name, namespace=ns)
        return self.api.list(info.plural, namespace=ns, **selectors)["items"]

    def delete(self, resource: str, name: str, namespace: str = "default", **options: Any) -> dict:
        info = self.api.resolve(resource)
        return self.api.delete(info.plural, name, namespace=namespace if info.namespaced else None, **options)

    def events(self, namespace: str | None = None) -> list[dict]:
        """All Events in the order they were recorded (oldest first)."""
        items = self.api.list("events", namespace=namespace)["items"]
        return sorted(items, key=lambda e: int(e["metadata"]["resourceVersion"]))

    def timeline(self, since: float = 0.0) -> list[tuple[float, str, str]]:
        """``(virtual seconds, component, "Reason: Kind/name: message")`` for every Event, in order.

        ``since`` drops what happened before that virtual time (e.g. node registration).
        """
        return [entry for entry in self._timeline if entry[0] >= since]

    def _record_event(self, ev: dict, old: dict | None = None) -> None:
        if old is not None and ev.get("count") == old.get("count"):
            return
        src = ev.get("source") if isinstance(ev.get("source"), dict) else {}
        comp = str(src.get("component", "")) + (f"/{src['host']}" if src.get("host") else "")
        obj = ev.get("involvedObject") if isinstance(ev.get("involvedObject"), dict) else {}
        count = ev.get("count") or 1
        text = f"{ev.get('reason')}: {obj.get('kind')}/{obj.get('name')}: {ev.get('message')}"
        self._timeline.append((self.loop.now, comp, text + (f" (x{count})" if count > 1 else "")))

    def print_timeline(self, since: float = 0.0) -> None:
        for t, comp, text in self.timeline(since):
            print(f"{t:7.3f}s  {comp:<26} {text}")

    # -- tools ----------------------------------------------------------------
    def kubectl(self, command: str, stdin: str | None = None) -> str:
        """Run a kubectl command line against the cluster; returns what kubectl prints."""
        return self._kubectl.run(command, stdin=stdin)

    def etcdctl(self, command: str) -> str:
        """Run an etcdctl v3 command line against the cluster's etcd; returns what it prints."""
        return _etcdctl(self.etcd, command)

    def components(self) -> list[str]:
        return list(self._components)

    def component(self, name: str) -> Component:
        try:
            return self._components[name]
        except KeyError:
            raise KeyError(f"no component {name!r}; components are: {', '.join(self._components)}") from None

    def stop(self, name: str) -> None:
        """Stop a component (its timers and watches end) — e.g. to see what breaks without it."""
        self.component(name).stop()

    def start(self, name: str) -> None:
        self.component(name).start()

    def traces(self, last: int = 1) -> list:
        """The API server's traces of its ``last`` requests, oldest first: each prints as
        authentication -> authorization -> admission -> validation -> storage with the
        decision and reason at each step (``print(c.traces()[-1])``)."""
        return list(self.apiserver.traces)[-last:]

    def register_webhook(self, target: str, fn: Callable[[dict], dict]) -> None:
        """Serve an admission webhook from a Python function: ``target`` is
        ``"<namespace>/<service>/<path>"`` (what a webhook configuration's
        ``clientConfig.service`` names) or the ``clientConfig.url``; ``fn`` receives an
        ``admission.k8s.io/v1`` AdmissionReview and returns one with its ``response``."""
        self.apiserver.webhooks.register(target, fn)

    def diagram(self, namespace: str | None = "default") -> str:
        """Graphviz DOT of the current state: nodes and their pods, owners, services."""
        lst = lambda r, ns=namespace: self.api.list(r, namespace=ns)["items"]  # noqa: E731
        return cluster_dot(nodes=lst("nodes", None), pods=lst("pods"), deployments=lst("deployments"),
                           replicasets=lst("replicasets"), services=lst("services"),
                           endpoints=lst("endpoints"))

    def __repr__(self) -> str:
        return f"<Cluster nodes={len(self.kubelets)} seed={self.seed} now={self.now:.3f}s>"


def _documents(manifest: str | dict | list) -> list[dict]:
    """The objects a manifest holds, as ``kubectl apply -f`` reads them.

    YAML goes through the bounded loader (sigs.k8s.io/yaml's outcomes: timestamps stay
    strings, alias bombs and NaN/Infinity refused); a ``kind: ...List`` document contributes
    its ``items``. Anything that is not an object — a scalar document, ``items`` that is not
    a list, an item that is not a mapping — is a 400 BadRequest, never a crash later.
    """
    if isinstance(manifest, dict):
        docs: Iterable[Any] = [manifest]
    elif isinstance(manifest, list):
        docs = manifest
    elif isinstance(manifest, str):
        try:
            docs = load_yaml_documents(manifest)
        except YAMLError as e:
            raise ApiError.bad_request(f"error converting YAML to JSON: {e}") from None
    else:
        raise TypeError("apply() takes YAML text, a dict or a list of dicts")
    out = []
    for doc in docs:
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise ApiError.bad_request(f"a manifest document must be a mapping, got {_json_type(doc)}")
        kind = doc.get("kind")
        if isinstance(kind, str) and kind.endswith("List") and "items" in doc:
            items = doc["items"]
            if not isinstance(items, list):
                raise ApiError.bad_request(f'error decoding {kind}: "items" must be a list, got {_json_type(items)}')
            for item in items:
                if not isinstance(item, dict):
                    raise ApiError.bad_request(f"error decoding {kind}: every item must be a mapping, "
                                               f"got {_json_type(item)}")
                out.append(item)
        else:
            out.append(doc)
    return out


def _json_type(value: Any) -> str:
    """The JSON type name of a decoded value (what a reader wrote, not Python's name)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__
