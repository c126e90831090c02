"""Redirections (POSIX 2.7): ``< > >> >| n>&m n<&m`` on the container filesystem.

``> file`` truncates (creates) the file when the redirection is made and then appends each write,
so a reader sees output as it is produced. ``/dev/null``, ``/dev/stdout``, ``/dev/stderr`` and
``/proc/1/fd/1``/``2`` (PID 1's streams: the container log) are special. Errors are ash's
(``shell/ash.c`` ``openredirect``): ``sh: can't create /x/y: nonexistent directory`` and
``sh: can't open /x: no such file``; the command's status is then 1 (``redirectsafe``).
"""

from __future__ import annotations

import posixpath
from typing import Any, Generator

from ..fs import FSError
from ..process import Stream
from .expand import expand_str
from .interp import IO, _RedirError

Gen = Generator[Any, Any, Any]


def apply_redirections(self: Any, redirs: list, io: IO) -> Gen:
    if not redirs:
        return io
    new = IO(io.stdin, io.out, io.err)
    for r in redirs:
        target = yield from expand_str(self, r.target)
        fd = r.fd if r.fd is not None else (0 if r.op in ("<", "<&") else 1)
        if r.op in (">&", "<&"):
            src = {"1": new.out, "2": new.err}.get(target)
            if src is None:
                if target == "-":
                    src = Stream()
                else:
                    self.error(f"{target}: bad file descriptor" if target.isdigit() else
                               f"{target}: ambiguous redirect", io)
                    raise _RedirError()
            if fd == 1:
                new.out = src
            elif fd == 2:
                new.err = src
            continue
        path = posixpath.join(self.cwd, target)
        if r.op == "<":
            try:
                new.stdin = _read_special(self, path)
            except FSError as e:
                self.error(f"can't open {target}: {_errmsg(e, 'no such file')}", io)
                raise _RedirError() from None
            continue
        stream = _open_out(self, path, target, append=r.op == ">>", io=io)
        if fd == 1:
            new.out = stream
        elif fd == 2:
            new.err = stream
    return new

def _read_special(self: Any, path: str) -> str:
    if path in ("/dev/null", "/dev/zero"):
        return ""
    if path == "/dev/stdin":
        return self.io.stdin
    return self.fs.read(path)

def _open_out(self: Any, path: str, target: str, append: bool, io: IO) -> Stream:
    if path == "/dev/null":
        return Stream()
    if path in ("/dev/stdout", "/proc/self/fd/1", "/proc/1/fd/1"):
        return self.proc.stdout if path == "/proc/1/fd/1" else io.out
    if path in ("/dev/stderr", "/proc/self/fd/2", "/proc/1/fd/2"):
        return self.proc.stderr if path == "/proc/1/fd/2" else io.err
    fs = self.fs
    try:
        if append and fs.exists(path):
            fs.write(path, "", append=True)
        else:
            fs.write(path, "")
    except FSError as e:
        self.error(f"can't create {target}: {_errmsg(e, 'nonexistent directory')}", io)
        raise _RedirError() from None
    return Stream(lambda text: fs.write(path, text, append=True))


def _errmsg(e: FSError, em: str) -> str:
    """shell/ash.c errmsg(): ENOENT/ENOTDIR get ash's own words, other errors strerror."""
    return em if e.errno_name in ("ENOENT", "ENOTDIR") else e.strerror_text
