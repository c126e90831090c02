"""One API-server watch: an etcd watch, filtered and translated into Kubernetes watch events.

Design: each API-server watch opens its own etcd watch on the resource's key prefix
(as the apiserver does with ``--watch-cache=false``; storage/etcd3/watcher.go), rather
than sharing a watch cache. With a single in-process etcd that is cheap, it keeps the
path a reader follows short (etcd event -> filter -> channel -> client), and
resourceVersions map one-to-one onto etcd revisions, so "watch from 5 after compacting
at 12" fails exactly where etcd would.

Translation (watcher.go ``transform``): a put that creates a key is ADDED, a later put
MODIFIED, a delete DELETED (carrying the last state, with resourceVersion = the revision
of the delete). With a selector, an object that starts matching is ADDED and one that
stops matching is DELETED, so the client's cache stays exactly the matching set.

Events reach the callback through a :class:`k8score.sim.Channel` (FIFO, ``latency``
virtual seconds later, 1 ms by default), so components see changes slightly after they
happen — as they do over a real HTTP watch stream. Each event carries its own freshly
decoded object (watchers never share dicts), and the decoding happens on arrival, on
the watcher's side of the stream, so a write does not get slower per open watch.

Events are ``{"type": "ADDED"|"MODIFIED"|"DELETED", "object": <object>}``, plus
``BOOKMARK`` (see APIServer.watch ``send_initial_events``) and ``ERROR`` (a Status).
The 410 Status has reason ``Expired`` (as apimachinery's NewResourceExpired), code 410.

How a watch ends:
- the client calls :meth:`Watch.stop`: nothing more is delivered (in-flight events dropped);
- the resourceVersion was compacted: one ``ERROR`` event with a 410 Status, then nothing;
- the API server stops: events already sent still arrive, then one ``ERROR`` event with a
  503 Status; then the ``on_close`` callbacks run.
"""

from __future__ import annotations

from typing import Any, Callable

from ..sim import Channel
from ..api.errors import ApiError
from .storage import try_decode


class Watch:
    """Handle of an open watch: ``stop()``, ``on_close(fn)``, ``closed``, ``events_sent``."""

    def __init__(self, api: Any, info: Any, prefix: str, callback: Callable[[dict], Any],
                 label_selector: Any, field_selector: Any, latency: float):
        self._api = api
        self._api_info = info
        self.resource = info.plural
        self.prefix = prefix
        self._callback = callback
        self._labels = None if label_selector.empty() else label_selector
        self._fields = None if field_selector.empty() else field_selector
        self._channel = Channel(api.loop, self._deliver, latency=latency, owner=api.name)
        self._etcd_watch: Any = None
        self._closers: list[Callable[[], Any]] = []
        self.id = 0                # set by the API server (its watch counter)
        self.closed = False
        self.events_sent = 0       # etcd events queued to the client
        self.events_delivered = 0  # ... that passed the selectors and reached the callback
        self.start_rv = 0  # the resourceVersion the client asked to watch from

    # -- public -------------------------------------------------------------
    def stop(self) -> None:
        """Client side: end the watch now; nothing more is delivered."""
        if self._etcd_watch is not None:
            self._etcd_watch.cancel()
            self._etcd_watch = None
        self.closed = True
        self._channel.close()
        self._api._forget_watch(self)

    def on_close(self, fn: Callable[[], Any]) -> None:
        """Call ``fn()`` when the server ends this watch (after its last event arrives)."""
        self._closers.append(fn)

    # -- server side ----------------------------------------------------------
    def _send(self, event: dict) -> None:
        self.events_sent += 1
        self._channel.send(event)

    def _deliver(self, event: Any) -> None:
        if event is _CLOSE:
            for fn in self._closers:
                fn()
            return
        if type(event) is tuple:
            event = self._translate(event)
            if event is None:
                return
            self.events_delivered += 1
        self._callback(event)

    def _end(self, status: dict) -> None:
        """Server side: send one ERROR event, then close (on_close callbacks after it)."""
        if self.closed:
            return
        if self._etcd_watch is not None:
            self._etcd_watch.cancel()
            self._etcd_watch = None
        self.closed = True
        self._send({"type": "ERROR", "object": status})
        self._channel.send(_CLOSE)
        self._api._forget_watch(self)

    def _matches(self, obj: dict) -> bool:
        if self._labels is not None and not self._labels.matches(obj["metadata"].get("labels")):
            return False
        if self._fields is not None and not self._fields.matches(obj):
            return False
        return True

    def _initial(self, kvs: list) -> None:
        for kv in kvs:
            self._send((_INITIAL, kv, None))

    def _on_etcd(self, resp: Any) -> None:
        if self.closed:
            return
        if resp.compact_revision or resp.canceled:
            self._end(too_old(self.start_rv, resp.compact_revision).status)
            return
        for ev in resp.events:
            self._send((ev.type, ev.kv, ev.prev_kv))

    def _tombstone(self, kv: Any) -> dict:
        info = self._api_info
        return _tombstone_for(info.api_version, info.kind, kv.key, kv.mod_revision, info.namespaced)

    def _translate(self, raw: tuple) -> dict | None:
        """etcd event -> watch event, or None when the selector filters it out.

        Runs when the event arrives at the client, not when etcd emits it: decoding and
        filtering belong to the watcher's own stream (as each upstream watcher serializes
        in its own goroutine), so a write's latency does not grow with the number of watchers.
        """
        etype, kv, prev = raw
        filtered = self._labels is not None or self._fields is not None
        if etype == "DELETE":
            if prev is None:
                # etcd has no previous value when the revision before the delete was
                # compacted: still tell the client, with the identity the key carries
                return {"type": "DELETED", "object": self._tombstone(kv)}
            obj = try_decode(prev.value, kv.mod_revision)  # last state, RV of the delete
            if obj is None:
                return {"type": "DELETED", "object": self._tombstone(kv)}
            if filtered and not self._matches(obj):
                return None
            return {"type": "DELETED", "object": obj}
        obj = try_decode(kv.value, kv.mod_revision)
        if obj is None:  # not a Kubernetes object (written behind the API server): skipped
            return None
        if etype is _INITIAL:
            return {"type": "ADDED", "object": obj} if not filtered or self._matches(obj) else None
        created = kv.create_revision == kv.mod_revision
        if not filtered:
            return {"type": "ADDED" if created else "MODIFIED", "object": obj}
        now = self._matches(obj)
        if created:
            return {"type": "ADDED", "object": obj} if now else None
        if prev is None:
            # previous state compacted away: the client may or may not hold it
            return {"type": "MODIFIED" if now else "DELETED", "object": obj}
        old = try_decode(prev.value, kv.mod_revision)
        if old is None:
            return {"type": "MODIFIED" if now else "DELETED", "object": obj}
        before = self._matches(old)
        if now and before:
            return {"type": "MODIFIED", "object": obj}
        if now:
            return {"type": "ADDED", "object": obj}
        if before:
            # it stopped matching: the client must drop it (its last matching state, new RV)
            return {"type": "DELETED", "object": old}
        return None


def _tombstone_for(api_version: str, kind: str, key: str, rev: int, namespaced: bool) -> dict:
    parts = key.split("/")  # /registry/<root>/[<namespace>/]<name>
    meta: dict = {"name": parts[-1], "resourceVersion": str(rev)}
    if namespaced:
        meta["namespace"] = parts[-2]
    return {"apiVersion": api_version, "kind": kind, "metadata": meta}


def too_old(rv: int, compacted: int) -> ApiError:
    """410 for a watch from a compacted resourceVersion (storage/cacher/watch_cache.go wording)."""
    return ApiError.expired(f"too old resource version: {rv} ({compacted})")


_INITIAL = "INITIAL"  # a synthetic ADDED for the state at the start of the watch


class _Close:
    def __repr__(self) -> str:
        return "<close>"


_CLOSE = _Close()


