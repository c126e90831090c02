"""API schemas of the built-in kinds and the strict JSON decoding built on them.

- :func:`schema_for` / :class:`Schema` (``model.py``): the OpenAPI schema of each kind with
  the ``x-kubernetes-*`` list/map/patch extensions, shared by decoding, strategic merge
  patch, server-side apply and the OpenAPI endpoints.
- :func:`decode` (``decode.py``): type-check a body against its kind's schema the way the
  API server's JSON decoder does, with upstream's messages and ``fieldValidation``.
- ``limits.py``: request body size, nesting depth, NaN/Infinity; ``yamlload.py``: YAML
  manifests with bounded alias expansion and only JSON values.
"""

from .model import Schema, definition, kinds, schema_for

__all__ = ["Schema", "definition", "kinds", "schema_for"]
