"""A container's environment (pkg/kubelet/kubelet_pods.go ``makeEnvironmentVariables``,
pkg/kubelet/envvars/envvars.go ``FromServices``, third_party/forked/golang/expansion).

Order of precedence, as upstream: service variables are the base; ``envFrom`` sources in order
(a key a later source repeats wins; keys that are not valid variable names are skipped), then
``env`` entries in order (``value`` with ``$(VAR)`` expanded against what is defined so far,
``$$`` an escaped ``$``; ``valueFrom`` ``fieldRef``, ``resourceFieldRef``, ``configMapKeyRef``,
``secretKeyRef``). Service variables (``FOO_SERVICE_HOST``, ``FOO_SERVICE_PORT``, the Docker-link
``FOO_PORT_80_TCP...`` family) come from the Services of the pod's namespace when
``enableServiceLinks`` is true (the default) and always from the ``kubernetes`` Service of
``default`` (``KUBERNETES_SERVICE_HOST``...). Only Services with a ClusterIP count.

The returned list keeps the container's own variables first, in the order they were defined,
then the service variables sorted (upstream appends them in Go map order).

A missing ConfigMap/Secret (not ``optional``) is :class:`EnvError` — the container then waits
with ``CreateContainerConfigError`` and the message upstream gives.
"""

from __future__ import annotations

import base64
import math
import re
from typing import Any, Callable

from ..api.quantity import parse_quantity

_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")   # validation.IsEnvVarName


class EnvError(Exception):
    """Cannot build the environment: the container waits with ``CreateContainerConfigError``."""


def service_env(services: list[dict], namespace: str, enable_links: bool = True) -> dict[str, str]:
    """envvars.FromServices over the Services visible to a pod in ``namespace``."""
    chosen: dict[str, dict] = {}
    for svc in services:
        meta = svc.get("metadata") or {}
        ns, name = meta.get("namespace"), meta.get("name")
        if ns == "default" and name == "kubernetes":
            chosen.setdefault(name, svc)    # the master service is always visible
        elif ns == namespace and enable_links:
            chosen[name] = svc
    out: dict[str, str] = {}
    for name in sorted(chosen):
        spec = chosen[name].get("spec") or {}
        ip = spec.get("clusterIP")
        ports = spec.get("ports") or []
        if not ip or ip == "None" or not ports:
            continue
        prefix = name.upper().replace("-", "_")
        out[f"{prefix}_SERVICE_HOST"] = ip
        out[f"{prefix}_SERVICE_PORT"] = str(ports[0].get("port"))
        for p in ports:
            if p.get("name"):
                out[f"{prefix}_SERVICE_PORT_{p['name'].upper().replace('-', '_')}"] = str(p.get("port"))
        first = ports[0]
        out[f"{prefix}_PORT"] = f"{(first.get('protocol') or 'TCP').lower()}://{ip}:{first.get('port')}"
        for p in ports:
            proto = (p.get("protocol") or "TCP")
            base = f"{prefix}_PORT_{p.get('port')}_{proto.upper()}"
            out[base] = f"{proto.lower()}://{ip}:{p.get('port')}"
            out[base + "_PROTO"] = proto.lower()
            out[base + "_PORT"] = str(p.get("port"))
            out[base + "_ADDR"] = ip
    return out


def expand(text: str, env: dict[str, str]) -> str:
    """``$(VAR)`` -> its value when defined (left as is otherwise); ``$$`` -> ``$``."""
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "$" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt == "(":
                end = text.find(")", i + 2)
                if end != -1:
                    name = text[i + 2:end]
                    out.append(env[name] if name in env else text[i:end + 1])
                    i = end + 1
                    continue
        out.append(ch)
        i += 1
    return "".join(out)


def _field(pod: dict, path: str, host_ip: str, pod_ip: str | None) -> str:
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    m = re.match(r"^metadata\.(labels|annotations)\['(.+)'\]$", path)
    if m:
        return str((meta.get(m.group(1)) or {}).get(m.group(2), ""))
    simple = {"metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace"),
              "metadata.uid": meta.get("uid"), "spec.nodeName": spec.get("nodeName"),
              "spec.serviceAccountName": spec.get("serviceAccountName"), "status.hostIP": host_ip,
              "status.hostIPs": host_ip, "status.podIP": pod_ip or "", "status.podIPs": pod_ip or ""}
    if path in simple:
        return str(simple[path] or "")
    if path in ("metadata.labels", "metadata.annotations"):
        return "\n".join(f'{k}="{v}"' for k, v in sorted((meta.get(path.split(".")[1]) or {}).items()))
    raise EnvError(f"unsupported fieldPath: {path}")


def resource_value(container: dict, ref: dict, allocatable: dict[str, str]) -> str:
    """pkg/api/v1/resource ExtractContainerResourceValue: limits default to node allocatable;
    the value is divided by ``divisor`` (default 1) and rounded up."""
    res = ref.get("resource", "")
    kind, _, name = res.partition(".")
    section = (container.get("resources") or {}).get(kind) or {}
    raw = section.get(name)
    if raw is None and kind == "limits":
        raw = allocatable.get(name)
    if raw is None and kind == "requests":
        raw = ((container.get("resources") or {}).get("limits") or {}).get(name, "0")
    value = parse_quantity(str(raw if raw is not None else "0")).value
    divisor = parse_quantity(str(ref.get("divisor") or "1")).value
    return str(math.ceil(value / divisor))


Getter = Callable[[str, str], dict | None]   # (kind "configmaps"|"secrets", name) -> object or None


def _source_data(obj: dict, kind: str) -> dict[str, str]:
    data = dict(obj.get("data") or {})
    if kind == "secrets":
        data = {k: base64.b64decode(v).decode("utf-8", "replace") for k, v in data.items()}
        data.update(obj.get("stringData") or {})
    else:
        data.update({k: v for k, v in (obj.get("binaryData") or {}).items() if k not in data})
    return data


def container_env(pod: dict, container: dict, *, services: list[dict], get: Getter, host_ip: str,
                  pod_ip: str | None, allocatable: dict[str, str] | None = None) -> list[dict[str, str]]:
    """The CRI ``envs`` list ``[{key, value}]`` for ``container`` (raises :class:`EnvError`)."""
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    ns = meta.get("namespace", "default")
    links = spec.get("enableServiceLinks")
    svc_env = service_env(services, ns, links is None or bool(links))
    own: dict[str, str] = {}
    for src in container.get("envFrom") or ():
        for kind, key in (("configmaps", "configMapRef"), ("secrets", "secretRef")):
            ref = src.get(key)
            if not ref:
                continue
            obj = get(kind, ref.get("name", ""))
            if obj is None:
                if ref.get("optional"):
                    continue
                raise EnvError(f'{"configmap" if kind == "configmaps" else "secret"} "{ref.get("name")}" not found')
            for k, v in _source_data(obj, kind).items():
                name = (src.get("prefix") or "") + k
                if _NAME.match(name):
                    own[name] = v
    for e in container.get("env") or ():
        name, vf = e.get("name", ""), e.get("valueFrom")
        if vf is None:
            own[name] = expand(str(e.get("value") or ""), {**svc_env, **own})
            continue
        if vf.get("fieldRef"):
            own[name] = _field(pod, vf["fieldRef"].get("fieldPath", ""), host_ip, pod_ip)
        elif vf.get("resourceFieldRef"):
            own[name] = resource_value(container, vf["resourceFieldRef"], allocatable or {})
        else:
            kind, key = ("configmaps", "configMapKeyRef") if vf.get("configMapKeyRef") else ("secrets", "secretKeyRef")
            ref = vf.get(key) or {}
            obj = get(kind, ref.get("name", ""))
            label = "ConfigMap" if kind == "configmaps" else "Secret"
            if obj is None:
                if ref.get("optional"):
                    continue
                raise EnvError(f'{label.lower()} "{ref.get("name")}" not found')
            data = _source_data(obj, kind)
            if ref.get("key") not in data:
                if ref.get("optional"):
                    continue
                raise EnvError(f"couldn't find key {ref.get('key')} in {label} {ns}/{ref.get('name')}")
            own[name] = data[ref["key"]]
    out = [{"key": k, "value": v} for k, v in own.items()]
    out += [{"key": k, "value": v} for k, v in sorted(svc_env.items()) if k not in own]
    return out


def expand_command(container: dict, envs: list[dict[str, str]]) -> tuple[list[str] | None, list[str] | None]:
    """ExpandContainerCommandAndArgs: ``$(VAR)`` in ``command`` and ``args``."""
    env = {e["key"]: e["value"] for e in envs}
    cmd, args = container.get("command"), container.get("args")
    return ([expand(str(c), env) for c in cmd] if cmd else cmd,
            [expand(str(a), env) for a in args] if args else args)


__all__ = ["EnvError", "service_env", "container_env", "expand", "expand_command", "resource_value"]
_ = Any
