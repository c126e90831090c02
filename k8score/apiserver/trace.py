"""A trace of one request through the API server: what each stage decided, and why.

authentication -> authorization -> decoding/defaulting -> mutating admission ->
validation -> validating admission -> storage. Pages print it (``str(trace)``) to show the
pipeline a request really went through.
"""

from __future__ import annotations

import textwrap


_WIDTH = 100  # columns: what a page shows without a horizontal scroll


class Trace:
    """``steps``: ``(stage, outcome, detail)`` in order; ``result``: the HTTP code."""

    __slots__ = ("request", "steps", "code", "warnings")

    def __init__(self, request: str):
        self.request = request
        self.steps: list[tuple[str, str, str]] = []
        self.code = 0
        #: warnings for the client (fieldValidation=Warn, PodSecurity warn, webhooks...)
        self.warnings: list[str] = []

    def step(self, stage: str, outcome: str, detail: str = "") -> None:
        self.steps.append((stage, outcome, detail))

    def __str__(self) -> str:
        width = max([len(s) for s, _, _ in self.steps] + [10])
        lines = [self.request]
        for stage, outcome, detail in self.steps:
            line = f"  {stage:<{width}}  {outcome:<8} {detail}".rstrip()
            if len(line) > _WIDTH and detail:  # long details go on their own line, indented
                lines.append(f"  {stage:<{width}}  {outcome}")
                lines.append(textwrap.fill(detail, _WIDTH, initial_indent=" " * 6, subsequent_indent=" " * 6,
                                           break_long_words=False, break_on_hyphens=False))
            else:
                lines.append(line)
        for w in self.warnings:
            lines.append(f"  warning: {w}")
        lines.append(f"  => {self.code}")
        return "\n".join(lines)

    __repr__ = __str__
