"""``kubectl label`` and ``kubectl annotate``: KEY=VALUE / KEY- changes to a metadata map.

Upstream: staging/src/k8s.io/kubectl/pkg/cmd/label/label.go (``parseLabels``,
``validateNoOverwrites``, ``updateDataChangeMsg``: labeled / unlabeled / modified /
not labeled; field manager ``kubectl-label``), annotate/annotate.go (``validateAnnotations``,
``validateNoAnnotationOverwrites``; always prints ``annotated``; field manager
``kubectl-annotate``), cmd/util/helpers.go ``GetResourcesAndPairs``.

Both send a JSON merge patch of the map. ``--dry-run=client`` computes the change and
prints it without sending; ``--dry-run=server`` sends it with ``dryRun=All``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..api.resources import ResourceInfo
from .args import Args, CommandError
from .options import CLIENT, dry_run, print_result, write_options
from .reads import targets

if TYPE_CHECKING:
    from .kubectl import Kubectl

_NEED_RESOURCES = ("error: You must provide one or more resources by argument or filename.\n"
                   "Example resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n"
                   "   '<resource> <name>'\n   '<resource>'")
_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                        r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


def _split(args: Args, pair_type: str) -> tuple[list[str], list[str]]:
    """GetResourcesAndPairs: resources first, then KEY=VALUE / KEY- pairs."""
    resources, pairs = [], []
    for a in args.args:
        is_pair = ("=" in a and not a.startswith("=")) or (a.endswith("-") and a != "-")
        if is_pair:
            pairs.append(a)
        elif pairs:
            raise CommandError(f"error: all resources must be specified before {pair_type} changes: {a}")
        else:
            resources.append(a)
    return resources, pairs


def _parse(pairs: list[str]) -> tuple[dict[str, str], list[str]]:
    """ParsePairs: ``(new, removed)`` — KEY=VALUE pairs and KEY- removals."""
    new: dict[str, str] = {}
    removed: list[str] = []
    for c in pairs:
        if "=" in c and not c.startswith("="):
            key, _, value = c.partition("=")
            new[key] = value
        else:
            removed.append(c[:-1])
    return new, removed


def _objects(k: "Kubectl", args: Args, info: ResourceInfo, wanted: list[str]) -> list[dict]:
    if not wanted and not args.get("selector") and not args.get("all"):
        raise CommandError("error: resource(s) were provided, but no name, label selector, or --all flag specified")
    ns = k.ns_for(info, args)
    if wanted:
        return [k.client.get(info.plural, n, namespace=ns) for n in wanted]
    return k.client.list(info.plural, namespace=ns, label_selector=args.get("selector"))["items"]


def _write(k: "Kubectl", args: Args, info: ResourceInfo, obj: dict, field: str, patch: dict,
           manager: str) -> dict:
    """Send the merge patch (unless --dry-run=client); the object to print."""
    meta = obj.get("metadata") or {}
    if dry_run(args) == CLIENT:
        current = dict(meta.get(field) or {})
        for key, value in patch.items():
            if value is None:
                current.pop(key, None)
            else:
                current[key] = value
        return {**obj, "metadata": {**meta, field: current}}
    return k.client.patch(info.plural, meta["name"], {"metadata": {field: patch}}, patch_type="merge",
                          namespace=meta.get("namespace") if info.namespaced else None,
                          **write_options(args, manager))


def label(k: "Kubectl", args: Args, stdin: str | None) -> None:
    resource_args, changes = _split(args, "label")
    if not changes:
        raise CommandError("error: at least one label update is required")
    if not resource_args:
        raise CommandError(_NEED_RESOURCES)
    for c in changes:
        if "=" in c and (c.count("=") != 1 or not _LABEL_KEY.match(c.partition("=")[0])):
            raise CommandError(f"error: invalid label spec: {c}")
    new, removed = _parse(changes)
    if any(key in new for key in removed):
        raise CommandError("error: can not both modify and remove a label in the same command")
    updates: dict[str, str | None] = {**new, **{key: None for key in removed}}
    for info, wanted in targets(k, resource_args):
        for obj in _objects(k, args, info, wanted):
            meta = obj.get("metadata") or {}
            current = meta.get("labels") or {}
            if not args.get("overwrite"):
                for key, value in updates.items():
                    if value is not None and key in current and current[key] != value:
                        raise CommandError(f"error: '{key}' already has a value ({current[key]}), "
                                           "and --overwrite is false")
            if dry_run(args) != CLIENT:
                for key, value in updates.items():
                    if value is None and key not in current:
                        k.out(f'label "{key}" not found.')
            patch = {key: value for key, value in updates.items() if current.get(key) != value}
            added = any(v is not None for v in patch.values())
            removed = any(v is None for v in patch.values())
            # label.go updateDataChangeMsg
            verb = "modified" if added and removed else "labeled" if added else \
                "unlabeled" if removed else "not labeled"
            shown = _write(k, args, info, obj, "labels", patch, "kubectl-label") if patch else obj
            print_result(k, args, info, meta["name"], verb, shown)


def annotate(k: "Kubectl", args: Args, stdin: str | None) -> None:
    resource_args, changes = _split(args, "annotation")
    if not changes:
        raise CommandError("error: at least one annotation update is required")
    if not resource_args:
        raise CommandError("error: one or more resources must be specified as <resource> <name> or "
                           "<resource>/<name>")
    new, removed = _parse(changes)
    both = [key for key in removed if key in new]
    if both:
        raise CommandError("error: can not both modify and remove the following annotation(s) in the same "
                           f"command: {', '.join(both)}")
    updates: dict[str, str | None] = {**new, **{key: None for key in removed}}
    for info, wanted in targets(k, resource_args):
        for obj in _objects(k, args, info, wanted):
            meta = obj.get("metadata") or {}
            current = meta.get("annotations") or {}
            if not args.get("overwrite"):
                taken = [f"'{key}' already has a value ({current[key]})" for key, value in updates.items()
                         if value is not None and key in current and current[key] != value
                         and key != "kubernetes.io/change-cause"]
                if taken:
                    raise CommandError("error: --overwrite is false but found the following declared "
                                       f"annotation(s): {'; '.join(taken)}")
            patch = {key: value for key, value in updates.items() if current.get(key) != value}
            shown = _write(k, args, info, obj, "annotations", patch, "kubectl-annotate") if patch else obj
            print_result(k, args, info, meta["name"], "annotated", shown)


__all__ = ["label", "annotate"]
