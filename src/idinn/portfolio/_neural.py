"""Neural controllers for portfolio rows (trained, then evaluated exactly)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._schema import RowError, SkuSpec

__all__ = ["solve_neural"]


def solve_neural(spec: SkuSpec, seed: int, record: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """Train the neural controller of ``spec`` and evaluate it exactly (not available yet)."""
    raise RowError(
        f"The 'method' column of the portfolio row {spec.position} (sku {spec.sku!r}) is 'neural', "
        "which is not supported yet in portfolios: use 'auto' (exact optimum where it exists).",
        "not_supported",
    )
