"""A Store-like etcd client over a real etcd's v3 JSON gateway (``k8score serve --etcd-servers``).

Native only: this module does network I/O and starts threads, so neither the simulation
core nor Pyodide ever imports it. Pure Python over ``http.client``: every request is an
HTTP POST of the protobuf message as JSON to ``/v3/kv/range``, ``/v3/kv/put``,
``/v3/kv/deleterange``, ``/v3/kv/txn``, ``/v3/kv/compaction``, ``/v3/lease/*``
(etcd api/etcdserverpb/gw/rpc.pb.gw.go), bytes fields base64, int64 fields as JSON
strings, false/zero fields omitted. Keys and values are the embedded store's strings
(UTF-8), so the same API server writes the same bytes to either store. A failed request
raises :class:`~k8score.etcd.EtcdError` with etcd's message (the gateway's ``message``
field: ``etcdserver: mvcc: required revision has been compacted`` ...), so
``apiserver/storage.py`` maps it as it maps the embedded store's.

Endpoints: requests stick to one endpoint and move to the next when a connection cannot
be made (clientv3's balancer); a request that was sent is not retried elsewhere (only one
whose kept-alive connection the server had already closed is sent again).
A write returns once its revision reached the watches; if that takes longer than
``timeout`` the write is reported as ``context deadline exceeded`` though it committed —
the outcome a real client cannot tell from a timeout either (storage.py makes it a 500).

Watches and the threading contract (the one k8score/serve.py sets: the simulation is
touched only by the thread holding the serve lock):

* One background reader thread per stream only does I/O: it reads the gateway's
  newline-delimited ``{"result": WatchResponse}`` stream and queues each message.
* :meth:`GatewayClient.pump` — called by whoever holds the lock (a loop timer every
  ``pump_every`` virtual seconds, and every write) — hands the queued events to the
  watch callbacks. So events reach the simulation only under the lock.
* One *shared* stream watches the whole keyspace from the client's first watch on; the
  API server's watches (one per resource, cacher.py) are local subscriptions filtered by
  key range and start revision. Because that stream sees every revision, ``revision``
  (what the API server's watch cache calls etcd's current revision) is the last revision
  delivered, and a write returns only once its own revision was delivered: read-your-writes
  through the watch cache, as with the embedded store's synchronous delivery.
  :meth:`consistent_revision` (a list without resourceVersion, storage.py) reads the
  current revision with a quorum read and waits for the stream to catch up — upstream's
  consistent reads from cache (cacher.go, 1.31+) — so a list on one API server replica
  sees what another replica wrote.
* A watch from a revision the shared stream has passed, or with options it does not use
  (``prev_kv``, filters), gets its own stream and thread.
"""

from __future__ import annotations

import http.client
import json
import queue
import threading
import time
from typing import Any, Callable
from urllib.parse import urlsplit

from .etcd.gateway_codec import (_b64, _delete_body, _header, _in_range, _kv, _put_body, _range_body,
                                 _range_resp, _txn_body, _txn_resp, _unb64)
from .etcd.types import (CompactionResponse, DeleteRangeResponse, EtcdError, Event, Header,
                         LeaseGrantResponse, LeaseKeepAliveResponse, LeaseLeasesResponse,
                         LeaseRevokeResponse, LeaseTimeToLiveResponse, PutResponse, RangeResponse,
                         TxnResponse, WatchResponse)

# What clientv3 reports when no endpoint accepts a connection (grpc-go's Unavailable),
# and when a request outlives its deadline (context.DeadlineExceeded).
ERR_UNAVAILABLE = ('rpc error: code = Unavailable desc = connection error: desc = "transport: '
                   'Error while dialing: dial tcp {}: connect: connection refused"')
ERR_DEADLINE = "context deadline exceeded"
#: seconds a request (or a write's wait for its own watch event) may take
REQUEST_TIMEOUT = 5.0

class GatewayWatch:
    """One watch of a :class:`GatewayClient`: ``cancel()`` ends it (no callback after)."""

    def __init__(self, client: "GatewayClient", id: int, key: str, range_end: str | None,
                 start: int, callback: Callable[[Any], Any]):
        self._client = client
        self.id = id
        self.key, self.range_end = key, range_end
        self.start = start           # events below this revision are not for this watch
        self.callback = callback
        self.canceled = False
        self._stream: _Stream | None = None   # its own stream, or None: the shared one

    def cancel(self) -> None:
        if not self.canceled:
            self.canceled = True
            if self._stream is not None:
                self._stream.close()
            self._client._subs.pop(self.id, None)


class _Stream:
    """A ``POST /v3/watch`` stream read by a daemon thread that only queues what it reads.

    When the connection breaks it reconnects (next endpoint) from the revision after the
    last event it read — clientv3's watch resumption."""

    def __init__(self, client: "GatewayClient", create: dict, start: int):
        self._client = client
        self._create = create
        self.next_rev = start
        self._closed = threading.Event()
        self._conn: http.client.HTTPConnection | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name="k8score-etcd-watch")
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        conn = self._conn
        if conn is not None and conn.sock is not None:
            try:
                conn.sock.shutdown(2)
            except OSError:
                pass

    def _run(self) -> None:
        inbox = self._client._inbox
        while not self._closed.is_set():
            body = {"create_request": {**self._create, "start_revision": str(self.next_rev)}}
            try:
                conn = self._client._connect(timeout=None)
                self._conn = conn
                conn.request("POST", "/v3/watch", json.dumps(body), {"Content-Type": "application/json"})
                resp = conn.getresponse()
                while not self._closed.is_set():
                    line = resp.readline()
                    if not line:
                        break
                    msg = json.loads(line)
                    result = msg.get("result")
                    if result is None:
                        break
                    for ev in result.get("events", ()):
                        self.next_rev = max(self.next_rev, int(ev["kv"].get("mod_revision", 0)) + 1)
                    inbox.put((self, result))
                    if result.get("canceled"):
                        self._closed.set()
            except (OSError, EtcdError, ValueError, http.client.HTTPException):
                pass
            finally:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
            if not self._closed.is_set():
                self._closed.wait(0.1)   # back off, then resume on an endpoint that answers


class GatewayClient:
    """The Store-like object the API server holds, over real etcd ``endpoints``
    (``"http://127.0.0.1:2379,http://127.0.0.1:22379"`` or a list).

    ``loop``: when given, :meth:`pump` runs on it every ``pump_every`` virtual seconds, so
    events written by others (another API server replica, etcdctl) reach the watches while
    the serve clock drives the loop.
    """

    def __init__(self, endpoints: str | list[str], loop: Any = None, pump_every: float = 0.01,
                 timeout: float = REQUEST_TIMEOUT):
        eps = endpoints.split(",") if isinstance(endpoints, str) else list(endpoints)
        self.endpoints = [e.strip() if "://" in e else f"http://{e.strip()}" for e in eps if e.strip()]
        if not self.endpoints:
            raise ValueError("no etcd endpoints")
        self.timeout = timeout
        self._pin = 0
        self._conn: http.client.HTTPConnection | None = None
        self._io = threading.Lock()      # one request at a time on the shared connection
        self._inbox: "queue.Queue[tuple[_Stream, dict]]" = queue.Queue()
        self._subs: dict[int, GatewayWatch] = {}
        self._next_id = 0
        self._shared: _Stream | None = None
        self._delivered = 0              # the last revision the shared stream delivered
        self._pumping = False
        self.compact_revision = 0
        if loop is not None:
            loop.every(pump_every, self.pump, owner="etcd-gateway")

    # -- transport ---------------------------------------------------------------------
    def _connect(self, timeout: float | None) -> http.client.HTTPConnection:
        """A connected HTTPConnection to the pinned endpoint, moving past refusing ones."""
        n = len(self.endpoints)
        for i in range(n):
            url = urlsplit(self.endpoints[(self._pin + i) % n])
            conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port or 2379,
                                              timeout=timeout if timeout is not None else self.timeout)
            try:
                conn.connect()
            except OSError:
                conn.close()
                continue
            if timeout is None and conn.sock is not None:
                conn.sock.settimeout(None)   # a watch stream waits as long as it must
            self._pin = (self._pin + i) % n
            return conn
        raise EtcdError(ERR_UNAVAILABLE.format(urlsplit(self.endpoints[self._pin]).netloc))

    def _call(self, path: str, body: dict) -> dict:
        data = json.dumps(body)
        with self._io:
            for attempt in (0, 1):
                reused = self._conn is not None
                if self._conn is None:
                    self._conn = self._connect(self.timeout)
                conn = self._conn
                try:
                    conn.request("POST", path, data, {"Content-Type": "application/json"})
                    resp = conn.getresponse()
                    raw = resp.read()
                    break
                except TimeoutError:
                    self._drop()
                    raise EtcdError(ERR_DEADLINE) from None
                except (OSError, http.client.HTTPException) as e:
                    # a kept-alive connection the server had closed (no answer at all): send it
                    # once more on a new connection, as HTTP clients do; anything else failed
                    self._drop()
                    if attempt or not reused or not isinstance(
                            e, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)):
                        raise EtcdError(ERR_UNAVAILABLE.format(conn.host + ":" + str(conn.port))) from None
        try:
            out = json.loads(raw or b"{}")
        except ValueError:
            raise EtcdError(raw.decode("utf-8", "replace").strip()) from None
        if resp.status != 200 or "error" in out:
            raise EtcdError(out.get("message") or out.get("error") or f"HTTP {resp.status}")
        return out

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        """Close the connection and every watch stream."""
        for w in list(self._subs.values()):
            w.cancel()
        if self._shared is not None:
            self._shared.close()
            self._shared = None
        with self._io:
            self._drop()

    # -- KV ----------------------------------------------------------------------------
    def range(self, key: str, range_end: str | None = None, **kw: Any) -> RangeResponse:
        return _range_resp(self._call("/v3/kv/range", _range_body(key, range_end, **kw)))

    def put(self, key: str, value: str, lease: int = 0, prev_kv: bool = False,
            ignore_value: bool = False, ignore_lease: bool = False) -> PutResponse:
        d = self._call("/v3/kv/put", _put_body(key, value, lease, prev_kv, ignore_value, ignore_lease))
        r = PutResponse(_header(d), _kv(d["prev_kv"]) if d.get("prev_kv") else None)
        self._caught_up(r.header.revision)
        return r

    def delete_range(self, key: str, range_end: str | None = None,
                     prev_kv: bool = False) -> DeleteRangeResponse:
        d = self._call("/v3/kv/deleterange", _delete_body(key, range_end, prev_kv))
        r = DeleteRangeResponse(_header(d), int(d.get("deleted", 0)), [_kv(kv) for kv in d.get("prev_kvs", ())])
        self._caught_up(r.header.revision)
        return r

    def txn(self, compare: Any = (), success: Any = (), failure: Any = ()) -> TxnResponse:
        r = _txn_resp(self._call("/v3/kv/txn", _txn_body(compare, success, failure)))
        self._caught_up(r.header.revision)
        return r

    def compact(self, revision: int) -> CompactionResponse:
        d = self._call("/v3/kv/compaction", {"revision": str(revision), "physical": True})
        self.compact_revision = max(self.compact_revision, revision)
        return CompactionResponse(_header(d))

    # -- leases ------------------------------------------------------------------------
    def lease_grant(self, ttl: int, id: int = 0) -> LeaseGrantResponse:
        d = self._call("/v3/lease/grant", {"TTL": str(ttl), **({"ID": str(id)} if id else {})})
        return LeaseGrantResponse(_header(d), int(d.get("ID", 0)), int(d.get("TTL", 0)))

    def lease_revoke(self, id: int) -> LeaseRevokeResponse:
        d = self._call("/v3/lease/revoke", {"ID": str(id)})
        r = LeaseRevokeResponse(_header(d))
        self._caught_up(r.header.revision)
        return r

    def lease_keepalive(self, id: int) -> LeaseKeepAliveResponse:
        d = self._call("/v3/lease/keepalive", {"ID": str(id)})
        d = d.get("result", d)
        if int(d.get("TTL", 0)) <= 0:
            raise EtcdError("etcdserver: requested lease not found")
        return LeaseKeepAliveResponse(_header(d), int(d.get("ID", 0)), int(d.get("TTL", 0)))

    def lease_timetolive(self, id: int, keys: bool = False) -> LeaseTimeToLiveResponse:
        d = self._call("/v3/lease/timetolive", {"ID": str(id), **({"keys": True} if keys else {})})
        return LeaseTimeToLiveResponse(_header(d), int(d.get("ID", 0)), int(d.get("TTL", -1)),
                                       int(d.get("grantedTTL", 0)), [_unb64(k) for k in d.get("keys", ())])

    def lease_leases(self) -> LeaseLeasesResponse:
        d = self._call("/v3/lease/leases", {})
        return LeaseLeasesResponse(_header(d), [int(x["ID"]) for x in d.get("leases", ())])

    def advance(self, now: float) -> None:
        """Leases expire on the real etcd's own clock."""

    # -- revisions ---------------------------------------------------------------------
    @property
    def revision(self) -> int:
        """The last revision delivered to the watches (etcd's, before the first watch)."""
        if self._shared is None:
            return self.current_revision()
        return self._delivered

    def current_revision(self) -> int:
        """etcd's revision now (a linearizable read of one key)."""
        return self.range("\0").header.revision

    def consistent_revision(self) -> int:
        """The current revision by quorum read, once the watches have caught up with it."""
        rev = self.current_revision()
        self._caught_up(rev)
        return rev

    # -- watches -----------------------------------------------------------------------
    def watch(self, key: str, range_end: str | None = None, start_revision: int = 0,
              callback: Callable[[Any], Any] | None = None, **kw: Any) -> GatewayWatch:
        """Watch [key, range_end) from ``start_revision`` (0: from the next revision);
        ``callback(WatchResponse)`` runs in :meth:`pump` (under the serve lock)."""
        if callback is None:
            raise TypeError("watch() needs a callback")
        if self._shared is None:
            self._delivered = self.current_revision()
            everything = {"key": _b64("\0"), "range_end": _b64("\0")}
            self._shared = _Stream(self, everything, self._delivered + 1)
        self._next_id += 1
        start = start_revision if start_revision > 0 else self._delivered + 1
        w = GatewayWatch(self, self._next_id, key, range_end, start, callback)
        self._subs[w.id] = w
        if start <= self._delivered or any(kw.values()):
            create = {"key": _b64(key), **({"range_end": _b64(range_end)} if range_end else {})}
            if kw.get("prev_kv"):
                create["prev_kv"] = True
            for f in kw.get("filters") or ():
                create.setdefault("filters", []).append("NOPUT" if f in ("noput", "NOPUT") else "NODELETE")
            w._stream = _Stream(self, create, start)
        return w

    def pump(self) -> int:
        """Deliver the queued watch messages (call with the serve lock held); returns how many."""
        if self._pumping:
            return 0
        self._pumping = True
        n = 0
        try:
            while True:
                try:
                    stream, result = self._inbox.get_nowait()
                except queue.Empty:
                    return n
                self._deliver(stream, result)
                n += 1
        finally:
            self._pumping = False

    def _caught_up(self, rev: int) -> None:
        """Wait until the shared stream delivered ``rev`` (a write's own revision)."""
        if self._shared is None or self._pumping or rev <= self._delivered:
            return
        self._pumping = True
        try:
            deadline = time.monotonic() + self.timeout
            while self._delivered < rev:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise EtcdError(ERR_DEADLINE)
                try:
                    stream, result = self._inbox.get(timeout=left)
                except queue.Empty:
                    continue
                self._deliver(stream, result)
        finally:
            self._pumping = False

    def _deliver(self, stream: _Stream, result: dict) -> None:
        header = Header(int((result.get("header") or {}).get("revision", 0)))
        events = []
        for e in result.get("events", ()):
            kv = _kv(e["kv"])
            prev = _kv(e["prev_kv"]) if e.get("prev_kv") else None
            events.append(Event(e.get("type", "PUT"), kv, prev))
        if stream is not self._shared:
            for w in list(self._subs.values()):
                if w._stream is stream and not w.canceled:
                    w.callback(WatchResponse(header, w.id, events, bool(result.get("created")),
                                             bool(result.get("canceled")), int(result.get("compact_revision", 0)),
                                             result.get("cancel_reason", "")))
            return
        if not events:
            return
        self._delivered = max(self._delivered, events[-1].kv.mod_revision)
        for w in list(self._subs.values()):
            if w._stream is not None or w.canceled:
                continue
            mine = [e for e in events if e.kv.mod_revision >= w.start and _in_range(e.kv.key, w.key, w.range_end)]
            if mine:
                w.callback(WatchResponse(header, w.id, mine))

    def __repr__(self) -> str:
        return f"<etcd GatewayClient endpoints={self.endpoints}>"
