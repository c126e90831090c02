"""The HTML of a runnable block: highlighted code, then the build-time output.

The same structure is produced live by ``web/block.js``, so styles and tests see one shape::

    <div class="k8s-run" data-index="0" data-code="..." [data-expect-error]>
      <div class="language-python highlight"><pre><span></span><code>...</code></pre></div>
      <div class="k8s-run__out" data-search-exclude>
        <pre class="k8s-run__text">stdout</pre>             one per text segment; each table
                                                            in it: <span class="k8s-run__table">
        <div class="k8s-run__diagram"><svg>...</svg></div>  one per show()
        <div class="k8s-timeline">...</div>                  one per show(c.timeline_view()): timeline.py
        <pre class="k8s-run__text k8s-run__error">traceback</pre>
      </div>
    </div>

All text is HTML-escaped; the SVG comes from Graphviz, which escapes labels itself.
"""

from __future__ import annotations

import re
from html import escape

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from blocks import Block
from timeline import timeline_html


def block_html(block: Block, result: dict, render_dot) -> str:
    code_html = highlight(block.code, PythonLexer(), HtmlFormatter(nowrap=True))
    attrs = f' data-index="{block.index}" data-code="{escape(block.code, quote=True)}"'
    if block.expect_error:
        attrs += " data-expect-error"
    return (
        f'<div class="k8s-run"{attrs}>'
        f'<div class="language-python highlight"><pre><span></span><code>{code_html}</code></pre></div>'
        # Outputs (kubectl tables, diagram labels) stay out of the search index: noise there.
        f'<div class="k8s-run__out" data-search-exclude>{output_html(result, render_dot)}</div>'
        "</div>"
    )


# A table header as kubectl, crictl, etcdctl print it: two or more upper-case columns two or more
# spaces apart ("NAME   READY   STATUS", "POD ID   CREATED"). Same rule in web/page.js.
_TABLE_HEADER = re.compile(r"^ *[A-Z][A-Z0-9_()./%:-]*(?: [A-Z(][A-Z0-9_()./%:-]*)*"
                           r"(?: {2,}[A-Z(][A-Z0-9_()./%:-]*(?: [A-Z(][A-Z0-9_()./%:-]*)*)+ *$")


def text_runs(text: str) -> list[tuple[bool, str]]:
    """``text`` cut into ``(is_table, part)`` runs whose parts join back to ``text``.

    A table runs from a header line (:data:`_TABLE_HEADER`) to the next empty line. Tables keep
    their lines (a wide one scrolls on its own, with a shadow at the edge); every other line
    wraps at the box's edge, so nothing is hidden (k8s-run.css). web/page.js does the same live.
    """
    runs: list[tuple[bool, str]] = []
    table = False
    for line in re.findall(r"[^\n]*\n|[^\n]+\Z", text):  # lines at \n only, as in web/page.js
        if not table and _TABLE_HEADER.match(line.rstrip("\n")):
            table = True
        elif table and not line.strip():
            table = False
        if runs and runs[-1][0] == table:
            runs[-1] = (table, runs[-1][1] + line)
        else:
            runs.append((table, line))
    return runs


def text_html(text: str) -> str:
    """The inside of a text segment's <pre>: escaped text, tables in their own scrolling span."""
    return "".join(f'<span class="k8s-run__table">{escape(part, quote=False)}</span>' if table
                   else escape(part, quote=False) for table, part in text_runs(text))


def output_html(result: dict, render_dot) -> str:
    parts = []
    for seg in result["segments"]:
        if seg["kind"] == "dot":
            parts.append(f'<div class="k8s-run__diagram">{render_dot(seg["dot"])}</div>')
        elif seg["kind"] == "timeline":  # show(c.timeline_view()): a slider over frames (timeline.py)
            parts.append(timeline_html(seg, render_dot))
        else:
            cls = "k8s-run__text k8s-run__error" if seg["kind"] == "error" else "k8s-run__text"
            # the newline after <pre> is eaten by the HTML parser, so text starting with one survives
            parts.append(f'<pre class="{cls}">\n{text_html(seg["text"])}</pre>')
    return "".join(parts)
