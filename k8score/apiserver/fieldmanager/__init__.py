"""Server-side apply and ``metadata.managedFields`` (field ownership), as kube-apiserver does it.

Upstream: sigs.k8s.io/structured-merge-diff (fieldpath/, typed/, merge/) and
k8s.io/apimachinery/pkg/util/managedfields/internal/.

Public API:

- :func:`apply` ``(live, config, manager, force, schema, now_text, api_version,
  subresource=None, reset_fields=None) -> dict`` — server-side apply (PATCH with
  ``application/apply-patch+yaml``); raises ``ApiError`` 409 on conflicts.
- :func:`update_managed_fields` ``(old, new, manager, schema, now_text, api_version,
  operation="Update", subresource=None, reset_fields=None) -> list`` — the managedFields to
  store after any other create/update/patch.
- :func:`to_fields_v1` / :func:`from_fields_v1` — the ``fieldsV1`` JSON form of a :class:`Set`.
- :data:`DEFAULT_MANAGER` (``"unknown"``): the name used when a request names no manager
  (the REST handler derives a default from the User-Agent, ``prefixFromUserAgent``, first).

(Without a schema ``data`` is an undeclared key, so the applier owns it too: ``"."``.)

``schema`` is a ``k8score.api.schema.Schema`` (or None: maps granular, lists atomic).

>>> obj = apply(None, {"apiVersion": "v1", "kind": "ConfigMap",
...                    "metadata": {"name": "c"}, "data": {"a": "1"}},
...             "demo", False, None, "2026-01-01T00:00:00Z", "v1")
>>> mf = obj["metadata"]["managedFields"]
>>> [(e["manager"], e["operation"], e["time"], e["fieldsV1"]) for e in mf]
[('demo', 'Apply', '2026-01-01T00:00:00Z', {'f:data': {'f:a': {}, '.': {}}})]
"""

from .apply import LAST_APPLIED, apply, default_reset_fields, update_managed_fields
from .fieldpath import Set, from_fields_v1, path_string, to_fields_v1
from .managers import ANCIENT_CHANGES, BEFORE_FIRST_APPLY, DEFAULT_MANAGER, MAX_UPDATE_MANAGERS

__all__ = ["apply", "update_managed_fields", "default_reset_fields", "Set", "to_fields_v1",
           "from_fields_v1", "path_string", "LAST_APPLIED", "ANCIENT_CHANGES",
           "BEFORE_FIRST_APPLY", "DEFAULT_MANAGER", "MAX_UPDATE_MANAGERS"]
