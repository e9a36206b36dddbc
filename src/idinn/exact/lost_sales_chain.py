r"""Exact evaluation of a lost-sales policy on Zipkin's reduced state.

Under lost sales with Zipkin's (2008, *Oper. Res.* 56(5), Sec. 2) order of events the
order due this period arrives before demand is served, so the full state
:math:`(I_t, q_{t-L}, q_{t-L+1}, \dots, q_{t-1})` enters the future only through the
reduced state

.. math:: s = (x, v_1, \dots, v_{L-1}), \qquad x = I_t + q_{t-L},\; v_i = q_{t-L+i},

with transition :math:`s' = ([x - D]^+ + v_1, v_2, \dots, v_{L-1}, q)` and expected
period cost :math:`C(x) = h\,E[x - D]^+ + p\,E[D - x]^+` (plus :math:`c\,q`). A policy that
depends on the full state only through :math:`s` -- the exact DP's optimum, every
position-based policy, and a neural controller built with ``compressed=True`` (its network
sees :math:`(I_t + q_{t-L}, q_{t-L+1}, \dots)`) -- is evaluated exactly on the simplex
:math:`x + \sum_i v_i \le \bar S` of :mod:`idinn.exact.lost_sales`: about :math:`\bar S`
times fewer states than the full chain of :func:`idinn.exact.evaluate_policy`, whose
transitions for Zipkin's largest instance (geometric demand, :math:`L = 4`, :math:`p = 39`)
need more than 3 GiB.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numba import njit

from .._validation import check_int, check_real, fail
from ..policy import as_policy_function
from .lost_sales import (
    _max_position, build_space, check_lost_sales_problem, lost_sales_demand_pmf, next_state_row, reachable_position,
)
from .lost_sales_policies import evaluate_orders

__all__ = ["ReducedLostSalesEvaluation", "evaluate_lost_sales_policy_reduced"]

_OWNER = "evaluate_lost_sales_policy_reduced"
logger = logging.getLogger("idinn.exact")

#: Largest simplex bound tried, as a multiple of the starting one (plus the demand range).
_MAX_GROWTH = 4

#: Stationary probabilities at or below this are reported as 0 (transient states).
_MIN_PROBABILITY = 1e-12


@dataclass(frozen=True)
class ReducedLostSalesEvaluation:
    r"""Exact long-run behaviour of a lost-sales policy on the reduced state.

    Attributes
    ----------
    average_cost : float
        Long-run average cost per period from the empty system,
        :math:`g = \sum_s \pi(s) [C(x) + c\,q(s)]` with the stationary law below (relative
        value iteration of the fixed policy, to a span below ``tol``, is the cross-check; the two
        differ only when the policy has several recurrent classes, and then :math:`g` is the
        cost of the class the empty system reaches).
    states : ndarray of int64, shape (n, L)
        Reduced states :math:`(x, v_1, \dots, v_{L-1})` with stationary probability above :math:`10^{-12}`.
    full_states : ndarray of int64, shape (n, 1 + L)
        The same states as full states :math:`(x, 0, v_1, \dots, v_{L-1})` (on-hand
        :math:`x`, nothing due this period), the input the policy was queried with.
    probabilities : ndarray of float64, shape (n,)
        Their stationary probabilities :math:`\pi(s)` from the empty system (sum 1).
    orders : ndarray of int64, shape (n,)
        The policy's order in each of these states.
    max_position : int
        :math:`\bar S` of the simplex solved (no reachable position exceeds it).
    dropped_mass : float
        Tail mass of the truncated demand (moved onto the largest value kept).
    """

    average_cost: float
    states: np.ndarray
    full_states: np.ndarray
    probabilities: np.ndarray
    orders: np.ndarray
    max_position: int
    dropped_mass: float


@njit(cache=True)
def _push(pi, new, qs, xs, v1s, tails, widths, tri, pmf, sf):  # pragma: no cover - compiled
    """One step of the chain: ``new = pi P`` (``new`` zeroed by the caller)."""
    for i in range(xs.shape[0]):
        m = pi[i]
        if m == 0.0:
            continue
        x = xs[i]
        base = next_state_row(tails[i], widths[i], tri, qs[i], v1s[i])
        for d in range(x):
            new[base + x - d] += m * pmf[d]
        new[base] += m * sf[x]


def stationary_distribution(sp: Any, qs: np.ndarray, tol: float = 1e-12, max_iterations: int = 100_000) -> np.ndarray:
    r"""Stationary law from the empty state under the orders ``qs`` (one per state of ``sp``), shape (n,).

    Damped power iteration :math:`\pi \leftarrow (\pi + \pi P) / 2` (same fixed point,
    no periodicity) from the empty state, until the :math:`\ell_1` change is below ``tol``.
    """
    pi = np.zeros(sp.n)
    pi[0] = 1.0  # row 0 of the grid is the empty state
    new = np.zeros(sp.n)
    for _ in range(max_iterations):
        new[:] = 0.0
        _push(pi, new, qs, sp.xs, sp.v1s, sp.tails, sp.widths, sp.tri, sp.pmf, sp.sf)
        new = 0.5 * (pi + new)
        change = float(np.abs(new - pi).sum())
        pi, new = new, pi
        if change < tol:
            break
    return pi / pi.sum()


def _orders_on(policy_fn: Any, grids: np.ndarray, L: int, chunk: int = 65_536) -> np.ndarray:
    """The policy's orders at the full states ``(x, 0, v_1, ...)`` of the reduced ``grids`` (n, L)."""
    full = np.zeros((len(grids), 1 + L), dtype=np.int64)
    full[:, 0] = grids[:, 0]
    full[:, 2:] = grids[:, 1:]
    out = np.empty(len(grids), dtype=np.int64)
    with torch.no_grad():
        for start in range(0, len(grids), chunk):
            out[start:start + chunk] = np.asarray(policy_fn(full[start:start + chunk], 0), dtype=np.int64).reshape(-1)
    return out


def evaluate_lost_sales_policy_reduced(
    policy: Any,
    sourcing_model: Any,
    *,
    max_position: int | None = None,
    tail_mass: float = 1e-10,
    tol: float = 1e-8,
    max_entries: int | None = None,
) -> ReducedLostSalesEvaluation:
    r"""Exact average cost and stationary law of a single-sourcing lost-sales policy (reduced state).

    The policy must depend on the full state :math:`(I_t, q_{t-L}, \dots, q_{t-1})` only
    through :math:`(I_t + q_{t-L}, q_{t-L+1}, \dots, q_{t-1})` (module docstring): it is
    queried at :math:`(x, 0, v_1, \dots)` and the result is exact for it. Position-based
    policies, :class:`~idinn.exact.LostSalesSolution` and neural controllers with
    ``compressed=True`` qualify; for any other policy use :func:`idinn.exact.evaluate_policy`.

    Parameters
    ----------
    policy : controller or callable
        Stationary policy (the protocol of :mod:`idinn.policy`), orders (B, 1).
    sourcing_model : SourcingProblem or SingleSourcingModel
        One supplier, lead time :math:`L \ge 1`, lost sales, stationary demand.
    max_position : int, optional
        Smallest :math:`\bar S` to try (default the :math:`p/(p+h)` quantile of demand over
        :math:`L + 1` periods); enlarged until no position reachable from the empty system
        under the policy exceeds it (up to four times the start plus the demand range).
    tail_mass : float, default=1e-10
        Tail mass at which Poisson or geometric demand is truncated (stated as ``dropped_mass``).
    tol : float, default=1e-8
        Span tolerance of the relative value iteration.
    max_entries : int, optional
        Refuse when the tables on the simplex (as :func:`~idinn.exact.solve_lost_sales_average_cost`)
        exceed this (default ``idinn.exact._pmf.MAX_TABLE_ENTRIES``).

    Returns
    -------
    ReducedLostSalesEvaluation

    Raises
    ------
    ValueError
        Not single sourcing, not lost sales, lead time 0, a period-dependent policy,
        negative orders; a policy whose reachable positions are unbounded (it orders at any
        position, e.g. a constant order).
    MemoryError
        The simplex the policy reaches is too large (the message gives its size and the limit).
    """
    problem = check_lost_sales_problem(sourcing_model, _OWNER)
    tail_mass = check_real(tail_mass, "tail_mass", _OWNER, exclusive_minimum=0, exclusive_maximum=1)
    tol = check_real(tol, "tol", _OWNER, exclusive_minimum=0)
    fn = as_policy_function(policy, 1, owner=_OWNER, require_stationary=True)
    params = problem.params
    L = params.lead_times[0]
    if max_position is None:
        pmf, _, _ = lost_sales_demand_pmf(problem.demand, tail_mass)
        h, p = params.holding_cost, params.shortage_cost
        B = _max_position(pmf, L, p / (p + h) if p + h > 0 else 0.0)
    else:
        B = check_int(max_position, "max_position", _OWNER, minimum=0)
    ceiling = _MAX_GROWTH * max(B, 1) + len(lost_sales_demand_pmf(problem.demand, tail_mass)[0])
    while True:
        sp = build_space(problem, B, tail_mass, max_entries, _OWNER)
        qs = _orders_on(fn, sp.grids, L)
        reach = reachable_position(sp.grids, qs)
        if reach <= B:
            break
        if reach > ceiling:
            fail("policy", _OWNER, f"a policy whose inventory positions reachable from the empty system stay "
                 f"bounded (at most {ceiling} here: it keeps ordering at high positions, e.g. a constant "
                 "order, so its chain has no finite state space; use evaluate_policy, or "
                 "evaluate_lost_sales_constant_order for constant orders)", f"positions up to {reach}")
        B = max(reach, B + max(1, B // 8))
    # states the empty system cannot reach may order past the simplex: cut them (no effect on g)
    qs = np.minimum(qs, sp.qmax)
    pi = stationary_distribution(sp, qs)
    # g = sum_s pi(s) [C(x) + c q + K 1(q > 0)] from the empty system: the cost of the class it
    # reaches even when the policy has several recurrent classes (relative value iteration
    # would then stall between their costs; it is kept as a cross-check for one class)
    period = sp.cx[sp.xs] + sp.order_cost * qs + sp.fixed_cost * (qs > 0)
    cost = float(pi @ period)
    check = evaluate_orders(sp, qs, tol)
    if abs(check - cost) > max(1e-6, 10 * tol) * max(1.0, abs(cost)):
        logger.info("%s: relative value iteration gives %.6f, the stationary law from the empty system %.6f "
                    "(several recurrent classes); reporting the latter", _OWNER, check, cost)
    keep = pi > _MIN_PROBABILITY  # transient states keep a vanishing remainder of the start's mass
    grids = sp.grids[keep].astype(np.int64)
    full = np.zeros((len(grids), 1 + L), dtype=np.int64)
    full[:, 0] = grids[:, 0]
    full[:, 2:] = grids[:, 1:]
    return ReducedLostSalesEvaluation(
        average_cost=float(cost), states=grids, full_states=full, probabilities=pi[keep] / pi[keep].sum(),
        orders=qs[keep], max_position=int(B), dropped_mass=float(sp.dropped_mass),
    )

