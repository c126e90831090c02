"""What a watch served by the watch cache sees: events, the history window, one watcher.

Upstream: k8s.io/apiserver/pkg/storage/cacher/ — ``watchCacheEvent`` and the cyclic
buffer in watch_cache.go, ``cacheWatcher`` in cache_watcher.go.

* :class:`CacheEvent` — one change, decoded once by the :class:`~.cacher.Cacher` and
  shared by every watcher it is offered to. Its objects are **read-only**.
* :class:`History` — the sliding window of recent events a watch can resume from,
  sized like upstream's (grows while all it holds is fresh, shrinks when it is not).
* :class:`Watchers` — the open watches, filed so that an event reaches only those it
  may concern (cacher.go ``indexedWatchers``), and their bookmark schedule.
* :class:`CacheWatch` — the handle a client holds: ``stop()``, ``on_close(fn)``,
  ``closed``. Each event it is offered is filtered at once (selector transitions
  become ADDED / DELETED, as ``convertToWatchEvent``), then travels through a
  :class:`k8score.sim.Channel` (FIFO, ``latency`` virtual seconds) and is deep-copied
  on arrival, so each callback owns — and may mutate — the object it receives. A
  callback whose ``read_only`` attribute is True promises never to mutate what it
  receives (client-go's contract for informer handlers, which share one decoded object
  per event, shared_informer.go); read-only watchers offered one live event share one
  copy of it — still never the cache's own object.
"""

from __future__ import annotations

from typing import Any, Callable

from ..sim import Channel
from .copyshare import EventCopies
from .jsonutil import copy_json

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"

# watch_cache.go: eventFreshDuration (75 s), defaultLowerBoundCapacity (100),
# defaultUpperBoundCapacity (100 * 1024)
EVENT_FRESH_DURATION = 75.0
LOWER_BOUND_CAPACITY = 100
UPPER_BOUND_CAPACITY = 100 * 1024
# cacher.go defaultBookmarkFrequency: a watcher that allows bookmarks gets one about every
# minute (upstream buckets them by the second and ticks every 1-1.25 s; here: at the second).
BOOKMARK_FREQUENCY = 60.0


class CacheEvent:
    """One change under the cacher's prefix (watch_cache.go ``watchCacheEvent``).

    ``obj`` is the new state (None for DELETED); ``prev`` the state the cache held
    before (None when the key is new). ``values`` maps each indexer name to
    ``(value now, value before)``. ``time`` is the virtual time it was recorded.
    """

    __slots__ = ("type", "key", "ns", "name", "obj", "prev", "rv", "time", "values", "_gone")

    def __init__(self, etype: str, key: str, ns: str | None, name: str, obj: dict | None,
                 prev: dict | None, rv: int, time: float, values: dict):
        self.type = etype
        self.key = key
        self.ns = ns
        self.name = name
        self.obj = obj
        self.prev = prev
        self.rv = rv
        self.time = time
        self.values = values
        self._gone: dict | None = None

    def prev_at_rv(self) -> dict:
        """The previous state carrying this event's resourceVersion: what a DELETED event
        shows (etcd3 watcher.go ``transform``; cache_watcher.go for selector exits).
        Built once per event and shared (read-only) by every watcher."""
        if self._gone is None:
            prev = self.prev
            self._gone = {**prev, "metadata": {**prev["metadata"], "resourceVersion": str(self.rv)}}
        return self._gone

    def __repr__(self) -> str:
        return f"<CacheEvent {self.type} {self.key} rv={self.rv}>"


class History:
    """The cyclic buffer of watch_cache.go: events ``[start, end)`` of an endless sequence,
    stored at ``index % capacity``.

    ``append`` first resizes as upstream's ``resizeCacheLocked``: a full buffer whose
    oldest event is younger than 75 s doubles (up to ``upper``); a full buffer whose
    newest quarter is all older than 75 s halves (down to ``lower``). Then a full buffer
    drops its oldest event. ``fixed`` capacity: pass ``lower == upper``.
    """

    def __init__(self, lower: int = LOWER_BOUND_CAPACITY, upper: int = UPPER_BOUND_CAPACITY):
        if lower < 1 or upper < lower:
            raise ValueError(f"bad capacity bounds {lower}..{upper}")
        self.lower, self.upper = lower, upper
        self.capacity = lower
        self._buf: list = [None] * lower
        self.start = 0
        self.end = 0
        self.removed_since_relist = False

    def __len__(self) -> int:
        return self.end - self.start

    def reset(self) -> None:
        """After a relist (watch_cache.go ``Replace``): empty, indices never go back."""
        self.start = self.end
        self.removed_since_relist = False

    def append(self, ev: CacheEvent) -> None:
        full = self.end - self.start == self.capacity
        if full:
            self._resize(ev.time)
            full = self.end - self.start == self.capacity
        if full:
            self.start += 1
            self.removed_since_relist = True
        self._buf[self.end % self.capacity] = ev
        self.end += 1

    def _resize(self, now: float) -> None:
        cap, buf = self.capacity, self._buf
        if now - buf[self.start % cap].time < EVENT_FRESH_DURATION:
            new = min(cap * 2, self.upper)
        elif now - buf[(self.end - cap // 4) % cap].time > EVENT_FRESH_DURATION:
            new = max(cap // 2, self.lower)
        else:
            return
        if new == cap:
            return
        if new < cap:
            self.start = self.end - new
        fresh: list = [None] * new
        for i in range(self.start, self.end):
            fresh[i % new] = buf[i % cap]
        self._buf, self.capacity = fresh, new

    def oldest_rv(self) -> int | None:
        """ResourceVersion of the oldest buffered event (None when empty)."""
        return self._buf[self.start % self.capacity].rv if self.end > self.start else None

    def since(self, rv: int) -> list[CacheEvent]:
        """Buffered events with resourceVersion > ``rv``, oldest first (binary search,
        as ``getAllEventsSinceLocked``)."""
        buf, cap = self._buf, self.capacity
        lo, hi = self.start, self.end
        while lo < hi:
            mid = (lo + hi) // 2
            if buf[mid % cap].rv > rv:
                hi = mid
            else:
                lo = mid + 1
        return [buf[i % cap] for i in range(lo, self.end)]


class CacheWatch:
    """One client's watch on a :class:`~.cacher.Cacher` (cache_watcher.go ``cacheWatcher``).

    Events are ``{"type": "ADDED"|"MODIFIED"|"DELETED", "object": <private copy>}``,
    plus ``BOOKMARK`` and ``ERROR`` (a Status). How it ends: ``stop()`` (client side:
    in-flight events dropped); or the server ends it with one ERROR event, after which
    the ``on_close`` callbacks run. ``offered`` counts the events the cacher considered
    for this watcher (its dispatch attempts), ``events_sent`` those queued to it after
    filtering, ``events_delivered`` those that reached the callback.
    """

    def __init__(self, watchers: "Watchers", wid: int, callback: Callable[[dict], Any],
                 latency: float, key_prefix: str | None, index: tuple | None, labels: Any,
                 fields: Any, allow_bookmarks: bool):
        self._watchers = watchers
        self.id = wid
        self._callback = callback
        self._read_only = getattr(callback, "read_only", False) is True
        # a read-only receiver that stores what it gets: its copy may base the next one
        self._keeps = getattr(callback, "keeps_objects", True) is True
        self._channel = Channel(watchers.loop, self._deliver, latency=latency, owner=watchers.owner)
        self._prefix = key_prefix     # namespace scope: keys under prefix + ns + "/"
        self._index = index           # (indexer fn, value) asked for explicitly, or None
        self._labels = labels
        self._fields = fields
        self._unfiltered = key_prefix is None and index is None and labels is None and fields is None
        self.allow_bookmarks = allow_bookmarks
        self._closers: list[Callable[[], Any]] = []
        self.closed = False
        self.start_rv = 0     # the resourceVersion the client asked to watch from
        self.min_rv = 0       # live events at or below it were already covered
        self.bucket: Any = None   # where Watchers.file put it
        self.offered = 0
        self.events_sent = 0
        self.events_delivered = 0

    # -- public ---------------------------------------------------------------
    def stop(self) -> None:
        """Client side: end the watch now; nothing more is delivered."""
        self.closed = True
        self._channel.close()
        self._watchers.forget(self)

    def on_close(self, fn: Callable[[], Any]) -> None:
        """Call ``fn()`` when the server ends this watch (after its last event arrives)."""
        self._closers.append(fn)

    # -- filtering --------------------------------------------------------------
    def passes(self, key: str, obj: dict) -> bool:
        """Does ``obj`` (stored at ``key``) belong to this watch? (``filterWithAttrsFunction``)"""
        if self._unfiltered:
            return True
        if self._prefix is not None and not key.startswith(self._prefix):
            return False
        if self._index is not None:
            fn, want = self._index
            if index_value(fn, obj) != want:
                return False
        if self._labels is not None:
            meta = obj.get("metadata")
            if not self._labels.matches(meta.get("labels") if isinstance(meta, dict) else None):
                return False
        return self._fields is None or self._fields.matches(obj)

    def _offer(self, ev: CacheEvent, copies: EventCopies | None = None) -> None:
        """The cacher's dispatch: translate ``ev`` for this watcher and queue it, or drop it
        (cache_watcher.go ``convertToWatchEvent``: an object that starts matching is
        ADDED, one that stops matching is DELETED with its old state at the new RV).
        ``copies``: shared by the watchers offered this one event (see :meth:`_deliver`)."""
        self.offered += 1
        if ev.rv <= self.min_rv or self.closed:
            return
        if self._unfiltered:
            now = ev.type != DELETED
            before = ev.prev is not None
        else:
            now = ev.type != DELETED and self.passes(ev.key, ev.obj)
            before = ev.prev is not None and self.passes(ev.key, ev.prev)
        if now:
            self._send((MODIFIED if before else ADDED, ev.obj, copies))
        elif before:
            self._send((DELETED, ev.prev_at_rv(), copies))

    # -- server side --------------------------------------------------------------
    def _send(self, message: Any) -> None:
        self.events_sent += 1
        self._channel.send(message)

    def _deliver(self, message: Any) -> None:
        if message is _CLOSE:
            for fn in self._closers:
                fn()
            return
        if type(message) is tuple:
            etype, obj = message[0], message[1]
            self.events_delivered += 1
            # the cache's objects are shared and read-only: each receiver gets its own copy,
            # but read-only receivers of one event share theirs. (Keyed by id: ``obj`` stays
            # alive while this message holds it; one event can offer two objects, its new
            # state and, to a watch it leaves, its old one.)
            copies = message[2] if len(message) == 3 and self._read_only else None
            mine = copy_json(obj) if copies is None else copies.get(obj, self._keeps)
            message = {"type": etype, "object": mine}
        self._callback(message)

    def _end(self, status: dict) -> None:
        """Server side: one ERROR event, then close (``on_close`` callbacks after it)."""
        if self.closed:
            return
        self.closed = True
        self._send({"type": "ERROR", "object": status})
        self._channel.send(_CLOSE)
        self._watchers.forget(self)

    def __repr__(self) -> str:
        return f"<CacheWatch id={self.id}{' closed' if self.closed else ''}>"


class Watchers:
    """The open watches of one cacher (cacher.go ``indexedWatchers`` and
    ``watcherBookmarkTimeBuckets``).

    A watch is filed either under the indexed value its selector pins
    (``valueWatchers``) or under its (namespace, name) scope (``allWatchers``), so
    :meth:`dispatch` looks only at the buckets an event can concern. ``bookmark(rv)``
    builds a BOOKMARK event; ``current_rv()`` says how fresh the cache is.
    """

    def __init__(self, loop: Any, owner: str | None, bookmark: Callable[[int], dict],
                 current_rv: Callable[[], int]):
        self.loop = loop
        self.owner = owner
        self._bookmark = bookmark
        self._current_rv = current_rv
        self.all: dict[int, CacheWatch] = {}
        self._scoped: dict[tuple, dict[int, CacheWatch]] = {}
        self._valued: dict[str, dict[str, dict[int, CacheWatch]]] = {}
        self._next_id = 0
        self._born = loop.now
        self._buckets: dict[int, list[CacheWatch]] = {}  # whole seconds since _born -> watches
        self._timer: Any = None
        self.offers = 0  # (event, watcher) pairs dispatch looked at
        # key -> (cache object, the read-only watchers' copy of it): what the next copy of
        # that key shares its unchanged subtrees with (copyshare.py); ``_live``: the cache's
        # objects by key (set by the cacher)
        self.last_copy: dict[str, tuple[dict, dict]] = {}
        self._live: dict = {}

    def new(self, callback: Callable[[dict], Any], latency: float, key_prefix: str | None,
            index: tuple | None, labels: Any, fields: Any, allow_bookmarks: bool) -> CacheWatch:
        self._next_id += 1
        return CacheWatch(self, self._next_id, callback, latency, key_prefix, index, labels,
                          fields, allow_bookmarks)

    def file(self, w: CacheWatch, namespace: str | None, name: str | None,
             trigger: tuple | None) -> None:
        """Start offering live events to ``w`` (and bookmarks, if it allows them)."""
        self.all[w.id] = w
        if trigger is not None:
            iname, value = trigger
            self._valued.setdefault(iname, {}).setdefault(value, {})[w.id] = w
            w.bucket = ("v", iname, value)
        else:
            self._scoped.setdefault((namespace, name), {})[w.id] = w
            w.bucket = ("s", (namespace, name))
        if w.allow_bookmarks:
            self._queue_bookmark(w)

    def forget(self, w: CacheWatch) -> None:
        if self.all.pop(w.id, None) is None or w.bucket is None:
            return
        if w.bucket[0] == "v":
            _, iname, value = w.bucket
            by_value = self._valued[iname]
            del by_value[value][w.id]
            if not by_value[value]:
                del by_value[value]
                if not by_value:
                    del self._valued[iname]
        else:
            scope = w.bucket[1]
            del self._scoped[scope][w.id]
            if not self._scoped[scope]:
                del self._scoped[scope]
        w.bucket = None

    def end_all(self, status: dict) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._buckets.clear()
        for w in list(self.all.values()):
            w._end(status)

    def dispatch(self, ev: CacheEvent) -> None:
        """Offer ``ev`` to the watches that may care (cacher.go ``startDispatching``):
        those scoped to its namespace/name or unscoped, and — per indexer — those pinned
        to its value now or before. Others are never looked at. Offers go out in watch
        creation order, so watches see simultaneous events in a stable order."""
        buckets = []
        scoped = self._scoped
        if scoped:
            ns, name = ev.ns, ev.name
            # dict.fromkeys: a cluster-scoped object (ns None) must not fill one bucket twice
            for scope in dict.fromkeys(((ns, name), (ns, None), (None, name), (None, None))):
                b = scoped.get(scope)
                if b:
                    buckets.append(b)
        for iname, by_value in self._valued.items():
            new, old = ev.values[iname]
            b = by_value.get(new)
            if b:
                buckets.append(b)
            if old != new:
                b = by_value.get(old)
                if b:
                    buckets.append(b)
        if ev.type == DELETED:
            self.last_copy.pop(ev.key, None)
        if not buckets:
            return
        targets = list(buckets[0].values())
        if len(buckets) > 1:
            for b in buckets[1:]:
                targets.extend(b.values())
            targets.sort(key=_watch_id)
        self.offers += len(targets)
        # the read-only watchers' one copy per object of this event (copyshare.py)
        copies = EventCopies(self.last_copy, self._live, ev.key)
        for w in targets:
            w._offer(ev, copies)

    def _queue_bookmark(self, w: CacheWatch) -> None:
        # watcherBookmarkTimeBuckets: bucket = whole seconds since the cacher began
        bucket = int(self.loop.now + BOOKMARK_FREQUENCY - self._born)
        self._buckets.setdefault(bucket, []).append(w)
        due = self._born + min(self._buckets)
        timer = self._timer
        if timer is None or due < timer.when:
            if timer is not None:
                timer.cancel()
            self._timer = self.loop.call_at(due, self._fire_bookmarks, owner=self.owner)

    def _fire_bookmarks(self) -> None:
        self._timer = None
        now_bucket = int(self.loop.now - self._born)
        due = sorted(b for b in self._buckets if b <= now_bucket)
        expired = [w for b in due for w in self._buckets.pop(b)]
        rv = self._current_rv()
        for w in expired:
            if w.closed:
                continue
            if rv > w.min_rv:  # cache_watcher.go process: only news for this watcher
                w._send(self._bookmark(rv))
            self._queue_bookmark(w)  # again in a minute (finishDispatching requeues)
        if self._buckets and self._timer is None:
            self._timer = self.loop.call_at(self._born + min(self._buckets),
                                            self._fire_bookmarks, owner=self.owner)


def _watch_id(w: CacheWatch) -> int:
    return w.id


def index_value(fn: Callable[[dict], Any], obj: dict) -> str:
    """An indexer's value for ``obj`` as a string; None and a malformed object give ""
    (as a field selector reads a missing field), so the two always agree."""
    try:
        v = fn(obj)
    except (TypeError, AttributeError, KeyError, IndexError, ValueError):
        return ""
    if v is None:
        return ""
    return v if type(v) is str else str(v)


class _Close:
    def __repr__(self) -> str:
        return "<close>"


_CLOSE = _Close()
