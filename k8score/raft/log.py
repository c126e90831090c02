"""raftLog: stable storage plus the unstable tail not yet persisted.

Mirrors ``etcd-io/raft`` ``log.go`` and ``log_unstable.go``. Invariants (log.go):
``applied <= committed <= last_index()``; entries at index >= ``unstable.offset`` (and the
pending snapshot, if any) are not yet in storage and are handed out in ``Ready.entries``;
the application persists them, then ``stable_to`` drops them from the unstable tail.
"""

from __future__ import annotations

from .storage import CompactedError, MemoryStorage, StorageError
from .types import Entry, Snapshot


class Unstable:
    """log_unstable.go unstable: ``entries[i]`` has index ``offset + i``."""

    def __init__(self, offset: int):
        self.snapshot: Snapshot | None = None
        self.entries: list[Entry] = []
        self.offset = offset

    def maybe_first_index(self):
        return self.snapshot.metadata.index + 1 if self.snapshot is not None else None

    def maybe_last_index(self):
        if self.entries:
            return self.offset + len(self.entries) - 1
        return self.snapshot.metadata.index if self.snapshot is not None else None

    def maybe_term(self, i: int):
        if i < self.offset:
            if self.snapshot is not None and self.snapshot.metadata.index == i:
                return self.snapshot.metadata.term
            return None
        last = self.maybe_last_index()
        if last is None or i > last:
            return None
        return self.entries[i - self.offset].term

    def stable_to(self, index: int, term: int) -> None:
        """Entries up to (index, term) are on disk; ignore it if the tail was replaced since."""
        t = self.maybe_term(index)
        if t is None or t != term or index < self.offset:
            return
        self.entries = self.entries[index + 1 - self.offset:]
        self.offset = index + 1

    def stable_snap_to(self, i: int) -> None:
        if self.snapshot is not None and self.snapshot.metadata.index == i:
            self.snapshot = None

    def restore(self, s: Snapshot) -> None:
        self.offset = s.metadata.index + 1
        self.entries = []
        self.snapshot = s

    def truncate_and_append(self, ents: list[Entry]) -> None:
        after = ents[0].index
        if after == self.offset + len(self.entries):
            self.entries = self.entries + ents
        elif after <= self.offset:
            # The log is being replaced from before the unstable tail: storage keeps what
            # precedes ``after`` (MemoryStorage.append truncates the rest when persisted).
            self.offset = after
            self.entries = list(ents)
        else:
            self.entries = self.entries[:after - self.offset] + ents


class RaftLog:
    """log.go raftLog."""

    def __init__(self, storage: MemoryStorage):
        self.storage = storage
        first, last = storage.first_index(), storage.last_index()
        self.unstable = Unstable(last + 1)
        self.committed = first - 1
        self.applied = first - 1

    def __str__(self) -> str:
        return (f"committed={self.committed}, applied={self.applied}, "
                f"unstable.offset={self.unstable.offset}, len(unstable.Entries)={len(self.unstable.entries)}")

    def first_index(self) -> int:
        i = self.unstable.maybe_first_index()
        return i if i is not None else self.storage.first_index()

    def last_index(self) -> int:
        i = self.unstable.maybe_last_index()
        return i if i is not None else self.storage.last_index()

    def term(self, i: int):
        """The term of entry ``i``, or None if compacted away or beyond the end."""
        if i < self.first_index() - 1 or i > self.last_index():
            return None
        t = self.unstable.maybe_term(i)
        if t is not None:
            return t
        try:
            return self.storage.term(i)
        except StorageError:
            return None

    def zero_term(self, i: int) -> int:
        t = self.term(i)
        return 0 if t is None else t

    def last_term(self) -> int:
        return self.zero_term(self.last_index())

    def match_term(self, i: int, term: int) -> bool:
        return self.term(i) == term

    def is_up_to_date(self, last_index: int, term: int) -> bool:
        """Raft §5.4.1: a candidate's log at least as up to date as ours gets our vote."""
        return term > self.last_term() or (term == self.last_term() and last_index >= self.last_index())

    def append(self, ents) -> int:
        if not ents:
            return self.last_index()
        if ents[0].index - 1 < self.committed:
            raise AssertionError(f"after({ents[0].index - 1}) is out of range [committed({self.committed})]")
        self.unstable.truncate_and_append(list(ents))
        return self.last_index()

    def find_conflict(self, ents) -> int:
        """log.go findConflict: the first index whose term differs, else the first new index,
        else 0 (all entries already present)."""
        for e in ents:
            if not self.match_term(e.index, e.term):
                return e.index
        return 0

    def find_conflict_by_term(self, index: int, term: int) -> tuple[int, int]:
        """log.go findConflictByTerm: the largest index <= ``index`` whose term is <= ``term``;
        lets a rejected leader skip a whole divergent term in one round trip."""
        while index > 0:
            t = self.term(index)
            if t is None:
                return index, 0
            if t <= term:
                return index, t
            index -= 1
        return 0, 0

    def maybe_append(self, index: int, log_term: int, committed: int, ents) -> int | None:
        """log.go maybeAppend: append after (index, log_term) if our log matches there.
        Returns the new last index, or None if the leader must probe further back."""
        if not self.match_term(index, log_term):
            return None
        last_new = index + len(ents)
        ci = self.find_conflict(ents)
        if ci:
            if ci <= self.committed:
                raise AssertionError(f"entry {ci} conflict with committed entry [committed({self.committed})]")
            self.append(ents[ci - (index + 1):])
        self.commit_to(min(committed, last_new))
        return last_new

    def commit_to(self, to: int) -> None:
        if to > self.committed:
            if self.last_index() < to:
                # log.go commitTo: upstream's panic text
                raise AssertionError(f"tocommit({to}) is out of range [lastIndex({self.last_index()})]. "
                                     "Was the raft log corrupted, truncated, or lost?")
            self.committed = to

    def maybe_commit(self, index: int, term: int) -> bool:
        """Commit by counting only an entry of the leader's term (Raft §5.4.2, log.go)."""
        if index > self.committed and self.term(index) == term:
            self.commit_to(index)
            return True
        return False

    def applied_to(self, i: int) -> None:
        if i == 0:
            return
        if self.committed < i or i < self.applied:
            raise AssertionError(f"applied({i}) is out of range [prevApplied({self.applied}), committed({self.committed})]")
        self.applied = i

    def stable_to(self, index: int, term: int) -> None:
        self.unstable.stable_to(index, term)

    def stable_snap_to(self, i: int) -> None:
        self.unstable.stable_snap_to(i)

    def slice(self, lo: int, hi: int) -> list[Entry]:
        """Entries in [lo, hi); raises CompactedError below first_index()."""
        if lo >= hi:
            return []
        if lo < self.first_index():
            raise CompactedError()
        ents: list[Entry] = []
        off = self.unstable.offset
        if lo < off:
            ents = list(self.storage.entries(lo, min(hi, off)))
        if hi > off:
            ents += self.unstable.entries[max(lo, off) - off:hi - off]
        return ents

    def entries(self, i: int) -> list[Entry]:
        return self.slice(i, self.last_index() + 1)

    def unstable_entries(self) -> list[Entry]:
        return list(self.unstable.entries)

    def has_next_committed_ents(self) -> bool:
        return self.committed > self.applied and self.unstable.snapshot is None

    def next_committed_ents(self) -> list[Entry]:
        """Committed but not applied: Ready.committed_entries (may include unstable ones,
        which the application persists first, in the same Ready)."""
        if not self.has_next_committed_ents():
            return []
        return self.slice(max(self.applied + 1, self.first_index()), self.committed + 1)

    def snapshot(self) -> Snapshot:
        if self.unstable.snapshot is not None:
            return self.unstable.snapshot
        return self.storage.snapshot()

    def restore(self, s: Snapshot) -> None:
        self.committed = s.metadata.index
        self.unstable.restore(s)
