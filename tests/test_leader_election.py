"""Leader election of kube-scheduler and kube-controller-manager on coordination Leases.

Upstream: staging/src/k8s.io/client-go/tools/leaderelection/leaderelection.go (acquire with
wait.JitterUntil(RetryPeriod, JitterFactor 1.2), renew with wait.Until(RetryPeriod) and a
RenewDeadline per round, tryAcquireOrRenew judging expiry by observedTime, "became leader" /
"stopped leading"), resourcelock/leaselock.go (the LeaderElection Event "<identity> <what>"
on the Lease), component-base/config/v1alpha1/defaults.go (15 s / 10 s / 2 s),
cmd/kube-scheduler/app/server.go and cmd/kube-controller-manager/app/controllermanager.go
(identity ``<hostname>_<uuid>``, lock names, OnStoppedLeading exits the process).
"""

import random
import re

import pytest

from k8score import Cluster
from k8score.api.errors import ApiError
from k8score.client import Client
from k8score.sim.clock import micro_time

MICRO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
IDENTITY = re.compile(r"^control-plane-(\d)_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def c():
    return Cluster(nodes=1, seed=0, control_planes=3)


def lease(c, name):
    return c.api.get("leases", name, namespace="kube-system")


def election_events(c, name, since=0.0):
    return [(t, comp, text) for t, comp, text in c.timeline(since) if text.startswith(f"LeaderElection: Lease/{name}:")]


def test_first_replica_acquires_both_leases_at_boot(c):
    for comp, source in (("kube-scheduler", "default-scheduler"),
                         ("kube-controller-manager", "kube-controller-manager")):
        spec = lease(c, comp)["spec"]
        assert IDENTITY.match(spec["holderIdentity"]).group(1) == "1"
        assert spec["leaseDurationSeconds"] == 15 and spec["leaseTransitions"] == 0
        assert MICRO.match(spec["acquireTime"]) and MICRO.match(spec["renewTime"])
        assert spec["acquireTime"] < spec["renewTime"]          # renewed since
        events = election_events(c, comp)
        assert [(src, text.split(": ", 2)[2]) for _, src, text in events] == \
            [(source, f"{spec['holderIdentity']} became leader")]
        reps = c.replicas[comp]
        assert [r.leading for r in reps] == [True, False, False]
        assert [r.inner.running for r in reps] == [True, False, False]   # standbys do no work
        assert c.leader(comp) == f"{comp}-1"
    # each replica is its own process: three different identities per lock
    assert len({r.identity for r in c.replicas["kube-scheduler"]}) == 3


def test_leader_renews_every_retry_period_and_standbys_poll_with_jitter(c):
    seen = []
    w = c.api.watch("leases", lambda ev: seen.append((c.now, ev["object"]["spec"]["renewTime"])),
                    namespace="kube-system", field_selector="metadata.name=kube-scheduler")
    standby = c.replicas["kube-scheduler"][1]
    before = len(standby._client.requests)
    c.run(12)
    w.stop()
    renewals = [r for _, r in seen]
    assert len(renewals) >= 5
    times = [t for t, _ in seen]
    gaps = {round(b - a, 6) for a, b in zip(times[1:], times[2:])}
    assert gaps == {2.0}                                        # wait.Until(RetryPeriod)
    assert renewals[-1] == micro_time(times[-1] - 0.001)        # renewTime is the renewer's clock
    polls = [t for t, verb, res, _, name in standby._client.requests[before:] if verb == "get"]
    assert len(polls) >= 3
    waits = [b - a for a, b in zip(polls, polls[1:])]
    assert all(2.0 <= w <= 2.0 * (1 + 1.2) for w in waits) and len({round(w, 3) for w in waits}) > 1
    assert lease(c, "kube-scheduler")["spec"]["leaseTransitions"] == 0


def test_standby_takes_over_after_the_lease_expires(c):
    old = lease(c, "kube-controller-manager")["spec"]
    old_leader = c.leader("kube-controller-manager")
    t0 = c.now
    c.stop(old_leader)
    assert c.leader("kube-controller-manager") is None
    c.run(12.9)
    assert c.leader("kube-controller-manager") is None       # the Lease has not expired for anyone yet
    assert c.run(until=lambda: c.leader("kube-controller-manager") is not None, timeout=15)
    took = c.now - t0
    c.run(0.01)   # the Event reaches the timeline's watch
    # expiry: 15 s after a standby saw the last renewal (<= 2 s before the stop, seen up to
    # 4.4 s late), then its next jittered poll (<= 4.4 s)
    assert 13.0 <= took <= 15 + 2 * 4.4
    new = lease(c, "kube-controller-manager")["spec"]
    assert new["holderIdentity"] != old["holderIdentity"]
    assert new["leaseTransitions"] == old["leaseTransitions"] + 1
    assert new["acquireTime"] == micro_time(t0 + took)
    winner = c.leader("kube-controller-manager")
    assert IDENTITY.match(new["holderIdentity"]).group(1) == winner[-1]
    assert [text.split(": ", 2)[2] for _, _, text in election_events(c, "kube-controller-manager", t0)] == \
        [f"{new['holderIdentity']} became leader"]
    # the old process comes back as a new process: a new identity, and it stays a standby
    old_identity = c.component(old_leader).identity
    c.start(old_leader)
    c.run(6)
    assert c.component(old_leader).identity != old_identity
    assert c.leader("kube-controller-manager") == winner
    assert lease(c, "kube-controller-manager")["spec"]["leaseTransitions"] == new["leaseTransitions"]


def test_pods_wait_for_the_new_scheduler_leader(c):
    t0 = c.now
    c.stop(c.leader("kube-scheduler"))
    c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "late"},
             "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}})
    c.run(10)
    node = lambda: (c.apiserver.lister.get("pods", "late", "default") or {}).get("spec", {}).get("nodeName")  # noqa: E731
    assert node() is None                                       # nobody schedules
    assert c.run(until=lambda: node() == "node-1", timeout=20)
    assert 13.0 <= c.now - t0 <= 15 + 2 * 4.4 + 0.1
    assert c.leader("kube-scheduler") in ("kube-scheduler-2", "kube-scheduler-3")


def test_leader_that_cannot_renew_stops_its_work_within_the_renew_deadline():
    c = Cluster(nodes=0, seed=3, control_planes=3)
    rep = c.replicas["kube-controller-manager"][0]
    last = [t for t, verb, res, _, _ in rep._client.requests if verb == "update"][-1]
    t0 = c.now
    for s in ("kube-apiserver-1", "kube-apiserver-2", "kube-apiserver-3"):
        c.stop(s)
    with pytest.raises(ApiError):
        c.api.list("pods")
    assert c.run(until=lambda: not rep.inner.running, timeout=20)
    # the failing round started RetryPeriod after the last renewal; RenewDeadline later it gives up
    assert c.now == pytest.approx(last + 2.0 + 10.0)
    assert c.now - t0 <= 12.0
    assert rep.running and not rep.leading                     # restarted, campaigning again
    assert (last + 12.0, "failed to renew lease kube-system/kube-controller-manager: "
            "timed out waiting for the condition") in [(pytest.approx(t), m) for t, m in rep.log]
    assert c.leader("kube-controller-manager") is None
    t1 = c.now
    for s in ("kube-apiserver-1", "kube-apiserver-2", "kube-apiserver-3"):
        c.start(s)
    # a standby saw the last renewal more than 15 s ago (observedTime: the record has not
    # changed since), so its next poll takes over; the restarted old leader, a new process,
    # has observed nothing yet and would wait a full lease duration
    assert c.run(until=lambda: c.leader("kube-controller-manager") is not None, timeout=15)
    assert c.now - t1 <= 2 * 4.4
    assert c.leader("kube-controller-manager") != rep.name
    assert lease(c, "kube-controller-manager")["spec"]["leaseTransitions"] == 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_never_two_active_leaders_under_random_stops_and_starts(seed):
    """Safety at every loop step (not only between operations), liveness once all run."""
    c = Cluster(nodes=0, seed=seed, control_planes=3)
    rng = random.Random(seed)
    bad = []

    def check():
        for comp in ("kube-scheduler", "kube-controller-manager"):
            working = [r.name for r in c.replicas[comp] if r.inner.running]
            if len(working) > 1:
                bad.append((c.now, working))
        return False

    names = [f"{comp}-{i}" for comp in ("kube-scheduler", "kube-controller-manager") for i in (1, 2, 3)]
    names += ["kube-apiserver-1", "kube-apiserver-2", "kube-apiserver-3"]
    for _ in range(25):
        name = rng.choice(names)
        comp = c.component(name)
        (c.stop if comp.running else c.start)(name)
        c.run(rng.uniform(0.5, 20.0), until=check)
    assert bad == []
    for name in names:
        c.start(name)
    c.run(30, until=check)
    assert bad == []
    for comp in ("kube-scheduler", "kube-controller-manager"):
        assert sum(r.leading for r in c.replicas[comp]) == 1
        assert c.leader(comp) is not None


def test_the_lease_is_readable_only_by_its_rbac(c):
    # system:kube-scheduler may get/update only its own lock (bootstrap policy)
    sched = Client(c.apiserver, user="system:kube-scheduler")
    assert sched.get("leases", "kube-scheduler", namespace="kube-system")["metadata"]["name"] == "kube-scheduler"
    with pytest.raises(ApiError) as e:
        sched.update("leases", lease(c, "kube-controller-manager"), namespace="kube-system")
    assert e.value.code == 403
