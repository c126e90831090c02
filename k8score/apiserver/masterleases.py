"""The ``kubernetes`` Service's endpoints with several API servers: master leases in etcd.

Upstream (``--endpoint-reconciler-type=lease``, the default) every kube-apiserver runs the
kubernetes-service controller (pkg/controlplane/controller/kubernetesservice/controller.go)
with the lease endpoint reconciler (pkg/controlplane/reconcilers/lease.go):

* every ``DefaultEndpointReconcilerInterval`` (10 s, ``wait.NonSlidingUntil``: the first run as
  soon as the server is ready) it rewrites its **master lease**, the key
  ``/registry/masterleases/<its IP>`` (an Endpoints object holding that IP, ``generation`` + 1 so
  the write is never a no-op) with a fresh etcd lease of ``DefaultEndpointReconcilerTTL`` (15 s);
* then it lists every master lease and, when ``default/kubernetes`` does not list exactly those
  IPs, rewrites the Endpoints (``Resetting endpoints for master service "kubernetes" to [...]``)
  and the EndpointSlice ``kubernetes`` to match (endpointsadapter.go: one endpoint per IP,
  sorted, ready);
* a server that **crashes** stops refreshing: its key expires with its etcd lease 15 s after the
  last refresh, and the next run of any live server (within 10 s) drops its IP — kube-proxy then
  stops sending ``10.96.0.1:443`` there. A server **shut down gracefully** (SIGTERM) removes its
  own key and reconciles at once (``Controller.Stop``); one that starts while its key is still
  there removes it first (``Found stale data, ...``) and adds itself back on its first run.

An empty listing never erases the endpoints (the server just refreshed its own key, so empty
means storage is wrong): ``no master IPs were listed in storage, refusing to erase all
endpoints for the kubernetes service``. The leases are written through the server's storage
layer (not the API): only the API server touches etcd. The Endpoints and EndpointSlice go
through the server's own pipeline as ``system:apiserver`` (upstream: the loopback client).

k8score runs this only with several API servers (``Cluster(control_planes=3)``, :mod:`k8score.ha`):
one server keeps the bootstrap endpoints it wrote at start, and a lease write every 10 s
would move the resourceVersions every page prints.
"""

from __future__ import annotations

from typing import Any

from ..api.errors import ApiError
from ..etcd import EtcdError
from .jsonutil import encode_json
from .request import APISERVER

# pkg/controlplane/instance.go
ENDPOINT_INTERVAL = 10.0      # DefaultEndpointReconcilerInterval
LEASE_TTL = 15                # DefaultEndpointReconcilerTTL (seconds; the etcd lease's TTL)
#: the storage prefix /registry + NewLeases(config, "/masterleases/", ttl)
BASE_KEY = "/registry/masterleases/"
# kubernetesservice/controller.go
SERVICE_NAME = "kubernetes"
SERVICE_NAMESPACE = "default"
PORT_NAME = "https"           # createEndpointPortSpec(PublicServicePort, "https")
LABEL_SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror"   # discovery.LabelSkipMirror
LABEL_SERVICE_NAME = "kubernetes.io/service-name"                # discovery.LabelServiceName
#: retry.DefaultBackoff's Steps: a write that meets another server's (409) is retried
CONFLICT_RETRIES = 4


class ReconcileError(Exception):
    """A plain error of the reconciler (upstream's ``fmt.Errorf``), logged by the controller."""


class MasterLeases:
    """lease.go ``storageLeases``: one key per API server IP, each with a TTL."""

    def __init__(self, storage: Any, ttl: int = LEASE_TTL):
        self.storage = storage
        self.ttl = ttl

    def key(self, ip: str) -> str:
        return BASE_KEY + ip

    def list_leases(self) -> list[str]:
        """ListLeases: the IPs of the live keys, in key order (a value that does not decode,
        or holds no address, is skipped as upstream's loop skips it)."""
        kvs, _rev = self.storage.list(BASE_KEY)
        ips = []
        for kv in kvs:
            try:
                ip = _loads(kv.value)["subsets"][0]["addresses"][0]["ip"]
            except (ValueError, TypeError, KeyError, IndexError):
                continue
            if isinstance(ip, str) and ip:
                ips.append(ip)
        return ips

    def update_lease(self, ip: str) -> None:
        """UpdateLease: GuaranteedUpdate of the key with the IP and ``generation`` + 1 (a
        write that changes nothing would not refresh the TTL), under a new etcd lease."""
        key = self.key(ip)
        while True:
            kv = self.storage.get(key)
            try:
                existing = _loads(kv.value) if kv is not None else {}
                generation = int((existing.get("metadata") or {}).get("generation") or 0)
            except (ValueError, TypeError, AttributeError):
                generation = 0            # an undecodable value is overwritten
            body = {"kind": "Endpoints", "apiVersion": "v1",
                    "metadata": {"generation": generation + 1, "creationTimestamp": None},
                    "subsets": [{"addresses": [{"ip": ip}]}]}
            # storage/etcd3/lease_manager.go: reuse = int(5 % of 15 s) = 0, so each write
            # gets its own lease of exactly the TTL
            lease = self.storage.store.lease_grant(self.ttl).id
            value = encode_json(body)
            done = (self.storage.update(key, value, kv.mod_revision, lease) if kv is not None
                    else self.storage.create(key, value, lease))
            if done is not None:
                return

    def remove_lease(self, ip: str) -> bool:
        """RemoveLease: delete the key; False when there was none (storage NotFound)."""
        key = self.key(ip)
        while True:
            kv = self.storage.get(key)
            if kv is None:
                return False
            if self.storage.delete(key, kv.mod_revision) is not None:
                return True


class LeaseEndpointReconciler:
    """lease.go ``leaseEndpointReconciler`` for the API server ``api``."""

    def __init__(self, api: Any, leases: MasterLeases, say: Any):
        self.api = api
        self.leases = leases
        self._say = say
        self.stopped = False        # stopReconcilingCalled
        #: virtual time of the last lease refresh (the key expires LEASE_TTL later)
        self.renewed: float | None = None

    def reconcile_endpoints(self, ip: str, reconcile_ports: bool = False) -> None:
        if self.stopped:
            return
        # refresh our key whatever happens below, so some server adds our endpoint
        self.leases.update_lease(ip)
        self.renewed = self.api.loop.now
        self._do_reconcile(reconcile_ports)

    def remove_endpoints(self, ip: str) -> bool:
        """Remove our key and reconcile; False (nothing done) when there was no key."""
        if not self.leases.remove_lease(ip):
            return False
        self._do_reconcile(True)
        return True

    def _do_reconcile(self, reconcile_ports: bool) -> None:
        for attempt in range(CONFLICT_RETRIES):
            try:
                self._reconcile_once(reconcile_ports)
                return
            except ApiError as e:
                if e.code != 409 or attempt == CONFLICT_RETRIES - 1:
                    raise

    def _reconcile_once(self, reconcile_ports: bool) -> None:
        try:
            e = self.api.get("endpoints", SERVICE_NAME, namespace=SERVICE_NAMESPACE, user=APISERVER)
        except ApiError as err:
            if err.code != 404:
                raise
            e = None
        ips = self.leases.list_leases()
        if not ips:
            raise ReconcileError("no master IPs were listed in storage, refusing to erase all "
                                 "endpoints for the kubernetes service")
        ports = [{"name": PORT_NAME, "port": 6443, "protocol": "TCP"}]
        body = e if e is not None else {"apiVersion": "v1", "kind": "Endpoints",
                                        "metadata": {"name": SERVICE_NAME, "namespace": SERVICE_NAMESPACE}}
        labels = body["metadata"].setdefault("labels", {}) or {}
        skip_mirror_changed = labels.get(LABEL_SKIP_MIRROR) != "true"
        labels[LABEL_SKIP_MIRROR] = "true"
        body["metadata"]["labels"] = labels
        subsets = body.get("subsets") or []
        format_ok = len(subsets) == 1
        ips_ok = format_ok and _same_set([a.get("ip") for a in subsets[0].get("addresses") or ()], ips)
        ports_ok = not reconcile_ports or (format_ok and _ports(subsets[0].get("ports")) == _ports(ports))
        if e is not None and not skip_mirror_changed and format_ok and ips_ok and ports_ok:
            self._ensure_slice(body)
            return
        if not format_ok:   # something is egregiously wrong: remake the record
            subsets = [{"addresses": [], "ports": ports}]
        if not format_ok or not ips_ok:
            subsets[0]["addresses"] = [{"ip": ip} for ip in sorted(ips)]   # RepackSubsets sorts
        if not ports_ok:
            subsets[0]["ports"] = ports
        body["subsets"] = subsets
        self._say(f'Resetting endpoints for master service "{SERVICE_NAME}" to [{" ".join(ips)}]')
        if e is None:
            try:
                body = self.api.create("endpoints", body, namespace=SERVICE_NAMESPACE, user=APISERVER)
            except ApiError as err:
                if err.code != 409:
                    raise
                return
        else:
            body = self.api.update("endpoints", body, namespace=SERVICE_NAMESPACE, user=APISERVER)
        self._ensure_slice(body)

    def _ensure_slice(self, endpoints: dict) -> None:
        """endpointsadapter.go EnsureEndpointSliceFromEndpoints: the slice ``kubernetes``
        mirrors the Endpoints (one ready endpoint per address); written only when it differs."""
        subset = (endpoints.get("subsets") or [{}])[0]
        want_eps = [{"addresses": [a["ip"]], "conditions": {"ready": True}}
                    for a in subset.get("addresses") or () if a.get("ip")]
        want_ports = [{"name": p.get("name"), "port": p.get("port"), "protocol": p.get("protocol") or "TCP"}
                      for p in subset.get("ports") or ()]
        want_labels = {LABEL_SERVICE_NAME: SERVICE_NAME}
        try:
            cur = self.api.get("endpointslices", SERVICE_NAME, namespace=SERVICE_NAMESPACE, user=APISERVER)
        except ApiError as err:
            if err.code != 404:
                raise
            self.api.create("endpointslices", {
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": SERVICE_NAME, "namespace": SERVICE_NAMESPACE, "labels": want_labels},
                "addressType": "IPv4", "endpoints": want_eps, "ports": want_ports},
                namespace=SERVICE_NAMESPACE, user=APISERVER)
            return
        have_eps = [{"addresses": ep.get("addresses"),
                     "conditions": {"ready": (ep.get("conditions") or {}).get("ready")}}
                    for ep in cur.get("endpoints") or ()]
        if (have_eps == want_eps and _ports(cur.get("ports")) == _ports(want_ports)
                and (cur["metadata"].get("labels") or {}) == want_labels):
            return
        cur["metadata"]["labels"] = want_labels
        cur.update(addressType="IPv4", endpoints=want_eps, ports=want_ports)
        self.api.update("endpointslices", cur, namespace=SERVICE_NAMESPACE, user=APISERVER)


class KubernetesServiceController:
    """kubernetesservice/controller.go for one API server (``api``, advertising ``public_ip``).

    :meth:`start` runs from the server's start: stale-key cleanup, then a reconcile at once and
    every :data:`ENDPOINT_INTERVAL` on the server's own timers (they end when it stops: a
    crash). :meth:`stop` is the graceful shutdown. :attr:`log` keeps ``(virtual time, line)``
    of klog's lines.
    """

    def __init__(self, api: Any, public_ip: str, interval: float = ENDPOINT_INTERVAL, ttl: int = LEASE_TTL):
        self.api = api
        self.public_ip = public_ip
        self.interval = interval
        self.leases = MasterLeases(api.storage, ttl)
        self.reconciler = LeaseEndpointReconciler(api, self.leases, self._say)
        self.log: list[tuple[float, str]] = []

    def start(self) -> None:
        self.reconciler = LeaseEndpointReconciler(self.api, self.leases, self._say)   # a new process
        try:
            if self.reconciler.remove_endpoints(self.public_ip):
                self._say("Found stale data, removed previous endpoints on kubernetes service, "
                          "apiserver didn't exit successfully previously")
        except (ApiError, EtcdError, ReconcileError) as e:
            self._say(f"Error removing old endpoints from kubernetes service: {_text(e)}")
        self.api.every(self.interval, self.sync, first=0.0)   # NonSlidingUntil: run now, then every 10 s

    @property
    def renewed(self) -> float | None:
        """Virtual time of this server's last lease refresh (its key expires LEASE_TTL later)."""
        return self.reconciler.renewed

    def sync(self) -> None:
        """UpdateKubernetesService(false): refresh our lease and reconcile the endpoints."""
        try:
            self.reconciler.reconcile_endpoints(self.public_ip, reconcile_ports=False)
        except (ApiError, EtcdError, ReconcileError) as e:
            self._say(f"unable to sync kubernetes service: {_text(e)}")

    def stop(self) -> None:
        """Stop: no more reconciles; remove our key so the others drop us now, not after the TTL."""
        self._say("Shutting down kubernetes service endpoint reconciler")
        self.reconciler.stopped = True
        try:
            self.reconciler.remove_endpoints(self.public_ip)
        except (ApiError, EtcdError, ReconcileError) as e:
            self._say(f"Unable to remove endpoints from kubernetes service: {_text(e)}")

    def _say(self, line: str) -> None:
        self.log.append((self.api.loop.now, line))


def _loads(value: Any) -> Any:
    import json
    return json.loads(value)


def _text(e: Exception) -> str:
    return e.message if isinstance(e, (ApiError, EtcdError)) else str(e)


def _same_set(have: list, want: list[str]) -> bool:
    """checkEndpointSubsetFormatWithLease: same length, each address expected and seen once."""
    if len(have) != len(want):
        return False
    seen: dict[str, bool] = {ip: False for ip in want}
    for ip in have:
        if seen.get(ip, True):
            return False
        seen[ip] = True
    return True


def _ports(ports: Any) -> list[tuple]:
    return [(p.get("name"), p.get("port"), p.get("protocol") or "TCP") for p in ports or () if isinstance(p, dict)]


__all__ = ["KubernetesServiceController", "LeaseEndpointReconciler", "MasterLeases", "ReconcileError",
           "ENDPOINT_INTERVAL", "LEASE_TTL", "BASE_KEY"]
