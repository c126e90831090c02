"""Run a controller's ``sync(key)`` over a work queue (sample-controller's ``runWorker``).

Each queued key is processed in its own loop event, so components interleave fairly at
one virtual instant. The rules are client-go's ``processNextWorkItem``:

- ``sync`` returns normally -> ``queue.forget(key)`` (its failure history is cleared);
- ``sync`` raises :class:`~k8score.client.errors.ApiError` (a conflict, the API server
  is down...) or :class:`Requeue` -> ``queue.add_rate_limited(key)`` (5 ms, 10 ms, ...);
  ``Requeue(after=s)`` re-adds after exactly ``s`` seconds instead;
- any other exception is a bug in the controller or an object it cannot understand (one
  written straight into etcd, or by an older server). Given an :class:`ErrorLog` (every
  component passes one), it is handled like client-go's ``runtime.HandleCrash`` +
  ``utilruntime.HandleError``: logged (``error syncing "<key>": ...``) and the key is
  requeued rate-limited as any failed sync, so one poison object never stops the worker
  nor the other keys. Without one (a bare unit test) it propagates and stops the run;
- ``queue.done(key)`` always, so a key re-added meanwhile is processed again.

>>> w = Workers(component, queue, controller.sync)    # doctest: +SKIP
"""

from __future__ import annotations

import traceback
from typing import Any, Callable, Hashable

from .errors import ApiError

#: Entries an :class:`ErrorLog` keeps (the oldest are dropped first).
_ERROR_LOG_SIZE = 200


def describe_exception(exc: BaseException) -> str:
    """``TypeError: 'int' object is not iterable (scheduler/events.py:87 in _conditions)``.

    The innermost frame says where it broke without a whole traceback; paths inside the
    package are relative to it, others are file names, so the text is the same everywhere.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        path = last.filename.replace("\\", "/")
        path = path.rsplit("/k8score/", 1)[1] if "/k8score/" in path else path.rsplit("/", 1)[-1]
        where = f" ({path}:{last.lineno} in {last.name})"
    return f"{type(exc).__name__}: {exc}{where}"


class ErrorLog:
    """The errors a component recovered from (``utilruntime.HandleError``'s log), bounded.

    Each entry is ``(virtual time, message)``; :meth:`lines` prints them as klog would
    (``E`` + time + component + message). Tests and pages read it to see *why* an
    object was skipped; the component keeps working meanwhile.

    >>> log = ErrorLog(loop, "kube-scheduler")                     # doctest: +SKIP
    >>> log.handle('error syncing "default/web"', exc)             # doctest: +SKIP
    """

    def __init__(self, loop: Any, component: str, limit: int = _ERROR_LOG_SIZE):
        self.loop = loop
        self.component = component
        self.limit = limit
        self.entries: list[tuple[float, str]] = []
        #: How many errors were handled in all (entries beyond ``limit`` are dropped).
        self.count = 0

    def handle(self, what: str, exc: BaseException) -> str:
        """Record ``what: <exception>`` and return that message."""
        message = f"{what}: {describe_exception(exc)}"
        self.error(message)
        return message

    def error(self, message: str) -> None:
        self.count += 1
        self.entries.append((self.loop.now, message))
        if len(self.entries) > self.limit:
            del self.entries[: len(self.entries) - self.limit]

    def lines(self) -> list[str]:
        return [f"E {t:9.3f}s {self.component}: {m}" for t, m in self.entries]

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        return f"<ErrorLog {self.component} errors={self.count}>"


class Requeue(Exception):
    """Raised by ``sync`` to ask for the key again (rate-limited, or after ``after`` seconds)."""

    def __init__(self, message: str = "requeue", after: float | None = None):
        super().__init__(message)
        self.after = after


class Workers:
    """Process ``queue``'s keys with ``sync`` on ``host``'s loop (see the module doc).

    ``errors`` receives the exceptions a sync raised that are not API errors (None: they
    propagate); ``on_crash(key, message)``, when set, is called after such a failure.
    """

    def __init__(self, host: Any, queue: Any, sync: Callable[[Hashable], Any],
                 errors: ErrorLog | None = None,
                 on_crash: Callable[[Hashable, str], Any] | None = None):
        self.host = host
        self.queue = queue
        self.sync = sync
        self.errors = errors
        self.on_crash = on_crash
        self._scheduled = False
        self.processed = 0
        self.failures: list[tuple[float, Hashable, str]] = []
        queue.on_ready = self._wake
        if len(queue):
            self._wake()

    def _wake(self) -> None:
        if self._scheduled:
            return
        self._scheduled = True
        # A Component's timers die with stop(); a bare Loop works too (tests).
        self.host.call_soon(self._process_one)

    def _process_one(self) -> None:
        self._scheduled = False
        item, shutdown = self.queue.get()
        if shutdown or item is None:
            return
        try:
            self.sync(item)
        except Requeue as req:
            self._note_failure(item, str(req))
            if req.after is not None:
                self.queue.add_after(item, req.after)
            else:
                self.queue.add_rate_limited(item)
        except ApiError as err:
            self._note_failure(item, f"{err.code} {err.reason}: {err.message}")
            self.queue.add_rate_limited(item)
        except Exception as exc:  # noqa: BLE001 - HandleCrash: one key must not stop the rest
            if self.errors is None:
                raise
            # sample-controller: utilruntime.HandleError(fmt.Errorf("error syncing '%s': %s, requeuing", ...))
            message = self.errors.handle(f'error syncing "{item}"', exc)
            self._note_failure(item, message)
            self.queue.add_rate_limited(item)
            if self.on_crash is not None:
                self.on_crash(item, message)
        else:
            self.queue.forget(item)
        finally:
            self.queue.done(item)
            self.processed += 1
        if len(self.queue):
            self._wake()

    def _note_failure(self, item: Hashable, why: str) -> None:
        loop = getattr(self.host, "loop", self.host)
        self.failures.append((loop.now, item, why))
        if len(self.failures) > 200:
            del self.failures[:50]
