r"""The one path from a demand model to the pmfs the exact methods need.

Every exact method (dynamic programming, exact evaluation, base-stock levels, the
heuristics' automatic ranges) turns a demand model into probability mass functions here,
with one set of checks:

* :func:`demand_pmf` -- the pmf of period :math:`t` (finite support, valid
  probabilities; unbounded support is refused with the advice to use ``.truncated(...)``);
* :func:`demand_pmfs` -- the pmfs of periods :math:`0, \dots, T-1` (one object per phase);
* :func:`sum_pmf` / :func:`convolve_pmf` -- pmf of a sum of independent demands
  (lead-time demand :math:`D^{(n)} = D_1 + \dots + D_n`);
* :func:`newsvendor_cost` -- the expected holding and shortage cost
  :math:`G(y) = E[h (y - D)^+ + b (D - y)^+]`;
* :func:`critical_fractile` / :func:`newsvendor_level` -- the newsvendor quantile;
* :func:`default_position_range` -- the one family of default truncation bounds.

A pmf is a pair ``(values, probs)``: ``values`` sorted distinct int64, ``probs`` float64,
positive, summing to 1.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int, fail
from ..demand import BaseDemand

__all__ = [
    "Pmf",
    "demand_pmf",
    "demand_pmfs",
    "clean_pmf",
    "sum_pmf",
    "convolve_pmf",
    "newsvendor_cost",
    "critical_fractile",
    "newsvendor_level",
    "default_position_range",
    "check_size",
    "MAX_TABLE_ENTRIES",
]

Pmf = tuple[np.ndarray, np.ndarray]

#: Most entries (states x actions or states x demand values) one exact method may allocate by
#: default (about 8 bytes each: 2**27 entries ~ 1 GiB). Raise it with the ``max_entries``
#: argument of the method, or globally by assigning ``idinn.exact._pmf.MAX_TABLE_ENTRIES``.
MAX_TABLE_ENTRIES = 2**27


def clean_pmf(
    values: object, probs: object, *, owner: str = "demand_pmf", name: str = "demand", values_name: str | None = None
) -> Pmf:
    """Sorted support without zero-probability points, probabilities renormalised.

    Raises ``ValueError`` (standard wording) for non-integer values, negative / non-finite
    probabilities, or probabilities that do not sum to 1 (within 1e-6).
    """
    v = np.asarray(values)
    p = np.asarray(probs, dtype=np.float64)
    if v.ndim != 1 or v.shape != p.shape or v.size == 0:
        fail(name, owner, "a pmf: two 1-d arrays of equal, positive length (values, probabilities)", (v.shape, p.shape))
    vf = v.astype(np.float64)
    if not np.all(np.isfinite(vf)) or np.any(vf != np.rint(vf)):
        if values_name is None:
            fail(name, owner, "a pmf with integer demand values", v.tolist()[:8])
        fail(values_name, owner, "integers", v.tolist()[:8])
    if not np.all(np.isfinite(p)) or np.any(p < 0) or abs(float(p.sum()) - 1.0) > 1e-6:
        fail(name, owner, "a pmf with finite probabilities >= 0 summing to 1", p.tolist()[:8])
    v = v.astype(np.int64)
    keep = p > 0
    v, p = v[keep], p[keep]
    order = np.argsort(v, kind="stable")
    v, p = v[order], p[order]
    if v.size > 1 and np.any(np.diff(v) == 0):  # merge repeated values
        uniq, inv = np.unique(v, return_inverse=True)
        v, p = uniq, np.bincount(inv, weights=p)
    return v, p / p.sum()


def demand_pmf(demand: object, period: int = 0, *, owner: str = "demand_pmf", name: str = "demand") -> Pmf:
    r"""The pmf of the demand :math:`D_t` of ``period`` (the one demand-to-pmf path).

    Parameters
    ----------
    demand : BaseDemand
        A demand model from :mod:`idinn.demand` with finite support in ``period``.
    period : int, default=0
        Calendar period :math:`t` (seasonal models use phase ``t % season_length``).
    owner, name : str
        Function and parameter named in error messages.

    Returns
    -------
    values : ndarray of int64, shape (K,)
        Sorted support (points of probability 0 removed).
    probs : ndarray of float64, shape (K,)
        Probabilities, summing to 1.

    Raises
    ------
    TypeError
        ``demand`` is not a demand model.
    ValueError
        Unbounded support (use ``demand.truncated(tail_mass=...)``), or an invalid pmf.

    Examples
    --------
    >>> from idinn.demand import UniformDemand
    >>> from idinn.exact import demand_pmf
    >>> values, probs = demand_pmf(UniformDemand(0, 2))
    >>> values.tolist(), probs.round(4).tolist()
    ([0, 1, 2], [0.3333, 0.3333, 0.3333])
    """
    if not isinstance(demand, BaseDemand):
        fail(name, owner, "a demand model from idinn.demand (e.g. UniformDemand)", demand, TypeError)
    period = check_int(period, "period", owner, minimum=0)
    if not demand.has_finite_support:
        fail(
            name,
            owner,
            "a demand model with finite support (exact methods need its pmf; use "
            "demand.truncated(tail_mass=1e-9) or UniformDemand, CustomDemand, FiniteDemand)",
            demand,
        )
    try:
        values, probs = demand.pmf(period)
    except ValueError as err:  # e.g. one season entry with unbounded support
        fail(name, owner, f"a demand model with a finite pmf in period {period} ({err}); use demand.truncated(...)", demand)
        raise AssertionError from err  # pragma: no cover
    return clean_pmf(values, probs, owner=owner, name=name)


def demand_pmfs(demand: object, periods: int, *, owner: str = "demand_pmf", name: str = "demand") -> list[Pmf]:
    """The pmfs of periods ``0 .. periods - 1`` (one shared object per phase)."""
    if not isinstance(demand, BaseDemand):
        fail(name, owner, "a demand model from idinn.demand (e.g. UniformDemand)", demand, TypeError)
    season = demand.season_length
    cache: dict[int, Pmf] = {}
    out = []
    for t in range(periods):
        phase = 0 if season is None else t % season
        if phase not in cache:
            cache[phase] = demand_pmf(demand, t, owner=owner, name=name)
        out.append(cache[phase])
    return out


def stationary_pmf(demand: object, *, owner: str, name: str = "demand") -> Pmf:
    """The pmf of a stationary demand model (refuses seasonal ones: name the evaluator to use)."""
    if isinstance(demand, BaseDemand) and demand.season_length is not None:
        fail(
            name,
            owner,
            "a stationary demand model (season_length None); for period-dependent demand use "
            "evaluate_policy_finite_horizon, evaluate_policy_discounted, solve_finite_horizon or solve_discounted",
            demand,
        )
    return demand_pmf(demand, 0, owner=owner, name=name)


def check_size(entries: float, max_entries: int | None, owner: str, what: str, hint: str) -> None:
    """Refuse, before any work, a computation needing more than ``max_entries`` table entries.

    The message gives the size, the memory (8 bytes an entry) and how to raise the limit.
    """
    limit = MAX_TABLE_ENTRIES if max_entries is None else max_entries
    if entries > limit:
        raise MemoryError(
            f"{owner} would need about {entries:.3g} {what} (~{entries * 8 / 2**30:.3g} GiB), above the "
            f"limit of {limit:.3g} ({limit * 8 / 2**30:.3g} GiB). {hint} Raise the limit with "
            f"max_entries=... (or idinn.exact._pmf.MAX_TABLE_ENTRIES) if the machine has the memory."
        )


def sum_pmf(pmfs: list[Pmf], *, max_entries: int | None = None, owner: str = "sum_pmf") -> Pmf:
    r"""pmf of :math:`D_1 + \dots + D_n` for independent integer :math:`D_i` (dense convolution).

    The empty sum is the point mass at 0.
    """
    if not pmfs:
        return np.zeros(1, dtype=np.int64), np.ones(1)
    lo = sum(int(v[0]) for v, _ in pmfs)
    width = sum(int(v[-1] - v[0]) for v, _ in pmfs) + 1
    check_size(float(width) * max(len(pmfs), 1), max_entries, owner, "convolution entries",
               "The demand's support is too wide for exact methods.")
    dense = np.ones(1)
    for v, p in pmfs:
        d = np.zeros(int(v[-1] - v[0]) + 1)
        d[v - v[0]] = p
        dense = np.convolve(dense, d) if min(len(dense), len(d)) < 64 else _fft_convolve(dense, d)
    support = np.arange(lo, lo + len(dense), dtype=np.int64)
    dense = np.clip(dense, 0.0, None)
    keep = dense > 1e-300
    return support[keep], dense[keep] / dense[keep].sum()


def _fft_convolve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Linear convolution by real FFT (numpy), for long pmfs (O(n log n) instead of O(n^2))."""
    n = len(a) + len(b) - 1
    size = 1 << (n - 1).bit_length()
    out = np.fft.irfft(np.fft.rfft(a, size) * np.fft.rfft(b, size), size)[:n]
    out[np.abs(out) < 1e-18] = 0.0  # FFT round-off below any meaningful probability
    return out


def convolve_pmf(values: np.ndarray, probs: np.ndarray, n: int) -> Pmf:
    r"""pmf of :math:`D^{(n)} = D_1 + \dots + D_n` for i.i.d. :math:`D_i` with pmf ``(values, probs)``.

    ``n = 0`` gives the point mass at 0.
    """
    return sum_pmf([(np.asarray(values, dtype=np.int64), np.asarray(probs, dtype=np.float64))] * int(n))


def newsvendor_cost(
    positions: np.ndarray | int, values: np.ndarray, probs: np.ndarray, holding_cost: float, shortage_cost: float
) -> np.ndarray:
    r"""Expected holding and shortage cost :math:`G(y) = E[h (y - D)^+ + b (D - y)^+]`.

    Computed for every :math:`y` at once from the cumulative sums of the pmf
    (:math:`O(n + K)` instead of :math:`O(nK)`).

    Parameters
    ----------
    positions : ndarray of int, shape (n,)
        Positions :math:`y` (inventory after ordering, before demand).
    values, probs : ndarray, shape (K,)
        pmf of :math:`D` (sorted values).
    holding_cost : float
        [:math:`h`] per unit left over.
    shortage_cost : float
        [:math:`b`] per unit short.

    Returns
    -------
    ndarray of float64, shape (n,)
    """
    y = np.asarray(positions, dtype=np.float64).reshape(-1)
    v = np.asarray(values, dtype=np.float64)
    p = np.asarray(probs, dtype=np.float64)
    if v.size <= 64 or y.size <= 16:
        diff = y[:, None] - v[None, :]
        return (holding_cost * np.clip(diff, 0, None) + shortage_cost * np.clip(-diff, 0, None)) @ p
    # E[(y - D)^+] = y F(y) - sum_{d <= y} d p_d ; E[(D - y)^+] = E[D] - y + E[(y - D)^+]
    cum_p = np.concatenate([[0.0], np.cumsum(p)])
    cum_dp = np.concatenate([[0.0], np.cumsum(v * p)])
    k = np.searchsorted(v, y, side="right")
    over = y * cum_p[k] - cum_dp[k]
    under = cum_dp[-1] - y + over
    return holding_cost * over + shortage_cost * np.clip(under, 0.0, None)


def critical_fractile(holding_cost: float, shortage_cost: float) -> float:
    r"""The newsvendor critical fractile :math:`b / (b + h)`.

    With :math:`h = b = 0` every level costs nothing; the rule then is fractile 0 (the
    smallest level, i.e. the least stock, consistent with the exact solvers' "smaller order
    on a tie"). Arrow, Harris & Marschak (1951).
    """
    total = holding_cost + shortage_cost
    return 0.0 if total == 0 else shortage_cost / total


def newsvendor_level(values: np.ndarray, probs: np.ndarray, holding_cost: float, shortage_cost: float) -> int:
    r"""Smallest :math:`S` with :math:`P(D \le S) \ge b/(b+h)` (:func:`critical_fractile`)."""
    ratio = critical_fractile(holding_cost, shortage_cost)
    cdf = np.cumsum(probs)
    idx = int(np.searchsorted(cdf, ratio - 1e-12, side="left"))
    return int(values[min(idx, len(values) - 1)])


def default_position_range(
    pmfs: list[Pmf], periods: int, holding_cost: float, shortage_cost: float, width_factor: int, init: int
) -> tuple[int, int]:
    r"""The default truncation family of the exact evaluators.

    With :math:`n` = ``periods``, :math:`S_k` the newsvendor level of
    :math:`D_k + \dots + D_{k+n-1}` for every phase :math:`k` of ``pmfs`` and
    :math:`\bar d` the largest demand, the range is
    :math:`[\min(I_0, \min_k S_k) - W,\ \max(I_0, \max_k S_k) + W]` with
    :math:`W = f\, n \max(\bar d, 1)` (:math:`f` = ``width_factor``).
    """
    s = len(pmfs)
    levels = [newsvendor_level(*sum_pmf([pmfs[(k + j) % s] for j in range(periods)]), holding_cost, shortage_cost)
              for k in range(s)]
    width = width_factor * periods * max(max(int(v[-1]) for v, _ in pmfs), 1)
    return min(init, min(levels)) - width, max(init, max(levels)) + width
