"""Per-role message handling: ``step_leader``, ``step_candidate``, ``step_follower``.

Mirrors ``etcd-io/raft`` ``raft.go`` (stepLeader, stepCandidate, stepFollower,
handleAppendEntries, handleHeartbeat, handleSnapshot, restore, maybeSendAppend,
sendHeartbeat, switchToConfig). ``Raft.step`` has already reconciled terms when these run,
so every message here carries the current term (or is local, term 0).
"""

from __future__ import annotations

from dataclasses import replace

from . import confchange
from .quorum import VoteLost, VoteWon
from .tracker import StateProbe, StateReplicate, StateSnapshot
from .types import (ConfChange, EntryConfChange, Entry, Message, MsgApp, MsgAppResp, MsgBeat,
                    MsgCheckQuorum, MsgHeartbeat, MsgHeartbeatResp, MsgPreVote, MsgProp,
                    MsgReadIndex, MsgReadIndexResp, MsgSnap, MsgSnapStatus, MsgTimeoutNow,
                    MsgTransferLeader, MsgUnreachable, MsgVote, NONE, ReadState,
                    StateFollower, StateLeader, StatePreCandidate, MsgPreVoteResp, MsgVoteResp,
                    vote_resp_type)


def empty_entry() -> Entry:
    return Entry()


def with_id(e: Entry, term: int, index: int) -> Entry:
    return replace(e, term=term, index=index)


def _dropped():
    from .raft import ProposalDroppedError
    return ProposalDroppedError()


# -- votes --------------------------------------------------------------------------------------
def poll(r, id_: int, t: str, granted: bool):
    if granted:
        r.info(f"{r.id:x} received {t} from {id_:x} at term {r.term}")
    else:
        r.info(f"{r.id:x} received {t} rejection from {id_:x} at term {r.term}")
    r.trk.record_vote(id_, granted)
    return r.trk.tally_votes()


def handle_vote_request(r, m: Message) -> None:
    """Grant a (pre-)vote if we may vote for ``m.from_`` and its log is at least as up to date."""
    can_vote = (r.vote == m.from_ or (r.vote == NONE and r.lead == NONE)
                or (m.type == MsgPreVote and m.term > r.term))
    lt, li = r.log.last_term(), r.log.last_index()
    what = (f"[logterm: {lt}, index: {li}, vote: {r.vote:x}] %s {m.type} from {m.from_:x} "
            f"[logterm: {m.log_term}, index: {m.index}] at term {r.term}")
    if can_vote and r.log.is_up_to_date(m.index, m.log_term):
        r.info(f"{r.id:x} " + (what % "cast").replace(f"cast {m.type} from", f"cast {m.type} for"))
        # Answer with the message's term: a pre-vote asks about a term we have not reached.
        r.send(Message(vote_resp_type(m.type), to=m.from_, term=m.term))
        if m.type == MsgVote:
            r.election_elapsed = 0
            r.vote = m.from_
    else:
        r.info(f"{r.id:x} " + what % "rejected")
        r.send(Message(vote_resp_type(m.type), to=m.from_, term=r.term, reject=True))


# -- leader -------------------------------------------------------------------------------------
def maybe_send_append(r, to: int, send_if_empty: bool = True) -> bool:
    """Send ``to`` the entries from its ``next`` (or a snapshot if they were compacted)."""
    pr = r.trk.progress[to]
    if pr.is_paused():
        return False
    prev_index = pr.next - 1
    prev_term = r.log.term(prev_index)
    if prev_term is None:
        return _maybe_send_snapshot(r, to, pr)
    ents = []
    if pr.state != StateReplicate or not pr.inflights.full():
        ents = r.log.entries(pr.next)[:r.cfg.max_entries_per_msg]
    if not ents and not send_if_empty:
        return False
    r.send(Message(MsgApp, to=to, index=prev_index, log_term=prev_term, entries=tuple(ents),
                   commit=r.log.committed))
    pr.sent_entries(len(ents))
    pr.sent_commit = r.log.committed
    return True


def _maybe_send_snapshot(r, to: int, pr) -> bool:
    if not pr.recent_active:
        return False  # raft.go: do not ship a snapshot to a member that is not responding
    snap = r.log.snapshot()
    if snap.is_empty():
        raise AssertionError("need non-empty snapshot")
    pr.become_snapshot(snap.metadata.index)
    r.send(Message(MsgSnap, to=to, snapshot=snap))
    return True


def send_heartbeat(r, to: int, ctx: bytes) -> None:
    # Never move a follower's commit past what it is known to have (min with match).
    pr = r.trk.progress[to]
    commit = min(pr.match, r.log.committed)
    r.send(Message(MsgHeartbeat, to=to, commit=commit, context=ctx))
    pr.sent_commit = commit


def bcast_append(r) -> None:
    for id_ in r.trk.ids():
        if id_ != r.id:
            maybe_send_append(r, id_)


def bcast_heartbeat(r, ctx: bytes | None = None) -> None:
    ctx = r.read_only.last_pending_ctx() if ctx is None else ctx
    for id_ in r.trk.ids():
        if id_ != r.id:
            send_heartbeat(r, id_, ctx)


def _committed_entry_in_current_term(r) -> bool:
    return r.log.zero_term(r.log.committed) == r.term


def _read_index_response(r, req: Message, index: int) -> None:
    if req.from_ in (NONE, r.id):
        r.read_states.append(ReadState(index, req.entries[0].data))
    else:
        r.send(Message(MsgReadIndexResp, to=req.from_, index=index, entries=req.entries))


def _serve_read_index(r, m: Message) -> None:
    # ReadOnlySafe: remember the commit index, then confirm leadership with a heartbeat round.
    r.read_only.add_request(r.log.committed, m)
    r.read_only.recv_ack(r.id, m.entries[0].data)
    bcast_heartbeat(r, m.entries[0].data)


def _release_pending_read_index(r) -> None:
    msgs, r.pending_read_index_messages = r.pending_read_index_messages, []
    for m in msgs:
        _serve_read_index(r, m)


def step_leader(r, m: Message) -> None:
    t = m.type
    if t == MsgBeat:
        bcast_heartbeat(r)
        return
    if t == MsgCheckQuorum:
        if not r.trk.quorum_active():
            r.warn(f"{r.id:x} stepped down to follower since quorum is not active")
            r.become_follower(r.term, NONE)
        for id_, pr in r.trk.progress.items():
            if id_ != r.id:
                pr.recent_active = False
        return
    if t == MsgProp:
        if r.id not in r.trk.progress:
            raise _dropped()  # removed from the configuration
        if r.lead_transferee != NONE:
            raise _dropped()
        ents = list(m.entries)
        for i, e in enumerate(ents):
            if e.type != EntryConfChange:
                continue
            if r.pending_conf_index > r.log.applied:
                cc = ConfChange.unmarshal(e.data)
                # util.go DescribeConfChange of a v1 change (as its V2 form).
                r.info(f"{r.id:x} ignoring conf change transition:ConfChangeTransitionAuto "
                       f"changes:{{type:{cc.type} node_id:{cc.node_id}}} at config {r.trk.config_str()}: "
                       f"possible unapplied conf change at index {r.pending_conf_index} "
                       f"(applied to {r.log.applied})")
                ents[i] = Entry()
            else:
                r.pending_conf_index = r.log.last_index() + i + 1
        r.append_entry(ents)
        bcast_append(r)
        return
    if t == MsgReadIndex:
        if r.trk.is_singleton():
            _read_index_response(r, m, r.log.committed)
        elif not _committed_entry_in_current_term(r):
            # The commit index of a fresh leader may lag: wait for its first commit (§6.4).
            r.pending_read_index_messages.append(m)
        else:
            _serve_read_index(r, m)
        return

    pr = r.trk.progress.get(m.from_)
    if pr is None:
        return
    if t == MsgAppResp:
        pr.recent_active = True
        if m.reject:
            next_probe = m.reject_hint
            if m.log_term > 0:
                next_probe, _ = r.log.find_conflict_by_term(m.reject_hint, m.log_term)
            if pr.maybe_decr_to(m.index, next_probe):
                if pr.state == StateReplicate:
                    pr.become_probe()
                maybe_send_append(r, m.from_)
            return
        if pr.maybe_update(m.index) or (pr.match == m.index and pr.state == StateProbe):
            if pr.state == StateProbe:
                pr.become_replicate()
            elif pr.state == StateSnapshot and pr.match + 1 >= r.log.first_index():
                pr.become_probe()
                pr.become_replicate()
            elif pr.state == StateReplicate:
                pr.inflights.free_le(m.index)
            if r.maybe_commit():
                _release_pending_read_index(r)
                bcast_append(r)
            elif pr.can_bump_commit(r.log.committed):
                maybe_send_append(r, m.from_)
            while maybe_send_append(r, m.from_, send_if_empty=False):
                pass
            if m.from_ == r.lead_transferee and pr.match == r.log.last_index():
                r.info(f"{r.id:x} sent MsgTimeoutNow to {m.from_:x} after received MsgAppResp")
                r.send(Message(MsgTimeoutNow, to=m.from_))
    elif t == MsgHeartbeatResp:
        pr.recent_active = True
        pr.msg_app_flow_paused = False
        if pr.match < r.log.last_index() or pr.state == StateProbe:
            maybe_send_append(r, m.from_)
        if not m.context:
            return
        r.read_only.recv_ack(m.from_, m.context)
        for st in r.read_only.advance(r.trk.voters, m.context):
            _read_index_response(r, st.req, st.index)
    elif t == MsgSnapStatus:
        if pr.state != StateSnapshot:
            return
        if m.reject:
            pr.pending_snapshot = 0
        pr.become_probe()
        pr.msg_app_flow_paused = True  # wait for the follower's MsgAppResp
    elif t == MsgUnreachable:
        if pr.state == StateReplicate:
            pr.become_probe()
    elif t == MsgTransferLeader:
        _transfer_leader(r, m, pr)


def _transfer_leader(r, m: Message, pr) -> None:
    if pr.is_learner:
        return
    transferee = m.from_
    if r.lead_transferee != NONE:
        if r.lead_transferee == transferee:
            r.info(f"{r.id:x} [term {r.term}] transfer leadership to {transferee:x} is in progress, "
                   f"ignores request to same node {transferee:x}")
            return
        last = r.lead_transferee
        r.lead_transferee = NONE
        r.info(f"{r.id:x} [term {r.term}] abort previous transferring leadership to {last:x}")
    if transferee == r.id:
        return
    r.info(f"{r.id:x} [term {r.term}] starts to transfer leadership to {transferee:x}")
    # The transfer must finish within an election timeout (_tick_heartbeat aborts it).
    r.election_elapsed = 0
    r.lead_transferee = transferee
    if pr.match == r.log.last_index():
        r.send(Message(MsgTimeoutNow, to=transferee))
        r.info(f"{r.id:x} sends MsgTimeoutNow to {transferee:x} immediately as {transferee:x} "
               "already has up-to-date log")
    else:
        maybe_send_append(r, transferee)


# -- candidate and follower ---------------------------------------------------------------------
def step_candidate(r, m: Message) -> None:
    my_resp = MsgPreVoteResp if r.state == StatePreCandidate else MsgVoteResp
    t = m.type
    if t == MsgProp:
        r.info(f"{r.id:x} no leader at term {r.term}; dropping proposal")
        raise _dropped()
    if t in (MsgApp, MsgHeartbeat, MsgSnap):
        r.become_follower(m.term, m.from_)  # a leader exists at our term
        _FOLLOWER_HANDLERS[t](r, m)
    elif t == my_resp:
        gr, rj, res = poll(r, m.from_, t, not m.reject)
        r.info(f"{r.id:x} has received {gr} {t} votes and {rj} vote rejections")
        if res == VoteWon:
            if r.state == StatePreCandidate:
                r.campaign(pre=False, transfer=False)
            else:
                r.become_leader()
                bcast_append(r)
        elif res == VoteLost:
            r.become_follower(r.term, NONE)


def step_follower(r, m: Message) -> None:
    t = m.type
    if t == MsgProp:
        if r.lead == NONE:
            r.info(f"{r.id:x} no leader at term {r.term}; dropping proposal")
            raise _dropped()
        r.send(replace(m, to=r.lead))
    elif t in (MsgApp, MsgHeartbeat, MsgSnap):
        r.election_elapsed = 0
        r.lead = m.from_
        _FOLLOWER_HANDLERS[t](r, m)
    elif t == MsgTransferLeader:
        if r.lead == NONE:
            r.info(f"{r.id:x} no leader at term {r.term}; dropping leader transfer msg")
            return
        r.send(replace(m, to=r.lead))
    elif t == MsgTimeoutNow:
        r.info(f"{r.id:x} [term {r.term}] received MsgTimeoutNow from {m.from_:x} and starts an "
               "election to get leadership.")
        r.hup(transfer=True)
    elif t == MsgReadIndex:
        if r.lead == NONE:
            r.info(f"{r.id:x} no leader at term {r.term}; dropping index reading msg")
            return
        r.send(replace(m, to=r.lead))
    elif t == MsgReadIndexResp:
        r.read_states.append(ReadState(m.index, m.entries[0].data))


def handle_append_entries(r, m: Message) -> None:
    if m.index < r.log.committed:
        r.send(Message(MsgAppResp, to=m.from_, index=r.log.committed))
        return
    last = r.log.maybe_append(m.index, m.log_term, m.commit, list(m.entries))
    if last is not None:
        r.send(Message(MsgAppResp, to=m.from_, index=last))
        return
    # Reject with a hint: our last index at or below m.index whose term <= m.log_term, so the
    # leader can skip a whole divergent term at once (raft.go handleAppendEntries).
    hint_index, hint_term = r.log.find_conflict_by_term(min(m.index, r.log.last_index()), m.log_term)
    r.send(Message(MsgAppResp, to=m.from_, index=m.index, reject=True, reject_hint=hint_index,
                   log_term=hint_term))


def handle_heartbeat(r, m: Message) -> None:
    r.log.commit_to(m.commit)
    r.send(Message(MsgHeartbeatResp, to=m.from_, context=m.context))


def handle_snapshot(r, m: Message) -> None:
    s = m.snapshot
    idx, term = s.metadata.index, s.metadata.term
    if _restore(r, s):
        r.info(f"{r.id:x} [commit: {r.log.committed}] restored snapshot [index: {idx}, term: {term}]")
        r.send(Message(MsgAppResp, to=m.from_, index=r.log.last_index()))
    else:
        r.info(f"{r.id:x} [commit: {r.log.committed}] ignored snapshot [index: {idx}, term: {term}]")
        r.send(Message(MsgAppResp, to=m.from_, index=r.log.committed))


def _restore(r, s) -> bool:
    md = s.metadata
    if md.index <= r.log.committed:
        return False
    if r.state != StateFollower:
        r.warn(f"{r.id:x} attempted to restore snapshot as leader; should never happen")
        r.become_follower(r.term + 1, NONE)
        return False
    if r.id not in md.conf_state.voters and r.id not in md.conf_state.learners:
        r.warn(f"{r.id:x} attempted to restore snapshot but it is not in the ConfState; should never happen")
        return False
    if r.log.match_term(md.index, md.term):
        # We already have the snapshot's last entry: just move commit forward.
        r.info(f"{r.id:x} [commit: {r.log.committed}, lastindex: {r.log.last_index()}, lastterm: "
               f"{r.log.last_term()}] fast-forwarded commit to snapshot [index: {md.index}, term: {md.term}]")
        r.log.commit_to(md.index)
        return False
    r.log.restore(s)
    confchange.restore(r.trk, md.conf_state, r.log.last_index())
    switch_to_config(r)
    r.info(f"{r.id:x} [commit: {r.log.committed}, lastindex: {r.log.last_index()}, lastterm: "
           f"{r.log.last_term()}] restored snapshot [index: {md.index}, term: {md.term}]")
    return True


_FOLLOWER_HANDLERS = {MsgApp: handle_append_entries, MsgHeartbeat: handle_heartbeat,
                      MsgSnap: handle_snapshot}


def switch_to_config(r):
    """After a config change: a removed leader steps down; the leader may commit more."""
    r.info(f"{r.id:x} switched to configuration {r.trk.config_str()}")
    cs = r.trk.conf_state()
    pr = r.trk.progress.get(r.id)
    if (pr is None or pr.is_learner) and r.state == StateLeader:
        # raft.go StepDownOnRemoval (etcd sets it): a removed leader stops leading at once.
        r.become_follower(r.term, NONE)
        return cs
    if r.state != StateLeader or not cs.voters:
        return cs
    if r.maybe_commit():
        bcast_append(r)
    else:
        for id_ in r.trk.ids():
            if id_ != r.id:
                maybe_send_append(r, id_, send_if_empty=False)
    if r.lead_transferee != NONE and r.lead_transferee not in r.trk.voters:
        r.lead_transferee = NONE
    return cs

