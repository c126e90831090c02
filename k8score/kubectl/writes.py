"""The commands that change the cluster: ``create``, ``run``, ``scale``, ``delete``, ``patch``,
``cordon``, ``uncordon``, ``drain`` (``apply`` lives in :mod:`.apply`, ``label`` and
``annotate`` in :mod:`.labels`).

Each write carries kubectl's field manager for the command (``kubectl-create``,
``kubectl-run``, ``kubectl-patch``: the ``AddFieldManagerFlagVar`` defaults in
staging/src/k8s.io/kubectl/pkg/cmd/*) and honours ``--dry-run=client|server``
(:mod:`.options`)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from ..api.resources import ResourceInfo
from ..api.schema import schema_for
from ..apiserver.patch import apply_patch
from ..client import ApiError
from .apply import apply, apply_one, create_from_file, load_manifests, locate
from .create_common import emit
from .args import Args, CommandError, int_flag
from .options import CLIENT, SERVER, dry_run, print_result, write_options
from .printers import kind_name, no_resources
from .reads import targets

if TYPE_CHECKING:
    from .kubectl import Kubectl

_NEED_RESOURCES = ("error: You must provide one or more resources by argument or filename.\n"
                   "Example resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n"
                   "   '<resource> <name>'\n   '<resource>'")


def _required(args: Args, flag: str) -> str:
    value = args.get(flag)
    if value is None or value == []:
        raise CommandError(f'error: required flag(s) "{flag}" not set')
    return value


def _need_names(args: Args, wanted: list[str]) -> None:
    # resource.Builder: a bare TYPE needs a name, a selector or --all
    if not wanted and not args.get("selector") and not args.get("all") and not args.get("field-selector"):
        raise CommandError("error: resource(s) were provided, but no name, label selector, or --all flag specified")


# -- create ------------------------------------------------------------------------------
def create(k: "Kubectl", args: Args, stdin: str | None) -> None:
    if args.get("filename"):
        create_from_file(k, args, stdin)
        return
    if not args.args:
        raise CommandError("error: must specify one of -f and -k")
    sub, rest = args.args[0], args.args[1:]
    if sub in ("deployment", "deploy"):
        _create_deployment(k, args, rest)
    elif sub in ("namespace", "ns"):
        if len(rest) != 1:
            raise CommandError("error: exactly one NAME is required, got %d\nSee 'kubectl create namespace -h' "
                               "for help and examples" % len(rest))
        body = {"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": rest[0]}, "spec": {}, "status": {}}
        emit(k, args, k.resource("namespaces"), body, None, None)
    else:
        from . import create_generators   # the other generators (create_*.py)
        if not create_generators.run(k, args):
            raise create_generators.unexpected(args)


def _container_name(image: str) -> str:
    # create_deployment.go buildPodSpec: last path element, without tag or digest, sanitized
    name = image.split("/")[-1].split(":")[0].split("@")[0]
    return re.sub(r"[_.]", "-", name)


def _create_deployment(k: "Kubectl", args: Args, rest: list[str]) -> None:
    images = _required(args, "image")
    if len(rest) != 1:
        raise CommandError("error: exactly one NAME is required, got %d\nSee 'kubectl create deployment -h' "
                           "for help and examples" % len(rest))
    name = rest[0]
    replicas = int_flag(args, "replicas", 1)
    port = int_flag(args, "port", -1)
    # Go struct order (printed by -o json): name, image, ports, resources
    containers = [{"name": _container_name(img), "image": img} for img in images]
    if port is not None and port >= 0:
        containers[0]["ports"] = [{"containerPort": port}]
    for c in containers:
        c["resources"] = {}
    labels = {"app": name}
    body = {"kind": "Deployment", "apiVersion": "apps/v1",
            "metadata": {"name": name, "labels": dict(labels)},
            "spec": {"replicas": replicas, "selector": {"matchLabels": dict(labels)},
                     "template": {"metadata": {"labels": dict(labels)}, "spec": {"containers": containers}},
                     "strategy": {}},
            "status": {}}
    if args.get("namespace"):   # EnforceNamespace: -n is written into the object
        body["metadata"] = {"name": name, "namespace": args.get("namespace"), "labels": dict(labels)}
    emit(k, args, k.resource("deployments"), body, args.get("namespace") or k.namespace,
         "failed to create deployment: ")


def _create(k: "Kubectl", args: Args, info: ResourceInfo, body: dict, ns: str | None,
            manager: str = "kubectl-create") -> None:
    """create.go / run.go: send the object (not with --dry-run=client) and print it or its line."""
    obj = body
    if dry_run(args) != CLIENT:
        obj = k.client.create(info.plural, body, namespace=ns, **write_options(args, manager, validate=True))
    name = (obj.get("metadata") or {}).get("name", "")
    print_result(k, args, info, name, "created", obj)


def run_pod(k: "Kubectl", args: Args, stdin: str | None) -> None:
    """``kubectl run NAME --image=IMG``: one bare Pod labelled ``run=NAME``."""
    images = _required(args, "image")
    if not args.args:
        raise CommandError("error: NAME is required for run\nSee 'kubectl run -h' for help and examples")
    name = args.args[0]
    container = {"name": name, "image": images[0], "resources": {}}
    port = int_flag(args, "port", -1)
    if port is not None and port >= 0:
        container["ports"] = [{"containerPort": port}]
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"run": name}},
            "spec": {"containers": [container], "dnsPolicy": "ClusterFirst", "restartPolicy": "Always"},
            "status": {}}
    _create(k, args, k.resource("pods"), body, args.get("namespace") or k.namespace, "kubectl-run")


# -- scale ---------------------------------------------------------------------------------
def scale(k: "Kubectl", args: Args, stdin: str | None) -> None:
    if not args.args:
        raise CommandError(_NEED_RESOURCES)
    replicas = int_flag(args, "replicas")
    if replicas is None:
        raise CommandError('error: required flag(s) "replicas" not set')
    if replicas < 0:
        raise CommandError("error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
    for info, wanted in targets(k, args.args):
        if info.plural not in ("deployments", "replicasets", "replicationcontrollers"):
            objs = wanted or ["<all>"]
            for _ in objs:
                k.err("Error from server (NotFound): the server could not find the requested resource")
            continue
        _need_names(args, wanted)
        names = wanted or [o["metadata"]["name"] for o in k.client.list(
            info.plural, namespace=k.ns_for(info, args), label_selector=args.get("selector"))["items"]]
        for name in names:
            ns = k.ns_for(info, args)
            try:
                if dry_run(args) == CLIENT:   # scale.go: the object as it would be, nothing sent
                    obj = k.client.get(info.plural, name, namespace=ns)
                    obj = {**obj, "spec": {**(obj.get("spec") or {}), "replicas": replicas}}
                else:
                    # scale.go sends no --field-manager: the server names the manager after the
                    # user agent, "kubectl"
                    obj = k.client.patch(info.plural, name, {"spec": {"replicas": replicas}}, namespace=ns,
                                         **write_options(args, "kubectl"))
            except ApiError as e:
                k.err(k.api_error_text(e))
                continue
            print_result(k, args, info, name, "scaled", obj)


# -- delete ---------------------------------------------------------------------------------
def delete(k: "Kubectl", args: Args, stdin: str | None) -> None:
    grace = int_flag(args, "grace-period")
    if args.get("now"):
        grace = 1
    if args.get("force") and grace not in (None, 0):
        raise CommandError("error: --force and --grace-period greater than 0 cannot be specified together")
    if args.get("force") and grace is None:
        grace = 0
    if grace == 0 and not args.get("force"):
        grace = 1   # delete.go Complete: --grace-period=0 without --force means 1, to avoid data loss
    if grace == 0 and args.get("force"):
        # delete.go Validate
        k.warn("warning: Immediate deletion does not wait for confirmation that the running resource has been "
               "terminated. The resource may continue to run on the cluster indefinitely.")
    if args.get("filename"):
        namespace = args.get("namespace") or k.namespace
        for obj, source in load_manifests(k, args, stdin):
            info, ns, name = locate(obj, source, namespace, bool(args.get("namespace")), k.client.by_kind)
            _delete_one(k, args, info, ns, name, grace)
        return
    if not args.args:
        raise CommandError(_NEED_RESOURCES)
    found = 0
    for info, wanted in targets(k, args.args):
        ns = k.ns_for(info, args)
        if wanted:
            names = [(ns, n) for n in wanted]
        else:
            _need_names(args, wanted)
            lst = k.client.list(info.plural, namespace=ns, label_selector=args.get("selector"),
                                field_selector=args.get("field-selector"))["items"]
            names = [((o.get("metadata") or {}).get("namespace"), o["metadata"]["name"]) for o in lst]
        for obj_ns, name in names:
            found += _delete_one(k, args, info, obj_ns, name, grace)
    if not found and k.last_exit_code == 0 and not any(w for _, w in targets(k, args.args)):
        k.out(no_resources(None))


def _delete_one(k: "Kubectl", args: Args, info: ResourceInfo, ns: str | None, name: str,
                grace: int | None = None) -> int:
    # --cascade=true|false are the deprecated spellings of background|orphan
    policy = {"background": "Background", "foreground": "Foreground", "orphan": "Orphan", "true": "Background",
              "false": "Orphan"}.get((args.get("cascade") or "background").lower())
    strategy = dry_run(args)
    if strategy != CLIENT:     # delete.go: --dry-run=client deletes nothing and asks nothing
        try:
            k.client.delete(info.plural, name, namespace=ns, grace_period_seconds=grace,
                            propagation_policy=policy, **write_options(args, None))
        except ApiError as e:
            if e.code == 404 and args.get("ignore-not-found"):
                return 0
            k.err(k.api_error_text(e))
            return 0
    # delete.go PrintObj: kubectl >= 1.33 names the namespace a namespaced object was deleted from
    operation = "force deleted" if grace == 0 else "deleted"
    if info.namespaced and ns:
        operation += f" from {ns} namespace"
    operation += {CLIENT: " (dry run)", SERVER: " (server dry run)"}.get(strategy, "")
    if args.get("output") == "name":
        k.out(f"{kind_name(info.kind, info.group)}/{name}")
    else:
        k.out(f'{kind_name(info.kind, info.group)} "{name}" {operation}')
    return 1


# -- patch -----------------------------------------------------------------------------------
def patch(k: "Kubectl", args: Args, stdin: str | None) -> None:
    """``kubectl patch TYPE NAME -p '{...}' [--type strategic|merge|json]``."""
    body = args.get("patch")
    if not body:
        raise CommandError("error: must specify -p to patch")
    try:
        doc = json.loads(body)
    except ValueError:
        try:
            import yaml
            doc = yaml.safe_load(body)
        except yaml.YAMLError as e:
            raise CommandError(f"error: unable to parse \"{body}\": {e}") from None
    kind = (args.get("type") or "strategic").lower()
    if kind not in ("strategic", "merge", "json"):
        raise CommandError(f'error: --type must be one of [json merge strategic], not "{kind}"')
    if not args.args:
        raise CommandError(_NEED_RESOURCES)
    for info, wanted in targets(k, args.args):
        _need_names(args, wanted)
        for name in wanted:
            ns = k.ns_for(info, args)
            before = k.client.get(info.plural, name, namespace=ns)
            if dry_run(args) == CLIENT:
                # patch.go: a client dry run applies the patch locally (the same patch code
                # the server runs, as kubectl vendors it) and sends nothing
                after = apply_patch(before, doc, kind, schema_for(info.api_version, info.kind))
            else:
                after = k.client.patch(info.plural, name, doc, patch_type=kind, namespace=ns,
                                       **write_options(args, "kubectl-patch"))
            # patch.go: "(no change)" when the answer equals the object before (reflect.DeepEqual)
            same = _without_rv(after) == _without_rv(before)
            print_result(k, args, info, name, "patched (no change)" if same else "patched", after)


def _without_rv(obj: dict) -> dict:
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in ("resourceVersion", "managedFields")}
    return {**obj, "metadata": meta}


# -- nodes -------------------------------------------------------------------------------------
def _set_unschedulable(k: "Kubectl", args: Args, value: bool, verb: str, usage: str) -> list[str]:
    if not args.args:
        raise CommandError(f"error: USAGE: {usage} NODE [flags]\nSee 'kubectl {usage} -h' for help and examples")
    names = []
    for name in args.args:
        node = k.client.get("nodes", name.split("/", 1)[-1])
        name = node["metadata"]["name"]
        if bool((node.get("spec") or {}).get("unschedulable")) == value:
            k.out(f"node/{name} already {verb}")
        else:
            # drain.RunCordonOrUncordon: unschedulable false is dropped (omitempty), hence null
            k.client.patch("nodes", name, {"spec": {"unschedulable": True if value else None}})
            k.out(f"node/{name} {verb}")
        names.append(name)
    return names


def cordon(k: "Kubectl", args: Args, stdin: str | None) -> None:
    _set_unschedulable(k, args, True, "cordoned", "cordon")


def uncordon(k: "Kubectl", args: Args, stdin: str | None) -> None:
    _set_unschedulable(k, args, False, "uncordoned", "uncordon")


def drain(k: "Kubectl", args: Args, stdin: str | None) -> None:
    """``kubectl drain``: cordon, then evict through the Eviction API (see :mod:`.drain`)."""
    from .drain import drain as run_drain
    run_drain(k, args, stdin)


__all__ = ["apply", "apply_one", "create", "run_pod", "scale", "delete", "patch", "cordon", "uncordon", "drain"]
