"""How kubectl shows time: the AGE column, ``(x3 over 40s)``, and describe's RFC 1123 dates.

>>> [human_duration(s) for s in (5, 119, 123, 600, 11040, 183600, 3 * 365 * 86400)]
['5s', '119s', '2m3s', '10m', '3h4m', '2d3h', '3y']
"""

from __future__ import annotations

import datetime as _dt

from ..sim.clock import EPOCH, parse


def human_duration(seconds: float) -> str:
    """apimachinery/pkg/util/duration/duration.go ``HumanDuration``: ~2-3 significant figures.

    Go works on integer nanoseconds and truncates toward zero; so does this.
    """
    ns = int(seconds * 1_000_000_000)
    secs = ns // 1_000_000_000 if ns >= 0 else -((-ns) // 1_000_000_000)  # truncate toward zero
    # a deviation of under 2 s is tolerated as clock skew ("almost now")
    if secs < -1:
        return "<invalid>"
    if secs < 0:
        return "0s"
    if secs < 60 * 2:
        return f"{secs}s"
    minutes = ns // 60_000_000_000
    if minutes < 10:
        s = (ns // 1_000_000_000) % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = ns // 3_600_000_000_000
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def seconds_of(stamp: str | None) -> float | None:
    """Virtual seconds of an RFC 3339 timestamp (None when missing or unparsable)."""
    if not stamp or not isinstance(stamp, str):
        return None
    try:
        return parse(stamp)
    except ValueError:
        try:
            t = _dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            return None
        if t.tzinfo is None:
            t = t.replace(tzinfo=_dt.timezone.utc)
        return (t - EPOCH).total_seconds()


def since(stamp: str | None, now: float) -> str:
    """printers.go ``translateTimestampSince``: ``<unknown>`` for a zero time."""
    t = seconds_of(stamp)
    if t is None:
        return "<unknown>"
    return human_duration(now - t)


def rfc1123z(stamp: str | None) -> str:
    """Go's ``time.RFC1123Z`` (``Thu, 01 Jan 2026 00:00:07 +0000``), as describe prints dates."""
    t = seconds_of(stamp)
    if t is None:
        # a zero metav1.Time formats as Go's zero time
        return "Mon, 01 Jan 0001 00:00:00 +0000"
    d = EPOCH + _dt.timedelta(seconds=int(t // 1))
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return (f"{days[d.weekday()]}, {d.day:02d} {months[d.month - 1]} {d.year:04d} "
            f"{d.hour:02d}:{d.minute:02d}:{d.second:02d} +0000")
