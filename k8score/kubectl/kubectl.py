"""``Kubectl``: run a kubectl command line against the simulated API server.

It talks only through a :class:`~k8score.client.Client`, like the real kubectl talks
only to the API server's REST API. What it prints — tables, describe reports, messages,
errors — follows kubectl v1.37; stdout and stderr come back as one string (stdout first),
and the exit code is kept in :attr:`Kubectl.last_exit_code`. It never raises.

>>> k = Kubectl(client, now_fn=lambda: loop.now)            # doctest: +SKIP
>>> k.run("create deployment web --image=nginx:1.14.2")     # doctest: +SKIP
'deployment.apps/web created\\n'
>>> k.run("get pods foo"), k.last_exit_code                 # doctest: +SKIP
('Error from server (NotFound): pods "foo" not found\\n', 1)
"""

from __future__ import annotations

from typing import Any, Callable

from ..api.resources import RESOURCES, ResourceInfo
from ..client import ApiError
from . import authcmd, clusterinfo, describe_cmd, labels, podcmd, reads, rollout, session, writes
from . import exec as exec_cmd, logs as logs_cmd, run as run_cmd
from . import autoscale as autoscale_cmd, top as top_cmd
from .args import Args, CommandError, parse_args, split_command
from ..cobra import suggestions
from ..kubeversion import GIT_VERSION, KUSTOMIZE_VERSION  # noqa: F401 (reads.version imports it here)

#: The version this emulation follows (what ``kubectl version`` prints): the cluster's release,
#: so client and server match (k8score/kubeversion.py)
VERSION = GIT_VERSION

# kubectl get all: the "all" category of the resources this server serves, in kubectl's order
# (the resources whose storage lists the "all" category, pkg/registry/*/storage Categories(),
# in discovery order: core, apps, autoscaling, batch)
_ALL = ("pods", "replicationcontrollers", "services", "daemonsets", "deployments", "replicasets",
        "statefulsets", "horizontalpodautoscalers", "cronjobs", "jobs")


class Kubectl:
    """kubectl for one cluster. ``namespace`` is the kubeconfig context's default namespace."""

    def __init__(self, client: Any, now_fn: Callable[[], float], namespace: str = "default",
                 wait: Callable[[Callable[[], bool], float], bool] | None = None, server: str | None = None):
        self.client = client
        self.now_fn = now_fn
        self.namespace = namespace
        #: The kubeconfig cluster's ``server`` URL (rest.Config Host), which ``cluster-info`` and
        #: connection errors name. None: kubeadm's admin.conf, ``https://<advertise address>:6443``.
        self.server = server
        #: ``wait(predicate, timeout)``: advance the simulation until ``predicate()`` holds or
        #: ``timeout`` virtual seconds pass (True if it held). Commands that block in a real
        #: kubectl (``exec``, ``logs -f``, ``run -i``) use it; None: they look once.
        #: Must not be called from inside the event loop (a reentrant run).
        self.wait = wait
        #: Exit code of the last :meth:`run` (0 success, 1 error), as a shell would see it.
        self.last_exit_code = 0
        #: What the last :meth:`run` wrote to stdout and to stderr, separately.
        self.last_stdout = ""
        self.last_stderr = ""
        self._out: list[str] = []
        self._err: list[str] = []
        self._warn: list[str] = []

    # -- public -----------------------------------------------------------------------
    def run(self, cmdline: str, stdin: str | None = None) -> str:
        """Run one command line (``kubectl`` prefix optional); returns stdout + stderr text."""
        self._out, self._err, self._warn = [], [], []
        self.last_exit_code = 0
        base = self.client
        try:
            tokens = split_command(cmdline)
            # logs/exec/run have flags of their own (-c, -p, -f, -i, -t): podcmd parses them
            args = podcmd.parse(tokens) or parse_args(tokens)
            # --as/--as-group: this command's requests carry Impersonate-* headers
            self.client = session.client_for(base, args, lambda text: self.warn(f"Warning: {text}"))
            self._dispatch(args, stdin)
        except CommandError as e:
            self.fail(e.message, e.exit_code)
        except ApiError as e:
            self.fail(self.api_error_text(e))
        except Exception as e:  # never raise into a page: show it the way kubectl shows a bug
            self.fail(f"error: internal error: {type(e).__name__}: {e}")
        finally:
            self.client = base
        self.last_stdout = "".join(self._out)
        self.last_stderr = "".join(self._warn + self._err)
        # warnings come out before the work starts; errors are collected and printed at the end
        return "".join(self._warn) + self.last_stdout + "".join(self._err)

    def apply_object(self, obj: dict, namespace: str | None = None) -> dict:
        """``kubectl apply`` of one manifest object (Python API); returns the stored object.

        Raises :class:`ApiError` on failure (``Cluster.apply`` passes it on).
        """
        return writes.apply_one(self, obj, namespace or self.namespace, explicit_ns=False)[0]

    # -- helpers for the command modules -----------------------------------------------
    def now(self) -> float:
        return self.now_fn()

    def server_url(self) -> str:
        """:attr:`server`, or the API server's address as kubeadm's admin.conf names it
        (phases/kubeconfig: ``https://<advertise address>:<bind port 6443>``)."""
        if self.server:
            return self.server
        return f"https://{getattr(self.client.api, 'advertise_address', '127.0.0.1')}:6443"

    def out(self, text: str) -> None:
        if text:
            self._out.append(text if text.endswith("\n") else text + "\n")

    def out_raw(self, text: str) -> None:
        """Exactly ``text`` (``-o jsonpath`` prints no newline of its own)."""
        self._out.append(text)

    def warn(self, text: str) -> None:
        """A warning on stderr, printed before anything else; the exit code is unchanged."""
        self._warn.append(text if text.endswith("\n") else text + "\n")

    def err(self, text: str, exit_code: int = 1) -> None:
        """A non-fatal error: printed, remembered in the exit code, the command goes on."""
        self.fail(text, exit_code)

    def stderr(self, text: str) -> None:
        """Text on stderr in order with errors (a remote command's stderr); exit code unchanged."""
        if text:
            self._err.append(text)

    def fail(self, text: str, exit_code: int = 1) -> None:
        self._err.append(text if text.endswith("\n") else text + "\n")
        self.last_exit_code = exit_code

    def api_error_text(self, e: ApiError, context: str = "") -> str:
        """How kubectl prints an API error (cmd/util/helpers.go StandardErrorMessage)."""
        if e.code == 503 and getattr(self.client.api, "running", True) is False:
            host = self.server_url().split("://", 1)[-1]
            return f"The connection to the server {host} was refused - did you specify the right host or port?"
        if context and e.reason != "Invalid":
            prefix = f"Error from server ({e.reason}): " if e.reason else "Error from server: "
            return f"{prefix}{context}{e.message}"
        return str(e)

    def resource(self, name: str) -> ResourceInfo:
        try:
            return self.client.resolve(name)  # the server's discovery: CRDs included
        except ApiError:
            raise CommandError(f'error: the server doesn\'t have a resource type "{name}"') from None

    def resources(self, spec: str) -> list[ResourceInfo]:
        """``pods,svc`` or ``all`` -> resource infos (duplicates dropped, order kept)."""
        out: dict[str, ResourceInfo] = {}
        for part in spec.split(","):
            if not part:
                continue
            infos = [RESOURCES[p] for p in _ALL] if part == "all" else [self.resource(part)]
            for info in infos:
                out.setdefault(info.plural, info)
        return list(out.values())

    def ns_for(self, info: ResourceInfo, args: Args) -> str | None:
        """The namespace a request goes to (None: cluster-scoped or --all-namespaces)."""
        if not info.namespaced or args.get("all-namespaces"):
            return None
        return args.get("namespace") or self.namespace

    # -- dispatch ----------------------------------------------------------------------
    def _dispatch(self, args: Args, stdin: str | None) -> None:
        commands: dict[str, Callable[[Kubectl, Args, str | None], None]] = {
            "get": reads.get, "describe": describe_cmd.describe, "api-resources": reads.api_resources,
            "version": reads.version, "rollout": rollout.rollout, "cluster-info": clusterinfo.cluster_info,
            "events": reads.events, "set": rollout.set_image, "patch": writes.patch,
            "apply": writes.apply, "create": writes.create, "run": run_cmd.run,
            "scale": writes.scale, "delete": writes.delete, "label": labels.label,
            "annotate": labels.annotate, "auth": authcmd.auth,
            "cordon": writes.cordon, "uncordon": writes.uncordon, "drain": writes.drain,
            "logs": logs_cmd.logs, "exec": exec_cmd.exec_command,
            "top": top_cmd.top, "autoscale": autoscale_cmd.autoscale,
        }
        if not args.command:
            self.out(_HELP)
            return
        fn = commands.get(args.command)
        if fn is None:
            if args.command in _UPSTREAM_COMMANDS:
                raise CommandError(f'error: "kubectl {args.command}" is not available in this simulated cluster '
                                   f"(supported: {', '.join(sorted(commands))})")
            raise CommandError(f'error: unknown command "{args.command}" for "kubectl"' + _suggest(args.command))
        fn(self, args, stdin)


# every top-level kubectl command in the order kubectl adds them (cobra suggests in that order,
# "gett" -> set, get): kubectl/pkg/cmd/cmd.go NewKubectlCommand's CommandGroups, then config,
# plugin, version, api-versions, api-resources, options and kuberc ("alpha" is hidden)
_UPSTREAM_COMMANDS = (
    "create", "expose", "run", "set", "explain", "get", "edit", "delete", "rollout", "scale", "autoscale",
    "certificate", "cluster-info", "top", "cordon", "uncordon", "drain", "taint", "describe", "logs",
    "attach", "exec", "port-forward", "proxy", "cp", "auth", "debug", "events", "diff", "apply", "patch",
    "replace", "wait", "kustomize", "label", "annotate", "completion", "config", "plugin", "version",
    "api-versions", "api-resources", "options", "kuberc")


def _suggest(typed: str) -> str:
    return suggestions(typed, _UPSTREAM_COMMANDS)


_HELP = """kubectl controls the Kubernetes cluster manager.

 Find more information at: https://kubernetes.io/docs/reference/kubectl/

Basic Commands (Beginner):
  create          Create a resource from a file or from stdin
  run             Run a particular image on the cluster
  set             Set specific features on objects

Basic Commands (Intermediate):
  get             Display one or many resources
  delete          Delete resources by file names, stdin, resources and names, or by resources and
label selector

Deploy Commands:
  rollout         Manage the rollout of a resource
  scale           Set a new size for a deployment, replica set, or replication controller
  autoscale       Auto-scale a deployment, replica set, stateful set, or replication controller

Cluster Management Commands:
  cluster-info    Display cluster information
  top             Display resource (CPU/memory) usage
  cordon          Mark node as unschedulable
  uncordon        Mark node as schedulable
  drain           Drain node in preparation for maintenance

Troubleshooting and Debugging Commands:
  describe        Show details of a specific resource or group of resources
  logs            Print the logs for a container in a pod
  exec            Execute a command in a container
  auth            Inspect authorization
  events          List events

Advanced Commands:
  apply           Apply a configuration to a resource by file name or stdin
  patch           Update fields of a resource

Settings Commands:
  label           Update the labels on a resource
  annotate        Update the annotations on a resource

Other Commands:
  api-resources   Print the supported API resources on the server
  version         Print the client and server version information

Usage:
  kubectl [flags] [options]
"""
