"""The admission chain: every mutating plugin in order, then every validating one.

Upstream (k8s.io/apiserver/pkg/admission/chain.go, pkg/kubeapiserver/options/plugins.go
``AllOrderedPlugins``): one ordered list of plugins; the mutating phase calls ``Admit`` on
those that mutate, after defaulting; the validating phase calls ``Validate`` on those that
validate, after the strategy's validation. A plugin that refuses raises ``ApiError`` and
the request stops there, nothing stored. Each call is recorded in the request's trace.
"""

from __future__ import annotations

from typing import Any

from ..request import AdmissionAttributes


class AdmissionChain:
    """``plugins`` in upstream's order; a plugin may have ``admit``, ``validate`` or both."""

    def __init__(self, plugins: list[Any]):
        self.plugins = list(plugins)
        #: (the plugins as of the last call, {method: the plugins that have it}); rebuilt
        #: when ``plugins`` changes (callers may edit the list)
        self._having: tuple[tuple, dict[str, tuple]] = ((), {})

    def names(self) -> list[str]:
        return [p.name for p in self.plugins]

    def plugin(self, name: str) -> Any:
        for p in self.plugins:
            if p.name == name:
                return p
        raise KeyError(name)

    def mutate(self, rc: Any, operation: str, obj: Any, old: Any) -> None:
        self._run(rc, "admit", "mutating admission", operation, obj, old)

    def validate(self, rc: Any, operation: str, obj: Any, old: Any) -> None:
        self._run(rc, "validate", "validating admission", operation, obj, old)

    def _with(self, method: str) -> tuple:
        """The plugins that have ``method``, in order (each write asks twice)."""
        now = tuple(self.plugins)
        seen, having = self._having
        if now != seen:
            having = {}
            self._having = (now, having)
        found = having.get(method)
        if found is None:
            found = having[method] = tuple(p for p in now if getattr(p, method, None) is not None)
        return found

    def _run(self, rc: Any, method: str, stage: str, operation: str, obj: Any, old: Any) -> None:
        attrs = AdmissionAttributes(operation=operation, info=rc.info, namespace=rc.namespace,
                                    name=rc.name, obj=obj, old=old, user=rc.user,
                                    subresource=rc.req.subresource, dry_run=rc.req.dry_run,
                                    options=rc.req.options, warnings=rc.warnings,
                                    annotations=rc.annotations)
        for p in self._with(method):
            if not p.handles(operation):
                continue
            fn = getattr(p, method, None)
            if fn is None:   # removed from the instance since
                continue
            try:
                note = fn(attrs)
            except Exception as e:
                rc.trace.step(f"{stage}: {p.name}", "denied", getattr(e, "message", "") or str(e))
                raise
            if note:
                rc.trace.step(f"{stage}: {p.name}", "ok", note)
