"""The language of k8score's own words: Chinese (``"zh"``, the default) or English (``"en"``).

k8score prints some text of its own beside what Kubernetes prints: the scheduler's explain table
labels, each component's one-line ``summary``, the architecture diagrams' labels. The site has a
Chinese and an English edition, and a block on an English page must print English. Kubernetes'
own texts (kubectl tables, events, API errors, log lines) are not k8score's words and stay exactly
as upstream prints them, in English, whatever the language.

There is no catalogue: each call site carries both texts side by side, so a translation cannot
drift away from the text it translates::

    >>> from k8score.lang import set_language, tr
    >>> tr("总分", "total")
    '总分'
    >>> previous = set_language("en"); tr("总分", "total")
    'total'
    >>> _ = set_language(previous)

The language is one module-level value (a page runs in one language; the site's runner sets it
before each block: ``docs/_hooks/blockrun.py``). It is read when text is produced, never cached:
class attributes that are text use :class:`Text`, which reads the language on every access.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

LANGUAGES = ("zh", "en")
DEFAULT = "zh"

_current = DEFAULT


def language() -> str:
    """The current language, ``"zh"`` or ``"en"``."""
    return _current


def set_language(lang: str) -> str:
    """Make ``lang`` (``"zh"`` or ``"en"``) the current language; returns the previous one.

    ``"en-US"``-style tags (an HTML ``lang`` attribute) are accepted by their first part.
    """
    global _current
    code = str(lang).split("-")[0].split("_")[0].lower()
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: expected one of {', '.join(LANGUAGES)}")
    previous, _current = _current, code
    return previous


@contextmanager
def using(lang: str) -> Iterator[str]:
    """``with using("en"): ...`` runs the body in ``lang`` and restores the language after."""
    previous = set_language(lang)
    try:
        yield lang
    finally:
        set_language(previous)


def tr(zh: str, en: str) -> str:
    """``zh`` or ``en``, whichever the current language is."""
    return en if _current == "en" else zh


class Text:
    """A class attribute that reads as ``tr(zh, en)`` each time it is accessed.

    A plain string attribute would be fixed at import time, before any page chose its
    language; this descriptor is read on the class and on instances alike::

        class Scheduler(Component):
            summary = Text("为 Pod 选择节点…", "Picks a node for each pod…")

        Scheduler.summary        # the text in the current language
    """

    __slots__ = ("zh", "en")

    def __init__(self, zh: str, en: str):
        self.zh = zh
        self.en = en

    def __get__(self, obj: object, owner: type | None = None) -> str:
        return tr(self.zh, self.en)

    def __repr__(self) -> str:
        return f"Text({self.zh!r}, {self.en!r})"
