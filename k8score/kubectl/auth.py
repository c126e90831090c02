"""``kubectl auth can-i`` and ``kubectl auth whoami``, with real kubectl's output.

Upstream: staging/src/k8s.io/kubectl/pkg/cmd/auth/cani.go (``RunAccessCheck``,
``RunAccessList``, ``printStatus``), whoami.go (``printTableSelfSubjectAccessReview``),
kubectl/pkg/util/rbac (``BreakdownRule``, ``CompactRules``), describe.CombineResourceGroup.

The functions take a client-like object with ``create(resource, body)`` returning the
created review, and return ``(stdout, stderr, exit_code)`` — can-i exits 1 on "no".
Resolving ``VERB RESOURCE`` to a group (the REST mapper) is the caller's: pass
``group`` and ``namespaced`` (None when the resource is unknown to the server).
"""

from __future__ import annotations

from typing import Any

from .tabwriter import TABLE_MINWIDTH, TABLE_PADDING, tabwrite

# cani.go resourceVerbs / nonResourceURLVerbs (known verbs, else a warning)
RESOURCE_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "use",
                  "bind", "impersonate", "*", "approve", "sign", "escalate", "attest")
NON_RESOURCE_VERBS = ("get", "put", "post", "head", "options", "delete", "patch", "*")


def can_i(client: Any, verb: str, resource: str, name: str = "", *, group: str = "",
          namespaced: bool | None = True, namespace: str = "default", all_namespaces: bool = False,
          subresource: str = "", quiet: bool = False) -> tuple[str, str, int]:
    """``kubectl auth can-i VERB RESOURCE[/NAME]`` or ``VERB /nonresource/url``."""
    err = []
    if resource.startswith("/"):
        if subresource:
            return "", "error: --subresource can not be used with NonResourceURL\n", 1
        if verb not in NON_RESOURCE_VERBS:
            err.append(f"Warning: verb '{verb}' is not a known verb\n")
        spec = {"nonResourceAttributes": {"verb": verb, "path": resource}}
    else:
        if namespaced is None and resource != "*":
            where = f" in group '{group}'" if group else ""
            err.append(f"Warning: the server doesn't have a resource type '{resource}'{where}\n")
        elif namespaced is False and not all_namespaces:
            where = f" in group '{group}'" if group else ""
            # cani.go's message ends in a newline and the warning printer adds one
            err.append(f"Warning: resource '{resource}' is not namespace scoped{where}\n\n")
        if verb not in RESOURCE_VERBS:
            err.append(f"Warning: verb '{verb}' is not a known verb\n")
        ra = {"namespace": "" if all_namespaces else namespace, "verb": verb, "group": group,
              "resource": resource, "subresource": subresource, "name": name}
        spec = {"resourceAttributes": {k: v for k, v in ra.items() if v}}
    review = client.create("selfsubjectaccessreviews", {
        "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": spec})
    st = review.get("status") or {}
    if st.get("allowed"):
        out = "yes\n"
    else:
        out = "no"
        if st.get("reason"):
            out += f" - {st['reason']}"
        if st.get("evaluationError"):
            out += f" - {st['evaluationError']}"
        out += "\n"
    return ("" if quiet else out), "".join(err), 0 if st.get("allowed") else 1


def _go_list(items: list) -> str:
    return "[" + " ".join(items) + "]"


def _rule_string(r: dict) -> str:
    """The generated PolicyRule.String() kubectl sorts by (verbs first)."""
    return ("&PolicyRule{" + "".join(f"{k}:{_go_list(r.get(f, []))}," for k, f in (
        ("Verbs", "verbs"), ("APIGroups", "apiGroups"), ("Resources", "resources"),
        ("ResourceNames", "resourceNames"), ("NonResourceURLs", "nonResourceURLs"))) + "}")


def _breakdown(rule: dict) -> list[dict]:
    """rbac.BreakdownRule: one verb x one group x one resource (x one name) per rule."""
    out = []
    for g in rule.get("apiGroups", []):
        for res in rule.get("resources", []):
            for v in rule.get("verbs", []):
                names = rule.get("resourceNames") or [None]
                for n in names:
                    r = {"apiGroups": [g], "resources": [res], "verbs": [v]}
                    if n is not None:
                        r["resourceNames"] = [n]
                    out.append(r)
    for u in rule.get("nonResourceURLs", []):
        for v in rule.get("verbs", []):
            out.append({"nonResourceURLs": [u], "verbs": [v]})
    return out


def _compact(rules: list[dict]) -> list[dict]:
    """rbac.CompactRules: merge the verbs of rules naming the same group/resource/name;
    non-resource rules are kept as they are (duplicates included, as kubectl prints them)."""
    compacted, simple = [], {}
    for r in rules:
        if r.get("nonResourceURLs"):
            compacted.append(r)
            continue
        key = (r["apiGroups"][0], r["resources"][0], tuple(r.get("resourceNames") or ()))
        if key in simple:
            for v in r["verbs"]:
                if v not in simple[key]["verbs"]:
                    simple[key]["verbs"].append(v)
        else:
            simple[key] = {k: list(v) for k, v in r.items()}
    return compacted + list(simple.values())


def _combine_resource_group(resources: list, groups: list) -> str:
    """describe.CombineResourceGroup: ``pods``, ``deployments.apps``, ``pods.*/log``..."""
    if not resources:
        return ""
    res, _, sub = resources[0].partition("/")
    out = res + (f".{groups[0]}" if groups and groups[0] else "")
    return out + (f"/{sub}" if sub else "")


def can_i_list(client: Any, namespace: str = "default", no_headers: bool = False) -> tuple[str, str, int]:
    """``kubectl auth can-i --list``: the SelfSubjectRulesReview as a table."""
    review = client.create("selfsubjectrulesreviews", {
        "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview",
        "spec": {"namespace": namespace}})
    st = review.get("status") or {}
    err = ""
    if st.get("incomplete"):
        err = f"Warning: the list may be incomplete: {st.get('evaluationError', '')}\n"
    rules = [dict(r) for r in st.get("resourceRules") or []] + [dict(r) for r in st.get("nonResourceRules") or []]
    broken = [b for r in rules for b in _breakdown(r)]
    compacted = sorted(_compact(broken), key=_rule_string)  # sort.Stable by String()
    lines = [] if no_headers else ["Resources\tNon-Resource URLs\tResource Names\tVerbs"]
    for r in compacted:
        lines.append(f"{_combine_resource_group(r.get('resources', []), r.get('apiGroups', []))}\t"
                     f"{_go_list(r.get('nonResourceURLs', []))}\t{_go_list(r.get('resourceNames', []))}\t"
                     f"{_go_list(r.get('verbs', []))}")
    return tabwrite("\n".join(lines) + "\n", TABLE_MINWIDTH, TABLE_PADDING), err, 0


def whoami(client: Any) -> tuple[str, str, int]:
    """``kubectl auth whoami``: ATTRIBUTE/VALUE table; extra keys sorted."""
    review = client.create("selfsubjectreviews", {"apiVersion": "authentication.k8s.io/v1",
                                                 "kind": "SelfSubjectReview"})
    ui = (review.get("status") or {}).get("userInfo") or {}
    lines = ["ATTRIBUTE\tVALUE"]
    if ui.get("username"):
        lines.append(f"Username\t{ui['username']}")
    if ui.get("uid"):
        lines.append(f"UID\t{ui['uid']}")
    if ui.get("groups"):
        lines.append(f"Groups\t{_go_list(ui['groups'])}")
    for k in sorted(ui.get("extra") or {}):
        lines.append(f"Extra: {k}\t{_go_list(ui['extra'][k])}")
    return tabwrite("\n".join(lines) + "\n", TABLE_MINWIDTH, TABLE_PADDING), "", 0
