"""Resource quantities ("500m", "1.5Gi", "1e3") read and printed exactly as Kubernetes does.

A quantity is a signed decimal number and an optional suffix in one of three forms:

    decimal SI   n u m "" k M G T P E    powers of 1000   "500m" == 0.5
    binary SI    Ki Mi Gi Ti Pi Ei       powers of 1024   "1Gi"  == 1073741824
    exponent     e<int> or E<int>        powers of ten    "1e3"  == 1000

Three rules from Kubernetes' `resource.Quantity` matter to callers:

- Precision stops at nano (1e-9). Anything finer is rounded up, away from zero,
  so asking for a tiny amount of something never yields none of it.
- A binary-SI amount is capped at 2^63-1.
- A quantity remembers which form it was written in and is printed back in that
  form, canonicalised: no fractional digits and the largest suffix that loses
  nothing ("0.5" -> "500m", "1024Mi" -> "1Gi", "1.5Gi" -> "1536Mi").

The models keep quantities exactly as a client sent them (`Quantity` below);
these functions are for the code that compares or prints them.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

Quantity = str | int | float
"""A quantity as it appears in JSON: usually a string, sometimes a bare number."""

# Kubernetes' own wording, so an error reads the same as kubectl users know it.
_FORMAT_WRONG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
_SUFFIX_WRONG = "unable to parse quantity's suffix"

# Mirrors Kubernetes' hand-written scanner, which is laxer than the regular
# expression it quotes: "1.", ".5" and even "." or "m" (both zero) are accepted.
_SCANNER = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[+-]?[0-9]*)")

_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_SUFFIX_OF = {exp: suffix for suffix, exp in _DECIMAL_SUFFIXES.items()}
_BINARY_SUFFIX_OF = {exp: suffix for suffix, exp in _BINARY_SUFFIXES.items()}

_NANO = -9
_MAX_INT64 = 2**63 - 1
_INT32_RANGE = range(-(2**31), 2**31)


class QuantityFormat(enum.Enum):
    DECIMAL_SI = "DecimalSI"
    BINARY_SI = "BinarySI"
    DECIMAL_EXPONENT = "DecimalExponent"


@dataclass(frozen=True)
class _Amount:
    """An exact value, `unscaled * 10**exponent`, and the form it was written in.

    Kept as two integers rather than one number so that "1e999999999" costs
    nothing to parse or print.
    """

    unscaled: int
    exponent: int
    form: QuantityFormat


def parse_quantity(quantity: Quantity) -> Decimal:
    """The exact value of a quantity; ValueError if Kubernetes would reject it."""
    amount = _parse(quantity)
    sign = 1 if amount.unscaled < 0 else 0
    return Decimal((sign, tuple(int(d) for d in str(abs(amount.unscaled))), amount.exponent))


def cpu_millicores(quantity: Quantity) -> int:
    """Thousandths of the value, rounded up like Kubernetes' MilliValue ("0.1m" -> 1)."""
    amount = _parse(quantity)
    return _as_int64(amount.unscaled, amount.exponent + 3)


def to_bytes(quantity: Quantity) -> int:
    """The value as a whole number, rounded up like Kubernetes' Value() ("1.5Gi" -> 1610612736)."""
    amount = _parse(quantity)
    return _as_int64(amount.unscaled, amount.exponent)


def canonical_quantity(quantity: Quantity) -> str:
    """The string Kubernetes would store and print for this quantity."""
    return _canonical(_parse(quantity))


def _canonical(amount: _Amount) -> str:
    if amount.unscaled == 0:
        return "0"
    if amount.form is QuantityFormat.BINARY_SI:
        binary = _binary_canonical(amount)
        if binary is not None:
            return binary
    return _decimal_canonical(amount)


def add_quantities(quantities: Iterable[Quantity]) -> str:
    """The sum as Kubernetes prints it after Quantity.Add: in the form of the first term, or of the
    first term that followed a zero total ("0" when there are none)."""
    unscaled, exponent, form = 0, 0, QuantityFormat.DECIMAL_SI
    for quantity in quantities:
        amount = _parse(quantity)
        if unscaled == 0:
            form = amount.form
        low = min(exponent, amount.exponent)
        unscaled = unscaled * 10 ** (exponent - low) + amount.unscaled * 10 ** (amount.exponent - low)
        exponent = low
    return _canonical(_Amount(unscaled, exponent, form))


def nano_quantity(nanos: int) -> str:
    """A count of billionths as Kubernetes prints it (NewScaledQuantity(n, -9)): "1234567n", "12m", "2"."""
    return "0" if nanos == 0 else _decimal_canonical(_Amount(nanos, _NANO, QuantityFormat.DECIMAL_SI))


def byte_quantity(count: int) -> str:
    """A byte count as Kubernetes prints it (NewQuantity(n, BinarySI)): "12345", "12Ki", "3Mi"."""
    if count == 0:
        return "0"
    amount = _Amount(count, 0, QuantityFormat.BINARY_SI)
    return _binary_canonical(amount) or _decimal_canonical(amount)


def _parse(quantity: Quantity) -> _Amount:
    text = _as_text(quantity)
    if text == "":
        raise ValueError(f"invalid quantity {quantity!r}: {_FORMAT_WRONG}")
    scanned = _SCANNER.fullmatch(text)
    if scanned is None:
        raise ValueError(f"invalid quantity {quantity!r}: {_FORMAT_WRONG}")
    sign, whole, fraction, suffix = scanned.groups()
    fraction = fraction or ""
    form, suffix_exponent = _interpret_suffix(suffix, quantity)

    unscaled = int(whole + fraction or "0")
    exponent = -len(fraction)
    if form is QuantityFormat.BINARY_SI:
        unscaled <<= suffix_exponent
    else:
        exponent += suffix_exponent
    if sign == "-":
        unscaled = -unscaled

    if exponent < _NANO:
        unscaled = _divide_away_from_zero(unscaled, _NANO - exponent)
        exponent = _NANO
    if form is QuantityFormat.BINARY_SI:
        # Only fraction digits move a binary-SI exponent, so it lies in [-9, 0] here.
        one = 10**-exponent
        if abs(unscaled) > _MAX_INT64 * one:
            unscaled, exponent = (_MAX_INT64 if unscaled > 0 else -_MAX_INT64), 0
        elif 0 < abs(unscaled) < one:
            form = QuantityFormat.DECIMAL_SI  # below one: "0.5Ki" has no binary spelling
    return _Amount(unscaled, exponent, form)


def _as_text(quantity: Quantity) -> str:
    if isinstance(quantity, bool) or not isinstance(quantity, (str, int, float)):
        raise ValueError(f"invalid quantity {quantity!r}: expected a string or a number")
    if isinstance(quantity, float) and not math.isfinite(quantity):
        raise ValueError(f"invalid quantity {quantity!r}: {_FORMAT_WRONG}")
    # Kubernetes trims surrounding whitespace when it decodes a quantity from JSON.
    return quantity.strip() if isinstance(quantity, str) else repr(quantity)


def _interpret_suffix(suffix: str, quantity: Quantity) -> tuple[QuantityFormat, int]:
    if suffix in _DECIMAL_SUFFIXES:
        return QuantityFormat.DECIMAL_SI, _DECIMAL_SUFFIXES[suffix]
    if suffix in _BINARY_SUFFIXES:
        return QuantityFormat.BINARY_SI, _BINARY_SUFFIXES[suffix]
    if len(suffix) > 1 and suffix[0] in "eE" and re.fullmatch(r"[+-]?[0-9]+", suffix[1:]):
        exponent = int(suffix[1:])
        # Kubernetes silently wraps an exponent past int32; refusing it is kinder.
        if exponent in _INT32_RANGE:
            return QuantityFormat.DECIMAL_EXPONENT, exponent
    raise ValueError(f"invalid quantity {quantity!r}: {_SUFFIX_WRONG}")


def _divide_away_from_zero(unscaled: int, places: int) -> int:
    """`unscaled / 10**places`, rounded away from zero; `places` > 0."""
    magnitude = abs(unscaled)
    if places > len(str(magnitude)):
        quotient = 1 if magnitude else 0  # skips building 10**places for absurd exponents
    else:
        quotient = -(-magnitude // 10**places)
    return -quotient if unscaled < 0 else quotient


def _as_int64(unscaled: int, exponent: int) -> int:
    """`unscaled * 10**exponent` as an integer, rounded away from zero, clamped to int64.

    Kubernetes' int64 accessors overflow past that range; clamping is the sane reading.
    """
    if exponent < 0:
        value = _divide_away_from_zero(unscaled, -exponent)
    elif unscaled and len(str(abs(unscaled))) + exponent > 19:
        value = unscaled * _MAX_INT64  # only its sign matters: clamped below
    else:
        value = unscaled * 10**exponent
    return max(-_MAX_INT64 - 1, min(value, _MAX_INT64))


def _decimal_canonical(amount: _Amount) -> str:
    """Strip trailing zeros, then lower the exponent to a multiple of three; pick its suffix."""
    unscaled, exponent = amount.unscaled, amount.exponent
    while unscaled % 10 == 0:
        unscaled //= 10
        exponent += 1
    while exponent % 3:
        unscaled *= 10
        exponent -= 1
    if amount.form is not QuantityFormat.DECIMAL_EXPONENT and exponent in _DECIMAL_SUFFIX_OF:
        return f"{unscaled}{_DECIMAL_SUFFIX_OF[exponent]}"
    # Past "E" there is no SI suffix; Kubernetes falls back to the exponent form.
    return f"{unscaled}e{exponent}" if exponent else str(unscaled)


def _binary_canonical(amount: _Amount) -> str | None:
    """The binary-SI spelling, or None when only a decimal one is exact (under 1024, or fractional)."""
    if amount.exponent < 0:
        value, remainder = divmod(abs(amount.unscaled), 10**-amount.exponent)
        if remainder:
            return None
    else:
        value = abs(amount.unscaled) * 10**amount.exponent
    if value < 1024:
        return None
    power = 0
    while value % 1024 == 0 and power < 60:
        value //= 1024
        power += 10
    sign = "-" if amount.unscaled < 0 else ""
    return f"{sign}{value}{_BINARY_SUFFIX_OF.get(power, '')}"
