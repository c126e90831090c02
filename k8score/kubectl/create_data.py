"""``kubectl create secret generic|tls|docker-registry`` and ``kubectl create configmap``.

Upstream: staging/src/k8s.io/kubectl/pkg/cmd/create/create_secret.go, create_secret_tls.go,
create_secret_docker.go, create_configmap.go; pkg/util/util.go (``ParseLiteralSource``,
``ParseFileSource``), pkg/cmd/util/env_file.go (``AddFromEnvFile``), pkg/util/hash/hash.go
(``--append-hash``).

Files (``--from-file``, ``--from-env-file``, ``--cert``, ``--key``) are read from the local
filesystem, as ``create -f`` reads manifests (in Pyodide: its in-memory filesystem).
Secret sources are added literals, then files, then env files; ConfigMap sources files, then
literals, then env files (each Run's order). A key seen twice is an error.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from typing import TYPE_CHECKING

from .args import Args, CommandError
from .create_common import array_flag, emit, last, meta, name_arg, namespace, slice_flag

if TYPE_CHECKING:
    from .kubectl import Kubectl

#: create_secret_docker.go NewSecretDockerRegistryOptions: the default --docker-server
DOCKER_HUB = "https://index.docker.io/v1/"
# apimachinery validation IsConfigMapKey / IsEnvVarName
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_CONFIG_KEY_MSG = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
                   "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_ENV_NAME_MSG = ("a valid environment variable name must consist of alphabetic characters, digits, '_', "
                 "'-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or "
                 "'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')")


def config_key_errors(key: str) -> list[str]:
    """validation.IsConfigMapKey."""
    errs = []
    if len(key) > 253:
        errs.append("must be no more than 253 characters")
    if not _CONFIG_KEY.match(key):
        errs.append(_CONFIG_KEY_MSG)
    if key == ".":
        errs.append("must not be '.'")
    elif key == "..":
        errs.append("must not be '..'")
    elif key.startswith(".."):
        errs.append("must not start with '..'")
    return errs


def parse_literal(source: str) -> tuple[str, str]:
    """util.ParseLiteralSource: ``key=value`` (the value may hold '=')."""
    key, eq, value = source.partition("=")
    if not eq or not key:
        raise CommandError(f"error: invalid literal source {source}, expected key=value")
    return key, value


def parse_file_source(source: str) -> tuple[str, str]:
    """util.ParseFileSource: ``path`` (key: its basename) or ``key=path``."""
    n = source.count("=")
    if n == 0:
        return source.rstrip("/").rsplit("/", 1)[-1] or "/", source
    if n == 1 and source.startswith("="):
        raise CommandError(f"error: key name for file path {source[1:]} missing")
    if n == 1 and source.endswith("="):
        raise CommandError(f"error: file path for key name {source[:-1]} missing")
    if n > 1:
        raise CommandError("error: key names or file paths cannot contain '='")
    key, path = source.split("=")
    return key, path


def _stat(path: str) -> bool:
    """os.Stat: True for a directory; a missing path is ``error reading <path>: <errno text>``."""
    try:
        return os.path.isdir(path) if os.path.exists(path) else _missing(path)
    except OSError:
        return _missing(path)


def _missing(path: str) -> bool:
    raise CommandError(f"error: error reading {path}: no such file or directory")


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _file_sources(sources: list[str], add) -> None:
    """handle*FromFileSources: a file is one key; a directory, one key per regular file."""
    for source in sources:
        key, path = parse_file_source(source)
        if _stat(path):
            if "=" in source:
                raise CommandError("error: cannot give a key name for a directory path")
            # os.ReadDir: entries sorted by name; only regular files count
            for entry in sorted(os.listdir(path)):
                item = os.path.join(path, entry)
                if os.path.isfile(item) and not os.path.islink(item):
                    add(entry, _read(item))
        else:
            add(key, _read(path))


def _env_sources(sources: list[str], add, what: str) -> None:
    """env_file.go AddFromEnvFile: ``KEY=value`` lines; ``#`` comments and blanks skipped, leading
    blanks trimmed; a bare ``KEY`` takes the value from kubectl's environment (none here)."""
    for path in sources:
        if _stat(path):
            raise CommandError(f"error: env {what} file cannot be a directory")
        data = _read(path)
        for i, raw in enumerate(data.split(b"\n")):
            if i == 0 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            raw = raw[:-1] if raw.endswith(b"\r") else raw   # bufio.ScanLines drops a \r
            try:
                line = raw.decode("utf-8").lstrip()
            except UnicodeDecodeError:
                raise CommandError(f"error: env file {path} contains invalid utf8 bytes at line {i + 1}: "
                                   f"{list(raw)}") from None
            if not line or line.startswith("#"):
                continue
            key, eq, value = line.partition("=")
            if not _ENV_NAME.match(key):
                raise CommandError(f'error: {json.dumps(key)} is not a valid key name: {_ENV_NAME_MSG}')
            add(key, value.encode("utf-8"))


def _hash(fields: dict) -> str:
    """hash.go encodeHash(sha256(json)): the first 10 hex digits with 0 1 3 a e -> g h k m t."""
    text = json.dumps(fields, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    return digest.translate(str.maketrans("013ae", "ghkmt"))


# -- secrets -----------------------------------------------------------------------------------
def _secret(name: str, ns: str, kind: str) -> dict:
    # newSecretObj: Data is an empty map (omitempty drops it when nothing is added)
    return {"kind": "Secret", "apiVersion": "v1", "metadata": meta(name, ns), "data": {}, "type": kind}


def _secret_adder(secret: dict):
    def add(key: str, value: bytes) -> None:
        errs = config_key_errors(key)
        if errs:
            raise CommandError(f'error: {json.dumps(key)} is not valid key name for a Secret {";".join(errs)}')
        if key in secret["data"]:
            raise CommandError(f"error: cannot add key {key}, another key by that name already exists")
        secret["data"][key] = base64.b64encode(value).decode("ascii")
    return add


def _finish_secret(k: "Kubectl", args: Args, secret: dict, ns: str) -> None:
    if args.get("append-hash"):
        fields = {"kind": "Secret", "type": secret["type"], "name": secret["metadata"]["name"],
                  "data": secret["data"]}
        secret["metadata"]["name"] += "-" + _hash(fields)
    secret["data"] = dict(sorted(secret["data"].items()))   # a Go map: json.Marshal sorts its keys
    if not secret["data"]:
        del secret["data"]
    if not secret["type"]:
        del secret["type"]
    emit(k, args, k.resource("secrets"), secret, ns, "failed to create secret ")


def secret(k: "Kubectl", args: Args) -> None:
    """``kubectl create secret SUBCOMMAND``."""
    from .create_help import SECRET, sub_help
    sub = args.args[1] if len(args.args) > 1 else ""
    run = {"generic": _generic, "tls": _tls, "docker-registry": _docker}.get(sub)
    if run is None:
        sub_help(k, args, SECRET, 1)
        return
    run(k, args)


def _generic(k: "Kubectl", args: Args) -> None:
    name = name_arg(args, 2, "create secret generic")
    literals, files = array_flag(args, "from-literal"), slice_flag(args, "from-file")
    envs = slice_flag(args, "from-env-file")
    if envs and (files or literals):
        raise CommandError("error: from-env-file cannot be combined with from-file or from-literal")
    ns, enforced = namespace(k, args)
    secret = _secret(name, ns if enforced else "", last(args, "type"))
    add = _secret_adder(secret)
    for source in literals:
        key, value = parse_literal(source)
        add(key, value.encode("utf-8"))
    _file_sources(files, add)
    _env_sources(envs, add, "secret")
    _finish_secret(k, args, secret, ns)


def _tls(k: "Kubectl", args: Args) -> None:
    name = name_arg(args, 2, "create secret tls")
    cert, key = last(args, "cert"), last(args, "key")
    if not cert or not key:
        raise CommandError("error: key and cert must be specified")
    ns, enforced = namespace(k, args)
    pem_cert, pem_key = _read_tls(cert), _read_tls(key)
    from .create_tls import check_key_pair
    check_key_pair(pem_cert, pem_key)
    secret = _secret(name, ns if enforced else "", "kubernetes.io/tls")
    # corev1.TLSCertKey, TLSPrivateKeyKey
    secret["data"]["tls.crt"] = base64.b64encode(pem_cert).decode("ascii")
    secret["data"]["tls.key"] = base64.b64encode(pem_key).decode("ascii")
    _finish_secret(k, args, secret, ns)


def _read_tls(path: str) -> bytes:
    try:
        return _read(path)
    except OSError as e:
        # create_secret_tls.go readFile: "Cannot read file <f>, open <f>: <errno text>"
        text = "no such file or directory" if isinstance(e, FileNotFoundError) else str(e.strerror).lower()
        raise CommandError(f"error: Cannot read file {path}, open {path}: {text}") from None


def _docker(k: "Kubectl", args: Args) -> None:
    name = name_arg(args, 2, "create secret docker-registry")
    files = slice_flag(args, "from-file")
    user, password = last(args, "docker-username"), last(args, "docker-password")
    server, email = last(args, "docker-server", DOCKER_HUB), last(args, "docker-email")
    if not files and (not user or not password or not server):
        raise CommandError("error: either --from-file or the combination of --docker-username, "
                           "--docker-password and --docker-server is required")
    ns, enforced = namespace(k, args)
    secret = _secret(name, ns if enforced else "", "kubernetes.io/dockerconfigjson")
    if files:
        _file_sources(files, _secret_adder(secret))
    else:
        # DockerConfigJSON{Auths: {server: DockerConfigEntry}}: json.Marshal, omitempty fields
        entry = {"username": user, "password": password, "email": email,
                 "auth": base64.b64encode(f"{user}:{password}".encode()).decode("ascii")}
        config = {"auths": {server: {key: v for key, v in entry.items() if v}}}
        text = json.dumps(config, separators=(",", ":"), ensure_ascii=False)
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        secret["data"][".dockerconfigjson"] = base64.b64encode(text.encode("utf-8")).decode("ascii")
    _finish_secret(k, args, secret, ns)


# -- configmaps ----------------------------------------------------------------------------------
def configmap(k: "Kubectl", args: Args) -> None:
    """``kubectl create configmap NAME [--from-file] [--from-literal] [--from-env-file]``."""
    name = name_arg(args, 1, "create configmap")
    literals, files = array_flag(args, "from-literal"), slice_flag(args, "from-file")
    envs = slice_flag(args, "from-env-file")
    if envs and (files or literals):
        raise CommandError("error: from-env-file cannot be combined with from-file or from-literal")
    ns, enforced = namespace(k, args)
    cm = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": meta(name, ns if enforced else ""),
          "data": {}, "binaryData": {}}

    def check(key: str) -> None:
        errs = config_key_errors(key)
        if errs:
            raise CommandError(f'error: {json.dumps(key)} is not a valid key name for a ConfigMap: {",".join(errs)}')
        for part, label in (("data", "Data"), ("binaryData", "BinaryData")):
            if key in cm[part]:
                raise CommandError(f'error: cannot add key {json.dumps(key)}, another key by that name already '
                                   f'exists in {label} for ConfigMap {json.dumps(name)}')

    def add(key: str, value: bytes) -> None:
        check(key)
        try:   # valid UTF-8 goes to data, anything else to binaryData
            cm["data"][key] = value.decode("utf-8")
        except UnicodeDecodeError:
            cm["binaryData"][key] = base64.b64encode(value).decode("ascii")

    _file_sources(files, add)
    for source in literals:
        key, value = parse_literal(source)
        check(key)
        cm["data"][key] = value
    _env_sources(envs, add, "config")
    if args.get("append-hash"):
        fields = {"kind": "ConfigMap", "name": name, "data": cm["data"]}
        if cm["binaryData"]:
            fields["binaryData"] = cm["binaryData"]
        cm["metadata"]["name"] += "-" + _hash(fields)
    for part in ("data", "binaryData"):
        cm[part] = dict(sorted(cm[part].items()))
        if not cm[part]:
            del cm[part]
    emit(k, args, k.resource("configmaps"), cm, ns, "failed to create configmap: ")


__all__ = ["DOCKER_HUB", "config_key_errors", "parse_literal", "parse_file_source", "secret", "configmap"]
