r"""Exact long-run average cost of a stationary policy (no sampling).

A stationary policy :math:`\mu` (state :math:`\to` orders) of a sourcing model with
i.i.d. finite-support demand and any number of suppliers turns the state into a Markov
chain (with review periods: the pair of the state and the phase :math:`t \bmod T` of the
review cycle, the policy being called with ``period=`` that phase). Starting from the
initial state :math:`s_0` the states reachable under :math:`\mu` are enumerated breadth
first (the policy is called once per frontier on a batched tensor), each with its
transitions for every demand value (:func:`idinn.dynamics.transition`) and its expected
period cost (:func:`idinn.dynamics.period_cost`). The long-run average cost is

.. math:: \bar c = \sum_s \bar\pi(s)\, E_D[c(s, \mu(s), D)],

with :math:`\bar\pi` the long-run (Cesàro) distribution from :math:`s_0`
(:func:`idinn.exact._markov.cesaro_limit`), which exists for every finite chain and
ignores transient states.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_int, fail
from ..policy import as_policy_function
from ._enumerate import enumerate_chain
from ._inputs import check_inventory_bounds, problem_and_state
from ._markov import cesaro_limit
from ._position import evaluate_on_positions, is_position_policy
from ._pmf import default_position_range, stationary_pmf

__all__ = ["PolicyEvaluation", "evaluate_policy", "default_inventory_bounds"]

_OWNER = "evaluate_policy"
#: Long-run boundary probability above which a RuntimeWarning is issued.
BOUNDARY_MASS_WARNING = 1e-6
#: Automatic widenings of the inventory bounds before a policy counts as unstable.
AUTO_WIDENINGS = 2




@dataclass(frozen=True, eq=False)
class PolicyEvaluation:
    r"""Exact evaluation of a stationary policy (returned by :func:`evaluate_policy`).

    Attributes
    ----------
    average_cost : float
        Long-run average cost per period :math:`\bar c` from the initial state.
    boundary_mass : float
        Long-run probability of the states at which the truncation acted (a successor's
        inventory was clipped to ``inventory_bounds`` or a successor beyond
        ``max_states`` was replaced by a self-transition). 0 when nothing was truncated.
    n_states : int
        Number of enumerated states.
    states : ndarray of int64, shape (n_states, state_dim)
        The enumerated states, the initial state first.
    probabilities : ndarray of float64, shape (n_states,)
        Long-run distribution :math:`\bar\pi` over ``states`` (0 on transient states).
    expected_inventory : float
        :math:`E[(I_{t+1})^+]`, long-run mean end-of-period on-hand inventory.
    expected_backlog : float
        :math:`E[(I_{t+1})^-]`, long-run mean end-of-period backlog.
    mean_orders : tuple of float
        Long-run mean order per period of each supplier (regular first).
    inventory_bounds : tuple of int
        The bounds :math:`(\underline I, \bar I)` used.

    Notes
    -----
    With automatic bounds, a policy that reaches them is re-evaluated with the reached
    side widened (up to :data:`AUTO_WIDENINGS` times, doubling each time); one that still
    reaches them with most of its mass is unstable and gets ``average_cost = inf`` and a
    ``RuntimeWarning`` (never NaN); the other fields then describe the truncated chain.
    Otherwise
    ``average_cost == sum_k c_k * mean_orders[k] + h * expected_inventory
    + b * expected_backlog``.
    """

    average_cost: float
    boundary_mass: float
    n_states: int
    states: np.ndarray
    probabilities: np.ndarray
    expected_inventory: float
    expected_backlog: float
    mean_orders: tuple[float, ...]
    inventory_bounds: tuple[int, int]


def default_inventory_bounds(
    lead_times: tuple[int, ...],
    values: np.ndarray,
    probs: np.ndarray,
    holding_cost: float,
    shortage_cost: float,
    init_inventory: int,
) -> tuple[int, int]:
    r"""Default inventory truncation of :func:`evaluate_policy`.

    With :math:`l = \max_k l_k`, :math:`S` the newsvendor level of :math:`D^{(l+1)}` at
    :math:`b/(b+h)` and :math:`\bar d` the largest demand, the bounds are
    :math:`\min(I_0, S) - W` and :math:`\max(I_0, S) + W` with
    :math:`W = 10 (l + 1) \max(\bar d, 1)`: ten lead-time demands of room on either side
    of any sensible order-up-to level.
    """
    n = max(lead_times) + 1
    return default_position_range([(values, probs)], n, holding_cost, shortage_cost, 10, init_inventory)


def evaluate_policy(
    policy: Any,
    sourcing_model: Any,
    *,
    max_states: int = 500_000,
    init_state: Any = None,
    inventory_bounds: tuple[int, int] | None = None,
    position_only: bool | None = None,
    max_entries: int | None = None,
) -> PolicyEvaluation:
    r"""Exact long-run average cost of a stationary policy by Markov-chain analysis.

    Parameters
    ----------
    policy : controller or callable
        A stationary controller (:class:`idinn.policy.Policy`, ``is_stationary`` True) or
        a callable ``f(state)``: float32 tensor of shape (B, state_dim) (layout of
        :mod:`idinn.dynamics`) to non-negative integer orders of shape (B, n_suppliers),
        called through :func:`idinn.policy.as_policy_function`. A period-dependent policy
        is refused (use :func:`~idinn.exact.evaluate_policy_finite_horizon` or
        :func:`~idinn.exact.evaluate_policy_discounted`), except under review periods:
        there the chain runs on :math:`(s_t, t \bmod T)` with
        :math:`T` = ``params.review_cycle``, the policy is called with
        ``period`` = :math:`t \bmod T` (so it must depend on the period only through
        :math:`t \bmod T`, as every review-period controller of idinn does), and an order
        to a supplier outside its review periods is refused
        (:func:`idinn.dynamics.check_review_periods`).
    sourcing_model : SourcingProblem, SingleSourcingModel or DualSourcingModel
        Stationary demand with finite support (:func:`~idinn.exact.demand_pmf`).
    max_states : int, default=500_000
        Most states to enumerate; a transition to a state beyond is replaced by a
        transition back to its source state (counted in ``boundary_mass``).
    init_state : array-like of int, shape (state_dim,), optional
        Initial state :math:`s_0`; default: the problem's ``init_state``.
    position_only : bool, optional
        Single sourcing: evaluate on the chain of the inventory position alone
        (:mod:`idinn.exact._position`; one state per position, exact for a policy whose
        orders depend only on the position). ``None`` (default): when the policy declares
        it (:class:`~idinn.single_controller.BaseStockController`, or an attribute
        ``depends_only_on_inventory_position = True``). ``True`` checks the claim on every
        position and refuses a policy that breaks it. ``states`` then holds one state per
        position (all of it as net inventory).
    max_entries : int, optional
        Memory budget in table entries (see :func:`~idinn.exact.solve_finite_horizon`);
        larger enumerations are refused before any work with their size.
    inventory_bounds : tuple of int, optional
        :math:`(\underline I, \bar I)`: successors' net inventory is clipped to this
        range (counted in ``boundary_mass``). Default: :func:`default_inventory_bounds`.

    Returns
    -------
    PolicyEvaluation

    Raises
    ------
    ValueError
        Demand without finite support or non-stationary; bad arguments; a policy returning
        orders that are not non-negative integers.

    Examples
    --------
    >>> from idinn.demand import UniformDemand
    >>> from idinn.sourcing_model import SingleSourcingModel
    >>> from idinn.exact import evaluate_policy
    >>> model = SingleSourcingModel(lead_time=0, holding_cost=5, shortage_cost=495,
    ...     init_inventory=0, demand_generator=UniformDemand(0, 4))
    >>> base_stock = lambda s: (4 - s.sum(1, keepdim=True)).clamp(min=0)
    >>> round(evaluate_policy(base_stock, model).average_cost, 6)
    10.0
    """
    problem, s0 = problem_and_state(sourcing_model, init_state, _OWNER, evaluation=True, review_periods=True)
    params = problem.params
    cycle = params.review_cycle  # review periods: the chain runs on (state, t mod cycle)
    fn = as_policy_function(policy, params.n_suppliers, owner=_OWNER, require_stationary=cycle == 1)
    values, probs = stationary_pmf(problem.demand, owner=_OWNER, name="demand_generator")
    max_states = check_int(max_states, "max_states", _OWNER, minimum=1)
    if position_only is not None and not isinstance(position_only, bool):
        fail("position_only", _OWNER, "None, True or False", position_only, TypeError)
    if position_only and (params.n_suppliers != 1 or cycle != 1):
        fail("position_only", _OWNER, "False or None for a problem with several suppliers or review periods (single sourcing only)", position_only)
    # automatic: a declared position policy whose full chain would be too large (about K^(l+1) states)
    too_large = float(len(values)) ** (sum(params.lead_times) + 1) > max_states
    on_positions = params.n_suppliers == 1 and cycle == 1 and (
        bool(position_only) or (position_only is None and too_large and is_position_policy(policy))
    )
    if inventory_bounds is None:
        lo, hi = default_inventory_bounds(
            params.lead_times, values, probs, params.holding_cost, params.shortage_cost, int(s0[0])
        )
        if on_positions:  # the position may start outside the inventory range
            lo, hi = min(lo, int(s0.sum())), max(hi, int(s0.sum()))
    else:
        lo, hi = check_inventory_bounds(inventory_bounds, int(s0[0]), _OWNER)
        if on_positions and not lo <= int(s0.sum()) <= hi:
            fail("inventory_bounds", _OWNER, f"a range containing the initial inventory position {int(s0.sum())}",
                 inventory_bounds)

    def solve(lo: int, hi: int) -> dict[str, Any]:
        if on_positions:
            return evaluate_on_positions(fn, params, (values, probs), int(s0.sum()), (lo, hi), _OWNER, max_entries)
        chain = enumerate_chain(fn, params, [(values, probs)] * cycle, s0, inventory_bounds=(lo, hi),
                                max_states=max_states, owner=_OWNER, max_entries=max_entries)
        pi = cesaro_limit(chain.P, 0)
        return {
            "average_cost": float(pi @ chain.cost),
            "boundary_mass": float(pi[chain.cut_any].sum()),
            "states": chain.states,
            "probabilities": pi,
            "expected_inventory": float(pi @ chain.expected_inventory),
            "expected_backlog": float(pi @ chain.expected_backlog),
            "mean_orders": tuple(float(x) for x in pi @ chain.orders),
            "cut_low": float(pi[chain.cut_low].sum()),
            "cut_high": float(pi[chain.cut_high].sum()),
            "overflow": chain.overflow,
            "reach": int((chain.states.sum(axis=1) + chain.orders.sum(axis=1)).max()),
        }

    out = solve(lo, hi)
    boundary = out["boundary_mass"]
    if inventory_bounds is None and not out.get("overflow") and boundary > BOUNDARY_MASS_WARNING:
        # automatic bounds: widen the side(s) the policy reaches (doubling the step each time)
        width, previous = hi - lo, boundary
        for _ in range(AUTO_WIDENINGS):
            if out["cut_low"] > BOUNDARY_MASS_WARNING:
                lo -= width
            if out["cut_high"] > BOUNDARY_MASS_WARNING:
                # at least up to the highest position the policy orders up to
                reach = out.get("reach", int(out["states"][:, 0].max() + hi - lo))
                hi = max(hi + width, reach)
            width *= 2
            out = solve(lo, hi)
            boundary = out["boundary_mass"]
            if out.get("overflow") or boundary <= BOUNDARY_MASS_WARNING:
                break
        if not out.get("overflow") and boundary > max(0.5 * previous, 1e-3):
            warnings.warn(
                f"The policy is unstable: its inventory keeps drifting, so the enumeration was truncated with "
                f"long-run probability {boundary:.3g} at the inventory bounds ({lo}, {hi}) even after widening them "
                f"{AUTO_WIDENINGS} times (e.g. a constant order above the mean demand, or no orders at all); its "
                "long-run average cost is infinite.",
                RuntimeWarning,
                stacklevel=2,
            )
            out["average_cost"] = float("inf")
    if out["average_cost"] != float("inf") and boundary > BOUNDARY_MASS_WARNING:
        hint = "raise 'max_states'" if out.get("overflow") else f"widen 'inventory_bounds' (now ({lo}, {hi}))"
        warnings.warn(
            f"The policy's long-run distribution puts probability {boundary:.3g} on states where "
            f"the enumeration was truncated (> {BOUNDARY_MASS_WARNING:g}); the average cost may be "
            f"distorted: {hint}.",
            RuntimeWarning,
            stacklevel=2,
        )
    if not np.isfinite(out["average_cost"]) and out["average_cost"] != float("inf"):  # pragma: no cover
        raise FloatingPointError("evaluate_policy: the long-run average cost could not be computed (NaN).")
    states, pi = out["states"], out["probabilities"]
    states.setflags(write=False)
    pi.setflags(write=False)
    return PolicyEvaluation(
        average_cost=out["average_cost"],
        boundary_mass=boundary,
        n_states=len(states),
        states=states,
        probabilities=pi,
        expected_inventory=out["expected_inventory"],
        expected_backlog=out["expected_backlog"],
        mean_orders=out["mean_orders"],
        inventory_bounds=(lo, hi),
    )
