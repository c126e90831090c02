"""The scheduling queue: activeQ, backoffQ and unschedulablePods.

As ``pkg/scheduler/backend/queue/scheduling_queue.go`` (``PriorityQueue``)::

    new pod ─► activeQ ─pop─► scheduling cycle ─rejected─► unschedulablePods
                 ▲                  │                              │
                 │                  │ error, or an event           │ an event whose queueing
                 │                  │ during the cycle that        │ hint (of a rejecting plugin)
                 │                  │ a hint says may help         │ says Queue, or > 5 minutes
                 │                  ▼                              │ at a 30 s flush
                 └─backoff over─ backoffQ ◄─still backing off──────┤
                 ◄──────────────────────────────backoff over───────┘

* activeQ pops the highest ``spec.priority`` first, then the earliest timestamp
  (the PrioritySort plugin's order).
* backoff after the n-th failed attempt: ``1s * 2^(n-1)``, capped at 10 s
  (1, 2, 4, 8, 10, 10, ...).
* unschedulablePods wait for a cluster event one of the plugins that rejected
  them registered for *and* whose queueing hint says the event may help (a node label
  change does not wake a pod rejected for ``Insufficient cpu``), or for the flush the
  scheduler runs every 30 s, which moves pods parked more than 5 minutes
  (``flushUnschedulablePodsLeftover``).
* events that arrive while a pod is being scheduled are kept; if the attempt fails and
  one of them may help (by the same hints), the pod goes to backoffQ instead.
* PreEnqueue plugins (SchedulingGates) keep a pod out of activeQ: it waits, gated, in
  unschedulablePods until an update of the pod passes them.

The queue is pure: it never reads a clock. Callers pass ``now`` (virtual
seconds) and ask :meth:`next_wakeup` when to call :meth:`flush` again.
"""

from __future__ import annotations

import heapq
from typing import Callable, Iterable

from .events import ClusterEvent
from .nodeinfo import pod_key

# config/v1/defaults.go: DefaultPodInitialBackoffSeconds = 1
POD_INITIAL_BACKOFF_SECONDS = 1.0
# config/v1/defaults.go: DefaultPodMaxBackoffSeconds = 10
POD_MAX_BACKOFF_SECONDS = 10.0
# scheduling_queue.go: DefaultPodMaxInUnschedulablePodsDuration = 5 * time.Minute
POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION = 300.0

# scheduling_queue.go: Run — flushUnschedulablePodsLeftover every 30 s
UNSCHEDULABLE_FLUSH_PERIOD = 30.0

ACTIVE, BACKOFF, UNSCHEDULABLE = "activeQ", "backoffQ", "unschedulablePods"


class QueuedPodInfo:
    """A pod plus its queueing bookkeeping (``framework.QueuedPodInfo``)."""

    __slots__ = ("pod", "key", "priority", "timestamp", "initial_attempt_timestamp", "attempts",
                 "unschedulable_plugins", "where", "_seq", "gated", "_event_mark")

    def __init__(self, pod: dict, now: float):
        self.pod = pod
        self.key = pod_key(pod)
        self.priority = int((pod.get("spec") or {}).get("priority") or 0)
        self.timestamp = now                      # when added; reset on each failure
        self.initial_attempt_timestamp: float | None = None
        self.attempts = 0
        self.unschedulable_plugins: set[str] = set()
        self.where = ""
        self._seq = 0
        self.gated = ""                           # the PreEnqueue plugin holding the pod back
        self._event_mark = 0                      # in-flight events seen before this attempt

    def update(self, pod: dict) -> None:
        self.pod = pod
        self.priority = int((pod.get("spec") or {}).get("priority") or 0)

    def __repr__(self) -> str:
        return f"<QueuedPodInfo {self.key} {self.where} attempts={self.attempts}>"


def _significant(pod: dict) -> tuple:
    """What ``isPodUpdated`` compares: the pod without status and bookkeeping metadata."""
    meta = pod.get("metadata") or {}
    return pod.get("spec"), meta.get("labels"), meta.get("annotations")


def backoff_duration(attempts: int, initial: float = POD_INITIAL_BACKOFF_SECONDS,
                     maximum: float = POD_MAX_BACKOFF_SECONDS) -> float:
    """``calculateBackoffDuration``: doubles per attempt from ``initial``, capped at ``maximum``.

    >>> [backoff_duration(n) for n in range(1, 7)]
    [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    """
    duration = initial
    for _ in range(1, attempts):
        if duration > maximum - duration:
            return maximum
        duration += duration
    return duration


class SchedulingQueue:
    def __init__(self, initial_backoff: float = POD_INITIAL_BACKOFF_SECONDS,
                 max_backoff: float = POD_MAX_BACKOFF_SECONDS,
                 max_in_unschedulable: float = POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION,
                 events_for: Callable[[Iterable[str]], list[ClusterEvent]] | None = None,
                 pre_enqueue: Callable[[dict], object] | None = None):
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.max_in_unschedulable = max_in_unschedulable
        # plugin names -> the cluster events they registered (empty: any event)
        self._events_for = events_for or (lambda names: [])
        self._pods: dict[str, QueuedPodInfo] = {}     # every pod known to the queue (incl. in flight)
        self._active: list[tuple] = []                 # heap of (-priority, timestamp, seq, key)
        self._backoff: list[tuple] = []                # heap of (backoff expiry, seq, key)
        self._unschedulable: dict[str, QueuedPodInfo] = {}
        self._in_flight: dict[str, QueuedPodInfo] = {}
        self._seq = 0
        self.scheduling_cycle = 0
        # PreEnqueue plugins: pod -> None or the gating Status
        self._pre_enqueue = pre_enqueue or (lambda pod: None)
        # (event, old, new) received while pods were in flight; absolute index = base + i
        self._in_flight_events: list[tuple] = []
        self._events_base = 0

    # -- informer-driven ---------------------------------------------------------
    def add(self, pod: dict, now: float) -> None:
        """A new unscheduled pod (or one we have not seen): into activeQ."""
        key = pod_key(pod)
        if key in self._pods:
            self.update(pod, now)
            return
        info = QueuedPodInfo(pod, now)
        self._pods[key] = info
        self._move_to_active(info)

    def update(self, pod: dict, now: float) -> None:
        info = self._pods.get(pod_key(pod))
        if info is None:
            self.add(pod, now)
            return
        changed = _significant(info.pod) != _significant(pod)
        info.update(pod)
        if info.gated:
            if changed:
                self._move_to_active(info)     # PreEnqueue again: the last gate may be gone
            return
        if info.where == ACTIVE:
            self._push_active(info)       # re-push: priority may have changed (old entry goes stale)
        elif info.where == UNSCHEDULABLE and changed:
            # the pod itself changed (e.g. a toleration was added), not just its status: retry
            del self._unschedulable[info.key]
            self._requeue(info, now)

    def delete(self, pod: dict) -> None:
        key = pod_key(pod)
        info = self._pods.pop(key, None)
        if info is None:
            return
        self._unschedulable.pop(key, None)
        self._in_flight.pop(key, None)
        info.where = ""  # heap entries for it are now stale

    # -- scheduling loop -----------------------------------------------------------
    def pop(self, now: float) -> QueuedPodInfo | None:
        """Highest-priority pod from activeQ, or None. Counts an attempt and a cycle."""
        while self._active:
            _, _, seq, key = heapq.heappop(self._active)
            info = self._pods.get(key)
            if info is None or info.where != ACTIVE or info._seq != seq:
                continue  # stale heap entry
            info.where = "in-flight"
            info.attempts += 1
            info._event_mark = self._events_base + len(self._in_flight_events)
            if info.initial_attempt_timestamp is None:
                info.initial_attempt_timestamp = now
            self.scheduling_cycle += 1
            self._in_flight[key] = info
            return info
        return None

    def done(self, key: str) -> None:
        """The pod's scheduling attempt finished and it was bound (or abandoned)."""
        self._in_flight.pop(key, None)
        self._forget_in_flight_events()
        info = self._pods.get(key)
        if info is not None and info.where == "in-flight":
            del self._pods[key]

    def add_unschedulable_if_not_present(self, info: QueuedPodInfo, pod_scheduling_cycle: int,
                                         now: float, plugins: set[str], error: bool = False) -> None:
        """A failed attempt: park the pod in unschedulablePods, or backoffQ if the failure
        was an error, no plugin rejected it, or an event received while it was being
        scheduled may help (``determineSchedulingHintForInFlightPod``)."""
        self._in_flight.pop(info.key, None)
        if self._pods.get(info.key) is not info:
            self._forget_in_flight_events()
            return  # deleted meanwhile
        info.timestamp = now
        info.unschedulable_plugins = set(plugins)
        seen = self._in_flight_events[max(0, info._event_mark - self._events_base):]
        if error or not plugins or any(self._pod_matches_event(info, e, o, n) for e, o, n in seen):
            self._push_backoff(info, now)
        else:
            info.where = UNSCHEDULABLE
            self._unschedulable[info.key] = info
        self._forget_in_flight_events()

    def move_all_to_active_or_backoff(self, event: ClusterEvent, now: float,
                                      pre_check: Callable[[dict], bool] | None = None,
                                      old: dict | None = None, new: dict | None = None) -> list[str]:
        """A cluster event (``old``/``new``: the changed object): wake the unschedulable pods
        for which a rejecting plugin's queueing hint says Queue (``isPodWorthRequeuing``).

        Returns the keys moved (sorted), for logs and explanations."""
        moved = []
        for key in sorted(self._unschedulable):
            info = self._unschedulable[key]
            if info.gated:
                continue   # only an update of the pod itself can pass PreEnqueue
            if pre_check is not None and not pre_check(info.pod):
                continue
            if not self._pod_matches_event(info, event, old, new):
                continue
            del self._unschedulable[key]
            self._requeue(info, now)
            moved.append(key)
        if self._in_flight:
            self._in_flight_events.append((event, old, new))
        return moved

    def activate(self, keys: Iterable[str], now: float) -> None:
        for key in keys:
            info = self._unschedulable.pop(key, None)
            if info is not None:
                self._push_active(info)

    # -- time-driven ----------------------------------------------------------------
    def flush(self, now: float) -> list[str]:
        """Both flushes below, backoff first."""
        return self.flush_backoff_completed(now) + self.flush_unschedulable_leftover(now)

    def flush_unschedulable_leftover(self, now: float) -> list[str]:
        """``flushUnschedulablePodsLeftover`` (the scheduler calls it every 30 s): pods parked
        for *more than* 5 minutes go back (activeQ, or backoffQ while backing off)."""
        stale = [k for k, i in self._unschedulable.items()
                 if not i.gated and now - i.timestamp > self.max_in_unschedulable]
        for key in sorted(stale):
            info = self._unschedulable.pop(key)
            self._requeue(info, now)
        return sorted(stale)

    def flush_backoff_completed(self, now: float) -> list[str]:
        """``flushBackoffQCompleted``: pods whose backoff is over go to activeQ (upstream
        polls every second; the scheduler here wakes exactly at :meth:`next_wakeup`)."""
        moved = []
        while self._backoff and self._backoff[0][0] <= now:
            _, seq, key = heapq.heappop(self._backoff)
            info = self._pods.get(key)
            if info is None or info.where != BACKOFF or info._seq != seq:
                continue
            self._push_active(info)
            moved.append(key)
        return moved

    def next_wakeup(self) -> float | None:
        """The earliest virtual time a backoff completes, or None."""
        times = []
        while self._backoff:
            expiry, seq, key = self._backoff[0]
            info = self._pods.get(key)
            if info is None or info.where != BACKOFF or info._seq != seq:
                heapq.heappop(self._backoff)
                continue
            times.append(expiry)
            break
        return min(times) if times else None

    # -- inspection -------------------------------------------------------------------
    def backoff_expiry(self, info: QueuedPodInfo) -> float:
        return info.timestamp + backoff_duration(info.attempts, self.initial_backoff, self.max_backoff)

    def get(self, key: str) -> QueuedPodInfo | None:
        return self._pods.get(key)

    def is_gated(self, key: str) -> bool:
        info = self._pods.get(key)
        return bool(info and info.gated)

    def pending_pods(self) -> list[tuple[str, str]]:
        """``[(key, queue name), ...]`` sorted by key (``kubectl``-like inspection)."""
        return sorted((k, i.where) for k, i in self._pods.items())

    def __len__(self) -> int:
        return sum(1 for i in self._pods.values() if i.where in (ACTIVE, BACKOFF, UNSCHEDULABLE))

    def active_len(self) -> int:
        return sum(1 for i in self._pods.values() if i.where == ACTIVE)

    # -- internals ----------------------------------------------------------------------
    def _pod_matches_event(self, info: QueuedPodInfo, event: ClusterEvent,
                           old: dict | None = None, new: dict | None = None) -> bool:
        """``isPodWorthRequeuing``: a wildcard event, no known rejector, or a rejecting
        plugin registered for the event whose hint (if any) says Queue. A hint that
        raises, or that cannot judge an event without its object, counts as Queue."""
        if event.resource == "*":
            return True
        registered = self._events_for(sorted(info.unschedulable_plugins))
        if not registered:
            return True  # unknown rejector (or an error): any event may help
        for r in registered:
            if not r.matches(event):
                continue
            if r.hint is None or (old is None and new is None):
                return True
            try:
                if r.hint(info.pod, old, new):
                    return True
            except Exception:  # noqa: BLE001 - scheduling_queue.go: an erroring hint means Queue
                return True
        return False

    def _move_to_active(self, info: QueuedPodInfo) -> None:
        """``moveToActiveQ``: PreEnqueue first; a gated pod waits in unschedulablePods."""
        s = self._pre_enqueue(info.pod)
        if s is not None:
            info.gated = getattr(s, "plugin", "") or "PreEnqueue"
            info.unschedulable_plugins = {info.gated}
            info.where = UNSCHEDULABLE
            self._unschedulable[info.key] = info
            return
        info.gated = ""
        self._unschedulable.pop(info.key, None)
        self._push_active(info)

    def _forget_in_flight_events(self) -> None:
        if not self._in_flight and self._in_flight_events:
            self._events_base += len(self._in_flight_events)
            self._in_flight_events = []

    def _requeue(self, info: QueuedPodInfo, now: float) -> None:
        if self.backoff_expiry(info) > now:
            self._push_backoff(info, now)
        else:
            self._push_active(info)

    def _next_seq(self, info: QueuedPodInfo) -> int:
        self._seq += 1
        info._seq = self._seq
        return self._seq

    def _push_active(self, info: QueuedPodInfo) -> None:
        info.where = ACTIVE
        seq = self._next_seq(info)
        heapq.heappush(self._active, (-info.priority, info.timestamp, seq, info.key))

    def _push_backoff(self, info: QueuedPodInfo, now: float) -> None:
        info.where = BACKOFF
        seq = self._next_seq(info)
        heapq.heappush(self._backoff, (self.backoff_expiry(info), seq, info.key))
