r"""The aggregated state space of :mod:`idinn.exact.multi_dp` and its one-period step.

Aggregated state (derivation in docs/exact_multi_sourcing.md)
    With lead times :math:`l_1, \dots, l_K` and :math:`L = \max(1, \max_k l_k)`, a full
    state :math:`[I_t, \text{pipelines}]` (layout of :mod:`idinn.dynamics`) is reduced to

    .. math:: x_t = I_t + A_{t,0}, \qquad A_{t,j} = \sum_{k:\, l_k > j} q^k_{t+j-l_k},
              \quad j = 1, \dots, L - 1,

    where :math:`A_{t,j}` is the total quantity, over all suppliers, already ordered and
    due to arrive in period :math:`t + j` (:math:`A_{t,0}`: the pipeline arrivals of
    period :math:`t`). Under both excess-demand rules the end-of-period net inventory is
    :math:`y_t = x_t + Q_{t,0} - D_t` with :math:`Q_{t,j} = \sum_{k:\, l_k = j} q^k_t`,
    and the next aggregated state is

    .. math:: x_{t+1} = f(y_t) + A_{t,1} + Q_{t,1}, \qquad
              A_{t+1,j} = A_{t,j+1} + Q_{t,j+1} \quad (A_{t,L} := 0),

    with :math:`f(y) = y` (backlog) or :math:`[y]^+` (lost sales, Zipkin 2008). The period
    cost :math:`\sum_k (c_k q^k_t + K_k 1[q^k_t > 0]) + h [y_t]^+ + b [-y_t]^+` depends on
    the orders and :math:`y_t` only. Hence costs and the future depend on the orders
    only through the per-lead-time totals :math:`Q_{t,j}`, and the optimal value is a
    function of the aggregated state (the argument of Whittemore & Saunders 1977 and
    Sheopuri, Janakiraman & Seshadri 2010 for dual sourcing, applied per arrival period).

Everything here is plain numpy; :func:`aggregated_step` restates the one-period dynamics
on the aggregated state and is checked against :func:`idinn.dynamics.advance` and
:func:`idinn.dynamics.period_cost` in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..dynamics import SourcingParams

__all__ = ["Box", "reduce_state", "aggregated_step", "group_costs"]


def reduce_state(states: np.ndarray, lead_times: tuple[int, ...]) -> np.ndarray:
    r"""Aggregated states :math:`(x, A_1, \dots, A_{L-1})` of full states.

    Parameters
    ----------
    states : ndarray of int, shape (B, 1 + sum(lead_times))
    lead_times : tuple of int

    Returns
    -------
    ndarray of int64, shape (B, L) with :math:`L = \max(1, \max_k l_k)`.
    """
    states = np.asarray(states, dtype=np.int64)
    L = max(1, max(lead_times))
    out = np.zeros((states.shape[0], L), dtype=np.int64)
    out[:, 0] = states[:, 0]
    start = 1
    for lt in lead_times:
        for j in range(lt):  # pipeline entry j (0 = oldest) arrives in period t + j
            out[:, j] += states[:, start + j]
        start += lt
    return out


def aggregated_step(
    reduced: np.ndarray, orders: np.ndarray, demand: np.ndarray, params: SourcingParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""One period on the aggregated state: next state, :math:`y_t` and the period cost.

    Parameters
    ----------
    reduced : ndarray of int, shape (B, L)
        :math:`(x_t, A_{t,1}, \dots, A_{t,L-1})` (:func:`reduce_state`).
    orders : ndarray of int, shape (B, K)
    demand : ndarray of int, shape (B,)
    params : SourcingParams

    Returns
    -------
    next_reduced : ndarray of int64, shape (B, L)
    net_inventory : ndarray of int64, shape (B,)
        :math:`y_t = x_t + Q_{t,0} - D_t`.
    cost : ndarray of float64, shape (B,)
    """
    reduced = np.asarray(reduced, dtype=np.int64)
    orders = np.asarray(orders, dtype=np.int64)
    L = reduced.shape[1]
    totals = np.zeros((len(reduced), L + 1), dtype=np.int64)
    for k, lt in enumerate(params.lead_times):
        totals[:, lt] += orders[:, k]
    y = reduced[:, 0] + totals[:, 0] - np.asarray(demand, dtype=np.int64)
    first = np.maximum(y, 0) if params.excess_demand == "lost_sales" else y
    nxt = np.zeros_like(reduced)
    ahead = np.concatenate([reduced[:, 1:], np.zeros((len(reduced), 1), np.int64)], axis=1)  # A_{t,1..L}
    nxt[:, 0] = first + ahead[:, 0] + totals[:, 1]
    for j in range(1, L):
        nxt[:, j] = ahead[:, j] + totals[:, j + 1]
    cost = params.holding_cost * np.maximum(y, 0) + params.shortage_cost * np.maximum(-y, 0)
    cost = cost + orders @ np.asarray(params.order_costs, dtype=np.float64)
    for k in range(params.n_suppliers):
        cost = cost + params.fixed_order_cost(k) * (orders[:, k] > 0)
    return nxt, y, cost


@dataclass(frozen=True)
class Box:
    r"""The truncated aggregated state space and its post-decision space.

    Attributes
    ----------
    x_lo, x_hi : int
        :math:`\underline x \le x \le \bar x`.
    max_orders : tuple of int
        :math:`\bar q_k`: supplier :math:`k` orders at most this much (its capacity
        :math:`u_k` when set and smaller).
    lead_times : tuple of int
    """

    x_lo: int
    x_hi: int
    max_orders: tuple[int, ...]
    lead_times: tuple[int, ...]

    @property
    def L(self) -> int:
        return max(1, max(self.lead_times))

    @property
    def group_max(self) -> tuple[int, ...]:
        r""":math:`\bar Q_j = \sum_{k:\, l_k = j} \bar q_k`, j = 0..L."""
        out = [0] * (self.L + 1)
        for lt, q in zip(self.lead_times, self.max_orders):
            out[lt] += q
        return tuple(out)

    @property
    def ahead_max(self) -> tuple[int, ...]:
        r""":math:`\bar A_j = \sum_{k:\, l_k > j} \bar q_k`, j = 0..L (:math:`\bar A_L = 0`)."""
        return tuple(sum(q for lt, q in zip(self.lead_times, self.max_orders) if lt > j) for j in range(self.L + 1))

    @property
    def nx(self) -> int:
        return self.x_hi - self.x_lo + 1

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of a value table: (nx, A_1 + 1, ..., A_{L-1} + 1)."""
        return (self.nx, *(a + 1 for a in self.ahead_max[1 : self.L]))

    @property
    def post_shape(self) -> tuple[int, ...]:
        r"""Shape of the post-decision table :math:`(z, a_1, \dots, a_L)`."""
        g, a = self.group_max, self.ahead_max
        return (self.nx + g[0], *(a[j] + g[j] + 1 for j in range(1, self.L + 1)))

    @property
    def n_states(self) -> int:
        return int(np.prod(self.shape, dtype=np.float64))

    @property
    def n_post(self) -> int:
        return int(np.prod(self.post_shape, dtype=np.float64))


def group_costs(params: SourcingParams, box: Box, phase: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    r"""Cheapest split of each lead-time group's total order among its suppliers.

    For each lead time :math:`j = 0..L` and total :math:`Q = 0..\bar Q_j`:
    :math:`C_j(Q) = \min \sum_{k:\, l_k = j} (c_k q_k + K_k 1[q_k > 0])` over
    :math:`\sum q_k = Q`, :math:`0 \le q_k \le \bar q_k` for a supplier with a capacity
    and :math:`0 \le q_k \le \bar Q_j` for an uncapped one (the grid bounds the group
    total, so a truncation never forces a dearer supplier of the same lead time in), with
    :math:`q_k = 0` for a supplier not reviewed in period ``phase`` (infinite when no
    split exists).

    Returns
    -------
    costs : list of ndarray of float64, shape (Q_j + 1,)
    splits : list of ndarray of int64, shape (Q_j + 1, K)
        The orders of every supplier (zeros outside the group) achieving :math:`C_j(Q)`;
        ties go to the supplier listed first.
    """
    K = params.n_suppliers
    costs, splits = [], []
    for j, gmax in enumerate(box.group_max):
        best = np.full(gmax + 1, np.inf)
        best[0] = 0.0
        split = np.zeros((gmax + 1, K), dtype=np.int64)
        for k, lt in enumerate(params.lead_times):
            if lt != j or not params.may_order(k, phase):
                continue
            c, fixed = params.order_costs[k], params.fixed_order_cost(k)
            limit = gmax if params.order_capacity(k) is None else box.max_orders[k]
            new, new_split = best.copy(), split.copy()
            for total in range(gmax + 1):
                for q in range(1, min(limit, total) + 1):
                    val = best[total - q] + c * q + fixed
                    if val < new[total] - 1e-12:
                        new[total] = val
                        new_split[total] = split[total - q]
                        new_split[total, k] = q
            best, split = new, new_split
        costs.append(best)
        splits.append(split)
    return costs, splits
