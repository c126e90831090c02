"""MemoryStorage: the stable part of the log, as the application persisted it.

Mirrors ``etcd-io/raft`` ``storage.go``. Raft only *reads* storage; the application writes it
while handling a ``Ready`` (``apply_snapshot``, then ``append``, then ``set_hard_state``) and
compacts it after taking a snapshot of its own state machine (``create_snapshot`` then
``compact``). ``ents[0]`` is a dummy entry holding the index and term of the last compacted
entry, so ``term(first_index() - 1)`` still answers, as upstream.

>>> s = MemoryStorage()
>>> s.append([Entry(1, 1), Entry(1, 2), Entry(2, 3)])
>>> s.first_index(), s.last_index(), s.term(3)
(1, 3, 2)
>>> _ = s.create_snapshot(2, ConfState(voters=(1,)), b"state@2")
>>> s.compact(2)
>>> s.first_index(), s.term(2)
(3, 1)
>>> s.term(1)
Traceback (most recent call last):
...
k8score.raft.storage.CompactedError: requested index is unavailable due to compaction
"""

from __future__ import annotations

from .types import ConfState, EMPTY_HARD_STATE, Entry, HardState, Snapshot, SnapshotMetadata


class StorageError(Exception):
    pass


class CompactedError(StorageError):
    """storage.go ErrCompacted."""

    def __init__(self):
        super().__init__("requested index is unavailable due to compaction")


class SnapOutOfDateError(StorageError):
    """storage.go ErrSnapOutOfDate."""

    def __init__(self):
        super().__init__("requested index is older than the existing snapshot")


class UnavailableError(StorageError):
    """storage.go ErrUnavailable."""

    def __init__(self):
        super().__init__("requested entry at index is unavailable")


class MemoryStorage:
    """An in-memory ``Storage`` (storage.go MemoryStorage)."""

    def __init__(self):
        self.hard_state = EMPTY_HARD_STATE
        self._snapshot = Snapshot()
        self._ents: list[Entry] = [Entry(0, 0)]  # dummy at the snapshot's index and term

    # -- the read side raft uses -------------------------------------------------------
    def initial_state(self) -> tuple[HardState, ConfState]:
        return self.hard_state, self._snapshot.metadata.conf_state

    def first_index(self) -> int:
        return self._ents[0].index + 1

    def last_index(self) -> int:
        return self._ents[0].index + len(self._ents) - 1

    def term(self, i: int) -> int:
        offset = self._ents[0].index
        if i < offset:
            raise CompactedError()
        if i - offset >= len(self._ents):
            raise UnavailableError()
        return self._ents[i - offset].term

    def entries(self, lo: int, hi: int) -> list[Entry]:
        """Entries in [lo, hi); storage.go Entries without the byte limit."""
        offset = self._ents[0].index
        if lo <= offset:
            raise CompactedError()
        if hi > self.last_index() + 1:
            raise ValueError(f"entries' hi({hi}) is out of bound lastindex({self.last_index()})")
        return self._ents[lo - offset:hi - offset]

    def snapshot(self) -> Snapshot:
        return self._snapshot

    # -- the write side the application uses ----------------------------------------------
    def set_hard_state(self, st: HardState) -> None:
        self.hard_state = st

    def apply_snapshot(self, snap: Snapshot) -> None:
        """Replace everything with ``snap`` (a follower catching up from a leader)."""
        if self._snapshot.metadata.index >= snap.metadata.index:
            raise SnapOutOfDateError()
        self._snapshot = snap
        self._ents = [Entry(snap.metadata.term, snap.metadata.index)]

    def create_snapshot(self, i: int, cs: ConfState, data: bytes) -> Snapshot:
        """Record the application's image at applied index ``i`` (then call ``compact``)."""
        if i <= self._snapshot.metadata.index:
            raise SnapOutOfDateError()
        if i > self.last_index():
            raise ValueError(f"snapshot {i} is out of bound lastindex({self.last_index()})")
        meta = SnapshotMetadata(conf_state=cs, index=i, term=self.term(i))
        self._snapshot = Snapshot(data=data, metadata=meta)
        return self._snapshot

    def compact(self, compact_index: int) -> None:
        """Discard entries up to and including ``compact_index`` (must be <= applied)."""
        offset = self._ents[0].index
        if compact_index <= offset:
            raise CompactedError()
        if compact_index > self.last_index():
            raise ValueError(f"compact {compact_index} is out of bound lastindex({self.last_index()})")
        i = compact_index - offset
        self._ents = [Entry(self._ents[i].term, self._ents[i].index)] + self._ents[i + 1:]

    def append(self, entries) -> None:
        """Append, truncating any conflicting suffix (storage.go Append)."""
        entries = list(entries)
        if not entries:
            return
        first = self.first_index()
        if entries[-1].index < first:
            return  # all already compacted
        if first > entries[0].index:
            entries = entries[first - entries[0].index:]
        offset = entries[0].index - self._ents[0].index
        if offset > len(self._ents):
            raise ValueError(f"missing log entry [last: {self.last_index()}, append at: {entries[0].index}]")
        self._ents = self._ents[:offset] + entries
