r"""Classical lost-sales policies, fitted by exact evaluation (no Monte-Carlo noise).

Policies of single sourcing with lost sales (Zipkin 2008, *Oper. Res.* 56(5); Xin 2021,
*Oper. Res.* 69(5)), on the state :math:`(x, v_1, \dots, v_{L-1})` of
:mod:`idinn.exact.lost_sales` (on-hand stock after this period's arrival, then the later
outstanding orders), inventory position :math:`y = x + \sum_i v_i`:

* base-stock :math:`S`: order :math:`[S - y]^+`;
* capped base-stock :math:`(S, r)` (Xin 2021): order :math:`\min([S - y]^+, r)`;
* constant order :math:`r`: order :math:`r` every period.

Each policy's long-run average cost is computed exactly: relative value iteration of the
fixed policy on the simplex :math:`y \le S` (closed under both base-stock policies), and
for constant orders the stationary law of the on-hand Lindley chain
:math:`I_{t+1} = [I_t + r - D_t]^+`. ``fit_*`` scan the parameter and keep the best.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from .._validation import check_int, fail
from .lost_sales import _max_position, build_space, check_lost_sales_problem, lost_sales_demand_pmf, next_state_row

__all__ = [
    "LostSalesPolicyFit",
    "evaluate_lost_sales_base_stock",
    "evaluate_lost_sales_constant_order",
    "evaluate_lost_sales_ss",
    "fit_lost_sales_base_stock",
    "fit_lost_sales_capped_base_stock",
    "fit_lost_sales_constant_order",
    "fit_lost_sales_ss",
    "standard_base_stock_level",
]


@dataclass(frozen=True)
class LostSalesPolicyFit:
    """The best parameters of a policy class and their exact average cost.

    Attributes
    ----------
    policy : str
        ``"base_stock"``, ``"capped_base_stock"`` or ``"constant_order"``.
    parameters : dict
        ``{"base_stock_level": S}``, ``{"base_stock_level": S, "cap": r}`` or ``{"order": r}``.
    average_cost : float
        Exact long-run average cost per period of these parameters.
    evaluations : int
        Number of parameter values evaluated.
    """

    policy: str
    parameters: dict
    average_cost: float
    evaluations: int


#: Sweeps of the fixed-policy relative value iteration before it gives up (with a warning).
_MAX_SWEEPS = 100_000


@njit(cache=True)
def _evaluate_sweep(h, hn, qs, xs, v1s, tails, widths, tri, pmf, sf, cx, c, K):  # pragma: no cover - compiled
    for i in range(xs.shape[0]):
        x = xs[i]
        base = next_state_row(tails[i], widths[i], tri, qs[i], v1s[i])
        val = cx[x] + c * qs[i] + sf[x] * h[base]
        if qs[i] > 0:
            val += K
        for d in range(x):
            val += pmf[d] * h[base + x - d]
        hn[i] = val


def evaluate_orders(sp: Any, q: np.ndarray, tol: float) -> float:
    """Average cost of the fixed orders ``q`` (one per state of the space ``sp``, closed under them), by RVI."""
    q = np.asarray(q, dtype=np.int64)
    h = np.zeros(sp.n)
    hn = np.zeros(sp.n)
    lo = hi = 0.0
    for _ in range(_MAX_SWEEPS):
        _evaluate_sweep(h, hn, q, sp.xs, sp.v1s, sp.tails, sp.widths, sp.tri, sp.pmf, sp.sf, sp.cx, sp.order_cost,
                        sp.fixed_cost)
        np.subtract(hn, h, out=h)  # TH - H
        lo, hi = float(h.min()), float(h.max())
        np.subtract(hn, hn[0], out=h)
        if hi - lo < tol:
            break
    else:
        warnings.warn(f"evaluate_orders: relative value iteration stopped after {_MAX_SWEEPS:,} sweeps with the cost "
                      f"only bracketed in [{lo:.6g}, {hi:.6g}] (span above tol={tol:g}); the midpoint is returned. "
                      "A policy with several recurrent classes or a periodic chain does this.", RuntimeWarning,
                      stacklevel=2)
    return 0.5 * (lo + hi)


def _evaluate(problem: Any, level: int, cap: int | None, tail_mass: float, tol: float, max_entries: int | None,
              owner: str) -> float:
    sp = build_space(problem, level, tail_mass, max_entries, owner)
    pos = sp.grids.sum(1)
    q = np.maximum(level - pos, 0)
    if cap is not None:
        q = np.minimum(q, cap)
    return evaluate_orders(sp, q, tol)


def evaluate_lost_sales_base_stock(
    sourcing_model: Any, base_stock_level: int, cap: int | None = None, *, tail_mass: float = 1e-10,
    tol: float = 1e-8, max_entries: int | None = None,
) -> float:
    r"""Exact average cost of the (capped) base-stock policy :math:`\min([S - y]^+, r)` under lost sales.

    Parameters
    ----------
    sourcing_model : SourcingProblem or SingleSourcingModel
        Single sourcing, lead time >= 1, ``excess_demand="lost_sales"``.
    base_stock_level : int
        :math:`S \ge 0`.
    cap : int, optional
        :math:`r \ge 0`; ``None`` for the uncapped base-stock policy.

    Returns
    -------
    float
        Long-run average cost per period (the chain is started inside :math:`y \le S`).
    """
    owner = "evaluate_lost_sales_base_stock"
    problem = check_lost_sales_problem(sourcing_model, owner)
    level = check_int(base_stock_level, "base_stock_level", owner, minimum=0)
    if cap is not None:
        cap = check_int(cap, "cap", owner, minimum=0)
    return _evaluate(problem, level, cap, tail_mass, tol, max_entries, owner)


def standard_base_stock_level(sourcing_model: Any, tail_mass: float = 1e-10) -> int:
    r"""The backlog model's optimal level: the :math:`p/(p+h)` quantile of the demand over :math:`L+1` periods."""
    problem = check_lost_sales_problem(sourcing_model, "standard_base_stock_level")
    p, h = problem.params.shortage_cost, problem.params.holding_cost
    pmf, _, _ = lost_sales_demand_pmf(problem.demand, tail_mass)
    return _max_position(pmf, problem.params.lead_times[0], p / (p + h) if p + h > 0 else 0.0)


#: costs closer than this are ties: the relative value iteration stops at a span of 1e-8, so
#: smaller differences are noise (a scan must not walk along a flat plateau on them)
_NOISE = 1e-7


def _walk(cost_of: Any, start: int, patience: int, low: int, high: int) -> tuple[int, float, int]:
    """Minimise over the integers low..high: walk each way from ``start`` until ``patience`` steps fail to improve."""
    seen: dict[int, float] = {}

    def f(k: int) -> float:
        if k not in seen:
            seen[k] = cost_of(k)
        return seen[k]

    best = start
    for direction in (-1, 1):
        k, misses = best + direction, 0
        while low <= k <= high and misses < patience:
            if f(k) < f(best) - _NOISE:
                best, misses = k, 0
            else:
                misses += 1
            k += direction
    return best, f(best), len(seen)


def _scan(cost_of: Any, start: int, low: int = 0) -> tuple[int, float, int]:
    """Minimise a unimodal-looking integer function: walk down then up from ``start`` while it falls."""
    return _walk(cost_of, start, 1, low, 10**9)


def fit_lost_sales_base_stock(sourcing_model: Any, *, tail_mass: float = 1e-10, max_entries: int | None = None
                              ) -> LostSalesPolicyFit:
    r"""Best base-stock level :math:`S` by exact evaluation (scan from the standard level down and up)."""
    owner = "fit_lost_sales_base_stock"
    problem = check_lost_sales_problem(sourcing_model, owner)
    start = standard_base_stock_level(problem, tail_mass)
    s, cost, n = _scan(lambda s: _evaluate(problem, s, None, tail_mass, 1e-8, max_entries, owner), start)
    return LostSalesPolicyFit("base_stock", {"base_stock_level": s}, cost, n)


def fit_lost_sales_capped_base_stock(sourcing_model: Any, *, tail_mass: float = 1e-10, max_entries: int | None = None,
                                     max_level: int | None = None) -> LostSalesPolicyFit:
    r"""Best capped base-stock :math:`(S, r)` (Xin 2021) by exact evaluation.

    For each cap :math:`r = 1, 2, \dots` the best level is scanned (starting from the
    previous cap's); caps stop once the cost has risen for two caps in a row or the cap
    reaches the level (then the policy is a plain base-stock policy). ``max_level``
    bounds :math:`S` (default twice the standard base-stock level).
    """
    owner = "fit_lost_sales_capped_base_stock"
    problem = check_lost_sales_problem(sourcing_model, owner)
    std = standard_base_stock_level(problem, tail_mass)
    top = 2 * std + 2 if max_level is None else check_int(max_level, "max_level", owner, minimum=0)
    best: tuple[float, int, int] = (math.inf, 0, 0)
    level, worse, n = std, 0, 0
    for cap in range(1, top + 1):
        def cost_of(s: int, cap: int = cap) -> float:
            return _evaluate(problem, min(s, top), cap, tail_mass, 1e-8, max_entries, owner) if s <= top else math.inf

        level, cost, k = _scan(cost_of, level)
        n += k
        if cost < best[0] - _NOISE:
            best, worse = (cost, level, cap), 0
        else:
            worse += 1
        if worse >= 2 or cap >= level:
            break
    return LostSalesPolicyFit("capped_base_stock", {"base_stock_level": best[1], "cap": best[2]}, best[0], n)


def evaluate_lost_sales_constant_order(sourcing_model: Any, order: int, *, tail_mass: float = 1e-12,
                                       max_inventory: int = 1000) -> float:
    r"""Exact average cost of ordering ``order`` every period under lost sales.

    The on-hand stock at the start of a period (before the arrival) follows the Lindley
    chain :math:`I_{t+1} = [I_t + r - D_t]^+`, whatever the lead time; its stationary law is
    computed on ``0..max_inventory`` (the mass that would pass above is refused, not
    dropped). Infinite when :math:`r \ge E[D]` (no stationary law).
    """
    owner = "evaluate_lost_sales_constant_order"
    problem = check_lost_sales_problem(sourcing_model, owner)
    r = check_int(order, "order", owner, minimum=0)
    pmf, _, _ = lost_sales_demand_pmf(problem.demand, tail_mass)
    mean = float(np.arange(len(pmf)) @ pmf)
    if r >= mean:
        return math.inf
    n = check_int(max_inventory, "max_inventory", owner, minimum=1) + 1
    P = np.zeros((n, n))
    for d, pd in enumerate(pmf):
        if pd > 0:
            P[np.arange(n), np.clip(np.arange(n) + r - d, 0, n - 1)] += pd
    A = P.T - np.eye(n)
    A[-1, :] = 1.0  # replace one balance equation by sum(pi) = 1
    rhs = np.zeros(n)
    rhs[-1] = 1.0
    pi = np.linalg.solve(A, rhs)
    if pi[-(r + 1):].sum() > 1e-10:
        fail("max_inventory", owner, "large enough that the stationary law has no mass at its end (raise it)",
             max_inventory)
    h, p, c = problem.params.holding_cost, problem.params.shortage_cost, problem.params.order_costs[0]
    support = np.arange(len(pmf))
    y = np.arange(n)[:, None] + r - support[None, :]
    per_state = (h * np.maximum(y, 0) + p * np.maximum(-y, 0)) @ pmf
    return float(pi @ per_state + c * r)


def fit_lost_sales_constant_order(sourcing_model: Any, *, tail_mass: float = 1e-12) -> LostSalesPolicyFit:
    """Best integer constant order :math:`r < E[D]` by exact evaluation."""
    owner = "fit_lost_sales_constant_order"
    problem = check_lost_sales_problem(sourcing_model, owner)
    pmf, _, _ = lost_sales_demand_pmf(problem.demand, tail_mass)
    mean = float(np.arange(len(pmf)) @ pmf)
    costs = {r: evaluate_lost_sales_constant_order(problem, r, tail_mass=tail_mass) for r in range(int(math.ceil(mean)))}
    r = min(costs, key=costs.get)
    return LostSalesPolicyFit("constant_order", {"order": r}, costs[r], len(costs))


def evaluate_lost_sales_ss(sourcing_model: Any, reorder_point: int, order_up_to_level: int, *,
                           tail_mass: float = 1e-10, tol: float = 1e-9, max_entries: int | None = None) -> float:
    r"""Exact average cost of the :math:`(s, S)` policy under lost sales (fixed cost :math:`K` included).

    Orders :math:`S - y` when the inventory position :math:`y \le s`, else nothing; evaluated
    by relative value iteration of the fixed policy on the simplex :math:`y \le S` (closed
    under it), cost :math:`K\,1[q > 0] + c\,q + h\,E[\cdot]^+ + p\,E[\text{lost}]` per period.

    Raises
    ------
    ValueError
        :math:`s < 0`, :math:`S \le s`, a capacity below :math:`S` (the policy would exceed
        it), or a problem that is not single sourcing with lost sales.
    """
    owner = "evaluate_lost_sales_ss"
    problem = check_lost_sales_problem(sourcing_model, owner)
    s = check_int(reorder_point, "reorder_point", owner, minimum=0)
    S = check_int(order_up_to_level, "order_up_to_level", owner, minimum=s + 1)
    cap = problem.params.order_capacity(0)
    if cap is not None and S > cap:
        fail("order_up_to_level", owner, f"at most the order capacity {cap} (an (s, S) order may be S units)", S)
    sp = build_space(problem, S, tail_mass, max_entries, owner)
    pos = sp.grids.sum(1)
    return evaluate_orders(sp, np.where(pos <= s, S - pos, 0), tol)


def fit_lost_sales_ss(sourcing_model: Any, *, max_level: int | None = None, tail_mass: float = 1e-10,
                      max_entries: int | None = None) -> LostSalesPolicyFit:
    r"""Best :math:`(s, S)` under lost sales by exact evaluation of every pair in the search box.

    Search bounds: :math:`0 \le s < S \le S_{\max}`, with :math:`S_{\max}` = ``max_level``,
    by default the position bound of the exact lost-sales DP with the same fixed cost
    (:func:`~idinn.exact.solve_lost_sales_average_cost`: Morton's bound plus the EOQ,
    enlarged until the optimal orders stay inside it) plus 2. Every pair is evaluated
    exactly (no simulation), so the result is the best pair in the box.

    Returns
    -------
    LostSalesPolicyFit
        ``policy="ss"``, ``parameters={"reorder_point": s, "order_up_to_level": S}``.
    """
    from .lost_sales import solve_lost_sales_average_cost

    owner = "fit_lost_sales_ss"
    problem = check_lost_sales_problem(sourcing_model, owner)
    if max_level is None:
        top = solve_lost_sales_average_cost(problem, tail_mass=tail_mass, max_entries=max_entries).max_position + 2
    else:
        top = check_int(max_level, "max_level", owner, minimum=1)
    cap = problem.params.order_capacity(0)
    if cap is not None:
        top = min(top, cap)
    best: tuple[float, int, int] = (math.inf, 0, 1)
    n = 0
    for S in range(1, top + 1):
        for s in range(S):
            cost = evaluate_lost_sales_ss(problem, s, S, tail_mass=tail_mass, max_entries=max_entries)
            n += 1
            if cost < best[0] - 1e-12:
                best = (cost, s, S)
    return LostSalesPolicyFit("ss", {"reorder_point": best[1], "order_up_to_level": best[2]}, best[0], n)
