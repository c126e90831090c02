"""The OpenAPI v3 schema of a CustomResourceDefinition version, applied to custom resources.

- ``structural.py``: :class:`Structural` (the schema tree), ``validate_schema`` /
  ``validate_structural`` (the rules a CRD's schema must follow);
- ``validate.py``: a custom resource against its schema, kube-openapi's messages;
- ``prune.py``: drop undeclared fields (and their paths for ``fieldValidation``);
- ``default.py``: apply ``default`` values.

Upstream: k8s.io/apiextensions-apiserver pkg/apiserver/schema/ and pkg/apiserver/validation/.
"""

from .default import default
from .prune import prune, prune_nulls
from .structural import Structural, validate_schema, validate_structural
from .validate import validate

__all__ = ["Structural", "default", "prune", "prune_nulls", "validate", "validate_schema",
           "validate_structural"]
