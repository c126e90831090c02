"""The ClusterRole aggregation controller
(pkg/controller/clusterroleaggregation/clusterroleaggregation_controller.go).

A ClusterRole with ``aggregationRule.clusterRoleSelectors`` gets as ``rules`` the rules of
every ClusterRole any selector matches: roles taken in name order (the lister's sorted
order), each role's rules in order, duplicates dropped, the aggregating role itself
skipped. Any ClusterRole change re-queues every aggregating role (upstream enqueues all of
them too: a label change may add or remove a source). Nothing is written when the rules
already match.
"""

from __future__ import annotations

from typing import Any

from ..client.meta import selector_matches
from ..lang import Text
from .base import Controller


def aggregated_rules(role: dict, roles: list[dict]) -> list[dict]:
    """The rules ``role`` aggregates from ``roles``: per selector, the matching roles by
    name, each role's rules in order, first occurrence kept (``ruleExists``)."""
    own = (role.get("metadata") or {}).get("name")
    sources = sorted(roles, key=lambda r: r["metadata"]["name"])
    rules: list[dict] = []
    for sel in (role.get("aggregationRule") or {}).get("clusterRoleSelectors") or []:
        for other in sources:
            if other["metadata"]["name"] == own or \
                    not selector_matches(sel, other["metadata"].get("labels") or {}):
                continue
            for rule in other.get("rules") or []:
                if rule not in rules:
                    rules.append(rule)
    return rules


class ClusterRoleAggregationController(Controller):
    name = "clusterrole-aggregation"
    kind = "clusterrole-aggregation-controller"
    watches = ("clusterroles",)
    writes = ("clusterroles",)
    summary = Text("把带 aggregationRule 的 ClusterRole（admin、edit、view）的规则汇总为所选角色规则的并集",
                   "Fills each ClusterRole with an aggregationRule (admin, edit, view) with the union of the rules of the roles it selects")
    event_component = "clusterrole-aggregation-controller"

    def setup(self) -> None:
        self.roles = self.informer("clusterroles")
        self.roles.add_event_handler(on_add=self._changed, on_update=lambda o, n: self._changed(n),
                                     on_delete=self._changed)

    def _changed(self, _obj: dict) -> None:
        for role in self.roles.list():
            if (role.get("aggregationRule") or {}).get("clusterRoleSelectors"):
                self.queue.add(role["metadata"]["name"])

    def sync(self, key: Any) -> None:
        role = self.roles.get(key)
        if role is None:
            return
        if not (role.get("aggregationRule") or {}).get("clusterRoleSelectors"):
            return
        rules = aggregated_rules(role, self.roles.list())
        if (role.get("rules") or []) == rules:
            return
        updated = dict(role)
        updated["rules"] = rules
        self.client.update("clusterroles", updated)
