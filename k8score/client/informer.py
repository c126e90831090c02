"""Reflector + shared informer + factory (client-go ``tools/cache``, ``informers``).

A :class:`SharedInformer` keeps a local copy of one kind of object, up to date:

1. **list** the objects, remember the list's ``resourceVersion``, fill the cache;
2. **watch** from that version and apply each ADDED/MODIFIED/DELETED event to the cache,
   then call the event handlers (``on_add(obj)``, ``on_update(old, new)``, ``on_delete(obj)``);
3. when the watch ends (the API server went away), **re-watch** from the last version seen,
   with the reflector's backoff (800 ms doubling to 30 s, jittered) while it fails;
4. when the server answers **410 Gone** (the version was compacted away), **relist** and
   emit the difference between the cache and the fresh list: adds, updates, and deletes
   for objects that vanished meanwhile (client-go's ``DeletedFinalStateUnknown``; here the
   handler receives the last state the cache knew).

Handlers run synchronously on the loop and should only enqueue keys (sample-controller's
rule): controllers read the cache when they sync, never trust the event payload alone.

A handler or an indexer that raises on one object does not kill the informer (client-go's
``processorListener`` runs each handler under ``runtime.HandleCrash``): the error goes to
:attr:`SharedInformer.errors` and to :attr:`~SharedInformer.history`, the object stays in
the cache (without that index entry), and the next handler and the next event proceed.
An item that is not an object at all is skipped with an error.

>>> f = SharedInformerFactory(client, loop)                         # doctest: +SKIP
>>> pods = f.informer("pods", field_selector="spec.nodeName=node-1") # doctest: +SKIP
>>> pods.add_event_handler(on_add=lambda p: print(p["metadata"]["name"]))  # doctest: +SKIP
>>> f.start(); loop.run(until=1)                                    # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from .backoff import ExponentialBackoff
from .errors import ApiError
from .meta import key_func
from .worker import ErrorLog

Handler = Callable[..., Any]


class _Handlers:
    __slots__ = ("on_add", "on_update", "on_delete")

    def __init__(self, on_add: Handler | None, on_update: Handler | None, on_delete: Handler | None):
        self.on_add = on_add
        self.on_update = on_update
        self.on_delete = on_delete


class SharedInformer:
    """One list+watch of ``resource`` (optionally filtered), a cache, and handlers."""

    def __init__(self, client: Any, loop: Any, resource: str, namespace: str | None = None,
                 label_selector: str | None = None, field_selector: str | None = None,
                 resync_period: float = 0.0, latency: float | None = None, name: str | None = None):
        self.client = client
        self.loop = loop
        self.resource = resource
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.resync_period = resync_period
        self.latency = latency
        self.name = name or f"{getattr(client, 'user', 'client')}/{resource}-informer"
        self._cache: dict[str, dict] = {}
        # Indexers (client-go cache.Indexers): name -> fn(obj) -> index values; the
        # "namespace" index is built in so per-namespace lists do not scan everything.
        self._indexers: dict[str, Callable[[dict], list[str]]] = {"namespace": _namespace_index}
        self._indices: dict[str, dict[str, dict[str, None]]] = {"namespace": {}}
        self._handlers: list[_Handlers] = []
        self._transform: Callable[[dict], dict] | None = None
        self._rv: str | None = None
        self._synced = False
        self._running = False
        self._watch: Any = None
        self._watch_gen = 0          # events from an older watch are ignored
        self._timer: Any = None      # pending retry
        self._resync: Any = None
        self._backoff = ExponentialBackoff(loop.rng.getrandbits(32))   # the seed, drawn now as always
        #: What happened, for explanations and tests: ``(time, what, detail)``.
        self.history: list[tuple[float, str, str]] = []
        #: Handler/indexer failures; a component may replace it with its own log.
        self.errors = ErrorLog(loop, self.name)
        self.lists = 0
        self.watches = 0

    # -- public --------------------------------------------------------------
    def add_event_handler(self, on_add: Handler | None = None, on_update: Handler | None = None,
                          on_delete: Handler | None = None) -> None:
        """Register handlers; objects already cached are replayed to ``on_add`` (as client-go does)."""
        h = _Handlers(on_add, on_update, on_delete)
        self._handlers.append(h)
        if on_add is not None:
            for obj in list(self._cache.values()):
                try:
                    on_add(obj)
                except Exception as exc:  # noqa: BLE001 - as _emit_add
                    self._crash(f"add handler failed on {key_func(obj)}", exc)

    def set_transform(self, fn: Callable[[dict], dict]) -> None:
        """Pass every object through ``fn`` before it is cached and handed to the handlers
        (client-go tools/cache/shared_informer.go ``SetTransform``: a cache that needs a few
        fields keeps only those). ``fn`` must return a new object, never mutate its argument
        (the watch cache shares one copy of an event among informers), and keep
        ``metadata.name``/``namespace``/``resourceVersion`` (the cache is keyed and relisted
        by them). Like client-go, only before :meth:`start`."""
        if self._running:
            raise RuntimeError("informer has already started")
        self._transform = fn

    def get(self, key: str) -> dict | None:
        """The cached object for ``"namespace/name"`` (or ``"name"``), or None."""
        return self._cache.get(key)

    def list(self, namespace: str | None = None) -> list[dict]:
        """Cached objects sorted by key (optionally one namespace's)."""
        if namespace is not None:
            return self.by_index("namespace", namespace)
        return [self._cache[k] for k in sorted(self._cache)]

    def add_indexer(self, name: str, fn: Callable[[dict], list[str]]) -> None:
        """Maintain an index ``fn(obj) -> values`` over the cache (client-go ``AddIndexers``)."""
        self._indexers[name] = fn
        self._indices[name] = {}
        for key, obj in self._cache.items():
            for value in fn(obj):
                self._indices[name].setdefault(value, {})[key] = None

    def by_index(self, name: str, value: str) -> list[dict]:
        """Cached objects whose index ``name`` contains ``value``, sorted by key."""
        keys = self._indices[name].get(value) or {}
        return [self._cache[k] for k in sorted(keys)]

    def keys(self) -> list[str]:
        return sorted(self._cache)

    def __iter__(self) -> Iterator[dict]:
        return iter(self.list())

    def __len__(self) -> int:
        return len(self._cache)

    @property
    def has_synced(self) -> bool:
        """True once the first list has filled the cache."""
        return self._synced

    @property
    def last_sync_resource_version(self) -> str | None:
        return self._rv

    @property
    def running(self) -> bool:
        return self._running

    @property
    def watching(self) -> bool:
        """True while a watch is open (False while backing off after the server went away)."""
        return self._watch is not None

    def start(self) -> None:
        if self._running:
            return
        self._running = True
        self._list_and_watch()
        if self.resync_period > 0:
            self._resync = self.loop.every(self.resync_period, self._do_resync, owner=self.name)

    def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        self._close_watch()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._resync is not None:
            self._resync.cancel()
            self._resync = None

    # -- list ----------------------------------------------------------------
    def _list_and_watch(self) -> None:
        self._timer = None
        if not self._running:
            return
        try:
            result = self.client.list(self.resource, namespace=self.namespace,
                                      label_selector=self.label_selector,
                                      field_selector=self.field_selector)
        except ApiError as err:
            self._retry(self._list_and_watch, f"list failed: {err.code} {err.reason}")
            return
        self.lists += 1
        items = result.get("items") or []
        self._rv = (result.get("metadata") or {}).get("resourceVersion")
        self._note("list", f"{len(items)} {self.resource} at resourceVersion {self._rv}")
        self._replace(items, kind=_item_kind(result))
        self._synced = True
        self._start_watch()

    def _replace(self, items: list[dict], kind: str | None) -> None:
        """Make the cache equal to ``items``, telling handlers what changed."""
        fresh: dict[str, dict] = {}
        for obj in items:
            if not isinstance(obj, dict):
                self._error(f"skipping a {self.resource} list item that is not an object: {obj!r:.80}")
                continue
            if kind and "kind" not in obj:
                obj = dict(obj, kind=kind)
            if self._transform is not None:
                obj = self._transform(obj)
            fresh[key_func(obj)] = obj
        for key, obj in fresh.items():
            old = self._cache.get(key)
            self._store(key, obj)
            if old is None:
                self._emit_add(obj)
            elif _rv(old) != _rv(obj):
                self._emit_update(old, obj)
        for key in sorted(k for k in self._cache if k not in fresh):
            gone = self._drop(key)
            self._emit_delete(gone)

    def _store(self, key: str, obj: dict) -> None:
        old = self._cache.get(key)
        if old is not None:
            self._unindex(key, old)
        self._cache[key] = obj
        for name, fn in self._indexers.items():
            try:
                values = fn(obj)
                index = self._indices[name]
                for value in values:
                    index.setdefault(value, {})[key] = None
            except Exception as exc:  # noqa: BLE001 - a broken object loses this index entry only
                self._crash(f'indexer "{name}" failed on {key}', exc)

    def _drop(self, key: str) -> dict | None:
        old = self._cache.pop(key, None)
        if old is not None:
            self._unindex(key, old)
        return old

    def _unindex(self, key: str, obj: dict) -> None:
        for name, fn in self._indexers.items():
            index = self._indices[name]
            try:
                values = list(fn(obj))
            except Exception:  # noqa: BLE001 - it failed (and was logged) when it was stored
                values = [v for v, bucket in index.items() if key in bucket]
            for value in values:
                bucket = index.get(value)
                if bucket is not None:
                    bucket.pop(key, None)
                    if not bucket:
                        del index[value]

    # -- watch ---------------------------------------------------------------
    def _start_watch(self) -> None:
        self._timer = None
        if not self._running:
            return
        self._close_watch()
        self._watch_gen += 1
        gen = self._watch_gen
        try:
            self._watch = self.client.watch(self.resource, _EventSink(self, gen),
                                            namespace=self.namespace, resource_version=self._rv,
                                            label_selector=self.label_selector,
                                            field_selector=self.field_selector, latency=self.latency)
        except ApiError as err:
            self._watch = None
            if err.code == 410:
                self._note("relist", "resourceVersion too old (410 Gone)")
                self._list_and_watch()
            else:
                self._retry(self._start_watch, f"watch failed: {err.code} {err.reason}")
            return
        self.watches += 1
        _on_close = getattr(self._watch, "on_close", None)
        if _on_close is not None and callable(_on_close):
            _on_close(lambda *a: self._on_watch_closed(gen))

    def _on_event(self, gen: int, event: dict) -> None:
        if gen != self._watch_gen or not self._running:
            return  # a late event from a watch we already abandoned
        etype = event.get("type")
        obj = event.get("object") or {}
        if not isinstance(obj, dict):
            self._error(f"skipping a {etype} event whose object is not an object: {obj!r:.80}")
            return
        if etype == "ERROR":
            code = obj.get("code")
            if code == 410:
                self._close_watch()
                self._note("relist", f"watch expired: {obj.get('message', '410 Gone')}")
                self._list_and_watch()
            else:
                self._close_watch()
                self._retry(self._start_watch, f"watch ended: {code} {obj.get('reason', '')}".rstrip())
            return
        if etype == "CLOSED":
            self._on_watch_closed(gen)
            return
        rv = (obj.get("metadata") or {}).get("resourceVersion")
        if rv:
            self._rv = rv
        if etype == "BOOKMARK":
            return
        if self._transform is not None:
            obj = self._transform(obj)
        key = key_func(obj)
        old = self._cache.get(key)
        if etype == "DELETED":
            gone = self._drop(key)
            self._emit_delete(obj if obj.get("metadata") else gone)
        elif old is None:
            self._store(key, obj)
            self._emit_add(obj)
        else:
            self._store(key, obj)
            self._emit_update(old, obj)
        self._backoff.reset()

    def _on_watch_closed(self, gen: int) -> None:
        """The server ended the watch (it stopped): re-watch from the last version after backoff."""
        if gen != self._watch_gen or not self._running:
            return
        self._watch = None
        self._watch_gen += 1
        self._retry(self._start_watch, "watch closed by the server")

    def _close_watch(self) -> None:
        if self._watch is not None:
            try:
                self._watch.stop()
            finally:
                self._watch = None
        self._watch_gen += 1

    def _retry(self, fn: Callable[[], None], why: str) -> None:
        delay = self._backoff.next(self.loop.now)
        self._note("backoff", f"{why}; retrying in {delay:.3f}s")
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.loop.call_later(delay, fn, owner=self.name)

    # -- resync ----------------------------------------------------------------
    def _do_resync(self) -> None:
        if not self._running:
            return
        for obj in self.list():
            self._emit_update(obj, obj)

    # -- dispatch ------------------------------------------------------------
    # Each handler call is guarded on its own (processorListener.run under HandleCrash):
    # the try costs nothing on Python 3.11+ unless it raises.
    def _emit_add(self, obj: dict) -> None:
        for h in list(self._handlers):
            if h.on_add is not None:
                try:
                    h.on_add(obj)
                except Exception as exc:  # noqa: BLE001
                    self._crash(f"add handler failed on {key_func(obj)}", exc)

    def _emit_update(self, old: dict, new: dict) -> None:
        for h in list(self._handlers):
            if h.on_update is not None:
                try:
                    h.on_update(old, new)
                except Exception as exc:  # noqa: BLE001
                    self._crash(f"update handler failed on {key_func(new)}", exc)

    def _emit_delete(self, obj: dict | None) -> None:
        if obj is None:
            return
        for h in list(self._handlers):
            if h.on_delete is not None:
                try:
                    h.on_delete(obj)
                except Exception as exc:  # noqa: BLE001
                    self._crash(f"delete handler failed on {key_func(obj)}", exc)

    def _crash(self, what: str, exc: Exception) -> None:
        self._note("error", self.errors.handle(f"{self.resource} informer: {what}", exc))

    def _error(self, message: str) -> None:
        self.errors.error(f"{self.resource} informer: {message}")
        self._note("error", message)

    def _note(self, what: str, detail: str) -> None:
        self.history.append((self.loop.now, what, detail))
        if len(self.history) > 200:
            del self.history[:50]

    def __repr__(self) -> str:
        sel = ",".join(s for s in (self.label_selector, self.field_selector) if s)
        return f"<SharedInformer {self.resource}{' ' + sel if sel else ''} items={len(self._cache)}>"


class _EventSink:
    """The watch callback of one watch of an informer. ``read_only``: the informer and its
    handlers never mutate the objects they get (client-go: objects from an informer are
    shared by its handlers and must not be modified), so the watch cache may give one
    copy of an event to every informer watching it (cacher_watch.py)."""

    __slots__ = ("informer", "gen")
    read_only = True

    @property
    def keeps_objects(self) -> bool:
        """Whether the informer stores what it receives (not when a transform slims it):
        the watch cache bases later copies on an object only while someone keeps it."""
        return self.informer._transform is None

    def __init__(self, informer: "SharedInformer", gen: int):
        self.informer = informer
        self.gen = gen

    def __call__(self, event: dict) -> None:
        self.informer._on_event(self.gen, event)


def _namespace_index(obj: dict) -> list[str]:
    ns = (obj.get("metadata") or {}).get("namespace")
    return [ns] if ns else []


def _rv(obj: dict) -> Any:
    return (obj.get("metadata") or {}).get("resourceVersion")


def _item_kind(result: dict) -> str | None:
    kind = result.get("kind") or ""
    return kind[:-4] if kind.endswith("List") else None
