"""The node's log formats: klog lines (what the kubelet writes), ``journalctl`` and ``systemctl status``.

- :func:`klog` — k8s.io/klog/v2's header ``Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg``
  followed by structured ``key="value"`` pairs (klog ``InfoS``/``ErrorS``), e.g.
  ``E0101 00:00:20.000000    1234 file.go:236] "Could not process manifest file" err="..." path="..."``.
- :func:`journalctl` — systemd's default ``short`` output: ``Jan 01 00:00:20 node-1 kubelet[1234]: ...``;
  ``-- No entries --`` when the unit logged nothing.
- :func:`systemctl_status` — the unit block ``systemctl status kubelet`` prints on a kubeadm node
  (the unit file and drop-in the kubeadm packages install), then the unit's last 10 journal lines.

Virtual time 0 is ``2026-01-01 00:00:00 UTC`` (:mod:`k8score.sim.clock`); process ids are fixed
numbers so output is stable.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any

from ..sim.clock import EPOCH

#: Stable process ids for the node's daemons (journal prefixes, ``Main PID``).
UNIT_PIDS = {"kubelet": 1234, "containerd": 342, "crio": 342}


def _at(t: float) -> _dt.datetime:
    return EPOCH + _dt.timedelta(microseconds=round(t * 1_000_000))


def _quote(value: Any) -> str:
    # klog quotes strings as Go's %q does (json.dumps matches it for printable text); numbers
    # and booleans print bare (gracePeriod=30)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return json.dumps(str(value), ensure_ascii=False)


def klog(level: str, t: float, where: str, msg: str, pid: int = UNIT_PIDS["kubelet"], **kv: Any) -> str:
    """One klog structured line (``level`` is ``I``, ``W`` or ``E``)."""
    head = f"{level}{_at(t).strftime('%m%d %H:%M:%S.%f')} {pid:7d} {where}] {_quote(msg)}"
    return head + "".join(f" {k}={_quote(v)}" for k, v in kv.items())


def journalctl(journal: list[tuple[float, str, str]], hostname: str, unit: str | None = None,
               lines: int | None = None) -> str:
    """``journalctl [-u unit] [-n lines] --no-pager`` over ``Host.journal`` records."""
    recs = [r for r in journal if unit is None or r[1] == unit]
    if lines is not None:
        recs = recs[-lines:] if lines > 0 else []
    if not recs:
        return "-- No entries --\n"
    out = []
    for t, u, msg in recs:
        stamp = _at(t).strftime("%b %d %H:%M:%S")
        out.append(f"{stamp} {hostname} {u}[{UNIT_PIDS.get(u, 1)}]: {msg}")
    return "\n".join(out) + "\n"


def _relative(seconds: float) -> str:
    """systemd time-util.c format_timestamp_relative."""
    s = int(seconds)
    if s >= 86400:
        d, h = s // 86400, (s % 86400) // 3600
        return f"{d} {'day' if d == 1 else 'days'} {h}h ago"
    if s >= 3600:
        return f"{s // 3600}h {(s % 3600) // 60}min ago"
    if s >= 300:
        return f"{s // 60}min ago"
    if s >= 60:
        return f"{s // 60}min {s % 60}s ago"
    if s >= 1:
        return f"{s}s ago"
    ms = int(seconds * 1000)
    return f"{ms}ms ago" if ms >= 1 else "now"


# The kubelet unit as the kubeadm packages (kubernetes/release: cmd/krel/templates/latest/kubelet,
# kubeadm/10-kubeadm.conf) install it.
_KUBELET_CMD = ("/usr/bin/kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf "
                "--kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml "
                "--container-runtime-endpoint={endpoint} --pod-infra-container-image={pause}")


def systemctl_status(unit: str, *, active: bool, since: float, now: float, hostname: str,
                     journal: list[tuple[float, str, str]], endpoint: str, pause: str) -> tuple[str, int]:
    """``systemctl status kubelet``: (text, exit status — 0 active, 3 inactive as systemctl returns)."""
    if unit not in ("kubelet", "kubelet.service"):
        return f"Unit {unit}.service could not be found.\n", 4
    stamp = _at(since).strftime("%a %Y-%m-%d %H:%M:%S UTC")
    pid = UNIT_PIDS["kubelet"]
    lines = [f"{'●' if active else '○'} kubelet.service - kubelet: The Kubernetes Node Agent",
             "     Loaded: loaded (/usr/lib/systemd/system/kubelet.service; enabled; preset: enabled)",
             "    Drop-In: /usr/lib/systemd/system/kubelet.service.d",
             "             └─10-kubeadm.conf"]
    if active:
        lines += [f"     Active: active (running) since {stamp}; {_relative(now - since)}",
                  "       Docs: https://kubernetes.io/docs/",
                  f"   Main PID: {pid} (kubelet)",
                  "     CGroup: /system.slice/kubelet.service",
                  f"             └─{pid} " + _KUBELET_CMD.format(endpoint=endpoint, pause=pause)]
    else:
        lines += [f"     Active: inactive (dead) since {stamp}; {_relative(now - since)}",
                  "       Docs: https://kubernetes.io/docs/",
                  f"   Main PID: {pid} (code=killed, signal=TERM)"]
    tail = journalctl(journal, hostname, "kubelet", 10)
    text = "\n".join(lines) + "\n"
    if not tail.startswith("-- No entries"):
        text += "\n" + tail
    return text, 0 if active else 3


__all__ = ["klog", "journalctl", "systemctl_status", "UNIT_PIDS"]
