"""RBAC: rule matching and the RBAC authorizer.

Upstream: plugin/pkg/auth/authorizer/rbac/rbac.go (``RuleAllows``, ``RBACAuthorizer``),
pkg/apis/rbac/v1/evaluation_helpers.go (``VerbMatches``, ``APIGroupMatches``,
``ResourceMatches``, ``ResourceNameMatches``, ``NonResourceURLMatches``) and
pkg/registry/rbac/validation/rule.go (``DefaultRuleResolver.VisitRulesFor``, ``appliesTo``,
the binding describers that make the allow reason).

Contract: :meth:`RBACAuthorizer.authorize` never answers DENY (RBAC only grants); it
answers ALLOW with ``RBAC: allowed by <binding>`` or NO_OPINION, whose reason lists the
role lookups that failed (``RBAC: clusterrole.rbac.authorization.k8s.io "x" not found``).

>>> rule = {"verbs": ["get"], "apiGroups": [""], "resources": ["pods/log"]}
>>> from ..request import AuthzAttributes, UserInfo
>>> rule_allows(AuthzAttributes(UserInfo("u"), "get", "pods", subresource="log"), rule)
True
>>> rule_allows(AuthzAttributes(UserInfo("u"), "get", "pods"), rule)
False
"""

from __future__ import annotations

from typing import Any, Iterator

from ..request import ALLOW, NO_OPINION, AuthzAttributes, UserInfo

# rbac/v1 types.go: VerbAll, APIGroupAll, ResourceAll, NonResourceAll
ALL = "*"
RBAC_GROUP = "rbac.authorization.k8s.io"
SA_PREFIX = "system:serviceaccount:"  # apiserver/pkg/authentication/serviceaccount/util.go
_RBAC_RESOURCES = ("clusterroles", "clusterrolebindings", "roles", "rolebindings")
_MAX_DECISIONS = 4096  # memoised decisions; the table is cleared when full (deterministic)


def _strs(value: Any) -> list:
    """A rule field as a list (stored objects are validated; stay defensive anyway)."""
    return value if isinstance(value, list) else []


# -- evaluation_helpers.go --------------------------------------------------------------

def verb_matches(rule: dict, verb: str) -> bool:
    return any(v == ALL or v == verb for v in _strs(rule.get("verbs")))


def api_group_matches(rule: dict, group: str) -> bool:
    return any(g == ALL or g == group for g in _strs(rule.get("apiGroups")))


def resource_matches(rule: dict, combined: str, subresource: str) -> bool:
    """``*`` matches everything, ``pods/log`` only the exact combination, and
    ``*/scale`` any resource's ``scale`` subresource (never a plain resource)."""
    for r in _strs(rule.get("resources")):
        if r == ALL or r == combined:
            return True
        if subresource and len(r) == len(subresource) + 2 and r.startswith("*/") \
                and r.endswith(subresource):
            return True
    return False


def resource_name_matches(rule: dict, name: str) -> bool:
    """No resourceNames: any name. Otherwise the request must name one of them — so a
    ``list`` (no name) never matches a rule restricted by resourceNames."""
    names = _strs(rule.get("resourceNames"))
    return not names or name in names


def non_resource_url_matches(rule: dict, path: str) -> bool:
    """Exact path, ``*``, or a trailing-``*`` prefix glob (``/healthz/*``)."""
    for u in _strs(rule.get("nonResourceURLs")):
        if not isinstance(u, str):
            continue
        if u == ALL or u == path:
            return True
        if u.endswith("*") and path.startswith(u.rstrip("*")):
            return True
    return False


def rule_allows(attrs: AuthzAttributes, rule: dict) -> bool:
    """rbac.go RuleAllows: the combined ``resource/subresource`` is what rules name."""
    if attrs.is_resource_request:
        sub = attrs.subresource or ""
        combined = f"{attrs.resource}/{sub}" if sub else attrs.resource
        return (verb_matches(rule, attrs.verb) and api_group_matches(rule, attrs.api_group or "")
                and resource_matches(rule, combined, sub)
                and resource_name_matches(rule, attrs.name or ""))
    return verb_matches(rule, attrs.verb) and non_resource_url_matches(rule, attrs.path)


def rules_allow(attrs: AuthzAttributes, rules: list) -> bool:
    return any(isinstance(r, dict) and rule_allows(attrs, r) for r in rules)


# -- rule.go: subjects and binding descriptions -----------------------------------------

def sa_username(namespace: str, name: str) -> str:
    return f"{SA_PREFIX}{namespace}:{name}"


def split_sa_username(username: str) -> tuple[str, str] | None:
    """serviceaccount.SplitUsername: ``system:serviceaccount:ns:name`` -> (ns, name)."""
    if not username.startswith(SA_PREFIX):
        return None
    parts = username[len(SA_PREFIX):].split(":")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return None
    return parts[0], parts[1]


def applies_to_user(user: UserInfo, subject: dict, namespace: str) -> bool:
    """rule.go appliesToUser; a ServiceAccount subject without a namespace means the
    binding's own namespace (so a ClusterRoleBinding's must name one)."""
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return user.name == name
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        sa_ns = subject.get("namespace") or namespace
        return bool(sa_ns) and user.name == sa_username(sa_ns, str(name))
    return False


def _describe_subject(subject: dict, binding_ns: str) -> str:
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "ServiceAccount":
        return f'{kind} "{name}/{subject.get("namespace") or binding_ns}"'
    return f'{kind} "{name}"'


def describe_binding(binding: dict, subject: dict) -> str:
    """The ``source`` of an allow: ``ClusterRoleBinding "x" of ClusterRole "y" to Group "z"``
    or ``RoleBinding "x/ns" of Role "y" to User "u"``."""
    meta, ref = binding.get("metadata") or {}, binding.get("roleRef") or {}
    ns = meta.get("namespace") or ""
    head = f'RoleBinding "{meta.get("name")}/{ns}"' if ns else f'ClusterRoleBinding "{meta.get("name")}"'
    return f'{head} of {ref.get("kind")} "{ref.get("name")}" to {_describe_subject(subject, ns)}'


def _subject_keys(user: UserInfo) -> list[tuple]:
    keys: list[tuple] = [("User", user.name)] + [("Group", g) for g in user.groups]
    sa = split_sa_username(user.name)
    if sa:
        keys.append(("ServiceAccount",) + sa)
    return keys


class _BindingIndex:
    """Bindings of one scope indexed by subject, keeping list order (which decides which
    binding an allow names, as upstream's list order does)."""

    def __init__(self, bindings: list[dict], namespace: str):
        self.bindings = bindings
        self.by_subject: dict[tuple, list[tuple[int, int]]] = {}
        for bi, b in enumerate(bindings):
            for si, s in enumerate(_strs(b.get("subjects"))):
                if not isinstance(s, dict):
                    continue
                kind, name = s.get("kind"), s.get("name")
                if kind == "ServiceAccount":
                    key = ("ServiceAccount", s.get("namespace") or namespace, name)
                else:
                    key = (kind, name)
                self.by_subject.setdefault(key, []).append((bi, si))

    def matching(self, user: UserInfo) -> list[tuple[dict, dict]]:
        """(binding, first subject that applies), in binding order."""
        first: dict[int, int] = {}
        for key in _subject_keys(user):
            for bi, si in self.by_subject.get(key, ()):
                if bi not in first or si < first[bi]:
                    first[bi] = si
        return [(self.bindings[bi], self.bindings[bi]["subjects"][si]) for bi, si in sorted(first.items())]


class RBACAuthorizer:
    """authorizer.Authorizer over Role/ClusterRole/RoleBinding/ClusterRoleBinding.

    Reads the four resources through ``ctx.lister``. The answer is a pure function of the
    request's attributes and of those four resources, so it is memoised while they stay
    unchanged: the lister's ``cache_token(resources)`` changes whenever one of them changes
    (else its integer ``revision``, etcd's, which changes on every write). Decisions are
    keyed by user, groups, verb, resource, subresource, namespace and path — and by the
    name only when a rule that matches all of these lists ``resourceNames``. Without a
    token, each request indexes the cluster bindings plus the bindings of the request's
    namespace — O(bindings in scope), never all namespaces. (Upstream walks the bindings
    on every request, plugin/pkg/auth/authorizer/rbac/rbac.go; the answers are the same.)
    """

    name = "RBAC"

    def __init__(self, ctx: Any):
        self.lister = ctx.lister
        self._cache_rev: Any = None
        self._cache: dict = {}
        #: attributes but the name -> (decision, reason), or name -> (decision, reason)
        self._decisions: dict = {}

    # -- rule resolution ------------------------------------------------------------
    def _token(self) -> Any:
        """What identifies the current state of the RBAC objects (None: unknown)."""
        token = getattr(self.lister, "cache_token", None)
        if token is not None:
            return token(_RBAC_RESOURCES)
        rev = getattr(self.lister, "revision", None)
        return rev() if callable(rev) else rev

    def _fresh(self) -> Any:
        """Drop the memoised indexes and decisions if the RBAC objects changed."""
        rev = self._token()
        if rev is None or rev != self._cache_rev:
            self._cache, self._cache_rev = {}, rev
            self._decisions = {}
        return rev

    def _index(self, namespace: str) -> _BindingIndex:
        rev = self._fresh()
        idx = self._cache.get(namespace)
        if idx is None:
            if namespace:
                items = self.lister.list("rolebindings", namespace)
            else:
                items = self.lister.list("clusterrolebindings")
            idx = _BindingIndex([b for b in items if isinstance(b, dict)], namespace)
            if rev is not None:
                self._cache[namespace] = idx
        return idx

    def _role_rules(self, ref: dict, namespace: str) -> tuple[list, str | None]:
        """rule.go GetRoleReferenceRules; errors read like the informer lister's NotFound."""
        kind, name = ref.get("kind"), ref.get("name")
        if kind == "Role":
            role = self.lister.get("roles", name, namespace)
            if role is None:
                return [], f'role.{RBAC_GROUP} "{name}" not found'
        elif kind == "ClusterRole":
            role = self.lister.get("clusterroles", name)
            if role is None:
                return [], f'clusterrole.{RBAC_GROUP} "{name}" not found'
        else:
            return [], f'unsupported role reference kind: "{kind}"'
        return [r for r in _strs(role.get("rules")) if isinstance(r, dict)], None

    def visit(self, user: UserInfo, namespace: str | None) -> Iterator[tuple[str | None, dict | None, str | None]]:
        """VisitRulesFor: yields (source, rule, error) — cluster bindings first, then the
        RoleBindings of ``namespace``."""
        for scope in ("", namespace) if namespace else ("",):
            for binding, subject in self._index(scope).matching(user):
                rules, err = self._role_rules(binding.get("roleRef") or {}, scope)
                if err:
                    yield None, None, err
                    continue
                source = describe_binding(binding, subject)
                for rule in rules:
                    yield source, rule, None

    # -- authorizer.Authorizer ------------------------------------------------------------
    def authorize(self, attrs: AuthzAttributes) -> tuple[str, str]:
        if self._fresh() is None:
            return self._authorize(attrs)
        user = attrs.user
        key = (user.name, tuple(user.groups), attrs.namespace, attrs.verb, attrs.is_resource_request,
               attrs.api_group, attrs.resource, attrs.subresource, attrs.path)
        hit = self._decisions.get(key)
        if hit is None:
            if len(self._decisions) >= _MAX_DECISIONS:
                self._decisions.clear()
            # a rule in reach that names resourceNames makes the answer depend on the name
            hit = self._decisions[key] = {} if self._names_matter(attrs) else self._authorize(attrs)
        if type(hit) is not dict:
            return hit
        by_name = hit.get(attrs.name)
        if by_name is None:
            if len(hit) >= _MAX_DECISIONS:
                hit.clear()
            by_name = hit[attrs.name] = self._authorize(attrs)
        return by_name

    def _names_matter(self, attrs: AuthzAttributes) -> bool:
        """Whether a rule with ``resourceNames`` matches ``attrs`` but for the name."""
        if not attrs.is_resource_request:
            return False
        sub = attrs.subresource or ""
        combined = f"{attrs.resource}/{sub}" if sub else attrs.resource
        for _source, rule, _err in self.visit(attrs.user, attrs.namespace):
            if rule is not None and _strs(rule.get("resourceNames")) and verb_matches(rule, attrs.verb) \
                    and api_group_matches(rule, attrs.api_group or "") and resource_matches(rule, combined, sub):
                return True
        return False

    def _authorize(self, attrs: AuthzAttributes) -> tuple[str, str]:
        errors: list[str] = []
        for source, rule, err in self.visit(attrs.user, attrs.namespace):
            if rule is not None and rule_allows(attrs, rule):
                return ALLOW, f"RBAC: allowed by {source}"
            if err:
                errors.append(err)
        return NO_OPINION, ("RBAC: " + aggregate(errors)) if errors else ""

    def rules_for(self, user: UserInfo, namespace: str | None) -> tuple[list, list, bool, str]:
        """RulesFor: (resourceRules, nonResourceRules, incomplete, evaluationError) as
        SelfSubjectRulesReview reports them. RBAC never marks the list incomplete; failed
        role lookups are reported in ``evaluationError``."""
        res, nonres, errors = [], [], []
        for _source, rule, err in self.visit(user, namespace):
            if err:
                errors.append(err)
                continue
            if _strs(rule.get("resources")):
                r = {"verbs": list(_strs(rule.get("verbs"))), "apiGroups": list(_strs(rule.get("apiGroups"))),
                     "resources": list(_strs(rule.get("resources")))}
                if _strs(rule.get("resourceNames")):
                    r["resourceNames"] = list(rule["resourceNames"])
                res.append(r)
            if _strs(rule.get("nonResourceURLs")):
                nonres.append({"verbs": list(_strs(rule.get("verbs"))),
                               "nonResourceURLs": list(rule["nonResourceURLs"])})
        return res, nonres, False, aggregate(errors)


def aggregate(errors: list[str]) -> str:
    """utilerrors.NewAggregate(...).Error(): one message alone, several in ``[a, b]``."""
    if not errors:
        return ""
    return errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
