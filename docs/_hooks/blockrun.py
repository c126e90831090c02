"""Run a page's ``python run`` blocks in one shared namespace and capture what they show.

This one file runs in two places, so a block's output is the same in both:

* natively at site build time (``docs/_hooks/native.py``) and in the test suite;
* in the browser, inside the Pyodide Web Worker (esbuild bundles this file's text into
  ``web/worker.js``).

It only uses the standard library (and ``k8score.display`` when importable).

A run returns a list of *segments* in the order the block produced them:
``{"kind": "text", "text": ...}`` for stdout/stderr, ``{"kind": "dot", "dot": ...}`` for each
``show(...)`` call and ``{"kind": "error", "text": ...}`` for an exception, whose traceback is
shortened to the reader's own code (frames of the page's blocks only, no runner or library
frames) and ends with ``Type: message`` -- the same on CPython 3.11 and Pyodide's 3.14, because
it is formatted here rather than by the interpreter's version-dependent traceback printer.

A session has the language of its page (``"zh"`` or ``"en"``): each block runs with
``k8score.lang`` set to it (k8score's own words: explain tables, summaries), and tracebacks name
blocks ``<代码块 n>`` on Chinese pages, ``<block n>`` on English ones.
"""

from __future__ import annotations

import sys

# shown in tracebacks; n counts from 1 on each page
BLOCK_FILENAMES = {"zh": "<代码块 {n}>", "en": "<block {n}>"}


class _Capture:
    """A text stream that appends to the run's segment list (stdout and stderr share it).

    ``on_text`` (optional) also receives each piece of text as it is written: the browser's
    worker streams it to the page while the block still runs. The segments stay the result.
    """

    def __init__(self, segments: list, on_text=None):
        self._segments = segments
        self._on_text = on_text

    def write(self, text: str) -> int:
        if text and self._on_text is not None:
            self._on_text(text)
        if text:
            if self._segments and self._segments[-1]["kind"] == "text":
                self._segments[-1]["text"] += text
            else:
                self._segments.append({"kind": "text", "text": text})
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class Session:
    """One page's Python session: a fresh ``__main__``-like namespace shared by its blocks.

    ``lang``: the page's language, ``"zh"`` (default) or ``"en"`` (see the module docstring).
    """

    def __init__(self, lang: str = "zh") -> None:
        self.lang = "en" if str(lang).startswith("en") else "zh"
        self.namespace: dict = {"__name__": "__main__", "__builtins__": __builtins__}
        self._sources: dict[str, list[str]] = {}
        self._segments: list | None = None

    def run(self, code: str, index: int, on_text=None) -> dict:
        """Run block ``index`` (0-based) of the page; return ``{"segments": [...], "error": bool}``.

        ``on_text(text)``, if given, is called with everything the block prints, as it prints it.
        The block runs in the session's language; the previous language is restored after it.
        """
        filename = BLOCK_FILENAMES[self.lang].format(n=index + 1)
        self._sources[filename] = code.splitlines()
        segments: list = []
        self._segments = segments
        capture = _Capture(segments, on_text)
        display = _display_module()
        lang = _lang_module()
        old_lang = lang.set_language(self.lang) if lang else None
        old_out, old_err = sys.stdout, sys.stderr
        old_handler = display._handler if display else None
        sys.stdout = sys.stderr = capture
        if display:
            display.set_handler(self._on_show)
        error = False
        try:
            exec(compile(code, filename, "exec"), self.namespace)
        except BaseException as exc:  # the reader's code may raise anything, even SystemExit
            error = True
            sys.stdout, sys.stderr = old_out, old_err
            segments.append({"kind": "error", "text": self.format_exception(exc)})
        finally:
            sys.stdout, sys.stderr = old_out, old_err
            if display:
                display.set_handler(old_handler)
            if lang:
                lang.set_language(old_lang)
            self._segments = None
        return {"segments": segments, "error": error}

    def _on_show(self, dot: str) -> None:
        assert self._segments is not None
        # a whole segment (a timeline: k8score.display.show of a TimelineView) or DOT text
        self._segments.append(dot if isinstance(dot, dict) else {"kind": "dot", "dot": dot})

    def format_exception(self, exc: BaseException) -> str:
        """A traceback of the reader's frames only, then ``Type: message``."""
        lines = []
        tb = exc.__traceback__
        frames = []
        while tb is not None:
            code = tb.tb_frame.f_code
            if code.co_filename in self._sources:
                frames.append((code.co_filename, tb.tb_lineno, code.co_name))
            tb = tb.tb_next
        if frames:
            lines.append("Traceback (most recent call last):")
            for filename, lineno, name in frames:
                lines.append(f'  File "{filename}", line {lineno}, in {name}')
                source = self._line(filename, lineno)
                if source:
                    lines.append(f"    {source}")
        if isinstance(exc, SyntaxError) and exc.filename in self._sources:
            lines.append(f'  File "{exc.filename}", line {exc.lineno}')
            source = self._line(exc.filename, exc.lineno or 0)
            if source:
                lines.append(f"    {source}")
            lines.append(f"{type(exc).__name__}: {exc.msg}")
        else:
            message = str(exc)
            lines.append(f"{type(exc).__name__}: {message}" if message else type(exc).__name__)
        return "\n".join(lines) + "\n"

    def _line(self, filename: str, lineno: int) -> str:
        source = self._sources.get(filename, [])
        return source[lineno - 1].strip() if 0 < lineno <= len(source) else ""


def _lang_module():
    try:
        from k8score import lang
    except ImportError:  # k8score not installed (or older): blocks still run, in Chinese
        return None
    return lang


def _display_module():
    try:
        from k8score import display
    except ImportError:  # k8score not installed: blocks can still print
        return None
    return display
