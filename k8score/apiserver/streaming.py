"""The remote-command channel protocol of ``pods/exec`` over WebSocket (pure framing, no I/O).

Upstream: k8s.io/apimachinery/pkg/util/remotecommand/constants.go (the subprotocol names and
stream ids), k8s.io/streaming wsstream (``channel.k8s.io``: every binary message starts with
one byte, the channel), client-go tools/remotecommand/websocket.go (kubectl's side), and
kubelet's cri/streaming/remotecommand/httpstream.go (``v4WriteStatusFunc``: the last message
on the error channel is a ``Status`` — ``Success``, or ``NonZeroExitCode`` with the exit code
as an ``ExitCode`` cause).

Channels: 0 stdin (client -> server), 1 stdout, 2 stderr, 3 error (the Status), 4 resize
(client -> server, a ``{"Width":..,"Height":..}`` JSON; ignored here: no terminal is drawn).
``v5.channel.k8s.io`` adds 255, CLOSE: ``[255, <stream id>]`` half-closes that stream — kubectl
sends ``[255, 0]`` when its stdin reaches EOF, so the command sees end of input.

A transport (k8score/serve_ws.py) does the WebSocket handshake and frames; this module says
which subprotocol to accept, how to read a message, and what to send back.

>>> negotiate("v5.channel.k8s.io, v4.channel.k8s.io")
'v5.channel.k8s.io'
>>> frame(STDOUT, b"hi")
b'\\x01hi'
>>> s = ExecInput("v5.channel.k8s.io")
>>> s.feed(b"\\x00echo 1\\n"); s.feed(b"\\xff\\x00"); (s.stdin, s.stdin_closed)
('echo 1\\n', True)
>>> exit_status(0)
{'metadata': {}, 'status': 'Success'}
>>> exit_status(3)["details"]
{'causes': [{'reason': 'ExitCode', 'message': '3'}]}
"""

from __future__ import annotations

import json
from typing import Any

V5 = "v5.channel.k8s.io"
V4 = "v4.channel.k8s.io"
#: what this server accepts, best first (remotecommand constants.go; v1-v3 lack exit codes)
PROTOCOLS = (V5, V4)
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
#: constants.go NonZeroExitCodeReason / ExitCodeCauseType
NON_ZERO_EXIT = "NonZeroExitCode"


def negotiate(offered: Any) -> str | None:
    """The subprotocol to accept from a ``Sec-WebSocket-Protocol`` header (or list), else None."""
    items = offered if isinstance(offered, (list, tuple)) else str(offered or "").split(",")
    names = [str(p).strip() for p in items]
    for proto in PROTOCOLS:
        if proto in names:
            return proto
    return None


def frame(channel: int, data: bytes | str) -> bytes:
    """One binary message: the channel byte, then the data."""
    return bytes([channel]) + (data.encode() if isinstance(data, str) else data)


def parse(message: bytes) -> tuple[int, bytes] | None:
    """``(channel, data)`` of a binary message; None for an empty one (keep-alive)."""
    if not message:
        return None
    return message[0], bytes(message[1:])


class ExecInput:
    """What the client has sent so far: the stdin bytes and whether stdin is closed.

    ``feed`` each binary message; resize messages are accepted and dropped. With ``v4`` there
    is no CLOSE signal: stdin ends when the client closes the connection (``close()``).
    """

    def __init__(self, protocol: str):
        self.protocol = protocol
        self._stdin = bytearray()
        self.stdin_closed = False

    def feed(self, message: bytes) -> None:
        got = parse(message)
        if got is None:
            return
        channel, data = got
        if channel == STDIN and not self.stdin_closed:
            self._stdin += data
        elif channel == CLOSE and self.protocol == V5 and data[:1] == bytes([STDIN]):
            self.stdin_closed = True

    def close(self) -> None:
        self.stdin_closed = True

    @property
    def stdin(self) -> str:
        return self._stdin.decode("utf-8", "replace")


def exit_status(code: int | None, command: list[str] | None = None) -> dict:
    """The Status the error channel carries when the command has exited (httpstream.go
    v4WriteStatusFunc: Success for 0, else Failure/NonZeroExitCode with an ExitCode cause)."""
    if not code:
        return {"metadata": {}, "status": "Success"}
    cmd = " ".join(command or ())
    return {"metadata": {}, "status": "Failure",
            # cri/streaming: exec.CodeExitError wrapped as "command terminated with non-zero exit code"
            "message": f"command terminated with non-zero exit code: command '{cmd}' exited with {code}: ",
            "reason": NON_ZERO_EXIT,
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


def failure_status(message: str, code: int = 500, reason: str = "InternalError") -> dict:
    """A Status for an error after the upgrade (kubectl prints ``error: <message>``)."""
    return {"metadata": {}, "status": "Failure", "message": message, "reason": reason, "code": code}


def status_frame(status: dict) -> bytes:
    return frame(ERROR, json.dumps(status, separators=(",", ":")))
