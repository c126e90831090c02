"""resource.Quantity: exact fixed-point quantities such as ``500m``, ``1Gi``, ``0.5``, ``1e3``.

A reimplementation of k8s.io/apimachinery/pkg/api/resource/quantity.go on Python's
``Fraction``: parsing is exact (values finer than 1n are rounded up, away from zero,
as upstream), and :meth:`Quantity.canonical` prints the canonical form the API server
stores — the largest suffix that loses nothing, in the number system (binary SI,
decimal SI, decimal exponent) the value was written in.

>>> [canonical(s) for s in ("0.5", "1000m", "1500", "2000", "1.5Gi", "1024Mi", "100Ki", "1e3", "512")]
['500m', '1', '1500', '2k', '1536Mi', '1Gi', '100Ki', '1e3', '512']
>>> parse_quantity("250m") < parse_quantity("1")
True
>>> parse_quantity("2Gi").value
Fraction(2147483648, 1)
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import total_ordering

FORMAT_REGEX = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
# quantity.go: ErrFormatWrong / ErrNumeric / ErrSuffix
ERR_FORMAT = f"quantities must match the regular expression '{FORMAT_REGEX}'"
ERR_NUMERIC = "unable to parse numeric part of quantity"
ERR_SUFFIX = "unable to parse quantity's suffix"

_SPLIT = re.compile(FORMAT_REGEX)
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)$")
_EXPONENT = re.compile(r"^[eE][-+]?[0-9]+$")

BINARY_SI, DECIMAL_SI, DECIMAL_EXPONENT = "BinarySI", "DecimalSI", "DecimalExponent"

# suffix.go: decimal SI suffixes are powers of 10, binary SI suffixes powers of 2
_DEC = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BIN = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DEC_BY_EXP = {v: k for k, v in _DEC.items()}
_BIN_BY_STEP = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
_NANO = 10 ** 9


class QuantityError(ValueError):
    """A string that is not a quantity; the message is upstream's."""


@total_ordering
class Quantity:
    """An exact quantity. ``value`` is a Fraction; ``format`` remembers how it was written."""

    __slots__ = ("value", "format")

    def __init__(self, value: Fraction | int, format: str = DECIMAL_SI):
        self.value = Fraction(value)
        self.format = format

    # comparisons and arithmetic compare values only (1Gi == 1073741824)
    def __eq__(self, other: object) -> bool:
        if isinstance(other, Quantity):
            return self.value == other.value
        return NotImplemented

    def __lt__(self, other: "Quantity") -> bool:
        return self.value < other.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __add__(self, other: "Quantity") -> "Quantity":
        return Quantity(self.value + other.value, self.format)

    def __sub__(self, other: "Quantity") -> "Quantity":
        return Quantity(self.value - other.value, self.format)

    def milli_value(self) -> int:
        """The value in thousandths, rounded up (as ``MilliValue()``): 0.5 cpu -> 500."""
        return -((-self.value * 1000).__floor__())

    def int_value(self) -> int:
        """The value rounded up to an integer (as ``Value()``): bytes of memory."""
        return -((-self.value).__floor__())

    def canonical(self) -> str:
        return _format(self.value, self.format)

    __str__ = canonical

    def __repr__(self) -> str:
        return f"Quantity({self.canonical()!r})"


_PARSED: dict[object, Quantity] = {}


def parse_quantity(text: str | int | float) -> Quantity:
    """Parse a quantity (JSON numbers are accepted, as Quantity.UnmarshalJSON does).

    Results are cached (pods repeat the same few values); treat them as immutable.
    """
    key = (type(text), text)
    try:
        return _PARSED[key]
    except (KeyError, TypeError):
        pass
    q = _parse(text)
    if len(_PARSED) < 4096:
        _PARSED[key] = q
    return q


def _parse(text: object) -> Quantity:
    if isinstance(text, bool):
        raise QuantityError(ERR_FORMAT)
    if isinstance(text, (int, float)):
        text = repr(text) if isinstance(text, float) else str(text)
    if not isinstance(text, str):
        raise QuantityError(ERR_FORMAT)
    s = text.strip()
    m = _SPLIT.match(s)
    if not m:
        raise QuantityError(ERR_FORMAT)
    number, suffix = m.group(1), m.group(2)
    if not _NUMBER.match(number):
        raise QuantityError(ERR_NUMERIC)
    value = Fraction(number)
    if suffix in _DEC:
        fmt = DECIMAL_SI
        value *= Fraction(10) ** _DEC[suffix]
    elif suffix in _BIN:
        fmt = BINARY_SI
        value *= 2 ** _BIN[suffix]
    elif _EXPONENT.match(suffix):
        fmt = DECIMAL_EXPONENT
        value *= Fraction(10) ** int(suffix[1:])
    else:
        raise QuantityError(ERR_SUFFIX)
    scaled = value * _NANO
    if scaled.denominator != 1:
        # quantity.go: precision finer than 1n is rounded up (away from zero)
        n = -((-abs(scaled)).__floor__())
        value = Fraction(n if value > 0 else -n, _NANO)
    return Quantity(value, fmt)


def _format(value: Fraction, fmt: str) -> str:
    if value == 0:
        return "0"
    if fmt == BINARY_SI:
        # CanonicalizeBytes: small or fractional binary values are shown as decimal SI
        if -1024 < value < 1024 or value.denominator != 1:
            fmt = DECIMAL_SI
        else:
            n = value.numerator
            step = 0
            while step < 6 and n % 1024 == 0:
                n //= 1024
                step += 1
            return f"{n}{_BIN_BY_STEP[step]}"
    # decimal: mantissa integer, exponent a multiple of 3, as large as possible
    mantissa = int(value * _NANO)
    exp = -9
    limit = 18 if fmt == DECIMAL_SI else None
    while mantissa % 1000 == 0 and (limit is None or exp < limit):
        mantissa //= 1000
        exp += 3
    if fmt == DECIMAL_SI:
        return f"{mantissa}{_DEC_BY_EXP[exp]}"
    return f"{mantissa}" if exp == 0 else f"{mantissa}e{exp}"


_CACHE: dict[object, str] = {}


def canonical(text: str | int | float) -> str:
    """Canonical string for a quantity (cached: pods repeat the same few values)."""
    key = (type(text), text)
    out = _CACHE.get(key)
    if out is None:
        out = parse_quantity(text).canonical()
        if len(_CACHE) < 4096:
            _CACHE[key] = out
    return out
