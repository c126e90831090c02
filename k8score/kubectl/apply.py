"""``kubectl apply -f`` and ``kubectl create -f``: manifests in, objects created or patched.

Client-side apply as kubectl does it (kubectl/pkg/cmd/apply): the manifest is stored in the
``kubectl.kubernetes.io/last-applied-configuration`` annotation; the next apply computes a
three-way patch between that last-applied manifest, the new manifest and the live object,
sends it as a strategic merge patch, and prints ``configured`` — or ``unchanged`` when the
patch is empty. Writes carry the field manager ``kubectl-client-side-apply``.

``--server-side`` sends the whole manifest as an ``apply`` patch (field manager ``kubectl``
unless ``--field-manager``; ``force`` from ``--force-conflicts``) and prints
``serverside-applied``; a conflict prints the server's message and apply.go's hint.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..api.schema.yamlload import YAMLError, load_yaml_documents
from ..api.resources import ResourceInfo, by_kind
from ..client import ApiError
from .args import Args, CommandError
from .options import CLIENT, dry_run, print_result, render, write_options
from .printers import as_list

if TYPE_CHECKING:
    from .kubectl import Kubectl

#: corev1.LastAppliedConfigAnnotation
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


# -- reading manifests ---------------------------------------------------------------------
def load_manifests(k: "Kubectl", args: Args, stdin: str | None) -> list[tuple[dict, str]]:
    """``(object, source)`` for every document of every ``-f`` (``-`` reads stdin)."""
    out = []
    for name in args.get("filename") or []:
        if name == "-":
            text, source = stdin or "", "STDIN"
        else:
            try:
                with open(name, encoding="utf-8") as f:
                    text, source = f.read(), name
            except OSError:
                raise CommandError(f'error: the path "{name}" does not exist') from None
        try:   # the bounded loader: alias bombs, NaN/Infinity and !!python tags refused
            docs = load_yaml_documents(text)
        except YAMLError as e:
            raise CommandError(f'error: error parsing {source}: error converting YAML to JSON: {e}') from None
        for doc in docs:
            if doc is None:
                continue
            if not isinstance(doc, dict):
                raise CommandError(f"error: error validating \"{source}\": error validating data: "
                                   "invalid object to validate")
            if str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
                out.extend((item, source) for item in doc["items"] if isinstance(item, dict))
            else:
                out.append((doc, source))
    return out


def locate(obj: dict, source: str, namespace: str, explicit_ns: bool,
           by_kind: Any = by_kind) -> tuple[ResourceInfo, str | None, str]:
    """The resource, namespace and name a manifest object addresses (kubectl's validation errors)."""
    missing = [f for f in ("apiVersion", "kind") if not obj.get(f)]
    if missing:
        what = f"{missing[0]} not set" if len(missing) == 1 else "[" + ", ".join(f"{m} not set" for m in missing) + "]"
        raise CommandError(f'error: error validating "{source}": error validating data: {what}; if you choose to '
                           "ignore these errors, turn validation off with --validate=false")
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    info = by_kind(str(obj["apiVersion"]), str(obj["kind"]))
    if info is None:
        version = obj["apiVersion"]
        raise CommandError(f'error: resource mapping not found for name: "{meta.get("name", "")}" namespace: '
                           f'"{meta.get("namespace", "")}" from "{source}": no matches for kind "{obj["kind"]}" '
                           f'in version "{version}"\nensure CRDs are installed first')
    ns = None
    if info.namespaced:
        ns = meta.get("namespace") or namespace
        if explicit_ns and meta.get("namespace") and meta["namespace"] != namespace:
            raise CommandError(f'error: the namespace from the provided object "{meta["namespace"]}" does not '
                               f'match the namespace "{namespace}". You must pass \'--namespace='
                               f'{meta["namespace"]}\' to perform this operation.')
    return info, ns, str(meta.get("name") or "")


# -- apply ----------------------------------------------------------------------------------
#: apply.go: the hint appended to a server-side apply conflict
_CONFLICT_HINT = """Please review the fields above--they currently have other managers. Here
are the ways you can resolve this warning:
* If you intend to manage all of these fields, please re-run the apply
  command with the `--force-conflicts` flag.
* If you do not intend to manage all of the fields, please edit your
  manifest to remove references to the fields that should keep their
  current managers.
* You may co-own fields by updating your manifest to match the existing
  value; in this case, you'll become the manager if the other manager(s)
  stop managing the field (remove it from their configuration).
See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts"""
#: apply.go warningNoLastAppliedConfigAnnotation
_NO_LAST_APPLIED = ("Warning: resource {0} is missing the {1} annotation which is required by kubectl apply. "
                    "kubectl apply should only be used on resources created declaratively by either kubectl "
                    "create --save-config or kubectl apply. The missing annotation will be patched automatically.")
#: apply.go FieldManagerClientSideApply / fieldManagerServerSideApply
CLIENT_SIDE_MANAGER = "kubectl-client-side-apply"
SERVER_SIDE_MANAGER = "kubectl"


def apply(k: "Kubectl", args: Args, stdin: str | None) -> None:
    if not args.get("filename"):
        raise CommandError("error: must specify one of -f and -k")
    server_side = bool(args.get("server-side"))
    # apply.go Complete/ToOptions
    if args.get("force-conflicts") and not server_side:
        raise CommandError("error: --force-conflicts only works with --server-side")
    if dry_run(args) == CLIENT and server_side:
        raise CommandError("error: --dry-run=client doesn't work with --server-side (did you mean "
                           "--dry-run=server instead?)")
    namespace = args.get("namespace") or k.namespace
    docs = load_manifests(k, args, stdin)
    if not docs:
        raise CommandError("error: no objects passed to apply")
    shown = []
    for obj, source in docs:
        try:
            info, ns, name = locate(obj, source, namespace, bool(args.get("namespace")), k.client.by_kind)
            if server_side:
                result, action = _server_side(k, args, info, ns, name, obj)
            else:
                result, action = apply_one(k, obj, namespace, bool(args.get("namespace")), source, args)
        except ApiError as e:
            k.err(k.api_error_text(e, getattr(e, "kubectl_context", "")))
            continue
        except CommandError as e:
            k.err(e.message)
            continue
        if args.get("output") in ("json", "yaml"):
            shown.append(result)    # printObjects: all at the end, several as a v1 List
        else:
            print_result(k, args, info, name, action, result)
    if shown:
        k.out(render(shown[0] if len(shown) == 1 else as_list(shown), args.get("output"), args))


def _server_side(k: "Kubectl", args: Args, info: ResourceInfo, ns: str | None, name: str,
                 obj: dict) -> tuple[dict, str]:
    """apply.go applyOneObject, --server-side: the whole manifest as an apply patch."""
    body = json.loads(json.dumps(obj))
    if info.namespaced and isinstance(body.get("metadata"), dict):
        body["metadata"]["namespace"] = ns
    opts = write_options(args, SERVER_SIDE_MANAGER, validate=True)
    try:
        out = k.client.patch(info.plural, name, body, patch_type="apply", namespace=ns,
                             force=bool(args.get("force-conflicts")), **opts)
    except ApiError as e:
        if e.code == 415:     # apply.go isIncompatibleServerError
            raise CommandError(f"error: Server-side apply not available on the server: ({e.message})") from None
        if e.code == 409:
            raise CommandError(f"error: {e.message}\n{_CONFLICT_HINT}") from None
        raise
    return out, "serverside-applied"


def apply_one(k: "Kubectl", obj: dict, namespace: str, explicit_ns: bool,
              source: str = "STDIN", args: Args | None = None) -> tuple[dict, str]:
    """Client-side apply of one object: create it, or patch it with a three-way patch.

    Returns ``(object, "created"|"configured"|"unchanged")`` — with ``--dry-run=client``
    the object that would be sent (nothing is). ``args`` carries the command's flags
    (``--dry-run``, ``--field-manager``, ``--validate``); None is a plain ``kubectl apply``.
    """
    args = args or Args()
    try:
        info, ns, name = locate(obj, source, namespace, explicit_ns, k.client.by_kind)
    except CommandError as e:
        raise ApiError.bad_request(e.message.removeprefix("error: ")) from None
    client_dry = dry_run(args) == CLIENT
    opts = write_options(args, CLIENT_SIDE_MANAGER, validate=True)
    modified = json.loads(json.dumps(obj))
    meta = modified.setdefault("metadata", {})
    if info.namespaced:
        meta["namespace"] = ns
    annotations = dict(meta.get("annotations") or {})
    annotations.pop(LAST_APPLIED, None)
    meta["annotations"] = annotations
    # the annotation holds the manifest itself (with annotations, minus this one), as compact JSON
    applied = json.dumps(modified, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    meta["annotations"] = {**annotations, LAST_APPLIED: applied}
    try:
        live = k.client.get(info.plural, name, namespace=ns)
    except ApiError as e:
        if e.code != 404:
            raise
        if client_dry:
            return modified, "created"
        try:
            return k.client.create(info.plural, modified, namespace=ns, **opts), "created"
        except ApiError as err:
            err.kubectl_context = f'error when creating "{source}": '
            raise
    if client_dry:     # apply.go: no patch is computed; the live object, "configured"
        return live, "configured"
    live_annotations = (live.get("metadata") or {}).get("annotations") or {}
    original_text = live_annotations.get(LAST_APPLIED)
    if original_text is None:
        k.warn(_NO_LAST_APPLIED.format(f"{info.group_resource}/{name}", LAST_APPLIED))
    try:
        original = json.loads(original_text) if original_text else {}
    except ValueError:
        original = {}
    patch = three_way_patch(original, modified, live)
    if not patch:
        return live, "unchanged"
    try:
        return k.client.patch(info.plural, name, patch, patch_type="strategic", namespace=ns, **opts), "configured"
    except ApiError as err:
        err.kubectl_context = f'error when patching "{source}": '
        raise


def covers(want: Any, have: Any) -> bool:
    """Is everything ``want`` says already true of ``have`` (defaulted fields ignored)?"""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(covers(v, have.get(key)) for key, v in want.items())
    if isinstance(want, list):
        return isinstance(have, list) and len(want) == len(have) and all(map(covers, want, have))
    return want == have


def three_way_patch(original: dict, modified: dict, current: dict) -> dict:
    """strategicpatch.CreateThreeWayMergePatch, simplified: set what ``modified`` says and
    ``current`` lacks; delete (``null``) what the last apply set and this one dropped; for
    lists of named items, ``$patch: delete`` the names that were dropped."""
    patch: dict = {}
    for key, want in modified.items():
        have = current.get(key) if isinstance(current, dict) else None
        before = original.get(key) if isinstance(original, dict) else None
        if isinstance(want, dict) and isinstance(have, dict):
            sub = three_way_patch(before if isinstance(before, dict) else {}, want, have)
            if sub:
                patch[key] = sub
        elif isinstance(want, list):
            if not covers(want, have):
                patch[key] = list(want) + _dropped(before, want)
        elif not isinstance(want, list) and not covers(want, have):
            patch[key] = want
    if isinstance(original, dict) and isinstance(current, dict):
        for key in original:
            if key not in modified and key in current:
                patch[key] = None
    return patch


def _dropped(before: Any, want: list) -> list:
    if not isinstance(before, list) or not all(isinstance(i, dict) and "name" in i for i in before + want):
        return []
    kept = {i["name"] for i in want}
    return [{"$patch": "delete", "name": i["name"]} for i in before if i["name"] not in kept]


# -- create -f ---------------------------------------------------------------------------------
def create_from_file(k: "Kubectl", args: Args, stdin: str | None) -> None:
    namespace = args.get("namespace") or k.namespace
    docs = load_manifests(k, args, stdin)
    if not docs:
        raise CommandError("error: no objects passed to create")
    for obj, source in docs:
        try:
            info, ns, name = locate(obj, source, namespace, bool(args.get("namespace")), k.client.by_kind)
            created = obj
            if dry_run(args) != CLIENT:    # create.go: a client dry run sends nothing
                created = k.client.create(info.plural, obj, namespace=ns,
                                          **write_options(args, "kubectl-create", validate=True))
        except ApiError as e:
            k.err(k.api_error_text(e, f'error when creating "{source}": '))
            continue
        except CommandError as e:
            k.err(e.message)
            continue
        name = (created.get("metadata") or {}).get("name", name)
        print_result(k, args, info, name, "created", created)
