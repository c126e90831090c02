"""``pods/log`` and ``pods/exec``: the API server reaching a node's kubelet.

Upstream: pkg/registry/core/pod/rest/log.go (LogREST), pkg/registry/core/pod/rest/subresources.go
(ExecREST), pkg/registry/core/pod/strategy.go (``LogLocation``, ``ExecLocation``,
``validateContainer``), pkg/apis/core/validation ``ValidatePodLogOptions``,
staging/src/k8s.io/apiserver/pkg/registry/generic/rest/response_checker.go (how a kubelet error
becomes a Status).

Both go through the whole pipeline first, so RBAC decides like upstream:
``get pods/log`` (a GET) and ``create pods/exec`` (kubectl POSTs the exec upgrade).

How the API server finds a kubelet: ``api.kubelets`` is a :class:`KubeletConnections` — node
name -> the node's kubelet server (:class:`KubeletConnection`, implemented by
:class:`k8score.kubelet.server.KubeletServer`). The lead wires it; without one (or without a
server for the node) the node is unreachable.

- **log** (``GET``): options ``container``, ``previous``, ``follow``, ``timestamps``,
  ``tailLines``, ``limitBytes``, ``sinceSeconds``, ``sinceTime`` (query parameters). Returns
  the log text (``text/plain``). A pod not yet scheduled has no location: the log is empty
  (LocationStreamer with a nil location).
- **exec** (``create``): the command (``command``, a list; ``container``) comes in the body
  (a PodExecOptions) or the query. Returns a :class:`~k8score.kubelet.server.ExecStream` that
  completes on the virtual clock; a kubelet that cannot start the command leaves its
  plain-text error in ``stream.failure`` (kubectl: ``unable to upgrade connection: ...``).

Not modelled: CONNECT admission (no built-in plugin of this simulation handles it) and
``pods/attach`` / ``pods/portforward``.
"""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import urlencode

from ...api.errors import ApiError, status
from ...api.field import forbidden, invalid

#: pkg/apis/core/validation isNegativeErrorMsg
_NEGATIVE = "must be greater than or equal to 0"
#: the PodLogOptions query parameters, in LogLocation's order
_LOG_PARAMS = ("follow", "previous", "timestamps", "sinceSeconds", "sinceTime", "tailLines", "limitBytes")


class KubeletConnection(Protocol):
    """What the API server needs of a node's kubelet (pkg/kubelet/client ConnectionInfoGetter +
    the kubelet's HTTP API). :class:`k8score.kubelet.server.KubeletServer` implements it."""

    running: bool
    address: str  # "<node ip>:10250"

    def container_logs(self, namespace: str, pod_name: str, container: str, options: dict) -> str: ...

    def exec(self, namespace: str, pod_name: str, container: str, command: list[str],
             timeout: float = 0, stdin: str = "", tty: bool = False) -> Any: ...


class KubeletConnections:
    """``api.kubelets``: node name -> :class:`KubeletConnection` (``register`` when a kubelet
    starts serving; ``api.kubelets["node-1"]``)."""

    def __init__(self) -> None:
        self._by_node: dict[str, Any] = {}

    def register(self, node_name: str, server: Any) -> None:
        self._by_node[node_name] = server

    def unregister(self, node_name: str) -> None:
        self._by_node.pop(node_name, None)

    def get(self, node_name: str) -> Any:
        return self._by_node.get(node_name)

    def __getitem__(self, node_name: str) -> Any:
        return self._by_node[node_name]

    def __contains__(self, node_name: object) -> bool:
        return node_name in self._by_node


# -- pods/log --------------------------------------------------------------------------------
def pod_log(api: Any, rc: Any) -> str:
    """LogREST.Get: validate the options, find the container and the node, ask its kubelet."""
    if rc.req.verb != "get":
        raise ApiError.method_not_allowed("pods/log", rc.req.verb)
    opts = _log_options(rc.req.options, rc.name or "")
    pod, _ = api.objects.read(rc, rc.name, rc.namespace)
    container = validate_container(opts.get("container") or "", pod)
    node = (pod.get("spec") or {}).get("nodeName")
    if not node:
        rc.trace.step("pods/log", "empty", "the pod has no node yet: no log location")
        return ""
    query = {k: _query_value(opts[k]) for k in _LOG_PARAMS if opts.get(k) is not None and opts[k] is not False}
    path = f"/containerLogs/{pod['metadata']['namespace']}/{pod['metadata']['name']}/{container}"
    server = _kubelet(api, rc, node)
    url = f"https://{_node_address(api, node, server)}{path}" + (f"?{urlencode(query)}" if query else "")
    if server is None or not server.running:
        raise _dial_error(f'Get "{url}"', api, node, server)
    rc.trace.step("kubelet", "proxied", f"GET {url}")
    from ...kubelet.server import KubeletError
    try:
        return server.container_logs(pod["metadata"]["namespace"], pod["metadata"]["name"], container, query)
    except KubeletError as e:
        raise _checked(e, rc.name or "") from None


def _log_options(options: dict, name: str) -> dict:
    """Decode and validate PodLogOptions (ValidatePodLogOptions -> 422 PodLogOptions)."""
    out: dict = {"container": options.get("container")}
    for key in ("follow", "previous", "timestamps", "insecureSkipTLSVerifyBackend"):
        out[key] = _bool(options.get(key), key)
    for key in ("tailLines", "limitBytes", "sinceSeconds"):
        out[key] = _int(options.get(key), key)
    out["sinceTime"] = options.get("sinceTime") or None
    errs = []
    if out["tailLines"] is not None and out["tailLines"] < 0:
        errs.append(invalid("tailLines", out["tailLines"], _NEGATIVE))
    if out["limitBytes"] is not None and out["limitBytes"] < 1:
        errs.append(invalid("limitBytes", out["limitBytes"], "must be greater than 0"))
    if out["sinceSeconds"] is not None and out["sinceTime"]:
        errs.append(forbidden("", "at most one of `sinceTime` or `sinceSeconds` may be specified"))
    elif out["sinceSeconds"] is not None and out["sinceSeconds"] < 1:
        errs.append(invalid("sinceSeconds", out["sinceSeconds"], "must be greater than 0"))
    if errs:
        raise ApiError.invalid("PodLogOptions", name, errs)
    return out


# -- pods/exec -------------------------------------------------------------------------------
def pod_exec(api: Any, rc: Any) -> Any:
    """ExecREST.Connect: ExecLocation (container, node), then the kubelet runs the command."""
    if rc.req.verb not in ("create", "get"):
        raise ApiError.method_not_allowed("pods/exec", rc.req.verb)
    body = rc.req.body if isinstance(rc.req.body, dict) else {}
    command = body.get("command", rc.req.options.get("command"))
    if isinstance(command, str):
        command = [command]
    container = body.get("container", rc.req.options.get("container")) or ""
    name = rc.name or (body.get("metadata") or {}).get("name")
    rc.name = name
    pod, _ = api.objects.read(rc, name, rc.namespace)
    container = validate_container(container, pod)
    if not command:  # pkg/apis/core/validation: PodExecOptions needs a command
        raise ApiError.bad_request("you must specify at least 1 command")
    node = (pod.get("spec") or {}).get("nodeName")
    if not node:
        raise ApiError.bad_request(f"pod {pod['metadata']['name']} does not have a host assigned")
    server = _kubelet(api, rc, node)
    if server is None or not server.running:
        # the upgrade-aware proxy cannot dial the kubelet (proxy/upgradeaware.go)
        raise _dial_error("error dialing backend", api, node, server)
    rc.trace.step("kubelet", "proxied", f"POST https://{_node_address(api, node, server)}/exec/"
                  f"{pod['metadata']['namespace']}/{pod['metadata']['name']}/{container}")
    # the stdin stream's content travels in the body (``input``) over this in-process transport
    stdin = body.get("input") if _bool(body.get("stdin", rc.req.options.get("stdin")), "stdin") else ""
    return server.exec(pod["metadata"]["namespace"], pod["metadata"]["name"], container,
                       [str(c) for c in command], stdin=str(stdin or ""),
                       tty=_bool(body.get("tty", rc.req.options.get("tty")), "tty"))


# -- shared ----------------------------------------------------------------------------------
def validate_container(container: str, pod: dict) -> str:
    """strategy.go validateContainer: the named container must exist; none named is fine only
    when the pod has exactly one (regular) container."""
    spec = pod.get("spec") or {}
    name = (pod.get("metadata") or {}).get("name", "")
    containers = spec.get("containers") or []
    if not container:
        if len(containers) == 1:
            return containers[0].get("name", "")
        if not containers:
            raise ApiError.bad_request(f"a container name must be specified for pod {name}")
        # podutil.VisitContainers order: init containers, then containers, then ephemeral ones
        names = [c.get("name", "") for key in ("initContainers", "containers", "ephemeralContainers")
                 for c in spec.get(key) or ()]
        raise ApiError.bad_request(f"a container name must be specified for pod {name}, "
                                   f"choose one of: [{' '.join(names)}]")
    for key in ("initContainers", "containers", "ephemeralContainers"):
        if any(c.get("name") == container for c in spec.get(key) or ()):
            return container
    raise ApiError.bad_request(f"container {container} is not valid for pod {name}")


def _kubelet(api: Any, rc: Any, node: str) -> Any:
    kubelets = api.kubelets
    server = kubelets.get(node) if kubelets is not None else None
    if server is None and api.lister.get("nodes", node) is None:
        # pkg/kubelet/client NodeConnectionInfoGetter: the Node object names the address
        raise ApiError.not_found("nodes", node)
    return server


def _node_address(api: Any, node: str, server: Any) -> str:
    """The kubelet's host:port from the Node's InternalIP (kubeadm:
    --kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname), else the server's."""
    obj = api.lister.get("nodes", node) or {}
    for addr in (obj.get("status") or {}).get("addresses") or ():
        if addr.get("type") == "InternalIP" and addr.get("address"):
            return f"{addr['address']}:10250"
    return getattr(server, "address", None) or f"{node}:10250"


def _dial_error(prefix: str, api: Any, node: str, server: Any) -> ApiError:
    addr = _node_address(api, node, server)
    return ApiError(status(500, "", f"{prefix}: dial tcp {addr}: connect: connection refused"))


def _checked(e: Any, name: str) -> ApiError:
    """response_checker.go GenericHttpResponseChecker: 400 -> BadRequest, 500 -> InternalError,
    404 and others -> a generic response with the kubelet's text."""
    if e.code == 400:
        return ApiError.bad_request(e.body)
    if e.code == 500:
        return ApiError.internal(e.body)
    if e.code == 404:
        return ApiError(status(404, "NotFound", e.body, {"name": name, "kind": "pods/log"}))
    return ApiError(status(e.code, "", e.body))


def _bool(value: Any, key: str) -> bool:
    if value in (None, "", False, "false", "0"):
        return False
    if value in (True, "true", "1"):
        return True
    raise ApiError.bad_request(f'{key}: invalid value "{value}": strconv.ParseBool: parsing "{value}": '
                               "invalid syntax")


def _int(value: Any, key: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ApiError.bad_request(f'{key}: invalid value "{value}"')
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError.bad_request(f'{key}: invalid value "{value}": strconv.ParseInt: parsing "{value}": '
                                   "invalid syntax") from None


def _query_value(value: Any) -> str:
    return "true" if value is True else str(value)
