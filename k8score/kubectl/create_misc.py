"""``kubectl create poddisruptionbudget|priorityclass|quota|token``.

Upstream: staging/src/k8s.io/kubectl/pkg/cmd/create/create_pdb.go (``--selector`` as
metav1.ParseToLabelSelector, exactly one of ``--min-available``/``--max-unavailable``, each
``N`` or ``N%``), create_priorityclass.go (``--preemption-policy`` defaults to
PreemptLowerPriority), create_quota.go (``--hard`` resource=quantity pairs, ``--scopes``),
create_token.go (a TokenRequest through ``serviceaccounts/NAME/token``; the bare token is
printed without a newline when stdout is not a terminal, as here).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..api.quantity import QuantityError, canonical
from ..api.selectors import parse_label_selector
from ..client import ApiError
from .args import Args, CommandError
from .create_common import array_flag, emit, last, meta, name_arg, namespace
from .options import render

if TYPE_CHECKING:
    from .kubectl import Kubectl

_PDB_VALUE = re.compile(r"^[0-9]+%?$")
#: create_token.go boundObjectKinds
BOUND_OBJECT_KINDS = {"Node": "v1", "Pod": "v1", "Secret": "v1"}


# -- poddisruptionbudget -------------------------------------------------------------------------
def pdb(k: "Kubectl", args: Args) -> None:
    """``kubectl create pdb NAME --selector=SEL (--min-available=N[%] | --max-unavailable=N[%])``."""
    name = name_arg(args, 1, "create poddisruptionbudget")
    selector = last(args, "selector")
    low, high = last(args, "min-available"), last(args, "max-unavailable")
    if not selector:
        raise CommandError("error: a selector must be specified")
    if not low and not high:
        raise CommandError("error: one of min-available or max-unavailable must be specified")
    if low and high:
        raise CommandError("error: min-available and max-unavailable cannot be both specified")
    if low and not _PDB_VALUE.match(low):
        raise CommandError("error: invalid format specified for min-available")
    if high and not _PDB_VALUE.match(high):
        raise CommandError("error: invalid format specified for max-unavailable")
    ns, enforced = namespace(k, args)
    spec: dict = {}
    # intstr.Parse: a number is an int, "50%" a string; policyv1 field order minAvailable, selector,
    # maxUnavailable
    if low:
        spec["minAvailable"] = int(low) if low.isdigit() else low
    spec["selector"] = to_label_selector(selector)
    if high:
        spec["maxUnavailable"] = int(high) if high.isdigit() else high
    obj = {"kind": "PodDisruptionBudget", "apiVersion": "policy/v1", "metadata": meta(name, ns if enforced else ""),
           "spec": spec,
           "status": {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}}
    emit(k, args, k.resource("poddisruptionbudgets"), obj, ns, "failed to create poddisruptionbudgets: ")


def to_label_selector(text: str) -> dict:
    """metav1.ParseToLabelSelector: ``=``/``==`` to matchLabels, set operators to matchExpressions."""
    try:
        parsed = parse_label_selector(text)
    except ApiError as e:
        raise CommandError(f"error: {e.message}") from None
    labels: dict = {}
    exprs: list = []
    ops = {"in": "In", "notin": "NotIn", "exists": "Exists", "!": "DoesNotExist"}
    for key, op, values in parsed.requirements:
        if op == "=":
            labels[key] = values[0]
        elif op in ops:
            expr = {"key": key, "operator": ops[op]}
            if values:
                expr["values"] = list(values)
            exprs.append(expr)
        elif op in (">", "<"):
            raise CommandError(f'error: "{"gt" if op == ">" else "lt"}" isn\'t supported in label selectors')
        else:
            raise CommandError(f'error: "{op}" is not a valid label selector operator')
    out: dict = {}
    if labels:
        out["matchLabels"] = dict(sorted(labels.items()))
    if exprs:
        out["matchExpressions"] = exprs
    return out


# -- priorityclass -------------------------------------------------------------------------------
def priorityclass(k: "Kubectl", args: Args) -> None:
    """``kubectl create priorityclass NAME [--value=N] [--global-default] [--preemption-policy] [--description]``."""
    name = name_arg(args, 1, "create priorityclass")
    raw = last(args, "value", "0")
    try:
        value = int(raw)
        if not -2 ** 31 <= value < 2 ** 31:
            raise ValueError
    except ValueError:
        why = "value out of range" if re.fullmatch(r"[+-]?[0-9]+", raw) else "invalid syntax"
        raise CommandError(f'error: invalid argument "{raw}" for "--value" flag: strconv.ParseInt: parsing '
                           f"\"{raw}\": {why}\nSee 'kubectl create priorityclass --help' for usage.") from None
    obj: dict = {"kind": "PriorityClass", "apiVersion": "scheduling.k8s.io/v1", "metadata": meta(name),
                 "value": value}
    if args.get("global-default"):
        obj["globalDefault"] = True
    if last(args, "description"):
        obj["description"] = last(args, "description")
    obj["preemptionPolicy"] = last(args, "preemption-policy", "PreemptLowerPriority")
    emit(k, args, k.resource("priorityclasses"), obj, None, "failed to create priorityclass: ")


# -- quota -------------------------------------------------------------------------------------------
def quota(k: "Kubectl", args: Args) -> None:
    """``kubectl create quota NAME [--hard=cpu=1,pods=10] [--scopes=BestEffort,...]``."""
    name = name_arg(args, 1, "create quota")
    ns, enforced = namespace(k, args)
    spec: dict = {}
    hard_text, scopes_text = last(args, "hard"), last(args, "scopes")
    if hard_text:
        hard = {}
        for statement in hard_text.split(","):
            parts = statement.split("=")
            if len(parts) != 2:
                raise CommandError(f"error: Invalid argument syntax {statement}, expected <resource>=<value>")
            try:
                hard[parts[0]] = canonical(parts[1])
            except QuantityError as e:
                raise CommandError(f"error: {e}") from None
        spec["hard"] = dict(sorted(hard.items()))
    if scopes_text:
        scopes = scopes_text.split(",")
        if "" in scopes:
            raise CommandError('error: invalid resource quota scope ""')
        spec["scopes"] = scopes
    obj = {"kind": "ResourceQuota", "apiVersion": "v1", "metadata": meta(name, ns if enforced else ""),
           "spec": spec, "status": {}}
    emit(k, args, k.resource("resourcequotas"), obj, ns, "failed to create quota: ")


# -- token ---------------------------------------------------------------------------------------------
def token(k: "Kubectl", args: Args) -> None:
    """``kubectl create token SA [--audience] [--duration] [--bound-object-kind --bound-object-name]``."""
    name = name_arg(args, 1, "create token")
    ns, _ = namespace(k, args)
    audiences = array_flag(args, "audience")
    duration = _duration(last(args, "duration", "0s"))
    kind, bound_name = last(args, "bound-object-kind"), last(args, "bound-object-name")
    uid = last(args, "bound-object-uid")
    if duration < 0:
        raise CommandError("error: --duration must be greater than or equal to 0")
    if duration != int(duration):
        raise CommandError("error: --duration cannot be expressed in units less than seconds")
    if any(not a for a in audiences):
        raise CommandError("error: --audience must not be an empty string")
    kinds = ", ".join(sorted(BOUND_OBJECT_KINDS))
    if not kind:
        if bound_name:
            raise CommandError("error: --bound-object-name can only be set if --bound-object-kind is provided")
        if uid:
            raise CommandError("error: --bound-object-uid can only be set if --bound-object-kind is provided")
    else:
        if kind not in BOUND_OBJECT_KINDS:
            raise CommandError(f"error: supported --bound-object-kind values are {kinds}")
        if not bound_name:
            raise CommandError("error: --bound-object-name is required if --bound-object-kind is provided")
    spec: dict = {"audiences": audiences or None}
    if duration > 0:
        spec["expirationSeconds"] = int(duration)
    if kind:
        spec["boundObjectRef"] = {"kind": kind, "apiVersion": BOUND_OBJECT_KINDS[kind], "name": bound_name,
                                  **({"uid": uid} if uid else {})}
    request = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
               "metadata": {"name": name, "namespace": ns}, "spec": {k2: v for k2, v in spec.items() if v is not None}}
    try:
        response = k.client.create("serviceaccounts", request, namespace=ns, subresource="token")
    except ApiError as e:
        raise CommandError(f"error: failed to create token: {e.message}") from None
    text = ((response.get("status") or {}).get("token")) or ""
    if not text:
        raise CommandError("error: failed to create token: no token in server response")
    output, _, template = (args.get("output") or "").partition("=")
    if output == "jsonpath":
        from . import jsonpath
        k.out_raw(jsonpath.render(template, response))
    elif output:
        k.out(render(response, output, args) if output in ("json", "yaml", "kyaml")
              else f"tokenrequest.authentication.k8s.io/{name}")
    else:
        k.out_raw(text)   # printers.IsTerminal(out) is false: no newline


def _duration(text: str) -> float:
    """pflag DurationVar: Go time.ParseDuration ("0" needs no unit)."""
    from ..controllers.cronjob_schedule import CronError, parse_duration
    if text in ("0", "+0", "-0"):
        return 0.0
    try:
        return parse_duration(text)
    except CronError:
        raise CommandError(f'error: invalid argument "{text}" for "--duration" flag: time: invalid duration '
                           f"\"{text}\"\nSee 'kubectl create token --help' for usage.") from None


__all__ = ["BOUND_OBJECT_KINDS", "pdb", "to_label_selector", "priorityclass", "quota", "token"]
