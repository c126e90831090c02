"""Validation: what makes the API server answer 422 Invalid.

Each resource's strategy (k8score/apiserver/registry) combines the ObjectMeta checks
(meta.py) with its own rules (pod.py, workloads.py, scheduling.py, ...). They run after
defaulting and admission's mutations, on exactly what would be stored, and return a list
of :class:`~k8score.api.field.FieldError` (empty when the object is fine).
"""

from __future__ import annotations

from .names import is_dns1035_label, is_dns1123_label, is_dns1123_subdomain

__all__ = ["is_dns1123_label", "is_dns1123_subdomain", "is_dns1035_label"]
