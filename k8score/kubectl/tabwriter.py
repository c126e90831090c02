"""Go's ``text/tabwriter``: the column alignment behind every kubectl table and ``describe``.

kubectl writes cells separated by ``\\t`` and lets a tabwriter pad them into columns:

- tables (``kubectl get``) use minwidth 6, tabwidth 4, padding 3
  (cli-runtime/pkg/printers/tabwriter.go: tabwriterMinWidth, tabwriterWidth, tabwriterPadding);
- ``kubectl describe`` uses minwidth 0, tabwidth 8, padding 2
  (kubectl/pkg/describe/describe.go: tabbedString).

The algorithm is Go's, reimplemented: a *column block* is a run of consecutive lines that
all have a tab-terminated cell in that column; every cell of a block is padded to the
block's widest cell plus ``padding`` (at least ``minwidth``). The last cell of a line is
not tab-terminated, so it is never padded — kubectl lines carry no trailing spaces.

One deliberate difference: Go's tabwriter counts every code point as one column, so real kubectl
misaligns a column holding Chinese. Here a cell's width is its display width
(:func:`k8score.textwidth.width`: a CJK character is two columns), so tables with Chinese names or
values stay aligned in a terminal and on the site. ASCII output is byte-for-byte Go's.

>>> print(tabwrite("NAME\\tAGE\\nweb-1\\t5s\\n", minwidth=6, padding=3), end="")
NAME    AGE
web-1   5s
"""

from __future__ import annotations

from ..textwidth import width as _width

#: cli-runtime/pkg/printers/tabwriter.go
TABLE_MINWIDTH, TABLE_PADDING = 6, 3
#: kubectl/pkg/describe/describe.go tabbedString: out.Init(buf, 0, 8, 2, ' ', 0)
DESCRIBE_MINWIDTH, DESCRIBE_PADDING = 0, 2


def tabwrite(text: str, minwidth: int = 0, padding: int = 1) -> str:
    """Align the tab-separated cells of ``text`` the way Go's tabwriter (pad char ' ') does."""
    trailing_newline = text.endswith("\n")
    raw = text.split("\n")
    if trailing_newline:
        raw.pop()
    lines = [line.split("\t") for line in raw]
    out: list[str] = []
    _format(lines, [], 0, len(lines), out, minwidth, padding)
    result = "\n".join(out)
    return result + "\n" if trailing_newline and lines else result


def _format(lines: list[list[str]], widths: list[int], line0: int, line1: int,
            out: list[str], minwidth: int, padding: int) -> None:
    column = len(widths)
    this = line0
    while this < line1:
        if column >= len(lines[this]) - 1:
            this += 1
            continue
        # a cell in this column starts a block: print the lines above it first
        _write_lines(lines, widths, line0, this, out)
        line0 = this
        width = minwidth
        while this < line1 and column < len(lines[this]) - 1:
            width = max(width, _width(lines[this][column]) + padding)
            this += 1
        widths.append(width)
        _format(lines, widths, line0, this, out, minwidth, padding)
        widths.pop()
        line0 = this
    _write_lines(lines, widths, line0, line1, out)


def _write_lines(lines: list[list[str]], widths: list[int], line0: int, line1: int,
                 out: list[str]) -> None:
    for cells in lines[line0:line1]:
        parts = []
        for j, cell in enumerate(cells):
            parts.append(cell)
            if j < len(widths):
                parts.append(" " * (widths[j] - _width(cell)))
        out.append("".join(parts))
