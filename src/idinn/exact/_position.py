r"""Exact evaluation of single-sourcing policies that depend only on the inventory position.

With one supplier of lead time :math:`l` and backlogging, the inventory position
:math:`x_t = I_t + \sum_{j=1}^{l} q_{t-j}` of a policy :math:`q_t = f(x_t)` is a Markov
chain of its own: :math:`x_{t+1} = y_t - D_t` with :math:`y_t = x_t + f(x_t)`. The net
inventory at the end of period :math:`t + l` is :math:`y_t - D_{t..t+l}`, so the long-run
average cost is

.. math:: \bar c = \sum_x \bar\pi(x) \left[ c\, f(x) + G_{l+1}(x + f(x)) \right],
          \qquad G_{l+1}(y) = E[h (y - D^{(l+1)})^+ + b (D^{(l+1)} - y)^+],

(Zipkin 2000, *Foundations of Inventory Management*, sec. 6.2). The chain has one state
per position instead of one per pipeline, so demand of mean 40 with lead time 3 takes a
few thousand states instead of millions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from .._validation import fail
from ..dynamics import SourcingParams, check_capacities
from ._markov import cesaro_limit
from ._pmf import Pmf, check_size, convolve_pmf, newsvendor_cost

__all__ = ["is_position_policy", "check_position_policy", "evaluate_on_positions"]


def is_position_policy(policy: Any) -> bool:
    """Whether ``policy`` declares that its orders depend only on the inventory position.

    True for :class:`~idinn.single_controller.BaseStockController` and for any object with a
    true ``depends_only_on_inventory_position`` attribute.
    """
    if bool(getattr(policy, "depends_only_on_inventory_position", False)):
        return True
    from ..single_controller.base_stock import BaseStockController

    return isinstance(policy, BaseStockController)


def _rows(positions: np.ndarray, dim: int, spread: bool) -> np.ndarray:
    """Full states with the given positions: all in net inventory, or one unit in each pipeline slot."""
    rows = np.zeros((len(positions), dim), dtype=np.int64)
    rows[:, 0] = positions - (dim - 1 if spread else 0)
    if spread:
        rows[:, 1:] = 1
    return rows


def check_position_policy(orders_fn: Any, positions: np.ndarray, dim: int, owner: str) -> np.ndarray:
    """Orders at ``positions``; refuses a policy whose orders change with the pipeline split."""
    q = orders_fn(_rows(positions, dim, False), 0)[:, 0]
    if dim > 1:
        q2 = orders_fn(_rows(positions, dim, True), 0)[:, 0]
        if np.any(q != q2):
            k = int(np.flatnonzero(q != q2)[0])
            fail(
                "position_only",
                owner,
                "False for this policy: its orders depend on more than the inventory position "
                f"(position {int(positions[k])}: {int(q[k])} with an empty pipeline, {int(q2[k])} with one unit "
                "in each pipeline slot)",
                True,
            )
    return q


def evaluate_on_positions(
    orders_fn: Any,
    params: SourcingParams,
    pmf: Pmf,
    x0: int,
    bounds: tuple[int, int],
    owner: str,
    max_entries: int | None = None,
) -> dict[str, Any]:
    """Long-run distribution and costs of the position chain on ``[lo, hi]`` (module docstring)."""
    lo, hi = bounds
    values, probs = pmf
    n, k = hi - lo + 1, len(values)
    check_size(float(n) * k * 3, max_entries, owner, "entries of the position chain",
               "Give narrower 'inventory_bounds'.")
    positions = np.arange(lo, hi + 1, dtype=np.int64)
    q = check_position_policy(orders_fn, positions, params.state_dim, owner)
    check_capacities(q[:, None], params, owner)
    y = positions + q
    raw = y[:, None] - values[None, :]
    low, high = raw < lo, raw > hi
    target = np.clip(raw, lo, hi) - lo
    P = sp.csr_matrix((np.tile(probs, n), (np.repeat(np.arange(n), k), target.ravel())), shape=(n, n))
    P.sum_duplicates()
    pi = cesaro_limit(P, int(x0 - lo))
    vl, pl = convolve_pmf(values, probs, params.lead_times[0] + 1)
    h, b, c = params.holding_cost, params.shortage_cost, params.order_costs[0]
    over = newsvendor_cost(y, vl, pl, 1.0, 0.0)  # E[(y - D^(l+1))^+]
    under = newsvendor_cost(y, vl, pl, 0.0, 1.0)  # E[(D^(l+1) - y)^+]
    cut = (low | high).any(axis=1)
    return {
        "average_cost": float(pi @ (c * q + params.fixed_order_cost(0) * (q > 0) + h * over + b * under)),
        "boundary_mass": float(pi[cut].sum()),
        "states": _rows(positions, params.state_dim, False),
        "probabilities": pi,
        "expected_inventory": float(pi @ over),
        "expected_backlog": float(pi @ under),
        "mean_orders": (float(pi @ q),),
        "cut_low": float(pi[low.any(axis=1)].sum()),
        "cut_high": float(pi[high.any(axis=1)].sum()),
    }
