"""client-go's JSONPath template parser, for :mod:`.jsonpath`.

Upstream: k8s.io/client-go/util/jsonpath parser.go ``Parser``: text outside ``{...}`` is kept
as text; inside an action: ``.field`` (``\\.`` escapes a dot), ``..`` recursive descent,
``[i]`` ``[a:b:c]`` ``[*]`` ``[a,b]`` (a union), ``['key']``, ``[?(left op right)]`` filters,
quoted strings, numbers, ``true``/``false``, and the identifiers ``range``/``end``. Errors carry
parser.go's messages (``unclosed action``, ``unterminated array``, ``unterminated filter``,
``invalid array index x``, ``unrecognized character in action: U+0023 '#'``...).

Nodes are tuples: ``("list", [nodes])``, ``("text", s)``, ``("field", name)``,
``("array", ((known, value, derived),) * 3)``, ``("filter", left, right, op)``,
``("int"|"float"|"bool", v)``, ``("wildcard",)``, ``("recursive",)``, ``("union", [lists])``,
``("identifier", name)``.

>>> parse("a{.b[0]}")
[('text', 'a'), ('list', [('field', 'b'), ('array', ((True, 0, False), (True, 1, True), (False, 0, False)))])]
"""

from __future__ import annotations

import re

from .jsonpath_go import go_quote_rune, go_unquote

Node = tuple


class JSONPathError(ValueError):
    """A template parser.go rejects (its message, as kubectl prints it after the template)."""


_DICT_KEY = re.compile(r"^'([^']*)'$")
_SLICE = re.compile(r"^(-?\d*)(:-?\d*)?(:-?\d*)?$")
_FILTER = re.compile(r"^([^!<>=]+)([!<>=]+)(.+?)$")
_TERMINATORS = frozenset(" \t\r\n.,[]$@{}")


class _Parser:
    """parser.go Parser: one pass over the template, ``{...}`` actions into node lists."""

    def __init__(self, text: str):
        self.input, self.pos, self.start = text, 0, 0
        self.root: list = []

    def _next(self) -> str:
        if self.pos >= len(self.input):
            self.pos += 1     # so that backup() steps back over "eof" too
            return ""
        self.pos += 1
        return self.input[self.pos - 1]

    def _backup(self) -> None:
        self.pos -= 1

    def _peek(self) -> str:
        r = self._next()
        self._backup()
        return r

    def _consume(self) -> str:
        value, self.start = self.input[self.start:self.pos], self.pos
        return value

    def parse(self) -> list:
        self._text()
        return self.root

    def _text(self) -> None:
        while True:
            if self.input.startswith("{", self.pos):
                if self.pos > self.start:
                    self.root.append(("text", self._consume()))
                self.pos += 1
                self._consume()
                action: list = []
                self.root.append(("list", action))
                self._action(action)
                return
            if self._next() == "":
                self.pos = len(self.input)
                break
        if self.pos > self.start:
            self.root.append(("text", self._consume()))

    def _action(self, cur: list) -> None:
        while True:
            rest = self.input[self.pos:]
            if rest.startswith("}"):
                self.pos += 1
                self._consume()
                self._text()
                return
            if rest.startswith("[?("):
                self._filter(cur)
                continue
            if rest.startswith(".."):
                if cur and cur[-1][0] == "recursive":
                    raise JSONPathError("invalid multiple recursive descent")
                self.pos += 2
                self._consume()
                cur.append(("recursive",))
                if _alnum(self._peek()):
                    self._field(cur)
                continue
            r = self._next()
            if r == "" or r in "\r\n":
                raise JSONPathError("unclosed action")
            if r in " @$":
                self._consume()
            elif r == "[":
                self._array(cur)
            elif r in "\"'":
                self._quote(cur, r)
            elif r == ".":
                self._field(cur)
            elif r in "+-" or r.isdigit():
                self._backup()
                self._number(cur)
            elif _alnum(r):
                self._backup()
                self._identifier(cur)
            else:
                raise JSONPathError(f"unrecognized character in action: {go_quote_rune(r)}")

    def _identifier(self, cur: list) -> None:
        while self._next() not in _TERMINATORS and self.pos <= len(self.input):
            pass
        self._backup()
        value = self._consume()
        cur.append(("bool", value == "true") if value in ("true", "false") else ("identifier", value))

    def _number(self, cur: list) -> None:
        if self._peek() in ("+", "-"):
            self._next()
        while True:
            r = self._next()
            if r != "." and not r.isdigit():
                self._backup()
                break
        value = self._consume()
        try:
            cur.append(("int", int(value)))
        except ValueError:
            try:
                cur.append(("float", float(value)))
            except ValueError:
                raise JSONPathError(f"cannot parse number {value}") from None

    def _array(self, cur: list) -> None:
        while True:
            r = self._next()
            if r in ("", "\n"):
                raise JSONPathError("unterminated array")
            if r == "]":
                break
        text = self._consume()[1:-1]
        if text == "*":
            text = ":"
        parts = text.split(",")
        if len(parts) > 1:     # union
            cur.append(("union", [_action_list(f"[{p.strip(' ')}]") for p in parts]))
            return
        key = _DICT_KEY.match(text)
        if key:
            cur.extend(_action_list("." + key.group(1)))
            return
        m = _SLICE.match(text)
        if not m:
            raise JSONPathError(f"invalid array index {text}")
        params: list[tuple[bool, int, bool]] = []     # (known, value, derived)
        for i, raw in enumerate(m.groups()):
            raw = raw or ""
            if raw:
                raw = raw[1:] if i else raw
                if i and not raw:
                    params.append((False, 0, False))
                else:
                    try:
                        params.append((True, int(raw), False))
                    except ValueError:
                        raise JSONPathError(f"array index {raw} is not a number") from None
            elif i == 1:
                params.append((True, params[0][1] + 1, True))
            else:
                params.append((False, 0, False))
        cur.append(("array", tuple(params)))

    def _filter(self, cur: list) -> None:
        self.pos += 3
        self._consume()
        begin = end = False
        pair = ""
        while True:
            r = self._next()
            if r in ("", "\n"):
                raise JSONPathError("unterminated filter")
            if r in "\"'":
                if not begin:
                    begin, pair = True, r
                    continue
                if self.input[self.pos - 2] != "\\" and r == pair:
                    end = True
            elif r == ")" and begin == end:
                break
        if self._next() != "]":
            raise JSONPathError("unclosed array expect ]")
        text = self._consume()[:-2]
        m = _FILTER.match(text)
        if m is None:
            cur.append(("filter", _action_list(text), [], "exists"))
        else:
            cur.append(("filter", _action_list(m.group(1)), _action_list(m.group(3)), m.group(2)))

    def _quote(self, cur: list, end: str) -> None:
        while True:
            r = self._next()
            if r in ("", "\n"):
                raise JSONPathError("unterminated quoted string")
            if r == end and self.input[self.pos - 2] != "\\":
                break
        value = self._consume()
        try:
            cur.append(("text", go_unquote(value)))
        except ValueError as e:
            raise JSONPathError(f"unquote string {value} error {e}") from None

    def _field(self, cur: list) -> None:
        self._consume()
        while True:
            r = self._next()
            if r == "\\":
                self._next()
            elif r in _TERMINATORS or r == "":
                self._backup()
                break
        value = self._consume()
        cur.append(("wildcard",) if value == "*" else ("field", value.replace("\\", "")))


def _alnum(r: str) -> bool:
    return r == "_" or r.isalpha() or r.isdigit()


def _action_list(text: str) -> list:
    """parser.go parseAction: ``{text}`` parsed, its one action's nodes."""
    return _Parser("{" + text + "}").parse()[0][1]


def parse(template: str) -> list:
    """The template's nodes; :class:`JSONPathError` with parser.go's message if it has none."""
    return _Parser(template).parse()


__all__ = ["JSONPathError", "Node", "parse"]
