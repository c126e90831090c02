"""``kubectl describe role|clusterrole``: the rules broken down, compacted and sorted, as
kubectl/pkg/describe/describe.go RoleDescriber and ClusterRoleDescriber print them.

The rule algebra is kubectl/pkg/util/rbac/rbac.go: :func:`breakdown_rule` (BreakdownRule:
one verb x one group x one resource x at most one name per rule), :func:`compact_rules`
(CompactRules: rules naming one group/resource/name merge their verbs, in first-seen
order) and :func:`sort_rules` (``sort.Stable(SortableRuleSlice)``: by the generated
``PolicyRule.String()`` of k8s.io/api rbac/v1 generated.pb.go, which starts with the verbs).

>>> rules = [{"apiGroups": [""], "resources": ["pods", "services"], "verbs": ["get", "list"]},
...          {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]},
...          {"nonResourceURLs": ["/healthz"], "verbs": ["get"]}]
>>> print(describe_role({"metadata": {"name": "reader"}, "rules": rules}), end="")
Name:         reader
Labels:       <none>
Annotations:  <none>
PolicyRule:
  Resources         Non-Resource URLs  Resource Names  Verbs
  ---------         -----------------  --------------  -----
  pods              []                 []              [get list]
  services          []                 []              [get list]
                    [/healthz]         []              [get]
  deployments.apps  []                 []              [get]

(``[get list]`` sorts before ``[get]``: a space is less than ``]``.)
"""

from __future__ import annotations

from .describe_blocks import Writer, meta_of, write_header

__all__ = ["breakdown_rule", "compact_rules", "sort_rules", "rule_string", "combine_resource_group",
           "describe_role"]

_FIELDS = ("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs")


def go_list(items: list | None) -> str:
    """Go's ``%v`` of a []string: ``[a b]``; nil and empty alike print ``[]``."""
    return "[" + " ".join(items or ()) + "]"


def breakdown_rule(rule: dict) -> list[dict]:
    """rbac.BreakdownRule: groups x resources x verbs (x names), then non-resource URLs x verbs."""
    out: list[dict] = []
    verbs = rule.get("verbs") or []
    names = rule.get("resourceNames") or []
    for group in rule.get("apiGroups") or []:
        for resource in rule.get("resources") or []:
            for verb in verbs:
                if names:
                    out.extend({"apiGroups": [group], "resources": [resource], "verbs": [verb],
                                "resourceNames": [name]} for name in names)
                else:
                    out.append({"apiGroups": [group], "resources": [resource], "verbs": [verb]})
    for url in rule.get("nonResourceURLs") or []:
        out.extend({"nonResourceURLs": [url], "verbs": [verb]} for verb in verbs)
    return out


def _simple_key(rule: dict) -> tuple | None:
    """rbac isSimpleResourceRule: one group, one resource, at most one name, nothing else."""
    if len(rule.get("resourceNames") or ()) > 1 or rule.get("nonResourceURLs"):
        return None
    if len(rule.get("apiGroups") or ()) != 1 or len(rule.get("resources") or ()) != 1:
        return None
    if any(key not in _FIELDS for key in rule):
        return None
    names = rule.get("resourceNames") or []
    return rule["apiGroups"][0], rule["resources"][0], bool(names), names[0] if names else ""


def compact_rules(rules: list[dict]) -> list[dict]:
    """rbac.CompactRules: the other rules first, as given, then one rule per simple resource with
    the verbs of all its rules (each once, first-seen order). Upstream appends the simple
    rules in Go's map order; every caller sorts afterwards, so insertion order stands in here."""
    compacted: list[dict] = []
    simple: dict[tuple, dict] = {}
    for rule in rules:
        key = _simple_key(rule)
        if key is None:
            compacted.append(rule)
        elif key in simple:
            verbs = simple[key].setdefault("verbs", [])
            verbs.extend(v for v in rule.get("verbs") or () if v not in verbs)
        else:
            simple[key] = {k: list(v) for k, v in rule.items()}
    return compacted + list(simple.values())


def rule_string(rule: dict) -> str:
    """The generated ``PolicyRule.String()``: ``&PolicyRule{Verbs:[get],APIGroups:[],...,}``."""
    return "&PolicyRule{" + "".join(f"{title}:{go_list(rule.get(key))}," for title, key in (
        ("Verbs", "verbs"), ("APIGroups", "apiGroups"), ("Resources", "resources"),
        ("ResourceNames", "resourceNames"), ("NonResourceURLs", "nonResourceURLs"))) + "}"


def sort_rules(rules: list[dict]) -> list[dict]:
    """``sort.Stable(rbac.SortableRuleSlice(rules))``: by :func:`rule_string`, bytewise."""
    return sorted(rules, key=lambda r: rule_string(r).encode())


def combine_resource_group(resources: list | None, groups: list | None) -> str:
    """describe.CombineResourceGroup: ``pods``, ``deployments.apps``, ``pods.metrics.k8s.io/log``;
    the first resource and group only; empty for non-resource rules."""
    if not resources:
        return ""
    resource, slash, sub = resources[0].partition("/")
    text = resource + (f".{groups[0]}" if groups and groups[0] else "")
    return text + (f"/{sub}" if slash else "")


def describe_role(role: dict) -> str:
    """Role and ClusterRole alike: no namespace line, no events (upstream searches none)."""
    meta = meta_of(role)
    broken = [sub for rule in role.get("rules") or () if isinstance(rule, dict) for sub in breakdown_rule(rule)]
    w = Writer()
    write_header(w, meta, namespaced=False)
    w.write(0, "PolicyRule:\n")
    w.write(1, "Resources\tNon-Resource URLs\tResource Names\tVerbs\n")
    w.write(1, "---------\t-----------------\t--------------\t-----\n")
    for r in sort_rules(compact_rules(broken)):
        w.write(1, f"{combine_resource_group(r.get('resources'), r.get('apiGroups'))}\t"
                   f"{go_list(r.get('nonResourceURLs'))}\t{go_list(r.get('resourceNames'))}\t"
                   f"{go_list(r.get('verbs'))}\n")
    return w.text()
