"""Render the architecture diagrams defined as code in the repository's ``diagrams/`` folder.

Each ``diagrams/<name>.py`` defines ``render(outdir: pathlib.Path) -> list[pathlib.Path]``
using the ``diagrams`` package (rendered by Graphviz). The folder is not a Python
package — its name would shadow the ``diagrams`` library — so files are loaded by
path. Used by ``k8score diagrams --out DIR`` and by the site build.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import k8score

DEFAULT_SOURCE = Path(k8score.__file__).resolve().parent.parent / "diagrams"


def diagram_files(source: Path = DEFAULT_SOURCE) -> list[Path]:
    if not source.is_dir():
        raise FileNotFoundError(
            f"no diagrams/ folder at {source}: `k8score diagrams` runs from a source checkout")
    return sorted(p for p in source.glob("*.py") if not p.name.startswith("_"))


def load(path: Path):
    spec = importlib.util.spec_from_file_location(f"k8score_diagram_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def render_all(outdir: Path, source: Path = DEFAULT_SOURCE, lang: str | None = None) -> list[Path]:
    """Render every diagram into ``outdir``; returns the files written. ``lang`` ("zh", "en";
    default: the current :func:`k8score.lang.language`) is the labels' language — each module is
    loaded afresh, so its labels are read in that language."""
    if lang is not None:
        from .lang import using
        with using(lang):
            return render_all(outdir, source)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for path in diagram_files(source):
        module = load(path)
        render = getattr(module, "render", None)
        if render is None:
            continue
        written.extend(Path(p) for p in render(outdir))
    return written
