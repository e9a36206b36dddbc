"""Portfolios of many SKUs: one table in, a policy and its exact KPIs per SKU out.

>>> from idinn.portfolio import solve_portfolio, sample_portfolio   # doctest: +SKIP
>>> results = solve_portfolio(*sample_portfolio())                  # doctest: +SKIP

See ``docs/portfolio.md``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ._history import read_demand_history
from ._run import parts_directory, solve_portfolio
from ._schema import HEURISTICS, METHODS
from ._solve import RESULT_COLUMNS

__all__ = [
    "HEURISTICS",
    "METHODS",
    "RESULT_COLUMNS",
    "parts_directory",
    "read_demand_history",
    "sample_portfolio",
    "solve_portfolio",
]


def sample_portfolio() -> tuple[Path, Path]:
    """Paths of the sample portfolio and its demand history shipped with idinn."""
    data = resources.files("idinn") / "data"
    return Path(str(data / "portfolio_skus.csv")), Path(str(data / "portfolio_demand_history.csv"))
