"""Wall-clock-looking timestamps derived from the virtual clock.

Objects carry RFC 3339 timestamps like the real API; here they are a fixed epoch
plus virtual seconds, so a seed reproduces them exactly.

>>> rfc3339(7.9)
'2026-01-01T00:00:07Z'
>>> micro_time(7.25)
'2026-01-01T00:00:07.250000Z'
>>> parse(rfc3339(3600))
3600.0

Another epoch (``Loop(seed, epoch=...)``; ``k8score serve`` uses the wall time at start, so
real kubectl's AGE columns are right) does not change these functions: the loop's clock
starts at the epoch's offset from :data:`EPOCH` instead of 0, and every timestamp follows.

>>> epoch_offset("2026-01-02T00:00:00Z")
86400.0
>>> epoch_offset(1767225600 + 60)
60.0
"""

from __future__ import annotations

import datetime as _dt

EPOCH = _dt.datetime(2026, 1, 1, tzinfo=_dt.timezone.utc)


def epoch_offset(epoch: "_dt.datetime | float | int | str") -> float:
    """Virtual seconds at which the clock of a loop whose time 0 is ``epoch`` starts.

    ``epoch``: an aware ``datetime`` (naive ones are UTC), Unix seconds, or an RFC 3339
    string. It may not precede :data:`EPOCH` (components treat time as non-negative).
    """
    if isinstance(epoch, str):
        epoch = _dt.datetime.fromisoformat(epoch.replace("Z", "+00:00"))
    if isinstance(epoch, (int, float)):
        epoch = _dt.datetime.fromtimestamp(epoch, _dt.timezone.utc)
    if epoch.tzinfo is None:
        epoch = epoch.replace(tzinfo=_dt.timezone.utc)
    offset = (epoch - EPOCH).total_seconds()
    if offset < 0:
        raise ValueError(f"epoch {epoch.isoformat()} precedes {EPOCH.isoformat()}")
    return offset


def rfc3339(seconds: float) -> str:
    """Second-precision timestamp (metav1.Time)."""
    t = EPOCH + _dt.timedelta(seconds=int(seconds))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_time(seconds: float) -> str:
    """Microsecond-precision timestamp (metav1.MicroTime)."""
    t = EPOCH + _dt.timedelta(microseconds=round(seconds * 1_000_000))
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


#: parse()'s answers: timestamps repeat (every sort of pods by creationTimestamp parses the
#: same few thousand stamps), and strptime costs ~40 µs each. Bounded: cleared when full.
_PARSED: dict[str, float] = {}
_PARSED_MAX = 200_000


def parse(stamp: str) -> float:
    """Virtual seconds for a timestamp produced by :func:`rfc3339` or :func:`micro_time`."""
    got = _PARSED.get(stamp)
    if got is not None:
        return got
    s = stamp.rstrip("Z")
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in s else "%Y-%m-%dT%H:%M:%S"
    t = _dt.datetime.strptime(s, fmt).replace(tzinfo=_dt.timezone.utc)
    value = (t - EPOCH).total_seconds()
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[stamp] = value
    return value
