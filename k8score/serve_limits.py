"""Request limits of ``k8score serve``: in-flight budgets, request deadlines, watch timeouts.

Native-only like k8score/serve.py (threads and the wall clock); the API semantics are
``rest.handle``'s. Each limit is kube-apiserver's, with its defaults and answers:

* ``--max-requests-inflight`` 400 / ``--max-mutating-requests-inflight`` 200
  (staging/src/k8s.io/apiserver/pkg/server/filters/maxinflight.go): past a budget the answer
  is 429, ``Retry-After: 1``, the plain text "Too many requests, please try again later.";
  long-running requests (watch, exec, attach, portforward, proxy, log follow) do not count.
* ``--request-timeout`` 60 s (pkg/server/options/server_run_options.go) with the ``timeout``
  query parameter able to shorten it (pkg/endpoints/filters/request_deadline.go: a bad one is
  400 "invalid timeout specified in the request URL - ..."); a request not answered by its
  deadline is 504 ``Timeout`` (pkg/server/filters/timeout.go, ``NewTimeoutError``).
  k8score's handler never blocks, so the deadline bounds the wait for the simulation lock
  (the clock thread may be busy simulating) and the handler's own time.
* Watches without ``timeoutSeconds`` end after ``--min-request-timeout`` (1800 s) times a
  random factor in [1, 2) (pkg/endpoints/handlers/get.go ``ListResource``), so that clients
  do not all re-list at once.

>>> parse_go_duration("1m30s"), parse_go_duration("250ms"), parse_go_duration("0")
(90.0, 0.25, 0.0)
>>> parse_go_duration("5")
Traceback (most recent call last):
ValueError: time: missing unit in duration "5"
"""

from __future__ import annotations

import random
import re
import threading
from urllib.parse import parse_qs

# options/server_run_options.go: --request-timeout, --min-request-timeout
REQUEST_TIMEOUT = 60.0
MIN_REQUEST_TIMEOUT = 1800.0
MUTATING = ("POST", "PUT", "PATCH", "DELETE")
TOO_MANY = b"Too many requests, please try again later.\n"   # maxinflight.go tooManyRequests
# request_deadline.go invalidTimeoutInURL
INVALID_TIMEOUT = "invalid timeout specified in the request URL"
# timeout.go: NewTimeoutError("request did not complete within requested timeout - " + ctx.Err())
TIMEOUT_MESSAGE = "Timeout: request did not complete within requested timeout - context deadline exceeded"

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d*\.?\d*)([^\d.]*)")


def parse_go_duration(text: str) -> float:
    """Seconds of a Go ``time.ParseDuration`` string, with Go's error messages."""
    s = text
    sign = 1.0
    if s[:1] in ("-", "+"):
        sign, s = (-1.0 if s[0] == "-" else 1.0), s[1:]
    if s == "0":
        return 0.0
    if not s:
        raise ValueError(f'time: invalid duration "{text}"')
    total, pos = 0.0, 0
    while pos < len(s):
        m = _PART.match(s, pos)
        number, unit = m.group(1), m.group(2)
        if number in ("", "."):
            raise ValueError(f'time: invalid duration "{text}"')
        if not unit:
            raise ValueError(f'time: missing unit in duration "{text}"')
        if unit not in _UNITS:
            raise ValueError(f'time: unknown unit "{unit}" in duration "{text}"')
        total += float(number) * _UNITS[unit]
        pos = m.end()
    return sign * total


def status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    out = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "message": message, "reason": reason, "code": code}
    if details is not None:
        out["details"] = details
    return out


def timeout_status() -> dict:
    """The 504 of a request past its deadline (apimachinery errors.NewTimeoutError(msg, 0))."""
    return status(504, "Timeout", TIMEOUT_MESSAGE, {})


def long_running(method: str, path: str, query: str) -> bool:
    """pkg/server/config.go BasicLongRunningRequestCheck: watches and the connect subresources
    (exec, attach, portforward, proxy, log follow) are long-running."""
    q = parse_qs(query)
    if method == "GET" and q.get("watch", [""])[-1] in ("true", "1"):
        return True
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return last in ("exec", "attach", "portforward", "proxy") or \
        (last == "log" and q.get("follow", [""])[-1] in ("true", "1"))


def request_timeout(query: str, maximum: float = REQUEST_TIMEOUT) -> float:
    """The deadline (seconds) of a request: ``maximum`` unless ``?timeout=`` is shorter and > 0.
    Raises ValueError with request_deadline.go's message for a bad ``timeout``."""
    value = (parse_qs(query, keep_blank_values=True).get("timeout") or [""])[0]
    if not value:
        return maximum
    try:
        asked = parse_go_duration(value)
    except ValueError as e:
        raise ValueError(f"{INVALID_TIMEOUT} - {e}") from None
    return asked if 0 < asked < maximum else maximum


def watch_timeout(query: str, rng: random.Random, minimum: float = MIN_REQUEST_TIMEOUT) -> float:
    """Wall seconds a watch lasts: its ``timeoutSeconds`` (the first one given; a negative one
    ends the watch at once, as get.go's negative timer does), else ``minimum * [1, 2)``."""
    value = (parse_qs(query).get("timeoutSeconds") or [""])[0]
    try:
        asked = float(value) if value else 0.0
    except ValueError:
        asked = 0.0
    if asked < 0:
        return 0.0
    return asked if asked > 0 else minimum * (rng.random() + 1.0)


class Budget:
    """A count of requests in flight with a limit (0: none); acquire never blocks."""

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def acquire(self) -> bool:
        with self._lock:
            if self.limit and self.used >= self.limit:
                return False
            self.used += 1
            return True

    def release(self) -> None:
        with self._lock:
            self.used -= 1


class InflightLimiter:
    """maxinflight.go: one budget for reads, one for writes; long-running requests are free.

    ``admit(method, path, query)`` returns the budget to release when the request is done,
    None for a long-running request, or False when the budget is spent (answer 429).
    """

    def __init__(self, max_requests_inflight: int = 400, max_mutating_requests_inflight: int = 200):
        self.budgets = {False: Budget(max_requests_inflight), True: Budget(max_mutating_requests_inflight)}

    def admit(self, method: str, path: str, query: str) -> "Budget | None | bool":
        if long_running(method, path, query):
            return None
        budget = self.budgets[method in MUTATING]
        return budget if budget.acquire() else False
