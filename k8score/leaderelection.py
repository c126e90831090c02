"""Leader election on a coordination Lease (client-go ``tools/leaderelection``), and the
control-plane process that runs its work only while it leads.

Upstream (staging/src/k8s.io/client-go/tools/leaderelection/leaderelection.go) every replica of
kube-scheduler and kube-controller-manager campaigns for one Lease in ``kube-system`` (named
after the component) and only the holder runs its loops:

* **acquire**: ``tryAcquireOrRenew`` at once, then again every RetryPeriod (2 s) with jitter
  factor 1.2 (``wait.JitterUntil``: each wait is 2 s + up to 2.4 s). A missing Lease is
  created; a Lease held by another is taken only once it has expired — judged by the *local*
  time this candidate last saw the record change (``observedTime``) plus
  ``leaseDurationSeconds`` (15 s), never by the timestamps written in it (clocks differ). A
  takeover writes ``acquireTime`` = ``renewTime`` = now and ``leaseTransitions`` + 1, and the
  winner records the Event ``LeaderElection`` "<identity> became leader" on the Lease.
* **renew**: right after acquiring and then every RetryPeriod (``wait.Until``), one round of
  attempts 2 s apart; a round that finds no success within RenewDeadline (10 s) ends the
  leadership: the Event "<identity> stopped leading", and the process exits (``OnStoppedLeading``
  calls ``klog.FlushAndExit``). Here the work stops and the replica campaigns again as a fresh
  process: a new identity (``<hostname>_<uuid>``, the uuid drawn from a seeded generator).

Why one leader at a time: a leader that cannot renew gives up at most RetryPeriod +
RenewDeadline (12 s) after its last renewal, while a standby waits LeaseDuration (15 s) from
the moment it *saw* that renewal. Stopping the leader's process (``c.stop``) does not release
the Lease (kube-controller-manager and kube-scheduler do not set ReleaseOnCancel): a standby
takes over after the lease expires — 13 s to about 24 s later with the jittered retries.

With one control plane (``Cluster()``, the default) the lone scheduler and controller manager
run without leader election (as ``--leader-elect=false``): upstream's default is on, but two
Lease writes every 2 s would shift the resourceVersion and the events every existing page
prints. ``Cluster(control_planes=3)`` turns it on (:mod:`k8score.ha`).

>>> from k8score import Cluster                                   # doctest: +SKIP
>>> c = Cluster(nodes=1, control_planes=3)                        # doctest: +SKIP
>>> c.leader("kube-scheduler")                                    # doctest: +SKIP
'kube-scheduler-1'
"""

from __future__ import annotations

import random
from typing import Any

from .api.errors import ApiError
from .apiserver.tokens import uuid_from
from .client import Client, EventRecorder
from .sim import Component
from .sim.clock import micro_time

# client-go tools/leaderelection/leaderelection.go JitterFactor; the defaults are
# component-base/config/v1alpha1/defaults.go RecommendedDefaultLeaderElectionConfiguration.
JITTER_FACTOR = 1.2
LEASE_DURATION = 15.0
RENEW_DEADLINE = 10.0
RETRY_PERIOD = 2.0
#: The namespace of the component locks (--leader-elect-resource-namespace).
LOCK_NAMESPACE = "kube-system"


class LeaderElected(Component):
    """One replica of a leader-elected control-plane process (``kube-scheduler-2``).

    ``inner`` is the component doing the work (a Scheduler, a KubeControllerManager); it runs
    only while this replica holds the Lease ``lock_name``. ``user`` is who the lock client acts
    as; ``event_component`` the Events' source (``default-scheduler``,
    ``kube-controller-manager``). :attr:`leading` says whether it leads now; :attr:`log` keeps
    ``(virtual time, line)`` of its transitions (klog's lines).
    """

    plane = "control-plane"

    def __init__(self, loop: Any, api: Any, inner: Component, *, name: str, lock_name: str,
                 hostname: str, user: str, event_component: str, seed: Any = 0):
        super().__init__(name, loop)
        self.kind = inner.kind
        # what diagrams read of a component: the work's
        self.watches = getattr(inner, "watches", ())
        self.writes = getattr(inner, "writes", ())
        self.summary = getattr(inner, "summary", "")
        self.inner = inner
        self.api = api
        self.lock_name = lock_name
        self.hostname = hostname
        self._user = user
        self._event_component = event_component
        self._rng = random.Random(f"leaderelection:{name}:{seed}")
        self.identity = ""
        self.leading = False
        self.log: list[tuple[float, str]] = []
        self._client: Client | None = None
        self._recorder: EventRecorder | None = None
        self._reset()

    # -- process lifecycle ------------------------------------------------------------------
    def _reset(self) -> None:
        """A fresh process: new identity, nothing observed."""
        self.identity = f"{self.hostname}_{uuid_from(self._rng)}"
        self._observed: dict | None = None        # the record last seen (spec)
        self._observed_time = 0.0                  # when it was seen to change (local clock)
        self._lease: dict | None = None            # the Lease object last read or written
        self.leading = False

    def on_start(self) -> None:
        self._client = Client(self.api, user=self._user)
        if self._recorder is None:
            self._recorder = EventRecorder(self._client, component=self._event_component, loop=self.loop)
        self._reset()
        self._say(f"attempting to acquire leader lease {self._describe()}...")
        self._acquire()

    def on_stop(self) -> None:
        # a crash: the work stops with the process; the Lease is not released
        self.leading = False
        self.inner.stop()

    # -- the loops --------------------------------------------------------------------------
    def _acquire(self) -> None:
        if self._try_acquire_or_renew():
            self._say(f"successfully acquired lease {self._describe()}")
            self._event("became leader")
            self.leading = True
            self.inner.start()
            self._renew_round()   # wait.Until runs its function at once
            return
        # wait.JitterUntil(sliding): the next try RetryPeriod * (1 + rand * 1.2) after this one
        self.call_later(RETRY_PERIOD * (1 + self._rng.random() * JITTER_FACTOR), self._acquire)

    def _renew_round(self) -> None:
        """One ``wait.PollImmediateUntil(RetryPeriod, ...)`` under a RenewDeadline timeout."""
        self._attempt(self.loop.now + RENEW_DEADLINE)

    def _attempt(self, deadline: float) -> None:
        if self._try_acquire_or_renew():
            self.call_later(RETRY_PERIOD, self._renew_round)
            return
        if self.loop.now + RETRY_PERIOD < deadline:
            self.call_later(RETRY_PERIOD, self._attempt, deadline)
            return
        self.call_later(max(0.0, deadline - self.loop.now), self._lost)

    def _lost(self) -> None:
        self._say(f"failed to renew lease {self._describe()}: timed out waiting for the condition")
        self._event("stopped leading")
        # OnStoppedLeading: "leaderelection lost" and the process exits; its restart campaigns anew
        self._say("leaderelection lost")
        self.stop()
        self.start()

    # -- tryAcquireOrRenew --------------------------------------------------------------------
    def _valid(self, now: float) -> bool:
        duration = (self._observed or {}).get("leaseDurationSeconds") or 0
        return self._observed_time + duration > now

    def _is_leader(self) -> bool:
        return (self._observed or {}).get("holderIdentity") == self.identity

    def _try_acquire_or_renew(self) -> bool:
        now = self.loop.now
        stamp = micro_time(now)
        record = {"holderIdentity": self.identity, "leaseDurationSeconds": int(LEASE_DURATION),
                  "acquireTime": stamp, "renewTime": stamp, "leaseTransitions": 0}
        # 1. fast path: the leader updates the Lease it last wrote
        if self._is_leader() and self._valid(now) and self._lease is not None:
            old = self._observed or {}
            record.update(acquireTime=old.get("acquireTime"), leaseTransitions=old.get("leaseTransitions", 0))
            if self._update(record):
                return True
        # 2. read (or create) the record
        try:
            lease = self._client.get("leases", self.lock_name, namespace=LOCK_NAMESPACE)
        except ApiError as e:
            if e.code != 404:
                return False
            try:
                self._lease = self._client.create("leases", {
                    "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": {"name": self.lock_name, "namespace": LOCK_NAMESPACE},
                    "spec": record}, namespace=LOCK_NAMESPACE)
            except ApiError:
                return False
            self._observe(record)
            return True
        self._lease = lease
        spec = dict(lease.get("spec") or {})
        if spec != self._observed:          # bytes.Equal(observedRawRecord, ...): a change seen now
            self._observe(spec)
        # 3. held by someone else and not expired (by our clock)
        if spec.get("holderIdentity") and self._valid(now) and not self._is_leader():
            return False
        # 4. renew, or take over
        if self._is_leader():
            record.update(acquireTime=spec.get("acquireTime"), leaseTransitions=spec.get("leaseTransitions", 0))
        else:
            record["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + 1
        return self._update(record)

    def _update(self, record: dict) -> bool:
        body = {**self._lease, "spec": {**(self._lease.get("spec") or {}), **record}}
        try:
            self._lease = self._client.update("leases", body, namespace=LOCK_NAMESPACE)
        except ApiError:
            return False
        self._observe(record)
        return True

    def _observe(self, spec: dict) -> None:
        self._observed = dict(spec)
        self._observed_time = self.loop.now

    # -- output -------------------------------------------------------------------------------
    def _describe(self) -> str:
        return f"{LOCK_NAMESPACE}/{self.lock_name}"

    def _event(self, what: str) -> None:
        # resourcelock/leaselock.go RecordEvent: "<identity> <what>" on the Lease
        if self._lease is None:
            return
        meta = self._lease.get("metadata") or {}
        subject = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                   "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion") if k in meta}}
        self._recorder.event(subject, "Normal", "LeaderElection", f"{self.identity} {what}")

    def _say(self, line: str) -> None:
        self.log.append((self.loop.now, line))


def lease_holder(api: Any, lock_name: str) -> str | None:
    """The ``holderIdentity`` of the Lease ``kube-system/<lock_name>`` (None without one)."""
    try:
        lease = Client(api, user="kubernetes-admin").get("leases", lock_name, namespace=LOCK_NAMESPACE)
    except ApiError:
        return None
    return (lease.get("spec") or {}).get("holderIdentity")
