"""Watch: streams of changes to a key or a range, replayed from any uncompacted revision.

etcd's guarantees (Documentation: api_guarantees "Watch APIs"), and how they hold here:

* ordered and unique — revisions are delivered in commit order through one queue;
  a watcher with history to replay is left out of live delivery (``next_rev`` =
  infinity) until its replay job, queued behind earlier revisions, has caught up
  to the current revision, after which live delivery skips what replay already sent;
* reliable — replay reads the same per-revision change log live delivery came from;
* atomic — the events of one revision are never split: a live response carries
  one revision; a replay (catch-up) response carries up to 1000 whole revisions,
  with the current revision in its header, as etcd batches an unsynced watcher;
* resumable — ``start_revision = last seen + 1`` continues exactly where it stopped.

Callbacks run synchronously. If a callback writes to the store, the new revision
is queued and delivered (to everyone) after the current one, never nested inside it.
"""

from __future__ import annotations

from collections import deque

from .types import DELETE, PUT, Event, Header, WatchResponse, prefix_end

# server/storage/mvcc/watchable_store.go: watchBatchMaxRevs
WATCH_BATCH_MAX_REVS = 1000

_KEY, _PREFIX, _RANGE = 0, 1, 2
_NEVER = float("inf")


class Watcher:
    """A registered watch. ``cancel()`` stops it; ``id`` is etcd's watch id (0, 1, 2...)."""

    __slots__ = ("id", "key", "range_end", "kind", "end", "prev_kv", "progress_notify",
                 "noput", "nodelete", "callback", "next_rev", "canceled", "plain", "is_prefix",
                 "_start", "_hub")

    def __init__(self, hub, wid, key, range_end, prev_kv, progress_notify, filters, callback,
                 next_rev):
        self._hub = hub
        self.id = wid
        self.key = key
        self.range_end = range_end or None
        if not range_end:
            self.kind, self.end = _KEY, None
        elif range_end == "\0":
            self.kind, self.end = _RANGE, None          # every key >= key
        elif range_end == prefix_end(key):
            self.kind, self.end = _PREFIX, None
        else:
            self.kind, self.end = _RANGE, range_end
        self.prev_kv = prev_kv
        self.progress_notify = progress_notify
        self.noput = "noput" in filters
        self.nodelete = "nodelete" in filters
        self.callback = callback
        self.next_rev = next_rev
        self._start = next_rev
        self.canceled = False
        # plain: no prev_kv, no filters -> can share the event list with other watchers
        self.plain = not (prev_kv or self.noput or self.nodelete)
        self.is_prefix = self.kind == _PREFIX

    def matches(self, key: str) -> bool:
        kind = self.kind
        if kind == _PREFIX:
            return key.startswith(self.key)
        if kind == _KEY:
            return key == self.key
        return key >= self.key and (self.end is None or key < self.end)

    def cancel(self) -> None:
        """Stop receiving events (idempotent)."""
        if not self.canceled:
            self.canceled = True
            self.next_rev = _NEVER   # skipped by deliveries already under way
            self._hub._remove_watcher(self)

    def __repr__(self):
        return f"<Watcher id={self.id} key={self.key!r} range_end={self.range_end!r}>"


class WatchHub:
    """The watch half of :class:`~k8score.etcd.Store` (mixed in; reads the store's log)."""

    def __init__(self):
        self._watchers: tuple[Watcher, ...] = ()
        self._next_watch_id = 0
        self._jobs: deque = deque()
        self._delivering = False

    def watch(self, key: str, range_end: str | None = None, start_revision: int = 0,
              prev_kv: bool = False, progress_notify: bool = False, filters=(),
              callback=None) -> Watcher:
        """Watch ``key`` (or [key, range_end)); ``callback(WatchResponse)`` for each change.

        ``start_revision`` 0 means "from the next change"; an older revision replays
        history first (synchronously, before this returns unless called from inside a
        callback), in responses of up to 1000 revisions whose header is the current
        revision; after that, one response per new revision. Below the compaction
        point the watcher gets one canceled response with ``compact_revision`` set, as
        etcd sends, and nothing else.
        ``filters`` may hold "noput" and/or "nodelete".
        """
        if callback is None:
            raise TypeError("watch() needs a callback")
        start = start_revision if start_revision > 0 else self.revision + 1
        w = Watcher(self, self._next_watch_id, key, range_end, prev_kv, progress_notify,
                    tuple(filters), callback, start)
        self._next_watch_id += 1
        self._watchers = self._watchers + (w,)
        if start <= self.revision:
            # Live deliveries skip it until its replay (queued behind them) has caught up.
            w.next_rev = _NEVER
            self._run(("replay", w))
        return w

    def progress(self) -> None:
        """Send a progress notification (empty events, current revision) to every
        watcher that asked for progress_notify and has caught up."""
        self._run(("progress", None))

    def _remove_watcher(self, w: Watcher) -> None:
        self._watchers = tuple(x for x in self._watchers if x is not w)

    # -- delivery -------------------------------------------------------------
    def _notify(self, rev, changes, prevs) -> None:
        if self._delivering or self._jobs:
            # inside a callback (or after one raised): queue behind what is pending
            self._run((rev, changes, prevs))
            return
        self._delivering = True
        try:
            self._deliver(rev, changes, prevs)
            if self._jobs:
                self._drain()
        finally:
            self._delivering = False

    def _run(self, job) -> None:
        self._jobs.append(job)
        if self._delivering:
            return
        self._delivering = True
        try:
            self._drain()
        finally:
            self._delivering = False

    def _drain(self) -> None:
        jobs = self._jobs
        while jobs:
            job = jobs.popleft()
            if len(job) == 3:
                self._deliver(*job)
            else:
                self._special(job)

    def _special(self, job) -> None:
        kind, w = job
        if kind == "replay":
            self._replay(w)
        else:
            rev = self.revision
            for w in self._watchers:
                if w.progress_notify and w.next_rev != _NEVER:  # not replaying or canceled
                    w.callback(WatchResponse(Header(rev), w.id, []))

    def _deliver(self, rev, changes, prevs) -> None:
        if len(changes) == 1:
            # The hot path: one put or delete. The event list is built once and shared
            # by every plain watcher (responses are read-only by contract).
            kv = changes[0]
            key = kv.key
            hdr = bare = None
            for w in self._watchers:
                if w.next_rev > rev:
                    continue
                if w.is_prefix:
                    if not key.startswith(w.key):
                        continue
                elif not w.matches(key):
                    continue
                if w.plain:
                    if bare is None:
                        hdr = Header(rev)
                        bare = [Event(PUT if kv.version else DELETE, kv)]
                    w.callback(WatchResponse(hdr, w.id, bare))
                    continue
                if (w.noput and kv.version) or (w.nodelete and not kv.version):
                    continue
                if hdr is None:
                    hdr = Header(rev)
                w.callback(WatchResponse(hdr, w.id, [Event(PUT if kv.version else DELETE, kv,
                                                           prevs[0] if w.prev_kv else None)]))
            return
        hdr = None
        for w in self._watchers:
            if w.next_rev > rev:
                continue
            events = [Event(PUT if kv.version else DELETE, kv, prev if w.prev_kv else None)
                      for kv, prev in zip(changes, prevs) if w.matches(kv.key)]
            if not events:
                continue
            if w.noput or w.nodelete:
                events = [e for e in events if (e.type == PUT and not w.noput)
                          or (e.type == DELETE and not w.nodelete)]
            if events:
                if hdr is None:
                    hdr = Header(rev)
                w.callback(WatchResponse(hdr, w.id, events))

    def _replay(self, w: Watcher) -> None:
        if w.canceled:
            return
        w.next_rev = w._start
        if w.next_rev < self.compact_revision:
            # watchable_store.go chooseAll: the response carries only the compact
            # revision (its header revision is 0); the server marks it canceled.
            w.cancel()
            w.callback(WatchResponse(Header(0), w.id, [], canceled=True,
                                     compact_revision=self.compact_revision))
            return
        # An unsynced watcher catches up in batches (watchable_store.go syncWatchers /
        # newWatcherBatch): each response holds the events of up to 1000 revisions and
        # carries the store's current revision in its header.
        start, cur = w.next_rev, self.revision
        w.next_rev = cur + 1
        batch: list[Event] = []
        nrevs = 0
        for rev in range(start, cur + 1):
            events = self._replay_events(w, rev)
            if not events:
                continue
            if nrevs == WATCH_BATCH_MAX_REVS:
                w.callback(WatchResponse(Header(self.revision), w.id, batch))
                if w.canceled:
                    return
                batch, nrevs = [], 0
            batch.extend(events)
            nrevs += 1
        if batch:
            w.callback(WatchResponse(Header(self.revision), w.id, batch))

    def _replay_events(self, w: Watcher, rev: int) -> list[Event]:
        events = []
        for kv in self._changes(rev):
            if not w.matches(kv.key):
                continue
            if kv.version:
                if w.noput:
                    continue
            elif w.nodelete:
                continue
            prev = None
            if w.prev_kv and kv.version != 1 and rev - 1 >= self.compact_revision:
                # v3rpc/watch.go: prev_kv is read at mod_revision - 1 when sent
                prev = self._kv_at(kv.key, rev - 1)
            events.append(Event(PUT if kv.version else DELETE, kv, prev))
        return events
