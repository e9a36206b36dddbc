"""Small helpers shared by the exact methods."""

from __future__ import annotations

import numpy as np

from .._validation import fail
from ..demand import BaseDemand

__all__ = ["finite_pmf", "convolve_pmf", "newsvendor_level"]


def finite_pmf(demand: object, name: str, owner: str) -> tuple[np.ndarray, np.ndarray]:
    """Support and probabilities of a stationary, finite-support demand model.

    Raises ``TypeError``/``ValueError`` (standard wording) for anything else. Support
    points with probability 0 are dropped.
    """
    if not isinstance(demand, BaseDemand):
        fail(name, owner, "a demand model from idinn.demand (e.g. UniformDemand)", demand, TypeError)
    if not demand.has_finite_support:
        fail(
            name,
            owner,
            "a demand model with finite support (exact methods need its pmf; "
            "use UniformDemand, CustomDemand or FiniteDemand)",
            demand,
        )
    if demand.season_length is not None:
        fail(name, owner, "a stationary demand model (season_length None)", demand)
    values, probs = demand.pmf(0)
    values = np.asarray(values, dtype=np.int64)
    probs = np.asarray(probs, dtype=np.float64)
    keep = probs > 0
    values, probs = values[keep], probs[keep]
    return values, probs / probs.sum()


def convolve_pmf(values: np.ndarray, probs: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    r"""pmf of :math:`D^{(n)} = D_1 + \dots + D_n` for i.i.d. integer :math:`D_i`.

    Parameters
    ----------
    values : ndarray of int, shape (K,)
        Sorted support of :math:`D`.
    probs : ndarray of float, shape (K,)
    n : int
        Number of periods, >= 1.

    Returns
    -------
    values_n, probs_n : ndarray
        Support ``n * min(values) .. n * max(values)`` (dense, zeros dropped) and
        probabilities.
    """
    lo, hi = int(values[0]), int(values[-1])
    dense = np.zeros(hi - lo + 1)
    dense[values - lo] = probs
    out = np.ones(1)
    for _ in range(n):
        out = np.convolve(out, dense)
    support = np.arange(n * lo, n * lo + len(out), dtype=np.int64)
    keep = out > 0
    return support[keep], out[keep] / out[keep].sum()


def newsvendor_level(values: np.ndarray, probs: np.ndarray, holding_cost: float, shortage_cost: float) -> int:
    r"""Smallest :math:`S` with :math:`P(D \le S) \ge b / (b + h)` (newsvendor quantile).

    With :math:`h = b = 0` the median is returned.
    """
    total = holding_cost + shortage_cost
    ratio = 0.5 if total == 0 else shortage_cost / total
    cdf = np.cumsum(probs)
    idx = int(np.searchsorted(cdf, ratio - 1e-12, side="left"))
    return int(values[min(idx, len(values) - 1)])
