"""``kubectl apply -f`` and ``kubectl create -f``: manifests in, objects created or patched.

Client-side apply as kubectl does it (kubectl/pkg/cmd/apply): the manifest is stored in the
``kubectl.kubernetes.io/last-applied-configuration`` annotation; the next apply computes a
three-way patch between that last-applied manifest, the new manifest and the live object,
sends it as a strategic merge patch, and prints ``configured`` — or ``unchanged`` when the
patch is empty.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import TYPE_CHECKING, Any

import yaml

from ..api.resources import ResourceInfo, by_kind
from ..client import ApiError
from .args import Args, CommandError
from .printers import kind_name

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
        try:
            docs = list(yaml.safe_load_all(text))
        except yaml.YAMLError as e:
            raise CommandError(f'error: error parsing {source}: error converting YAML to JSON: {e}') from None
        for doc in docs:
            if doc is None:
                continue
            if not isinstance(doc, dict):
                raise CommandError(f"error: error validating \"{source}\": error validating data: "
                                   "invalid object to validate")
            doc = _json_safe(doc)
            if str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
                out.extend((item, source) for item in doc["items"] if isinstance(item, dict))
            else:
                out.append((doc, source))
    return out


def _json_safe(value: Any) -> Any:
    # sigs.k8s.io/yaml goes through JSON: timestamps become RFC 3339 strings
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


def locate(obj: dict, source: str, namespace: str, explicit_ns: bool) -> tuple[ResourceInfo, str | None, str]:
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
def apply(k: "Kubectl", args: Args, stdin: str | None) -> None:
    if not args.get("filename"):
        raise CommandError("error: must specify one of -f and -k")
    namespace = args.get("namespace") or k.namespace
    docs = load_manifests(k, args, stdin)
    if not docs:
        raise CommandError("error: no objects passed to apply")
    for obj, source in docs:
        try:
            info, _, name = locate(obj, source, namespace, bool(args.get("namespace")))
            _, action = apply_one(k, obj, namespace, bool(args.get("namespace")), source)
        except ApiError as e:
            k.err(k.api_error_text(e, getattr(e, "kubectl_context", "")))
            continue
        except CommandError as e:
            k.err(e.message)
            continue
        k.out(f"{kind_name(info.kind, info.group)}/{name} {action}")


def apply_one(k: "Kubectl", obj: dict, namespace: str, explicit_ns: bool,
              source: str = "STDIN") -> tuple[dict, str]:
    """Create or patch one object; returns ``(stored object, "created"|"configured"|"unchanged")``."""
    try:
        info, ns, name = locate(obj, source, namespace, explicit_ns)
    except CommandError as e:
        raise ApiError.bad_request(e.message.removeprefix("error: ")) from None
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
        try:
            return k.client.create(info.plural, modified, namespace=ns), "created"
        except ApiError as err:
            err.kubectl_context = f'error when creating "{source}": '
            raise
    original_text = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    try:
        original = json.loads(original_text) if original_text else {}
    except ValueError:
        original = {}
    patch = three_way_patch(original, modified, live)
    if not patch:
        return live, "unchanged"
    try:
        return k.client.patch(info.plural, name, patch, patch_type="strategic", namespace=ns), "configured"
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
            info, ns, name = locate(obj, source, namespace, bool(args.get("namespace")))
            created = k.client.create(info.plural, obj, namespace=ns)
        except ApiError as e:
            k.err(k.api_error_text(e, f'error when creating "{source}": '))
            continue
        except CommandError as e:
            k.err(e.message)
            continue
        name = (created.get("metadata") or {}).get("name", name)
        k.out(f"{kind_name(info.kind, info.group)}/{name} created")
