"""Helpers shared by the architecture diagrams (loaded by path, not a package).

Not a diagram itself: it has no ``render``. Each diagram file loads it with
:func:`k8score.diagramgen.load` (``importlib`` by path) so ``diagrams/`` never
needs to be on ``sys.path``.

What lives here:

* the house style (fonts that can draw Chinese, colours for "not implemented yet");
* :func:`spec_map` — the component specs from :mod:`k8score.registry`, keyed by
  name, so every edge a diagram draws is read from the code;
* :func:`embed_images` — ``diagrams`` writes SVGs that point at its icon PNGs by
  absolute file path; the site needs self-contained images, so the icons are
  inlined as ``data:`` URIs.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from k8score.lang import tr

# Fonts: Noto Sans CJK draws both the Chinese and the Latin text (Debian fonts-noto-cjk).
FONT = "Noto Sans CJK SC"
GRAPH_ATTR = {"fontname": FONT, "fontsize": "20", "pad": "0.4", "nodesep": "0.7", "ranksep": "1.1",
              "splines": "spline"}
NODE_ATTR = {"fontname": FONT, "fontsize": "13"}
EDGE_ATTR = {"fontname": FONT, "fontsize": "11"}

# Colours: Kubernetes blue for what k8score runs, grey + dashed for what it does not run yet.
IMPLEMENTED_COLOR = "#326ce5"
FUTURE_COLOR = "#9e9e9e"
STORAGE_COLOR = "#419eda"     # etcd's blue
USER_COLOR = "#444444"

FORMATS = ("svg", "png")


def spec_map() -> dict:
    """``{name: ComponentSpec}`` from the code (``k8score.registry.specs()``), in registry order."""
    from k8score.registry import specs

    return {s.name: s for s in specs()}


def edge_style(implemented: bool, color: str = IMPLEMENTED_COLOR) -> dict:
    """Edge attributes: solid in ``color`` when the component runs, dashed grey when it is future work."""
    if implemented:
        return {"color": color, "fontcolor": color, "style": "solid"}
    return {"color": FUTURE_COLOR, "fontcolor": FUTURE_COLOR, "style": "dashed"}


def node_label(spec, short: str | None = None) -> str:
    """A component's label: its name (plus a short role) and a marker if not implemented."""
    label = spec.name if not short else f"{spec.name}\n{short}"
    return label if spec.implemented else label + "\n" + tr("(尚未实现)", "(not implemented yet)")


def resources_label(verb: str, resources: tuple[str, ...], per_line: int = 3) -> str:
    """``"watch: pods, nodes"`` wrapped every ``per_line`` resources so edge labels stay narrow."""
    if not resources:
        return ""
    rows = [", ".join(resources[i:i + per_line]) for i in range(0, len(resources), per_line)]
    return f"{verb}: " + ",\n".join(rows)


_IMAGE_HREF = re.compile(r'(xlink:href|href)="([^"]+\.png)"')


def embed_images(svg_path: Path) -> None:
    """Inline every ``<image href="/abs/icon.png">`` of an SVG as a base64 ``data:`` URI."""
    text = svg_path.read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        attr, href = match.group(1), match.group(2)
        icon = Path(href)
        if not icon.is_file():       # already relative/embedded or missing: leave it alone
            return match.group(0)
        data = base64.b64encode(icon.read_bytes()).decode("ascii")
        return f'{attr}="data:image/png;base64,{data}"'

    svg_path.write_text(_IMAGE_HREF.sub(inline, text), encoding="utf-8")


def outputs(outdir: Path, name: str) -> list[Path]:
    """The files a diagram named ``name`` writes into ``outdir`` (SVG icons embedded)."""
    paths = [outdir / f"{name}.{fmt}" for fmt in FORMATS]
    for p in paths:
        if p.suffix == ".svg" and p.exists():
            embed_images(p)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise RuntimeError(f"diagram {name!r} did not produce {missing}")
    return paths
