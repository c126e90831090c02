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

    def _run(self, rc: Any, method: str, stage: str, operation: str, obj: Any, old: Any) -> None:
        attrs = AdmissionAttributes(operation=operation, info=rc.info, namespace=rc.namespace,
                                    name=rc.name, obj=obj, old=old, user=rc.user,
                                    subresource=rc.req.subresource, dry_run=rc.req.dry_run,
                                    options=rc.req.options, warnings=rc.warnings,
                                    annotations=rc.annotations)
        for p in self.plugins:
            fn = getattr(p, method, None)
            if fn is None or not p.handles(operation):
                continue
            try:
                note = fn(attrs)
            except Exception as e:
                rc.trace.step(f"{stage}: {p.name}", "denied", getattr(e, "message", "") or str(e))
                raise
            if note:
                rc.trace.step(f"{stage}: {p.name}", "ok", note)
