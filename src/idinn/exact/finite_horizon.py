r"""Finite-horizon dynamic programming with period-dependent demand.

:func:`solve_finite_horizon` minimises the expected total (discounted) cost of exactly
:math:`T` periods of a single- or dual-sourcing model by backward induction, with the
demand pmf of period :math:`t` taken from ``demand_generator.pmf(t)`` (stationary,
:class:`~idinn.demand.SeasonalDemand`, :class:`~idinn.demand.TraceDemand`, ...).
:func:`evaluate_policy_finite_horizon` computes the exact expected total cost of *any*
controller over :math:`T` periods by propagating the state distribution forward. See
``docs/exact_finite_horizon.md`` for the derivations.

Reduced state
    Let :math:`l_f` be the lead time of the *fast* supplier (single sourcing: the only
    supplier, :math:`l_f = l`; dual sourcing: the expedited one, :math:`l_f = l_e`) and
    :math:`L = l_r - l_e` the lead-time gap (0 for single sourcing). The full state
    :math:`[I_t, \text{pipelines}]` is reduced to the *fast position*

    .. math:: z_t = I_t + \text{everything that arrives in periods } t, \dots, t + l_f

    and the :math:`L - 1` regular orders :math:`p_1, \dots, p_{L-1}`
    (:math:`p_j = r_{l_e + 1 + j}`) that a fast order placed now overtakes. For dual
    sourcing with :math:`l_e = l_r` (:math:`L = 0`) both suppliers deliver at the same
    time and only the cheaper one is used.

Bellman recursion
    With :math:`y = z + q^f` (the fast order raises :math:`z` to :math:`y`),
    :math:`G_t(y) = E[h (y - D_{t..t+l_f})^+ + b (D_{t..t+l_f} - y)^+]` the expected
    holding and shortage cost of period :math:`t + l_f` (the first one an order placed
    now can influence; :math:`D_{t..t+l_f} = D_t + \dots + D_{t+l_f}`) and
    :math:`V_T \equiv 0`,

    .. math:: V_t(z, p) = \min_{y \ge z,\; q^r \ge 0}
              c_f (y - z) + c_r q^r + \gamma^{l_f} G_t(y)
              + \gamma\, E\, V_{t+1}(y + p_1 - D_t,\, p_2, \dots, p_{L-1}, q^r)

    for :math:`t + l_f \le T - 1` (for :math:`L = 1` the next position is
    :math:`y + q^r - D_t`, for :math:`L = 0` it is :math:`y - D_t` and there is no
    :math:`q^r`), and :math:`V_t \equiv 0` (order nothing) in the last :math:`l_f`
    periods, whose orders arrive after the horizon. The holding and shortage costs of
    periods :math:`0, \dots, l_f - 1` are fixed by the initial state (the *committed*
    cost).

Terminal cost
    Optionally, stock left at the end earns a salvage value :math:`v` per unit and backlog
    left at the end costs :math:`p_T` per unit: :math:`-v (I_T)^+ + p_T (I_T)^-`, weighted
    like period :math:`T - 1` (:math:`\gamma^{T-1}`). :math:`I_T = y - D_{t..t+l_f}` for
    the last decision that can influence it (:math:`t = T - 1 - l_f`), so it enters that
    decision's stage cost as :math:`\gamma^{l_f} E[-v (I_T)^+ + p_T (I_T)^-]`; when
    :math:`T \le l_f` it is fixed by the initial state (committed). Textbook finite-horizon
    models (e.g. Snyder & Shen 2019, section 4.3.3, terminal cost :math:`\theta_{T+1}`)
    use both; without them the last periods' order-up-to levels differ.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from .._validation import check_int, check_real, fail
from ..dynamics import advance, check_capacities, period_cost
from ..policy import as_policy_function
from ._enumerate import merge_rows
from ._inputs import problem_and_state
from ._pmf import Pmf, check_size, demand_pmfs, newsvendor_cost, sum_pmf
from ._reduced import (
    WIDENING_TARGET,
    _Box,
    _bellman,
    _cap_flags,
    _check_bounds,
    _check_box,
    _check_period,
    _committed_cost,
    _default_box,
    _order_table,
    _Reduced,
    _reduce_states,
    _reduction,
    _stage,
    _start_index,
    _TableLookup,
    _transitions,
    _warn_boundary,
    _widen,
)

__all__ = [
    "FiniteHorizonSolution",
    "FiniteHorizonEvaluation",
    "solve_finite_horizon",
    "evaluate_policy_finite_horizon",
    "_check_period",  # imported by the time-dependent DP controllers
]

# ============================================================================ solution
@dataclass(frozen=True, eq=False)
class FiniteHorizonSolution(_TableLookup):
    r"""Optimal policy and value of a finite-horizon problem (see :func:`solve_finite_horizon`).

    Attributes
    ----------
    optimal_cost : float
        Minimal expected total discounted cost
        :math:`E\sum_{t=0}^{T-1}\gamma^t c_t` from the initial state
        (``committed_cost + value_tables[(0, z_0, p_0)]``).
    horizon : int
        :math:`T`.
    discount : float
        :math:`\gamma`.
    init_state : ndarray of int64, shape (state_dim,)
        Full initial state :math:`s_0`.
    policy_tables : ndarray of int64, shape (T, n_positions, [q+1, ...,] n_suppliers)
        Optimal orders of period :math:`t` (model layout: single ``[q]``, dual
        ``[q_r, q_e]``) at reduced state :math:`(z, p_1, \dots, p_{L-1})`, indexed by
        ``[t, z - min_position, p_1, ..., p_{L-1}]``.
    value_tables : ndarray of float64, shape (T + 1, n_positions, [q+1, ...])
        :math:`V_t(z, p)`: optimal expected discounted cost (in period-:math:`t` money) of
        the decisions of periods :math:`t, \dots, T-1`, i.e. of periods
        :math:`t + l_f, \dots, T - 1` plus the order costs; :math:`V_T = 0`. For
        :math:`l_f = 0` this is the whole cost-to-go.
    committed_cost : float
        Expected discounted cost of periods :math:`0, \dots, l_f - 1`, fixed by
        :math:`s_0` (0 when :math:`l_f = 0`).
    boundary_mass : float
        Expected number of periods, along a path from :math:`s_0` under the optimal
        policy, in which the truncation acts (a next position is clipped into
        :math:`[\underline z, \bar z]`, :math:`y` sits at :math:`\bar z` with a positive
        fast order, or a regular order sits at :math:`\bar q_r`); an upper bound on the
        probability that a path ever touches the truncation. 0 means the table's value at
        :math:`s_0` is exact.
    boundary_mass_by_bound : mapping
        The same split by ``'min_position'``, ``'max_position'``, ``'max_regular_order'``.
    n_widenings : int
        Automatic enlargements of the box.
    """

    optimal_cost: float
    horizon: int
    discount: float
    init_state: np.ndarray
    policy_tables: np.ndarray = field(repr=False)
    value_tables: np.ndarray = field(repr=False)
    committed_cost: float
    boundary_mass: float
    boundary_mass_by_bound: Mapping[str, float] = field(default_factory=dict)
    n_widenings: int = 0
    _red: _Reduced | None = field(default=None, repr=False)
    _box: _Box | None = field(default=None, repr=False)

    def orders(self, states: Any, period: int) -> np.ndarray:
        """Optimal orders (B, n_suppliers) in ``period`` for full states (B, state_dim).

        Raises ``ValueError`` for a period outside ``0 .. horizon - 1`` or a state outside
        the table (naming the state and the bounds).
        """
        period = _check_period(period, self.horizon, "FiniteHorizonSolution.orders")
        return self._lookup(self.policy_tables[period], states)

# ============================================================================== solver
def solve_finite_horizon(
    sourcing_model: Any,
    horizon: int,
    *,
    discount: float = 1.0,
    init_state: Any = None,
    min_position: int | None = None,
    max_position: int | None = None,
    max_regular_order: int | None = None,
    max_widenings: int = 20,
    max_entries: int | None = None,
    salvage_value: float = 0.0,
    terminal_backlog_cost: float = 0.0,
) -> FiniteHorizonSolution:
    r"""Optimal policy of exactly ``horizon`` periods by backward induction.

    Solves the Bellman recursion of the module docstring for :math:`t = T-1, \dots, 0`
    on the reduced state :math:`(z, p_1, \dots, p_{L-1})` restricted to
    :math:`\underline z \le z \le \bar z`, :math:`0 \le p_j \le \bar q_r`, with
    :math:`y \le \bar z`, :math:`q^r \le \bar q_r` and next positions clipped into
    :math:`[\underline z, \bar z]`. A forward pass propagates the distribution of the
    reduced state from :math:`s_0` under the optimal policy and measures how often the
    truncation acts (``boundary_mass``). Bounds not given start at the values of the
    Notes and are widened (the recursion re-run) until that mass is at most 1e-12 or
    ``max_widenings`` is reached; given bounds are kept. A ``RuntimeWarning`` is issued
    when the final mass exceeds 1e-6.

    Ties between actions (within a relative 1e-12) go to the smaller order, and the
    value tables hold the value of the chosen actions, so that
    :func:`evaluate_policy_finite_horizon` of the returned policy reproduces
    ``optimal_cost``.

    Parameters
    ----------
    sourcing_model : SourcingProblem, SingleSourcingModel or DualSourcingModel
        Its demand model must have finite support in every period; ``pmf(t)`` is used
        for period :math:`t` (demand independent across periods). Dual sourcing: any
        :math:`l_e \le l_r` (with :math:`l_e = l_r` only the cheaper supplier orders).
    horizon : int
        Number of periods :math:`T`, >= 1.
    discount : float, default=1.0
        Discount factor :math:`\gamma \in (0, 1]`: the cost of period :math:`t` is
        weighted by :math:`\gamma^t`.
    init_state : array-like of int, shape (state_dim,), optional
        Initial full state :math:`s_0` ``[I_0, pipelines]``; default: the problem's ``init_state``.
    min_position, max_position : int, optional
        Truncation :math:`\underline z`, :math:`\bar z` of the fast position.
    max_regular_order : int, optional
        Cap :math:`\bar q_r` of regular orders (dual sourcing with :math:`l_e < l_r`).
    max_widenings : int, default=20
        Most automatic enlargements of the box.
    max_entries : int, optional
        Memory budget in table entries (8 bytes each; default
        :data:`idinn.exact._pmf.MAX_TABLE_ENTRIES`, about 1 GiB). A box needing more is
        refused with a ``MemoryError`` before any work, giving its size.
    salvage_value : float, default=0
        Credit per unit of stock left at the end [:math:`v`], at most
        :math:`h + \min_k c_k` (above it, ordering only to salvage would pay without bound).
    terminal_backlog_cost : float, default=0
        Cost per unit of backlog left at the end [:math:`p_T`], >= 0.

    Returns
    -------
    FiniteHorizonSolution

    Notes
    -----
    Automatic starting bounds, with :math:`S_t` the newsvendor level of
    :math:`D_{t..t+l_f}` at :math:`b/(b+h)` and :math:`\bar q = \max(\bar d, 1)`
    (:math:`\bar d` the largest demand of any period): :math:`\bar q_r = \bar q`,
    :math:`\bar z = \max_t S_t + \bar q_r` and
    :math:`\underline z = \min_t S_t - (L+1)\bar q - 1`, widened to contain
    :math:`s_0`. Each widening moves a touched position bound by
    :math:`\max(\bar q, n_z/4)` and :math:`\bar q_r` by :math:`\max(1, \bar q/2)`.

    Examples
    --------
    >>> from idinn.demand import SeasonalDemand
    >>> from idinn.sourcing_model import DualSourcingModel
    >>> from idinn.exact import solve_finite_horizon
    >>> model = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0,
    ...     regular_order_cost=0, expedited_order_cost=20, holding_cost=5, shortage_cost=495,
    ...     init_inventory=6,
    ...     demand_generator=SeasonalDemand.uniform(lows=[0, 1, 3, 1], highs=[2, 5, 7, 5]))
    >>> solution = solve_finite_horizon(model, horizon=52)
    >>> round(solution.optimal_cost, 4), solution.boundary_mass
    (1077.536, 0.0)
    """
    owner = "solve_finite_horizon"
    problem, s0 = problem_and_state(sourcing_model, init_state, owner)
    horizon = check_int(horizon, "horizon", owner, minimum=1)
    discount = check_real(discount, "discount", owner, exclusive_minimum=0, maximum=1)
    pmfs = demand_pmfs(problem.demand, horizon, owner=owner, name="demand_generator")
    red = _reduction(problem.params, owner)
    terminal = _terminal_costs(salvage_value, terminal_backlog_cost, problem.params, owner)
    z0_arr, p0_arr = _reduce_states(red, s0[None])
    z0, p0 = int(z0_arr[0]), p0_arr[0]
    given, max_widenings = _check_bounds(
        red, min_position, max_position, max_regular_order, max_widenings, z0, p0, owner
    )
    active = max(horizon - red.shift, 0)  # decisions t < active influence a cost
    windows = [sum_pmf(pmfs[t : t + red.shift + 1]) for t in range(active)]
    committed = _committed_cost(red, s0, pmfs, horizon, discount)
    if active == 0 and terminal != (0.0, 0.0):  # I_T is fixed by the initial state
        committed += discount ** (horizon - 1) * _terminal_expectation(red.lead_times, s0, pmfs, horizon, terminal)

    box = _default_box(red, pmfs, windows, z0, p0, given)
    if active and terminal != (0.0, 0.0) and given["max_position"] is None:
        # the last decision may order up to the largest demand of its window (never beyond:
        # each further unit costs c_f + gamma^l_f (h - v) >= 0)
        box = dataclasses.replace(box, z_hi=max(box.z_hi, int(windows[active - 1][0][-1])))
    widenings = 0
    while True:
        _check_box(box, owner, max_entries, layers=horizon)
        values, policies, masses = _solve_box(red, box, pmfs, windows, horizon, active, discount, s0, terminal)
        touched = [n for n in masses if given[n] is None and masses[n] > WIDENING_TARGET]
        if not touched or widenings >= max_widenings:
            break
        box = _widen(box, touched, pmfs)
        widenings += 1

    start, _, _ = _start_index(red, box, s0)
    total_mass = float(sum(masses.values()))
    _warn_boundary(total_mass, masses, box, "finite-horizon")
    return FiniteHorizonSolution(
        optimal_cost=committed + float(values[0].ravel()[start]),
        horizon=horizon,
        discount=discount,
        init_state=s0,
        policy_tables=policies,
        value_tables=values,
        committed_cost=committed,
        boundary_mass=total_mass,
        boundary_mass_by_bound=MappingProxyType(dict(masses)),
        n_widenings=widenings,
        _red=red,
        _box=box,
    )

def _solve_box(
    red: _Reduced,
    box: _Box,
    pmfs: list[Pmf],
    windows: list[Pmf],
    horizon: int,
    active: int,
    discount: float,
    s0: np.ndarray,
    terminal: tuple[float, float] = (0.0, 0.0),
) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """Backward induction on one box, then the forward boundary pass."""
    nz, m = box.nz, box.m
    values = np.zeros((horizon + 1, nz, m))
    iys = np.zeros((horizon, nz, m), dtype=np.int64)
    qrs = np.zeros((horizon, nz, m), dtype=np.int64)
    iys[active:] = np.arange(nz)[None, :, None]  # no order in the last l_f periods
    for t in range(active - 1, -1, -1):
        stage = _stage(red, box, windows[t], discount)
        if t == active - 1 and terminal != (0.0, 0.0):  # this decision's arrivals set I_T
            y = np.arange(box.z_lo, box.z_hi + 1)
            stage = stage + discount**red.shift * newsvendor_cost(y, *windows[t], -terminal[0], terminal[1])
        step = _bellman(values[t + 1], pmfs[t], stage, red, box, discount, greedy=True)
        values[t], iys[t], qrs[t] = step.v_sel, step.iy, step.qr
    policies = np.stack([_order_table(red, box, iys[t], qrs[t]) for t in range(horizon)])
    masses = dict.fromkeys(box.bounds(), 0.0)
    start, _, _ = _start_index(red, box, s0)
    mu = np.zeros(nz * m)
    mu[start] = 1.0
    for t in range(active):
        rows = np.flatnonzero(mu > 0)
        w = mu[rows]
        y_cap, q_cap = _cap_flags(red, box, iys[t], qrs[t])
        masses["max_position"] += float(w[y_cap[rows]].sum())
        if "max_regular_order" in masses:
            masses["max_regular_order"] += float(w[q_cap[rows]].sum())
        if t + 1 >= active:
            break
        target, low, high = _transitions(red, box, iys[t], qrs[t], pmfs[t], rows)
        pw = w[:, None] * pmfs[t][1][None, :]
        masses["min_position"] += float(pw[low].sum())
        masses["max_position"] += float(pw[high].sum())
        mu = np.bincount(target.ravel(), weights=pw.ravel(), minlength=nz * m)
    shape = (horizon + 1,) + box.shape
    return values.reshape(shape), policies, masses


# ========================================================================== evaluation
@dataclass(frozen=True, eq=False)
class FiniteHorizonEvaluation:
    r"""Exact finite-horizon evaluation of a policy (see :func:`evaluate_policy_finite_horizon`).

    Attributes
    ----------
    total_cost : float
        :math:`E\sum_{t=0}^{T-1}\gamma^t c_t` from the initial state, plus the terminal cost.
    period_costs : ndarray of float64, shape (T,)
        Undiscounted expected cost :math:`E[c_t]` of each period.
    mean_orders : ndarray of float64, shape (T, n_suppliers)
        Expected orders of each period (model layout).
    expected_inventory, expected_backlog : ndarray of float64, shape (T,)
        :math:`E[(I_{t+1})^+]` and :math:`E[(I_{t+1})^-]` at the end of each period.
    n_states : ndarray of int64, shape (T,)
        Number of distinct states with positive probability at the start of each period.
    horizon : int
    discount : float
    terminal_cost : float
        :math:`\gamma^{T-1} E[-v (I_T)^+ + p_T (I_T)^-]` (0 without salvage value and
        terminal backlog cost).
    """

    total_cost: float
    period_costs: np.ndarray
    mean_orders: np.ndarray
    expected_inventory: np.ndarray
    expected_backlog: np.ndarray
    n_states: np.ndarray
    horizon: int
    discount: float
    terminal_cost: float = 0.0


def evaluate_policy_finite_horizon(
    policy: Any,
    sourcing_model: Any,
    horizon: int,
    *,
    discount: float = 1.0,
    init_state: Any = None,
    max_entries: int | None = None,
    salvage_value: float = 0.0,
    terminal_backlog_cost: float = 0.0,
) -> FiniteHorizonEvaluation:
    r"""Exact expected total (discounted) cost of any policy over ``horizon`` periods.

    The distribution of the full state is propagated forward from :math:`s_0`: in
    period :math:`t` the policy is called once on all states with positive probability
    (one batched float32 tensor), every demand value of ``pmf(t)`` is applied with
    :func:`idinn.dynamics.transition`, the expected cost is accumulated with
    :func:`idinn.dynamics.period_cost` and equal successor states are merged. No
    truncation and no sampling: the result is exact up to floating-point round-off.

    Parameters
    ----------
    policy : controller or callable
        A controller (:class:`idinn.policy.Policy`): its ``policy(state, period)`` is called
        with ``period = t`` through :func:`idinn.policy.as_policy_function`. Or a callable
        ``policy(state)`` or ``policy(state, period)`` (two required positional
        parameters). State: float32 tensor (B, state_dim) in the layout of
        :mod:`idinn.dynamics`; orders: non-negative integer-valued (B, n_suppliers).
    sourcing_model : SourcingProblem, SingleSourcingModel or DualSourcingModel
        Demand with finite support in every period, independent across periods.
    horizon : int
        Number of periods :math:`T`, >= 1.
    discount : float, default=1.0
        :math:`\gamma \in (0, 1]`.
    init_state : array-like of int, shape (state_dim,), optional
        Initial full state; default: the problem's ``init_state``.
    max_entries : int, optional
        Memory budget in entries (8 bytes each; default
        :data:`idinn.exact._pmf.MAX_TABLE_ENTRIES`). A period whose state distribution
        times the demand support needs more is refused with a ``MemoryError`` naming the
        period, the number of states and the memory.
    salvage_value, terminal_backlog_cost : float, default=0
        Terminal cost :math:`-v (I_T)^+ + p_T (I_T)^-` on the net inventory left at the
        end, weighted by :math:`\gamma^{T-1}` (module docstring; same rule on
        :math:`v` as :func:`solve_finite_horizon`).

    Returns
    -------
    FiniteHorizonEvaluation

    Examples
    --------
    >>> import torch
    >>> from idinn.demand import UniformDemand
    >>> from idinn.sourcing_model import SingleSourcingModel
    >>> from idinn.exact import evaluate_policy_finite_horizon
    >>> model = SingleSourcingModel(lead_time=0, holding_cost=5, shortage_cost=495,
    ...     init_inventory=0, demand_generator=UniformDemand(0, 4))
    >>> base_stock = lambda s: (4 - s.sum(1, keepdim=True)).clamp(min=0)
    >>> evaluate_policy_finite_horizon(base_stock, model, horizon=3).total_cost
    30.0
    """
    owner = "evaluate_policy_finite_horizon"
    problem, s0 = problem_and_state(sourcing_model, init_state, owner, evaluation=True)
    params = problem.params
    n_sup = params.n_suppliers
    fn = as_policy_function(policy, n_sup, owner=owner)
    horizon = check_int(horizon, "horizon", owner, minimum=1)
    discount = check_real(discount, "discount", owner, exclusive_minimum=0, maximum=1)
    terminal = _terminal_costs(salvage_value, terminal_backlog_cost, params, owner)
    pmfs = demand_pmfs(problem.demand, horizon, owner=owner, name="demand_generator")
    states, prob = s0[None], np.ones(1)
    costs = np.zeros(horizon)
    orders_mean = np.zeros((horizon, n_sup))
    inv_pos, inv_neg = np.zeros(horizon), np.zeros(horizon)
    n_states = np.zeros(horizon, dtype=np.int64)
    for t in range(horizon):
        values, probs = pmfs[t]
        n, k = len(states), len(values)
        n_states[t] = n
        check_size(float(n) * k * (params.state_dim + 4), max_entries, owner,
                   f"entries in period {t} ({n} states x {k} demand values)",
                   "Shorten the horizon or use a policy with a smaller reachable state space.")
        q = fn(states, t)
        check_capacities(q, params, owner)
        orders_mean[t] = prob @ q
        qq = np.repeat(q, k, axis=0)
        nxt, net = advance(np.repeat(states, k, axis=0), qq, np.tile(values, n), params)
        w = (prob[:, None] * probs[None, :]).ravel()
        inv = net.astype(np.float64)
        costs[t] = float(w @ period_cost(inv, qq.astype(np.float64), params))
        inv_pos[t] = float(w @ np.clip(inv, 0, None))
        inv_neg[t] = float(w @ np.clip(-inv, 0, None))
        if t + 1 < horizon:
            states, prob = merge_rows(nxt, w)
    end = discount ** (horizon - 1) * float(w @ (-terminal[0] * np.clip(inv, 0, None) + terminal[1] * np.clip(-inv, 0, None)))
    total = float(sum(discount**t * c for t, c in enumerate(costs))) + end
    return FiniteHorizonEvaluation(
        total_cost=total,
        period_costs=costs,
        mean_orders=orders_mean,
        expected_inventory=inv_pos,
        expected_backlog=inv_neg,
        n_states=n_states,
        horizon=horizon,
        discount=discount,
        terminal_cost=end,
    )


# ========================================================================= terminal cost
def _terminal_costs(salvage_value: Any, terminal_backlog_cost: Any, params: Any, owner: str) -> tuple[float, float]:
    r"""``(v, p_T)`` checked: finite, >= 0, and :math:`v \le h + \min_k c_k` (bounded problem)."""
    v = check_real(salvage_value, "salvage_value", owner, minimum=0)
    p_end = check_real(terminal_backlog_cost, "terminal_backlog_cost", owner, minimum=0)
    bound = params.holding_cost + min(params.order_costs)
    if v > bound:
        fail("salvage_value", owner, f"<= holding_cost + the smallest unit order cost ({bound:g}); above it ordering "
             "only to salvage the stock would pay without bound", salvage_value)
    return v, p_end


def _terminal_expectation(lead_times: Any, s0: np.ndarray, pmfs: list[Pmf], horizon: int,
                          terminal: tuple[float, float]) -> float:
    """:math:`E[-v (I_T)^+ + p_T (I_T)^-]` when no order placed in the horizon arrives in it."""
    arrived = int(s0[0])
    start = 1
    for lt in lead_times:
        arrived += int(s0[start : start + min(lt, horizon)].sum())
        start += lt
    v, p = sum_pmf(pmfs[:horizon])
    return float(newsvendor_cost(np.array([arrived]), v, p, -terminal[0], terminal[1])[0])
