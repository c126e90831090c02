"""A member's keyspace as snapshot bytes, and back (etcd's snap/db file, in miniature).

``image(store)`` captures what etcd's backend (bbolt) holds — every uncompacted version,
the revision, the compaction point, the leases — and none of the in-memory watch state.
``restore(store, data)`` loads it into an existing ``Store`` object *in place*, so code that
holds the object keeps working; its watchers are stale afterwards (the client reopens them).
"""

from __future__ import annotations

import pickle

from ..store import Store

# Store fields that make up the persisted state (the rest is watch bookkeeping).
_FIELDS = ("revision", "compact_revision", "_compacted", "_live", "_hist", "_live_keys",
           "_all_keys", "_log", "_log_base", "now", "_leases", "_id_prefix", "_id_base", "_reqs")


def image(store: Store, membership=None) -> bytes:
    """The keyspace and, as etcd's ``members`` bucket, the membership (a copy)."""
    d = {f: getattr(store, f) for f in _FIELDS}
    d["_membership"] = membership.copy() if membership is not None else None
    return pickle.dumps(d, protocol=4)


def restore(store: Store, data: bytes):
    """Load ``data`` into ``store``; returns the membership it holds (None if none)."""
    d = pickle.loads(data)
    membership = d.pop("_membership", None)
    store.__dict__.update(d)
    return membership


def wipe(store: Store, seed: int) -> None:
    """Empty the keyspace (a member started with its data directory removed)."""
    watchers = store._watchers
    Store.__init__(store, seed=seed)
    for w in watchers:
        w.cancel()
