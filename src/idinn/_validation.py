"""Input checks shared by every public entry point.

Every message follows one wording, so users (and tests) can rely on it::

    The 'lead_time' parameter of SingleSourcingModel must be an int >= 0. Got -1 instead.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np


def _message(name: str, owner: str, rule: str, value: Any) -> str:
    return f"The {name!r} parameter of {owner} must be {rule}. Got {value!r} instead."


def is_integral(value: Any) -> bool:
    """True for Python/NumPy integers and integral floats, never for bools."""
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, numbers.Integral):
        return True
    if isinstance(value, numbers.Real):
        return math.isfinite(float(value)) and float(value).is_integer()
    return False


def check_int(value: Any, name: str, owner: str, *, minimum: int | None = None) -> int:
    """Return ``value`` as an ``int`` or raise a ``TypeError``/``ValueError``.

    Integral floats such as ``3.0`` are refused: an order quantity, a lead time or a
    number of periods is an integer, and ``3.0`` usually hides a unit mistake.
    """
    rule = "an int" if minimum is None else f"an int >= {minimum}"
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(_message(name, owner, rule, value))
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(_message(name, owner, rule, value))
    return value


def check_real(
    value: Any,
    name: str,
    owner: str,
    *,
    minimum: float | None = None,
    exclusive_minimum: float | None = None,
    maximum: float | None = None,
    exclusive_maximum: float | None = None,
) -> float:
    """Return ``value`` as a finite ``float`` within the stated bounds."""
    parts = ["a finite real number"]
    if minimum is not None:
        parts.append(f">= {minimum}")
    if exclusive_minimum is not None:
        parts.append(f"> {exclusive_minimum}")
    if maximum is not None:
        parts.append(f"<= {maximum}")
    if exclusive_maximum is not None:
        parts.append(f"< {exclusive_maximum}")
    rule = " ".join(parts[:1]) + ("" if len(parts) == 1 else " " + " and ".join(parts[1:]))
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(_message(name, owner, rule, value))
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(_message(name, owner, rule, value))
    if (
        (minimum is not None and x < minimum)
        or (exclusive_minimum is not None and x <= exclusive_minimum)
        or (maximum is not None and x > maximum)
        or (exclusive_maximum is not None and x >= exclusive_maximum)
    ):
        raise ValueError(_message(name, owner, rule, value))
    return x


def check_cost(value: Any, name: str, owner: str) -> float:
    """A unit cost: finite and non-negative."""
    return check_real(value, name, owner, minimum=0)


def check_optional_int(value: Any, name: str, owner: str, *, minimum: int | None = None) -> int | None:
    if value is None:
        return None
    return check_int(value, name, owner, minimum=minimum)


def check_seed(value: Any, name: str, owner: str) -> int | None:
    """A seed is ``None`` or a non-negative int."""
    return check_optional_int(value, name, owner, minimum=0)


MAX_EXACT_QUANTITY = 2**24
"""Largest quantity float32 (the simulator's number type) holds exactly."""


def check_exact_quantity(value: int, name: str, owner: str) -> int:
    """Refuse an integer quantity beyond +-2**24, which float32 would round silently."""
    if abs(value) > MAX_EXACT_QUANTITY:
        raise ValueError(
            _message(
                name,
                owner,
                f"an int between -{MAX_EXACT_QUANTITY} and {MAX_EXACT_QUANTITY} (float32, the simulator's "
                "number type, holds integers exactly only up to 2**24)",
                value,
            )
        )
    return value


def fail(name: str, owner: str, rule: str, value: Any, exc: type[Exception] = ValueError) -> None:
    """Raise ``exc`` with the standard wording."""
    raise exc(_message(name, owner, rule, value))


class NotFittedError(AttributeError, ValueError):
    """Raised when a controller is used before ``fit`` (or ``load``)."""


def not_fitted(owner: str) -> NotFittedError:
    return NotFittedError(
        f"This {owner} instance is not fitted yet. Call 'fit' with a sourcing model "
        "(or 'load' a saved controller) before using this method."
    )
