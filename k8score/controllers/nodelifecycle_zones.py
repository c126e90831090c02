"""Zones and rate-limited tainting for the node lifecycle controller.

Upstream pieces (pkg/controller/nodelifecycle):

- :func:`zone_key` — ``nodetopology.GetZoneKey``: ``<region>:\\x00:<zone>`` from the
  ``topology.kubernetes.io/region|zone`` labels (their ``failure-domain.beta`` forerunners as a
  fallback); ``""`` for an unlabelled node, so a cluster without zones is one zone;
- :func:`compute_zone_state` — ``ComputeZoneState``: no Ready node -> FullDisruption; more than
  2 not-Ready nodes making up at least ``--unhealthy-zone-threshold`` (0.55) -> PartialDisruption;
  else Normal;
- :func:`zone_qps` — ``setLimiterInZone``: Normal and FullDisruption taint at
  ``--node-eviction-rate`` (0.1 node/s); PartialDisruption at ``--secondary-node-eviction-rate``
  (0.01) in a zone larger than ``--large-cluster-size-threshold`` (50 nodes), else not at all
  (``ReducedQPSFunc``);
- :class:`RateLimitedTimedQueue` — scheduler/rate_limited_queue.go: a unique queue of node names
  drained by ``try_`` through a token bucket of burst 1 (``EvictionRateLimiterBurst``).
"""

from __future__ import annotations

from typing import Any, Callable

# cmd/kube-controller-manager/app/options/nodelifecyclecontroller.go defaults
NODE_EVICTION_RATE = 0.1
SECONDARY_NODE_EVICTION_RATE = 0.01
UNHEALTHY_ZONE_THRESHOLD = 0.55
LARGE_CLUSTER_SIZE_THRESHOLD = 50
# scheduler/rate_limited_queue.go EvictionRateLimiterBurst
EVICTION_RATE_LIMITER_BURST = 1
# node_lifecycle_controller.go nodeEvictionPeriod: how often the tainting queues are tried
NODE_EVICTION_PERIOD = 0.1

# node_lifecycle_controller.go ZoneState values
STATE_INITIAL = "Initial"
STATE_NORMAL = "Normal"
STATE_FULL_DISRUPTION = "FullDisruption"
STATE_PARTIAL_DISRUPTION = "PartialDisruption"

# k8s.io/api/core/v1 well_known_labels.go; the beta labels are the deprecated forerunners
_ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
_REGION_LABELS = ("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region")
#: node_lifecycle_controller.go labelNodeDisruptionExclusion
LABEL_DISRUPTION_EXCLUSION = "node.kubernetes.io/exclude-disruption"


def zone_key(node: dict) -> str:
    labels = (node.get("metadata") or {}).get("labels") or {}
    zone = next((labels[k] for k in _ZONE_LABELS if labels.get(k)), "")
    region = next((labels[k] for k in _REGION_LABELS if labels.get(k)), "")
    if not zone and not region:
        return ""
    return f"{region}:\x00:{zone}"


def zone_name(key: str) -> str:
    """The zone part of a zone key, for logs and pages (``""`` -> ``""``)."""
    return key.rsplit(":\x00:", 1)[-1]


def compute_zone_state(ready_statuses: list[str | None],
                       threshold: float = UNHEALTHY_ZONE_THRESHOLD) -> tuple[int, str]:
    """(not-Ready nodes, state) of one zone from its nodes' Ready condition statuses."""
    ready = sum(1 for s in ready_statuses if s == "True")
    not_ready = len(ready_statuses) - ready
    if ready == 0 and not_ready > 0:
        return not_ready, STATE_FULL_DISRUPTION
    if not_ready > 2 and not_ready / (not_ready + ready) >= threshold:
        return not_ready, STATE_PARTIAL_DISRUPTION
    return not_ready, STATE_NORMAL


def zone_qps(state: str, zone_size: int, rate: float = NODE_EVICTION_RATE,
             secondary_rate: float = SECONDARY_NODE_EVICTION_RATE,
             large_cluster: int = LARGE_CLUSTER_SIZE_THRESHOLD) -> float:
    """setLimiterInZone: HealthyQPSFunc for Normal / FullDisruption, ReducedQPSFunc for Partial."""
    if state == STATE_PARTIAL_DISRUPTION:
        return secondary_rate if zone_size > large_cluster else 0.0
    return rate


class TokenBucket:
    """flowcontrol.NewTokenBucketRateLimiter(qps, burst) on the virtual clock; qps 0 is
    NewFakeNeverRateLimiter (never accepts). Starts full."""

    def __init__(self, loop: Any, qps: float, burst: int = EVICTION_RATE_LIMITER_BURST):
        self.loop = loop
        self.qps = qps
        self.burst = burst
        self._tokens = float(burst)
        self._last = loop.now

    def try_accept(self) -> bool:
        if self.qps <= 0:
            return False
        now = self.loop.now
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
        self._last = now
        if self._tokens >= 1.0 - 1e-9:   # float steps of 0.1 s must add up to a whole token
            self._tokens -= 1.0
            return True
        return False


class RateLimitedTimedQueue:
    """scheduler.RateLimitedTimedQueue: node names to act on, each at most once, in order of
    ``process_at`` (then insertion); ``try_`` stops at the first refused token."""

    def __init__(self, loop: Any, qps: float):
        self.loop = loop
        self.limiter = TokenBucket(loop, qps)
        self._items: dict[str, list] = {}   # name -> [process_at, seq, uid]
        self._seq = 0

    def add(self, name: str, uid: str) -> bool:
        if name in self._items:
            return False
        self._seq += 1
        self._items[name] = [self.loop.now, self._seq, uid]
        return True

    def remove(self, name: str) -> bool:
        return self._items.pop(name, None) is not None

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: str) -> bool:
        return name in self._items

    def try_(self, fn: Callable[[str, str], tuple[bool, float]]) -> None:
        """Try: while a token is granted and the head is due, ``fn(name, uid)`` -> (done, wait)."""
        while self._items:
            name = min(self._items, key=lambda n: (self._items[n][0], self._items[n][1]))
            if not self.limiter.try_accept():
                return
            now = self.loop.now
            process_at, _, uid = self._items[name]
            if now < process_at:
                return
            done, wait = fn(name, uid)
            if done:
                self._items.pop(name, None)
            elif name in self._items:
                self._seq += 1
                self._items[name][:2] = [now + wait + 1e-9, self._seq]

    def swap_limiter(self, qps: float) -> None:
        """SwapLimiter: a new bucket at ``qps``; drained if the old one had no token left
        ("a good approach when Burst value is 1")."""
        if self.limiter.qps == qps:
            return
        new = TokenBucket(self.loop, qps)
        if qps > 0 and not self.limiter.try_accept():
            new.try_accept()
        self.limiter = new
