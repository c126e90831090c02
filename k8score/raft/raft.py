"""The Raft state machine: terms, roles, ticks and the one ``step`` entry point.

Mirrors ``etcd-io/raft`` ``raft.go``. The role is behaviour, not a flag: ``become_follower``
and friends swap ``self._step`` (``roles.step_leader`` / ``step_candidate`` /
``step_follower``) and ``self._tick`` (``_tick_election`` / ``_tick_heartbeat``).
``step`` first reconciles the message's term with ours, handles votes (which depend on term
only), then dispatches to the role. Nothing here does I/O: outgoing messages collect in
``self.msgs`` and the log's unstable tail; ``RawNode`` turns them into a ``Ready``.

Deviation from upstream HEAD, as in etcd-io/raft v3.5: the leader's own append and the
candidate's own vote count immediately instead of via a self-addressed response after the
write (``msgsAfterAppend``). With the Ready ordering obligation (persist before sending) the
result is the same for a synchronous caller.
"""

from __future__ import annotations

from . import confchange, roles
from .log import RaftLog
from .quorum import VoteWon
from .read_only import ReadOnly
from .tracker import ProgressTracker
from .types import (CAMPAIGN_TRANSFER, EntryConfChange, HardState, Message, MsgApp,
                    MsgAppResp, MsgBeat, MsgCheckQuorum, MsgHeartbeat, MsgHup, MsgPreVote,
                    MsgPreVoteResp, MsgProp, MsgReadIndex, MsgSnap, MsgVote, MsgVoteResp,
                    NONE, SoftState, StateCandidate, StateFollower, StateLeader,
                    StatePreCandidate, ConfChange, ConfState, vote_resp_type)


class ProposalDroppedError(Exception):
    """raft.go ErrProposalDropped."""

    def __init__(self):
        super().__init__("raft proposal dropped")


class Raft:
    """One member's protocol state. Use it through ``RawNode``; see ``rawnode.Config``."""

    def __init__(self, cfg, storage):
        self.id = cfg.id
        self.cfg = cfg
        self.log = RaftLog(storage)
        self.trk = ProgressTracker(cfg.max_inflight_msgs)
        self.election_timeout = cfg.election_tick
        self.heartbeat_timeout = cfg.heartbeat_tick
        self.check_quorum = cfg.check_quorum
        self.pre_vote = cfg.pre_vote
        self.rng = cfg.rng
        self.logger = cfg.logger
        self.term = 0
        self.vote = NONE
        self.lead = NONE
        self.state = StateFollower
        self.msgs: list[Message] = []
        self.read_states: list = []
        self.lead_transferee = NONE
        self.pending_conf_index = 0
        self.pending_read_index_messages: list[Message] = []
        self.read_only = ReadOnly()
        self.election_elapsed = 0
        self.heartbeat_elapsed = 0
        self.randomized_election_timeout = self.election_timeout

        hs, cs = storage.initial_state()
        if not cs.voters and not cs.learners:  # fresh start: the peers are the configuration
            cs = ConfState(voters=tuple(sorted(cfg.peers)), learners=tuple(sorted(cfg.learners)))
        confchange.restore(self.trk, cs, self.log.last_index())
        if not hs.is_empty():
            if not self.log.committed <= hs.commit <= self.log.last_index():
                raise AssertionError(f"{self.id} state.commit {hs.commit} is out of range "
                                     f"[{self.log.committed}, {self.log.last_index()}]")
            self.log.committed, self.term, self.vote = hs.commit, hs.term, hs.vote
        if cfg.applied:
            self.log.applied_to(cfg.applied)
        self.become_follower(self.term, NONE)
        self.info(f"newRaft {self.id:x} [peers: [{','.join(str(i) for i in sorted(self.trk.voters))}], "
                  f"term: {self.term}, commit: {self.log.committed}, applied: {self.log.applied}, "
                  f"lastindex: {self.log.last_index()}, lastterm: {self.log.last_term()}]")

    # -- logging: the INFO/WARN lines of upstream, which the transcripts show ------------------
    def info(self, text: str) -> None:
        if self.logger is not None:
            self.logger("INFO", text)

    def warn(self, text: str) -> None:
        if self.logger is not None:
            self.logger("WARN", text)

    def soft_state(self) -> SoftState:
        return SoftState(self.lead, self.state)

    def hard_state(self) -> HardState:
        return HardState(self.term, self.vote, self.log.committed)

    # -- sending -------------------------------------------------------------------------------
    def send(self, m: Message) -> None:
        """raft.go send: stamp From and (except vote traffic and forwarded proposals) Term."""
        kw = {}
        if m.from_ == NONE:
            kw["from_"] = self.id
        if m.type in (MsgVote, MsgVoteResp, MsgPreVote, MsgPreVoteResp):
            if m.term == 0:
                raise AssertionError(f"term should be set when sending {m.type}")
        elif m.type not in (MsgProp, MsgReadIndex):
            kw["term"] = self.term
        if m.to == self.id:
            raise AssertionError(f"message should not be self-addressed when sending {m.type}")
        self.msgs.append(Message(**{**m.__dict__, **kw}))

    # -- role transitions ----------------------------------------------------------------------
    def _reset(self, term: int) -> None:
        if self.term != term:
            self.term = term
            self.vote = NONE
        self.lead = NONE
        self.election_elapsed = 0
        self.heartbeat_elapsed = 0
        # raft.go resetRandomizedElectionTimeout: uniform in [electiontimeout, 2*electiontimeout)
        self.randomized_election_timeout = self.election_timeout + self.rng.randrange(self.election_timeout)
        self.lead_transferee = NONE
        self.trk.reset_votes()
        last = self.log.last_index()
        for id_, pr in self.trk.progress.items():
            learner = pr.is_learner
            pr.__init__(next_=last + 1, max_inflight=self.trk.max_inflight, is_learner=learner)
            if id_ == self.id:
                pr.match = last
        self.pending_conf_index = 0
        self.read_only = ReadOnly()
        self.pending_read_index_messages = []

    def become_follower(self, term: int, lead: int) -> None:
        self._step = roles.step_follower
        self._reset(term)
        self._tick = self._tick_election
        self.lead = lead
        self.state = StateFollower
        self.info(f"{self.id:x} became follower at term {self.term}")

    def become_candidate(self) -> None:
        if self.state == StateLeader:
            raise AssertionError("invalid transition [leader -> candidate]")
        self._step = roles.step_candidate
        self._reset(self.term + 1)
        self._tick = self._tick_election
        self.vote = self.id
        self.state = StateCandidate
        self.info(f"{self.id:x} became candidate at term {self.term}")

    def become_pre_candidate(self) -> None:
        """A pre-candidate asks "would you vote for me?" without bumping its term, so a node
        rejoining from a partition cannot force the cluster's term up (thesis §9.6)."""
        if self.state == StateLeader:
            raise AssertionError("invalid transition [leader -> pre-candidate]")
        self._step = roles.step_candidate
        self.trk.reset_votes()
        self._tick = self._tick_election
        self.lead = NONE
        self.state = StatePreCandidate
        self.info(f"{self.id:x} became pre-candidate at term {self.term}")

    def become_leader(self) -> None:
        if self.state == StateFollower:
            raise AssertionError("invalid transition [follower -> leader]")
        self._step = roles.step_leader
        self._reset(self.term)
        self._tick = self._tick_heartbeat
        self.lead = self.id
        self.state = StateLeader
        pr = self.trk.progress[self.id]
        pr.become_replicate()
        pr.recent_active = True
        # Any unapplied entry may be a config change: delay new ones until all are applied.
        self.pending_conf_index = self.log.last_index()
        # An empty entry of the new term: committing it commits everything before (§5.4.2).
        self.append_entry([roles.empty_entry()])
        self.info(f"{self.id:x} became leader at term {self.term}")

    # -- ticks ----------------------------------------------------------------------------------
    def tick(self) -> None:
        self._tick()

    def _tick_election(self) -> None:
        self.election_elapsed += 1
        if self.promotable() and self.election_elapsed >= self.randomized_election_timeout:
            self.election_elapsed = 0
            self.step(Message(MsgHup, from_=self.id))

    def _tick_heartbeat(self) -> None:
        self.heartbeat_elapsed += 1
        self.election_elapsed += 1
        if self.election_elapsed >= self.election_timeout:
            self.election_elapsed = 0
            if self.check_quorum:
                self.step(Message(MsgCheckQuorum, from_=self.id))
            if self.state == StateLeader and self.lead_transferee != NONE:
                self.lead_transferee = NONE  # transfer did not finish within an election timeout
        if self.state != StateLeader:
            return
        if self.heartbeat_elapsed >= self.heartbeat_timeout:
            self.heartbeat_elapsed = 0
            self.step(Message(MsgBeat, from_=self.id))

    # -- elections ------------------------------------------------------------------------------
    def promotable(self) -> bool:
        pr = self.trk.progress.get(self.id)
        return pr is not None and not pr.is_learner and self.log.unstable.snapshot is None

    def _has_unapplied_conf_changes(self) -> bool:
        if self.log.applied >= self.log.committed:
            return False
        ents = self.log.slice(self.log.applied + 1, self.log.committed + 1)
        return any(e.type == EntryConfChange for e in ents)

    def hup(self, transfer: bool = False) -> None:
        if self.state == StateLeader:
            return
        if not self.promotable():
            self.warn(f"{self.id:x} is unpromotable and can not campaign")
            return
        if self._has_unapplied_conf_changes():
            self.warn(f"{self.id:x} cannot campaign at term {self.term} since there are still "
                      "pending configuration changes to apply")
            return
        self.info(f"{self.id:x} is starting a new election at term {self.term}")
        self.campaign(pre=self.pre_vote and not transfer, transfer=transfer)

    def campaign(self, pre: bool, transfer: bool = False) -> None:
        if pre:
            self.become_pre_candidate()
            vote_msg, term = MsgPreVote, self.term + 1  # pre-votes ask about the next term
        else:
            self.become_candidate()
            vote_msg, term = MsgVote, self.term
        # Our own vote counts at once (v3.5; upstream HEAD delivers it after the HardState
        # write, which a synchronous caller performs before sending anyway).
        if roles.poll(self, self.id, vote_resp_type(vote_msg), True)[2] == VoteWon:
            if pre:
                self.campaign(pre=False, transfer=transfer)
            else:
                self.become_leader()
            return
        ctx = CAMPAIGN_TRANSFER if transfer else b""
        for id_ in sorted(self.trk.voters):
            if id_ == self.id:
                continue
            self.info(f"{self.id:x} [logterm: {self.log.last_term()}, index: {self.log.last_index()}] "
                      f"sent {vote_msg} request to {id_:x} at term {self.term}")
            self.send(Message(vote_msg, to=id_, term=term, index=self.log.last_index(),
                              log_term=self.log.last_term(), context=ctx))

    # -- the entry point ------------------------------------------------------------------------
    def step(self, m: Message) -> None:
        """Advance the state machine by one message (raft.go Step)."""
        if m.term == 0:
            pass  # local message
        elif m.term > self.term:
            if m.type in (MsgVote, MsgPreVote):
                force = m.context == CAMPAIGN_TRANSFER
                in_lease = self.check_quorum and self.lead != NONE and \
                    self.election_elapsed < self.election_timeout
                if not force and in_lease:
                    # Heard from a leader within the election timeout: do not let a
                    # (possibly partitioned) candidate depose it (thesis §4.2.3).
                    self.info(f"{self.id:x} [logterm: {self.log.last_term()}, index: {self.log.last_index()}, "
                              f"vote: {self.vote:x}] ignored {m.type} from {m.from_:x} [logterm: {m.log_term}, "
                              f"index: {m.index}] at term {self.term}: lease is not expired (remaining ticks: "
                              f"{self.election_timeout - self.election_elapsed})")
                    return
            if m.type == MsgPreVote or (m.type == MsgPreVoteResp and not m.reject):
                pass  # pre-votes never change our term
            else:
                self.info(f"{self.id:x} [term: {self.term}] received a {m.type} message with higher "
                          f"term from {m.from_:x} [term: {m.term}]")
                lead = m.from_ if m.type in (MsgApp, MsgHeartbeat, MsgSnap) else NONE
                self.become_follower(m.term, lead)
        elif m.term < self.term:
            if (self.check_quorum or self.pre_vote) and m.type in (MsgHeartbeat, MsgApp):
                # A stale leader (or one we outran in a partition): tell it our term so it
                # steps down, instead of silently ignoring it forever.
                self.send(Message(MsgAppResp, to=m.from_))
            elif m.type == MsgPreVote:
                self.info(f"{self.id:x} [logterm: {self.log.last_term()}, index: {self.log.last_index()}, "
                          f"vote: {self.vote:x}] rejected {m.type} from {m.from_:x} [logterm: {m.log_term}, "
                          f"index: {m.index}] at term {self.term}")
                self.send(Message(MsgPreVoteResp, to=m.from_, term=self.term, reject=True))
            else:
                self.info(f"{self.id:x} [term: {self.term}] ignored a {m.type} message with lower term "
                          f"from {m.from_:x} [term: {m.term}]")
            return

        if m.type == MsgHup:
            self.hup()
        elif m.type in (MsgVote, MsgPreVote):
            roles.handle_vote_request(self, m)
        else:
            self._step(self, m)

    # -- used by roles and RawNode --------------------------------------------------------------
    def append_entry(self, ents) -> None:
        li = self.log.last_index()
        ents = [roles.with_id(e, self.term, li + 1 + i) for i, e in enumerate(ents)]
        li = self.log.append(ents)
        self.trk.progress[self.id].maybe_update(li)  # leader self-ack (see module docstring)
        self.maybe_commit()

    def maybe_commit(self) -> bool:
        """Commit the quorum's match index, but only if it is an entry of our term."""
        return self.log.maybe_commit(self.trk.committed(), self.term)

    def apply_conf_change(self, cc: ConfChange) -> ConfState:
        confchange.apply_simple(self.trk, cc, self.log.last_index())
        return roles.switch_to_config(self)

    def applied_to(self, index: int) -> None:
        self.log.applied_to(max(index, self.log.applied))
