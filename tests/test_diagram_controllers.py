"""diagrams/controllers.py laid out for reading (issue 13): every controller kube-controller-manager
runs (k8score.controllers.manager.CONTROLLERS, upstream cmd/kube-controller-manager/app/) sits in a
family, one row each with its watches and writes, in a picture narrow enough that its 13 pt text
stays >= 11 px in the article column at a 1280 px viewport (~998 px wide)."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTICLE_PX_AT_1280 = 998
MIN_TEXT_PX = 11


def _load():
    spec = importlib.util.spec_from_file_location("_test_diagram_controllers", ROOT / "diagrams" / "controllers.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_controller_has_a_family_and_each_family_is_drawn():
    ctl = _load()
    kinds = [k for k, _, _ in ctl.controller_table()]
    listed = [k for _, _, ks in ctl.FAMILIES.values() for k in ks]
    assert sorted(listed) == sorted(kinds), "a controller without a family (add it to FAMILIES) or a stale entry"
    assert sorted(f for col in ctl.COLUMNS for f in col) == sorted(ctl.FAMILIES)
    assert ctl.family_of("not-a-controller") == "others"


def test_rows_fold_subresources_and_merge_identical_watch_and_write():
    ctl = _load()
    assert ctl.folded(("pods", "pods/status", "events")) == ["pods (+status)", "events"]
    assert ctl.row_lines(("jobs",), ("jobs",)) == ["watch + write: jobs"]
    assert ctl.row_lines(("a",), ()) == ["watch: a", "write: —"]
    lines = ctl.row_lines(tuple(f"resource{i}" for i in range(12)), ("x",))
    assert all(len(line) <= ctl.WRAP + 12 for line in lines) and len(lines) > 3
    assert lines[-1] == "write: x" and lines[1].startswith("    ")   # continuation lines indented


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
def test_the_svg_is_narrow_enough_for_11px_text_and_names_every_resource(tmp_path):
    from k8score.controllers.manager import CONTROLLERS

    ctl = _load()
    ctl.render(tmp_path)
    svg = (tmp_path / "controllers.svg").read_text(encoding="utf-8")
    width = float(re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+) ', svg)[1])
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)]
    smallest = min(sizes) * min(1.0, ARTICLE_PX_AT_1280 / (width * 4 / 3)) * 4 / 3
    assert smallest >= MIN_TEXT_PX, f"{min(sizes)} pt in a {width} pt wide SVG: {smallest:.1f} px"
    text = " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg)).replace("&#45;", "-")
    for cls in CONTROLLERS.values():
        assert cls.kind in text
        for r in (*cls.watches, *cls.writes):
            assert r.split("/")[0] in text, (cls.kind, r)
    assert 'class="edge"' not in svg   # no arrows to cross
