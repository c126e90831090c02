"""Reinvocation of mutating admission (k8s.io/apiserver/pkg/admission/reinvocation.go and
webhook/mutating/reinvocationcontext.go).

A mutating webhook runs once, in order. When a webhook's patch changed the object, webhooks
called *before* it that declared ``reinvocationPolicy: IfNeeded`` may not have seen the final
object; so the whole mutating chain runs a second time ("round 1"): every in-tree mutating plugin
again (they must be idempotent), and of the webhooks only those marked for reinvocation.
There is never a third round.

The chain owner runs its mutating plugins with :func:`run_mutating`; the per-request state lives
in :func:`context_of(a) <context_of>` (upstream ``Attributes.GetReinvocationContext()``).

>>> class P:
...     name = "Add"
...     def handles(self, op): return True
...     def admit(self, a): a.obj["n"] = a.obj.get("n", 0) + 1
>>> class A: obj = {}; operation = "CREATE"
>>> a = A()
>>> run_mutating([P()], a), a.obj, context_of(a).is_reinvoke
([('Add', None, 0)], {'n': 1}, False)
"""

from __future__ import annotations

from ...jsonutil import copy_json
from typing import Any, Callable, Iterable


class ReinvocationContext:
    """admission.ReinvocationContext: is this the second round; does one need to run."""

    def __init__(self) -> None:
        self.is_reinvoke = False
        self.should_reinvoke = False
        self.values: dict[str, Any] = {}


def context_of(a) -> ReinvocationContext:
    """The request's reinvocation context, created on first use."""
    ctx = getattr(a, "reinvocation", None)
    if not isinstance(ctx, ReinvocationContext):
        ctx = ReinvocationContext()
        a.reinvocation = ctx
    return ctx


def run_mutating(plugins: Iterable, a, call: Callable[[Any, Any], Any] | None = None) -> list[tuple]:
    """reinvoker.Admit: run the mutating chain, and once more if a plugin asked for it.

    ``call(plugin, a)`` runs one plugin (default ``plugin.admit(a)``; the pipeline passes its
    own to record a trace). Returns ``[(plugin name, note, round), ...]``; an ApiError from a
    plugin propagates and stops the chain.
    """
    plugins = [p for p in plugins if p.handles(a.operation)]
    run = call or (lambda p, attrs: p.admit(attrs))
    ctx = context_of(a)
    notes = [(p.name, run(p, a), 0) for p in plugins]
    if ctx.should_reinvoke:
        ctx.is_reinvoke = True
        notes += [(p.name, run(p, a), 1) for p in plugins]
    return notes


class WebhookReinvokeState:
    """webhookReinvokeContext: which webhooks to call again in round 1."""

    def __init__(self) -> None:
        self.last_output: object = None
        self.previously_invoked: list[str] = []   # IfNeeded webhooks called since the last change
        self.reinvoke: list[str] = []

    def output_changed(self, obj: object) -> bool:
        return self.last_output != obj

    def set_last_output(self, obj: object) -> None:
        self.last_output = copy_json(obj)

    def add_reinvocable(self, uid: str) -> None:
        if uid not in self.previously_invoked:
            self.previously_invoked.append(uid)

    def require_reinvoking_previous(self) -> None:
        for uid in self.previously_invoked:
            if uid not in self.reinvoke:
                self.reinvoke.append(uid)
        self.previously_invoked = []

    def should_reinvoke(self, uid: str) -> bool:
        return uid in self.reinvoke
