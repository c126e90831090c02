"""Label selectors and field selectors, parsed once and matched many times.

Label selector syntax (apimachinery/pkg/labels/selector.go): comma-separated
requirements ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``,
``k`` (exists), ``!k`` (does not exist), ``k>1``, ``k<1``.
Field selectors (apimachinery/pkg/fields): ``f=v``, ``f==v``, ``f!=v`` over the
few fields each resource supports (its registry's GetAttrs / field label conversion).

>>> sel = parse_label_selector("app=web, tier in (front,edge), !legacy")
>>> sel.matches({"app": "web", "tier": "edge"}), sel.matches({"app": "web", "tier": "db"})
(True, False)
>>> fs = parse_field_selector(("spec.nodeName", "status.phase"), "spec.nodeName=node-1,status.phase!=Failed")
>>> fs.matches({"spec": {"nodeName": "node-1"}, "status": {"phase": "Running"}})
True
"""

from __future__ import annotations

import re
from marshal import dumps as _dumps

from .errors import ApiError

_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
_SET_RE = re.compile(r"^(" + _KEY + r")\s+(in|notin)\s*\((.*)\)$", re.S)
_CMP_RE = re.compile(r"^(" + _KEY + r")\s*(==|=|!=|>|<)\s*(.*)$", re.S)
_KEY_RE = re.compile(r"^" + _KEY + r"$")
_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


class LabelSelector:
    """A parsed label selector; an empty one matches everything."""

    __slots__ = ("requirements", "_eq")

    def __init__(self, requirements: list[tuple[str, str, tuple[str, ...]]]):
        # requirements sorted by key, as labels.Selector does, so String() is stable
        self.requirements = sorted(requirements, key=lambda r: (r[0], r[1], r[2]))
        eq = [(k, v[0]) for k, op, v in self.requirements if op == "="]
        self._eq = eq if len(eq) == len(self.requirements) else None

    def empty(self) -> bool:
        return not self.requirements

    def matches(self, labels: dict | None) -> bool:
        labels = labels or {}
        if self._eq is not None:  # fast path: only equalities (the common case)
            for k, v in self._eq:
                if labels.get(k) != v:
                    return False
            return True
        for key, op, values in self.requirements:
            present = key in labels
            value = labels.get(key)
            if op == "=":
                ok = present and value == values[0]
            elif op == "!=":
                ok = not present or value != values[0]
            elif op == "in":
                ok = present and value in values
            elif op == "notin":
                ok = not present or value not in values
            elif op == "exists":
                ok = present
            elif op == "!":
                ok = not present
            else:  # gt / lt compare integers; a non-integer label never matches
                try:
                    n = int(value) if present else None
                except ValueError:
                    n = None
                ok = n is not None and (n > int(values[0]) if op == ">" else n < int(values[0]))
            if not ok:
                return False
        return True

    def __str__(self) -> str:
        out = []
        for key, op, values in self.requirements:
            if op == "exists":
                out.append(key)
            elif op == "!":
                out.append("!" + key)
            elif op in ("in", "notin"):
                out.append(f"{key} {op} ({','.join(values)})")
            else:
                out.append(f"{key}{op}{values[0]}")
        return ",".join(out)


def _split_top(text: str) -> list[str]:
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _bad_label(msg: str) -> ApiError:
    return ApiError.bad_request(f"unable to parse requirement: {msg}")


def _check_key(key: str) -> str:
    if not _KEY_RE.match(key) or key.count("/") > 1:
        raise _bad_label(f"invalid label key \"{key}\": name part must consist of alphanumeric "
                         "characters, '-', '_' or '.', and must start and end with an alphanumeric character")
    return key


def _check_value(value: str) -> str:
    if len(value) > 63 or not _VALUE_RE.match(value):
        raise _bad_label(f"invalid label value: \"{value}\": at key: a valid label must be an empty "
                         "string or consist of alphanumeric characters, '-', '_' or '.', and must "
                         "start and end with an alphanumeric character")
    return value


_PARSED: dict[str, LabelSelector] = {}


def _marshal(value: object) -> bytes:
    return _dumps(value, 2)


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse ``app=web,tier!=db``; a syntax error raises ApiError 400 BadRequest."""
    if not text:
        return LabelSelector([])
    if not isinstance(text, str):
        raise ApiError.bad_request(f"unable to parse requirement: {text!r}")
    hit = _PARSED.get(text)
    if hit is not None:
        return hit
    reqs: list[tuple[str, str, tuple[str, ...]]] = []
    for raw in _split_top(text):
        part = raw.strip()
        if not part:
            raise ApiError.bad_request("found '', expected: identifier after ','"
                                       if reqs else "found '', expected: identifier")
        if part.startswith("!"):
            reqs.append((_check_key(part[1:].strip()), "!", ()))
            continue
        m = _SET_RE.match(part)
        if m:
            key, op, inner = m.group(1), m.group(3), m.group(4)
            values = tuple(sorted({_check_value(v.strip()) for v in inner.split(",")}))
            reqs.append((_check_key(key), op, values))
            continue
        m = _CMP_RE.match(part)
        if m:
            key, op, value = m.group(1), m.group(3), m.group(4).strip()
            op = "=" if op == "==" else op
            if op in (">", "<"):
                if not re.match(r"^-?[0-9]+$", value):
                    raise _bad_label("for 'Gt', 'Lt' operators, the value must be an integer")
            else:
                _check_value(value)
            reqs.append((_check_key(key), op, (value,)))
            continue
        if _KEY_RE.match(part):
            reqs.append((part, "exists", ()))
            continue
        raise ApiError.bad_request(f"unable to parse requirement: found '{part}', expected: "
                                   "in, notin, =, ==, !=, gt, lt")
    sel = LabelSelector(reqs)
    if len(_PARSED) < 1024:
        _PARSED[text] = sel
    return sel


def from_label_selector_dict(sel: dict | None) -> LabelSelector:
    """metav1.LabelSelector (``matchLabels`` + ``matchExpressions``) as a LabelSelector."""
    if not sel:
        return LabelSelector([])
    reqs = [(k, "=", (v,)) for k, v in (sel.get("matchLabels") or {}).items()]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for expr in sel.get("matchExpressions") or []:
        op = ops.get(expr.get("operator"))
        if op is None:
            raise ApiError.bad_request(f"{expr.get('operator')!r} is not a valid label selector operator")
        reqs.append((expr.get("key", ""), op, tuple(sorted(expr.get("values") or ()))))
    return LabelSelector(reqs)


_FROM_DICT: dict = {}


def cached_label_selector(sel: dict) -> LabelSelector:
    """:func:`from_label_selector_dict`, memoised on the selector's content (controllers
    match the same few selectors against every pod event)."""
    try:
        key = _marshal(sel)
    except ValueError:
        return from_label_selector_dict(sel)
    hit = _FROM_DICT.get(key)
    if hit is None:
        hit = from_label_selector_dict(sel)
        if len(_FROM_DICT) >= 1024:
            _FROM_DICT.clear()
        _FROM_DICT[key] = hit
    return hit


def selector_to_string(sel: dict | None) -> str:
    """metav1.LabelSelector as the query-string form (``app=web,tier in (a,b)``)."""
    return str(from_label_selector_dict(sel))


# -- field selectors ----------------------------------------------------------

# a field label whose value lives elsewhere in the object
_FIELD_PATHS = {"source": ("source", "component")}


class FieldSelector:
    __slots__ = ("requirements",)

    def __init__(self, requirements: list[tuple[tuple[str, ...], bool, str]]):
        self.requirements = requirements  # (path, equal?, value)

    def empty(self) -> bool:
        return not self.requirements

    def requires_exact_match(self, field: str) -> str | None:
        """The value ``field`` must equal for any object to match (``metadata.name=x``), or None
        (fields/selector.go ``RequiresExactMatch``: a ``=``/``==`` requirement on that field)."""
        path = tuple(field.split("."))
        for p, equal, want in self.requirements:
            if equal and p == path:
                return want
        return None

    def matches(self, obj: dict) -> bool:
        for path, equal, want in self.requirements:
            cur: object = obj
            for p in path:
                cur = cur.get(p) if isinstance(cur, dict) else None
            if cur is None:
                got = ""
            elif isinstance(cur, bool):
                got = "true" if cur else "false"
            else:
                got = str(cur)
            if (got == want) != equal:
                return False
        return True


def parse_field_selector(field_labels: tuple[str, ...], text: str | None) -> FieldSelector:
    """Parse ``spec.nodeName=node-1`` given the resource's selectable fields (its strategy's
    ``field_labels``); an unknown field raises ApiError 400 (``field label not supported: spec.foo``)."""
    if not text:
        return FieldSelector([])
    if not isinstance(text, str):
        raise ApiError.bad_request(f"invalid selector: '{text}'")
    supported = ("metadata.name", "metadata.namespace") + tuple(field_labels)
    reqs = []
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            continue
        for op in ("!=", "==", "="):
            if op in part:
                field, value = part.split(op, 1)
                break
        else:
            raise ApiError.bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        field = field.strip()
        if field not in supported:
            raise ApiError.bad_request(f"field label not supported: {field}")
        path = _FIELD_PATHS.get(field) or tuple(field.split("."))
        reqs.append((path, op != "!=", value.strip()))
    return FieldSelector(reqs)
