"""mkdocs-gen-files script: put the rendered ``diagrams/*.py`` images into the site.

Each ``diagrams/<name>.py`` defines ``render(outdir: pathlib.Path) -> list[pathlib.Path]`` (see
docs/contributing/diagrams.md); ``k8score.diagramgen.render_all`` (also behind
``k8score diagrams --out DIR``) loads them by path and runs them. Each file ``F`` written
becomes ``/assets/diagrams/F`` in the site; pages link it relatively:
``![...](../assets/diagrams/F)`` from ``docs/<section>/page.md``, ``![...](assets/diagrams/F)``
from ``docs/index.md``.

``diagrams``' SVGs link their icon PNGs by absolute file path; any such link left in an SVG is
replaced here by a ``data:`` URI, so every image in the site is self-contained.
"""

import base64
import mimetypes
import re
import sys
import tempfile
from pathlib import Path

import mkdocs_gen_files

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from k8score.diagramgen import render_all  # noqa: E402

_HREF = re.compile(r'((?:xlink:)?href)="([^"#][^"]*)"')


def self_contained(svg: str, base: Path) -> str:
    """``svg`` with every link to a local image file replaced by a ``data:`` URI."""

    def embed(m: re.Match) -> str:
        href = m[2]
        if href.startswith(("data:", "http:", "https:", "/assets/")):
            return m[0]
        path = Path(href) if Path(href).is_absolute() else base / href
        if not path.is_file():
            return m[0]
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return f'{m[1]}="data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"'

    return _HREF.sub(embed, svg)


# Chinese labels at assets/diagrams/F (the Chinese pages), English at assets/diagrams/en/F
# (the English pages link ../assets/diagrams/en/F)
for lang, prefix in (("zh", "assets/diagrams/"), ("en", "assets/diagrams/en/")):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp).resolve()
        for path in render_all(out, ROOT / "diagrams", lang=lang):
            path = path if path.is_absolute() else out / path
            data = path.read_bytes()
            if path.suffix == ".svg":
                data = self_contained(data.decode("utf-8"), path.parent).encode("utf-8")
            with mkdocs_gen_files.open(prefix + path.relative_to(out).as_posix(), "wb") as f:
                f.write(data)
