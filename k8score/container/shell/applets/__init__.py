"""busybox applets as programs ``prog(proc) -> int | Generator`` (see :mod:`k8score.container.process`).

Every applet is wrapped by :func:`guard`: an unknown option letter (:class:`.common.BadOption`
from ``split_opts``) ends it with getopt's message and status 1, as busybox does, instead of
escaping as a Python exception (which the process model would report as a k8score bug).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Generator

from . import files, network, system, text
from .common import BadOption, bad_option


def guard(applet: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``applet`` with unknown options turned into busybox's error (plain or generator applets)."""
    @functools.wraps(applet)
    def run(proc: Any) -> Any:
        try:
            result = applet(proc)
        except BadOption as e:
            return bad_option(proc, str(e))
        return _guarded(result, proc) if hasattr(result, "send") else result
    return run


def _guarded(gen: Generator[Any, Any, Any], proc: Any) -> Generator[Any, Any, Any]:
    try:
        return (yield from gen)
    except BadOption as e:
        return bad_option(proc, str(e))


PROGRAMS = {name: guard(fn) for name, fn in
            {**text.PROGRAMS, **files.PROGRAMS, **system.PROGRAMS, **network.PROGRAMS}.items()}

__all__ = ["PROGRAMS", "guard"]
