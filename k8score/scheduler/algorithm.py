"""One scheduling decision: filter nodes, score the feasible ones, pick a host.

As ``pkg/scheduler/schedule_one.go`` (``schedulePod``, ``findNodesThatFitPod``,
``findNodesThatPassFilters``, ``numFeasibleNodesToFind``, ``prioritizeNodes``,
``selectHost``). Pure code: a :class:`~.framework.Framework`, a
:class:`~.nodeinfo.Snapshot` and a pod dict in, a :class:`ScheduleResult` or a
:class:`FitError` out.

Why big clusters stay fast: the scheduler stops filtering once it has found
:func:`num_feasible_nodes_to_find` feasible nodes, and the next pod starts where
this one stopped (``next_start_node_index``), so every node gets its turn. And the
nodes one cycle looks at are a run of the snapshot's node list, so when the
algorithm hands plugins such a run it says where it lies (``CycleState.node_range``):
the default plugins then read their verdicts and scores for this pod shape from
columns the snapshot keeps across cycles (:meth:`~.nodeinfo.Snapshot.column`),
recomputed only for the nodes that changed since the last pod. When Filter rejected
some nodes of the run, the rest are handed with their positions in the list instead.
"""

from __future__ import annotations

import random
from itertools import compress, islice, repeat
from operator import attrgetter, eq, is_

from .framework import Framework, filter_verdict
from .interface import CycleState
from .nodeinfo import NodeInfo, Snapshot
from .scores import NodeScores, ScoreTable
from .status import Code, Status

# schedule_one.go: minFeasibleNodesToFind
MIN_FEASIBLE_NODES_TO_FIND = 100
# schedule_one.go: minFeasibleNodesPercentageToFind
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5
# framework/types.go: NoNodeAvailableMsg
NO_NODE_AVAILABLE_MSG = "0/{} nodes are available"
#: nodes given to each Filter plugin at once (see Algorithm._filter_in_chunks): enough that
#: a call per chunk costs little per node, few enough that little is filtered in vain
_MIN_FILTER_CHUNK = 64
# schedule_one.go: ErrNoNodesAvailable
ERR_NO_NODES_AVAILABLE = "no nodes available to schedule pods"


def num_feasible_nodes_to_find(num_all_nodes: int, percentage: int | None = 0) -> int:
    """How many feasible nodes to find before the scheduler stops looking.

    Fewer than 100 nodes: all of them. Otherwise ``percentage`` of them (default
    adaptive: ``50 - nodes // 125``, at least 5%), but never fewer than 100.

    >>> [num_feasible_nodes_to_find(n) for n in (50, 100, 1000, 5000, 6000, 20000)]
    [50, 100, 420, 500, 300, 1000]
    >>> num_feasible_nodes_to_find(1000, percentage=100)
    1000
    """
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all_nodes
    if not percentage:
        percentage = 50 - num_all_nodes // 125
        if percentage < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND:
            percentage = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND
    num = num_all_nodes * percentage // 100
    return max(num, MIN_FEASIBLE_NODES_TO_FIND)


class Diagnosis:
    """Why nodes were rejected (``framework.Diagnosis``), plus what was looked at."""

    def __init__(self) -> None:
        self.node_to_status: dict[str, Status] = {}     # explicitly filtered-out nodes, in scan order
        self.absent_status: Status | None = None        # status of nodes never given to Filter
        self.unschedulable_plugins: set[str] = set()
        self.pre_filter_msg = ""
        self.post_filter_msg = ""
        self.feasible: list[str] = []                   # passed every filter, in scan order
        self.evaluated: list[str] = []                  # every node given to Filter, in scan order
        self.used_nominated_node = False                # decided on status.nominatedNodeName alone
        self.start_index = 0
        self.num_to_find = 0
        self.whole_list = False                         # Filter saw the snapshot's whole node list

    def add_plugin_status(self, s: Status) -> None:
        if s.plugin and s.is_rejected():
            self.unschedulable_plugins.add(s.plugin)


class FitError(Exception):
    """No node fits. ``str()`` is upstream's ``FitError.Error()`` message, e.g.
    ``0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu.``"""

    def __init__(self, pod: dict, num_all_nodes: int, diagnosis: Diagnosis):
        self.pod = pod
        self.num_all_nodes = num_all_nodes
        self.diagnosis = diagnosis
        super().__init__(self.message())

    def message(self) -> str:
        d = self.diagnosis
        msg = NO_NODE_AVAILABLE_MSG.format(self.num_all_nodes) + ":"
        if d.pre_filter_msg:
            msg += f" {d.pre_filter_msg}."
        else:
            counts: dict[str, int] = {}
            for s in d.node_to_status.values():
                for r in s.reasons:
                    counts[r] = counts.get(r, 0) + 1
            absent = self.num_all_nodes - len(d.node_to_status) - len(d.feasible)
            if absent > 0 and d.absent_status is not None:
                for r in d.absent_status.reasons:
                    counts[r] = counts.get(r, 0) + absent
            # sort.Strings over "<count> <reason>": a lexicographic sort, as upstream
            parts = sorted(f"{n} {r}" for r, n in counts.items())
            if parts:
                msg += " " + ", ".join(parts) + "."
        if d.post_filter_msg:
            msg += f" {d.post_filter_msg}"
        return msg


class NoNodesAvailable(Exception):
    def __init__(self) -> None:
        super().__init__(ERR_NO_NODES_AVAILABLE)


class ScheduleResult:
    """The chosen node and everything needed to explain the choice."""

    def __init__(self, suggested_host: str, evaluated_nodes: int, feasible_nodes: int,
                 scores: ScoreTable | list[NodeScores] | None, diagnosis: Diagnosis, tie: list[str]):
        self.suggested_host = suggested_host
        self.evaluated_nodes = evaluated_nodes
        self.feasible_nodes = feasible_nodes
        # a sequence of NodeScores (a ScoreTable); None when only one node was feasible
        self.scores = scores
        self.diagnosis = diagnosis
        self.tie = tie                # nodes sharing the top score (the host was drawn among them)


class Algorithm:
    """Holds what survives between cycles: the rotating start index and the RNG.

    ``rng`` must be seeded (from ``loop.rng``) so placements are reproducible.
    """

    def __init__(self, rng: random.Random, percentage_of_nodes_to_score: int = 0):
        self.rng = rng
        self.percentage_of_nodes_to_score = percentage_of_nodes_to_score
        self.next_start_node_index = 0
        #: let plugins read the snapshot's per-node columns (``CycleState.node_range``); False
        #: runs the plain per-node path, the reference the columns are tested against
        self.use_columns = True

    # -- schedulePod -------------------------------------------------------------
    def schedule(self, fw: Framework, state: CycleState, pod: dict, snapshot: Snapshot) -> ScheduleResult:
        """Raises :class:`NoNodesAvailable`, :class:`FitError`, or :class:`SchedulingError`."""
        fw.snapshot = snapshot   # the handle's SnapshotSharedLister for this cycle
        if snapshot.num_nodes() == 0:
            raise NoNodesAvailable()
        feasible, diagnosis = self._find_nodes_that_fit(fw, state, pod, snapshot)
        if not feasible:
            raise FitError(pod, snapshot.num_nodes(), diagnosis)
        evaluated = len(feasible) + len(diagnosis.node_to_status)
        if len(feasible) == 1:
            # schedule_one.go: "When only one node after predicate, just use it."
            return ScheduleResult(feasible[0].name, evaluated, 1, None, diagnosis, [feasible[0].name])
        if self.use_columns and not diagnosis.used_nominated_node and diagnosis.whole_list:
            if len(diagnosis.evaluated) == len(feasible):
                # no node was rejected: the feasible nodes are node_infos[start:start + n], wrapping
                state.node_range = (snapshot, diagnosis.start_index, len(feasible))
            else:
                # some were: Score plugins read their columns at the feasible nodes' positions
                state.node_range = (snapshot, snapshot.positions(feasible), len(feasible))
        try:
            scores = self._prioritize(fw, state, pod, feasible)
        finally:
            state.node_range = None
        host, tie = self.select_host(scores)
        return ScheduleResult(host, evaluated, len(feasible), scores, diagnosis, tie)

    def _find_nodes_that_fit(self, fw: Framework, state: CycleState, pod: dict,
                             snapshot: Snapshot) -> tuple[list[NodeInfo], Diagnosis]:
        diagnosis = Diagnosis()
        all_nodes = snapshot.node_infos
        # (a copy for the reference path: PreFilter plugins keep no sums in the snapshot then)
        pre_res, s, rejected = fw.run_pre_filter(state, pod, all_nodes if self.use_columns else list(all_nodes))
        diagnosis.unschedulable_plugins |= rejected
        if not s.is_success():
            if not s.is_rejected():
                raise SchedulingError(s)
            diagnosis.absent_status = s           # every node shares the PreFilter verdict
            diagnosis.pre_filter_msg = s.message
            return [], diagnosis
        nominated = snapshot.get((pod.get("status") or {}).get("nominatedNodeName") or "")
        if nominated is not None:
            # evaluateNominatedNode: a node freed for this pod by preemption is tried first
            feasible = self._find_nodes_that_pass_filters(fw, state, pod, diagnosis, [nominated])
            if feasible:
                diagnosis.used_nominated_node = True
                return feasible, diagnosis
            diagnosis = Diagnosis()
            diagnosis.unschedulable_plugins |= rejected
        nodes = all_nodes
        if not pre_res.all_nodes():
            wanted = pre_res.node_names
            if len(wanted) * 8 < len(all_nodes):
                # a few names (a DaemonSet pod's own node): looked up, not a scan of every node
                nodes = snapshot.in_order(wanted)
            else:
                nodes = [ni for ni in all_nodes if ni.name in wanted]
            # Go's %v of a []string: "[A B]"
            diagnosis.absent_status = Status(
                Code.UNSCHEDULABLE_AND_UNRESOLVABLE,
                f"node(s) didn't satisfy plugin(s) [{' '.join(sorted(rejected))}]")
        diagnosis.whole_list = nodes is all_nodes
        feasible = self._find_nodes_that_pass_filters(fw, state, pod, diagnosis, nodes,
                                                      snapshot if nodes is all_nodes and self.use_columns
                                                      else None)
        # always advance the start index, even on failure, so every node gets examined over time
        processed = len(feasible) + len(diagnosis.node_to_status)
        self.next_start_node_index = (self.next_start_node_index + processed) % len(all_nodes)
        return feasible, diagnosis

    def _find_nodes_that_pass_filters(self, fw: Framework, state: CycleState, pod: dict,
                                      diagnosis: Diagnosis, nodes: list[NodeInfo],
                                      snapshot: Snapshot | None = None) -> list[NodeInfo]:
        """``snapshot``: given when ``nodes`` is its ``node_infos`` (plugins may read columns)."""
        n = len(nodes)
        if n == 0:
            return []
        percentage = fw.profile.percentage_of_nodes_to_score
        if percentage is None:
            percentage = self.percentage_of_nodes_to_score
        to_find = num_feasible_nodes_to_find(n, percentage)
        if not fw.has_score_plugins():
            to_find = 1  # nothing to compare: the first feasible node will do
        start = self.next_start_node_index % n
        diagnosis.start_index = start
        diagnosis.num_to_find = to_find
        feasible: list[NodeInfo] = []
        if not fw.has_filter_plugins():
            feasible = [nodes[(start + i) % n] for i in range(min(to_find, n))]
            diagnosis.feasible = list(map(_name, feasible))
            diagnosis.evaluated = list(diagnosis.feasible)
            return feasible
        plugins = state.filter_plugins
        if plugins is None:
            plugins = [pl for pl in fw.filter_plugins if pl.name not in state.skip_filter_plugins]
        feasible = self._filter_in_chunks(fw, state, pod, diagnosis, _Rotated(nodes, start), to_find, plugins,
                                          snapshot)
        # nothing rejected: the feasible nodes are the evaluated ones
        ev = diagnosis.evaluated
        # (one list for both: a diagnosis is read-only once the cycle is over)
        diagnosis.feasible = ev if len(ev) == len(feasible) else list(map(_name, feasible))
        return feasible

    def _filter_one_by_one(self, fw: Framework, state: CycleState, pod: dict, diagnosis: Diagnosis,
                           order: list[NodeInfo], to_find: int) -> list[NodeInfo]:
        """``findNodesThatPassFilters`` node by node, in scan order, until ``to_find`` fit: the
        plain loop, kept as the reference :meth:`_filter_in_chunks` is tested against."""
        feasible: list[NodeInfo] = []
        statuses = diagnosis.node_to_status
        evaluated = diagnosis.evaluated
        run_filter = fw.run_filter_with_nominated_pods
        for ni in order:
            evaluated.append(ni.name)
            s = run_filter(state, pod, ni)
            if s is None:
                feasible.append(ni)
                if len(feasible) >= to_find:
                    break
            elif s.code == Code.ERROR:
                raise SchedulingError(s)
            else:
                statuses[ni.name] = s
                diagnosis.add_plugin_status(s)
        return feasible

    def _filter_in_chunks(self, fw: Framework, state: CycleState, pod: dict, diagnosis: Diagnosis,
                          order: "list[NodeInfo] | _Rotated", to_find: int, plugins: list,
                          snapshot: Snapshot | None = None) -> list[NodeInfo]:
        """The same result as :meth:`_filter_one_by_one`, plugin by plugin over chunks of nodes.

        Each Filter plugin sees a chunk at once (``filter_nodes``: no call per node for the
        common "fits"); a node a plugin rejects is not shown to the next plugin, so every node
        keeps the verdict of its first rejecting plugin, as in ``RunFilterPlugins``. A chunk
        holds the nodes still needed (at least :data:`_MIN_FILTER_CHUNK`); then the verdicts
        are read in scan order and reading stops at the ``to_find``-th feasible node, exactly
        where the node-by-node loop stops (Filter is pure, so verdicts computed past that
        point change nothing). A node with pods nominated to it by preemption is filtered on
        its own (``RunFilterPluginsWithNominatedPods``).

        With ``snapshot`` (``order`` is its rotated ``node_infos``), each plugin given a whole
        chunk sees ``state.node_range`` set to where the chunk lies in the snapshot."""
        feasible: list[NodeInfo] = []
        statuses = diagnosis.node_to_status
        evaluated = diagnosis.evaluated
        nominator = fw.nominator if fw.nominator else None      # None: nobody is nominated
        n, pos = len(order), 0
        base = order.start if snapshot is not None else 0
        while pos < n and len(feasible) < to_find:
            need = to_find - len(feasible)
            chunk = order[pos:pos + max(need, _MIN_FILTER_CHUNK)]
            chunk_start = (base + pos) % n
            pos += len(chunk)
            verdicts: dict[int, Status] = {}
            alive = chunk
            index = None          # positions in chunk of the nodes in alive (None: all of them)
            if nominator is not None:
                alive, index = [], []
                for i, ni in enumerate(chunk):
                    if nominator.has_pods_on(ni.name):
                        s = fw.run_filter_with_nominated_pods(state, pod, ni)
                        if s is not None:
                            verdicts[i] = s
                    else:
                        alive.append(ni)
                        index.append(i)
            try:
                for pl in plugins:
                    if snapshot is not None:
                        state.node_range = (snapshot, chunk_start, len(chunk)) if index is None \
                            else (snapshot, [(chunk_start + i) % n for i in index], len(index))
                    res = pl.filter_nodes(state, pod, alive)
                    state.node_range = None
                    if res.count(None) == len(res):
                        continue
                    keep, keep_index = [], []
                    last = stamped = None     # a plugin may give many nodes one Status object
                    for j, s in enumerate(res):
                        i = j if index is None else index[j]
                        if s is None or not s.code:          # Code.SUCCESS is 0
                            keep.append(alive[j])
                            keep_index.append(i)
                        else:
                            if s is not last:
                                last, stamped = s, filter_verdict(pl, s)
                            verdicts[i] = stamped
                    alive, index = keep, keep_index
                    if not alive:
                        break
            finally:
                state.node_range = None
            if not verdicts:
                taken = chunk[:need]
                feasible.extend(taken)
                if snapshot is not None:
                    evaluated.extend(snapshot.column_range("name", _name, chunk_start, len(taken)))
                else:
                    evaluated.extend(map(_name, taken))
                continue
            # the scan: nodes up to the need-th that passed are evaluated, those are feasible,
            # the rejected ones among them get their statuses (in scan order)
            m = len(chunk)
            passed = list(compress(range(m), map(is_, map(verdicts.get, range(m)), repeat(None))))
            cut = passed[need - 1] + 1 if len(passed) >= need else m
            if snapshot is not None:
                evaluated.extend(snapshot.column_range("name", _name, chunk_start, cut))
            else:
                evaluated.extend(map(_name, islice(chunk, cut)))
            last = None
            for i in sorted(verdicts):
                if i >= cut:
                    break
                s = verdicts[i]
                if s is not last:
                    if s.code == Code.ERROR:
                        raise SchedulingError(s)
                    diagnosis.add_plugin_status(s)
                    last = s
                statuses[chunk[i].name] = s
            feasible.extend(map(chunk.__getitem__, passed[:need]))
        return feasible

    def _prioritize(self, fw: Framework, state: CycleState, pod: dict,
                    nodes: list[NodeInfo]) -> ScoreTable:
        if not fw.has_score_plugins():
            table = ScoreTable([ni.name for ni in nodes])
            table.totals = [1] * len(nodes)  # schedule_one.go: without score plugins every node scores 1
            return table
        s = fw.run_pre_score(state, pod, nodes)
        if not s.is_success():
            raise SchedulingError(s)
        scores, s = fw.run_score(state, pod, nodes)
        if not s.is_success():
            raise SchedulingError(s)
        return scores

    def select_host(self, scores: ScoreTable | list[NodeScores]) -> tuple[str, list[str]]:
        """Highest total wins; ties are broken by reservoir sampling with the seeded RNG
        (upstream ``selectHost``: each of k tied nodes is chosen with probability 1/k).
        Returns the host and every node with the top total, in scan order."""
        if isinstance(scores, ScoreTable):
            names, totals = scores.names, scores.ranking()
        else:
            names, totals = [ns.name for ns in scores], [ns.total for ns in scores]
        # The scan upstream does, in two parts with the same draws. Before the first node
        # with the top total M, the running maximum is below M: scanned node by node (ties
        # there draw too). From that node on only the nodes totalling M change anything (each
        # tie draws randbelow(count); 0 picks it), so they are found in C and the loop runs
        # over them alone.
        rng = self.rng
        randbelow = rng._randbelow
        n = len(totals)
        top = max(totals)
        first = totals.index(top)
        max_score, selected, count = totals[0], 0, 1
        for i in range(1, first):
            t = totals[i]
            if t > max_score:
                max_score, selected, count = t, i, 1
            elif t == max_score:
                count += 1
                if randbelow(count) == 0:
                    selected = i
        selected, count = first, 1
        ties = list(compress(range(first + 1, n), map(eq, islice(totals, first + 1, None), repeat(top))))
        if getattr(type(rng), "_randbelow", None) is _RANDBELOW_WITH_GETRANDBITS:
            # _randbelow_with_getrandbits inlined (the same getrandbits calls, so the same
            # stream): k = bit_length(n) bits, drawn again while >= n
            getrandbits = rng.getrandbits
            for i in ties:
                count += 1
                k = count.bit_length()
                r = getrandbits(k)
                while r >= count:
                    r = getrandbits(k)
                if r == 0:
                    selected = i
        else:
            for i in ties:
                count += 1
                if randbelow(count) == 0:
                    selected = i
        tie = [names[first]]
        tie.extend(map(names.__getitem__, ties))
        return names[selected], tie


_name = attrgetter("name")
#: Lib/random.py: what Random._randbelow is when getrandbits is the generator's own
_RANDBELOW_WITH_GETRANDBITS = getattr(random.Random, "_randbelow_with_getrandbits", None)


class _Rotated:
    """``nodes`` read from ``start`` round to ``start - 1``, sliced without copying the whole
    list (5,000 nodes) for every pod."""

    __slots__ = ("nodes", "start")

    def __init__(self, nodes: list[NodeInfo], start: int):
        self.nodes, self.start = nodes, start

    def __len__(self) -> int:
        return len(self.nodes)

    def __getitem__(self, s: slice) -> list[NodeInfo]:
        nodes, n = self.nodes, len(self.nodes)
        a, b = self.start + s.start, self.start + min(s.stop, n)
        if b <= n:
            return nodes[a:b]
        if a >= n:
            return nodes[a - n:b - n]
        return nodes[a:] + nodes[:b - n]


class SchedulingError(Exception):
    """A plugin returned Code.ERROR: the pod goes to backoffQ (not unschedulablePods)."""

    def __init__(self, status: Status):
        self.status = status
        super().__init__(status.message)
