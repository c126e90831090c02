"""k8score's own words in the page's language (``k8score.lang``): Chinese by default, English on
English pages; Kubernetes' own texts stay as upstream prints them in both.

What stays upstream's English whatever the language: the scheduler's plugin names, statuses and
reasons (kubernetes/kubernetes pkg/scheduler/framework/plugins/*, ``FitError.Error()`` in
pkg/scheduler/framework/types.go: ``0/3 nodes are available: ...``). What follows the language:
the explain table's labels (k8score/scheduler/explain.py), each component's ``summary``
(k8score/registry.py, diagrams), the diagrams' labels, and the traceback names of page blocks
(docs/_hooks/blockrun.py). Page-level: tests/test_docs_blocks.py scans every English page's
output for CJK text.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from k8score import Cluster
from k8score import lang
from k8score.controllers.replicaset import ReplicaSetController
from k8score.diagramgen import DEFAULT_SOURCE, load
from k8score.lang import Text, set_language, tr, using
from k8score.registry import specs
from k8score.scheduler.scheduler import Scheduler
from k8score.textwidth import width

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_hooks"))
import blockrun  # noqa: E402

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


@pytest.fixture(autouse=True)
def _chinese_after():
    yield
    assert lang.language() == "zh", "a test left the language switched"


@pytest.fixture(scope="module")
def cluster():
    """3 nodes; ``web`` fits anywhere, ``big`` on none (requests more CPU than any node has),
    ``pinned`` only on node-2 (nodeSelector): the three kinds of explain table at once; the
    Deployment ``spread``'s Pods are scored by PodTopologySpread too (a legend of 3 plugins)."""
    c = Cluster(nodes=3, seed=7)
    c.apply("""
apiVersion: v1
kind: Pod
metadata: {name: web}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: big}
spec: {containers: [{name: c, image: nginx, resources: {requests: {cpu: "64"}}}]}
---
apiVersion: v1
kind: Pod
metadata: {name: pinned}
spec:
  nodeSelector: {kubernetes.io/hostname: node-2}
  containers: [{name: c, image: nginx}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: spread}
spec:
  replicas: 2
  selector: {matchLabels: {app: spread}}
  template:
    metadata: {labels: {app: spread}}
    spec: {containers: [{name: c, image: nginx}]}
""")
    c.run(seconds=10)
    return c


# -- the module -------------------------------------------------------------------------------

def test_default_is_chinese_and_switching_returns_the_previous_language():
    assert lang.language() == "zh" and tr("总分", "total") == "总分"
    assert set_language("en") == "zh"
    try:
        assert tr("总分", "total") == "total"
        assert set_language("en-US") == "en"      # an HTML lang tag is accepted by its first part
    finally:
        assert set_language("zh") == "en"
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        set_language("fr")
    assert lang.language() == "zh"                # a refused language changes nothing


def test_using_restores_the_language_even_when_the_body_raises():
    with pytest.raises(KeyError):
        with using("en"):
            assert tr("a", "b") == "b"
            raise KeyError("x")
    assert tr("a", "b") == "a"


def test_text_attribute_is_read_in_the_language_of_each_access():
    class Thing:
        summary = Text("中文", "English")

    assert Thing.summary == "中文" and Thing().summary == "中文"
    with using("en"):
        assert Thing.summary == "English" and Thing().summary == "English"
    assert Thing.summary == "中文"


# -- component summaries ----------------------------------------------------------------------

def test_controller_and_component_summaries_follow_the_language():
    zh = ReplicaSetController.summary
    assert zh.startswith("让每个 ReplicaSet 的 Pod 数量等于 spec.replicas")
    with using("en"):
        assert ReplicaSetController.summary.startswith(
            "Keeps each ReplicaSet's number of Pods equal to spec.replicas")
        assert Scheduler.summary.startswith("Picks a node for each Pod that has none")
        en_specs = {s.name: s.summary for s in specs()}
    zh_specs = {s.name: s.summary for s in specs()}
    assert en_specs.keys() == zh_specs.keys()
    assert en_specs["etcd"].startswith("Distributed key-value store") and zh_specs["etcd"].startswith("分布式键值存储")
    # every component is English in English and Chinese in Chinese
    for name, text in en_specs.items():
        assert not CJK.search(text), (name, text)
        assert CJK.search(zh_specs[name]), name


def test_every_controller_of_the_manager_has_both_summaries(cluster):
    kcm = cluster.component("kube-controller-manager")
    ctls = list(kcm.controllers.values())
    assert len(ctls) >= 20 and kcm.summary.startswith("运行各类控制器")
    for ctl in ctls:
        zh = ctl.summary
        with using("en"):
            en = ctl.summary
        assert CJK.search(zh) and not CJK.search(en) and en, type(ctl).__name__


# -- the scheduler's explain table ------------------------------------------------------------

def _explain(c, pod, language):
    with using(language):
        return c.scheduler.explain_text(f"default/{pod}")


def _columns(line: str) -> list[int]:
    """Display columns where each cell of a table line starts (cells are 2+ spaces apart)."""
    starts, col, prev_space = [], 0, 2
    for i, ch in enumerate(line):
        if ch != " " and prev_space >= 2:
            starts.append(col)
        prev_space = prev_space + 1 if ch == " " else 0
        col += width(ch)
    return starts


def test_scheduled_pod_explained_in_both_languages_with_aligned_columns(cluster):
    zh, en = _explain(cluster, "web", "zh"), _explain(cluster, "web", "en")
    zl, el = zh.splitlines(), en.splitlines()
    assert len(zl) == len(el)
    assert re.fullmatch(r"Pod default/web  第 1 次调度尝试  t=\S+", zl[0])
    assert re.fullmatch(r"Pod default/web  scheduling attempt 1  t=\S+", el[0])
    node = cluster.api.get("pods", "web", namespace="default")["spec"]["nodeName"]
    assert zl[1] == f"结果: Scheduled -> {node}" and el[1] == f"result: Scheduled -> {node}"
    # the reason is the scheduler's own sentence (plugin names as upstream): the same in both
    assert zl[2].startswith("原因: ") and el[2] == "why: " + zl[2][len("原因: "):]
    assert zl[3] == "检查的节点: 3/3 (起始下标 0, 找到 3 个可行节点即停止), 可行节点 3"
    assert el[3] == "nodes checked: 3/3 (start index 0, stop at 3 feasible nodes), feasible nodes 3"
    assert zl[4].split()[:2] == ["节点", "过滤"] and zl[4].split()[-1] == "总分"
    assert el[4].split()[:2] == ["node", "filter"] and el[4].split()[-1] == "total"
    # node rows: identical; the header's cells start where the rows' cells start, in both
    rows = [i for i, line in enumerate(zl) if re.match(r"[ *]node-\d", line)]
    assert len(rows) == 3 and [zl[i] for i in rows] == [el[i] for i in rows]
    for table in (zl, el):
        assert _columns(table[4]) == _columns(table[rows[0]]), table[4]
    assert zl[-1] == "    单元格: 原始分→归一化分; 总分 = Σ 归一化分 × 权重"
    assert el[-1] == "         cells: raw→normalized; total = Σ normalized × weight"
    assert not CJK.search(en) and CJK.search(zh)


def test_legend_continuation_lines_start_under_the_first_entry(cluster):
    for language, label in (("zh", "列:"), ("en", "columns:")):
        pod = next(p["metadata"]["name"] for p in cluster.api.list("pods", namespace="default")["items"]
                   if p["metadata"]["name"].startswith("spread-"))
        lines = _explain(cluster, pod, language).splitlines()
        first = next(i for i, line in enumerate(lines) if line.startswith(label))
        legend = lines[first:-1]
        assert len(legend) >= 2, legend          # the default profile's plugins wrap the legend
        entry_col = width(label) + 1
        for line in legend[1:]:
            assert len(line) - len(line.lstrip(" ")) == entry_col and width(line) <= 80, line
        assert width(legend[0]) <= 80


def test_unschedulable_pod_keeps_upstream_message_and_translates_only_labels(cluster):
    zh, en = _explain(cluster, "big", "zh").splitlines(), _explain(cluster, "big", "en").splitlines()
    assert zh[1] == "结果: Unschedulable" and en[1] == "result: Unschedulable"
    # pkg/scheduler/framework/types.go FitError.Error(), noderesources/fit.go "Insufficient cpu"
    # (more than the node's allocatable: unresolvable), defaultpreemption "not helpful"
    msg = "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: " \
          "3 Preemption is not helpful for scheduling."
    assert zh[2] == f"消息: {msg}" and en[2] == f"message: {msg}"
    rejected = [line for line in en if line.startswith(" node-")]
    assert len(rejected) == 3 and all("NodeResourcesFit: Insufficient cpu" in line for line in rejected)
    assert [line for line in zh if line.startswith(" node-")] == rejected


def test_filtered_nodes_show_upstream_reasons_in_english_table(cluster):
    en = _explain(cluster, "pinned", "en").splitlines()
    rows = {line.split()[0].lstrip("*"): line for line in en if re.match(r"[ *]node-\d", line)}
    assert rows["node-2"].startswith("*node-2  passed")
    # pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go ErrReasonPod
    for other in ("node-1", "node-3"):
        assert "NodeAffinity: node(s) didn't match Pod's node affinity/selector" in rows[other]
    assert not CJK.search("\n".join(en))


# -- the page runner --------------------------------------------------------------------------

def test_block_runner_runs_english_pages_in_english_and_names_blocks_so():
    code = ("from k8score.lang import tr\nprint(tr('中', 'en'))\n"
            "from k8score.controllers.replicaset import ReplicaSetController as R\n"
            "print(R.summary[:5])\n")
    en = blockrun.Session("en")
    assert en.run(code, 0)["segments"] == [{"kind": "text", "text": "en\nKeeps\n"}]
    assert lang.language() == "zh"                    # restored after the block
    err = en.run("def f():\n    return 1 / 0\n", 1)
    err = en.run("f()\n", 2)
    text = err["segments"][0]["text"]
    assert '"<block 3>", line 1, in <module>' in text and '"<block 2>", line 2, in f' in text
    zh = blockrun.Session()
    assert zh.run(code, 0)["segments"] == [{"kind": "text", "text": "中\n让每个 R\n"}]
    assert zh.run("1/0\n", 4)["segments"][0]["text"].startswith('Traceback (most recent call last):\n'
                                                                  '  File "<代码块 5>", line 1')


def test_session_language_can_change_between_blocks():
    """The browser's worker keeps one session per page and sets its language from the page."""
    s = blockrun.Session()
    s.lang = "en"
    assert s.run("from k8score.lang import language\nprint(language())\n", 0)["segments"][0]["text"] == "en\n"


# -- diagrams ---------------------------------------------------------------------------------

def test_diagram_labels_follow_the_language_of_the_render():
    path = DEFAULT_SOURCE / "deployment_flow.py"
    zh = load(path)
    with using("en"):
        en = load(path)
    assert zh.TITLE.startswith("创建 Deployment 的 7 个步骤")
    assert en.TITLE == "The 7 steps of creating a Deployment (each one through kube-apiserver)"
    assert [s.n for s in en.STEPS] == [s.n for s in zh.STEPS]
    for step in en.STEPS:
        assert not CJK.search(step.text), step
    assert "deployment controller\nsees the Deployment\n→ creates a ReplicaSet" == en.STEPS[2].text
    shared = load(DEFAULT_SOURCE / "_shared.py")
    future = next(iter(specs()))
    future = type(future)(future.name, future.plane, (), (), "", implemented=False)
    assert shared.node_label(future, "x").endswith("\n(尚未实现)")
    with using("en"):
        assert shared.node_label(future, "x").endswith("\n(not implemented yet)")
