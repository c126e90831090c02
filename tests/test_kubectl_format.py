"""kubectl's formatting primitives: AGE, tabwriter columns, -o yaml / -o json."""

import json
import re

import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from k8score.kubectl.tabwriter import tabwrite
from k8score.kubectl.timefmt import human_duration, rfc1123z
from k8score.kubectl.yamlout import to_json, to_yaml


# -- AGE: apimachinery duration.HumanDuration ----------------------------------------------
def test_human_duration_matches_upstream_table():
    # worked examples of HumanDuration's ranges (duration.go): seconds up to 2m, m+s up to 10m,
    # minutes up to 3h, h+m up to 8h, hours up to 48h, d+h up to 8d, days up to 2y, y+d up to 8y
    cases = {
        0: "0s", 1: "1s", 59: "59s", 119: "119s", 120: "2m", 123: "2m3s", 599: "9m59s", 600: "10m",
        601: "10m", 10799: "179m", 10800: "3h", 11040: "3h4m", 28799: "7h59m", 28800: "8h",
        172799: "47h", 172800: "2d", 183600: "2d3h", 691199: "7d23h", 691200: "8d",
        730 * 86400 - 1: "729d", 730 * 86400: "2y", 731 * 86400: "2y1d", 8 * 365 * 86400: "8y",
        20 * 365 * 86400: "20y",
    }
    assert {s: human_duration(s) for s in cases} == cases


def test_human_duration_tolerates_small_clock_skew():
    assert human_duration(-0.5) == "0s"
    assert human_duration(-1.9) == "0s"      # int(-1.9s) == -1: "almost now"
    assert human_duration(-2.0) == "<invalid>"
    assert human_duration(5.999) == "5s"     # truncated, never rounded up


_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "y": 365 * 86400}


def _lower_bound(text: str) -> int:
    return sum(int(n) * _UNIT[u] for n, u in re.findall(r"(\d+)([smhdy])", text))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 12 * 365 * 86400), st.integers(0, 12 * 365 * 86400))
def test_human_duration_is_a_monotonic_truncation(a, b):
    lo, hi = sorted((a, b))
    text = human_duration(lo)
    assert re.fullmatch(r"(\d+[smhdy]){1,2}", text)
    # what is shown never exceeds the real age, and a later age never shows less
    assert _lower_bound(text) <= lo
    assert _lower_bound(text) <= _lower_bound(human_duration(hi))
    # ~2-3 significant figures: never off by more than ~1/8 of the value (plus a second)
    assert lo - _lower_bound(text) <= max(1, lo // 8)


def test_rfc1123z_is_go_format():
    assert rfc1123z("2026-01-01T00:00:07Z") == "Thu, 01 Jan 2026 00:00:07 +0000"
    assert rfc1123z("2026-03-02T13:04:05Z") == "Mon, 02 Mar 2026 13:04:05 +0000"


# -- tabwriter ---------------------------------------------------------------------------------
def test_table_columns_are_widest_cell_plus_three():
    text = "NAME\tREADY\tAGE\nweb-1\t1/1\t5s\nlong-name-pod\t0/1\t10m\n"
    assert tabwrite(text, minwidth=6, padding=3) == (
        "NAME            READY   AGE\n"
        "web-1           1/1     5s\n"
        "long-name-pod   0/1     10m\n")


def test_minwidth_pads_narrow_columns_and_last_column_is_never_padded():
    out = tabwrite("A\tB\nx\ty\n", minwidth=6, padding=3)
    assert out == "A     B\nx     y\n"
    assert not any(line.endswith(" ") for line in out.splitlines())


def test_column_blocks_end_at_a_line_without_that_cell():
    # describe.go relies on this: "IPs:" (no tab) ends the block, so "  IP:" and
    # "Controlled By:" align among themselves, not with "Name:"
    text = ("Name:\tweb\nIP:\t10.0.0.1\nIPs:\n  IP:\t10.0.0.1\nControlled By:\tReplicaSet/web\n")
    assert tabwrite(text, minwidth=0, padding=2) == (
        "Name:  web\n"
        "IP:    10.0.0.1\n"
        "IPs:\n"
        "  IP:           10.0.0.1\n"
        "Controlled By:  ReplicaSet/web\n")


def test_nested_columns_align_independently():
    text = "a\tbb\tc\naaa\tb\tc\nx\n"
    assert tabwrite(text, padding=1) == "a   bb c\naaa b  c\nx\n"


# -- YAML (sigs.k8s.io/yaml = go-yaml v2) ------------------------------------------------------
# Expected lines below were printed by a real kubectl v1.37.1:
#   kubectl create configmap t --from-literal=KEY=VALUE ... --dry-run=client -o yaml
_REAL_KUBECTL_SCALARS = {
    "80": '"80"', "true": '"true"', "x: y": "'x: y'", "": '""', "2026-01-01T00:00:07Z": '"2026-01-01T00:00:07Z"',
    " lead": "' lead'", "#x": "'#x'", "a #b": "'a #b'", "yes": '"yes"', "1.14.2": "1.14.2", "0x1F": '"0x1F"',
    "-": "'-'", "- a": "'- a'", "it's": "it's", '"q"': "'\"q\"'", "1e3": '"1e3"', ".5": '".5"', "~": '"~"',
    "null": '"null"', 'a: b "c"': "'a: b \"c\"'", "tab\tx": '"tab\\tx"', "trail ": "'trail '",
    "nginx:1.14.2": "nginx:1.14.2", "*": "'*'", "@x": "'@x'", "<b>&": "<b>&", "ünï": "ünï", "012": '"012"',
    "1:20": '"1:20"', "+1": '"+1"', ".inf": '".inf"', "2026-01-01": '"2026-01-01"', "Yes": '"Yes"',
    "y": '"y"', "1_000": '"1_000"', "ab:": "'ab:'", "a,b": "a,b", "[x]": "'[x]'", "!x": "'!x'", "%x": "'%x'",
    "x%": "x%", "?": "'?'", "? x": "'? x'", "---": "'---'", "...x": "'...x'",
}


def test_yaml_scalars_are_quoted_like_real_kubectl():
    got = {}
    for value in _REAL_KUBECTL_SCALARS:
        line = to_yaml({"v": value})
        got[value] = line[len("v: "):].rstrip("\n")
    assert got == _REAL_KUBECTL_SCALARS


def test_yaml_keys_that_read_as_booleans_are_quoted():
    assert to_yaml({"n": "a", "y": "b", "app": "c"}) == 'app: c\n"n": a\n"y": b\n'


def test_yaml_multiline_and_long_strings_like_real_kubectl():
    long = " ".join(f"word{i}" for i in range(40))
    out = to_yaml({"data": {"f": "multi\nline", "c": "a\nb\n", "long": long, "sp": "a \nb"}})
    assert out == (
        "data:\n"
        "  c: |\n    a\n    b\n"
        "  f: |-\n    multi\n    line\n"
        "  long: word0 word1 word2 word3 word4 word5 word6 word7 word8 word9 word10 word11\n"
        "    word12 word13 word14 word15 word16 word17 word18 word19 word20 word21 word22 word23\n"
        "    word24 word25 word26 word27 word28 word29 word30 word31 word32 word33 word34 word35\n"
        "    word36 word37 word38 word39\n"
        '  sp: "a \\nb"\n')


def test_yaml_layout_of_a_deployment_matches_kubectl():
    obj = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"labels": {"app": "nginx"}, "name": "nginx"},
           "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "nginx"}}, "strategy": {},
                    "template": {"metadata": {"labels": {"app": "nginx"}},
                                 "spec": {"containers": [{"image": "nginx:1.14.2", "name": "nginx",
                                                          "ports": [{"containerPort": 80}],
                                                          "resources": {}}]}}},
           "status": {}}
    # byte-for-byte what `kubectl create deployment nginx --image=nginx:1.14.2 --replicas=3
    # --port=80 --dry-run=client -o yaml` prints (v1.37.1), with the name shortened
    assert to_yaml(obj) == """apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    app: nginx
  name: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  strategy: {}
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - image: nginx:1.14.2
        name: nginx
        ports:
        - containerPort: 80
        resources: {}
status: {}
"""


def test_yaml_nested_sequences():
    assert to_yaml({"a": [[1, 2], {"b": [3]}, [], {}]}) == "a:\n- - 1\n  - 2\n- b:\n  - 3\n- []\n- {}\n"


def test_json_is_go_marshal_indent_with_html_escapes():
    assert to_json({"b": 1, "a": "<x>&", "c": [], "d": {}, "e": "ünï"}) == (
        '{\n    "a": "\\u003cx\\u003e\\u0026",\n    "b": 1,\n    "c": [],\n    "d": {},\n    "e": "ünï"\n}\n')


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-10 ** 12, 10 ** 12) | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20)


def _strings(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)
    elif isinstance(obj, str):
        yield obj


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_TEXT, _JSONISH, max_size=5))
def test_yaml_and_json_read_back_to_the_same_object(obj):
    assert json.loads(to_json(obj)) == obj
    # a bare "=" is YAML 1.1's value tag for PyYAML (go-yaml, like kubectl, prints it plain)
    assume("=" not in set(_strings(obj)))
    assert yaml.safe_load(to_yaml(obj)) == obj
