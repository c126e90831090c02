"""etcd v3 for k8score: one member's MVCC store (KV, Txn, Watch, Lease, Compact) and etcdctl.

>>> from k8score.etcd import Store, prefix_end
>>> s = Store()
>>> _ = s.put("/registry/pods/default/web", "{}")
>>> [kv.key for kv in s.range("/registry/pods/", prefix_end("/registry/pods/")).kvs]
['/registry/pods/default/web']
"""

from .store import Store
from .txn import Compare, OpDelete, OpGet, OpPut, OpTxn
from .types import (DELETE, PUT, CompactionResponse, DeleteRangeResponse, EtcdError, Event,
                    Header, KeyValue, LeaseGrantResponse, LeaseKeepAliveResponse,
                    LeaseLeasesResponse, LeaseRevokeResponse, LeaseTimeToLiveResponse,
                    PutResponse, RangeResponse, TxnResponse, WatchResponse, prefix_end)
from .watch import Watcher

__all__ = [
    "Store", "EtcdError", "prefix_end", "KeyValue", "Header", "Event", "Watcher",
    "Compare", "OpPut", "OpGet", "OpDelete", "OpTxn", "PUT", "DELETE",
    "PutResponse", "RangeResponse", "DeleteRangeResponse", "TxnResponse", "CompactionResponse",
    "WatchResponse", "LeaseGrantResponse", "LeaseRevokeResponse", "LeaseKeepAliveResponse",
    "LeaseTimeToLiveResponse", "LeaseLeasesResponse",
]
