"""Probe specs as the kubelet reads them: defaults, port resolution, results, command expansion.

Pure functions over the pod's JSON (no I/O, no clock):

- :func:`defaulted` — a probe dict with the API defaults filled in
  (``pkg/apis/core/v1/defaults.go`` ``SetDefaults_Probe``: timeoutSeconds 1, periodSeconds 10,
  successThreshold 1, failureThreshold 3; ``SetDefaults_HTTPGetAction``: path ``/``, scheme
  ``HTTP``); ``initialDelaySeconds`` stays 0;
- :func:`resolve_port` — ``pkg/probe/util.go`` ``ResolveContainerPort``: a number, a named
  ``containerPort``, or a number written as a string; Go's error texts otherwise;
- :func:`expand_command` — ``kubecontainer.ExpandContainerCommandOnlyStatic``: ``$(VAR)`` in an
  exec probe's command is replaced by the container's *literal* ``env`` values only (never
  ``valueFrom``; the exec probe has no access to the downward API), ``$$`` escapes ``$``;
- result names ``success`` / ``warning`` / ``failure`` / ``unknown`` (``pkg/probe/probe.go``).

>>> defaulted({"exec": {"command": ["true"]}})["periodSeconds"]
10
>>> resolve_port("http", {"ports": [{"name": "http", "containerPort": 8080}]})
(8080, None)
>>> resolve_port("web", {})
(-1, 'strconv.Atoi: parsing "web": invalid syntax')
>>> expand_command(["sh", "-c", "echo $(A) $(B) $$(A)"], {"env": [{"name": "A", "value": "1"}]})
['sh', '-c', 'echo 1 $(B) $(A)']
"""

from __future__ import annotations

from typing import Any

# pkg/probe/probe.go: Result values
SUCCESS = "success"
WARNING = "warning"
FAILURE = "failure"
UNKNOWN = "unknown"

# pkg/apis/core/v1/defaults.go SetDefaults_Probe
DEFAULT_TIMEOUT_SECONDS = 1
DEFAULT_PERIOD_SECONDS = 10
DEFAULT_SUCCESS_THRESHOLD = 1
DEFAULT_FAILURE_THRESHOLD = 3

#: pkg/kubelet/prober/prober_manager.go probeType.String()
LIVENESS = "Liveness"
READINESS = "Readiness"
STARTUP = "Startup"
#: the container field holding each kind of probe
FIELD = {LIVENESS: "livenessProbe", READINESS: "readinessProbe", STARTUP: "startupProbe"}


def defaulted(probe: dict) -> dict:
    """A copy of ``probe`` with the API server's defaults applied (zero counts as unset,
    as for Go's int32 fields)."""
    out = dict(probe)
    for key, default in (("timeoutSeconds", DEFAULT_TIMEOUT_SECONDS), ("periodSeconds", DEFAULT_PERIOD_SECONDS),
                         ("successThreshold", DEFAULT_SUCCESS_THRESHOLD),
                         ("failureThreshold", DEFAULT_FAILURE_THRESHOLD)):
        if not out.get(key):
            out[key] = default
    out["initialDelaySeconds"] = int(out.get("initialDelaySeconds") or 0)
    if isinstance(out.get("httpGet"), dict):
        # pkg/apis/core/v1/defaults.go SetDefaults_HTTPGetAction
        http = dict(out["httpGet"])
        http["path"] = http.get("path") or "/"
        http["scheme"] = http.get("scheme") or "HTTP"
        out["httpGet"] = http
    return out


def resolve_port(param: Any, container: dict) -> tuple[int, str | None]:
    """``(port, error text)``; the error is what Go prints (``pkg/probe/util.go``)."""
    if isinstance(param, bool) or param is None:
        return -1, f"intOrString had no kind: {param!r}"
    if isinstance(param, int):
        port = param
    else:
        name = str(param)
        port = -1
        for p in container.get("ports") or ():
            if p.get("name") == name:
                port = int(p.get("containerPort") or 0)
                break
        else:
            # "Last ditch effort - maybe it was an int stored as string?"
            if not (name.isdigit() or (name[:1] in "+-" and name[1:].isdigit())):
                return -1, f'strconv.Atoi: parsing "{name}": invalid syntax'
            port = int(name)
    if 0 < port < 65536:
        return port, None
    return port, f"invalid port number: {port}"


def expand_command(command: list[str], container: dict) -> list[str]:
    """Expand ``$(VAR)`` with the container's literal env values (third_party/forked/golang/expansion)."""
    env: dict[str, str] = {}
    for e in container.get("env") or ():
        if "valueFrom" not in e and e.get("name"):
            env[e["name"]] = str(e.get("value") or "")
    return [_expand(str(arg), env) for arg in command or ()]


def _expand(s: str, env: dict[str, str]) -> str:
    out: list[str] = []
    i = 0
    while i < len(s):
        if s[i] != "$" or i + 1 >= len(s):
            out.append(s[i])
            i += 1
            continue
        nxt = s[i + 1]
        if nxt == "$":                      # escaped: $$ -> $
            out.append("$")
            i += 2
        elif nxt == "(":
            end = s.find(")", i + 2)
            if end == -1:                   # incomplete reference: kept as written
                out.append(s[i:])
                break
            name = s[i + 2:end]
            out.append(env[name] if name in env else s[i:end + 1])
            i = end + 1
        else:                               # not an operator: both characters kept
            out.append(s[i:i + 2])
            i += 2
    return "".join(out)


def go_duration(seconds: float) -> str:
    """Go's ``time.Duration`` ``%v`` for whole seconds (``1s``, ``2m0s``)."""
    secs = int(seconds)
    if secs < 60:
        return f"{secs}s"
    m, s = divmod(secs, 60)
    if m < 60:
        return f"{m}m{s}s"
    h, m = divmod(m, 60)
    return f"{h}h{m}m{s}s"


__all__ = ["SUCCESS", "WARNING", "FAILURE", "UNKNOWN", "LIVENESS", "READINESS", "STARTUP", "FIELD",
           "defaulted", "resolve_port", "expand_command", "go_duration"]
