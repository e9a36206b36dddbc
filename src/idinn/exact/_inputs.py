"""Inputs every exact method shares: the problem, the initial state, inventory bounds."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_int, fail, is_integral
from ..problem import SourcingProblem, as_problem

__all__ = ["problem_and_state", "check_inventory_bounds"]


def _as_array(x: Any) -> Any:
    if hasattr(x, "detach"):  # a torch tensor, read without importing torch
        return x.detach().cpu().numpy()
    return x


def problem_and_state(
    obj: Any, init_state: Any, owner: str, *, evaluation: bool = False, review_periods: bool = False
) -> tuple[SourcingProblem, np.ndarray]:
    """The :class:`~idinn.problem.SourcingProblem` of ``obj`` and the initial full state (int64).

    ``init_state`` ``None`` means the problem's ``init_state`` (its initial inventory, then
    its initial pipelines). ``evaluation=True`` (the exact policy evaluators, which step the
    full state with :func:`idinn.dynamics.advance`) accepts every excess-demand rule; the
    reduced-state solvers model backlogging only and refuse lost sales. ``review_periods=True``
    (the methods that carry the phase :math:`t \bmod T` of the review cycle in their state:
    :func:`~idinn.exact.evaluate_policy`) accepts suppliers with review periods; the others
    refuse them.
    """
    problem = as_problem(obj, owner=owner, name="sourcing_model")
    rule = getattr(problem.params, "excess_demand", "backlog")
    if rule != "backlog" and not evaluation:  # the reduced state (inventory positions) needs backlog
        fail("sourcing_model", owner, "a problem with excess_demand='backlog' (this solver's reduced state "
             "assumes backlogging; for lost sales use idinn.exact.solve_lost_sales_average_cost, single "
             "sourcing)", rule)
    if problem.params.has_review_periods and not review_periods:  # the state would need the phase of the review cycle
        fail("sourcing_model", owner, "a problem whose suppliers can order every period (this exact method "
             "does not model review periods)", list(problem.params.review_periods))
    dim = problem.state_dim
    if init_state is None:
        return problem, problem.init_state
    rule = f"{dim} integers (net inventory, then pipelines >= 0)"
    try:
        arr = np.asarray(_as_array(init_state), dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        fail("init_state", owner, rule, init_state, TypeError)
        raise AssertionError  # pragma: no cover
    if arr.shape != (dim,) or not all(is_integral(x) for x in arr.tolist()) or np.any(arr[1:] < 0):
        fail("init_state", owner, rule, init_state)
    return problem, arr.astype(np.int64)


def check_inventory_bounds(bounds: Any, init_inventory: int, owner: str) -> tuple[int, int]:
    """A pair ``(low, high)`` of ints containing ``init_inventory``, or the standard error."""
    if not isinstance(bounds, tuple | list) or len(bounds) != 2:
        fail("inventory_bounds", owner, "a pair (low, high) of ints", bounds, TypeError)
    lo = check_int(bounds[0], "inventory_bounds", owner)
    hi = check_int(bounds[1], "inventory_bounds", owner)
    if not lo <= init_inventory <= hi:
        fail("inventory_bounds", owner, f"a range (low, high) containing the initial inventory {init_inventory}", bounds)
    return lo, hi
