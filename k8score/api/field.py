"""Field-level validation errors, as k8s.io/apimachinery/pkg/util/validation/field.

A validator returns a list of :class:`FieldError`; the API server turns a non-empty
list into one 422 Invalid Status whose ``details.causes`` carry each error.

>>> str(invalid("metadata.name", "Bad_Name", "must be lower case"))
'metadata.name: Invalid value: "Bad_Name": must be lower case'
>>> str(required("spec.containers", ""))
'spec.containers: Required value'
>>> str(not_supported("spec.restartPolicy", "Sometimes", ["Always", "OnFailure", "Never"]))
'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'
"""

from __future__ import annotations

import json

# ErrorType -> (cause reason, message prefix): field/errors.go ErrorType and String()
_TYPES = {
    "Invalid": ("FieldValueInvalid", "Invalid value"),
    "Required": ("FieldValueRequired", "Required value"),
    "Duplicate": ("FieldValueDuplicate", "Duplicate value"),
    "NotSupported": ("FieldValueNotSupported", "Unsupported value"),
    "Forbidden": ("FieldValueForbidden", "Forbidden"),
    "TooLong": ("FieldValueTooLong", "Too long"),
    "TooMany": ("FieldValueTooMany", "Too many"),
    "TypeInvalid": ("FieldValueTypeInvalid", "Invalid value"),
    "NotFound": ("FieldValueNotFound", "Not found"),
}
_NO_VALUE = object()  # Required/Forbidden/TooLong never print the bad value


class FieldError:
    __slots__ = ("type", "field", "value", "detail")

    def __init__(self, type_: str, field: str, value: object, detail: str = ""):
        self.type = type_
        self.field = field
        self.value = value
        self.detail = detail

    @property
    def reason(self) -> str:
        return _TYPES[self.type][0]

    def body(self) -> str:
        """The message without the field path (``Invalid value: "x": detail``)."""
        s = _TYPES[self.type][1]
        if self.value is not _NO_VALUE:
            s += ": " + _show(self.value)
        if self.detail:
            s += ": " + self.detail
        return s

    def cause(self) -> dict:
        return {"reason": self.reason, "message": self.body(), "field": self.field}

    def __str__(self) -> str:
        return f"{self.field}: {self.body()}"

    __repr__ = __str__


class GoValue:
    """A bad value printed the way Go's %#v prints it (maps, label selectors)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def _show(value: object) -> str:
    if isinstance(value, GoValue):
        return value.text
    # Go prints strings with %q, numbers and bools with %v; other values here as JSON.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def invalid(field: str, value: object, detail: str) -> FieldError:
    return FieldError("Invalid", field, value, detail)


def required(field: str, detail: str = "") -> FieldError:
    return FieldError("Required", field, _NO_VALUE, detail)


def duplicate(field: str, value: object) -> FieldError:
    return FieldError("Duplicate", field, value)


def not_supported(field: str, value: object, supported: list[str]) -> FieldError:
    detail = "supported values: " + ", ".join(json.dumps(v) for v in supported) if supported else ""
    return FieldError("NotSupported", field, value, detail)


def forbidden(field: str, detail: str) -> FieldError:
    return FieldError("Forbidden", field, _NO_VALUE, detail)


def too_long(field: str, max_length: int) -> FieldError:
    return FieldError("TooLong", field, _NO_VALUE, f"may not be more than {max_length} bytes")


def type_invalid(field: str, value: object, detail: str) -> FieldError:
    return FieldError("TypeInvalid", field, value, detail)
