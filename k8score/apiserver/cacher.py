"""The watch cache: one etcd watch per resource, each event decoded once, lists and
watches served from memory (upstream k8s.io/apiserver/pkg/storage/cacher/cacher.go,
watch_cache.go, cache_watcher.go).

>>> from k8score.sim import Loop
>>> from k8score.etcd import Store
>>> from k8score.apiserver.storage import decode
>>> loop, store = Loop(), Store()
>>> c = Cacher(loop, store, "/registry/pods/", decode, POD_INDEXERS, kind="Pod", api_version="v1")
>>> c.start()
>>> _ = store.put("/registry/pods/default/a", '{"metadata":{"name":"a"},"spec":{"nodeName":"n1"}}')
>>> got = []
>>> w = c.watch(0, got.append, index=("spec.nodeName", "n1"))
>>> _ = loop.run(until=1)
>>> [(e["type"], e["object"]["metadata"]["name"]) for e in got]
[('ADDED', 'a')]
>>> [o["metadata"]["name"] for o in c.list(namespace="default")[0]]
['a']

Contracts:

* **Read-only objects.** The cache keeps one decoded dict per object and shares it
  between the store, the history and every watcher. Nothing may mutate them:
  ``get``/``list`` return private deep copies unless called with ``copy=False`` (then the
  caller promises not to mutate — use it for read-only lookups such as admission);
  watch callbacks always receive private copies, made per *matching* watcher on arrival.
* **Freshness.** etcd here is in-process and delivers synchronously, so the cache is
  always as fresh as etcd itself: its resourceVersion is etcd's current revision (as
  upstream's consistent list from cache, 1.31+, after a progress notification). Hence
  ``resourceVersion`` unset and ``"0"`` both read the current state, NotOlderThan a
  future revision is answered at once with 504 "Too large resource version" (upstream
  waits up to 3 s, watch_cache.go ``blockTimeout``, first), and a watch never waits.
* **Exact.** ``rv_match="Exact"`` below the cache's last change reads etcd at that
  revision (upstream delegates such lists to etcd: cacher.go ``shouldDelegateList``).
* **History.** Watches may resume from any resourceVersion still in the window
  (:class:`~.cacher_watch.History`, 100 to 102,400 events, 75 s fresh); older ones end
  with 410 ``too old resource version: RV (OLDEST-1)`` — the window, not etcd's
  compaction, decides, as upstream. A DELETED event keeps the last state with the
  resourceVersion of the delete (etcd3 watcher.go ``transform``).
* **Corrupt values.** A value that does not decode never enters the cache: the key is
  listed in ``corrupt`` (key -> error) and, if it held an object, watchers see it leave
  (DELETED), so list and watch agree.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from itertools import count
from typing import Any, Callable

from ..api.errors import ApiError
from ..etcd import EtcdError, prefix_end
from ..etcd.types import ERR_COMPACTED
from .cacher_watch import (ADDED, DELETED, MODIFIED, CacheEvent, CacheWatch, History, Watchers,
                           index_value)
from .jsonutil import copy_json
from .cacheshare import compact

INITIAL_EVENTS_END = "k8s.io/initial-events-end"  # storage.AnnotateInitialEventsEndBookmark
_SERIALS = count(1)  # Cacher serial numbers: a new cache never repeats an old one's version()


def pod_node_name(pod: dict) -> str | None:
    """pkg/registry/core/pod/strategy.go NodeNameTriggerFunc / NodeNameIndexFunc."""
    return pod["spec"].get("nodeName")


#: pkg/registry/core/pod/storage/storage.go: TriggerFunc and Indexers of pods
POD_INDEXERS: dict[str, Callable[[dict], Any]] = {"spec.nodeName": pod_node_name}


class Cacher:
    """Lists, gets and watches of one resource (all keys under ``prefix``) from memory.

    ``decode(value, mod_revision) -> dict`` turns an etcd value into an object (called
    once per etcd event); ``indexers`` name -> fn(obj) -> str|None index objects for
    ``list(index=...)`` and route watch events: a watch whose field selector pins an
    indexed field (``spec.nodeName=node-1``) is offered only the events whose object has,
    or had, that value (cacher.go ``triggerFunc``/``valueWatchers``). ``capacity`` fixes
    the history window's size (default: upstream's dynamic 100..102,400).
    """

    def __init__(self, loop: Any, store: Any, prefix: str, decode: Callable[[str, int], dict],
                 indexers: dict[str, Callable[[dict], Any]] | None = None,
                 capacity: int | None = None, *, kind: str = "", api_version: str = "",
                 owner: str | None = None):
        self.loop = loop
        self.store = store
        self.prefix = prefix
        self.kind, self.api_version = kind, api_version
        self.owner = owner
        self._decode = decode
        self._indexers = dict(indexers or {})
        self._capacity = capacity
        self._history = History(capacity, capacity) if capacity else History()
        self._objs: dict[str, dict] = {}
        self._keys: list[str] = []                    # sorted, as etcd returns them
        self._by_value: dict[str, dict[str, list[str]]] = {n: {} for n in self._indexers}
        self._value_of: dict[str, dict[str, str]] = {n: {} for n in self._indexers}
        self.corrupt: dict[str, str] = {}
        self._rv = 0          # revision of the last change applied (or of the initial list)
        self._list_rv = 0
        self._etcd_watch: Any = None
        self._started = False
        self.watchers = Watchers(loop, owner, self._bookmark, self.current_rv)
        self.events = 0           # etcd events applied
        self.list_scanned = 0     # objects examined by list()
        self._serial = next(_SERIALS)
        self._lists = 0           # initial lists (start() relists after a stop())

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> None:
        """List the prefix (one linearizable read) and watch etcd from the next revision.
        A restart after ``stop()`` relists: watches must be opened again."""
        if self._started:
            return
        r = self.store.range(self.prefix, prefix_end(self.prefix))
        self._objs, self._keys, self.corrupt = {}, [], {}
        self.watchers._live = self._objs      # copies share with earlier ones while live
        self.watchers.last_copy.clear()
        self._by_value = {n: {} for n in self._indexers}
        self._value_of = {n: {} for n in self._indexers}
        for kv in r.kvs:
            obj = self._decoded(kv)
            if obj is not None:
                compact(obj, None)
                self._objs[kv.key] = obj
                self._keys.append(kv.key)
                for name, fn in self._indexers.items():
                    self._index_add(name, kv.key, index_value(fn, obj))
        self._rv = self._list_rv = r.header.revision
        self._history.reset()
        self._lists += 1
        self._etcd_watch = self.store.watch(self.prefix, prefix_end(self.prefix),
                                            start_revision=self._rv + 1, callback=self._on_etcd)
        self._started = True

    def stop(self, status: dict | None = None) -> None:
        """Stop watching etcd; every open watch ends with one ERROR event (503 by default,
        as when the API server shuts down) and then its ``on_close`` callbacks."""
        if self._etcd_watch is not None:
            self._etcd_watch.cancel()
            self._etcd_watch = None
        self._started = False
        self.watchers.end_all(status or ApiError.service_unavailable("apiserver is shutting down").status)

    def version(self) -> tuple[int, int, int]:
        """Changes whenever the cached contents may have changed (a relist, an etcd event);
        equal versions of one Cacher mean equal contents. Memos over the cache key on it."""
        return (self._serial, self._lists, self.events)

    @property
    def open_watches(self) -> int:
        return len(self.watchers.all)

    def index_names(self) -> tuple[str, ...]:
        """The fields this cache indexes (``spec.nodeName`` for pods)."""
        return tuple(self._indexers)

    def current_rv(self) -> int:
        """The resourceVersion the cache is fresh at: etcd's revision, except while etcd is
        still delivering a write (then the last change the cache has applied)."""
        store = self.store
        if getattr(store, "_delivering", False) or getattr(store, "_jobs", None):
            return self._rv
        return store.revision

    # -- reads ------------------------------------------------------------------------
    def get(self, key: str, copy: bool = True) -> dict | None:
        """The object at ``key`` or None (a private copy unless ``copy=False``)."""
        self._check_ready()
        obj = self._objs.get(key)
        return copy_json(obj) if copy and obj is not None else obj

    def current(self, key: str) -> dict | None:
        """The cached object at ``key`` (shared: read-only) when the cache is as fresh as
        etcd (started, not behind an etcd write being delivered); None otherwise."""
        if not self._started or self.current_rv() != self.store.revision:
            return None
        return self._objs.get(key)

    def list(self, namespace: str | None = None, index: tuple[str, str] | None = None,
             rv: int = 0, rv_match: str | None = None, label_selector: Any = None,
             field_selector: Any = None, copy: bool = True,
             key: str | None = None) -> tuple[list[dict], int]:
        """``(objects in key order, resourceVersion)``.

        ``namespace`` reads the key range ``prefix + namespace + "/"``; ``index`` =
        (indexer name, value) reads that index (both may be given); ``key`` reads that one
        key only (a selector that pins ``metadata.name``). rv 0 (unset or "0")
        and NotOlderThan give the current state; ``rv_match="Exact"`` the state at ``rv``.
        Options are assumed validated (ListOptions validation is the caller's).
        """
        self._check_ready()
        current = self.current_rv()
        if rv > current:
            raise ApiError.too_large_resource_version(rv, current)
        at = current
        if rv_match == "Exact" and rv:
            if rv < self._rv:
                return self._list_from_etcd(namespace, index, rv, label_selector, field_selector)
            at = rv  # nothing under the prefix changed since rv: the cache holds that state
        keys = self._candidates(namespace, index) if key is None else \
            ([key] if key in self._objs else [])
        self.list_scanned += len(keys)
        objs = self._objs
        labels = None if label_selector is None or label_selector.empty() else label_selector
        fields = None if field_selector is None or field_selector.empty() else field_selector
        want = self._indexers[index[0]] if index is not None else None
        out = []
        for key in keys:
            obj = objs[key]
            if want is not None and index_value(want, obj) != index[1]:
                continue
            if labels is not None and not labels.matches(obj["metadata"].get("labels")):
                continue
            if fields is not None and not fields.matches(obj):
                continue
            out.append(copy_json(obj) if copy else obj)
        return out, at

    def _candidates(self, namespace: str | None, index: tuple[str, str] | None) -> list[str]:
        if index is not None:
            name, value = index
            if name not in self._by_value:
                raise ValueError(f"no indexer {name!r} (have: {sorted(self._by_value)})")
            keys = self._by_value[name].get(value, [])
            if namespace is None:
                return keys
            ns_prefix = f"{self.prefix}{namespace}/"
            return [k for k in keys if k.startswith(ns_prefix)]
        if namespace is None:
            return self._keys
        lo = f"{self.prefix}{namespace}/"
        hi = prefix_end(lo)
        keys = self._keys
        i = bisect_left(keys, lo)
        return keys[i:bisect_left(keys, hi, i)]

    def _list_from_etcd(self, namespace, index, rv, labels, fields,
                        key: str | None = None) -> tuple[list[dict], int]:
        """The objects under the prefix (or ``namespace``'s, or the one ``key``) at revision
        ``rv``, read from etcd and decoded for this request only."""
        if key is not None:
            kvs = self._range(key, None, rv)
        else:
            prefix = self.prefix if namespace is None else f"{self.prefix}{namespace}/"
            kvs = self._range(prefix, prefix_end(prefix), rv)
        self.list_scanned += len(kvs)
        out = []
        want = self._indexers[index[0]] if index is not None else None
        for kv in kvs:
            obj = self._decoded(kv)  # a private object: decoded for this request only
            if obj is None or (want is not None and index_value(want, obj) != index[1]):
                continue
            if labels is not None and not labels.empty() and \
                    not labels.matches(obj["metadata"].get("labels")):
                continue
            if fields is not None and not fields.empty() and not fields.matches(obj):
                continue
            out.append(obj)
        return out, rv

    def _range(self, key: str, end: str | None, rev: int) -> list:
        """etcd's kvs for [key, end) at ``rev`` (0: now), its errors as the API server's."""
        try:
            return self.store.range(key, end, revision=rev).kvs
        except EtcdError as e:
            if e.message == ERR_COMPACTED:  # storage/etcd3/store.go -> apiserver wording
                raise ApiError.expired("The resourceVersion for the provided list is too old.") from None
            raise ApiError.internal(str(e)) from None

    def _check_ready(self) -> None:
        if not self._started:
            # cacher/ready.go: requests wait while the cache is not ready
            raise ApiError.service_unavailable("storage is (re)initializing")

    # -- etcd -> cache ---------------------------------------------------------------
    def _decoded(self, kv: Any) -> dict | None:
        try:
            obj = self._decode(kv.value, kv.mod_revision)
            if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
                raise ValueError("not a Kubernetes object")
        except Exception as e:  # noqa: BLE001 — any bad value must stay out, never break the cache
            self.corrupt[kv.key] = f"{type(e).__name__}: {e}"
            return None
        self.corrupt.pop(kv.key, None)
        return obj

    def _on_etcd(self, resp: Any) -> None:
        for ev in resp.events:
            self._apply(ev.type == "PUT", ev.kv)

    def _apply(self, put: bool, kv: Any) -> None:
        """One etcd change: decode once, update store and indexes, record, dispatch."""
        key, rev = kv.key, kv.mod_revision
        self._rv = rev
        self.events += 1
        prev = self._objs.get(key)
        obj = self._decoded(kv) if put else None
        if obj is not None:
            compact(obj, prev)   # interned keys, subtrees shared with prev (cacheshare.py)
        if not put:
            self.corrupt.pop(key, None)
        if obj is None and prev is None:
            return  # a delete of what the cache never held (or a corrupt new key): no event
        values = {}
        for name, fn in self._indexers.items():
            old = self._value_of[name].get(key)
            new = index_value(fn, obj) if obj is not None else None
            if new != old:
                if old is not None:
                    self._index_remove(name, key, old)
                if new is not None:
                    self._index_add(name, key, new)
            values[name] = (new, old)
        if obj is None:
            del self._objs[key]
            del self._keys[bisect_left(self._keys, key)]
            etype = DELETED
        else:
            self._objs[key] = obj
            if prev is None:
                insort(self._keys, key)
            etype = MODIFIED if prev is not None else ADDED
        rest = key[len(self.prefix):]
        slash = rest.find("/")
        ns = rest[:slash] if slash >= 0 else None
        ev = CacheEvent(etype, key, ns, rest[slash + 1:], obj, prev, rev, self.loop.now, values)
        self._history.append(ev)
        if self.watchers.all:
            self.watchers.dispatch(ev)

    def _index_add(self, name: str, key: str, value: str) -> None:
        self._value_of[name][key] = value
        keys = self._by_value[name].setdefault(value, [])
        if not keys or keys[-1] < key:
            keys.append(key)
        else:
            insort(keys, key)

    def _index_remove(self, name: str, key: str, value: str) -> None:
        del self._value_of[name][key]
        keys = self._by_value[name][value]
        del keys[bisect_left(keys, key)]
        if not keys:
            del self._by_value[name][value]

    # -- watch ----------------------------------------------------------------------------
    def watch(self, start_rv: int, callback: Callable[[dict], Any], namespace: str | None = None,
              index: tuple[str, str] | None = None, label_selector: Any = None,
              field_selector: Any = None, latency: float = 0.001, send_initial_events: bool = False,
              allow_bookmarks: bool = False) -> CacheWatch:
        """Stream changes to ``callback`` through a FIFO channel (``latency`` virtual s).

        * ``start_rv`` 0: the current state first, as synthetic ADDED events;
        * ``send_initial_events``: the same, then a BOOKMARK annotated
          ``k8s.io/initial-events-end: "true"`` at the current resourceVersion (upstream
          validation requires allowWatchBookmarks with it; it is sent regardless);
          a ``start_rv`` beyond the cache ends the watch with 504;
        * otherwise: every buffered change after ``start_rv``, then live ones; a
          ``start_rv`` older than the window ends the watch with 410.
        ``allow_bookmarks``: a BOOKMARK with the current resourceVersion about every
        minute. ``index`` = (indexer name, value) restricts the watch like an equality
        field selector; a field selector that pins an indexed field does the same.
        """
        labels = None if label_selector is None or label_selector.empty() else label_selector
        fields = None if field_selector is None or field_selector.empty() else field_selector
        if namespace is None:
            namespace = exact_match(fields, "metadata.namespace")
        trigger, explicit = None, None
        if index is not None:
            if index[0] not in self._indexers:
                raise ValueError(f"no indexer {index[0]!r} (have: {sorted(self._indexers)})")
            trigger, explicit = index, (self._indexers[index[0]], index[1])
        else:
            for iname in self._indexers:
                value = exact_match(fields, iname)
                if value is not None:
                    trigger = (iname, value)
                    break
        w = self.watchers.new(callback, latency,
                              None if namespace is None else f"{self.prefix}{namespace}/",
                              explicit, labels, fields, allow_bookmarks)
        w.start_rv = start_rv
        if not self._started:
            w._end(ApiError.service_unavailable("storage is (re)initializing").status)
            return w
        current = self.current_rv()
        if send_initial_events or start_rv == 0:
            if start_rv > current:
                w._end(ApiError.too_large_resource_version(start_rv, current).status)
                return w
            for key in self._candidates(namespace, trigger):
                obj = self._objs[key]
                if w.passes(key, obj):
                    w._send((ADDED, obj))
            if send_initial_events:
                w._send(self._bookmark(current, initial_end=True))
            w.min_rv = current
        else:
            oldest = self._list_rv + 1 if not self._history.removed_since_relist \
                else self._history.oldest_rv()
            if start_rv < oldest - 1:
                w._end(too_old(start_rv, oldest - 1).status)
                return w
            for ev in self._history.since(start_rv):
                w._offer(ev)
            w.min_rv = max(start_rv, self._rv)
        self.watchers.file(w, namespace, exact_match(fields, "metadata.name"), trigger)
        return w

    def _bookmark(self, rv: int, initial_end: bool = False) -> dict:
        """A BOOKMARK event at ``rv`` (``initial_end``: the initial-events-end marker)."""
        meta: dict = {"resourceVersion": str(rv)}
        if initial_end:
            meta["annotations"] = {INITIAL_EVENTS_END: "true"}
        return {"type": "BOOKMARK", "object": {"kind": self.kind, "apiVersion": self.api_version,
                                               "metadata": meta}}


def exact_match(selector: Any, field: str) -> str | None:
    """The value a field selector requires ``field`` to equal, or None
    (fields.Selector ``RequiresExactMatch``)."""
    if selector is None:
        return None
    path = tuple(field.split("."))
    for req_path, equal, value in getattr(selector, "requirements", ()):
        if equal and tuple(req_path) == path:
            return value
    return None


def too_old(rv: int, oldest: int) -> ApiError:
    """410 for a watch older than the window (watch_cache.go ``getAllEventsSinceLocked``)."""
    return ApiError.expired(f"too old resource version: {rv} ({oldest})")
