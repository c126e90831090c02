"""``EventRecorder``: components tell the user what they did, as v1 Event objects.

Modelled on client-go ``tools/record`` (``event.go`` makeEvent + ``events_cache.go``
EventCorrelator), kept small:

- an Event is named like upstream's: ``<involvedObject.name>.<hex of UnixNano>`` of the
  moment it is first recorded (:func:`event_name`), here the virtual clock's (cluster epoch +
  ``loop.now``), so a seed reproduces the names. The server lists events by name, so the
  events of one object come out oldest first, as kubectl shows them;
- the Event lives in the involved object's namespace (``default`` for cluster-scoped
  objects such as Nodes), with ``source {component, host}`` and
  ``firstTimestamp``/``lastTimestamp`` from the virtual clock;
- a repeat of the same (object, type, reason, message, source) is aggregated like the
  correlator does: the existing Event's ``count`` goes up and ``lastTimestamp`` moves
  (which ``kubectl describe`` shows as ``(x3 over 40s)``);
- events are written synchronously, in the order they happen; if the API server is down
  the event is dropped (upstream gives up after a few retries too) and counted in
  :attr:`EventRecorder.dropped`.

>>> rec = EventRecorder(client, component="default-scheduler")          # doctest: +SKIP
>>> rec.event(pod, "Normal", "Scheduled", "Successfully assigned default/web-1 to node-1")  # doctest: +SKIP
"""

from __future__ import annotations

import weakref
from typing import Any

from ..sim.clock import EPOCH, rfc3339
from .errors import ApiError

#: client-go tools/record/events_cache.go: maxLruCacheEntries (we keep a plain dict, bounded).
_CACHE_SIZE = 4096
#: events_cache.go defaultAggregateMaxEvents, defaultAggregateIntervalInSeconds
AGGREGATE_MAX_EVENTS = 10
AGGREGATE_INTERVAL = 600.0
#: events_cache.go defaultSpamBurst, defaultSpamQPS (one event per 5 minutes)
SPAM_BURST = 25
SPAM_QPS = 1.0 / 300.0
_EPOCH_NANOS = int(EPOCH.timestamp()) * 1_000_000_000


class _Names:
    """The names one loop has handed out at its current instant, per (namespace, object name)."""

    def __init__(self) -> None:
        self.instant = -1
        self.last: dict[tuple[str, str], int] = {}


_NAMES: "weakref.WeakKeyDictionary[Any, _Names]" = weakref.WeakKeyDictionary()


_STAMP: list = [None, ""]   # (whole second, its rfc3339): a boot's events share few seconds


def _rfc3339(seconds: float) -> str:
    """clock.rfc3339, remembered for the last whole second asked (it formats whole seconds)."""
    sec = int(seconds)
    if sec != _STAMP[0]:
        _STAMP[0], _STAMP[1] = sec, rfc3339(sec)
    return _STAMP[1]


def unix_nanos(seconds: float) -> int:
    """``time.Time.UnixNano()`` of the virtual instant ``seconds`` (clock.EPOCH + seconds)."""
    return _EPOCH_NANOS + round(seconds * 1_000_000_000)


def event_name(loop: Any, namespace: str, name: str) -> str:
    """client-go tools/record/event.go makeEvent (and tools/events/event_recorder.go):
    ``fmt.Sprintf("%v.%x", ref.Name, t.UnixNano())`` with ``t`` the loop's virtual now.

    Upstream's wall clock never gives two events the same nanosecond; virtual time does (one
    sync emits several events at one instant, and a Deployment and a Service may share a name).
    So a name already handed out at this instant in this namespace is bumped by 1 ns: the
    names stay unique, increase in the order the events were recorded, and a seed reproduces
    them. Every recorder of a loop shares the bookkeeping, which only keeps the current instant.

    >>> from k8score.sim.loop import Loop
    >>> loop = Loop(epoch="2026-01-01T00:00:01Z")
    >>> event_name(loop, "default", "web"), event_name(loop, "default", "web")
    ('web.188672522994ca00', 'web.188672522994ca01')
    >>> event_name(loop, "shop", "web")
    'web.188672522994ca00'
    """
    nanos = unix_nanos(loop.now)
    names = _NAMES.get(loop)
    if names is None:
        names = _NAMES[loop] = _Names()
    if nanos != names.instant:
        # a new instant: forget the old one's names, unless bumps ran past this instant
        names.last = {k: v for k, v in names.last.items() if v >= nanos}
        names.instant = nanos
    key = (namespace, name)
    last = names.last.get(key)
    if last is not None and last >= nanos:
        nanos = last + 1
    names.last[key] = nanos
    return f"{name}.{nanos:x}"


class EventRecorder:
    """Writes Events for one component (``source {component, host}``).

    ``correlate`` (default): client-go tools/record's EventCorrelator runs first
    (events_cache.go): similar events — same source, object, type and reason, another message —
    seen 10 times within 10 minutes are *aggregated* into one Event whose message is
    ``(combined from similar events): <latest message>``, counted up from then on; and a
    source may write 25 events about one object, then one per 5 minutes (a token bucket per
    source and object): the rest are dropped (counted in :attr:`filtered`). The scheduler
    records through events.k8s.io (tools/events), which has neither: it passes False.
    """

    def __init__(self, client: Any, component: str, host: str | None = None, loop: Any = None,
                 correlate: bool = True):
        self.client = client
        self.component = component
        self.host = host
        self.correlate = correlate
        self.loop = loop if loop is not None else client.api.loop
        self._aggregates: dict[tuple, tuple[dict, float]] = {}   # aggregate key -> (messages, last)
        self._spam: dict[tuple, tuple[float, float]] = {}        # spam key -> (tokens, at)
        #: Events the spam filter dropped (client-go: "skip" in EventCorrelate).
        self.filtered = 0
        # Names no longer come from an RNG (event_name), but the draw stays: it keeps the seeded
        # sequence every later component draws from (pod-name suffixes, ...) what it was.
        self.loop.rng.getrandbits(64)
        self._seen: dict[tuple, tuple[str, str, int, str]] = {}  # key -> (namespace, name, count, first)
        #: Events that could not be written (API server unavailable).
        self.dropped = 0
        #: Every event this recorder emitted, in order: ``(time, type, reason, object, message)``.
        self.log: list[tuple[float, str, str, str, str]] = []

    def event(self, obj: dict, event_type: str, reason: str, message: str,
              field_path: str | None = None) -> dict | None:
        """Record one event about ``obj``; returns the stored Event (None when dropped)."""
        ref = _object_reference(obj, field_path)
        namespace = ref.get("namespace") or "default"
        now = self.loop.now
        stamp = _rfc3339(now)
        self.log.append((now, event_type, reason, f"{ref.get('kind', '').lower()}/{ref.get('name')}", message))
        key = (ref.get("kind"), ref.get("namespace"), ref.get("name"), ref.get("uid"), ref.get("fieldPath"),
               event_type, reason, message, self.component, self.host)
        if self.correlate:
            key, message = self._aggregate(ref, event_type, reason, message, key, now)
        seen = self._seen.get(key)
        if self.correlate:
            # eventObserve counts the occurrence before the spam filter looks (events_cache.go
            # EventCorrelate): a dropped repeat still moves the count the next write sends
            if seen is not None:
                self._seen[key] = seen[:2] + (seen[2] + 1,) + seen[3:]
            if self._spam_filtered(ref, now):
                self.filtered += 1
                return None
        if seen is not None:
            ns, name, count, first = seen
            try:
                stored = self.client.patch("events", name, {"count": count + 1, "lastTimestamp": stamp,
                                                            "message": message}, namespace=ns)
            except ApiError:
                stored = None
            if stored is not None:
                self._seen[key] = (ns, name, count + 1, first)
                return stored
            self._seen.pop(key, None)  # the old Event is gone (expired): write a fresh one
        name = event_name(self.loop, namespace, ref.get("name") or "")
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "source": {"component": self.component, **({"host": self.host} if self.host else {})},
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "type": event_type,
            "eventTime": None,
            "reportingComponent": self.component,
            "reportingInstance": self.host or "",
        }
        try:
            stored = self.client.create("events", body, namespace=namespace)
        except ApiError:
            self.dropped += 1
            return None
        if len(self._seen) >= _CACHE_SIZE:
            self._seen.pop(next(iter(self._seen)))
        self._seen[key] = (namespace, name, 1, stamp)
        return stored

    def _aggregate(self, ref: dict, event_type: str, reason: str, message: str, key: tuple,
                   now: float) -> tuple[tuple, str]:
        """events_cache.go EventAggregate: the cache key and message to record. Under 10
        distinct messages of one (source, object, type, reason) within 600 s: the event as is;
        from the 10th on, the aggregate event (keyed by the group, so it is counted up)."""
        agg = (self.component, self.host, ref.get("kind"), ref.get("namespace"), ref.get("name"),
               ref.get("uid"), ref.get("apiVersion"), event_type, reason)
        record = self._aggregates.pop(agg, None)
        if record is None or now - record[1] > AGGREGATE_INTERVAL:
            record = ({}, now)
        messages = record[0]
        messages[message] = None
        if len(self._aggregates) >= _CACHE_SIZE:
            self._aggregates.pop(next(iter(self._aggregates)))
        self._aggregates[agg] = (messages, now)
        if len(messages) < AGGREGATE_MAX_EVENTS:
            return key, message
        # "do not grow our local key set any larger than max": upstream pops an arbitrary
        # member (a Go map); here the oldest, so a seed reproduces the run
        del messages[next(iter(messages))]
        return ("aggregate",) + agg, "(combined from similar events): " + message

    def _spam_filtered(self, ref: dict, now: float) -> bool:
        """EventSourceObjectSpamFilter: a token bucket per (source, object), 25 deep, refilled
        at one token per 300 s (flowcontrol token bucket: starts full)."""
        key = (self.component, self.host, ref.get("kind"), ref.get("namespace"), ref.get("name"),
               ref.get("uid"), ref.get("apiVersion"))
        tokens, at = self._spam.pop(key, (float(SPAM_BURST), now))
        tokens = min(float(SPAM_BURST), tokens + (now - at) * SPAM_QPS)
        ok = tokens >= 1.0
        if ok:
            tokens -= 1.0
        if len(self._spam) >= _CACHE_SIZE:
            self._spam.pop(next(iter(self._spam)))
        self._spam[key] = (tokens, now)
        return not ok

    def eventf(self, obj: dict, event_type: str, reason: str, fmt: str, *args: Any) -> dict | None:
        return self.event(obj, event_type, reason, fmt % args if args else fmt)


def _object_reference(obj: dict, field_path: str | None) -> dict:
    meta = obj.get("metadata") or {}
    ref: dict[str, Any] = {"kind": obj.get("kind")}
    if meta.get("namespace"):
        ref["namespace"] = meta["namespace"]
    ref["name"] = meta.get("name")
    if meta.get("uid"):
        ref["uid"] = meta["uid"]
    if obj.get("apiVersion"):
        ref["apiVersion"] = obj["apiVersion"]
    if meta.get("resourceVersion"):
        ref["resourceVersion"] = meta["resourceVersion"]
    if field_path:
        ref["fieldPath"] = field_path
    return ref
