"""Rich output for runnable examples: ``show(cluster)`` draws the live cluster diagram.

Page code calls :func:`show` with a :class:`~k8score.Cluster` (or anything with a
``diagram()`` method returning Graphviz DOT, or a DOT string). Whoever runs the
code decides how to display it by installing a handler with
:func:`set_handler`: the site's build step renders the DOT with native Graphviz
into the page, the in-browser runner posts it to the page, which renders it with
Graphviz compiled to WebAssembly. Without a handler (a plain Python shell) the
DOT text is printed.
"""

from __future__ import annotations

from typing import Any, Callable

_handler: Callable[[str], Any] | None = None


def to_dot(obj: Any) -> str:
    if isinstance(obj, str):
        return obj
    diagram = getattr(obj, "diagram", None)
    if callable(diagram):
        return diagram()
    raise TypeError(f"show() needs a Cluster or Graphviz DOT text, got {type(obj).__name__}")


def show(obj: Any) -> None:
    """Display ``obj`` (a Cluster or DOT text) as a diagram.

    An object with a ``display_segment()`` method (a :class:`k8score.historyview.TimelineView`)
    hands the handler that whole segment (a dict with its own ``kind``) instead of DOT text;
    without a handler it is printed (``str(obj)``).
    """
    segment = getattr(obj, "display_segment", None)
    if callable(segment):
        if _handler is None:
            print(obj)
        else:
            _handler(segment())
        return
    dot = to_dot(obj)
    if _handler is None:
        print(dot)
    else:
        _handler(dot)


def set_handler(fn: Callable[[str], Any] | None) -> None:
    """Install the function that receives DOT text from :func:`show` (None: print it)."""
    global _handler
    _handler = fn
