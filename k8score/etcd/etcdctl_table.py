"""etcdctl's table output and the value formats its cluster commands print.

``table()`` draws what etcdctl/ctlv3/command/printer_table.go gets from
olekukonko/tablewriter with ``SetAlignment(ALIGN_RIGHT)``: upper-case headers centred
(the extra space on the right), every cell right-aligned, ``+---+`` borders.
(tablewriter wraps cells over 30 characters at spaces; no cell here is that long.)
``human_bytes`` is go-humanize ``Bytes`` (SI units, as ``DB SIZE`` shows "25 kB");
``go_duration`` is Go's ``time.Duration.String`` (``took = 2.784085ms``).
"""

from __future__ import annotations

import math


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    cols = [h.upper() for h in header]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(cols)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def centre(s: str, w: int) -> str:
        gap = w - len(s)
        return " " * (gap // 2) + s + " " * (gap - gap // 2)

    out = [line, "|" + "|".join(f" {centre(h, w)} " for h, w in zip(cols, widths)) + "|", line]
    for r in rows:
        out.append("|" + "|".join(f" {c.rjust(w)} " for c, w in zip(r, widths)) + "|")
    out.append(line)
    return out


def human_bytes(n: int) -> str:
    """go-humanize Bytes: base 1000, one decimal under 10 (``24576`` -> ``25 kB``)."""
    if n < 10:
        return f"{n} B"
    e = int(math.floor(math.log(n) / math.log(1000)))
    unit = ["B", "kB", "MB", "GB", "TB", "PB", "EB"][e]
    val = math.floor(n / 1000 ** e * 10 + 0.5) / 10
    return f"{val:.0f} {unit}" if val >= 10 else f"{val:.1f} {unit}"


def go_duration(seconds: float) -> str:
    """time.Duration.String for durations under a minute."""
    ns = int(round(seconds * 1e9))
    if ns == 0:
        return "0s"
    if ns < 1000:
        return f"{ns}ns"
    for unit, scale in (("µs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000)):
        if ns < scale * 1000 or unit == "s":
            whole, frac = divmod(ns, scale)
            digits = len(str(scale)) - 1
            text = str(whole)
            if frac:
                text += "." + str(frac).rjust(digits, "0").rstrip("0")
            return text + unit
    raise AssertionError("unreachable")
