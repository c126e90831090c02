"""A small static server for the built site, with the MIME types Pyodide needs.

``.wasm`` must be ``application/wasm`` (streaming compilation) and ``.mjs`` JavaScript. Used by
``.ci/serve``, the browser tests and the benchmark::

    python docs/_hooks/serve.py site 127.0.0.1 8000
"""

from __future__ import annotations

import functools
import socket
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

MIME_TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".json": "application/json",
    ".whl": "application/zip",
    ".zip": "application/zip",
    ".svg": "image/svg+xml",
    ".xml": "application/xml",
}


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")  # always the latest build
        super().end_headers()

    def log_message(self, format, *args) -> None:  # quiet unless asked
        if self.server.verbose:
            super().log_message(format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    verbose = False

    def handle_error(self, request, client_address) -> None:
        # A browser closing a connection early (page change, worker stopped) is normal.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (to build a site for it before serving it)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def make_server(directory: str, host: str = "127.0.0.1", port: int = 0, verbose: bool = False):
    """A server for ``directory`` (port 0: a free one; read ``server.server_address``)."""
    server = _Server((host, port), functools.partial(_Handler, directory=directory))
    server.verbose = verbose
    return server


def serve_in_thread(directory: str, host: str = "127.0.0.1", port: int = 0):
    """Start a server in a daemon thread; return it (``server.shutdown()`` stops it)."""
    server = make_server(directory, host, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


if __name__ == "__main__":
    directory, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    server = make_server(directory, host, port, verbose=True)
    print(f"Serving {directory} at http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
