"""Word expansion (POSIX 2.6): tilde, parameters, ``$(...)``/backquotes, ``$((...))``, field
splitting on ``IFS`` whitespace, pathname expansion (``*``, ``?``, ``[...]``) and quote removal.

Expansions are generators because a command substitution runs commands, which may sleep on
the virtual clock (``x=$(sleep 2; date)``). Each character is tagged ``L`` (unquoted literal:
globs, never split), ``E`` (unquoted expansion result: split and globbed) or ``Q`` (quoted).

Parameter forms: ``$name ${name} $1..$9 ${10} $? $$ $! $# $@ $* $0 $-``, ``${#name}``,
``${name:-w} ${name-w} ${name:=w} ${name=w} ${name:+w} ${name+w} ${name:?w}``,
``${name#p} ${name##p} ${name%p} ${name%%p}``; anything else is ash's ``bad substitution``.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from typing import Any, Generator

from .arith import ArithError, evaluate
from .lexer import _end_backquote, find_close

Gen = Generator[Any, Any, Any]
_IFS_WS = " \t\n"


class ExpandError(Exception):
    """An expansion error: ``message`` as ash prints it after ``sh: ``; the shell exits 2."""


def expand_str(sh: Any, raw: str) -> Gen:
    """One string, no field splitting or globbing (assignments, redirection targets, case words)."""
    segs = yield from _segments(sh, raw)
    return "".join(t for t, _k in segs if isinstance(t, str)) if not _has_at(segs) else \
        " ".join(_flatten_at(segs))


def expand_pattern(sh: Any, raw: str) -> Gen:
    """A ``case`` pattern: quoted characters match literally."""
    segs = yield from _segments(sh, raw)
    return _glob_text([(t if isinstance(t, str) else " ".join(t), k) for t, k in segs])


def expand_words(sh: Any, raws: list[str]) -> Gen:
    """argv from raw words: expansions, field splitting, pathname expansion, quote removal."""
    out: list[str] = []
    for raw in raws:
        segs = yield from _segments(sh, raw)
        for chars in _split(segs):
            out.extend(_glob(sh, chars))
    return out


# -- segments ---------------------------------------------------------------------------
def _segments(sh: Any, raw: str) -> Gen:
    segs: list[tuple[Any, str]] = []
    i, n, dq = 0, len(raw), False
    if raw.startswith("~") and (len(raw) == 1 or raw[1] == "/"):
        segs.append((sh.getvar("HOME") or "/", "Q"))
        i = 1
    while i < n:
        c = raw[i]
        if c == "'" and not dq:
            j = raw.index("'", i + 1)
            segs.append((raw[i + 1:j], "Q"))
            i = j + 1
        elif c == '"':
            dq = not dq
            segs.append(("", "Q"))      # "" is an (empty) field
            i += 1
        elif c == "\\":
            nxt = raw[i + 1:i + 2]
            if dq and nxt not in ('$', '`', '"', '\\', '\n'):
                segs.append(("\\", "Q"))
                i += 1
            else:
                segs.append((nxt if nxt != "\n" else "", "Q"))
                i += 2
        elif c == "$":
            value, i = yield from _dollar(sh, raw, i, dq)
            segs.append((value, "Q" if dq else "E"))
        elif c == "`":
            j = _end_backquote(raw, i + 1)
            body = re.sub(r"\\([$`\\])", r"\1", raw[i + 1:j])
            value = yield from sh.command_subst(body)
            segs.append((value, "Q" if dq else "E"))
            i = j + 1
        else:
            segs.append((c, "Q" if dq else "L"))
            i += 1
    return segs


def _dollar(sh: Any, raw: str, i: int, dq: bool) -> Gen:
    n = len(raw)
    nxt = raw[i + 1:i + 2]
    if raw.startswith("$((", i):
        j = find_close(raw, i + 2, "(", ")")
        if j > 0 and raw[j - 1:j] == ")":
            text = yield from expand_str(sh, raw[i + 3:j - 1])
            try:
                value = evaluate(text, lambda k: sh.getvar(k) or "", sh.setvar)
            except ArithError as e:
                raise ExpandError(str(e)) from None
            return str(value), j + 1
    if nxt == "(":
        j = find_close(raw, i + 2, "(", ")")
        value = yield from sh.command_subst(raw[i + 2:j])
        return value, j + 1
    if nxt == "{":
        j = find_close(raw, i + 2, "{", "}")
        value = yield from _brace(sh, raw[i + 2:j])
        return value, j + 1
    if nxt and (nxt.isalpha() or nxt == "_"):
        j = i + 1
        while j < n and (raw[j].isalnum() or raw[j] == "_"):
            j += 1
        return sh.getvar(raw[i + 1:j]) or "", j
    if nxt == "@" and dq:
        return list(sh.params), i + 2
    if nxt and (nxt.isdigit() or nxt in "?$!#*@-"):
        return sh.special(nxt) or "", i + 2
    return "$", i + 1


_BRACE = re.compile(r"^(#?)([A-Za-z_][A-Za-z_0-9]*|\d+|[?$!#*@-])(:?[-=+?]|##?|%%?)?(.*)$", re.S)


def _brace(sh: Any, body: str) -> Gen:
    m = _BRACE.match(body)
    if not m or (m.group(1) and (m.group(3) or m.group(4))) or (not m.group(3) and m.group(4)):
        raise ExpandError("syntax error: bad substitution")
    length, name, op, word = m.groups()
    value = sh.getvar(name) if (name[0].isalpha() or name[0] == "_") else sh.special(name)
    if length:
        return str(len(value or ""))
    if not op:
        return value or ""
    unset = value is None or (op.startswith(":") and value == "")
    if op in (":-", "-"):
        return (yield from expand_str(sh, word)) if unset else value
    if op in (":=", "="):
        if unset:
            value = yield from expand_str(sh, word)
            sh.setvar(name, value)
        return value
    if op in (":+", "+"):
        return "" if unset else (yield from expand_str(sh, word))
    if op in (":?", "?"):
        if unset:
            msg = yield from expand_str(sh, word)
            raise ExpandError(f"{name}: {msg or 'parameter not set'}")
        return value
    # pattern removal: shortest/longest prefix (#, ##) or suffix (%, %%)
    value = value or ""
    pat = yield from expand_pattern(sh, word)
    rng = range(len(value) + 1)
    if op.startswith("#"):
        cuts = [k for k in rng if fnmatch.fnmatchcase(value[:k], pat)]
        return value[(max(cuts) if op == "##" else min(cuts)):] if cuts else value
    cuts = [k for k in rng if fnmatch.fnmatchcase(value[k:], pat)]
    return value[:(min(cuts) if op == "%%" else max(cuts))] if cuts else value


# -- splitting and globbing ---------------------------------------------------------------
def _has_at(segs: list) -> bool:
    return any(not isinstance(t, str) for t, _k in segs)


def _flatten_at(segs: list) -> list[str]:
    out = []
    for t, _k in segs:
        out.extend(t if not isinstance(t, str) else [t])
    return out


def _split(segs: list) -> list[list[tuple[str, str]]]:
    fields: list[list[tuple[str, str]]] = []
    cur: list[tuple[str, str]] = []
    have = False
    for text, kind in segs:
        if not isinstance(text, str):            # "$@": one field per parameter
            for k, param in enumerate(text):
                if k:
                    fields.append(cur)
                    cur = []
                if param:
                    cur.append((param, "Q"))
                have = True
            if not text and not cur:
                have = have and bool(cur)
            continue
        if kind == "E":
            for c in text:
                if c in _IFS_WS:
                    if cur or have:
                        fields.append(cur)
                    cur, have = [], False
                else:
                    cur.append((c, "E"))
            continue
        have = True
        if text:                  # one run, not one tuple per character: "$x" may be megabytes
            cur.append((text, kind))
    if cur or have:
        fields.append(cur)
    return fields


def _glob_text(chars: list[tuple[str, str]]) -> str:
    """The pattern of ``(text, kind)`` runs: quoted glob characters are bracketed (literal)."""
    return "".join(_QUOTE_GLOB.sub(r"[\1]", c) if k == "Q" else c for c, k in chars)


_QUOTE_GLOB = re.compile(r"([*?\[\]])")


def _glob(sh: Any, chars: list[tuple[str, str]]) -> list[str]:
    word = "".join(c for c, _k in chars)
    if not any(k != "Q" and ("*" in c or "?" in c or "[" in c) for c, k in chars):
        return [word]
    pattern = _glob_text(chars)
    absolute = pattern.startswith("/")
    base = "/" if absolute else sh.cwd
    parts = [p for p in pattern.split("/") if p]
    found = [""]
    for part in parts:
        nxt = []
        for prefix in found:
            d = posixpath.join(base, prefix) if prefix else base
            if not any(ch in part for ch in "*?["):
                lit = re.sub(r"\[(.)\]", r"\1", part)
                if sh.fs.exists(posixpath.join(d, lit)):
                    nxt.append(posixpath.join(prefix, lit) if prefix else lit)
                continue
            if not sh.fs.isdir(d):
                continue
            for name in sh.fs.listdir(d):
                if name.startswith(".") and not part.startswith("."):
                    continue
                if fnmatch.fnmatchcase(name, part):
                    nxt.append(posixpath.join(prefix, name) if prefix else name)
        found = nxt
    if not found:
        return [word]
    return sorted(("/" + f) if absolute else f for f in found)
