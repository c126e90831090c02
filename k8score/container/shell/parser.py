"""Parser: tokens -> a small syntax tree, one complete command (a line) at a time.

The grammar is POSIX's (``Shell Command Language`` section 2.10) restricted to what the model
runs: simple commands with assignments and redirections, pipelines (``!``), ``&&``/``||``
lists, ``;``/``&``/newline separators, ``if/elif/else``, ``while``, ``until``, ``for``,
``case``, ``{ ...; }`` and ``( ... )``. Functions and here-documents are not modelled.

Like ash, the top level is parsed and run one line at a time (``shell/ash.c`` ``cmdloop``
calls ``parsecmd`` per line), so ``echo a`` on line 1 runs before a syntax error on line 2 is
reported. Error texts are ash's ``raise_error_unexpected_syntax``: ``unexpected "fi"``,
``unexpected end of file (expecting "done")``, ``unexpected newline``, ``unexpected word``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .lexer import MAX_NESTING, NestingErr, SyntaxErr, Token, tokenize

# shell/ash.c tokname_array: keywords are recognised only in command position.
KEYWORDS = {"!", "case", "do", "done", "elif", "else", "esac", "fi", "for", "if", "in", "then",
            "until", "while", "{", "}"}


@dataclass
class Redir:
    fd: int | None
    op: str
    target: str


@dataclass
class Simple:
    assigns: list[str]
    words: list[str]
    redirs: list[Redir]
    line: int


@dataclass
class Pipeline:
    cmds: list[Any]
    negate: bool = False


@dataclass
class AndOr:
    first: Pipeline
    rest: list[tuple[str, Pipeline]]
    src: str = ""


@dataclass
class CmdList:
    items: list[tuple[AndOr, bool]]   # (and-or list, run in background)


@dataclass
class If:
    branches: list[tuple[CmdList, CmdList]]
    otherwise: CmdList | None
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class Loop:
    cond: CmdList
    body: CmdList
    until: bool
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class For:
    var: str
    words: list[str] | None
    body: CmdList
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class Case:
    word: str
    items: list[tuple[list[str], CmdList | None]]
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class Group:
    body: CmdList
    subshell: bool
    redirs: list[Redir] = field(default_factory=list)


def _tokname(tok: Token) -> str:
    if tok.kind == "EOF":
        return "end of file"
    if tok.kind == "NL":
        return "newline"
    if tok.kind == "REDIR":
        return "redirection"
    if tok.kind == "WORD" and tok.value not in KEYWORDS:
        return "word"
    return f'"{tok.value}"'


def is_assignment(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and name != "" and (name[0].isalpha() or name[0] == "_") and \
        all(ch.isalnum() or ch == "_" for ch in name)


class Parser:
    """``Parser(src).commands()`` yields one :class:`CmdList` per top-level line."""

    def __init__(self, src: str, max_depth: int = MAX_NESTING):
        self.src = src
        self.toks = tokenize(src)
        self.i = 0
        self.depth = 0                  # compound commands open around the current token
        self.max_depth = max_depth      # raises NestingErr beyond it (see lexer.MAX_NESTING)

    # -- token helpers --------------------------------------------------------------
    def _peek(self) -> Token:
        return self.toks[self.i]

    def _next(self) -> Token:
        tok = self.toks[self.i]
        if tok.kind != "EOF":
            self.i += 1
        return tok

    def _is(self, kind: str, value: str | None = None) -> bool:
        tok = self._peek()
        return tok.kind == kind and (value is None or tok.value == value)

    def _kw(self, *words: str) -> bool:
        tok = self._peek()
        return tok.kind == "WORD" and tok.value in words

    def _skip_nl(self) -> None:
        while self._is("NL"):
            self.i += 1

    def _fail(self, expecting: str | None = None):
        msg = f"unexpected {_tokname(self._peek())}"
        if expecting:
            msg += f' (expecting "{expecting}")'
        raise SyntaxErr(msg)

    def _expect_kw(self, word: str) -> None:
        if not self._kw(word):
            self._fail(word)
        self.i += 1

    # -- grammar ----------------------------------------------------------------------
    def commands(self):
        while True:
            self._skip_nl()
            if self._is("EOF"):
                return
            items = self._items(stop_nl=True)
            if not (self._is("NL") or self._is("EOF")):
                self._fail()
            yield CmdList(items)

    def _items(self, stop_nl: bool, stops: tuple[str, ...] = ()) -> list[tuple[AndOr, bool]]:
        items: list[tuple[AndOr, bool]] = []
        while True:
            if not stop_nl:
                self._skip_nl()
            if self._at_stop(stops):
                break
            ao = self._and_or()
            bg = False
            if self._is("OP", ";") or self._is("OP", "&"):
                bg = self._next().value == "&"
                items.append((ao, bg))
                if stop_nl and (self._is("NL") or self._is("EOF")):
                    break
                continue
            items.append((ao, bg))
            if self._is("NL"):
                if stop_nl:
                    break
                continue
            break
        return items

    def _at_stop(self, stops: tuple[str, ...]) -> bool:
        tok = self._peek()
        if tok.kind == "EOF":
            return True
        if tok.kind == "WORD" and tok.value in stops:
            return True
        return tok.kind == "OP" and tok.value in stops

    def _list(self, stops: tuple[str, ...], required: bool = True) -> CmdList:
        items = self._items(stop_nl=False, stops=stops)
        if self._is("EOF"):
            self._fail(stops[-1] if stops else None)
        if required and not items:
            self._fail()
        return CmdList(items)

    def _and_or(self) -> AndOr:
        start = self._peek().start
        first = self._pipeline()
        rest = []
        while self._is("OP", "&&") or self._is("OP", "||"):
            op = self._next().value
            self._skip_nl()
            rest.append((op, self._pipeline()))
        end = self.toks[self.i - 1].end
        return AndOr(first, rest, self.src[start:end])

    def _pipeline(self) -> Pipeline:
        negate = False
        if self._kw("!"):
            self.i += 1
            negate = True
        cmds = [self._command()]
        while self._is("OP", "|"):
            self.i += 1
            self._skip_nl()
            cmds.append(self._command())
        return Pipeline(cmds, negate)

    def _command(self) -> Any:
        self.depth += 1
        try:
            if self.depth > self.max_depth:
                raise NestingErr()
            return self._command_at_depth()
        finally:
            self.depth -= 1

    def _command_at_depth(self) -> Any:
        tok = self._peek()
        if tok.kind == "OP" and tok.value == "(":
            self.i += 1
            node: Any = Group(self._list((")",)), subshell=True)
            if not self._is("OP", ")"):
                self._fail(")")
            self.i += 1
        elif tok.kind == "WORD" and tok.value in ("if", "while", "until", "for", "case", "{"):
            node = getattr(self, "_" + {"{": "brace"}.get(tok.value, tok.value))()
        else:
            return self._simple()
        while self._is("REDIR"):
            node.redirs.append(self._redir())
        return node

    def _redir(self) -> Redir:
        tok = self._next()
        if tok.value == "<<":
            raise SyntaxErr("here-documents are not modelled")
        target = self._peek()
        if target.kind != "WORD":
            self._fail()
        self.i += 1
        return Redir(tok.fd, tok.value, target.value)

    def _simple(self) -> Simple:
        assigns: list[str] = []
        words: list[str] = []
        redirs: list[Redir] = []
        line = self._peek().line
        while True:
            tok = self._peek()
            if tok.kind == "WORD":
                if not words and tok.value in KEYWORDS:
                    if assigns or redirs:
                        break
                    self._fail()
                self.i += 1
                if not words and is_assignment(tok.value):
                    assigns.append(tok.value)
                else:
                    words.append(tok.value)
            elif tok.kind == "REDIR":
                redirs.append(self._redir())
            else:
                break
        if not (assigns or words or redirs):
            self._fail()
        return Simple(assigns, words, redirs, line)

    def _if(self) -> If:
        self.i += 1
        branches = []
        cond = self._list(("then",))
        self._expect_kw("then")
        body = self._list(("elif", "else", "fi"))
        branches.append((cond, body))
        otherwise = None
        while self._kw("elif"):
            self.i += 1
            cond = self._list(("then",))
            self._expect_kw("then")
            branches.append((cond, self._list(("elif", "else", "fi"))))
        if self._kw("else"):
            self.i += 1
            otherwise = self._list(("fi",))
        self._expect_kw("fi")
        return If(branches, otherwise)

    def _while(self, until: bool = False) -> Loop:
        self.i += 1
        cond = self._list(("do",))
        self._expect_kw("do")
        body = self._list(("done",))
        self._expect_kw("done")
        return Loop(cond, body, until)

    def _until(self) -> Loop:
        return self._while(until=True)

    def _for(self) -> For:
        self.i += 1
        name = self._next()
        if name.kind != "WORD":
            self.i -= 1
            self._fail()
        words = None
        self._skip_nl()
        if self._kw("in"):
            self.i += 1
            words = []
            while self._is("WORD"):
                words.append(self._next().value)
            if not (self._is("OP", ";") or self._is("NL")):
                self._fail()
            self.i += 1
        elif self._is("OP", ";"):
            self.i += 1
        self._skip_nl()
        self._expect_kw("do")
        body = self._list(("done",))
        self._expect_kw("done")
        return For(name.value, words, body)

    def _case(self) -> Case:
        self.i += 1
        word = self._next()
        if word.kind != "WORD":
            self.i -= 1
            self._fail()
        self._skip_nl()
        self._expect_kw("in")
        items = []
        self._skip_nl()
        while not self._kw("esac"):
            if self._is("OP", "("):
                self.i += 1
            pats = []
            while True:
                tok = self._next()
                if tok.kind != "WORD":
                    self.i -= 1
                    self._fail()
                pats.append(tok.value)
                if not self._is("OP", "|"):
                    break
                self.i += 1
            if not self._is("OP", ")"):
                self._fail(")")
            self.i += 1
            body = self._list((";;", "esac"), required=False)
            items.append((pats, body if body.items else None))
            if self._is("OP", ";;"):
                self.i += 1
            self._skip_nl()
            if self._is("EOF"):
                self._fail("esac")
        self.i += 1
        return Case(word.value, items)

    def _brace(self) -> Group:
        self.i += 1
        body = self._list(("}",))
        self._expect_kw("}")
        return Group(body, subshell=False)
