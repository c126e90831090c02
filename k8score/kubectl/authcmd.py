"""``kubectl auth can-i`` and ``kubectl auth whoami``: flags and arguments in, the review
functions of :mod:`.auth` out.

Upstream: staging/src/k8s.io/kubectl/pkg/cmd/auth/auth.go (the parent command),
cani.go (``Complete``: ``VERB TYPE[/NAME]`` or ``VERB /url``, ``resourceFor`` through the
REST mapper, ``Validate``'s flag errors; exit 1 on "no"), whoami.go (``Run``: NotFound and
Forbidden become its own two messages).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..client import ApiError
from . import auth as reviews
from .args import Args, CommandError
from .options import render
from .yamlout import to_json

if TYPE_CHECKING:
    from .kubectl import Kubectl

_AUTH_HELP = """Inspect authorization.

Available Commands:
  can-i         Check whether an action is allowed
  reconcile     Reconciles rules for RBAC role, role binding, cluster role, and cluster role binding objects
  whoami        Experimental: Check self subject attributes

Usage:
  kubectl auth [flags] [options]

Use "kubectl auth <command> --help" for more information about a given command.
Use "kubectl options" for a list of global command-line options (applies to all commands)."""

# cani.go nonStandardResourceNames: served but not discoverable (the impersonate verb's targets)
_NON_STANDARD = ("users", "groups")


def auth(k: "Kubectl", args: Args, stdin: str | None) -> None:
    sub = args.args[0] if args.args else ""
    if sub == "can-i":
        _can_i(k, args, args.args[1:])
    elif sub == "whoami":
        _whoami(k, args)
    elif not sub:
        k.fail(_AUTH_HELP)          # DefaultSubCommandRun: help on stderr, exit 1
    elif sub == "reconcile":
        raise CommandError('error: "kubectl auth reconcile" is not available in this simulated cluster '
                           "(supported: can-i, whoami)")
    else:
        raise CommandError(f'error: unknown command "{sub}"\nSee \'kubectl auth -h\' for help and examples')


def _emit(k: "Kubectl", result: tuple[str, str, int]) -> None:
    out, err, code = result
    for line in err.splitlines():
        k.warn(line)
    k.out_raw(out)
    k.last_exit_code = code


def _can_i(k: "Kubectl", args: Args, rest: list[str]) -> None:
    if args.get("list"):
        if rest:
            raise CommandError("error: list option must be specified with no arguments")
        if args.get("quiet") or args.get("all-namespaces") or args.get("subresource"):
            raise CommandError("error: list option can't be specified with neither quiet, all-namespaces nor "
                               "subresource options")
        _emit(k, reviews.can_i_list(k.client, namespace=args.get("namespace") or k.namespace,
                                    no_headers=bool(args.get("no-headers"))))
        return
    if len(rest) != 2:
        raise CommandError("error: you must specify two arguments: verb resource or verb resource/resourceName.\n"
                           "See 'kubectl auth can-i -h' for help and examples.")
    verb, target = rest
    resource, _, name = target.partition("/") if not target.startswith("/") else (target, "", "")
    group, namespaced = "", True
    if target.startswith("/"):
        if name:
            raise CommandError("error: NonResourceURL and ResourceName can not specified together")
    elif resource != "*":
        resource, group, namespaced = _resource_for(k, resource)
    if args.get("no-headers"):
        raise CommandError("error: --no-headers cannot be set without --list specified")
    _emit(k, reviews.can_i(k.client, verb, resource, name, group=group, namespaced=namespaced,
                           namespace=args.get("namespace") or k.namespace,
                           all_namespaces=bool(args.get("all-namespaces")),
                           subresource=args.get("subresource") or "", quiet=bool(args.get("quiet"))))


def _resource_for(k: "Kubectl", typed: str) -> tuple[str, str, bool | None]:
    """cani.go resourceFor: the REST mapper's plural and group; an unknown type is sent as
    typed (``group.`` split off) and warned about — except ``users``/``groups``."""
    lowered = typed.lower()
    try:
        info = k.client.resolve(lowered)
    except ApiError:
        plural, _, group = lowered.partition(".")
        if lowered in _NON_STANDARD:
            return typed, "", True
        return typed if not group else plural, group, None
    return info.plural, info.group, info.namespaced


def _typed_review(review: dict) -> dict:
    """whoami.go decodes the review into the typed authenticationv1.SelfSubjectReview and
    prints that: Go's struct field order (TypeMeta's kind, apiVersion; ObjectMeta; status's
    UserInfo username, uid, groups, extra), empty fields omitted: kubectl 1.37 prints an unset
    creationTimestamp not at all (``metadata: {}``), where an unstructured object shows null."""
    meta = {key: value for key, value in (review.get("metadata") or {}).items() if value is not None}
    info = (review.get("status") or {}).get("userInfo") or {}
    user = {key: info[key] for key in ("username", "uid", "groups", "extra") if info.get(key)}
    return {"kind": review.get("kind", "SelfSubjectReview"),
            "apiVersion": review.get("apiVersion", "authentication.k8s.io/v1"),
            "metadata": meta, "status": {"userInfo": user}}


def _whoami(k: "Kubectl", args: Args) -> None:
    output = args.get("output") or ""
    try:
        if output in ("json", "yaml"):
            review = k.client.create("selfsubjectreviews", {"apiVersion": "authentication.k8s.io/v1",
                                                            "kind": "SelfSubjectReview"})
            typed = _typed_review(review)
            k.out(to_json(typed, sort_keys=False) if output == "json" else render(typed, output, args))
            return
        _emit(k, reviews.whoami(k.client))
    except ApiError as e:
        if e.code == 403:
            raise CommandError("error: the selfsubjectreviews API is not enabled in the cluster or you do not "
                               "have permission to call it") from None
        if e.code == 404:
            raise CommandError("error: the selfsubjectreviews API is not enabled in the cluster") from None
        raise
