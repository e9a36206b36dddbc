r"""Average-cost dynamic programming for dual sourcing.

Relative value iteration on a reduced, truncated state space (see
``docs/controllers/dynamic_programming.md`` for the derivation).

Reduced state
    With lead times :math:`0 \le l_e < l_r` and gap :math:`L = l_r - l_e`, the full state
    :math:`[I_t, r_1, \dots, r_{l_r}, e_1, \dots, e_{l_e}]` is reduced to

    .. math:: z_t = I_t + \sum_{j=1}^{l_e} e_j + \sum_{j=1}^{l_e + 1} r_j,
              \qquad p_j = r_{l_e + 1 + j}, \quad j = 1, \dots, L - 1,

    the *expedited position* :math:`z_t` (everything that arrives by period
    :math:`t + l_e`, when an expedited order placed now arrives) and the :math:`L - 1`
    regular orders that an expedited order placed now still overtakes.

Bellman equation
    With :math:`y = z + q^e` and :math:`D^{(l_e+1)}` the demand over :math:`l_e + 1`
    periods,

    .. math:: g + v(z, p) = \min_{q^r \ge 0,\, y \ge z}
              c_e (y - z) + c_r q^r + G(y) + E\, v(y + p_1 - D, p_2, \dots, p_{L-1}, q^r),

    .. math:: G(y) = E\left[h (y - D^{(l_e+1)})^+ + b (D^{(l_e+1)} - y)^+\right]

    (for :math:`L = 1`: :math:`E\, v(y + q^r - D)`).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from .._validation import check_int, check_real, fail
from ..dynamics import SourcingParams
from ._inputs import problem_and_state
from ._markov import cesaro_limit
from ._pmf import clean_pmf, convolve_pmf, newsvendor_cost, newsvendor_level, stationary_pmf
from ._reduced import _bellman, _Box, _cap_flags, _check_box, _embed, _forgiven_units, _reduction, _stage, _transitions, reduce_dual_state
from ._reduced import refuse_fixed_costs_and_capacities

__all__ = [
    "DualSourcingDPResult",
    "dual_sourcing_relative_value_iteration",
    "solve_dual_sourcing_average_cost",
    "reduce_dual_state",
    "default_truncation",
    "expected_newsvendor_cost",
]

logger = logging.getLogger(__name__)

#: Stationary boundary mass above which a RuntimeWarning is issued.
BOUNDARY_MASS_WARNING = 1e-6

_BOUND_NAMES = ("min_position", "max_position", "max_regular_order")


#: :math:`G(y) = E[h (y - D)^+ + b (D - y)^+]`: the one newsvendor cost of :mod:`idinn.exact._pmf`.
expected_newsvendor_cost = newsvendor_cost


def default_truncation(
    params: SourcingParams, values: np.ndarray, probs: np.ndarray, init_position: int = 0
) -> dict[str, int]:
    r"""Automatic truncation bounds of the reduced state space.

    With :math:`S_e` the newsvendor level of :math:`D^{(l_e+1)}` at the critical ratio
    :math:`b/(b+h)` (the base-stock level of an expedited-only system) and
    :math:`\bar d, \underline d` the largest and smallest demand:

    * ``max_regular_order`` :math:`\bar q_r = \max(\bar d, 1)` (in steady state a regular
      order replaces at most one period of demand);
    * ``max_position`` :math:`\bar z = \max(S_e + \bar q_r, S_r)` (no expediting above
      :math:`S_e`, one regular arrival on top; and room up to :math:`S_r`, the newsvendor
      level of :math:`D^{(l_r+1)}`, the base-stock level of a regular-only system: a
      dual-index policy may keep the expedited position up to there, and a box below it
      can make the truncated optimum worse than such a policy without the optimal
      policy ever touching the box -- issue 15's property tests found one);
    * ``min_position`` :math:`\underline z = S_e - (L + 1)(\bar d - \underline d) - 1`;

    all widened to contain ``init_position``. :func:`dual_sourcing_relative_value_iteration`
    widens the automatic bounds further until the optimal policy never leaves the box
    from the initial state.
    """
    lr, le = params.lead_times
    gap = lr - le
    dmax, dmin = int(values[-1]), int(values[0])
    ve, pe = convolve_pmf(values, probs, le + 1)
    s_e = newsvendor_level(ve, pe, params.holding_cost, params.shortage_cost)
    vr, pr = convolve_pmf(values, probs, lr + 1)
    s_r = newsvendor_level(vr, pr, params.holding_cost, params.shortage_cost)
    q = max(dmax, 1)
    spread = max(dmax - dmin, 1)
    return {
        "min_position": min(s_e - (gap + 1) * spread - 1, init_position),
        "max_position": max(s_e + q, s_r, init_position),
        "max_regular_order": q,
    }


@dataclass(frozen=True, eq=False)
class DualSourcingDPResult:
    r"""Result of :func:`dual_sourcing_relative_value_iteration`.

    Attributes
    ----------
    optimal_cost : float
        :math:`g^*`, midpoint of the certified bounds.
    lower_bound, upper_bound : float
        :math:`\min_s (T v - v)(s) \le g^* \le \max_s (T v - v)(s)` at the last
        iteration (Odoni / MacQueen bounds) for the truncated problem.
    policy_cost : float
        Exact long-run average cost of :attr:`policy_table` from the initial state
        (stationary distribution of the reduced chain); lies in the bounds.
    policy_table : ndarray of int64, shape (n_positions, q+1, ..., q+1, 2)
        Optimal orders ``[..., 0]`` = :math:`q^r`, ``[..., 1]`` = :math:`q^e` at reduced
        state :math:`(z, p_1, \dots, p_{L-1})`, indexed by
        ``[z - min_position, p_1, ..., p_{L-1}]`` (L - 1 pipeline axes of length
        ``max_regular_order + 1``).
    relative_values : ndarray of float64, shape policy_table.shape[:-1]
        Relative value function :math:`v` (0 at the initial state).
    stationary_probabilities : ndarray of float64, shape policy_table.shape[:-1]
        Long-run distribution of the reduced state under the policy from the initial state.
    min_position, max_position : int
        Truncation :math:`\underline z \le z \le \bar z` (``max_position`` also caps
        :math:`y = z + q^e`).
    max_regular_order : int
        Truncation :math:`q^r \le \bar q_r`.
    boundary_mass : float
        Long-run probability of the states at which the truncation acts (a transition
        leaves :math:`[\underline z, \bar z]` and is clipped, or an order sits at its cap).
    boundary_mass_by_bound : mapping
        The same split by the bound that acts (keys ``'min_position'``,
        ``'max_position'``, ``'max_regular_order'``).
    n_iterations : int
        Value-iteration sweeps performed (all widenings together).
    converged : bool
        Whether ``upper_bound - lower_bound <= tolerance * max(1, |lower_bound|)``.
    regular_lead_time, expedited_lead_time : int
        [:math:`l_r`], [:math:`l_e`].
    """

    optimal_cost: float
    lower_bound: float
    upper_bound: float
    policy_cost: float
    policy_table: np.ndarray
    relative_values: np.ndarray
    stationary_probabilities: np.ndarray
    min_position: int
    max_position: int
    max_regular_order: int
    boundary_mass: float
    boundary_mass_by_bound: Mapping[str, float] = field(default_factory=dict)
    n_iterations: int = 0
    converged: bool = False
    regular_lead_time: int = 0
    expedited_lead_time: int = 0

    @property
    def lead_time_gap(self) -> int:
        """:math:`L = l_r - l_e`."""
        return self.regular_lead_time - self.expedited_lead_time

    @property
    def truncation(self) -> dict[str, int]:
        """The bounds used, as keyword arguments of the solver."""
        return {
            "min_position": self.min_position,
            "max_position": self.max_position,
            "max_regular_order": self.max_regular_order,
        }

    def orders(self, states: np.ndarray) -> np.ndarray:
        """Optimal orders ``(q_r, q_e)`` for full states (B, 1 + l_r + l_e).

        Raises ``ValueError`` naming the first state outside the table and the bounds.
        """
        states = np.asarray(states, dtype=np.float64)
        if states.ndim != 2 or states.shape[1] != 1 + self.regular_lead_time + self.expedited_lead_time:
            fail(
                "state",
                "DualSourcingDPResult.orders",
                f"of shape (B, {1 + self.regular_lead_time + self.expedited_lead_time})",
                tuple(states.shape),
            )
        rounded = np.rint(states)
        if not np.all(np.abs(states - rounded) < 1e-6):
            bad = states[np.any(np.abs(states - rounded) >= 1e-6, axis=1)][0]
            fail("state", "DualSourcingDPResult.orders", "integer-valued", bad.tolist())
        reduced = reduce_dual_state(rounded.astype(np.int64), self.regular_lead_time, self.expedited_lead_time)
        iz = reduced[:, 0] - self.min_position
        pipe = reduced[:, 1:]
        inside = (iz >= 0) & (iz < self.policy_table.shape[0])
        inside &= np.all((pipe >= 0) & (pipe <= self.max_regular_order), axis=1)
        if not np.all(inside):
            k = int(np.flatnonzero(~inside)[0])
            raise ValueError(
                f"State {rounded[k].tolist()} (reduced to expedited position z={int(reduced[k, 0])}, "
                f"overtaken regular pipeline {pipe[k].tolist()}) lies outside the dynamic-programming "
                f"table: z in [{self.min_position}, {self.max_position}], regular pipeline entries in "
                f"[0, {self.max_regular_order}]. Refit with wider bounds (min_position=..., "
                "max_position=..., max_regular_order=...)."
            )
        return self.policy_table[(iz, *pipe.T)]


def _check_params(params: SourcingParams, owner: str) -> tuple[int, int]:
    if not isinstance(params, SourcingParams) or params.n_suppliers != 2:
        fail("params", owner, "the SourcingParams of a dual-sourcing model", params, TypeError)
    refuse_fixed_costs_and_capacities(params, owner)
    lr, le = params.lead_times
    if le >= lr:
        fail(
            "expedited_lead_time",
            owner,
            f"an int < regular_lead_time ({lr}); with equal lead times the cheaper supplier "
            "dominates and the problem is single sourcing",
            le,
        )
    return lr, le


def dual_sourcing_relative_value_iteration(
    params: SourcingParams,
    demand_values: Any,
    demand_probabilities: Any,
    *,
    init_position: int = 0,
    min_position: int | None = None,
    max_position: int | None = None,
    max_regular_order: int | None = None,
    tolerance: float = 1e-7,
    max_iterations: int = 1_000_000,
    validation_freq: int = 10,
    log_freq: int | None = None,
    max_widenings: int = 12,
    max_entries: int | None = None,
) -> DualSourcingDPResult:
    r"""Optimal average cost and policy of dual sourcing by relative value iteration.

    Iterates :math:`v_{n+1} = T v_n - (T v_n)(s_0)` on the reduced state
    :math:`(z, p_1, \dots, p_{L-1})` (module docstring) restricted to
    :math:`\underline z \le z \le \bar z`, :math:`0 \le p_j \le \bar q_r`, with next
    positions clipped to :math:`[\underline z, \bar z]`, until the Odoni bounds
    :math:`\min(T v_n - v_n) \le g^* \le \max(T v_n - v_n)` are within
    ``tolerance * max(1, |lower|)``. Bounds not given are chosen by
    :func:`default_truncation` and widened (and the iteration warm-restarted) until no
    state reachable from the initial state under the optimal policy touches the
    truncation; given bounds are kept as they are. A ``RuntimeWarning`` is issued when
    the long-run probability of states where the truncation acts exceeds 1e-6.

    Parameters
    ----------
    params : SourcingParams
        Dual-sourcing parameters: lead times :math:`(l_r, l_e)` with :math:`l_e < l_r`,
        order costs :math:`(c_r, c_e)`, :math:`h`, :math:`b`.
    demand_values : array-like of int, shape (K,)
        Support of the per-period demand :math:`D`.
    demand_probabilities : array-like of float, shape (K,)
        Its probabilities.
    init_position : int, default=0
        Expedited position :math:`z_0` of the initial state (the initial net inventory
        when the pipelines start empty); it is always inside the table.
    min_position, max_position : int, optional
        Truncation :math:`\underline z`, :math:`\bar z` of the expedited position.
    max_regular_order : int, optional
        Largest regular order :math:`\bar q_r`.
    tolerance : float, default=1e-7
        Relative gap of the bounds at which to stop.
    max_iterations : int, default=1_000_000
        Most value-iteration sweeps (all widenings together).
    validation_freq : int, default=10
        Sweeps between two checks of the bounds.
    log_freq : int, optional
        Sweeps between two ``logging`` INFO messages (``None``: no progress messages).
    max_widenings : int, default=12
        Most automatic enlargements of the box.
    max_entries : int, optional
        Memory budget in table entries (8 bytes each; default
        :data:`idinn.exact._pmf.MAX_TABLE_ENTRIES`, about 1 GiB). A box needing more is
        refused with a ``MemoryError`` before any work, giving its size.

    Returns
    -------
    DualSourcingDPResult
    """
    owner = "dual_sourcing_relative_value_iteration"
    lr, le = _check_params(params, owner)
    values, probs = clean_pmf(
        demand_values, demand_probabilities, owner=owner, name="demand_probabilities", values_name="demand_values"
    )
    if int(values[-1]) == 0:
        fail(
            "demand_values",
            owner,
            "a demand that is positive with positive probability (with demand always 0 nothing is "
            "ever consumed: the optimal policy orders nothing and the average cost is h * max(z_0, 0); "
            "the average-cost problem has a different gain in every state, so relative value iteration "
            "cannot converge)",
            values.tolist(),
        )
    init_position = check_int(init_position, "init_position", owner)
    tolerance = check_real(tolerance, "tolerance", owner, exclusive_minimum=0)
    max_iterations = check_int(max_iterations, "max_iterations", owner, minimum=1)
    validation_freq = check_int(validation_freq, "validation_freq", owner, minimum=1)
    if log_freq is not None:
        log_freq = check_int(log_freq, "log_freq", owner, minimum=1)
    max_widenings = check_int(max_widenings, "max_widenings", owner, minimum=0)
    given = {"min_position": min_position, "max_position": max_position, "max_regular_order": max_regular_order}
    for name in ("min_position", "max_position"):
        if given[name] is not None:
            check_int(given[name], name, owner)
    if max_regular_order is not None:
        check_int(max_regular_order, "max_regular_order", owner, minimum=0)
    if min_position is not None and max_position is not None and max_position < min_position:
        fail("max_position", owner, f"an int >= min_position ({min_position})", max_position)
    for name, bad in (("min_position", min_position is not None and min_position > init_position),
                      ("max_position", max_position is not None and max_position < init_position)):
        if bad:
            fail(name, owner, f"a bound that contains init_position ({init_position})", given[name])

    bounds = default_truncation(params, values, probs, init_position)
    for name, value in given.items():
        if value is not None:
            bounds[name] = int(value)
    if bounds["min_position"] > bounds["max_position"]:  # only possible when one is given
        if min_position is None:
            bounds["min_position"] = bounds["max_position"]
        else:
            bounds["max_position"] = bounds["min_position"]
    spread = max(int(values[-1] - values[0]), 1)
    steps = {"min_position": -spread, "max_position": spread, "max_regular_order": max(1, spread // 2)}

    red = _reduction(params, owner)  # fast supplier: expedited; gap L = l_r - l_e >= 1
    pmf = (values, probs)
    window = convolve_pmf(values, probs, le + 1)
    v = None
    prev_box: _Box | None = None
    sweeps = 0
    widenings = 0
    while True:
        box = _Box(bounds["min_position"], bounds["max_position"], bounds["max_regular_order"], red.gap)
        _check_box(box, owner, max_entries)
        stage = _stage(red, box, window, 1.0)  # c_e y + G(y)
        start = (init_position - box.z_lo) * box.m  # empty overtaken pipeline
        v = np.zeros((box.nz, box.m)) if v is None else _embed(v, prev_box, box)
        v = v - v.ravel()[start]
        lower, upper, converged = -np.inf, np.inf, False
        while sweeps < max_iterations:
            tv = _bellman(v, pmf, stage, red, box, 1.0, greedy=False).v_min
            sweeps += 1
            if sweeps % validation_freq == 0 or sweeps == max_iterations:
                delta = tv - v
                lower, upper = float(delta.min()), float(delta.max())
                if log_freq is not None and sweeps % log_freq < validation_freq:
                    logger.info("sweep %d: %.10g <= g* <= %.10g", sweeps, lower, upper)
                if upper - lower <= tolerance * max(1.0, abs(lower)):
                    converged = True
                    break  # keep v = v_n: its greedy policy costs at most max(T v_n - v_n)
            v = tv - tv.ravel()[start]
        step = _bellman(v, pmf, stage, red, box, 1.0, greedy=True)
        iz = np.arange(box.nz)[:, None]
        q_r, q_e = step.qr, step.iy - iz
        z = (box.z_lo + iz).astype(np.float64)
        stage_cost = stage[step.iy] - red.fast_cost * z + red.regular_cost * q_r
        stage_cost = stage_cost + red.shortfall_cost * _forgiven_units(red, box, step.iy, step.qr, pmf).reshape(stage_cost.shape)
        target, low_k, high_k = _transitions(red, box, step.iy, step.qr, pmf)
        n = box.nz * box.m
        P = sp.csr_matrix((np.tile(probs, n), (np.repeat(np.arange(n), len(probs)), target.ravel())), shape=(n, n))
        P.sum_duplicates()
        reach = breadth_first_order(P, start, directed=True, return_predecessors=False)
        y_cap, q_cap = _cap_flags(red, box, step.iy, step.qr)
        flags = {
            "min_position": low_k.any(axis=1),
            "max_position": high_k.any(axis=1) | y_cap,
            "max_regular_order": q_cap,
        }
        touched = [name for name in _BOUND_NAMES if given[name] is None and flags[name][reach].any()]
        if not touched or widenings >= max_widenings or sweeps >= max_iterations:
            break
        widenings += 1
        for name in touched:
            bounds[name] += steps[name]
        logger.info("widening %s to %s", touched, {k: bounds[k] for k in touched})
        prev_box = box

    sub = P[reach][:, reach]
    pi_reach = cesaro_limit(sub, int(np.flatnonzero(reach == start)[0]))
    pi = np.zeros(box.nz * box.m)
    pi[reach] = pi_reach
    policy_cost = float(pi @ stage_cost.ravel())
    by_bound = {name: float(pi[flags[name]].sum()) for name in _BOUND_NAMES}
    any_flag = flags["min_position"] | flags["max_position"] | flags["max_regular_order"]
    boundary_mass = float(pi[any_flag].sum())
    if boundary_mass > BOUNDARY_MASS_WARNING:
        culprits = [f"{name} (currently {bounds[name]}, mass {by_bound[name]:.3g})" for name in _BOUND_NAMES if by_bound[name] > 0]
        warnings.warn(
            f"The truncated dynamic-programming state space carries long-run probability "
            f"{boundary_mass:.3g} at its boundary (> {BOUNDARY_MASS_WARNING:g}); the optimal cost may "
            f"be distorted. Widen {', '.join(culprits)}.",
            RuntimeWarning,
            stacklevel=2,
        )
    if not converged:
        warnings.warn(
            f"Relative value iteration stopped after {sweeps} sweeps with bounds "
            f"[{lower:.10g}, {upper:.10g}] (gap above tolerance {tolerance:g}); raise 'max_iterations'.",
            RuntimeWarning,
            stacklevel=2,
        )
    table = np.stack([q_r.reshape(box.shape), q_e.reshape(box.shape)], axis=-1).astype(np.int64)
    values_out = v.reshape(box.shape).copy()
    pi_out = pi.reshape(box.shape)
    for arr in (table, values_out, pi_out):
        arr.setflags(write=False)
    return DualSourcingDPResult(
        optimal_cost=0.5 * (lower + upper),
        lower_bound=lower,
        upper_bound=upper,
        policy_cost=policy_cost,
        policy_table=table,
        relative_values=values_out,
        stationary_probabilities=pi_out,
        min_position=box.z_lo,
        max_position=box.z_hi,
        max_regular_order=box.q_max,
        boundary_mass=boundary_mass,
        boundary_mass_by_bound=MappingProxyType(by_bound),
        n_iterations=sweeps,
        converged=converged,
        regular_lead_time=lr,
        expedited_lead_time=le,
    )


def solve_dual_sourcing_average_cost(sourcing_model: Any, **kwargs: Any) -> DualSourcingDPResult:
    r"""Optimal average cost of a :class:`~idinn.sourcing_model.DualSourcingModel`.

    Reads :math:`(l_r, l_e)`, costs and the demand pmf from the model and calls
    :func:`dual_sourcing_relative_value_iteration` with the model's initial inventory
    as ``init_position``; keyword arguments are passed on.

    Parameters
    ----------
    sourcing_model : SourcingProblem or DualSourcingModel
        Stationary demand with finite support; :math:`l_e < l_r`. Its initial state
        gives ``init_position`` (expedited position :math:`z_0`).
    **kwargs
        ``min_position``, ``max_position``, ``max_regular_order``, ``tolerance``,
        ``max_iterations``, ``validation_freq``, ``log_freq``, ``max_widenings``,
        ``max_entries``.

    Returns
    -------
    DualSourcingDPResult

    Examples
    --------
    >>> from idinn.demand import UniformDemand
    >>> from idinn.sourcing_model import DualSourcingModel
    >>> from idinn.exact import solve_dual_sourcing_average_cost
    >>> model = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0,
    ...     regular_order_cost=0, expedited_order_cost=20, holding_cost=5,
    ...     shortage_cost=495, init_inventory=0, demand_generator=UniformDemand(0, 4))
    >>> result = solve_dual_sourcing_average_cost(model)
    >>> round(result.optimal_cost, 4)
    23.0714
    """
    owner = "solve_dual_sourcing_average_cost"
    problem, s0 = problem_and_state(sourcing_model, None, owner)
    refuse_fixed_costs_and_capacities(problem.params, owner)
    if problem.n_suppliers != 2:
        fail("sourcing_model", owner, "a dual-sourcing problem or DualSourcingModel", sourcing_model, TypeError)
    values, probs = stationary_pmf(problem.demand, owner=owner, name="demand_generator")
    lr, le = problem.params.lead_times
    init = int(reduce_dual_state(s0[None], lr, le)[0, 0]) if le < lr else int(s0[0])
    return dual_sourcing_relative_value_iteration(problem.params, values, probs, init_position=init, **kwargs)
