"""The ``site_url`` a site served at ``HOST:PORT`` must be built for (used by ``.ci/serve``).

Material's instant navigation only swaps pages on the origin of ``site_url``; a site built for
another port reloads every page (and reboots Python). ``.ci/serve`` therefore builds with::

    SITE_URL="$(python docs/_hooks/site_url.py "$HOST" "$PORT")"

An explicit ``$SITE_URL`` wins (a site served behind a proxy or under a path). A wildcard bind
address (``0.0.0.0``, ``::``) is reached as the loopback address, the origin a local browser uses.

>>> site_url("127.0.0.1", "8123")
'http://127.0.0.1:8123/'
>>> site_url("::1", "8000")
'http://[::1]:8000/'
"""

from __future__ import annotations

import os
import sys

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", "8000"
_WILDCARDS = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}


def site_url(host: str = DEFAULT_HOST, port: str | int = DEFAULT_PORT) -> str:
    """``http://host:port/`` for a server bound to ``host``/``port``; ValueError on a bad port."""
    text = str(port).strip()
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"PORT must be a number from 1 to 65535, not {port!r}")
    host = _WILDCARDS.get(host.strip(), host.strip())
    if ":" in host and not host.startswith("["):  # an IPv6 literal goes in brackets in a URL
        host = f"[{host}]"
    return f"http://{host}:{int(text)}/"


def main(argv: list[str], environ: dict[str, str]) -> int:
    explicit = environ.get("SITE_URL", "").strip()
    if explicit:
        print(explicit)
        return 0
    host = argv[1] if len(argv) > 1 and argv[1] else DEFAULT_HOST
    port = argv[2] if len(argv) > 2 and argv[2] else DEFAULT_PORT
    try:
        print(site_url(host, port))
    except ValueError as e:
        print(f"site_url: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv, dict(os.environ)))
