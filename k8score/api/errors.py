"""Kubernetes-style API errors: a ``Status`` object with reason, code and causes.

Mirrors k8s.io/apimachinery/pkg/api/errors: each constructor builds the same
message and details the real API server sends, and ``str()`` prints what kubectl
prints for it (cmd/util/helpers.go ``StandardErrorMessage``).

>>> e = ApiError.not_found("pods", "web")
>>> e.code, e.reason
(404, 'NotFound')
>>> str(e)
'Error from server (NotFound): pods "web" not found'
"""

from __future__ import annotations

from typing import Iterable

from .field import FieldError


def status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    """A metav1.Status with ``status: Failure`` (the wire shape of every error)."""
    st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
          "message": message, "reason": reason}
    if details:
        st["details"] = details
    st["code"] = code
    return st


def _details(group_resource: str, name: str | None) -> dict:
    # StatusDetails{Name, Group, Kind: resource}; "pods" or "deployments.apps"
    resource, _, group = group_resource.partition(".")
    d: dict = {}
    if name:
        d["name"] = name
    if group:
        d["group"] = group
    d["kind"] = resource
    return d


class ApiError(Exception):
    """An error the API server answers with; ``.status`` is the Status dict."""

    def __init__(self, status_dict: dict):
        super().__init__(status_dict.get("message", ""))
        self.status = status_dict

    @property
    def code(self) -> int:
        return self.status.get("code", 500)

    @property
    def reason(self) -> str:
        return self.status.get("reason", "")

    @property
    def message(self) -> str:
        return self.status.get("message", "")

    @property
    def causes(self) -> list[dict]:
        return self.status.get("details", {}).get("causes", [])

    def __str__(self) -> str:
        st = self.status
        if self.reason == "Invalid" and st.get("details"):
            # kubectl: "The Pod "x" is invalid: field: msg" (one cause per line when several)
            d = st["details"]
            # kubectl cmd/util/helpers.go StandardErrorMessage: details.Kind, without the group
            head = f'The {d.get("kind", "")} "{d.get("name", "")}" is invalid'
            causes = [f"{c.get('field', '')}: {c.get('message', '')}" for c in d.get("causes", [])]
            if len(causes) == 1:
                return f"{head}: {causes[0]}"
            if causes:
                return head + ": \n" + "\n".join("* " + c for c in causes)
            return head
        if self.reason:
            return f"Error from server ({self.reason}): {self.message}"
        return f"Error from server: {self.message}"

    def __repr__(self) -> str:
        return f"ApiError({self.code} {self.reason}: {self.message})"

    # -- constructors (apimachinery/pkg/api/errors/errors.go) ---------------
    @classmethod
    def not_found(cls, group_resource: str, name: str) -> "ApiError":
        return cls(status(404, "NotFound", f'{group_resource} "{name}" not found',
                          _details(group_resource, name)))

    @classmethod
    def not_found_resource(cls, resource: str) -> "ApiError":
        return cls(status(404, "NotFound", f'the server doesn\'t have a resource type "{resource}"',
                          {"kind": str(resource)}))

    @classmethod
    def already_exists(cls, group_resource: str, name: str) -> "ApiError":
        return cls(status(409, "AlreadyExists", f'{group_resource} "{name}" already exists',
                          _details(group_resource, name)))

    @classmethod
    def conflict(cls, group_resource: str, name: str, why: str) -> "ApiError":
        return cls(status(409, "Conflict", f'Operation cannot be fulfilled on {group_resource} "{name}": {why}',
                          _details(group_resource, name)))

    @classmethod
    def stale(cls, group_resource: str, name: str) -> "ApiError":
        """409 for an update carrying an old metadata.resourceVersion (storage/errors.go)."""
        return cls.conflict(group_resource, name, "the object has been modified; please apply your "
                            "changes to the latest version and try again")

    @classmethod
    def invalid(cls, qualified_kind: str, name: str, errs: Iterable[FieldError]) -> "ApiError":
        errs = list(errs)
        seen: dict[str, None] = {}
        for e in errs:  # ToAggregate drops duplicate messages, keeping order
            seen.setdefault(str(e), None)
        msgs = list(seen)
        agg = msgs[0] if len(msgs) == 1 else "[" + ", ".join(msgs) + "]"
        kind, _, group = qualified_kind.partition(".")
        details: dict = {"name": name}
        if group:
            details["group"] = group
        details["kind"] = kind
        details["causes"] = [e.cause() for e in errs]
        return cls(status(422, "Invalid", f'{qualified_kind} "{name}" is invalid: {agg}', details))

    @classmethod
    def bad_request(cls, message: str) -> "ApiError":
        return cls(status(400, "BadRequest", message))

    @classmethod
    def forbidden(cls, group_resource: str, name: str, why: str) -> "ApiError":
        return cls(status(403, "Forbidden", f'{group_resource} "{name}" is forbidden: {why}',
                          _details(group_resource, name)))

    @classmethod
    def method_not_allowed(cls, group_resource: str, action: str) -> "ApiError":
        resource = group_resource
        return cls(status(405, "MethodNotAllowed",
                          f'{action} is not supported on resources of kind "{resource}"',
                          _details(group_resource, None)))

    @classmethod
    def expired(cls, message: str) -> "ApiError":
        """410 Expired: a resourceVersion older than the last compaction."""
        return cls(status(410, "Expired", message))

    @classmethod
    def gone(cls, message: str) -> "ApiError":
        return cls(status(410, "Gone", message))

    @classmethod
    def too_large_resource_version(cls, requested: int, current: int) -> "ApiError":
        # storage/errors.go NewTooLargeResourceVersionError: 504 Timeout, retry after 1 s
        return cls(status(504, "Timeout", f"Too large resource version: {requested}, current: {current}",
                          {"causes": [{"reason": "ResourceVersionTooLarge",
                                       "message": "Too large resource version"}],
                           "retryAfterSeconds": 1}))

    @classmethod
    def service_unavailable(cls, message: str = "the server is currently unable to handle the request"
                            ) -> "ApiError":
        return cls(status(503, "ServiceUnavailable", message))

    @classmethod
    def internal(cls, message: str) -> "ApiError":
        return cls(status(500, "InternalError",
                          f"Internal error occurred: {message}", {"causes": [{"message": message}]}))
