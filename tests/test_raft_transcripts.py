"""Golden transcripts of Raft message exchanges, in etcd-io/raft's datadriven style.

Each ``tests/raft_testdata/*.txt`` file is a script: a command, ``----``, and the exact
output that follows (upstream: ``etcd-io/raft`` ``testdata/*.txt`` run by
``rafttest/interaction_env_handler.go``; message lines are ``util.go DescribeMessage``).
Regenerate after an intended change with ``RAFT_REWRITE=1`` and review the diff.

Commands: ``add-nodes <n> voters=(1,2,3) [learners=(4)] [prevote=false] [checkquorum=false]``
(no voters: new members waiting to be contacted), ``campaign <id>``, ``tick <id> [count]``,
``tick-election <id>`` (its randomized timeout; a leader: election_tick),
``tick-heartbeat <id>``, ``propose <id> <data>``, ``propose-conf-change <id> v4|l4|r4``,
``transfer-leadership from=<id> to=<id>``, ``read-index <id> <ctx>``, ``process-ready <id>``,
``deliver-msgs <id>``, ``stabilize [ids]``, ``isolate <id>``, ``partition 1 2,3``, ``heal``,
``compact <id> <index>``, ``raft-state``, ``raft-log <id>``, ``status <id>``,
``log-level none|info``.
"""

from __future__ import annotations

import os
import pathlib
import re

import pytest

from k8score.raft import ConfChange, ProposalDroppedError
from k8score.raft.testing import Network

DATA = pathlib.Path(__file__).parent / "raft_testdata"
FILES = sorted(p.name for p in DATA.glob("*.txt"))


def _ids(text: str) -> list[int]:
    return [int(x) for x in re.split(r"[ ,]+", text.strip("()")) if x]


class Env:
    """Runs transcript commands against a Network (rafttest InteractionEnv)."""

    def __init__(self):
        self.net: Network | None = None
        self.log_level = "info"

    def run(self, cmd: str, args: list[str]) -> str:
        kw = dict(a.split("=", 1) for a in args if "=" in a)
        pos = [a for a in args if "=" not in a]
        if cmd in ("propose", "read-index"):  # data may contain '='
            pos, kw = args, {}
        if self.net is not None:
            self.net.log_level = self.log_level
            self.net.take_lines()
        out = getattr(self, "cmd_" + cmd.replace("-", "_"))(pos, kw) or []
        lines = (self.net.take_lines() if self.net is not None else []) + out
        return "\n".join(lines) if lines else "ok"

    def cmd_log_level(self, pos, kw):
        self.log_level = pos[0]

    def cmd_add_nodes(self, pos, kw):
        voters = _ids(kw.get("voters", ""))
        learners = _ids(kw.get("learners", ""))
        cfg = {"pre_vote": kw.get("prevote", "true") == "true",
               "check_quorum": kw.get("checkquorum", "true") == "true"}
        if self.net is None:
            self.net = Network([], seed=int(kw.get("seed", "1")), log_level=self.log_level, **cfg)
        start = max(self.net.nodes, default=0) + 1
        for i in range(start, start + int(pos[0])):
            if i in voters or i in learners:
                self.net.add_node(i, voters=voters, learners=learners)
            else:
                self.net.add_node(i)

    def cmd_campaign(self, pos, kw):
        self.net.campaign(int(pos[0]))

    def cmd_tick(self, pos, kw):
        self.net.tick(int(pos[0]), int(pos[1]) if len(pos) > 1 else 1)

    def cmd_tick_election(self, pos, kw):
        r = self.net.nodes[int(pos[0])].raft
        n = r.election_timeout if r.state == "StateLeader" else r.randomized_election_timeout
        self.net.tick(r.id, n)

    def cmd_tick_heartbeat(self, pos, kw):
        r = self.net.nodes[int(pos[0])].raft
        self.net.tick(r.id, r.heartbeat_timeout)

    def cmd_propose(self, pos, kw):
        try:
            self.net.propose(int(pos[0]), pos[1].encode())
        except ProposalDroppedError as e:
            return [f"raft: {e}".replace("raft: raft", "raft")]

    def cmd_propose_conf_change(self, pos, kw):
        self.net.propose_conf_change(int(pos[0]), ConfChange.parse(pos[1]))

    def cmd_transfer_leadership(self, pos, kw):
        self.net.nodes[int(kw["from"])].transfer_leader(int(kw["to"]))

    def cmd_read_index(self, pos, kw):
        self.net.nodes[int(pos[0])].read_index(pos[1].encode())

    def cmd_process_ready(self, pos, kw):
        self.net.process_ready(int(pos[0]))

    def cmd_deliver_msgs(self, pos, kw):
        self.net.deliver(int(pos[0]))

    def cmd_stabilize(self, pos, kw):
        self.net.stabilize([int(p) for p in pos] or None)

    def cmd_isolate(self, pos, kw):
        self.net.isolate(int(pos[0]))

    def cmd_partition(self, pos, kw):
        self.net.partition(*[_ids(p) for p in pos])

    def cmd_heal(self, pos, kw):
        self.net.heal()

    def cmd_compact(self, pos, kw):
        self.net.compact(int(pos[0]), int(pos[1]))

    def cmd_raft_state(self, pos, kw):
        out = []
        for i, rn in sorted(self.net.nodes.items()):
            r = rn.raft
            role = "Learner" if i in r.trk.learners else "Voter" if i in r.trk.voters else "None"
            out.append(f"{i}: {r.state} ({role}) Term:{r.term} Lead:{r.lead}")
        return out

    def cmd_raft_log(self, pos, kw):
        i = int(pos[0])
        st = self.net.storages[i]
        ents = st.entries(st.first_index(), st.last_index() + 1)
        if not ents:
            return [f"log is empty: first index={st.first_index()}, last index={st.last_index()}"]
        return [str(e) for e in ents]

    def cmd_status(self, pos, kw):
        return [f"{i}: {p}" for i, p in self.net.nodes[int(pos[0])].status().progress.items()]


def _parse(text: str):
    """Yield (line number, command line, expected output) blocks; keep comments verbatim."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip() or line.startswith("#"):
            i += 1
            continue
        cmd, start = line, i
        assert lines[i + 1] == "----", f"line {i + 2}: expected ----"
        i += 2
        out = []
        while i < len(lines) and lines[i] != "":
            out.append(lines[i])
            i += 1
        yield start, cmd, "\n".join(out)


@pytest.mark.parametrize("name", FILES)
def test_transcript(name):
    path = DATA / name
    text = path.read_text()
    env = Env()
    rewritten = text.split("\n")
    failures = []
    for start, cmd, want in _parse(text):
        parts = cmd.split()
        got = env.run(parts[0], parts[1:])
        if got != want:
            failures.append(f"{name}:{start + 1}: {cmd}\n--- want\n{want}\n--- got\n{got}")
            first = start + 2
            rewritten[first:first + len(want.split("\n")) if want else first] = got.split("\n")
            if os.environ.get("RAFT_REWRITE"):
                path.write_text("\n".join(rewritten))
                return test_transcript(name)
    assert not failures, failures[0]


def test_transcripts_exist():
    # The "done when" list: each scenario has its golden transcript.
    assert {"election.txt", "prevote.txt", "checkquorum.txt", "log_divergence.txt",
            "snapshot_catchup.txt", "confchange.txt", "transfer_leader.txt",
            "read_index.txt"} <= set(FILES)
