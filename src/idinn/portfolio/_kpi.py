r"""Exact per-period KPIs of order-up-to positions, vectorised in numpy.

Every policy the portfolio reports (base stock; the dual-sourcing heuristics; the optimal
dual-sourcing policy) raises, each period :math:`t`, a *post-order position* :math:`Y_t`:
everything that arrives by period :math:`t + \ell` (:math:`\ell = l` for single sourcing,
:math:`\ell = l_e` for dual sourcing). Nothing ordered later arrives before period
:math:`t + \ell + 1`, so in the long run

* the end-of-period net inventory of period :math:`t + \ell` is
  :math:`I = Y - D^{(\ell + 1)}`;
* the net inventory before demand in period :math:`t + \ell` is
  :math:`X = Y - D^{(\ell)}`, and that period's demand :math:`D` is independent of
  :math:`X`,

with :math:`D^{(n)}` the demand over :math:`n` periods, independent of :math:`Y`. Writing
:math:`Y = s + O` (a level :math:`s` plus an offset :math:`O \ge` whose law does not depend
on :math:`s`), every KPI is a function of :math:`V = D^{(\ell+1)} - O` and
:math:`W = D^{(\ell)} - O`:

* average on-hand stock :math:`E[I^+] = E[(s - V)^+]`;
* average backlog :math:`E[I^-] = E[(V - s)^+]`;
* cycle service level :math:`\mathrm{CSL} = P(I \ge 0) = P(V \le s)`: the probability that
  a period ends without backlog (no stockout in the period);
* fill rate :math:`\beta = E[\min(X^+, D)] / E[D] = E[g((s - W)^+)] / E[D]` with
  :math:`g(x) = E[\min(x, D)] = \sum_{k<x} P(D > k)`: the long-run fraction of demand
  met from stock on hand in the period it occurs.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "dense_pmf_matrix",
    "convolve_rows",
    "convolve_power",
    "limited_expectation",
    "level_kpis",
    "base_stock_levels",
]


def dense_pmf_matrix(values: list[np.ndarray], probs: list[np.ndarray]) -> np.ndarray:
    """Stack pmfs with support in ``0..K-1`` into a dense matrix, shape (n, K)."""
    width = max(int(v[-1]) for v in values) + 1
    out = np.zeros((len(values), width))
    for i, (v, p) in enumerate(zip(values, probs)):
        out[i, v] = p
    return out


def convolve_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise convolution of two pmf matrices, shapes (n, K) and (n, M) -> (n, K + M - 1)."""
    n, k = a.shape
    out = np.zeros((n, k + b.shape[1] - 1))
    for j in range(k):
        col = a[:, j : j + 1]
        if np.any(col):
            out[:, j : j + b.shape[1]] += col * b
    return out


def convolve_power(a: np.ndarray, periods: int) -> np.ndarray:
    r"""Row-wise pmf of :math:`D^{(n)} = D_1 + \dots + D_n`, shape (n_rows, n (K-1) + 1).

    ``periods = 0`` gives the point mass at 0.
    """
    out = np.ones((a.shape[0], 1))
    for _ in range(periods):
        out = convolve_rows(out, a)
    return out


def limited_expectation(a: np.ndarray) -> np.ndarray:
    r""":math:`g(x) = E[\min(x, D)]` for :math:`x = 0, \dots, K-1` per row, shape (n, K).

    :math:`g(x) = \sum_{k=0}^{x-1} P(D > k)`; :math:`g(x) = E[D]` for :math:`x \ge K - 1`.
    """
    survival = 1.0 - np.cumsum(a, axis=1)
    out = np.zeros_like(a)
    out[:, 1:] = np.cumsum(survival[:, :-1], axis=1)
    return out


def level_kpis(
    v_pmf: np.ndarray,
    v_low: np.ndarray,
    w_pmf: np.ndarray,
    w_low: np.ndarray,
    demand: np.ndarray,
    levels: np.ndarray,
) -> dict[str, np.ndarray]:
    r"""On-hand, backlog, CSL and fill rate at levels :math:`s` (module docstring), per row.

    Parameters
    ----------
    v_pmf : ndarray, shape (n, M)
        pmf of :math:`V` on ``v_low[i] + 0..M-1``.
    v_low : ndarray of int, shape (n,)
    w_pmf : ndarray, shape (n, M')
        pmf of :math:`W` on ``w_low[i] + 0..M'-1``.
    w_low : ndarray of int, shape (n,)
    demand : ndarray, shape (n, K)
        pmf of the per-period demand :math:`D` on ``0..K-1``.
    levels : ndarray of int, shape (n,)
        :math:`s`.

    Returns
    -------
    dict of ndarray, shape (n,)
        ``on_hand`` :math:`E[(s-V)^+]`, ``backlog`` :math:`E[(V-s)^+]`,
        ``cycle_service_level`` :math:`P(V \le s)`, ``fill_rate``.
    """
    levels = np.asarray(levels)
    grid_v = v_low[:, None] + np.arange(v_pmf.shape[1])[None, :]
    gap = levels[:, None] - grid_v
    on_hand = (v_pmf * np.maximum(gap, 0)).sum(axis=1)
    backlog = (v_pmf * np.maximum(-gap, 0)).sum(axis=1)
    csl = (v_pmf * (gap >= 0)).sum(axis=1)
    g = limited_expectation(demand)
    grid_w = w_low[:, None] + np.arange(w_pmf.shape[1])[None, :]
    x = np.clip(levels[:, None] - grid_w, 0, demand.shape[1] - 1)
    met = (w_pmf * np.take_along_axis(g, x, axis=1)).sum(axis=1)
    mean = g[:, -1]
    return {
        "on_hand": on_hand,
        "backlog": backlog,
        "cycle_service_level": np.minimum(csl, 1.0),
        "fill_rate": np.minimum(met / mean, 1.0),
    }


def base_stock_levels(
    lead_pmf: np.ndarray,
    before_pmf: np.ndarray,
    demand: np.ndarray,
    holding_cost: np.ndarray,
    shortage_cost: np.ndarray,
    target_kind: np.ndarray,
    target_value: np.ndarray,
) -> np.ndarray:
    r"""Optimal base-stock level of every row, vectorised.

    Without a target: the newsvendor fractile, the smallest :math:`S` with
    :math:`P(D^{(l+1)} \le S) \ge b/(b+h)` (Arrow, Harris & Marschak 1951), as
    :func:`idinn.single_controller.base_stock.optimal_base_stock`. With a target (CSL or
    fill rate, both non-decreasing in :math:`S`, while the holding cost
    :math:`h E[(S - D^{(l+1)})^+]` increases): the smallest :math:`S` that meets it; the
    newsvendor level is kept when it is larger (a shortage cost given as well).

    Parameters
    ----------
    lead_pmf : ndarray, shape (n, M)
        pmf of :math:`D^{(l+1)}` on ``0..M-1``.
    before_pmf : ndarray, shape (n, M')
        pmf of :math:`D^{(l)}`.
    demand : ndarray, shape (n, K)
    holding_cost, shortage_cost : ndarray, shape (n,)
    target_kind : ndarray of int, shape (n,)
        0 none, 1 fill rate, 2 cycle service level.
    target_value : ndarray, shape (n,)

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    n, m = lead_pmf.shape
    total = holding_cost + shortage_cost
    ratio = np.where(total > 0, shortage_cost / np.where(total > 0, total, 1.0), 0.0)
    cdf = np.cumsum(lead_pmf, axis=1)
    level = np.argmax(cdf >= (ratio - 1e-12)[:, None], axis=1)
    csl_rows = target_kind == 2
    if csl_rows.any():
        need = np.argmax(cdf[csl_rows] >= (target_value[csl_rows] - 1e-12)[:, None], axis=1)
        level[csl_rows] = np.maximum(level[csl_rows], need)
    fill_rows = np.flatnonzero(target_kind == 1)
    if fill_rows.size:
        g = limited_expectation(demand[fill_rows])
        k = demand.shape[1]
        bp = before_pmf[fill_rows]
        grid = np.arange(m)
        # fill(S) for S = 0..M-1: sum_a P(D^(l) = a) g((S - a)^+)
        idx = np.clip(grid[None, :, None] - np.arange(bp.shape[1])[None, None, :], 0, k - 1)
        met = np.einsum("ra,rsa->rs", bp, np.take_along_axis(g[:, None, :], idx.repeat(len(fill_rows), 0), axis=2))
        fill = met / g[:, -1:]
        ok = fill >= (target_value[fill_rows] - 1e-12)[:, None]
        need = np.where(ok.any(axis=1), np.argmax(ok, axis=1), m - 1)
        level[fill_rows] = np.maximum(level[fill_rows], need)
    return level.astype(np.int64)
