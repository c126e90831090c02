"""Secrets' ``stringData``: a write-only convenience merged into ``data`` as the object is decoded.

Upstream: pkg/apis/core/v1/conversion.go ``Convert_v1_Secret_To_core_Secret`` — the internal
Secret has no stringData; converting a v1 Secret copies each ``stringData`` entry into
``data`` (the string's UTF-8 bytes; on a shared key stringData wins, "StringData overwrites
Data"). Every create, update and patch of a v1 Secret is decoded that way, so stringData is
never stored and never read back; ``data`` then holds the base64 of the bytes, as JSON
encodes ``[]byte``. Validation (pkg/apis/core/validation ``ValidateSecret``: key names, the
1 MiB total) runs on the merged ``data``.

>>> s = {"data": {"a": "eA=="}, "stringData": {"a": "y", "b": "ü"}}
>>> merge_string_data(s); s
{'data': {'a': 'eQ==', 'b': 'w7w='}}
"""

from __future__ import annotations

import base64


def merge_string_data(obj: dict) -> None:
    """Move ``obj['stringData']`` into ``obj['data']`` (base64 of the UTF-8 bytes), in place."""
    string_data = obj.pop("stringData", None)
    if not isinstance(string_data, dict) or not string_data:
        return   # conversion.go: only a non-empty stringData touches data
    data = obj.get("data")
    if not isinstance(data, dict):
        data = obj["data"] = {}
    for key, value in string_data.items():
        data[key] = base64.b64encode(str(value).encode("utf-8")).decode("ascii")
