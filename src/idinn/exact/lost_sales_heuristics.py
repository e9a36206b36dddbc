r"""Zipkin's (2008) state-dependent lost-sales heuristics, computed and evaluated exactly.

Single sourcing with lost sales (order of events in docs/dynamics.md), state
:math:`(x, v_1, \dots, v_{L-1})` as in :mod:`idinn.exact.lost_sales`: :math:`x` the on-hand
stock after this period's arrival, :math:`v_j` the order arriving in :math:`j` periods,
inventory position :math:`y = x + \sum_j v_j`. An order :math:`z` placed now arrives in
period :math:`t + L`. Let :math:`Y_L` be the on-hand stock just before that arrival,

.. math::

    Y_1 = [x - D_t]^+,\qquad Y_{j+1} = [Y_j + v_j - D_{t+j}]^+ \quad (j = 1, \dots, L - 1),

a random variable fixed by the state alone (orders placed after :math:`t` arrive after
:math:`t + L`), and :math:`C(u) = h\,E[u - D]^+ + p\,E[D - u]^+` the expected holding and
lost-sales cost of a period that starts (after its arrival) with :math:`u` units on hand.

Myopic (Zipkin 2008, Oper. Res. 56(5), Sec. 4, "myopic")
    The order that minimises the expected cost of the period in which it arrives,

    .. math:: \hat q(s, z) = c\,z + E\bigl[C(Y_L + z)\bigr],\qquad
              z^{(1)}(s) = \arg\min_{z \ge 0} \hat q(s, z).

Myopic-2 (Zipkin 2008, "myopic2")
    The optimal first order of the two-period problem that charges the costs of the two
    arrival periods :math:`t + L` and :math:`t + L + 1`, the second order being chosen
    next period (knowing :math:`D_t`) by the myopic rule:

    .. math:: z^{(2)}(s) = \arg\min_{z \ge 0}\Bigl\{\hat q(s, z)
              + E\bigl[\min_{z'} \hat q(s'(s, z, D_t), z')\bigr]\Bigr\},

    :math:`s'` the next state. This is two steps of value iteration from zero on the
    problem whose period cost is :math:`\hat q` (Zipkin's reformulation that charges each
    order the cost of its arrival period).

Standard vector base-stock (Zipkin 2008, "std. vector base-stock")
    Partial inventory positions :math:`y_l = \sum_{j \ge l} v_j` (:math:`v_0 = x`,
    :math:`y_L = 0`) each brought up to the level :math:`S_l` of a backlog system with lead
    time :math:`L - l`, the :math:`p/(p+h)` quantile of the demand over :math:`L - l + 1`
    periods: :math:`z = \min_{0 \le l \le L} [S_l - y_l]^+`. (The levels are fixed, not
    fitted: Zipkin's "better vector base-stock" column searches them by simulation, and is
    not reproduced.)

Ties between orders of equal cost are broken towards the smaller order. With :math:`c =
0` (Zipkin's test bed) the definitions are Zipkin's; with :math:`c > 0` the purchase cost
:math:`c z` is added to :math:`\hat q`.

Each policy is tabulated on the simplex :math:`y \le B` and evaluated exactly by relative
value iteration of the fixed policy (:func:`idinn.exact.lost_sales_policies.evaluate_orders`).
Myopic and vector base-stock orders never raise the position above the standard level
:math:`\bar S` (the :math:`p/(p+h)` quantile of :math:`D^{(L+1)}`): at :math:`y + z = \bar S`,
:math:`P(Y_L + z \ge D_{t+L}) \ge P(\bar S \ge D^{(L+1)}) \ge p/(p+h)`, so the marginal cost
of one more unit is non-negative. Myopic-2 is tabulated on a larger simplex, enlarged until the
positions reachable from an empty system stay strictly inside it (so no order was cut).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from .._validation import check_real, fail
from ._pmf import check_size
from .lost_sales import (
    _max_position, build_space, check_full_states, check_lost_sales_problem, dense_order_table, lost_sales_demand_pmf, next_state_row,
    simplex_rank,
)

__all__ = [
    "HEURISTIC_RULES",
    "POLICY_RULES",
    "LostSalesHeuristic",
    "fit_lost_sales_policy",
    "lost_sales_heuristic",
    "vector_base_stock_levels",
]

#: rules computed by :func:`lost_sales_heuristic`
HEURISTIC_RULES = ("myopic", "myopic_2", "vector_base_stock")


@dataclass(frozen=True)
class LostSalesHeuristic:
    r"""A lost-sales heuristic's order table and its exact average cost.

    Attributes
    ----------
    rule : str
        ``"myopic"``, ``"myopic_2"`` or ``"vector_base_stock"``.
    lead_time : int
        :math:`L`.
    max_position : int
        :math:`B`: the table covers states with :math:`x + \sum v \le B`.
    state_orders : ndarray of int32, shape (n,)
        Order in each state :math:`(x, v_1, \dots, v_{L-1})` of the simplex, in the order of
        :func:`~idinn.exact.lost_sales.simplex_states` (:attr:`order_table` gives the dense table).
    average_cost : float
        Exact long-run average cost per period of the policy.
    parameters : dict
        The policy's parameters: ``{"levels": (S_0, ..., S_L)}`` (vector base-stock),
        ``{"base_stock_level": S}``, ``{"base_stock_level": S, "cap": r}``, ``{"order": r}``;
        empty for the myopic rules.
    dropped_mass : float
        Tail mass of the truncated demand.
    """

    rule: str
    lead_time: int
    max_position: int
    state_orders: np.ndarray
    average_cost: float
    parameters: dict
    dropped_mass: float

    @property
    def order_table(self) -> np.ndarray:
        """Orders as a dense table, shape ((B + 1),) * L, 0 outside the simplex.

        Raises
        ------
        MemoryError
            The box exceeds ``idinn.exact._pmf.MAX_TABLE_ENTRIES`` (use :meth:`order`).
        """
        return dense_order_table(self.state_orders, self.max_position, self.lead_time, "LostSalesHeuristic.order_table")

    def order(self, state: np.ndarray) -> np.ndarray:
        r"""Orders (B,) for full states ``[I_t, q_{t-L}, ..., q_{t-1}]`` of shape (B, 1 + L) or (1 + L,).

        A state outside the tabulated simplex orders 0 (its position is above every level).

        Raises
        ------
        ValueError
            A state of the wrong width, or a negative entry.
        """
        s = check_full_states(state, self.lead_time, "LostSalesHeuristic.order")
        if self.rule == "constant_order":
            return np.full(len(s), int(self.parameters["order"]), dtype=np.int64)
        red = np.concatenate([(s[:, 0] + s[:, 1])[:, None], s[:, 2:]], axis=1)
        inside = red.sum(1) <= self.max_position
        out = np.zeros(len(s), dtype=np.int64)
        if inside.any():
            out[inside] = self.state_orders[simplex_rank(red[inside], self.max_position)]
        return out

    def orders(self, states: np.ndarray, period: int = 0) -> np.ndarray:
        """Orders of shape (B, 1) (``period`` ignored: stationary)."""
        return self.order(states)[:, None]


def vector_base_stock_levels(pmf: np.ndarray, lead_time: int, ratio: float) -> tuple[int, ...]:
    r""":math:`S_l`, the ``ratio`` quantile of the demand over :math:`L - l + 1` periods, :math:`l = 0..L`."""
    return tuple(_max_position(pmf, lead_time - l, ratio) for l in range(lead_time + 1))


@njit(cache=True)
def _expect_step(prev, out, flat, xs, w1s, rests, pos, limit, pmf, sf, st_prev):  # pragma: no cover - compiled
    # out(x, w1, rest) = E prev([x - D]^+ + w1, rest) on the states with position <= limit
    for i in range(xs.shape[0]):
        if pos[i] > limit:
            continue
        x, w1, rest = xs[i], w1s[i], rests[i]
        val = sf[x] * prev[w1 * st_prev + rest]
        for d in range(x):
            val += pmf[d] * prev[(x - d + w1) * st_prev + rest]
        out[flat[i]] = val


@njit(cache=True)
def _next_expect(h, out, z, xs, v1s, tails, widths, tri, pos, limit, pmf, sf):  # pragma: no cover - compiled
    # out[i] = E h(next state after ordering z and demand D) on the states with position <= limit
    for i in range(xs.shape[0]):
        if pos[i] > limit:
            continue
        x = xs[i]
        base = next_state_row(tails[i], widths[i], tri, z, v1s[i])
        val = sf[x] * h[base]
        for d in range(x):
            val += pmf[d] * h[base + x - d]
        out[i] = val


class _ArrivalCost:
    r"""Tables of :math:`\hat q(s, z) - c z = E[C(Y_L + z)]` on the simplex :math:`y \le B`, one :math:`z` at a time."""

    def __init__(self, sp: Any, max_entries: int | None, owner: str) -> None:
        self.sp = sp
        B, L = sp.max_position, sp.lead_time
        self.B, self.L = B, L
        # the recursion over k = 1..L works on dense boxes (B + 1)^k: two value arrays and the index arrays
        check_size(2.0 * (B + 1) ** L + (L + 3.0) * (B + 1) ** max(L - 1, 0), max_entries, owner,
                   "dense table entries of the myopic recursion", f"(positions up to {B}, lead time {L}).")
        self.levels_ = []  # per k = 1..L: (flat, xs, w1s, rests, pos, st_prev, dense size)
        for k in range(1, L + 1):
            if k == L:
                grids = sp.grids
            else:
                grids = np.indices((B + 1,) * k).reshape(k, -1).T
                grids = grids[grids.sum(1) <= B]
            st = np.array([(B + 1) ** (k - 1 - j) for j in range(k)], dtype=np.int64)
            flat = (grids @ st).astype(np.int64)
            xs = grids[:, 0].astype(np.int64)
            if k == 1:
                w1s, rests, st_prev = np.zeros_like(xs), np.zeros_like(xs), 1
            else:
                w1s = grids[:, 1].astype(np.int64)
                rests = (grids[:, 2:] @ st[2:]).astype(np.int64) if k > 2 else np.zeros_like(xs)
                st_prev = (B + 1) ** (k - 2)
            self.levels_.append((flat, xs, w1s, rests, grids.sum(1).astype(np.int64), st_prev, (B + 1) ** k))

    def table(self, z: int, values: np.ndarray | None = None) -> np.ndarray:
        """:math:`E[K(Y_L + z)]` per state of ``sp.grids`` (inf where :math:`y + z > B`); :math:`K` = ``values``
        over :math:`u = 0..B` (default :math:`C`)."""
        sp, B = self.sp, self.B
        values = sp.cx if values is None else values
        limit = B - z
        prev = np.full(B + 1, np.inf)
        prev[: B + 1 - z] = values[z:]
        for flat, xs, w1s, rests, pos, st_prev, size in self.levels_:
            out = np.full(size, np.inf)
            _expect_step(prev, out, flat, xs, w1s, rests, pos, limit, sp.pmf, sp.sf, st_prev)
            prev = out
        return prev[self.levels_[-1][0]]


def _improves(val: np.ndarray, best: np.ndarray) -> np.ndarray:
    """``val`` strictly below ``best`` (by more than a relative 1e-12: ties keep the smaller order)."""
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(best), val < best - 1e-12 * np.maximum(np.abs(best), 1.0), np.isfinite(val))


def _myopic_orders(sp: Any, arrival: _ArrivalCost, cap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Myopic orders and values per state, the order limited to ``cap`` per state."""
    n = sp.n
    best, arg = np.full(n, np.inf), np.zeros(n, dtype=np.int64)
    for z in range(int(cap.max()) + 1):
        val = arrival.table(z) + sp.order_cost * z
        better = _improves(val, best) & (z <= cap)
        best[better], arg[better] = val[better], z
    return arg, best


def _myopic2_orders(sp: Any, arrival: _ArrivalCost, m: np.ndarray) -> np.ndarray:
    n = sp.n
    pos = sp.grids.sum(1).astype(np.int64)
    best, arg = np.full(n, np.inf), np.zeros(n, dtype=np.int64)
    ahead = np.zeros(n)
    for z in range(sp.max_position + 1):
        ahead[:] = np.inf
        _next_expect(m, ahead, z, sp.xs, sp.v1s, sp.tails, sp.widths, sp.tri, pos, sp.max_position - z, sp.pmf,
                     sp.sf)
        val = arrival.table(z) + sp.order_cost * z + ahead
        better = _improves(val, best)
        best[better], arg[better] = val[better], z
    return arg


def _reachable_position(sp: Any, orders: np.ndarray) -> int:
    """Largest position reachable from the empty state (the fixed point of max(y + z) over y <= R)."""
    pos = sp.grids.sum(1)
    after = pos + orders
    R = int(orders[0])  # state 0 is the empty state (first row of the grid)
    while True:
        nxt = max(R, int(after[pos <= R].max()))
        if nxt == R:
            return R
        R = nxt


def lost_sales_heuristic(
    sourcing_model: Any, rule: str, *, tail_mass: float = 1e-10, tol: float = 1e-8, max_entries: int | None = None,
    owner: str = "lost_sales_heuristic",
) -> LostSalesHeuristic:
    r"""Tabulate Zipkin's ``rule`` for a lost-sales problem and evaluate it exactly.

    Parameters
    ----------
    sourcing_model : SourcingProblem or SingleSourcingModel
        Single sourcing, lead time :math:`L \ge 1`, ``excess_demand="lost_sales"``, stationary demand.
    rule : {"myopic", "myopic_2", "vector_base_stock"}
        See the module docstring for the definitions (Zipkin 2008, Sec. 4).
    tail_mass : float, default=1e-10
        Tail mass an unbounded demand is truncated at.
    tol : float, default=1e-8
        Span tolerance of the relative value iteration of the fixed policy.
    max_entries : int, optional
        Memory limit of the tables (as :func:`~idinn.exact.solve_lost_sales_average_cost`; the myopic rules
        also hold dense boxes of :math:`(B + 1)^L` entries).
    owner : str, default="lost_sales_heuristic"
        The function named in error messages (the public caller).

    Returns
    -------
    LostSalesHeuristic

    Raises
    ------
    ValueError
        Unknown rule; not single sourcing with lost sales and lead time >= 1.
    MemoryError
        The tables would exceed ``max_entries``.
    """
    from .lost_sales_policies import evaluate_orders

    if rule not in HEURISTIC_RULES:
        fail("rule", owner, "one of " + ", ".join(repr(r) for r in HEURISTIC_RULES), rule)
    problem = check_lost_sales_problem(sourcing_model, owner)
    tail_mass = check_real(tail_mass, "tail_mass", owner, exclusive_minimum=0, exclusive_maximum=1)
    params = problem.params
    L, h, p = params.lead_times[0], params.holding_cost, params.shortage_cost
    pmf, _, _ = lost_sales_demand_pmf(problem.demand, tail_mass)
    ratio = p / (p + h) if p + h > 0 else 0.0
    std = _max_position(pmf, L, ratio)
    levels: tuple = ()
    if rule == "vector_base_stock":
        levels = vector_base_stock_levels(pmf, L, ratio)
        sp = build_space(problem, std, tail_mass, max_entries, owner)
        z = np.full(sp.n, np.iinfo(np.int64).max)
        partial = sp.grids.sum(1)
        for l in range(L + 1):
            z = np.minimum(z, np.maximum(levels[l] - partial, 0))
            if l < L:
                partial = partial - sp.grids[:, l]
        orders = z
    elif rule == "myopic":
        sp = build_space(problem, std, tail_mass, max_entries, owner)
        orders, _ = _myopic_orders(sp, _ArrivalCost(sp, max_entries, owner), sp.qmax)
    else:
        bound = std + max(2, std // 4)
        for _ in range(20):
            sp = build_space(problem, bound, tail_mass, max_entries, owner)
            arrival = _ArrivalCost(sp, max_entries, owner)
            _, m = _myopic_orders(sp, arrival, sp.qmax)
            orders = _myopic2_orders(sp, arrival, m)
            reach = _reachable_position(sp, orders)
            if reach < bound:
                break
            bound = reach + max(2, std // 4)
        else:  # pragma: no cover - a safeguard
            raise RuntimeError(f"{owner}: the myopic-2 orders kept reaching the tabulated bound {bound}.")
    orders = orders.astype(np.int64)
    if np.any(sp.grids.sum(1) + orders > sp.max_position):  # pragma: no cover - guarded by the argument above
        raise RuntimeError(f"{owner}: the {rule} orders leave the tabulated simplex (position <= {sp.max_position}).")
    cost = evaluate_orders(sp, orders, tol)
    parameters = {"levels": tuple(int(s) for s in levels)} if levels else {}
    return LostSalesHeuristic(rule, L, sp.max_position, orders.astype(np.int32), float(cost), parameters,
                              float(sp.dropped_mass))


#: every rule of :func:`fit_lost_sales_policy`
POLICY_RULES = HEURISTIC_RULES + ("standard_base_stock", "base_stock", "capped_base_stock", "constant_order")


def fit_lost_sales_policy(sourcing_model: Any, rule: str, *, tail_mass: float = 1e-10,
                          max_entries: int | None = None) -> LostSalesHeuristic:
    r"""Any classical lost-sales policy as an order table with its exact average cost.

    ``rule`` is one of :data:`HEURISTIC_RULES` (computed by :func:`lost_sales_heuristic`) or

    * ``"standard_base_stock"``: :math:`[\bar S - y]^+`, :math:`\bar S` the backlog model's level;
    * ``"base_stock"``: the best level :math:`S` (:func:`~idinn.exact.fit_lost_sales_base_stock`);
    * ``"capped_base_stock"``: the best :math:`\min([S - y]^+, r)` (Xin 2021,
      :func:`~idinn.exact.fit_lost_sales_capped_base_stock`);
    * ``"constant_order"``: the best integer :math:`r` every period
      (:func:`~idinn.exact.fit_lost_sales_constant_order`).

    Every parameter is chosen by exact evaluation (no simulation).

    Raises
    ------
    ValueError
        Unknown rule, or a problem that is not single sourcing with lost sales and :math:`L \ge 1`.
    """
    from . import lost_sales_policies as lsp

    owner = "fit_lost_sales_policy"
    if rule not in POLICY_RULES:
        fail("rule", owner, "one of " + ", ".join(repr(r) for r in POLICY_RULES), rule)
    problem = check_lost_sales_problem(sourcing_model, owner)
    if rule in HEURISTIC_RULES:
        return lost_sales_heuristic(problem, rule, tail_mass=tail_mass, max_entries=max_entries, owner=owner)
    L = problem.params.lead_times[0]
    _, dropped, _ = lost_sales_demand_pmf(problem.demand, tail_mass)
    if rule == "constant_order":
        fit = lsp.fit_lost_sales_constant_order(problem)
        return LostSalesHeuristic(rule, L, 0, np.zeros(1, dtype=np.int32), fit.average_cost,
                                  dict(fit.parameters), dropped)
    if rule == "standard_base_stock":
        level = lsp.standard_base_stock_level(problem, tail_mass)
        params: dict = {"base_stock_level": level}
        cost = lsp.evaluate_lost_sales_base_stock(problem, level, tail_mass=tail_mass, max_entries=max_entries)
    else:
        fitter = lsp.fit_lost_sales_base_stock if rule == "base_stock" else lsp.fit_lost_sales_capped_base_stock
        fit = fitter(problem, tail_mass=tail_mass, max_entries=max_entries)
        params, cost = dict(fit.parameters), fit.average_cost
    level = params["base_stock_level"]
    sp = build_space(problem, level, tail_mass, max_entries, owner)
    orders = np.maximum(level - sp.grids.sum(1), 0)
    if "cap" in params:
        orders = np.minimum(orders, params["cap"])
    return LostSalesHeuristic(rule, L, level, orders.astype(np.int32), float(cost), params, dropped)

