"""Wall-clock-looking timestamps derived from the virtual clock.

Objects carry RFC 3339 timestamps like the real API; here they are a fixed epoch
plus virtual seconds, so a seed reproduces them exactly.

>>> rfc3339(7.9)
'2026-01-01T00:00:07Z'
>>> micro_time(7.25)
'2026-01-01T00:00:07.250000Z'
>>> parse(rfc3339(3600))
3600.0
"""

from __future__ import annotations

import datetime as _dt

EPOCH = _dt.datetime(2026, 1, 1, tzinfo=_dt.timezone.utc)


def rfc3339(seconds: float) -> str:
    """Second-precision timestamp (metav1.Time)."""
    t = EPOCH + _dt.timedelta(seconds=int(seconds))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_time(seconds: float) -> str:
    """Microsecond-precision timestamp (metav1.MicroTime)."""
    t = EPOCH + _dt.timedelta(microseconds=round(seconds * 1_000_000))
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse(stamp: str) -> float:
    """Virtual seconds for a timestamp produced by :func:`rfc3339` or :func:`micro_time`."""
    s = stamp.rstrip("Z")
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in s else "%Y-%m-%dT%H:%M:%S"
    t = _dt.datetime.strptime(s, fmt).replace(tzinfo=_dt.timezone.utc)
    return (t - EPOCH).total_seconds()
