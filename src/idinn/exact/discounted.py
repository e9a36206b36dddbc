r"""Infinite-horizon discounted dynamic programming (stationary or periodic demand).

:func:`solve_discounted` minimises :math:`E\sum_{t \ge 0}\gamma^t c_t` by value iteration on
the reduced state of :mod:`idinn.exact.finite_horizon`. With a seasonal demand model
(``season_length`` :math:`S`) the optimal policy is periodic and the iteration runs over
the cycle: :math:`V_k = T_k V_{(k+1) \bmod S}`, :math:`k = 0, \dots, S-1`, where
:math:`T_k` is the Bellman operator of phase :math:`k`

.. math:: (T_k V)(z, p) = \min_{y \ge z,\; q^r \ge 0}
          c_f (y - z) + c_r q^r + \gamma^{l_f} G_k(y)
          + \gamma\, E\, V(y + p_1 - D_k,\, p_2, \dots, p_{L-1}, q^r).

One sweep applies the cycle operator :math:`\Phi = T_0 \circ \dots \circ T_{S-1}` to
:math:`V_0`, a :math:`\beta`-contraction with :math:`\beta = \gamma^S`, so MacQueen's
bounds

.. math:: \Phi v + \tfrac{\beta}{1-\beta}\min(\Phi v - v) \le V_0^*
          \le \Phi v + \tfrac{\beta}{1-\beta}\max(\Phi v - v)

certify the optimum. :func:`evaluate_policy_discounted` gives the exact discounted cost of
any stationary (or, with seasonal demand, :math:`S`-periodic) policy by solving
:math:`(I - \gamma P)\, v = c` on the states reachable from :math:`s_0`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order
from scipy.sparse.linalg import splu

from .._validation import check_int, check_real
from ..policy import as_policy_function
from ._enumerate import StateLimit, enumerate_chain
from ._inputs import check_inventory_bounds, problem_and_state
from ._pmf import Pmf, default_position_range, demand_pmfs, sum_pmf
from ._reduced import (
    _BOUND_NAMES,
    BOUNDARY_MASS_WARNING,
    WIDENING_TARGET,
    _bellman,
    _Box,
    _cap_flags,
    _check_bounds,
    _check_box,
    _committed_cost,
    _default_box,
    _embed,
    _order_table,
    _reduce_states,
    _Reduced,
    _reduction,
    _stage,
    _start_index,
    _TableLookup,
    _transitions,
    _warn_boundary,
    _widen,
)

__all__ = [
    "DiscountedSolution",
    "DiscountedEvaluation",
    "solve_discounted",
    "evaluate_policy_discounted",
]


@dataclass(frozen=True, eq=False)
class DiscountedSolution(_TableLookup):
    r"""Optimal discounted policy (see :func:`solve_discounted`).

    Attributes
    ----------
    optimal_cost : float
        Exact expected discounted cost :math:`E\sum_{t\ge 0}\gamma^t c_t` of the returned
        policy from the initial state (sparse linear solve on the truncated reduced
        chain); ``lower_bound <= optimal_cost <= upper_bound`` up to round-off.
    lower_bound, upper_bound : float
        MacQueen bounds on the optimal discounted cost of the truncated problem from the
        initial state at the last sweep.
    discount : float
        :math:`\gamma`.
    season_length : int
        Number of phases :math:`S` of the policy: the smallest period of the per-period
        demand pmfs that divides the demand model's ``season_length`` (1 for stationary
        demand, or when every period has the same pmf).
    init_state : ndarray of int64, shape (state_dim,)
    policy_tables : ndarray of int64, shape (S, n_positions, [q+1, ...,] n_suppliers)
        Optimal orders in phase :math:`k` (periods :math:`t \equiv k \bmod S`) at reduced
        state :math:`(z, p)`, indexed by ``[k, z - min_position, p_1, ..., p_{L-1}]``.
    value_tables : ndarray of float64, shape (S, n_positions, [q+1, ...])
        :math:`V_k(z, p)` of the last sweep (costs of periods from :math:`t + l_f` on and
        order costs; see :class:`~idinn.exact.FiniteHorizonSolution`).
    committed_cost : float
        Discounted cost of periods :math:`0, \dots, l_f - 1`, fixed by the initial state.
    boundary_mass : float
        Normalised discounted occupation :math:`(1-\gamma)\sum_t \gamma^t
        P(\text{truncation acts in period } t)` under the returned policy from the
        initial state (0: the truncation is never reached).
    boundary_mass_by_bound : mapping
    n_iterations : int
        Sweeps (cycles) performed, all widenings together.
    converged : bool
        Whether ``upper_bound - lower_bound <= tolerance * max(1, |lower_bound|)``.
    n_widenings : int
    """

    optimal_cost: float
    lower_bound: float
    upper_bound: float
    discount: float
    season_length: int
    init_state: np.ndarray
    policy_tables: np.ndarray = field(repr=False)
    value_tables: np.ndarray = field(repr=False)
    committed_cost: float
    boundary_mass: float
    boundary_mass_by_bound: Mapping[str, float] = field(default_factory=dict)
    n_iterations: int = 0
    converged: bool = False
    n_widenings: int = 0
    _red: _Reduced | None = field(default=None, repr=False)
    _box: _Box | None = field(default=None, repr=False)
    _owner = "DiscountedSolution.orders"

    def orders(self, states: Any, period: int = 0) -> np.ndarray:
        """Optimal orders (B, n_suppliers) for full states in calendar ``period`` (phase ``period % S``)."""
        period = check_int(period, "period", self._owner, minimum=0)
        return self._lookup(self.policy_tables[period % self.season_length], states)


def _minimal_period(pmfs: list[Pmf]) -> int:
    """Smallest p dividing len(pmfs) with pmf(k) == pmf(k mod p) for every k."""
    n = len(pmfs)
    for p in range(1, n):
        if n % p == 0 and all(
            np.array_equal(pmfs[k][0], pmfs[k % p][0]) and np.array_equal(pmfs[k][1], pmfs[k % p][1])
            for k in range(p, n)
        ):
            return p
    return n


def _greedy_sweep(
    v0: np.ndarray, pmfs: list[Pmf], stages: list[np.ndarray], red: _Reduced, box: _Box, gamma: float, greedy: bool
) -> list[Any]:
    """One cycle V_{S-1} = T_{S-1} v0, ..., V_0 = T_0 V_1; returns the S steps (phase order)."""
    s = len(pmfs)
    steps: list[Any] = [None] * s
    nxt = v0
    for k in range(s - 1, -1, -1):
        step = _bellman(nxt, pmfs[k], stages[k], red, box, gamma, greedy)
        steps[k] = step
        nxt = step.v_sel if greedy else step.v_min
    return steps


def _policy_chain(
    red: _Reduced, box: _Box, steps: list[Any], pmfs: list[Pmf], stages: list[np.ndarray]
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Transition matrix of the periodic greedy policy over (phase, state), stage costs and flag probabilities."""
    s, n = len(pmfs), box.nz * box.m
    rows, cols, data = [], [], []
    cost = np.empty(s * n)
    flags = {name: np.zeros(s * n) for name in _BOUND_NAMES}
    zc = red.fast_cost * np.arange(box.z_lo, box.z_hi + 1, dtype=np.float64)[:, None]
    for k in range(s):
        st = steps[k]
        target, low, high = _transitions(red, box, st.iy, st.qr, pmfs[k])
        probs = pmfs[k][1]
        base = k * n
        rows.append(np.repeat(np.arange(base, base + n), len(probs)))
        cols.append((((k + 1) % s) * n + target).ravel())
        data.append(np.tile(probs, n))
        stage = stages[k][st.iy] - zc + red.regular_cost * st.qr
        cost[base : base + n] = stage.ravel()
        y_cap, q_cap = _cap_flags(red, box, st.iy, st.qr)
        flags["min_position"][base : base + n] = low.astype(float) @ probs
        flags["max_position"][base : base + n] = high.astype(float) @ probs + y_cap
        flags["max_regular_order"][base : base + n] = q_cap
    P = sp.csr_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=(s * n, s * n))
    P.sum_duplicates()
    return P, cost, np.stack([flags[name] for name in _BOUND_NAMES])


def _discounted_solve(P: sp.csr_matrix, cost: np.ndarray, start: int, gamma: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Value at ``start`` and normalised discounted occupation, on the states reachable from it."""
    reach = breadth_first_order(P, start, directed=True, return_predecessors=False)
    sub = P[reach][:, reach]
    a = (sp.identity(len(reach), format="csc") - gamma * sub).tocsc()
    lu = splu(a)
    v = lu.solve(cost[reach])
    e = np.zeros(len(reach))
    pos = int(np.flatnonzero(reach == start)[0])
    e[pos] = 1.0 - gamma
    nu = lu.solve(e, trans="T")
    return float(v[pos]), reach, np.clip(nu, 0.0, None)


def solve_discounted(
    sourcing_model: Any,
    discount: float,
    *,
    init_state: Any = None,
    min_position: int | None = None,
    max_position: int | None = None,
    max_regular_order: int | None = None,
    tolerance: float = 1e-10,
    max_iterations: int = 100_000,
    max_widenings: int = 20,
    max_entries: int | None = None,
) -> DiscountedSolution:
    r"""Optimal infinite-horizon discounted policy by (periodic) value iteration.

    Runs sweeps of the cycle operator (module docstring) on the truncated reduced state
    space of :func:`~idinn.exact.solve_finite_horizon` until the MacQueen bounds are
    within ``tolerance * max(1, |lower|)``, then takes the greedy policy of one more
    sweep, computes its exact discounted cost (``optimal_cost``) and the discounted
    occupation of the states where the truncation acts. Automatic bounds are widened
    (warm restart) until that occupation is at most 1e-12; a ``RuntimeWarning`` is
    issued above 1e-6 or when the bounds did not converge.

    Parameters
    ----------
    sourcing_model : SourcingProblem, SingleSourcingModel or DualSourcingModel
        Finite-support demand; stationary, or seasonal with ``season_length`` :math:`S`
        (periodic policy, phase :math:`k = t \bmod S`).
    discount : float
        :math:`\gamma \in (0, 1)`.
    init_state : array-like of int, shape (state_dim,), optional
        Initial full state (phase 0); default: the model's initial inventory, empty
        pipelines.
    min_position, max_position, max_regular_order : int, optional
        Truncation (see :func:`~idinn.exact.solve_finite_horizon`).
    tolerance : float, default=1e-10
        Relative width of the MacQueen bounds at which to stop.
    max_iterations : int, default=100_000
        Most sweeps, all widenings together.
    max_widenings : int, default=20
    max_entries : int, optional
        Memory budget in table entries (see :func:`~idinn.exact.solve_finite_horizon`).

    Returns
    -------
    DiscountedSolution

    Examples
    --------
    >>> from idinn.demand import UniformDemand
    >>> from idinn.sourcing_model import SingleSourcingModel
    >>> from idinn.exact import solve_discounted
    >>> model = SingleSourcingModel(lead_time=2, holding_cost=5, shortage_cost=495,
    ...     init_inventory=10, demand_generator=UniformDemand(0, 4))
    >>> solution = solve_discounted(model, discount=0.95)
    >>> round(solution.optimal_cost, 4)
    591.95
    >>> round(solution.upper_bound - solution.lower_bound, 6)
    0.0
    """
    owner = "solve_discounted"
    problem, s0 = problem_and_state(sourcing_model, init_state, owner)
    gamma = check_real(discount, "discount", owner, exclusive_minimum=0, exclusive_maximum=1)
    tolerance = check_real(tolerance, "tolerance", owner, exclusive_minimum=0)
    max_iterations = check_int(max_iterations, "max_iterations", owner, minimum=1)
    demand = problem.demand
    red = _reduction(problem.params, owner)
    z0_arr, p0_arr = _reduce_states(red, s0[None])
    z0, p0 = int(z0_arr[0]), p0_arr[0]
    given, max_widenings = _check_bounds(
        red, min_position, max_position, max_regular_order, max_widenings, z0, p0, owner
    )
    season = getattr(demand, "season_length", None)
    pmfs = demand_pmfs(demand, 1 if season is None else int(season), owner=owner, name="demand_generator")
    n_phase = _minimal_period(pmfs)
    pmfs = pmfs[:n_phase]
    windows = [sum_pmf([pmfs[(k + j) % n_phase] for j in range(red.shift + 1)]) for k in range(n_phase)]
    first = demand_pmfs(demand, max(red.shift, 1), owner=owner, name="demand_generator")
    committed = _committed_cost(red, s0, first, red.shift, gamma)
    beta = gamma**n_phase
    factor = beta / (1.0 - beta)

    box = _default_box(red, pmfs, windows, z0, p0, given)
    v0: np.ndarray | None = None
    old_box: _Box | None = None
    sweeps, widenings = 0, 0
    while True:
        _check_box(box, owner, max_entries, layers=n_phase)
        stages = [_stage(red, box, windows[k], gamma) for k in range(n_phase)]
        start, _, _ = _start_index(red, box, s0)
        v = np.zeros((box.nz, box.m)) if v0 is None else _embed(v0, old_box, box)
        converged = False
        while sweeps < max_iterations:
            new = _greedy_sweep(v, pmfs, stages, red, box, gamma, greedy=False)[0].v_min
            sweeps += 1
            diff = new - v
            lo_d, hi_d = float(diff.min()), float(diff.max())
            v = new
            ref = abs(float(new.ravel()[start])) + committed
            if factor * (hi_d - lo_d) <= tolerance * max(1.0, ref):
                converged = True
                break
        exact = _greedy_sweep(v, pmfs, stages, red, box, gamma, greedy=False)
        steps = _greedy_sweep(v, pmfs, stages, red, box, gamma, greedy=True)
        lower = float(exact[0].v_min.ravel()[start]) + factor * float((exact[0].v_min - v).min())
        upper = float(steps[0].v_sel.ravel()[start]) + factor * float((steps[0].v_sel - v).max())
        P, cost, flags = _policy_chain(red, box, steps, pmfs, stages)
        value, reach, nu = _discounted_solve(P, cost, start, gamma)
        masses = {name: float(nu @ flags[i][reach]) for i, name in enumerate(_BOUND_NAMES)}
        masses = {name: masses[name] for name in box.bounds()}
        touched = [n for n in box.bounds() if given[n] is None and masses[n] > WIDENING_TARGET]
        if not touched or widenings >= max_widenings or sweeps >= max_iterations:
            break
        v0, old_box = exact[0].v_min, box
        box = _widen(box, touched, pmfs)
        widenings += 1

    total_mass = float(sum(masses.values()))
    _warn_boundary(total_mass, masses, box, "discounted")
    if not converged:
        warnings.warn(
            f"Value iteration stopped after {sweeps} sweeps with bounds [{lower + committed:.10g}, "
            f"{upper + committed:.10g}] (gap above tolerance {tolerance:g}); raise 'max_iterations'.",
            RuntimeWarning,
            stacklevel=2,
        )
    policies = np.stack([_order_table(red, box, st.iy, st.qr) for st in steps])
    values = np.stack([st.v_sel.reshape(box.shape) for st in steps])
    return DiscountedSolution(
        optimal_cost=committed + value,
        lower_bound=committed + lower,
        upper_bound=committed + upper,
        discount=gamma,
        season_length=n_phase,
        init_state=s0,
        policy_tables=policies,
        value_tables=values,
        committed_cost=committed,
        boundary_mass=total_mass,
        boundary_mass_by_bound=MappingProxyType(masses),
        n_iterations=sweeps,
        converged=converged,
        n_widenings=widenings,
        _red=red,
        _box=box,
    )


# ========================================================================== evaluation
@dataclass(frozen=True, eq=False)
class DiscountedEvaluation:
    r"""Exact discounted evaluation of a policy (see :func:`evaluate_policy_discounted`).

    Attributes
    ----------
    discounted_cost : float
        :math:`E\sum_{t \ge 0}\gamma^t c_t` from the initial state.
    boundary_mass : float
        Normalised discounted occupation of the states whose successors' inventory was
        clipped to ``inventory_bounds`` (0: nothing clipped).
    n_states : int
        Enumerated (phase, state) pairs.
    states : ndarray of int64, shape (n_states, state_dim)
        Enumerated states, the initial one first.
    phases : ndarray of int64, shape (n_states,)
        Their phase :math:`t \bmod S`.
    values : ndarray of float64, shape (n_states,)
        Discounted cost from each enumerated (phase, state).
    inventory_bounds : tuple of int
    season_length : int
    discount : float
    """

    discounted_cost: float
    boundary_mass: float
    n_states: int
    states: np.ndarray
    phases: np.ndarray
    values: np.ndarray
    inventory_bounds: tuple[int, int]
    season_length: int
    discount: float


def _default_inventory_bounds(
    lead_times: tuple[int, ...], pmfs: list[Pmf], h: float, b: float, init_inventory: int
) -> tuple[int, int]:
    r"""Range of the newsvendor levels of :math:`D^{(l+1)}` per phase, widened by :math:`10(l+1)\max(\bar d, 1)`."""
    return default_position_range(pmfs, max(lead_times) + 1, h, b, 10, init_inventory)


def evaluate_policy_discounted(
    policy: Any,
    sourcing_model: Any,
    discount: float,
    *,
    init_state: Any = None,
    inventory_bounds: tuple[int, int] | None = None,
    max_states: int = 500_000,
    max_entries: int | None = None,
) -> DiscountedEvaluation:
    r"""Exact expected discounted cost of a stationary (or periodic) policy.

    The (phase, state) pairs reachable from :math:`s_0` are enumerated breadth first (the
    policy is called once per frontier, all states of a frontier sharing one phase); then
    :math:`(I - \gamma P)\, v = c` is solved with a sparse LU factorisation, :math:`P`
    the transition matrix and :math:`c` the expected period cost
    (:func:`idinn.dynamics.transition`, :func:`idinn.dynamics.period_cost`).

    Parameters
    ----------
    policy : controller or callable
        As in :func:`~idinn.exact.evaluate_policy_finite_horizon`; it is called with
        ``period = t mod S`` (:math:`S` = ``season_length`` of the demand, 1 when
        stationary), so it must be stationary or :math:`S`-periodic.
    sourcing_model : SourcingProblem, SingleSourcingModel or DualSourcingModel
        Finite-support demand, stationary or seasonal.
    discount : float
        :math:`\gamma \in (0, 1)`.
    init_state : array-like of int, shape (state_dim,), optional
        Initial full state (phase 0).
    inventory_bounds : tuple of int, optional
        :math:`(\underline I, \bar I)`: successors' net inventory is clipped into this
        range (measured by ``boundary_mass``; a ``RuntimeWarning`` above 1e-6). Default:
        the range of the per-phase newsvendor levels of :math:`D^{(l+1)}`
        (:math:`l` the largest lead time) widened by :math:`10 (l+1) \max(\bar d, 1)`
        on either side, and containing :math:`I_0`.
    max_states : int, default=500_000
        Most (phase, state) pairs; a ``RuntimeError`` is raised beyond.
    max_entries : int, optional
        Memory budget of the stored transitions, in entries (default
        ``idinn.exact._pmf.MAX_TABLE_ENTRIES``); a ``MemoryError`` with the size is raised
        as soon as the chain grown so far would exceed it.

    Returns
    -------
    DiscountedEvaluation

    Examples
    --------
    >>> from idinn.demand import UniformDemand
    >>> from idinn.sourcing_model import SingleSourcingModel
    >>> from idinn.exact import evaluate_policy_discounted
    >>> model = SingleSourcingModel(lead_time=0, holding_cost=5, shortage_cost=495,
    ...     init_inventory=0, demand_generator=UniformDemand(0, 4))
    >>> base_stock = lambda s: (4 - s.sum(1, keepdim=True)).clamp(min=0)
    >>> round(evaluate_policy_discounted(base_stock, model, discount=0.9).discounted_cost, 6)
    100.0
    """
    owner = "evaluate_policy_discounted"
    problem, s0 = problem_and_state(sourcing_model, init_state, owner, evaluation=True)
    params = problem.params
    fn = as_policy_function(policy, params.n_suppliers, owner=owner)
    gamma = check_real(discount, "discount", owner, exclusive_minimum=0, exclusive_maximum=1)
    max_states = check_int(max_states, "max_states", owner, minimum=1)
    season = getattr(problem.demand, "season_length", None)
    n_phase = 1 if season is None else int(season)
    pmfs = demand_pmfs(problem.demand, n_phase, owner=owner, name="demand_generator")
    if inventory_bounds is None:
        lo, hi = _default_inventory_bounds(
            params.lead_times, pmfs, params.holding_cost, params.shortage_cost, int(s0[0])
        )
    else:
        lo, hi = check_inventory_bounds(inventory_bounds, int(s0[0]), owner)
    try:
        chain = enumerate_chain(
            fn, params, pmfs, s0, inventory_bounds=(lo, hi), max_states=max_states, on_limit="raise", owner=owner,
            max_entries=max_entries,
        )
    except StateLimit:
        raise RuntimeError(
            f"evaluate_policy_discounted enumerated more than max_states={max_states} reachable "
            "states; the policy's orders may be unbounded. Raise 'max_states' or narrow "
            f"'inventory_bounds' (now ({lo}, {hi}))."
        ) from None
    n = chain.n_states
    lu = splu((sp.identity(n, format="csc") - gamma * chain.P).tocsc())
    values_all = lu.solve(chain.cost)
    e = np.zeros(n)
    e[0] = 1.0 - gamma
    nu = np.clip(lu.solve(e, trans="T"), 0.0, None)
    boundary = float(nu @ chain.cut_probability)
    if boundary > BOUNDARY_MASS_WARNING:
        warnings.warn(
            f"The policy's discounted state occupation puts mass {boundary:.3g} on states whose successors "
            f"were clipped to inventory_bounds ({lo}, {hi}) (> {BOUNDARY_MASS_WARNING:g}); widen "
            "'inventory_bounds'.",
            RuntimeWarning,
            stacklevel=2,
        )
    return DiscountedEvaluation(
        discounted_cost=float(values_all[0]),
        boundary_mass=boundary,
        n_states=n,
        states=chain.states,
        phases=chain.phases,
        values=values_all,
        inventory_bounds=(lo, hi),
        season_length=n_phase,
        discount=gamma,
    )
