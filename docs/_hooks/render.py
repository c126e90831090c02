"""The HTML of a runnable block: highlighted code, then the build-time output.

The same structure is produced live by ``web/block.js``, so styles and tests see one shape::

    <div class="k8s-run" data-index="0" data-code="..." [data-expect-error]>
      <div class="language-python highlight"><pre><span></span><code>...</code></pre></div>
      <div class="k8s-run__out" data-search-exclude>
        <pre class="k8s-run__text">stdout</pre>             one per text segment
        <div class="k8s-run__diagram"><svg>...</svg></div>  one per show()
        <pre class="k8s-run__text k8s-run__error">traceback</pre>
      </div>
    </div>

All text is HTML-escaped; the SVG comes from Graphviz, which escapes labels itself.
"""

from __future__ import annotations

from html import escape

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from blocks import Block


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


def output_html(result: dict, render_dot) -> str:
    parts = []
    for seg in result["segments"]:
        if seg["kind"] == "dot":
            parts.append(f'<div class="k8s-run__diagram">{render_dot(seg["dot"])}</div>')
        else:
            cls = "k8s-run__text k8s-run__error" if seg["kind"] == "error" else "k8s-run__text"
            # the newline after <pre> is eaten by the HTML parser, so text starting with one survives
            parts.append(f'<pre class="{cls}">\n{escape(seg["text"], quote=False)}</pre>')
    return "".join(parts)
