"""Tokenizer for the POSIX-shell subset: words (kept raw, quotes and all), operators, redirections.

Words are kept *raw* (``"$HOME"/x`` stays as written) and expanded later by :mod:`.expand`,
the way busybox ash keeps quoting marks in its parse tree (``shell/ash.c`` ``readtoken1``);
the lexer only has to find where a word ends, which means matching quotes, ``$(...)``,
``${...}``, ``$((...))`` and backquotes.

Token kinds: ``WORD`` (``value`` = raw text), ``OP`` (``; & && || | ( ) ;;``), ``NL`` (newline),
``REDIR`` (``value`` = ``> >> < >& <& >|``, ``fd`` = the IO number or None) and ``EOF``.
Each token carries its source ``line`` and ``start``/``end`` offsets (background jobs re-run
their source text in a child shell).
"""

from __future__ import annotations

_META = " \t\n;&|()<>"
_OPS = ("&&", "||", ";;", ";", "&", "|", "(", ")")
_REDIRS = (">>", ">&", "<&", ">|", "<<", ">", "<")


class SyntaxErr(Exception):
    """A parse error; the message is ash's text after ``syntax error: ``."""


#: How deeply compound commands, ``eval``/``.``/trap actions, subshells and command
#: substitutions may nest in one shell process (a model limit: ash's C stack allows more).
#: Beyond it the shell stops with :data:`NESTING_MESSAGE` and status 2, the same at any
#: Python stack depth (so the browser build behaves like the native one).
MAX_NESTING = 48
NESTING_MESSAGE = f"nesting too deep (k8score's shell allows {MAX_NESTING} levels)"


class NestingErr(Exception):
    """Nesting beyond :data:`MAX_NESTING`."""


class Token:
    __slots__ = ("kind", "value", "fd", "line", "start", "end")

    def __init__(self, kind: str, value: str, line: int, start: int, end: int, fd: int | None = None):
        self.kind, self.value, self.fd, self.line, self.start, self.end = kind, value, fd, line, start, end

    def __repr__(self) -> str:
        return f"{self.kind}({self.value!r})"


def find_close(s: str, i: int, open_: str, close: str) -> int:
    """Index of the ``close`` matching the ``open_`` just before ``i`` (quote-aware), or -1."""
    depth = 1
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            j = s.find("'", i + 1)
            if j < 0:
                return -1
            i = j + 1
            continue
        if c == '"':
            j = _end_dquote(s, i + 1)
            if j < 0:
                return -1
            i = j + 1
            continue
        if c == "`":
            j = _end_backquote(s, i + 1)
            if j < 0:
                return -1
            i = j + 1
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _end_backquote(s: str, i: int) -> int:
    while i < len(s):
        if s[i] == "\\":
            i += 2
            continue
        if s[i] == "`":
            return i
        i += 1
    return -1


def _end_dquote(s: str, i: int) -> int:
    """Index of the closing ``"`` for a double-quoted string whose body starts at ``i``."""
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i
        if c == "`":
            j = _end_backquote(s, i + 1)
            if j < 0:
                return -1
            i = j + 1
            continue
        if c == "$" and i + 1 < n and s[i + 1] in "({":
            j = find_close(s, i + 2, s[i + 1], ")" if s[i + 1] == "(" else "}")
            if j < 0:
                return -1
            i = j + 1
            continue
        i += 1
    return -1


def tokenize(src: str) -> list[Token]:
    toks: list[Token] = []
    i, n, line = 0, len(src), 1
    while i < n:
        c = src[i]
        if c in " \t":
            i += 1
            continue
        if c == "\\" and src.startswith("\\\n", i):
            i += 2
            line += 1
            continue
        if c == "#":
            while i < n and src[i] != "\n":
                i += 1
            continue
        if c == "\n":
            toks.append(Token("NL", "\n", line, i, i + 1))
            line += 1
            i += 1
            continue
        op = next((o for o in _OPS if src.startswith(o, i)), None)
        if op is not None:
            toks.append(Token("OP", op, line, i, i + len(op)))
            i += len(op)
            continue
        red = next((r for r in _REDIRS if src.startswith(r, i)), None)
        if red is not None:
            toks.append(Token("REDIR", red, line, i, i + len(red)))
            i += len(red)
            continue
        start, start_line = i, line
        i = _scan_word(src, i)
        word = src[start:i]
        line += word.count("\n")
        if word.isdigit() and i < n and src[i] in "<>":
            red = next(r for r in _REDIRS if src.startswith(r, i))
            toks.append(Token("REDIR", red, start_line, start, i + len(red), fd=int(word)))
            i += len(red)
            continue
        toks.append(Token("WORD", word, start_line, start, i))
    toks.append(Token("EOF", "", line, n, n))
    return toks


def _scan_word(s: str, i: int) -> int:
    n = len(s)
    while i < n:
        c = s[i]
        if c in _META:
            return i
        if c == "\\":
            i += 2
        elif c == "'":
            j = s.find("'", i + 1)
            if j < 0:
                raise SyntaxErr("unterminated quoted string")
            i = j + 1
        elif c == '"':
            j = _end_dquote(s, i + 1)
            if j < 0:
                raise SyntaxErr("unterminated quoted string")
            i = j + 1
        elif c == "`":
            j = _end_backquote(s, i + 1)
            if j < 0:
                raise SyntaxErr("EOF in backquote substitution")
            i = j + 1
        elif c == "$" and i + 1 < n and s[i + 1] in "({":
            j = find_close(s, i + 2, s[i + 1], ")" if s[i + 1] == "(" else "}")
            if j < 0:
                raise SyntaxErr("unexpected end of file (expecting \")\")" if s[i + 1] == "(" else "missing '}'")
            i = j + 1
        else:
            i += 1
    return min(i, n)
