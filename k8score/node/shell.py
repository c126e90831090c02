"""A shell on a node (``c.ssh(node, command)``): the commands readers type on a kubeadm node.

Modelled (bash on Ubuntu with GNU coreutils; messages as they print them):

- command lists ``a; b``, ``a && b``, ``a || b``, pipes ``a | b`` (stdout of one is stdin of the
  next), redirections ``> file``, ``>> file``, ``2>&1``, ``2>/dev/null``; quoting as ``shlex``;
  a leading ``sudo`` is dropped (the reader is root);
- ``crictl ...`` (:mod:`.crictl`), ``systemctl status|is-active kubelet``,
- the network tools (:mod:`.netcmds`, when the shell is given ``netcmds``): ``iptables-save``,
  ``iptables -L``, ``ipvsadm -Ln``, ``ipset list``, ``nft list ruleset``, ``ip addr``,
  ``ip route``, ``conntrack -L``;
  ``journalctl -u kubelet [--no-pager] [-n N]``, ``hostname``;
- files on the host: ``ls [-l] [-a] [-1]``, ``cat``, ``tee [-a]``, ``rm [-f] [-r]``,
  ``mkdir [-p]``, ``mv``, ``cp``, ``touch``, ``echo``, ``true``, ``false``;
- anything else: ``bash: foo: command not found`` (exit status 127).

Every change under a directory is reported with :meth:`Host.notify`, so the kubelet sees a
new manifest in ``/etc/kubernetes/manifests`` at once, as inotify tells it on Linux.
"""

from __future__ import annotations

import posixpath
import shlex
from typing import Any, Callable

from ..container.fs import FSError
from ..sim.clock import EPOCH
from . import journal
from .crictl import Crictl


class ShellOutput(str):
    """What the command printed (stdout then stderr), with its ``exit_code``."""

    exit_code: int = 0

    def __new__(cls, text: str, exit_code: int = 0) -> "ShellOutput":
        obj = super().__new__(cls, text)
        obj.exit_code = exit_code
        return obj


class NodeShell:
    """``NodeShell(host, runtime, kubelet=None, run_until=None)``; ``shell(command, stdin)``."""

    def __init__(self, host: Any, runtime: Any, kubelet: Any = None,
                 run_until: Callable[[Callable[[], bool], float], Any] | None = None,
                 cri_endpoint: str = "unix:///var/run/containerd/containerd.sock",
                 pause_image: str = "registry.k8s.io/pause:3.10", netcmds: Any = None):
        self.host = host
        self.runtime = runtime
        self.kubelet = kubelet
        self.cri_endpoint = cri_endpoint
        self.pause_image = pause_image
        self.run_until = run_until or (lambda pred, timeout: host.loop.run(until=host.loop.now + timeout,
                                                                          predicate=pred))
        self.crictl = Crictl(runtime, host, self.run_until)
        self.cwd = "/root"
        self._builtins: dict[str, Callable[[list[str], str], tuple[str, str, int]]] = {
            "crictl": lambda a, i: self.crictl(a, i), "systemctl": self._systemctl,
            "journalctl": self._journalctl, "hostname": lambda a, i: (self.host.name + "\n", "", 0),
            "ls": self._ls, "cat": self._cat, "tee": self._tee, "rm": self._rm, "mkdir": self._mkdir,
            "mv": self._mv, "cp": self._cp, "touch": self._touch, "echo": self._echo,
            "true": lambda a, i: ("", "", 0), "false": lambda a, i: ("", "", 1),
        }
        if netcmds is not None:
            self._builtins.update(netcmds.builtins())

    # -- the command line -------------------------------------------------------------------
    def __call__(self, command: str, stdin: str | None = None) -> ShellOutput:
        try:
            lex = shlex.shlex(command, posix=True, punctuation_chars=";&|<>")
            lex.whitespace_split = True
            tokens = list(lex)
        except ValueError as e:
            return ShellOutput(f"bash: {e}\n", 2)
        out: list[str] = []
        code, op = 0, ";"
        for seq_op, pipeline in _split_lists(tokens):
            if (op == "&&" and code != 0) or (op == "||" and code == 0):
                op = seq_op
                continue
            code = self._pipeline(pipeline, stdin or "", out)
            op = seq_op
        return ShellOutput("".join(out), code)

    def _pipeline(self, commands: list[list[str]], stdin: str, out: list[str]) -> int:
        data, code = stdin, 0
        for i, argv in enumerate(commands):
            argv, redirs = _redirections(argv)
            if argv and argv[0] == "sudo":
                argv = argv[1:]
            if not argv:
                continue
            fn = self._builtins.get(argv[0])
            if fn is None:
                stdout, stderr, code = "", f"bash: {argv[0]}: command not found\n", 127
            else:
                try:
                    stdout, stderr, code = fn(argv[1:], data)
                except FSError as e:
                    stdout, stderr, code = "", f"{argv[0]}: {e.path}: {e.strerror_text}\n", 1
            for kind, target in redirs:
                if kind == "2>&1":
                    stdout, stderr = stdout + stderr, ""
                elif kind == "2>" and target == "/dev/null":
                    stderr = ""
                elif kind in (">", ">>"):
                    try:
                        self._write(target, stdout, append=kind == ">>")
                        stdout = ""
                    except FSError as e:
                        stdout, stderr, code = "", stderr + f"bash: {target}: {e.strerror_text}\n", 1
            out.append(stderr)
            if i == len(commands) - 1:
                out.append(stdout)
            data = stdout
        return code

    # -- files ---------------------------------------------------------------------------
    def _path(self, p: str) -> str:
        return posixpath.normpath(posixpath.join(self.cwd, p))

    def _write(self, path: str, data: str, append: bool = False) -> None:
        full = self._path(path)
        if path == "/dev/null":
            return
        self.host.fs.write(full, data, append=append)
        self.host.notify(full)

    def _ls(self, args: list[str], _in: str) -> tuple[str, str, int]:
        flags = "".join(a[1:] for a in args if a.startswith("-"))
        paths = [a for a in args if not a.startswith("-")] or [self.cwd]
        fs, out, err, code = self.host.fs, [], [], 0
        for p in paths:
            full = self._path(p)
            if not fs.exists(full):
                err.append(f"ls: cannot access '{p}': No such file or directory\n")
                code = 2
                continue
            names = fs.listdir(full) if fs.isdir(full) else [p]
            if "a" in flags and fs.isdir(full):
                names = [".", ".."] + names
            if len(paths) > 1 and fs.isdir(full):
                out.append(f"{p}:\n")
            if "l" in flags:
                entries = [(n, fs.stat(posixpath.join(full, n)) if fs.isdir(full) else fs.stat(full)) for n in names]
                total = sum(-(-st["size"] // 4096) * 4 if st["type"] == "file" else 4 for _, st in entries)
                if fs.isdir(full):
                    out.append(f"total {total}\n")
                width = max((len(str(st["size"])) for _, st in entries), default=1)
                for n, st in entries:
                    kind = "d" if st["type"] == "directory" else "-"
                    out.append(f"{kind}{_mode(st['mode'])} {2 if kind == 'd' else 1} root root "
                               f"{str(st['size']).rjust(width)} {_ls_time(st['mtime'])} {n}\n")
            elif names:
                sep = "\n" if "1" in flags else "  "
                out.append(sep.join(names) + "\n")
        return "".join(out), "".join(err), code

    def _cat(self, args: list[str], stdin: str) -> tuple[str, str, int]:
        files = [a for a in args if a != "-"] if args else []
        if not files:
            return stdin, "", 0
        out, err, code = [], [], 0
        for f in files:
            try:
                out.append(self.host.fs.read(self._path(f)))
            except FSError as e:
                err.append(f"cat: {f}: {e.strerror_text}\n")
                code = 1
        return "".join(out), "".join(err), code

    def _tee(self, args: list[str], stdin: str) -> tuple[str, str, int]:
        append = any(a in ("-a", "--append") for a in args)
        err, code = [], 0
        for f in (a for a in args if not a.startswith("-")):
            try:
                self._write(f, stdin, append=append)
            except FSError as e:
                err.append(f"tee: {f}: {e.strerror_text}\n")
                code = 1
        return stdin, "".join(err), code

    def _rm(self, args: list[str], _in: str) -> tuple[str, str, int]:
        flags = "".join(a[1:] for a in args if a.startswith("-"))
        err, code = [], 0
        for f in (a for a in args if not a.startswith("-")):
            full = self._path(f)
            if not self.host.fs.exists(full):
                if "f" not in flags:
                    err.append(f"rm: cannot remove '{f}': No such file or directory\n")
                    code = 1
                continue
            if self.host.fs.isdir(full) and "r" not in flags.lower():
                err.append(f"rm: cannot remove '{f}': Is a directory\n")
                code = 1
                continue
            self.host.fs.remove(full, recursive=True)
            self.host.notify(full)
        return "", "".join(err), code

    def _mkdir(self, args: list[str], _in: str) -> tuple[str, str, int]:
        parents = "-p" in args or "--parents" in args
        err, code = [], 0
        for d in (a for a in args if not a.startswith("-")):
            try:
                self.host.fs.mkdir(self._path(d), parents=parents)
                self.host.notify(self._path(d))
            except FSError as e:
                err.append(f"mkdir: cannot create directory '{d}': {e.strerror_text}\n")
                code = 1
        return "", "".join(err), code

    def _copy(self, args: list[str], move: bool) -> tuple[str, str, int]:
        name = "mv" if move else "cp"
        paths = [a for a in args if not a.startswith("-")]
        if len(paths) < 2:
            return "", f"{name}: missing destination file operand after '{paths[0] if paths else ''}'\n", 1
        *srcs, dst = paths
        fs, err, code = self.host.fs, [], 0
        for s in srcs:
            src = self._path(s)
            if not fs.exists(src):
                verb = "stat" if move else "stat"
                err.append(f"{name}: cannot {verb} '{s}': No such file or directory\n")
                code = 1
                continue
            if fs.isdir(src):
                err.append(f"{name}: -r not specified; omitting directory '{s}'\n")
                code = 1
                continue
            target = self._path(dst)
            if fs.isdir(target):
                target = posixpath.join(target, posixpath.basename(src))
            try:
                fs.write(target, fs.read(src))
            except FSError as e:
                err.append(f"{name}: cannot create regular file '{dst}': {e.strerror_text}\n")
                code = 1
                continue
            self.host.notify(target)
            if move:
                fs.remove(src)
                self.host.notify(src)
        return "", "".join(err), code

    def _mv(self, args: list[str], _in: str) -> tuple[str, str, int]:
        return self._copy(args, move=True)

    def _cp(self, args: list[str], _in: str) -> tuple[str, str, int]:
        return self._copy(args, move=False)

    def _touch(self, args: list[str], _in: str) -> tuple[str, str, int]:
        err, code = [], 0
        for f in (a for a in args if not a.startswith("-")):
            try:
                self.host.fs.touch(self._path(f))
                self.host.notify(self._path(f))
            except FSError as e:
                err.append(f"touch: cannot touch '{f}': {e.strerror_text}\n")
                code = 1
        return "", "".join(err), code

    def _echo(self, args: list[str], _in: str) -> tuple[str, str, int]:
        newline = not (args and args[0] == "-n")
        words = args[1:] if not newline else args
        return " ".join(words) + ("\n" if newline else ""), "", 0

    # -- systemd ---------------------------------------------------------------------------
    def _kubelet_state(self) -> tuple[bool, float]:
        k = self.kubelet
        return bool(k.running), float(k.state_since)

    def _systemctl(self, args: list[str], _in: str) -> tuple[str, str, int]:
        words = [a for a in args if not a.startswith("-")]
        if not words:
            return "", "systemctl: missing command\n", 1
        verb, units = words[0], [u.removesuffix(".service") for u in words[1:]]
        active, since = self._kubelet_state()
        if verb == "is-active":
            lines = ["active" if u == "kubelet" and active else "inactive" for u in units]
            return "".join(x + "\n" for x in lines), "", 0 if all(x == "active" for x in lines) else 3
        if verb == "status":
            unit = units[0] if units else "kubelet"
            text, code = journal.systemctl_status(unit, active=active, since=since, now=self.host.loop.now,
                                                  hostname=self.host.name, journal=self.host.journal,
                                                  endpoint=self.cri_endpoint, pause=self.pause_image)
            return (text, "", code) if code != 4 else ("", text, code)
        return "", f'Unknown command verb {verb}.\n', 1

    def _journalctl(self, args: list[str], _in: str) -> tuple[str, str, int]:
        unit, lines, i = None, None, 0
        while i < len(args):
            a = args[i]
            if a in ("-u", "--unit") and i + 1 < len(args):
                unit, i = args[i + 1].removesuffix(".service"), i + 2
                continue
            if a.startswith("--unit="):
                unit = a.split("=", 1)[1].removesuffix(".service")
            elif a in ("-n", "--lines") and i + 1 < len(args):
                lines, i = int(args[i + 1]), i + 2
                continue
            elif a.startswith("-n") and a[2:].isdigit():
                lines = int(a[2:])
            i += 1
        return journal.journalctl(self.host.journal, self.host.name, unit, lines), "", 0


def _split_lists(tokens: list[str]) -> list[tuple[str, list[list[str]]]]:
    """[(operator after this pipeline, [argv, ...]), ...] for ``;``/``&&``/``||`` and ``|``."""
    out: list[tuple[str, list[list[str]]]] = []
    pipeline: list[list[str]] = [[]]
    for tok in tokens:
        if tok in (";", "&&", "||"):
            out.append((tok, pipeline))
            pipeline = [[]]
        elif tok == "|":
            pipeline.append([])
        else:
            pipeline[-1].append(tok)
    out.append((";", pipeline))
    return [(op, p) for op, p in out if any(p)]


def _redirections(argv: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    words, redirs, i = [], [], 0
    while i < len(argv):
        tok = argv[i]
        if tok in (">", ">>") and i + 1 < len(argv):
            if words and words[-1] == "2" and tok == ">":     # "2>" split by the lexer
                words.pop()
                target = argv[i + 1]
                if target == "&" and i + 2 < len(argv):      # 2>&1
                    redirs.append(("2>&1", ""))
                    i += 3
                    continue
                redirs.append(("2>", target))
            else:
                redirs.append((tok, argv[i + 1]))
            i += 2
            continue
        if tok == ">&" and words and words[-1] == "2":
            words.pop()
            redirs.append(("2>&1", ""))
            i += 2
            continue
        words.append(tok)
        i += 1
    return words, redirs


def _mode(mode: int) -> str:
    bits = "rwxrwxrwx"
    return "".join(bits[i] if mode & (1 << (8 - i)) else "-" for i in range(9))


def _ls_time(t: float) -> str:
    import datetime as _dt
    d = EPOCH + _dt.timedelta(seconds=int(t))
    return f"{d.strftime('%b')} {d.day:2d} {d.strftime('%H:%M')}"


__all__ = ["NodeShell", "ShellOutput"]
