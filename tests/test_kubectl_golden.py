"""``kubectl describe`` compared with what a real kubectl printed for the very same objects.

tests/test_kubectl_golden.json holds objects taken from a simulated cluster and the output
of a real kubectl v1.37.1 that read them from the same API server over HTTP. Same-second
events may come out in either order upstream (sort.Sort is not stable), so event rows are
compared as a set; every other line must match byte for byte.
"""

import json
from pathlib import Path

import pytest

from k8score.kubectl import describe as desc
from k8score.sim.clock import EPOCH

GOLDEN = json.loads((Path(__file__).parent / "test_kubectl_golden.json").read_text(encoding="utf-8"))
NOW = GOLDEN["wall"] - EPOCH.timestamp()      # the capture's wall clock, in virtual seconds


def _events_about(obj):
    meta = obj["metadata"]
    return [e for e in GOLDEN["events"] if e["involvedObject"]["name"] == meta["name"]
            and e["involvedObject"]["kind"] == obj.get("kind")]


def _split(text):
    head, sep, events = text.partition("\nEvents:\n")
    return head, sorted(events.splitlines()[2:]), events.splitlines()[:2]


def _same(ours, real):
    assert _split(ours)[0] == _split(real)[0]
    assert _split(ours)[1:] == _split(real)[1:]


def _ours(command):
    kind, name = command.split()[1:]
    if kind == "pod":
        pod = next(p for p in GOLDEN["pods"] if p["metadata"]["name"] == name)
        return desc.describe_pod(pod, _events_about(pod), NOW)
    if kind == "node":
        node = GOLDEN["node"]
        pods = [p for p in GOLDEN["pods"] if p["spec"].get("nodeName") == name]
        return desc.describe_node(node, pods, GOLDEN["lease"], _events_about(node), NOW)
    if kind == "deployment":
        d = GOLDEN["deployment"]
        return desc.describe_deployment(d, [], [GOLDEN["replicaset"]], _events_about(d), NOW)
    rs = GOLDEN["replicaset"]
    return desc.describe_replicaset(rs, GOLDEN["pods"], _events_about(rs), NOW)


@pytest.mark.parametrize("command", sorted(GOLDEN["real"]))
def test_describe_matches_real_kubectl(command):
    _same(_ours(command), GOLDEN["real"][command])
