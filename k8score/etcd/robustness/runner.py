"""One robustness run: a seeded cluster, traffic and faults, then the checks.

As etcd tests/robustness/main_test.go ``testRobustness``: start the cluster, run traffic and
failpoints together, stop, let the cluster settle, then validate the client reports
(validate/validate.go: linearizability of the KV operations, then the watch guarantees).
Everything derives from ``seed`` (the loop's generator; the traffic and the fault injector
each get their own stream drawn from it), so a seed replays exactly.
"""

from __future__ import annotations

import random

from ...sim import Loop
from ..cluster import EtcdCluster
from . import linearizability, unsafe as _unsafe, watch
from .faults import KINDS, FaultInjector
from .history import History
from .model import KVModel
from .patch import patch
from .traffic import Traffic

#: Virtual seconds of traffic per run, and of quiet afterwards (faults healed) so that
#: members converge and watches catch up.
TRAFFIC_SECONDS = 3.0
SETTLE_SECONDS = 2.0
#: The last operations of a failing subhistory a report prints.
SHOW = 40


class Report:
    """What a run found. ``violations`` is empty when etcd kept its guarantees; a run whose
    search gave up is ``inconclusive`` (not a violation, not a pass)."""

    def __init__(self, seed: int):
        self.seed = seed
        self.faults: list[tuple] = []
        self.history: History | None = None
        self.violations: list[str] = []
        self.failing: list = []          # minimal non-linearizable subhistory
        self.stuck = None                # the operation no order explains
        self.inconclusive = False
        self.states = 0
        self.simulated = 0.0             # virtual seconds, from boot to the end of the checks
        self.unsafe = ""

    @property
    def ok(self) -> bool:
        return not self.violations

    def summary(self) -> str:
        h = self.history
        head = (f"seed {self.seed}: {len(h.ops)} operations ({h.unknown} unknown outcome, "
                f"{h.failed_reads} failed reads), {len(h.watches)} watches "
                f"({sum(len(w.events()) for w in h.watches)} events), {len(self.faults)} faults, "
                f"{self.simulated:.1f} virtual s, {self.states} checker states")
        if self.unsafe:
            head += f" [UNSAFE: {self.unsafe}]"
        lines = [head]
        lines += [f"  fault at {at:.3f}s: {kind} {target} for {secs:.3f}s"
                  for at, kind, target, secs in self.faults]
        if self.inconclusive:
            lines.append("  linearizability: inconclusive (search bound reached)")
        lines += [f"  VIOLATION: {v}" for v in self.violations]
        if self.failing:
            lines.append(f"  minimal failing subhistory ({len(self.failing)} operations, "
                         f"its reads 1-minimal):")
            lines += [f"    {op!r}" for op in self.failing[-SHOW:]]
        if self.violations:
            lines.append(f"  replay: python -m k8score.etcd.robustness --seed {self.seed}"
                         + (f" --unsafe {self.unsafe}" if self.unsafe else ""))
        return "\n".join(lines)


def run(seed: int, members: int = 3, traffic_seconds: float = TRAFFIC_SECONDS,
        unsafe: str = "", minimize: bool = True, max_states: int = linearizability.MAX_STATES,
        kinds: tuple = KINDS) -> Report:
    """Run seed ``seed`` and check it. ``kinds`` are the faults to draw from
    (:data:`.faults.KINDS`); ``unsafe`` names a TEST-ONLY broken variant (:mod:`.unsafe`)
    the checks must catch."""
    rep = Report(seed)
    rep.unsafe = unsafe
    loop = Loop(seed)
    ec = EtcdCluster(loop, members=members, seed=seed)
    ec.start()
    ec.wait_for_leader()
    t0 = loop.now
    traffic_rng = random.Random(loop.rng.getrandbits(64))
    fault_rng = random.Random(loop.rng.getrandbits(64))
    h = History()
    end = t0 + traffic_seconds
    traffic = Traffic(ec, traffic_rng, h, end)
    faults = FaultInjector(ec, fault_rng, t0, end - 0.3, kinds)
    if unsafe:
        _unsafe.install(unsafe, ec, traffic.clients + traffic.watch_clients)
    traffic.start()
    faults.start()
    loop.run(until=end)
    faults.heal_all()
    ec.heal()
    for m in ec.members:
        if not m.running and not m.panic:
            m.start()
    loop.run(until=loop.now + SETTLE_SECONDS)
    # A last read of everything through every member (upstream's final "list" check).
    for i, cli in enumerate(traffic.clients[:members]):
        cli.use(ec.members[i].name)
        traffic.request_list(i)
    traffic.close()
    rep.history, rep.faults = h, faults.log
    rep.simulated = loop.now
    check(rep, traffic.keys, minimize, max_states)
    return rep


def check(rep: Report, keys: list[str], minimize: bool = True,
          max_states: int = linearizability.MAX_STATES) -> None:
    h = rep.history
    model = KVModel(keys)
    last = max([_revision(op) for op in h.ops] + [1])
    ops = patch(h.ops, h.watches, last)
    res = linearizability.check(model, ops, max_states)
    rep.states = res.states
    if res.ok is None:
        rep.inconclusive = True
    elif res.ok is False:
        rep.stuck = res.stuck
        rep.violations.append(f"Linearizability: no order explains {res.stuck!r}")
        if minimize:
            rep.failing = linearizability.minimize(model, ops, res)
    rep.violations += watch.validate(h.watches, h.ops)


def _revision(op) -> int:
    """The store revision a response showed (0 for an unknown outcome)."""
    r = op.resp
    if r is None:
        return 0
    return r[1] if op.req[0] in ("delete", "cas") else r[0]

