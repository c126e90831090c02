"""Resources served straight from etcd: no watch cache (events).

Upstream disables the watch cache of Events: ``DefaultWatchCacheSizes`` gives ``events``
size 0 (pkg/kubeapiserver/default_storage_factory_builder.go), so the registry talks to the
etcd3 store itself (k8s.io/apiserver/pkg/storage/etcd3/store.go, watcher.go). Events are the
most numerous objects of a busy cluster (a pod's life writes five or more) and almost nobody
watches them, so caching every one in memory costs more than it serves.

:class:`Uncached` has the :class:`~.cacher.Cacher` interface the API server uses:

* GET and LIST read etcd at the current revision (or at an ``Exact`` one) and decode what
  they read, for this request only; ``version()`` follows etcd's revision.
* each WATCH opens its own etcd watch (with the previous values, as etcd3/watcher.go asks
  for ``PrevKV``) and decodes every event it receives; it filters and translates events
  exactly as a cached watch does (selector exits are DELETED, DELETED carries the last state
  at the delete's revision), and ``resourceVersion`` 0 or ``sendInitialEvents`` start with
  the current state. A ``resourceVersion`` etcd has compacted ends the watch with 410
  ``The resourceVersion for the provided watch is too old.`` (etcd3/watcher.go
  ``interpretWatchError``), not with the watch cache's window message.
"""

from __future__ import annotations

from typing import Any

from ..api.errors import ApiError
from ..etcd import prefix_end
from .cacher import Cacher, exact_match
from .cacher_watch import DELETED, MODIFIED, ADDED, CacheEvent, CacheWatch

#: group/resources whose watch cache is disabled by default (DefaultWatchCacheSizes)
UNCACHED = frozenset({"events"})

_WATCH_TOO_OLD = "The resourceVersion for the provided watch is too old."


class _Own:
    """The objects a direct watch decodes are its own: delivered without another copy."""

    __slots__ = ()

    def get(self, obj: Any, keep: bool = True) -> Any:
        return obj

    def values(self) -> tuple:
        return ()


_OWN = _Own()


class _EtcdWatch(CacheWatch):
    """A :class:`CacheWatch` fed by its own etcd watch (cancelled when it ends)."""

    etcd: Any = None

    def stop(self) -> None:
        self._cancel_etcd()
        super().stop()

    def _end(self, status: dict) -> None:
        self._cancel_etcd()
        super()._end(status)

    def _cancel_etcd(self) -> None:
        if self.etcd is not None:
            self.etcd.cancel()
            self.etcd = None


class Uncached(Cacher):
    """The resource under ``prefix`` read from etcd on every request (see module docstring).
    Same constructor as :class:`Cacher`; indexers only route nothing (there is no index)."""

    def start(self) -> None:
        self._started = True

    def stop(self, status: dict | None = None) -> None:
        self._started = False
        self.watchers.end_all(status or ApiError.service_unavailable("apiserver is shutting down").status)

    def version(self) -> tuple[int, int, int]:
        return (self._serial, self._lists, self.store.revision)

    def index_names(self) -> tuple[str, ...]:
        return ()

    def current_rv(self) -> int:
        return self.store.revision

    # -- reads ----------------------------------------------------------------------
    def get(self, key: str, copy: bool = True) -> dict | None:
        self._check_ready()
        kvs = self._range(key, None, 0)
        return self._decoded(kvs[0]) if kvs else None

    def current(self, key: str) -> dict | None:
        if not self._started:
            return None
        return self.get(key)

    def list(self, namespace: str | None = None, index: tuple[str, str] | None = None,
             rv: int = 0, rv_match: str | None = None, label_selector: Any = None,
             field_selector: Any = None, copy: bool = True,
             key: str | None = None) -> tuple[list[dict], int]:
        self._check_ready()
        current = self.current_rv()
        if rv > current:
            raise ApiError.too_large_resource_version(rv, current)
        at = rv if rv_match == "Exact" and rv else current
        return self._list_from_etcd(namespace, None, at, label_selector, field_selector, key=key)

    # -- watch ------------------------------------------------------------------------
    def watch(self, start_rv: int, callback: Any, namespace: str | None = None,
              index: tuple[str, str] | None = None, label_selector: Any = None,
              field_selector: Any = None, latency: float = 0.001, send_initial_events: bool = False,
              allow_bookmarks: bool = False) -> CacheWatch:
        labels = None if label_selector is None or label_selector.empty() else label_selector
        fields = None if field_selector is None or field_selector.empty() else field_selector
        if namespace is None:
            namespace = exact_match(fields, "metadata.namespace")
        if index is not None:
            raise ValueError(f"no indexer {index[0]!r} (have: [])")
        watchers = self.watchers
        watchers._next_id += 1
        prefix = None if namespace is None else f"{self.prefix}{namespace}/"
        w = _EtcdWatch(watchers, watchers._next_id, callback, latency, prefix, None, labels,
                       fields, allow_bookmarks)
        w.start_rv = start_rv
        if not self._started:
            w._end(ApiError.service_unavailable("storage is (re)initializing").status)
            return w
        current = self.current_rv()
        lo = prefix or self.prefix
        if send_initial_events or start_rv == 0:
            if start_rv > current:
                w._end(ApiError.too_large_resource_version(start_rv, current).status)
                return w
            # etcd3/watcher.go sync: the current state as ADDED events, then changes after it
            for kv in self._range(lo, prefix_end(lo), current):
                obj = self._decoded(kv)
                if obj is not None and w.passes(kv.key, obj):
                    w._send((ADDED, obj, _OWN))
            if send_initial_events:
                w._send(self._bookmark(current, initial_end=True))
            w.min_rv = current
            since = current
        else:
            w.min_rv = start_rv
            since = start_rv
        watchers.file(w, namespace, exact_match(fields, "metadata.name"), None)
        w.etcd = self.store.watch(lo, prefix_end(lo), start_revision=since + 1, prev_kv=True,
                                  callback=lambda resp: self._on_etcd_for(w, resp))
        return w

    def _on_etcd_for(self, w: _EtcdWatch, resp: Any) -> None:
        if w.closed:
            return
        if getattr(resp, "canceled", False) and resp.compact_revision:
            w._end(ApiError.expired(_WATCH_TOO_OLD).status)
            return
        prefix_len = len(self.prefix)
        for ev in resp.events:
            kv = ev.kv
            self.events += 1
            put = ev.type == "PUT"
            obj = self._decoded(kv) if put else None
            prev_kv = ev.prev_kv
            prev = None
            if prev_kv is not None:
                # an unfiltered watch needs the old state only to show a delete
                prev = self._decoded(prev_kv) if (not put or not w._unfiltered) else _EXISTED
            if obj is None and prev is None:
                continue
            rest = kv.key[prefix_len:]
            slash = rest.find("/")
            etype = DELETED if obj is None else (MODIFIED if prev is not None else ADDED)
            ce = CacheEvent(etype, kv.key, rest[:slash] if slash >= 0 else None, rest[slash + 1:],
                            obj, prev, kv.mod_revision, self.loop.now, {})
            w._offer(ce, _OWN)


#: a stand-in for a previous state nobody will read (it only says: the key existed)
_EXISTED: dict = {"metadata": {}}

