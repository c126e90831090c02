"""``time.Parse`` of Go for the two layouts the API uses, with Go's error texts.

metav1.Time decodes with ``time.Parse(time.RFC3339, s)`` and encodes as RFC 3339 in UTC
with whole seconds; metav1.MicroTime uses ``RFC3339Micro`` (``.000000`` required) both
ways (apimachinery pkg/apis/meta/v1/time.go, micro_time.go). The parser follows Go's
``time/format.go`` step by step so a bad value gets the same message, e.g.

>>> canonical("2024-05-01T10:00:00.5+02:00", micro=False)
'2024-05-01T08:00:00Z'
>>> try: canonical("yesterday", micro=False)
... except ValueError as e: print(e)
parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"
"""

from __future__ import annotations

import datetime as _dt

RFC3339 = "2006-01-02T15:04:05Z07:00"
RFC3339_MICRO = "2006-01-02T15:04:05.000000Z07:00"
# layout chunks: (literal prefix, std element); "" element = end of layout
_CHUNKS = [("", "2006"), ("-", "01"), ("-", "02"), ("T", "15"), (":", "04"), (":", "05")]
_TAIL = [("", "Z07:00"), ("", "")]
_TAIL_MICRO = [("", ".000000"), ("", "Z07:00"), ("", "")]


def _quote(s: str) -> str:
    """Go time.quote: non-ASCII and control bytes as \\xNN, escape quote and backslash."""
    out = ['"']
    for ch in s:
        if ord(ch) >= 0x80 or ch < " ":
            out.extend(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogatepass"))
        else:
            out.append("\\" + ch if ch in '"\\' else ch)
    out.append('"')
    return "".join(out)


def _num(v: str, fixed: bool) -> tuple[int, str]:
    # time.getnum: one or two digits (exactly two when fixed)
    if not v[:1].isdigit() or not v[:1].isascii():
        raise _Bad
    if len(v) < 2 or not (v[1].isdigit() and v[1].isascii()):
        if fixed:
            raise _Bad
        return int(v[0]), v[1:]
    return int(v[:2]), v[2:]


class _Bad(Exception):
    pass


def _daysin(month: int, year: int) -> int:
    if month == 2:
        return 29 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def parse(value: str, micro: bool) -> _dt.datetime:
    """An aware datetime (UTC offset kept); ValueError with Go's message."""
    layout = RFC3339_MICRO if micro else RFC3339
    f = {"year": 0, "month": 1, "day": 1, "hour": 0, "min": 0, "sec": 0, "ns": 0, "off": 0}
    v = value

    def err(elem: str, rest: str, msg: str = "") -> ValueError:
        if msg:
            return ValueError(f"parsing time {_quote(value)}{msg}")
        return ValueError(f"parsing time {_quote(value)} as {_quote(layout)}: "
                          f"cannot parse {_quote(rest)} as {_quote(elem)}")

    chunks = _CHUNKS + (_TAIL_MICRO if micro else _TAIL)
    for i, (prefix, std) in enumerate(chunks):
        if prefix:
            if not v.startswith(prefix):
                raise err(prefix, v)
            v = v[len(prefix):]
        if not std:
            if v:
                raise err("", "", f": extra text: {_quote(v)}")
            break
        hold, rng = v, ""
        try:
            if std == "2006":
                if len(v) < 4 or not v[:4].isdigit() or not v[:4].isascii():
                    raise _Bad
                f["year"], v = int(v[:4]), v[4:]
            elif std in ("01", "02", "04", "05", "15"):
                n, v = _num(v, std != "15")
                key = {"01": "month", "02": "day", "04": "min", "05": "sec", "15": "hour"}[std]
                f[key] = n
                if key == "month" and not 1 <= n <= 12:
                    rng = "month"
                elif key == "hour" and n >= 24:
                    rng = "hour"
                elif key == "min" and n >= 60:
                    rng = "minute"
                elif key == "sec":
                    if n >= 60:
                        rng = "second"
                    elif not micro and len(v) >= 2 and v[0] in ".," and v[1].isdigit():
                        # Go accepts a fraction after seconds the layout does not show
                        n = 2
                        while n < len(v) and v[n].isdigit() and v[n].isascii():
                            n += 1
                        f["ns"] = int(v[1:min(n, 10)].ljust(9, "0"))
                        v = v[n:]
            elif std == ".000000":
                if len(v) < 7 or v[0] not in ".," or not v[1:7].isdigit() or not v[1:7].isascii():
                    raise _Bad
                f["ns"], v = int(v[1:7]) * 1000, v[7:]
            elif std == "Z07:00":
                if v[:1] == "Z":
                    v = v[1:]
                else:
                    if len(v) < 6 or v[3] != ":" or v[0] not in "+-":
                        raise _Bad
                    hh, _ = _num(v[1:3], True)
                    mm, _ = _num(v[4:6], True)
                    if hh > 24:
                        rng = "time zone offset hour"
                    if mm > 60:
                        rng = "time zone offset minute"
                    f["off"] = (hh * 60 + mm) * 60 * (-1 if v[0] == "-" else 1)
                    v = v[6:]
        except _Bad:
            raise err(std, hold) from None
        if rng:
            raise err("", "", f": {rng} out of range")
    if f["day"] < 1 or f["day"] > _daysin(f["month"], f["year"]):
        raise err("", "", ": day out of range")
    tz = _dt.timezone(_dt.timedelta(seconds=f["off"]))
    try:
        return _dt.datetime(f["year"] or 1, f["month"], f["day"], f["hour"], f["min"], f["sec"],
                            f["ns"] // 1000, tzinfo=tz)
    except (ValueError, OverflowError):  # year 0000 or an offset past a day: Go keeps these
        raise err("", "", ": day out of range") from None


def canonical(value: str, micro: bool) -> str:
    """The string the API server stores: UTC, whole seconds (Time) or microseconds."""
    t = parse(value, micro)
    try:
        u = t.astimezone(_dt.timezone.utc)
    except OverflowError:
        u = t.replace(tzinfo=_dt.timezone.utc)
    if micro:
        return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}.{u.microsecond:06d}Z"
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"
