"""The generic registry: one :class:`Store` for every resource, one :class:`Strategy` each.

Adding a resource touches one place: a Strategy subclass naming its ResourceInfo (from
:data:`k8score.api.resources.BUILTIN`, or a CustomResourceDefinition's) and its rules,
listed in :func:`builtin_strategies`.

>>> r = Registry(builtin_strategies())
>>> r.strategy_for("nodes").key("node-1")
'/registry/minions/node-1'
>>> r.strategy_for("svc").key("web", "default")
'/registry/services/specs/default/web'
"""

from __future__ import annotations

from typing import Iterable

from ...api.resources import ResourceInfo, ResourceTable
from . import apps, apps_ds_sts, batch, core, discovery, policy, reviews
from . import replication
from . import autoscaling
from . import ingress
from . import storage as _storage
from .crd import CustomResourceDefinitionStrategy
from .store import Store
from .strategy import Strategy


def builtin_strategies() -> list[Strategy]:
    classes = (core.STRATEGIES + apps.STRATEGIES + apps_ds_sts.STRATEGIES + discovery.STRATEGIES + policy.STRATEGIES
               + reviews.STRATEGIES + batch.STRATEGIES + _storage.STRATEGIES
               + replication.STRATEGIES + autoscaling.STRATEGIES + ingress.STRATEGIES)
    return [cls() for cls in classes] + [CustomResourceDefinitionStrategy()]


class Registry:
    """The strategies one API server serves, by resource, and the resource table."""

    def __init__(self, strategies: Iterable[Strategy] = ()):
        self.table = ResourceTable()
        self._by_resource: dict[str, Strategy] = {}
        for s in strategies:
            self.register(s)

    def register(self, strategy: Strategy) -> None:
        self._by_resource[strategy.info.group_resource] = strategy
        self.table.add(strategy.info)

    def unregister(self, info: ResourceInfo) -> None:
        self._by_resource.pop(info.group_resource, None)
        self.table.remove(info.group_resource)

    def strategies(self) -> list[Strategy]:
        return list(self._by_resource.values())

    def resolve(self, name: str) -> ResourceInfo:
        return self.table.resolve(name)

    def strategy_for(self, name: str | ResourceInfo) -> Strategy:
        info = name if isinstance(name, ResourceInfo) else self.table.resolve(name)
        return self._by_resource[info.group_resource]


__all__ = ["Registry", "Store", "Strategy", "builtin_strategies"]
