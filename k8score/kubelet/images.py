"""Image references as container runtimes see them (github.com/distribution/reference).

``nginx:1.14.2`` is short for ``docker.io/library/nginx:1.14.2``; a reference without a
tag or digest means ``:latest``. Digests and sizes are invented but stable: they are
derived from the reference (sha256), never from the run, so a seed replays exactly. A
few common images carry their real compressed size.

>>> normalize("nginx:1.14.2")
'docker.io/library/nginx:1.14.2'
>>> normalize("registry.k8s.io/pause:3.10")
'registry.k8s.io/pause:3.10'
>>> is_valid("Nginx")
False
>>> image_size("nginx:1.14.2")
44710204
"""

from __future__ import annotations

import hashlib
import re

# distribution/reference grammar, simplified: lowercase path components, optional
# registry host[:port], optional :tag and/or @sha256:digest.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?)"
_REFERENCE = re.compile(
    rf"^(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*(?::[\w][\w.-]{{0,127}})?(?:@sha256:[0-9a-f]{{64}})?$")

#: Real compressed sizes of a few images pages use (bytes, as ``Image size:`` reports them).
KNOWN_SIZES = {
    "docker.io/library/nginx:1.14.2": 44710204,
    "registry.k8s.io/pause:3.10": 320368,
}


def is_valid(image: str) -> bool:
    return bool(image) and bool(_REFERENCE.match(image))


def _split_domain(name: str) -> tuple[str, str]:
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return "docker.io", (name if "/" in name else f"library/{name}")


def normalize(image: str) -> str:
    """Fully qualified reference with a tag (or digest)."""
    name, digest = image, ""
    if "@" in image:
        name, digest = image.split("@", 1)
    last = name.rsplit("/", 1)[-1]
    tag = ""
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    domain, path = _split_domain(name)
    ref = f"{domain}/{path}"
    if tag:
        ref += f":{tag}"
    if digest:
        ref += f"@{digest}"
    elif not tag:
        ref += ":latest"
    return ref


def repository(image: str) -> str:
    ref = normalize(image).split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return ref.rsplit(":", 1)[0] if ":" in last else ref


def _hex(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def image_id(image: str) -> str:
    """The image config digest (``crictl images`` IMAGE ID)."""
    return f"sha256:{_hex('config', normalize(image))}"


def repo_digest(image: str) -> str:
    """``docker.io/library/nginx@sha256:...`` — what ``containerStatuses[].imageID`` shows."""
    return f"{repository(image)}@sha256:{_hex('manifest', normalize(image))}"


def image_size(image: str) -> int:
    ref = normalize(image)
    if ref in KNOWN_SIZES:
        return KNOWN_SIZES[ref]
    return 2_000_000 + int(_hex("size", ref)[:8], 16) % 120_000_000


def default_pull_policy(image: str) -> str:
    """pkg/apis/core/v1/defaults.go: Always for ``:latest`` or no tag, else IfNotPresent."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    if ":" not in last or last.rsplit(":", 1)[1] == "latest":
        return "Always"
    return "IfNotPresent"
