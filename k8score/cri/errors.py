"""The error every CRI call can fail with: a gRPC status (``code`` + ``desc``).

``str(err)`` is what the kubelet prints after ``Error:`` — grpc-go's
``status.Error`` text, ``rpc error: code = NotFound desc = ...`` (google.golang.org/grpc/status).
"""

from __future__ import annotations


class CRIError(Exception):
    """A failed CRI call (a gRPC status: ``code`` such as ``NotFound``/``Unknown``, and ``desc``)."""

    def __init__(self, code: str, desc: str):
        super().__init__(f"rpc error: code = {code} desc = {desc}")
        self.code = code
        self.desc = desc


__all__ = ["CRIError"]
