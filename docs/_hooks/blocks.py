"""Find the runnable code blocks of a Markdown page.

A runnable block is a fenced block whose info string is ``python run`` followed by options::

    ```python run
    print("hello")
    ```

Options (space separated, after ``run``):

* ``expect-error`` -- the block is meant to raise; the build shows the shortened traceback
  instead of failing (and fails if the block does *not* raise).

Fences may be indented (inside admonitions, content tabs, lists); the indent is removed from
the code. Fences inside other fences (e.g. a ````` ````markdown ````` example showing the
syntax) are not runnable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

OPTIONS = frozenset({"expect-error"})

_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n]*)$")
_RUN_INFO = re.compile(r"^python[ \t]+run(?:[ \t]+(?P<opts>.*))?$")


class FenceError(ValueError):
    """A runnable fence that cannot be used (unknown option, never closed)."""


@dataclass
class Block:
    index: int  # 0-based position among the page's runnable blocks
    start: int  # line number (0-based) of the opening fence
    end: int  # line number (0-based) of the closing fence
    indent: str
    code: str
    options: frozenset = field(default_factory=frozenset)

    @property
    def expect_error(self) -> bool:
        return "expect-error" in self.options


def find_blocks(markdown: str) -> list[Block]:
    """Every runnable block of ``markdown``, in page order."""
    lines = markdown.split("\n")
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m or (m["fence"][0] == "`" and "`" in m["info"]):
            i += 1
            continue
        indent, fence, info = m["indent"], m["fence"], m["info"].strip()
        close = _find_close(lines, i + 1, indent, fence)
        run = _RUN_INFO.match(info)
        if run:
            if close is None:
                raise FenceError(f"line {i + 1}: runnable block is never closed")
            opts = frozenset((run["opts"] or "").split())
            unknown = opts - OPTIONS
            if unknown:
                raise FenceError(
                    f"line {i + 1}: unknown option(s) {sorted(unknown)} "
                    f"(known: {sorted(OPTIONS)})"
                )
            code = "\n".join(_dedent(line, indent) for line in lines[i + 1 : close])
            blocks.append(Block(len(blocks), i, close, indent, code, opts))
        i = (close if close is not None else len(lines)) + 1
    return blocks


def replace_blocks(markdown: str, blocks: list[Block], token) -> str:
    """Replace each block's fence by the line ``indent + token(block)`` (a placeholder paragraph)."""
    lines = markdown.split("\n")
    for block in reversed(blocks):
        lines[block.start : block.end + 1] = ["", block.indent + token(block), ""]
    return "\n".join(lines)


def _find_close(lines: list[str], start: int, indent: str, fence: str) -> int | None:
    char = fence[0]
    pattern = re.compile(rf"^[ \t]*{re.escape(char)}{{{len(fence)},}}[ \t]*$")
    for j in range(start, len(lines)):
        if pattern.match(lines[j]) and len(lines[j]) - len(lines[j].lstrip()) <= len(indent) + 3:
            return j
    return None


def _dedent(line: str, indent: str) -> str:
    return line[len(indent) :] if line.startswith(indent) else line.lstrip(" \t")
