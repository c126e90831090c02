"""kubectl 1.37's small outputs: JSONPath, ``-o kyaml``, cluster-info, whoami, suggestions, version.

Upstream (the texts below are what the kubectl v1.37.1 binary prints, checked against it):
k8s.io/client-go/util/jsonpath parser.go (parse errors) and jsonpath.go (ranges, slices,
filters; missing keys allowed as kubectl runs it), cli-runtime printers/jsonpath.go (the
"error executing jsonpath" report), printers/kyaml.go over sigs.k8s.io/yaml kyaml/kyaml.go,
kubectl/pkg/cmd/clusterinfo/clusterinfo.go, auth/whoami.go (the typed SelfSubjectReview),
kubectl/pkg/cmd/cmd.go (command order, which cobra's SuggestionsFor keeps), logs/logs.go
Complete (NotFound wrapped with the namespace), rollout/rollout.go (bare command: help, exit 1).
"""

from __future__ import annotations

import json

import pytest

from k8score import Cluster
from k8score.kubectl.clusterinfo import service_link
from k8score.kubectl.kyaml import to_kyaml
from k8score.kubeversion import GIT_VERSION


@pytest.fixture(scope="module")
def c():
    cluster = Cluster(nodes=1, seed=3)
    cluster.apply("""
apiVersion: v1
kind: ConfigMap
metadata: {name: conf, namespace: default}
data: {"on": "x", "a.b_c": "1", "-lead": "", script: "line one\\n  indented\\nlast"}
""")
    return cluster


def run(c, line: str) -> tuple[str, str, int]:
    c.kubectl(line)
    k = c._kubectl
    return k.last_stdout, k.last_stderr, k.last_exit_code


@pytest.mark.parametrize("template, message", [
    ("{.items[0.metadata}", "unterminated array"),
    ("{.items[*].metadata.name", "unclosed action"),
    ("{.items[?(@.x==1]}", "unterminated filter"),
    ("{.items[x]}", "invalid array index x"),
    ("{.items[1:2:3:4]}", "invalid array index 1:2:3:4"),
    ("{#}", "unrecognized character in action: U+0023 '#'"),
    ("{.items[?(@.x=~\"d\")]}", "unrecognized character in action: U+007E '~'"),
    ("{.a,.b}", "unrecognized character in action: U+002C ','"),
])
def test_jsonpath_parse_errors_are_client_gos(c, template, message):
    assert run(c, f"get ns -o jsonpath='{template}'") == (
        "", f"error: error parsing jsonpath {template}, {message}\n", 1)


def test_jsonpath_ranges_slices_unions_and_filters(c):
    out = lambda t: run(c, f"get ns -o jsonpath='{t}'")[0]
    names = "default kube-node-lease kube-public kube-system".split()
    # a range runs once per item; a nested one ends at its own {end}; text after {end} runs once
    assert out("{range .items[*]}{range .spec.finalizers[*]}{@}/{end};{end}") == "kubernetes/;" * 4
    assert out("{range .items[*]}[{.metadata.name}]{end}{.kind}") == "".join(f"[{n}]" for n in names) + "List"
    assert out("{range .items[*]}{.metadata.name}") == "".join(names)          # no {end}: to the end
    assert out("{range .items[*].nope}x{end}done") == "done"                    # empty range
    assert out("{.items[0:3:2].metadata.name}") == "default kube-public"      # a step
    assert out("{.items[-1].metadata.name}") == "kube-system"
    assert out("{.items[1,2].metadata.name}") == "kube-node-lease kube-public"
    assert out("{.items[4:4]}") == ""                                         # zero items: no bounds error
    # a filter on a field some items lack selects the others; a missing key prints nothing
    assert out('{.items[?(@.metadata.labels.app=="x")].metadata.name}{.kind.}') == ""
    assert out("{.items[?(@.metadata.name<\"kube\")].metadata.name}") == "default"
    assert out("{..phase}") == "Active Active Active Active"
    assert out("{.items[0].metadata.name}}") == "default}"                     # a lone } is text


def test_jsonpath_execution_errors_print_the_object_as_go_does(c):
    stdout, stderr, code = run(c, "get ns default -o jsonpath='{.spec.finalizers[3]}'")
    assert (stdout, code) == ("", 1)
    head, _, dump = stderr.partition("\tobject given to jsonpath engine was:\n\t\t")
    assert head == ('error: error executing jsonpath "{.spec.finalizers[3]}": Error executing template: array '
                    "index out of bounds: index 3, length 1. Printing more information for debugging the "
                    "template:\n\ttemplate was:\n\t\t{.spec.finalizers[3]}\n")
    assert dump.startswith('map[string]interface {}{"apiVersion":"v1", "kind":"Namespace", "metadata":map[')
    assert '"spec":map[string]interface {}{"finalizers":[]interface {}{"kubernetes"}}' in dump
    assert dump.endswith("}\n\n\n")
    for template, err in (("{end}", "not in range, nothing to end"),
                          ("{.items[?(@.metadata.name==1)]}", "incompatible types for comparison"),
                          ("{.items[3:1]}", "starting index 3 is greater than ending index 1")):
        assert f"Error executing template: {err}. " in run(c, f"get ns -o jsonpath='{template}'")[1]


def test_custom_columns_print_values_as_go_percent_v(c):
    assert run(c, "get ns default -o custom-columns=N:.metadata.name,L:.metadata.labels,F:spec.finalizers")[0] == (
        "N         L                                          F\n"
        "default   map[kubernetes.io/metadata.name:default]   [kubernetes]\n")


def test_kyaml_quotes_values_folds_lines_and_cuddles_lists(c):
    stdout, stderr, code = run(c, "get cm conf -o kyaml")
    assert (stderr, code) == ("", 0)
    data = stdout.split("data: {\n", 1)[1].split("  },\n", 1)[0]
    assert data == ('    "-lead": "",\n'          # a leading "-" and a YAML 1.1 boolean need quotes
                    '    a.b_c: "1",\n'
                    '    "on": "x",\n'
                    '    script: "\\\n'
                    '       line one\\n\\\n'
                    '      \\  indented\\n\\\n'     # a leading blank is escaped so YAML keeps it
                    '       last\\\n'
                    '      ",\n')
    assert stdout.startswith('---\n{\n  apiVersion: "v1",\n') and stdout.endswith("\n}\n")
    assert "managedFields" not in stdout
    assert to_kyaml({"a": [{"x": 1}, {"y": [True, None]}], "b": [], "c": {}}) == (
        '---\n{\n  a: [{\n    x: 1,\n  }, {\n    "y": [\n      true,\n      null,\n    ],\n  }],\n'
        '  b: [],\n  c: {},\n}\n')          # "y" reads as a boolean in YAML 1.1: quoted
    assert run(c, "get pods -o nonsense")[1].endswith("jsonpath-file,kyaml,name,template,templatefile,wide,yaml\n")


def test_cluster_info_names_the_kubeconfig_server_and_cluster_services(c):
    assert run(c, "cluster-info") == (
        "Kubernetes control plane is running at https://172.18.0.2:6443\n"
        "CoreDNS is running at https://172.18.0.2:6443/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\n"
        "\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n", "", 0)
    c._kubectl.server = "https://127.0.0.1:40000"
    try:
        assert run(c, "cluster-info -n default")[0] == (
            "Kubernetes control plane is running at https://127.0.0.1:40000\n"
            "\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n")
    finally:
        c._kubectl.server = None
    svc = {"metadata": {"name": "web", "namespace": "ns"}, "spec": {"ports": [{"port": 443}]}}
    assert service_link("https://h:1", svc) == "https://h:1/api/v1/namespaces/ns/services/https:web:/proxy"
    svc["status"] = {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}
    svc["spec"]["ports"].append({"port": 80})
    assert service_link("https://h:1", svc) == "http://1.2.3.4:443 http://1.2.3.4:80 "


def test_whoami_json_is_the_typed_review_in_go_field_order(c):
    stdout = run(c, "auth whoami -o json --as=alice --as-group=g1")[0]
    assert stdout == ('{\n    "kind": "SelfSubjectReview",\n    "apiVersion": "authentication.k8s.io/v1",\n'
                      '    "metadata": {},\n    "status": {\n        "userInfo": {\n'
                      '            "username": "alice",\n            "groups": [\n                "g1",\n'
                      '                "system:authenticated"\n            ]\n        }\n    }\n}\n')
    assert list(json.loads(stdout)) == ["kind", "apiVersion", "metadata", "status"]
    assert "metadata: {}\n" in run(c, "auth whoami -o yaml")[0]


def test_suggestions_follow_kubectls_command_order(c):
    assert run(c, "gett pods")[1] == 'error: unknown command "gett" for "kubectl"\n\nDid you mean this?\n\tset\n\tget\n'
    assert run(c, "de")[1].endswith("\tset\n\tget\n\tdelete\n\tdescribe\n\tcp\n\tdebug\n")
    assert run(c, "kubrc")[1].endswith("Did you mean this?\n\tkuberc\n")
    assert "Did you mean" not in run(c, "hepl")[1]            # cobra's help command is not suggested


def test_logs_of_a_missing_object_names_the_namespace(c):
    assert run(c, "logs nope -n kube-system") == (
        "", 'error: error from server (NotFound): pods "nope" not found in namespace "kube-system"\n', 1)
    assert run(c, "logs deploy/nope")[1] == \
        'error: error from server (NotFound): deployments.apps "nope" not found in namespace "default"\n'


def test_bare_rollout_prints_its_help_on_stdout_and_fails(c):
    stdout, stderr, code = run(c, "rollout")
    assert (stderr, code) == ("", 1)
    assert stdout.startswith("Manage the rollout of one or many resources.\n        \n Valid resource types")
    assert "  undo          Undo a previous rollout\n" in stdout and stdout.endswith(
        'Use "kubectl options" for a list of global command-line options (applies to all commands).\n')


def test_one_release_everywhere(c):
    assert GIT_VERSION == "v1.37.1"
    assert run(c, "version") == ("Client Version: v1.37.1\nKustomize Version: v5.8.1\nServer Version: v1.37.1\n", "", 0)
    node = c.get("nodes")[0]
    assert node["status"]["nodeInfo"]["kubeletVersion"] == GIT_VERSION
    images = {ctr["image"] for p in c.get("pods", namespace="kube-system") for ctr in p["spec"]["containers"]}
    assert f"registry.k8s.io/kube-proxy:{GIT_VERSION}" in images
