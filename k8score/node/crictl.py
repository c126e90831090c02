"""``crictl`` (kubernetes-sigs/cri-tools ``cmd/crictl``) against a node's CRI runtime.

Subcommands and output as crictl 1.34 prints them:

- ``ps [-a] [-q] [--name RE]`` — container.go ``OutputContainers``: columns ``CONTAINER IMAGE
  CREATED STATE NAME ATTEMPT POD ID POD NAMESPACE``, newest first, running only unless ``-a``;
  ids truncated to 13 characters (util.go ``truncatedIDLen``); an image given as a digest
  (``sha256:...``, what the kubelet passes) shows as its 13-character id; ``CREATED`` is
  go-units ``HumanDuration`` + `` ago`` (``2 minutes ago``); ``POD``/``NAMESPACE`` come from the
  container's ``io.kubernetes.pod.*`` labels (the sandbox's metadata when a runtime lacks them).
- ``pods [-q]`` — sandbox.go: ``POD ID CREATED STATE NAME NAMESPACE ATTEMPT RUNTIME``
  (``Ready``/``NotReady``; ``(default)`` runtime handler).
- ``images [-q]`` — image.go: ``IMAGE TAG IMAGE ID SIZE`` (size: go-units
  ``HumanSizeWithPrecision(size, 3)``, decimal units).
- ``inspect ID`` — the container's status as JSON (``{"status": {...}, "info": {...}}``).
- ``logs [--tail N] [-p] ID`` — reads the CRI log file at the status ``logPath`` on the host
  (``2026-01-01T00:00:05.000000000Z stdout F text`` lines) and prints the text.
- ``exec [-i] [-t] ID CMD...`` — ``ExecSync`` in the container (the runtime must offer it).

Tables use Go's ``text/tabwriter`` as crictl sets it up (display.go: minwidth 20, padding 3):
each column is as wide as its widest cell plus 3, at least 20; the last column is not padded.
Ids are resolved by unique prefix, as containerd and CRI-O do. Errors print as crictl's logrus
fatal line ``FATA[0000] <error>`` (exit status 1).
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from ..sim.clock import EPOCH, micro_time

TRUNCATED_ID_LEN = 13                     # cmd/crictl/util.go truncatedIDLen
_EPOCH_UNIX = EPOCH.timestamp()
POD_NAME_LABEL = "io.kubernetes.pod.name"          # pkg/kubelet/types/labels.go
POD_NAMESPACE_LABEL = "io.kubernetes.pod.namespace"
_STATES = {"CONTAINER_CREATED": "Created", "CONTAINER_RUNNING": "Running", "CONTAINER_EXITED": "Exited",
           "CONTAINER_UNKNOWN": "Unknown"}
_POD_STATES = {"SANDBOX_READY": "Ready", "SANDBOX_NOTREADY": "NotReady"}


class CrictlError(Exception):
    pass


def seconds(value: Any) -> float:
    """Virtual seconds from a CRI timestamp: virtual seconds, or nanoseconds (virtual or Unix)."""
    v = float(value or 0)
    if v > 1e12:
        v /= 1e9
        if v > _EPOCH_UNIX / 2:
            v -= _EPOCH_UNIX
    return v


def human_duration(d: float) -> str:
    """github.com/docker/go-units duration.go HumanDuration."""
    s = int(d)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    m = int(d / 60)
    if m == 1:
        return "About a minute"
    if m < 60:
        return f"{m} minutes"
    h = int(d / 3600 + 0.5)
    if h == 1:
        return "About an hour"
    if h < 48:
        return f"{h} hours"
    if h < 24 * 7 * 2:
        return f"{h // 24} days"
    if h < 24 * 30 * 2:
        return f"{h // 24 // 7} weeks"
    if h < 24 * 365 * 2:
        return f"{h // 24 // 30} months"
    return f"{int(d / 3600) // 24 // 365} years"


def human_size(size: float) -> str:
    """go-units size.go HumanSizeWithPrecision(size, 3): ``%.3g`` + decimal unit."""
    units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
    i = 0
    while size >= 1000.0 and i < len(units) - 1:
        size /= 1000.0
        i += 1
    return f"{size:.3g}{units[i]}"


def tabwrite(rows: list[list[str]], minwidth: int = 20, padding: int = 3) -> str:
    """Go text/tabwriter with crictl's settings (cells are tab-terminated but the last)."""
    if not rows:
        return ""
    ncols = max(len(r) for r in rows)
    widths = [max(minwidth, max(len(r[i]) for r in rows if len(r) > i + 1) + padding)
              if any(len(r) > i + 1 for r in rows) else 0 for i in range(ncols)]
    out = []
    for r in rows:
        cells = [c.ljust(widths[i]) if i < len(r) - 1 else c for i, c in enumerate(r)]
        out.append("".join(cells))
    return "\n".join(out) + "\n"


def truncated_id(ident: str, prefix: str = "") -> str:
    """util.go getTruncatedID."""
    if prefix and ident.startswith(prefix):
        ident = ident[len(prefix):]
    return ident[:TRUNCATED_ID_LEN]


class Crictl:
    """crictl bound to one runtime and the host filesystem (for container log files)."""

    def __init__(self, runtime: Any, host: Any, run_until: Callable[[Callable[[], bool], float], Any]):
        self.runtime = runtime
        self.host = host
        self.run_until = run_until   # advance virtual time until a predicate holds (exec)

    def __call__(self, args: list[str], stdin: str = "") -> tuple[str, str, int]:
        if not args or args[0] in ("-h", "--help", "help"):
            return "NAME:\n   crictl - client for CRI\n\nUSAGE:\n   crictl command [command options]\n", "", 0
        cmd, rest = args[0], args[1:]
        fn = {"ps": self.ps, "pods": self.pods, "images": self.images, "img": self.images,
              "inspect": self.inspect, "logs": self.logs, "exec": self.exec, "version": self.version,
              "inspectp": self.inspectp, "info": self.info}.get(cmd)
        if fn is None:
            return "", f'No help topic for \'{cmd}\'\n', 3
        try:
            return fn(rest) + ("", 0) if cmd != "exec" else fn(rest)
        except CrictlError as e:
            return "", f"FATA[0000] {e}\n", 1

    # -- lookups ----------------------------------------------------------------------
    def _runtime_name(self) -> str:
        try:
            return str(self.runtime.version().get("runtimeName", "containerd"))
        except Exception:  # noqa: BLE001 - a runtime without Version still lists containers
            return "containerd"

    def _container(self, ident: str) -> dict:
        matches = [c for c in self.runtime.list_containers() if c["id"].startswith(ident)] if ident else []
        if len(matches) != 1:
            if self._runtime_name() == "cri-o":
                desc = (f'could not find container "{ident}": container with ID starting with {ident} '
                        "not found: ID does not exist")
            else:
                desc = f'an error occurred when try to find container "{ident}": not found'
            raise CrictlError(f"rpc error: code = NotFound desc = {desc}")
        return self.runtime.container_status(matches[0]["id"]) or matches[0]

    def _sandboxes(self) -> dict[str, dict]:
        return {s["id"]: s for s in self.runtime.list_pod_sandbox()}

    # -- subcommands ----------------------------------------------------------------------
    def ps(self, args: list[str]) -> tuple[str]:
        show_all = any(a in ("-a", "--all") for a in args)
        quiet = any(a in ("-q", "--quiet") for a in args)
        name_re = _opt(args, "--name")
        now = self.host.loop.now
        sandboxes = self._sandboxes()
        cs = [c for c in self.runtime.list_containers() if show_all or c.get("state") == "CONTAINER_RUNNING"]
        if name_re:
            cs = [c for c in cs if re.search(name_re, (c.get("metadata") or {}).get("name", ""))]
        cs.sort(key=lambda c: seconds(c.get("createdAt")), reverse=True)
        if quiet:
            return ("".join(c["id"] + "\n" for c in cs),)
        rows = [["CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD", "NAMESPACE"]]
        for c in cs:
            meta = c.get("metadata") or {}
            labels = c.get("labels") or {}
            sb_meta = (sandboxes.get(c.get("podSandboxId", "")) or {}).get("metadata") or {}
            image = (c.get("image") or {}).get("image", "")
            if re.fullmatch(r"sha256:[0-9a-f]{64}", image):
                image = truncated_id(image, "sha256:")
            rows.append([truncated_id(c["id"]), image,
                         human_duration(now - seconds(c.get("createdAt"))) + " ago",
                         _STATES.get(c.get("state", ""), "Unknown"), meta.get("name", ""),
                         str(meta.get("attempt", 0) or 0), truncated_id(c.get("podSandboxId", "")),
                         labels.get(POD_NAME_LABEL, sb_meta.get("name", "")),
                         labels.get(POD_NAMESPACE_LABEL, sb_meta.get("namespace", ""))])
        return (tabwrite(rows),)

    def pods(self, args: list[str]) -> tuple[str]:
        quiet = any(a in ("-q", "--quiet") for a in args)
        now = self.host.loop.now
        sbs = sorted(self.runtime.list_pod_sandbox(), key=lambda s: seconds(s.get("createdAt")), reverse=True)
        if quiet:
            return ("".join(s["id"] + "\n" for s in sbs),)
        rows = [["POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME"]]
        for s in sbs:
            meta = s.get("metadata") or {}
            rows.append([truncated_id(s["id"]), human_duration(now - seconds(s.get("createdAt"))) + " ago",
                         _POD_STATES.get(s.get("state", ""), "NotReady"), meta.get("name", ""),
                         meta.get("namespace", ""), str(meta.get("attempt", 0) or 0),
                         s.get("runtimeHandler") or "(default)"])
        return (tabwrite(rows),)

    def images(self, args: list[str]) -> tuple[str]:
        quiet = any(a in ("-q", "--quiet") for a in args)
        imgs = self.runtime.list_images()
        if quiet:
            return ("".join(i["id"] + "\n" for i in imgs),)
        rows = [["IMAGE", "TAG", "IMAGE ID", "SIZE"]]
        for im in imgs:
            digests = im.get("repoDigests") or []
            name = digests[0].split("@")[0] if digests and "@" in digests[0] else "<none>"
            tags = im.get("repoTags") or []
            pairs = [(t[:t.rindex(":")], t[t.rindex(":") + 1:]) if ":" in t.rsplit("/", 1)[-1] else
                     ("errorRepoTag", "errorRepoTag") for t in tags] or [(name, "<none>")]
            for repo, tag in pairs:
                rows.append([repo, tag, truncated_id(im["id"], "sha256:"), human_size(float(im.get("size") or 0))])
        return (tabwrite(rows),)

    def inspect(self, args: list[str]) -> tuple[str]:
        ids = [a for a in args if not a.startswith("-")]
        if not ids:
            raise CrictlError("ID cannot be empty")
        out = []
        for ident in ids:
            st = self._container(ident)
            status = {k: v for k, v in st.items() if k not in ("podSandboxId",)}
            for k in ("createdAt", "startedAt", "finishedAt"):
                if k in status:
                    status[k] = _rfc3339_nano(status[k]) if status[k] else "1970-01-01T00:00:00Z"
            status.setdefault("metadata", {}).setdefault("attempt", 0)
            info = {"sandboxID": st.get("podSandboxId", ""), "runtimeType": "io.containerd.runc.v2"
                    if self._runtime_name() != "cri-o" else "oci"}
            out.append(json.dumps({"status": status, "info": info}, indent=2, sort_keys=True, default=str))
        return ("\n".join(out) + "\n",)

    def version(self, args: list[str]) -> tuple[str]:
        """cmd/crictl/version.go: the Version RPC's four fields."""
        v = self.runtime.version()
        return (f"Version:  {v.get('version')}\nRuntimeName:  {v.get('runtimeName')}\n"
                f"RuntimeVersion:  {v.get('runtimeVersion')}\nRuntimeApiVersion:  {v.get('runtimeApiVersion')}\n",)

    def inspectp(self, args: list[str]) -> tuple[str]:
        """cmd/crictl/sandbox.go inspectp: PodSandboxStatus as JSON (``status`` + ``info``)."""
        ids = [a for a in args if not a.startswith("-")]
        if not ids:
            raise CrictlError("ID cannot be empty")
        out = []
        for ident in ids:
            matches = [sid for sid in self._sandboxes() if sid.startswith(ident)]
            if len(matches) != 1:
                raise CrictlError(f'rpc error: code = NotFound desc = an error occurred when try to find sandbox '
                                  f'"{ident}": not found')
            st = dict(self.runtime.pod_sandbox_status(matches[0])["status"])
            if st.get("createdAt"):
                st["createdAt"] = _rfc3339_nano(st["createdAt"])
            out.append(json.dumps({"status": st, "info": {"pid": 0, "runtimeHandler": ""}}, indent=2,
                                  sort_keys=True, default=str))
        return ("\n".join(out) + "\n",)

    def info(self, args: list[str]) -> tuple[str]:
        """cmd/crictl/info.go: the Status RPC (runtime and network conditions) as JSON."""
        st = self.runtime.status()
        status = st.get("status", st)
        conditions = [{"type": c["type"], "status": bool(c["status"]), "reason": c.get("reason", ""),
                       "message": c.get("message", "")} for c in status.get("conditions") or ()]
        return (json.dumps({"status": {"conditions": conditions}}, indent=2) + "\n",)

    def logs(self, args: list[str]) -> tuple[str]:
        tail = _opt(args, "--tail")
        previous = any(a in ("-p", "--previous") for a in args)
        ids = [a for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or args[i - 1] != "--tail")]
        if not ids:
            raise CrictlError("ID cannot be empty")
        st = self._container(ids[0])
        path = st.get("logPath") or ""
        if not path:
            raise CrictlError("the container has not set log path")
        if previous:
            attempt = int((st.get("metadata") or {}).get("attempt") or 0)
            if attempt == 0:
                raise CrictlError(f"previous terminated container {(st.get('metadata') or {}).get('name')} not found")
            path = path[:path.rindex("/") + 1] + str(attempt - 1) + path[path.rindex("."):]
        try:
            text = self.host.fs.read(path)
        except OSError as e:
            raise CrictlError(f"failed to open log file {path!r}: open {path}: {e.strerror_text}") from None  # type: ignore[attr-defined]
        lines = parse_cri_log(text)
        if tail is not None:
            n = int(tail)
            lines = lines[-n:] if n > 0 else ([] if n == 0 else lines)
        return ("".join(lines),)

    def exec(self, args: list[str]) -> tuple[str, str, int]:
        rest = [a for a in args if a not in ("-i", "-t", "-it", "-ti", "--interactive", "--tty")]
        if rest and rest[0] == "--":
            rest = rest[1:]
        if len(rest) < 2:
            return "", "FATA[0000] ID and command cannot be empty\n", 1
        ident, cmd = rest[0], [a for a in rest[1:] if a != "--"] if rest[1] == "--" else rest[1:]
        try:
            cid = self._container(ident)["id"]
        except CrictlError as e:
            return "", f"FATA[0000] {e}\n", 1
        result: dict[str, Any] = {}

        def done(stdout: str, stderr: str, code: int) -> None:
            result.update(stdout=stdout, stderr=stderr, code=code)

        self.runtime.exec_sync(cid, cmd, 0, done)
        self.run_until(lambda: "code" in result, 3600.0)
        if "code" not in result:
            return "", "FATA[0000] execing command in container: timeout\n", 1
        return result["stdout"], result["stderr"], int(result["code"])


def parse_cri_log(text: str) -> list[str]:
    """The text of CRI log lines ``<time> <stream> <P|F> <text>`` (P: partial, joined to the next)."""
    out, partial = [], ""
    for line in text.splitlines():
        parts = line.split(" ", 3)
        if len(parts) < 3:
            continue
        body = parts[3] if len(parts) == 4 else ""
        if parts[2] == "P":
            partial += body
            continue
        out.append(partial + body + "\n")
        partial = ""
    return out


def _rfc3339_nano(value: Any) -> str:
    stamp = micro_time(seconds(value))
    return stamp[:-1] + "000Z"


def _opt(args: list[str], name: str) -> str | None:
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


__all__ = ["Crictl", "CrictlError", "human_duration", "human_size", "tabwrite", "truncated_id", "parse_cri_log"]
