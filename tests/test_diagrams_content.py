"""The architecture diagrams (diagrams/*.py) are drawn from the code and cannot drift from it."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import shutil
from pathlib import Path

import pytest

from k8score.registry import specs

ROOT = Path(__file__).resolve().parents[1]
DIAGRAMS = ROOT / "diagrams"

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_test_diagram_{name}", DIAGRAMS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _svg_text(path: Path) -> str:
    """All text drawn in an SVG, lines joined with spaces (Graphviz writes one <text> per line)."""
    svg = path.read_text(encoding="utf-8")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    return " ".join(t.replace("&#45;", "-").replace("&amp;", "&") for t in texts)


def test_deployment_flow_steps_hold_against_the_code():
    flow = _load("deployment_flow")
    by_name = {s.name: s for s in specs()}
    assert flow.check_steps(by_name) == []
    assert [s.n for s in flow.STEPS] == list(range(1, 8))


def test_deployment_flow_refuses_a_step_the_code_no_longer_does():
    flow = _load("deployment_flow")
    by_name = {s.name: s for s in specs()}
    # Pretend the scheduler stopped watching pods: step 5 would now be a false claim.
    sched = by_name["kube-scheduler"]
    by_name["kube-scheduler"] = dataclasses.replace(sched, watches=tuple(w for w in sched.watches if w != "pods"))
    problems = flow.check_steps(by_name)
    assert len(problems) == 1 and problems[0].startswith("step 5: kube-scheduler")


@needs_dot
def test_architecture_draws_every_component_and_its_watches(tmp_path):
    arch = _load("architecture")
    paths = arch.render(tmp_path)
    assert sorted(p.name for p in paths) == ["architecture.png", "architecture.svg"]
    assert all(p.stat().st_size > 1000 for p in paths)
    svg = (tmp_path / "architecture.svg").read_text(encoding="utf-8")
    # self-contained: icons are embedded, no link to a file on this machine
    assert 'href="/' not in svg and "data:image/png;base64," in svg
    text = _svg_text(tmp_path / "architecture.svg")
    for s in specs():
        assert s.name in text, s.name
        for resource in s.watches if s.talks_to == "kube-apiserver" else ():
            assert resource in text, (s.name, resource)
    not_implemented = [s for s in specs() if not s.implemented]
    assert text.count("尚未实现") >= len(not_implemented)


@needs_dot
def test_deployment_flow_renders_seven_numbered_steps(tmp_path):
    flow = _load("deployment_flow")
    paths = flow.render(tmp_path)
    assert sorted(p.name for p in paths) == ["deployment_flow.png", "deployment_flow.svg"]
    text = _svg_text(tmp_path / "deployment_flow.svg")
    for mark in "①②③④⑤⑥⑦":
        assert mark in text


@needs_dot
def test_controllers_diagram_shows_every_controller_the_manager_runs(tmp_path):
    from k8score.controllers.manager import CONTROLLERS

    ctl = _load("controllers")
    assert [kind for kind, _, _ in ctl.controller_table()] == [c.kind for c in CONTROLLERS.values()]
    ctl.render(tmp_path)
    text = _svg_text(tmp_path / "controllers.svg")
    for cls in CONTROLLERS.values():
        assert cls.kind in text
        for resource in cls.watches:
            assert resource in text, (cls.kind, resource)


def test_kubelet_cri_diagram_lists_the_rpcs_the_runtime_implements(tmp_path):
    """The RPC names come from the runtime's methods (k8s.io/cri-api runtime/v1/api.proto names);
    a method that is not an RPC (forbid_image) stays out, and every kubelet part drawn exists."""
    cri = _load("kubelet_cri")
    assert cri.check_parts() == []
    rpcs = cri.cri_rpcs()
    assert rpcs["ImageService"] == ["ListImages", "ImageStatus", "PullImage", "RemoveImage", "ImageFsInfo"]
    assert {"RunPodSandbox", "CreateContainer", "ExecSync", "GetContainerEvents"} <= set(rpcs["RuntimeService"])
    assert "ForbidImage" not in rpcs["RuntimeService"] + rpcs["ImageService"]
    if shutil.which("dot") is None:
        return
    cri.render(tmp_path)
    text = _svg_text(tmp_path / "kubelet_cri.svg")
    for name in ("RunPodSandbox", "GetContainerEvents", "PullImage"):
        assert name in text


def test_cloud_controllers_diagram_follows_the_classes_and_the_cloud_calls_they_make(tmp_path):
    """Every cloud_api method a CCM loop declares is one it really calls on the cloud-provider
    interface (the snake_case method appears in its class), and the diagram draws each."""
    import inspect
    import re as _re

    from k8score.cloud.manager import CONTROLLERS

    ccm = _load("cloud_controllers")
    assert [kind for kind, _, _, _ in ccm.controller_table()] == [c.kind for c in CONTROLLERS.values()]
    for cls in CONTROLLERS.values():
        source = inspect.getsource(cls)
        for api in cls.cloud_api:
            method = _re.sub(r"(?<!^)(?=[A-Z])", "_", api.split(".", 1)[1]).lower()
            assert f".{method}(" in source, (cls.kind, api)
    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot is not installed")
    ccm.render(tmp_path)
    text = _svg_text(tmp_path / "cloud_controllers.svg")
    for cls in CONTROLLERS.values():
        assert cls.kind.replace("-controller", "") in text
        for api in cls.cloud_api:
            assert api.split(".", 1)[1] in text, api
