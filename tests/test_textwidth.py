"""Display width of text with Chinese in it, and tables that stay aligned (k8score/textwidth.py).

A CJK character takes two terminal columns (Unicode Standard Annex #11, East Asian Width W/F;
wcwidth(3)). Go's text/tabwriter (src/text/tabwriter/tabwriter.go updateWidth: utf8.RuneCount)
counts code points, so real kubectl shifts columns after a Chinese cell; k8score's tabwriter pads
by display width instead, and ASCII tables are unchanged.
"""

from __future__ import annotations

import pytest

from k8score import Cluster
from k8score.kubectl.tabwriter import TABLE_MINWIDTH, TABLE_PADDING, tabwrite
from k8score.textwidth import char_width, ljust, rjust, width


def columns_of(line: str, word: str) -> int:
    """The terminal column at which the last ``word`` on ``line`` starts."""
    return width(line[: line.rindex(word)])


@pytest.mark.parametrize("text, columns", [
    ("", 0),
    ("web-1", 5),
    ("运行中", 6),
    ("尚未实现", 8),
    ("网站-1", 6),                 # two ideographs + two ASCII
    ("ｋ８ｓ", 6),                  # fullwidth forms (F)
    ("한국", 4), ("カナ", 4),       # Hangul syllables, katakana
    ("ｶﾅ", 2),                      # halfwidth katakana (H) are narrow
    ("e\u0301", 1),                 # a combining accent adds nothing
    ("a\u200bb", 2),                # zero-width space
    ("\u1100\u1161", 2),            # a Hangul syllable spelled as leading + medial jamo
    ("soft\xadhyphen", 11),         # a soft hyphen is drawn
    ("→×", 2),                      # ambiguous: narrow, as outside a CJK locale
    ("\U0001f600", 2),              # emoji presentation is wide
    ("，。", 4),                     # CJK punctuation
])
def test_width(text, columns):
    assert width(text) == columns


def test_char_width_of_each_kind():
    assert [char_width(c) for c in "a中\u0301ｋ\ufeff"] == [1, 2, 0, 2, 0]


def test_ljust_and_rjust_pad_to_columns_not_code_points():
    assert ljust("运行中", 8) == "运行中  "
    assert ljust("尚未实现", 8) == "尚未实现"
    assert ljust("尚未实现", 5) == "尚未实现"            # never cut, never negative
    assert rjust("总分", 6) == "  总分"
    assert ljust("running", 8) == "running ".ljust(8)  # ASCII: same as str.ljust


def test_table_with_chinese_cells_stays_aligned():
    text = ("NAME\tSTATE\tWATCH\n"
            "kube-apiserver\t运行中\t-\n"
            "cloud-controller-manager\t尚未实现\tnodes, services\n"
            "etcd\tok\t-\n")
    out = tabwrite(text, TABLE_MINWIDTH, TABLE_PADDING).splitlines()
    assert out == [
        "NAME                       STATE      WATCH",
        "kube-apiserver             运行中     -",
        "cloud-controller-manager   尚未实现   nodes, services",
        "etcd                       ok         -",
    ]
    # every WATCH cell starts at the same terminal column, though the code-point offsets differ
    starts = {columns_of(line, cell) for line, cell in zip(out, ["WATCH", "-", "nodes", "-"])}
    assert starts == {38}
    assert len({line.rindex(c) for line, c in zip(out, ["WATCH", "-", "nodes", "-"])}) == 3


def test_chinese_in_the_first_column_sets_the_column_width():
    out = tabwrite("名字\tAGE\n网站服务器-1\t5s\n", TABLE_MINWIDTH, TABLE_PADDING)
    # 网站服务器-1 is 12 columns wide (5 ideographs + 2): the column is 12 + padding 3
    assert out == "名字           AGE\n网站服务器-1   5s\n"
    assert [columns_of(line, w) for line, w in zip(out.splitlines(), ["AGE", "5s"])] == [15, 15]


def test_ascii_tables_are_unchanged():
    # Go's tabwriter with kubectl's table settings, as before
    assert tabwrite("NAME\tAGE\nweb-1\t5s\n", TABLE_MINWIDTH, TABLE_PADDING) == "NAME    AGE\nweb-1   5s\n"


def test_kubectl_custom_columns_with_a_chinese_annotation():
    c = Cluster(nodes=1, seed=0)
    for name, team in [("web", "前端组"), ("api", "platform"), ("db", "数据库平台组")]:
        c.apply(f"""
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  annotations:
    team: {team}
data: {{}}
""")
    out = c.kubectl("get configmaps -o custom-columns=TEAM:.metadata.annotations.team,NAME:.metadata.name")
    lines = [line for line in out.splitlines() if "kube-root-ca" not in line]
    assert lines == [
        "TEAM           NAME",
        "platform       api",
        "数据库平台组   db",
        "前端组         web",
    ]
    assert {columns_of(line, line.split()[-1]) for line in lines} == {15}
