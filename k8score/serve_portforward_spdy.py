"""SPDY/3.1 framing for ``pods/portforward``: bytes in, frames out; frames in, bytes out.

Pure (no I/O; stdlib ``zlib``), like h11: k8score/serve_portforward.py owns the socket.
Upstream: the SPDY/3 draft (chromium.org/spdy/spdy-protocol/spdy-protocol-draft3) as Go's
framer implements it (github.com/moby/spdystream/spdy: types.go, read.go, write.go,
dictionary.go), which client-go's httpstream/spdy connection uses on both kubectl's plain
``Upgrade: SPDY/3.1`` and its SPDY-over-WebSocket tunnel.

Wire format (big-endian):

* control frame: ``1 | version(15)=3 | type(16) | flags(8) | length(24) | data``;
  SYN_STREAM data = ``stream-id(31) | associated-id(31) | priority(3) unused(5) | slot(8) |
  header block``; SYN_REPLY, HEADERS = ``stream-id | header block``; RST_STREAM =
  ``stream-id | status``; PING = ``id(32)``; GOAWAY = ``last-good-id | status``;
  WINDOW_UPDATE = ``stream-id | delta``; SETTINGS = ``count | (flags(8) id(24) value(32))*``.
* data frame: ``0 | stream-id(31) | flags(8) | length(24) | data``; flag 0x01 is FIN.
* header block: ``count(32) | (len(32) name | len(32) value)*`` (names lower case, several
  values joined by NUL), zlib-compressed with the SPDY/3 dictionary below; one zlib
  stream per direction for the whole connection, each block ending in a sync flush.

>>> client, server = Framer(), Framer()
>>> wire = client.syn_stream(1, {"streamtype": "error", "port": "80", "requestid": "0"})
>>> [(f.type, f.stream_id, f.headers) for f in server.feed(wire[:7]) + server.feed(wire[7:])]
[('SYN_STREAM', 1, {'streamtype': 'error', 'port': '80', 'requestid': '0'})]
>>> f, = client.feed(server.data(1, b"hello", fin=True)); (f.type, f.data, f.fin)
('DATA', b'hello', True)
>>> f, = server.feed(client.ping(7)); (f.type, f.ping_id)
('PING', 7)
"""

from __future__ import annotations

import hashlib
import struct
import zlib

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
_NAMES = {SYN_STREAM: "SYN_STREAM", SYN_REPLY: "SYN_REPLY", RST_STREAM: "RST_STREAM", SETTINGS: "SETTINGS",
          PING: "PING", GOAWAY: "GOAWAY", HEADERS: "HEADERS", WINDOW_UPDATE: "WINDOW_UPDATE"}
FLAG_FIN = 0x01
MAX_DATA = (1 << 24) - 1     # types.go MaxDataLength
RST_CANCEL = 5               # types.go RstStreamStatus Cancel

# The SPDY/3 header compression dictionary (draft 3, section 2.6.10.1): each word with a
# 4-byte length, then a run of status texts, dates and media types. 1,423 bytes.
_WORDS = ("options head post put delete trace accept accept-charset accept-encoding accept-language "
          "accept-ranges age allow authorization cache-control connection content-base content-encoding "
          "content-language content-length content-location content-md5 content-range content-type date "
          "etag expect expires from host if-match if-modified-since if-none-match if-range "
          "if-unmodified-since last-modified location max-forwards pragma proxy-authenticate "
          "proxy-authorization range referer retry-after server te trailer transfer-encoding upgrade "
          "user-agent vary via warning www-authenticate method get status 200_OK version HTTP/1.1 url "
          "public set-cookie keep-alive origin").split()   # "_" stands for the one space in a word
_TAIL = ("100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
         "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request"
         "401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented"
         "503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 "
         "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,"
         "application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age="
         "gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.")


def _dictionary() -> bytes:
    words = (w.replace("_", " ").encode() for w in _WORDS)
    return b"".join(struct.pack(">I", len(w)) + w for w in words) + _TAIL.encode()


DICTIONARY = _dictionary()
assert len(DICTIONARY) == 1423 and hashlib.sha256(DICTIONARY).hexdigest() == \
    "51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02"


class SpdyError(Exception):
    """A malformed frame: the connection cannot go on (GOAWAY PROTOCOL_ERROR)."""


class Frame:
    """One decoded frame; ``type`` is "DATA" or a control frame's name."""

    __slots__ = ("type", "stream_id", "flags", "data", "headers", "status", "ping_id")

    def __init__(self, type: str, stream_id: int = 0, flags: int = 0, data: bytes = b"",
                 headers: dict | None = None, status: int = 0, ping_id: int = 0):
        self.type, self.stream_id, self.flags, self.data = type, stream_id, flags, data
        self.headers, self.status, self.ping_id = headers, status, ping_id

    @property
    def fin(self) -> bool:
        return bool(self.flags & FLAG_FIN)

    def __repr__(self) -> str:
        return f"<Frame {self.type} stream={self.stream_id} flags={self.flags} len={len(self.data)}>"


class Framer:
    """One side of a SPDY connection: ``feed(bytes)`` returns the whole frames received
    (a partial frame waits for more bytes); the encoders return bytes to send."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)
        # write.go: zlib.BestCompression with the dictionary
        self._deflate = zlib.compressobj(9, zlib.DEFLATED, 15, zdict=DICTIONARY)

    # -- reading ----------------------------------------------------------------------------
    def feed(self, data: bytes) -> list[Frame]:
        self._buf += data
        frames = []
        while len(self._buf) >= 8:
            length = int.from_bytes(self._buf[5:8], "big")
            if len(self._buf) < 8 + length:
                break
            head, body = bytes(self._buf[:8]), bytes(self._buf[8:8 + length])
            del self._buf[:8 + length]
            frames.append(self._frame(head, body))
        return frames

    def _frame(self, head: bytes, body: bytes) -> Frame:
        flags = head[4]
        if not head[0] & 0x80:
            return Frame("DATA", int.from_bytes(head[:4], "big") & 0x7FFFFFFF, flags, body)
        version = int.from_bytes(head[:2], "big") & 0x7FFF
        kind = int.from_bytes(head[2:4], "big")
        if version != VERSION:
            raise SpdyError(f"unsupported SPDY version {version}")
        name = _NAMES.get(kind)
        if name is None:   # read.go: unknown control frames are an error
            raise SpdyError("unknown frame type")
        if kind in (SYN_STREAM, SYN_REPLY, HEADERS, RST_STREAM, WINDOW_UPDATE, GOAWAY) and len(body) < 4:
            raise SpdyError("invalid control frame")
        sid = int.from_bytes(body[:4], "big") & 0x7FFFFFFF if len(body) >= 4 else 0
        if kind == SYN_STREAM:
            if len(body) < 10:
                raise SpdyError("invalid control frame")
            return Frame(name, sid, flags, headers=self._headers(body[10:]))
        if kind in (SYN_REPLY, HEADERS):
            return Frame(name, sid, flags, headers=self._headers(body[4:]))
        if kind in (RST_STREAM, GOAWAY, WINDOW_UPDATE):
            status = int.from_bytes(body[4:8], "big") if len(body) >= 8 else 0
            return Frame(name, sid, flags, status=status)
        if kind == PING:
            if len(body) != 4:
                raise SpdyError("invalid control frame")
            return Frame(name, flags=flags, ping_id=int.from_bytes(body, "big"))
        return Frame(name, flags=flags, data=body)   # SETTINGS: not interpreted

    def _headers(self, block: bytes) -> dict:
        try:
            raw = self._inflate.decompress(block)
        except zlib.error as e:
            raise SpdyError(f"header block: {e}") from None
        headers: dict[str, str] = {}
        try:
            (count,), at = struct.unpack_from(">I", raw), 4
            for _ in range(count):
                (n,), at = struct.unpack_from(">I", raw, at), at + 4
                name, at = raw[at:at + n].decode(), at + n
                (n,), at = struct.unpack_from(">I", raw, at), at + 4
                value, at = raw[at:at + n].decode(), at + n
                if name != name.lower():
                    raise SpdyError("header was not lowercased")
                if name in headers:
                    raise SpdyError("multiple headers with same name")
                headers[name] = value
        except (struct.error, UnicodeDecodeError):
            raise SpdyError("compressed payload size was incorrect") from None
        return headers

    # -- writing ----------------------------------------------------------------------------
    def _block(self, headers: dict) -> bytes:
        raw = struct.pack(">I", len(headers))
        for k, v in headers.items():
            k, v = str(k).lower().encode(), str(v).encode()
            raw += struct.pack(">I", len(k)) + k + struct.pack(">I", len(v)) + v
        return self._deflate.compress(raw) + self._deflate.flush(zlib.Z_SYNC_FLUSH)

    @staticmethod
    def _control(kind: int, flags: int, body: bytes) -> bytes:
        return struct.pack(">HHI", 0x8000 | VERSION, kind, (flags << 24) | len(body)) + body

    def syn_stream(self, stream_id: int, headers: dict, fin: bool = False) -> bytes:
        body = struct.pack(">IIH", stream_id, 0, 0) + self._block(headers)
        return self._control(SYN_STREAM, FLAG_FIN if fin else 0, body)

    def syn_reply(self, stream_id: int, headers: dict | None = None, fin: bool = False) -> bytes:
        return self._control(SYN_REPLY, FLAG_FIN if fin else 0,
                             struct.pack(">I", stream_id) + self._block(headers or {}))

    def rst_stream(self, stream_id: int, status: int = RST_CANCEL) -> bytes:
        return self._control(RST_STREAM, 0, struct.pack(">II", stream_id, status))

    def ping(self, ping_id: int) -> bytes:
        return self._control(PING, 0, struct.pack(">I", ping_id))

    def goaway(self, last_good: int, status: int = 0) -> bytes:
        return self._control(GOAWAY, 0, struct.pack(">II", last_good, status))

    @staticmethod
    def data(stream_id: int, payload: bytes, fin: bool = False) -> bytes:
        """One or more DATA frames (a payload over 16 MiB is split); FIN on the last."""
        out, chunks = b"", [payload[i:i + MAX_DATA] for i in range(0, len(payload), MAX_DATA)] or [b""]
        for i, chunk in enumerate(chunks):
            flags = FLAG_FIN if fin and i == len(chunks) - 1 else 0
            out += struct.pack(">II", stream_id & 0x7FFFFFFF, (flags << 24) | len(chunk)) + chunk
        return out
