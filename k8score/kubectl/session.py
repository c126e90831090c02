"""The client one kubectl invocation talks through: impersonation and server warnings.

Upstream: cli-runtime genericclioptions.ConfigFlags (``--as``, ``--as-group``, ``--as-uid``
become the rest.Config's Impersonate-* headers), client-go tools/clientcmd validation.go
(groups or a uid without a user is refused), and kubectl's warning handler
(cmd/cmd.go: ``rest.NewWarningWriter(..., WarningWriterOptions{Deduplicate: true})``:
each distinct ``Warning`` header the server sends is printed once, as ``Warning: <text>``).

The API server's warnings reach kubectl through the client's ``last_warnings`` (the
warnings of the client's most recent request); :class:`WarningRelay` reads it after
every request and hands new texts to ``on_warning``.
"""

from __future__ import annotations

from typing import Any, Callable

from .args import Args, CommandError

# the verbs that send a request (each may come back with warnings)
_VERBS = ("create", "get", "list", "update", "patch", "delete", "watch")


class WarningRelay:
    """A client stand-in that forwards everything to ``client`` and, after each request
    (answered or refused), passes each warning text not yet seen to ``on_warning``."""

    def __init__(self, client: Any, on_warning: Callable[[str], None]):
        self._client = client
        self._on_warning = on_warning
        self._seen: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name not in _VERBS or not callable(attr):
            return attr

        def call(*a: Any, **kw: Any) -> Any:
            try:
                return attr(*a, **kw)
            finally:
                self._relay()
        return call

    def _relay(self) -> None:
        for text in list(getattr(self._client, "last_warnings", None) or ()):
            if text not in self._seen:
                self._seen.append(text)
                self._on_warning(str(text))


def impersonation(args: Args, identity: str) -> tuple[str, tuple[str, ...], str] | None:
    """``(user, groups, uid)`` from ``--as/--as-group/--as-uid``, or None when not asked.

    ``identity`` is the kubeconfig user the error message names (clientcmd validateAuthInfo).
    """
    user = args.get("as") or ""
    groups = tuple(args.get("as-group") or ())
    uid = args.get("as-uid") or ""
    if not user and not groups and not uid:
        return None
    if not user:
        raise CommandError(f"error: invalid configuration: requesting uid, groups or user-extra for {identity} "
                           "without impersonating a user")
    return user, groups, uid


def client_for(client: Any, args: Args, on_warning: Callable[[str], None]) -> Any:
    """The client a command uses: ``client`` impersonating as the flags ask, warnings relayed."""
    who = impersonation(args, _identity(client))
    if who is not None:
        user, groups, uid = who
        # Client.impersonating takes uid only when the lead's client supports --as-uid
        client = client.impersonating(user, groups, uid=uid) if uid else client.impersonating(user, groups)
    return WarningRelay(client, on_warning)


def _identity(client: Any) -> str:
    user = getattr(client, "user", "")
    return str(getattr(user, "name", user) or "")
