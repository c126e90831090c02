"""The runtime's call log is bounded: a node that polls every second keeps the last 750-1,000
calls, oldest dropped first (a 5,000-node cluster keeps one log per node)."""

from k8score import Cluster
from k8score.cri import runtime as rt_module


def test_the_call_log_keeps_the_newest_calls_within_its_bound():
    c = Cluster(nodes=1, seed=1)
    rt = c.kubelets["node-1"].runtime
    c.run(seconds=2400)                      # an idle node: about 0.7 calls a second
    calls = rt.calls
    assert rt_module._CALL_LOG * 3 // 4 <= len(calls) <= rt_module._CALL_LOG
    times = [t for t, _, _ in calls]
    assert times == sorted(times) and times[-1] > 2390     # the newest are kept
    assert times[0] > 0                                   # the oldest were dropped
    rt.version()
    assert calls[-1][1] == "Version"
