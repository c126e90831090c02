"""Whether and when an exited container runs again: restart policy and CrashLoopBackOff.

- pkg/kubelet/container/helpers.go ``ShouldContainerBeRestarted``: ``Never`` — never again;
  ``OnFailure`` — only after a non-zero exit; ``Always`` — always. A sidecar (an init container
  with ``restartPolicy: Always``) always restarts; a regular init container follows the pod's
  policy but ``Always`` means "until it succeeds".
- pkg/kubelet/kuberuntime/kuberuntime_manager.go ``doBackOff``: the container backoff is keyed
  per container (``getStableKey``: ``<pod>_<ns>_<uid>_<container>_<hash>``) and measured from
  the exited container's ``finishedAt``: the first restart is immediate, then the kubelet waits
  10 s, 20 s, 40 s ... capped at 300 s (pkg/kubelet/kubelet.go ``backOffPeriod``,
  ``MaxContainerBackOff``); a container that ran 10 minutes (twice the cap) starts over.
  While waiting the container shows ``CrashLoopBackOff`` with upstream's message, and the
  Warning event ``BackOff``.

>>> from .backoff import Backoff
>>> b, key, now, waits = Backoff(), "k", 0.0, []
>>> for _ in range(8):     # a container that exits as soon as it starts
...     if b.in_backoff_since(key, now, now):
...         now = now + b.get(key)        # the worker comes back when the backoff expires
...     _ = b.next_since(key, now - 0.0, now); waits.append(b.get(key))
>>> waits
[10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0, 300.0]
"""

from __future__ import annotations

import zlib

from .imagepull import go_duration
from .podstatus import is_sidecar

CRASH_LOOP_BACK_OFF = "CrashLoopBackOff"


def format_pod(pod: dict) -> str:
    """pkg/kubelet/util/format ``Pod``: ``name_namespace(uid)``."""
    meta = pod.get("metadata") or {}
    return f"{meta.get('name')}_{meta.get('namespace')}({meta.get('uid', '')})"


def stable_key(pod: dict, container: dict) -> str:
    """kuberuntime_manager.go ``getStableKey``: a changed container spec gets a fresh backoff."""
    meta = pod.get("metadata") or {}
    spec_hash = f"{zlib.adler32(repr(sorted(container.items())).encode()):x}"
    return f"{meta.get('name')}_{meta.get('namespace')}_{meta.get('uid', '')}_{container.get('name')}_{spec_hash}"


def should_restart(pod: dict, container: dict, exit_code: int, init: bool = False) -> bool:
    """ShouldContainerBeRestarted for a container whose last attempt exited with ``exit_code``."""
    if init and is_sidecar(container):
        return True
    policy = (pod.get("spec") or {}).get("restartPolicy") or "Always"
    if policy == "Never":
        return False
    if policy == "OnFailure" or init:
        return exit_code != 0
    return True


def backoff_message(delay: float, container: str, pod: dict) -> str:
    """The waiting message: ``back-off 10s restarting failed container=c pod=p_ns(uid)``."""
    return f"back-off {go_duration(delay)} restarting failed container={container} pod={format_pod(pod)}"


def backoff_event(container: str, pod: dict) -> str:
    """The ``BackOff`` Warning event: ``Back-off restarting failed container c in pod p_ns(uid)``."""
    return f"Back-off restarting failed container {container} in pod {format_pod(pod)}"


__all__ = ["CRASH_LOOP_BACK_OFF", "format_pod", "stable_key", "should_restart", "backoff_message",
           "backoff_event"]
