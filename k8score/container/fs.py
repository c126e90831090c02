"""A container's filesystem: the image's files at ``/`` plus volumes mounted over directories.

A :class:`Volume` is a directory tree that can be mounted into several containers at once
(an ``emptyDir`` shared by two containers of a pod is *one* Volume mounted twice, so what one
writes the other reads). A single file can be bind-mounted too (:meth:`FileSystem.mount_file`,
a ``hostPath`` volume of ``type: FileOrCreate`` such as kubeadm's kubeconfig files): the
container and the host share the one :class:`File`. ``readonly`` mounts refuse writes with ``EROFS`` as the kernel does
(configMap, secret, downwardAPI and projected volumes are always read-only).

Errors are :class:`FSError` carrying the errno name and the C library's message, so
commands print what busybox prints (``cat: can't open '/tmp/x': No such file or directory``).

>>> fs = FileSystem({"/etc/hostname": "web\\n"})
>>> shared = Volume()
>>> fs.mount("/cache", shared)
>>> fs.write("/cache/a", "1")
>>> other = FileSystem(); other.mount("/data", shared); other.read("/data/a")
'1'
>>> try: fs.read("/nope")
... except FSError as e: print(e)
[ENOENT] No such file or directory: /nope
"""

from __future__ import annotations

import posixpath
from sys import intern
from typing import Callable, Iterator

#: errno names -> strerror(3) texts (glibc/musl agree on these).
STRERROR = {
    "ENOENT": "No such file or directory",
    "EEXIST": "File exists",
    "ENOTDIR": "Not a directory",
    "EISDIR": "Is a directory",
    "ENOTEMPTY": "Directory not empty",
    "EROFS": "Read-only file system",
    "EACCES": "Permission denied",
    "EINVAL": "Invalid argument",
    "EBUSY": "Device or resource busy",
}


class FSError(OSError):
    def __init__(self, errno_name: str, path: str):
        self.errno_name = errno_name
        self.strerror_text = STRERROR[errno_name]
        self.path = path
        super().__init__(f"[{errno_name}] {self.strerror_text}: {path}")

    def __str__(self) -> str:
        return f"[{self.errno_name}] {self.strerror_text}: {self.path}"


class File:
    """A regular file. Appends are O(length appended): appended text is kept as chunks and
    joined once when read (a container log grows line by line). Most files are never
    appended to and hold just their text (no chunk list: one per file of every container's
    image adds up)."""

    __slots__ = ("_text", "_more", "mtime", "mode")

    def __init__(self, data: str = "", mtime: float = 0.0, mode: int = 0o644):
        self._text = data
        self._more: list[str] | None = None
        self.mtime = mtime
        self.mode = mode

    @property
    def data(self) -> str:
        if self._more is not None:
            self._text = "".join([self._text, *self._more])
            self._more = None
        return self._text

    @data.setter
    def data(self, value: str) -> None:
        self._text = value
        self._more = None

    def append(self, text: str) -> None:
        if text:
            if self._more is None:
                self._more = [text]
            else:
                self._more.append(text)


class Dir:
    __slots__ = ("entries", "mtime", "mode")

    def __init__(self, mtime: float = 0.0, mode: int = 0o755):
        self.entries: dict[str, File | Dir] = {}
        self.mtime = mtime
        self.mode = mode


class Volume:
    """A directory tree that outlives the containers it is mounted in (emptyDir, hostPath...)."""

    def __init__(self, files: dict[str, str] | None = None, *, name: str = ""):
        self.name = name
        self.root = Dir()
        for path, data in (files or {}).items():
            _put(self.root, _parts(path), data, 0.0, parents=True)

    def files(self) -> dict[str, str]:
        """Every regular file as ``{"/relative/path": data}`` (sorted by path)."""
        out: dict[str, str] = {}
        for path, node in _walk(self.root, "/"):
            if isinstance(node, File):
                out[path] = node.data
        return out


class FileSystem:
    """The view one container has. ``clock()`` stamps modification times (virtual seconds)."""

    def __init__(self, files: dict[str, str] | None = None, *, clock: Callable[[], float] | None = None):
        self.rootfs = Volume(files)
        self.mounts: dict[str, tuple[Volume, bool]] = {}   # "/path" -> (volume, readonly)
        self.file_mounts: dict[str, tuple[File, bool]] = {}   # "/path/file" -> (file, readonly)
        self.clock = clock or (lambda: 0.0)
        for d in ("/tmp", "/etc", "/proc", "/dev", "/var", "/root"):
            _put_dir(self.rootfs.root, _parts(d))

    # -- mounts -------------------------------------------------------------------
    def mount(self, path: str, volume: Volume, readonly: bool = False) -> None:
        path = posixpath.normpath("/" + path.lstrip("/"))
        self.mounts[path] = (volume, readonly)
        if path != "/":
            _put_dir(self.rootfs.root, _parts(path))   # the mount point exists in the image

    def mount_file(self, path: str, file: File, readonly: bool = False) -> None:
        """Bind-mount one file at ``path`` (its parent directory is created in the image)."""
        path = posixpath.normpath("/" + path.lstrip("/"))
        _put_dir(self.rootfs.root, _parts(posixpath.dirname(path)))
        self.file_mounts[path] = (file, readonly)

    def file_at(self, path: str) -> File:
        """The regular file at ``path`` (created empty if missing), to bind-mount elsewhere."""
        if not self.exists(path):
            self.write(path, "")
        node = self._node(path)
        if not isinstance(node, File):
            raise FSError("EISDIR", path)
        return node

    def _file_mount(self, path: str) -> tuple[File, bool, str] | None:
        norm = posixpath.normpath("/" + (path or "").lstrip("/"))
        if norm.startswith("//"):
            norm = norm[1:]
        hit = self.file_mounts.get(norm)
        return (hit[0], hit[1], norm) if hit is not None else None

    def _resolve(self, path: str) -> tuple[Dir, list[str], bool, str]:
        """(root dir of the volume holding ``path``, path parts inside it, readonly, normalized path)."""
        norm = posixpath.normpath("/" + (path or "").lstrip("/")) if path else "/"
        if norm.startswith("//"):
            norm = norm[1:]
        best = ""
        for m in self.mounts:
            if (norm == m or norm.startswith(m.rstrip("/") + "/")) and len(m) > len(best):
                best = m
        if best:
            vol, ro = self.mounts[best]
            rest = norm[len(best.rstrip("/")):]
            return vol.root, _parts(rest), ro, norm
        return self.rootfs.root, _parts(norm), False, norm

    def _node(self, path: str) -> File | Dir:
        fm = self._file_mount(path)
        if fm is not None:
            return fm[0]
        root, parts, _ro, norm = self._resolve(path)
        return _walk_to(root, parts, norm)

    def volume_at(self, path: str) -> Volume:
        """The directory at ``path`` (created if missing) as a :class:`Volume` sharing its files:
        a bind mount of a host directory (kubelet volume dirs, hostPath)."""
        self.mkdir(path, parents=True)
        node = self._node(path)
        vol = Volume(name=path)
        vol.root = node  # type: ignore[assignment]
        return vol

    # -- queries ------------------------------------------------------------------
    def exists(self, path: str) -> bool:
        try:
            self._node(path)
            return True
        except FSError:
            return False

    def isdir(self, path: str) -> bool:
        try:
            return isinstance(self._node(path), Dir)
        except FSError:
            return False

    def isfile(self, path: str) -> bool:
        try:
            return isinstance(self._node(path), File)
        except FSError:
            return False

    def read(self, path: str) -> str:
        node = self._node(path)
        if isinstance(node, Dir):
            raise FSError("EISDIR", path)
        return node.data

    def listdir(self, path: str) -> list[str]:
        node = self._node(path)
        if not isinstance(node, Dir):
            raise FSError("ENOTDIR", path)
        names = set(node.entries)
        norm = self._resolve(path)[3].rstrip("/") + "/"
        for m in (*self.mounts, *self.file_mounts):   # mount points show up in their parent directory
            if m.startswith(norm) and m != norm.rstrip("/") and "/" not in m[len(norm):]:
                names.add(m[len(norm):])
        return sorted(names)

    def stat(self, path: str) -> dict:
        node = self._node(path)
        if isinstance(node, Dir):
            return {"type": "directory", "size": 4096, "mtime": node.mtime, "mode": node.mode}
        return {"type": "file", "size": len(node.data.encode()), "mtime": node.mtime, "mode": node.mode}

    # -- changes ------------------------------------------------------------------
    def write(self, path: str, data: str, append: bool = False) -> None:
        fm = self._file_mount(path)
        if fm is not None:
            file, ro, norm = fm
            if ro:
                raise FSError("EROFS", norm)
            if append:
                file.append(data)
            else:
                file.data = data
            file.mtime = self.clock()
            return
        root, parts, ro, norm = self._resolve(path)
        if ro:
            raise FSError("EROFS", norm)
        if not parts:
            raise FSError("EISDIR", norm)
        parent = _dir_at(root, parts[:-1], norm)
        node = parent.entries.get(parts[-1])
        if isinstance(node, Dir):
            raise FSError("EISDIR", norm)
        now = self.clock()
        if node is None:
            parent.entries[parts[-1]] = File(data, now)
        else:
            if append:
                node.append(data)
            else:
                node.data = data
            node.mtime = now

    def touch(self, path: str) -> None:
        fm = self._file_mount(path)
        if fm is not None:
            if fm[1]:
                raise FSError("EROFS", fm[2])
            fm[0].mtime = self.clock()
            return
        if self.exists(path):
            root, parts, ro, norm = self._resolve(path)
            if ro:
                raise FSError("EROFS", norm)
            self._node(path).mtime = self.clock()
        else:
            self.write(path, "")

    def mkdir(self, path: str, parents: bool = False) -> None:
        root, parts, ro, norm = self._resolve(path)
        if ro:
            raise FSError("EROFS", norm)
        if not parts:
            if parents:
                return
            raise FSError("EEXIST", norm)
        if parents:
            node: Dir = root
            for p in parts:
                nxt = node.entries.get(p)
                if nxt is None:
                    nxt = node.entries[p] = Dir(self.clock())
                elif not isinstance(nxt, Dir):
                    raise FSError("ENOTDIR", norm)
                node = nxt
            return
        parent = _dir_at(root, parts[:-1], norm)
        if parts[-1] in parent.entries:
            raise FSError("EEXIST", norm)
        parent.entries[parts[-1]] = Dir(self.clock())

    def rename(self, src: str, dst: str) -> None:
        """``rename(2)`` within one volume: ``dst`` is replaced; across volumes ``EXDEV`` is not
        modelled (the file is moved)."""
        sroot, sparts, sro, snorm = self._resolve(src)
        droot, dparts, dro, dnorm = self._resolve(dst)
        if sro or dro:
            raise FSError("EROFS", snorm if sro else dnorm)
        if not sparts or not dparts:
            raise FSError("EINVAL", snorm)
        sparent = _dir_at(sroot, sparts[:-1], snorm)
        node = sparent.entries.get(sparts[-1])
        if node is None:
            raise FSError("ENOENT", snorm)
        dparent = _dir_at(droot, dparts[:-1], dnorm)
        if isinstance(dparent.entries.get(dparts[-1]), Dir):
            raise FSError("EISDIR", dnorm)
        del sparent.entries[sparts[-1]]
        dparent.entries[dparts[-1]] = node

    def remove(self, path: str, recursive: bool = False) -> None:
        fm = self._file_mount(path)
        if fm is not None:
            raise FSError("EBUSY", fm[2])   # a mount point cannot be unlinked
        root, parts, ro, norm = self._resolve(path)
        if ro:
            raise FSError("EROFS", norm)
        if not parts:
            raise FSError("EINVAL", norm)   # cannot remove a mount point's root
        parent = _dir_at(root, parts[:-1], norm)
        node = parent.entries.get(parts[-1])
        if node is None:
            raise FSError("ENOENT", norm)
        if isinstance(node, Dir) and node.entries and not recursive:
            raise FSError("ENOTEMPTY", norm)
        del parent.entries[parts[-1]]


def _parts(path: str) -> list[str]:
    # interned: the names become directory entries, and every container of an image has
    # the same ones (one string each, not one per container)
    return [intern(p) for p in posixpath.normpath("/" + path.lstrip("/")).split("/") if p]


def _walk_to(root: Dir, parts: list[str], norm: str) -> File | Dir:
    """The node at ``parts`` below ``root`` (path resolution: ENOTDIR, ENOENT as the kernel)."""
    node: File | Dir = root
    for p in parts:
        if not isinstance(node, Dir):
            raise FSError("ENOTDIR", norm)
        nxt = node.entries.get(p)
        if nxt is None:
            raise FSError("ENOENT", norm)
        node = nxt
    return node


def _dir_at(root: Dir, parts: list[str], norm: str) -> Dir:
    node = _walk_to(root, parts, norm)
    if not isinstance(node, Dir):
        raise FSError("ENOTDIR", norm)
    return node


def _put_dir(root: Dir, parts: list[str]) -> Dir:
    node = root
    for p in parts:
        nxt = node.entries.get(p)
        if not isinstance(nxt, Dir):
            nxt = node.entries[p] = Dir()
        node = nxt
    return node


def _put(root: Dir, parts: list[str], data: str, mtime: float, parents: bool) -> None:
    parent = _put_dir(root, parts[:-1]) if parents else _dir_at(root, parts[:-1], "/".join(parts))
    parent.entries[parts[-1]] = File(data, mtime)


def _walk(node: Dir, prefix: str) -> Iterator[tuple[str, File | Dir]]:
    for name in sorted(node.entries):
        child = node.entries[name]
        path = posixpath.join(prefix, name)
        yield path, child
        if isinstance(child, Dir):
            yield from _walk(child, path)


__all__ = ["FileSystem", "Volume", "FSError", "STRERROR"]
