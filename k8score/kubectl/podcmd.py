"""What ``kubectl logs``, ``exec`` and ``run`` share: their own flag sets, and finding the pod
and the container a command is about.

These commands give short flags meanings other commands give differently (``-c`` container,
``-p`` previous, ``-f`` follow, ``-i`` stdin, ``-t`` tty), so their command lines are parsed
here with each command's own flag table, as cobra does (one pflag FlagSet per command).
``-it`` combines boolean shorthands as pflag allows; ``--`` ends the flags and its position
is kept (cobra ``ArgsLenAtDash``) under :data:`DASH`.

Upstream: staging/src/k8s.io/kubectl/pkg/cmd/util/podcmd/podcmd.go (container defaulting,
``Defaulted container "a" out of: a, b``), pkg/util/podutils ``ByLogging`` (which pod of a
workload ``logs deployment/x`` reads), pkg/polymorphichelpers (selectors of workloads).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..client import ApiError
from .args import Args, CommandError
from .timefmt import seconds_of

if TYPE_CHECKING:
    from .kubectl import Kubectl

#: Args.flags key holding the number of positional args before ``--`` (-1: no ``--``)
DASH = "args-len-at-dash"
#: podcmd.go DefaultContainerAnnotationName
DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"

# name -> (shorthand, kind): kind is "bool", "str", "int" or "list" (repeatable)
_GLOBAL = {"namespace": ("n", "str"), "as": (None, "str"), "as-group": (None, "list"),
           "as-uid": (None, "str")}
FLAGS: dict[str, dict[str, tuple[str | None, str]]] = {
    # logs.go AddFlags
    "logs": {"container": ("c", "str"), "follow": ("f", "bool"), "previous": ("p", "bool"),
             "tail": (None, "int"), "timestamps": (None, "bool"), "limit-bytes": (None, "int"),
             "since": (None, "str"), "since-time": (None, "str"), "all-containers": (None, "bool"),
             "prefix": (None, "bool"), "selector": ("l", "str"), "ignore-errors": (None, "bool"),
             "max-log-requests": (None, "int"), "pod-running-timeout": (None, "str"),
             "insecure-skip-tls-verify-backend": (None, "bool")},
    # exec.go NewCmdExec
    "exec": {"container": ("c", "str"), "stdin": ("i", "bool"), "tty": ("t", "bool"),
             "quiet": ("q", "bool"), "pod-running-timeout": (None, "str")},
    # run.go addRunFlags
    "run": {"image": (None, "str"), "restart": (None, "str"), "rm": (None, "bool"),
            "stdin": ("i", "bool"), "tty": ("t", "bool"), "attach": (None, "bool"),
            "command": (None, "bool"), "env": (None, "list"), "labels": ("l", "str"),
            "annotations": (None, "list"), "port": (None, "str"), "image-pull-policy": (None, "str"),
            "dry-run": (None, "str"), "output": ("o", "str"), "quiet": ("q", "bool"),
            "leave-stdin-open": (None, "bool"), "pod-running-timeout": (None, "str"),
            "field-manager": (None, "str"), "privileged": (None, "bool")},
}
_OPTIONAL_VALUE = {"dry-run": "unchanged"}


def parse(tokens: list[str]) -> Args | None:
    """The Args of a ``logs``/``exec``/``run`` command line, None for any other command."""
    if tokens and tokens[0] == "kubectl":
        tokens = tokens[1:]
    command = _command_of(tokens)
    if command not in FLAGS:
        return None
    table = {**_GLOBAL, **FLAGS[command]}
    shorts = {s: name for name, (s, _) in table.items() if s}
    see = f"See 'kubectl {command} --help' for usage."
    out = Args(command=command)
    positional: list[str] = []
    dash = -1
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok == "--":
            dash = len(positional) - 1  # the command word is not an argument
            positional.extend(tokens[i:])
            break
        if tok == "-" or not tok.startswith("-"):
            positional.append(tok)
            continue
        if tok.startswith("--"):
            name, eq, value = tok[2:].partition("=")
            if name not in table:
                raise CommandError(f"error: unknown flag: --{name}\n{see}")
            i = _set(out, table, name, value if eq else None, tokens, i, f"--{name}", see)
            continue
        chars = tok[1:]
        while chars:  # pflag: -it is -i -t; a value-taking shorthand eats the rest
            short, chars = chars[0], chars[1:]
            if short not in shorts:
                raise CommandError(f"error: unknown shorthand flag: '{short}' in {tok}\n{see}")
            name = shorts[short]
            if table[name][1] == "bool" and not chars.startswith("="):
                out.flags[name] = True
                continue
            value = chars[1:] if chars.startswith("=") else (chars or None)
            i = _set(out, table, name, value, tokens, i, f"'{short}' in -{short}", see)
            break
    out.args = positional[1:]
    out.flags[DASH] = dash
    return out


def _command_of(tokens: list[str]) -> str:
    """The command word: the first token that is neither a flag nor a global flag's value."""
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "--":
            return ""
        if not tok.startswith("-") or tok == "-":
            return tok
        i += 2 if tok in _VALUE_FLAGS else 1
    return ""


# global flags written apart from their value (``-n kube-system``, ``--as jane``)
_VALUE_FLAGS = ("-n", "--namespace", "--as", "--as-group", "--as-uid")


def _set(out: Args, table: dict, name: str, value: str | None, tokens: list[str], i: int,
         where: str, see: str) -> int:
    kind = table[name][1]
    if kind == "bool":
        if value is None:
            out.flags[name] = True
        elif value.lower() in ("true", "t", "1", "false", "f", "0"):
            out.flags[name] = value.lower() in ("true", "t", "1")
        else:
            raise CommandError(f'error: invalid argument "{value}" for "{_label(table, name)}" flag: '
                               f'strconv.ParseBool: parsing "{value}": invalid syntax\n{see}')
        return i
    if value is None:
        if name in _OPTIONAL_VALUE:
            value = _OPTIONAL_VALUE[name]
        elif i < len(tokens):
            value, i = tokens[i], i + 1
        else:
            raise CommandError(f"error: flag needs an argument: {where}\n{see}")
    if kind == "int":
        try:
            out.flags[name] = int(value)
        except ValueError:
            raise CommandError(f'error: invalid argument "{value}" for "{_label(table, name)}" flag: '
                               f'strconv.ParseInt: parsing "{value}": invalid syntax\n{see}') from None
    elif kind == "list":
        out.flags.setdefault(name, []).append(value)
    else:
        out.flags[name] = value
    return i


def _label(table: dict, name: str) -> str:
    short = table[name][0]
    return f"-{short}, --{name}" if short else f"--{name}"


def usage_error(command: str, message: str) -> CommandError:
    """cmdutil.UsageErrorf: the message, then where to read the usage."""
    return CommandError(f"error: {message}\nSee 'kubectl {command} -h' for help and examples")


# -- containers (podcmd.go) -----------------------------------------------------------------
def all_container_names(pod: dict) -> str:
    """podcmd.AllContainerNames: containers, then ephemeral ``(ephem)``, then init ``(init)``."""
    spec = pod.get("spec") or {}
    names = [c.get("name", "") for c in spec.get("containers") or ()]
    names += [f"{c.get('name', '')} (ephem)" for c in spec.get("ephemeralContainers") or ()]
    names += [f"{c.get('name', '')} (init)" for c in spec.get("initContainers") or ()]
    return ", ".join(names)


def find_container(pod: dict, name: str) -> dict | None:
    spec = pod.get("spec") or {}
    for key in ("containers", "initContainers", "ephemeralContainers"):
        for c in spec.get(key) or ():
            if c.get("name") == name:
                return c
    return None


def default_container(k: "Kubectl", pod: dict, quiet: bool = False) -> str:
    """FindOrDefaultContainerByName with no name: the annotation's container, else the first
    one, saying so on stderr when there was a choice."""
    spec = pod.get("spec") or {}
    containers = spec.get("containers") or []
    meta = pod.get("metadata") or {}
    if not containers:
        raise CommandError(f"error: pod {meta.get('namespace')}/{meta.get('name')} does not have any containers")
    wanted = (meta.get("annotations") or {}).get(DEFAULT_CONTAINER_ANNOTATION)
    if wanted and find_container(pod, wanted) is not None:
        return wanted
    first = containers[0].get("name", "")
    if not quiet and (len(containers) > 1 or spec.get("initContainers") or spec.get("ephemeralContainers")):
        k.warn(f'Defaulted container "{first}" out of: {all_container_names(pod)}')
    return first


# -- which pod (polymorphichelpers, podutils.ByLogging) -------------------------------------
def _by_logging(pod: dict) -> tuple:
    """kubectl/pkg/util/podutils ByLogging.Less as a sort key: assigned first; Running < Unknown
    < Pending; ready first; ready the longest first (an unset time last); most restarts first
    (regular containers, then restartable init containers); oldest first. Ties keep the list's
    order (GetFirstPod's sort.Sort is an insertion sort for so few pods)."""
    spec, st = pod.get("spec") or {}, pod.get("status") or {}
    # Running < Unknown < Pending; other phases are absent from upstream's map, so rank 0
    rank = {"Running": 0, "Unknown": 1, "Pending": 2}.get(st.get("phase", ""), 0)
    ready_at = next((c.get("lastTransitionTime") for c in st.get("conditions") or ()
                     if c.get("type") == "Ready" and c.get("status") == "True"), None)
    ready = ready_at is not None
    inf = float("inf")
    since_ready = (seconds_of(ready_at) if ready_at else None) if ready else 0.0
    restarts = max([s.get("restartCount", 0) for s in st.get("containerStatuses") or ()] or [0])
    sidecars = {c.get("name") for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"}
    sidecar_restarts = max([s.get("restartCount", 0) for s in st.get("initContainerStatuses") or ()
                            if s.get("name") in sidecars] or [0])
    created = seconds_of((pod.get("metadata") or {}).get("creationTimestamp"))
    return (not spec.get("nodeName"), rank, not ready, inf if since_ready is None else since_ready,
            -restarts, -sidecar_restarts, inf if created is None else created)


def pods_for(k: "Kubectl", ref: str, namespace: str) -> list[dict]:
    """``NAME`` or ``pod/NAME`` -> [that pod]; ``TYPE/NAME`` of a workload -> its pods, the
    one kubectl would pick first (ByLogging) first. ApiError when the object is missing."""
    kind, _, name = ref.rpartition("/")
    info = k.resource(kind) if kind else k.resource("pods")
    if info.plural == "pods":
        return [k.client.get("pods", name, namespace=namespace)]
    obj = k.client.get(info.plural, name, namespace=namespace)
    selector = (obj.get("spec") or {}).get("selector") or {}
    labels = selector.get("matchLabels") if isinstance(selector.get("matchLabels"), dict) else selector
    if info.plural == "jobs":
        labels = {"batch.kubernetes.io/controller-uid": (obj.get("metadata") or {}).get("uid", "")}
    text = ",".join(f"{key}={value}" for key, value in sorted((labels or {}).items()))
    pods = k.client.list("pods", namespace=namespace, label_selector=text)["items"]
    return sorted(pods, key=_by_logging)


def first_pod(k: "Kubectl", ref: str, namespace: str) -> dict:
    """GetFirstPod: a workload's best pod, noting on stderr when there were several."""
    pods = pods_for(k, ref, namespace)
    if not pods:
        raise CommandError("error: timed out waiting for the condition")
    if "/" in ref and len(pods) > 1 and not ref.startswith(("pod/", "pods/", "po/")):
        k.warn(f"Found {len(pods)} pods, using pod/{pods[0]['metadata']['name']}")
    return pods[0]


def poll(k: "Kubectl", check: Any, timeout: float, every: float = 1.0) -> bool:
    """Advance the simulation (``k.wait``) until ``check()`` holds, looking once per ``every``
    virtual seconds (each look is an API request). False if it never held (or no clock)."""
    if check():
        return True
    wait = getattr(k, "wait", None)
    if wait is None:
        return False
    last = [k.now()]

    def due() -> bool:
        if k.now() - last[0] < every:
            return False
        last[0] = k.now()
        try:
            return bool(check())
        except ApiError:
            return True  # the object went away: stop waiting, the caller looks again
    return bool(wait(due, timeout)) or bool(check())
