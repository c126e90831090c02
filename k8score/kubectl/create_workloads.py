"""``kubectl create job|cronjob``: a Job or CronJob running one container.

Upstream: staging/src/k8s.io/kubectl/pkg/cmd/create/create_job.go (``--image`` or
``--from=cronjob/NAME``: a Job from the CronJob's jobTemplate, annotated
``cronjob.kubernetes.io/instantiate: manual`` and owned by the CronJob),
create_cronjob.go (``--restart`` defaults to OnFailure). The container is named after the
object; words after ``--`` are its command.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from ..client import ApiError
from .args import Args, CommandError
from .create_common import command_args, emit, last, meta, name_arg, namespace

if TYPE_CHECKING:
    from .kubectl import Kubectl

#: create_job.go createJobFromCronJob
INSTANTIATE_ANNOTATION = "cronjob.kubernetes.io/instantiate"


def _pod_template(name: str, image: str, command: list[str], restart: str) -> dict:
    # corev1.PodTemplateSpec: metadata is a struct (printed as {}), Container.resources too
    container = {"name": name, "image": image}
    if command:
        container["command"] = command
    container["resources"] = {}
    return {"metadata": {}, "spec": {"containers": [container], "restartPolicy": restart}}


def job(k: "Kubectl", args: Args) -> None:
    """``kubectl create job NAME --image=IMG [-- CMD...]`` or ``--from=cronjob/NAME``."""
    name = name_arg(args, 1, "create job")
    command = command_args(args, 1)
    image, source = last(args, "image"), last(args, "from")
    if bool(image) == bool(source):
        raise CommandError("error: either --image or --from must be specified")
    if command and source:
        raise CommandError("error: cannot specify --from and command")
    ns, enforced = namespace(k, args)
    if image:
        obj = {"kind": "Job", "apiVersion": "batch/v1", "metadata": meta(name, ns if enforced else ""),
               "spec": {"template": _pod_template(name, image, command, "Never")}, "status": {}}
    else:
        obj = _from_cronjob(k, name, source, ns, enforced)
    emit(k, args, k.resource("jobs"), obj, ns, "failed to create job: ")


def _from_cronjob(k: "Kubectl", name: str, source: str, ns: str, enforced: bool) -> dict:
    """The builder resolves ``TYPE/NAME`` (only a CronJob will do)."""
    kind, slash, cj_name = source.partition("/")
    info = k.resource(kind)
    where = ns if info.namespaced else None
    try:
        if slash:
            cron = k.client.get(info.plural, cj_name, namespace=where)
        else:   # a bare TYPE: every object of it, and exactly one will do
            found = k.client.list(info.plural, namespace=where)["items"]
            if len(found) != 1:
                raise CommandError("error: from must be an existing cronjob")
            cron = found[0]
    except ApiError as e:
        raise CommandError(k.api_error_text(e)) from None
    if info.kind != "CronJob":
        go_type = {"Deployment": "*v1.Deployment", "Job": "*v1.Job", "Pod": "*v1.Pod"}.get(info.kind,
                                                                                         f"*v1.{info.kind}")
        raise CommandError(f"error: unknown object type {go_type}")
    template = (cron.get("spec") or {}).get("jobTemplate") or {}
    tmeta = template.get("metadata") or {}
    annotations = {INSTANTIATE_ANNOTATION: "manual", **(tmeta.get("annotations") or {})}
    owner = {"apiVersion": "batch/v1", "kind": "CronJob", "name": cron["metadata"]["name"],
             "uid": cron["metadata"].get("uid", ""), "controller": True}
    md = meta(name, ns if enforced else "", labels=tmeta.get("labels"),
              annotations=dict(sorted(annotations.items())), ownerReferences=[owner])
    return {"kind": "Job", "apiVersion": "batch/v1", "metadata": md,
            "spec": copy.deepcopy(template.get("spec") or {}), "status": {}}


def cronjob(k: "Kubectl", args: Args) -> None:
    """``kubectl create cronjob NAME --image=IMG --schedule=CRON [--restart=OnFailure|Never] [-- CMD...]``."""
    missing = [f'"{flag}"' for flag in ("image", "schedule") if args.get(flag) is None]
    if missing:   # cmd.MarkFlagRequired: cobra checks before Run, naming every missing flag
        raise CommandError(f"error: required flag(s) {', '.join(missing)} not set")
    name = name_arg(args, 1, "create cronjob")
    command = command_args(args, 1)
    ns, enforced = namespace(k, args)
    restart = last(args, "restart") or "OnFailure"
    obj = {"kind": "CronJob", "apiVersion": "batch/v1", "metadata": meta(name, ns if enforced else ""),
           "spec": {"schedule": last(args, "schedule"),
                    "jobTemplate": {"metadata": {"name": name},
                                    "spec": {"template": _pod_template(name, last(args, "image"), command,
                                                                       restart)}}},
           "status": {}}
    emit(k, args, k.resource("cronjobs"), obj, ns, "failed to create cronjob: ")


__all__ = ["INSTANTIATE_ANNOTATION", "job", "cronjob"]
