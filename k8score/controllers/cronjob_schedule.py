"""Cron schedules as the CronJob controller reads them: robfig/cron v3 ``ParseStandard``.

Upstream (pkg/controller/cronjob, pkg/apis/batch/validation) parses ``spec.schedule`` with
github.com/robfig/cron/v3 ``cron.ParseStandard``: five fields (minute, hour, day of month,
month, day of week), the descriptors ``@yearly``/``@annually``, ``@monthly``, ``@weekly``,
``@daily``/``@midnight``, ``@hourly`` and ``@every <Go duration>``, and an optional
``TZ=<zone>`` / ``CRON_TZ=<zone>`` prefix (the controller adds ``TZ=<spec.timeZone>`` itself).
Errors carry the library's exact texts, which the API server shows in a 422.

``Schedule.next(t)`` is robfig's ``SpecSchedule.Next``: the first activation strictly after
``t`` (whole seconds), searched field by field in the schedule's zone (months and days on the
wall clock, hours/minutes/seconds in absolute time, as Go's ``time.Add`` does across DST);
``None`` when nothing matches within five years (``0 0 31 2 *``).

Time zones come from :mod:`zoneinfo` (system tz data, or the ``tzdata`` package under Pyodide).

>>> s = parse_standard("*/15 9-17 * * mon-fri")
>>> import datetime as dt
>>> s.next(dt.datetime(2026, 1, 2, 17, 50, tzinfo=dt.timezone.utc)).isoformat()
'2026-01-05T09:00:00+00:00'
>>> parse_standard("@every 90s").next(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)).isoformat()
'2026-01-01T00:01:30+00:00'
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Optional

_UTC = _dt.timezone.utc

# robfig/cron v3 parser.go: bounds of each field, and the names a field accepts
_MONTHS = {n: i + 1 for i, n in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
_DOWS = {n: i for i, n in enumerate("sun mon tue wed thu fri sat".split())}
_FIELDS = (("minute", 0, 59, {}), ("hour", 0, 23, {}), ("dom", 1, 31, {}), ("month", 1, 12, _MONTHS),
           ("dow", 0, 6, _DOWS))
# robfig/cron v3 parser.go parseDescriptor
_DESCRIPTORS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
                "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
                "@hourly": "0 * * * *"}
# spec.go Next: "If no time is found within five years, return zero"
_YEAR_LIMIT = 5


class CronError(ValueError):
    """A schedule robfig/cron rejects; ``str()`` is the library's message."""


def load_location(name: str) -> _dt.tzinfo:
    """Go ``time.LoadLocation``: "" and "UTC" are UTC, "Local" is the process zone (UTC here)."""
    if name in ("", "UTC", "Local"):
        return _UTC
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo(name)
    except Exception:  # noqa: BLE001 - ZoneInfoNotFoundError, ValueError for odd names
        raise CronError(f"unknown time zone {name}") from None


_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Go ``time.ParseDuration`` (seconds): ``1h30m``, ``90s``, ``1.5h``."""
    m = re.fullmatch(r"[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+", text)
    if not m or text in ("", "+", "-"):
        raise CronError(f'time: invalid duration "{text}"')
    sign = -1.0 if text.startswith("-") else 1.0
    total = sum(float(num) * _DURATION_UNITS[unit]
                for num, unit in re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)", text))
    return sign * total


class Every:
    """``@every d``: robfig ConstantDelaySchedule — whole seconds, at least one."""

    def __init__(self, seconds: float):
        self.delay = max(1, int(seconds))

    def next(self, t: _dt.datetime) -> _dt.datetime:
        return (t + _dt.timedelta(seconds=self.delay)).replace(microsecond=0)


class Schedule:
    """robfig SpecSchedule: the allowed values of each field, and its zone."""

    def __init__(self, fields: dict[str, set[int]], stars: dict[str, bool], location: _dt.tzinfo | None):
        self.fields = fields
        self.stars = stars
        self.location = location

    def _day_matches(self, t: _dt.datetime) -> bool:
        dom = t.day in self.fields["dom"]
        dow = (t.isoweekday() % 7) in self.fields["dow"]
        if self.stars["dom"] or self.stars["dow"]:
            return dom and dow
        return dom or dow

    def next(self, t: _dt.datetime) -> Optional[_dt.datetime]:
        """The first activation strictly after ``t`` (an aware datetime), in ``t``'s zone."""
        orig_tz = t.tzinfo
        loc = self.location or orig_tz or _UTC
        t = t.astimezone(loc)
        t = (t + _dt.timedelta(seconds=1)).replace(microsecond=0)

        def add(x: _dt.datetime, **kw: float) -> _dt.datetime:   # absolute time, like Go's Add
            return (x.astimezone(_UTC) + _dt.timedelta(**kw)).astimezone(loc)

        added = False
        year_limit = t.year + _YEAR_LIMIT
        f = self.fields
        while True:   # WRAP
            if t.year > year_limit:
                return None
            restart = False
            while t.month not in f["month"]:
                if not added:
                    added = True
                    t = t.replace(day=1, hour=0, minute=0, second=0)
                y, m = (t.year + 1, 1) if t.month == 12 else (t.year, t.month + 1)
                t = _wall(loc, y, m, 1)
                if t.month == 1:
                    restart = True
                    break
            if restart:
                continue
            while not self._day_matches(t):
                if not added:
                    added = True
                    t = _wall(loc, t.year, t.month, t.day)
                t = _wall(loc, *_next_day(t))
                if t.day == 1:
                    restart = True
                    break
            if restart:
                continue
            while t.hour not in f["hour"]:
                if not added:
                    added = True
                    t = t.replace(minute=0, second=0)
                t = add(t, hours=1)
                if t.hour == 0:
                    restart = True
                    break
            if restart:
                continue
            while t.minute not in f["minute"]:
                if not added:
                    added = True
                    t = t.replace(second=0)
                t = add(t, minutes=1)
                if t.minute == 0:
                    restart = True
                    break
            if restart:
                continue
            while t.second not in f["second"]:
                if not added:
                    added = True
                t = add(t, seconds=1)
                if t.second == 0:
                    restart = True
                    break
            if restart:
                continue
            return t.astimezone(orig_tz) if orig_tz is not None else t


def _wall(loc: _dt.tzinfo, y: int, m: int, d: int) -> _dt.datetime:
    return _dt.datetime(y, m, d, tzinfo=loc)


def _next_day(t: _dt.datetime) -> tuple[int, int, int]:
    n = _dt.date(t.year, t.month, t.day) + _dt.timedelta(days=1)
    return n.year, n.month, n.day


def _int(text: str) -> int:
    if not re.fullmatch(r"[+-]?\d+", text):
        raise CronError(f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax')
    n = int(text)
    if n < 0:
        raise CronError(f"negative number ({n}) not allowed: {text}")
    return n


def _int_or_name(text: str, names: dict[str, int]) -> int:
    if names and text.lower() in names:
        return names[text.lower()]
    return _int(text)


def _range(expr: str, lo: int, hi: int, names: dict[str, int]) -> tuple[set[int], bool]:
    """robfig getRange: ``*``, ``?``, ``a``, ``a-b``, each with an optional ``/step``."""
    range_and_step = expr.split("/")
    low_high = range_and_step[0].split("-")
    single = len(low_high) == 1
    star = False
    if low_high[0] in ("*", "?"):
        start, end, star = lo, hi, True
    else:
        start = _int_or_name(low_high[0], names)
        if len(low_high) == 1:
            end = start
        elif len(low_high) == 2:
            end = _int_or_name(low_high[1], names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _int(range_and_step[1])
        if single:
            end = hi   # "N/step" is shorthand for "N-max/step"
        if step > 1:
            star = False
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < lo:
        raise CronError(f"beginning of range ({start}) below minimum ({lo}): {expr}")
    if end > hi:
        raise CronError(f"end of range ({end}) above maximum ({hi}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    return set(range(start, end + 1, step)), star


def parse_standard(spec: str) -> Schedule | Every:
    """robfig/cron v3 ``ParseStandard``; raises :class:`CronError` with the library's text."""
    if not spec:
        raise CronError("empty spec string")
    location: _dt.tzinfo | None = None
    if spec.startswith(("TZ=", "CRON_TZ=")):
        i, eq = spec.find(" "), spec.find("=")
        zone = spec[eq + 1:i] if i >= 0 else spec[eq + 1:]
        try:
            location = load_location(zone)
        except CronError as err:
            raise CronError(f"provided bad location {zone}: {err}") from None
        spec = spec[i:].strip() if i >= 0 else ""
    if spec.startswith("@"):
        if spec.startswith("@every "):
            text = spec[len("@every "):]
            try:
                seconds = parse_duration(text)
            except CronError as err:
                raise CronError(f"failed to parse duration {spec}: {err}") from None
            return Every(seconds)
        if spec not in _DESCRIPTORS:
            raise CronError(f"unrecognized descriptor: {spec}")
        spec = _DESCRIPTORS[spec]
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    values: dict[str, set[int]] = {"second": {0}}
    stars: dict[str, bool] = {}
    for text, (name, lo, hi, names) in zip(fields, _FIELDS):
        bits: set[int] = set()
        star = False
        for expr in text.split(","):
            got, s = _range(expr, lo, hi, names)
            bits |= got
            star = star or s
        values[name], stars[name] = bits, star
    return Schedule(values, stars, location)
