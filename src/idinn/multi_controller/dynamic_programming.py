r"""Optimal policy for up to five suppliers by average-cost dynamic programming."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .._controller import solution_property
from .._table_controller import TableController, _as_numpy
from ..exact.multi_dp import MultiSourcingSolution, solve_multi_sourcing_average_cost
from ..problem import as_problem
from .base import BaseMultiController

__all__ = ["MultiSourcingDPController"]


class MultiSourcingDPController(TableController, BaseMultiController):
    r"""Optimal policy of a sourcing model with :math:`K \le 5` suppliers (exact DP).

    ``fit`` calls :func:`idinn.exact.solve_multi_sourcing_average_cost`: relative value
    iteration on the aggregated state :math:`(x, A_1, \dots, A_{L-1})` (stock plus this
    period's arrivals, then the total quantity due in each of the next :math:`L - 1`
    periods), with the phase :math:`t \bmod T` of the review cycle when some supplier has a
    review period. Handles backlog and lost sales, fixed order costs :math:`K_k` (charged
    when :math:`q_k > 0`), order capacities :math:`u_k` (never exceeded) and review
    periods :math:`R_k` (no order outside them). See docs/exact_multi_sourcing.md.

    The demand must be stationary with finite support; the state space must fit the
    solver's limits (``max_states``, ``max_bytes``; refused before any work otherwise).

    Attributes
    ----------
    sourcing_model : MultiSourcingModel (or the model passed to ``fit``)
    optimal_cost_ : float
        Optimal long-run average cost per period :math:`g^*`.
    lower_bound_, upper_bound_ : float
        Odoni bounds of the truncated problem at the stop.
    boundary_mass_ : float
        Long-run probability of states where the truncation acts (0 with automatic bounds
        unless a warning said otherwise).
    policy_table_ : ndarray of int64, shape (T, n_x, A_1 + 1, ..., A_{L-1} + 1, K)
        Optimal orders by phase and aggregated state.
    truncation_ : dict
        ``x_bounds`` and ``max_orders`` used.
    solution_ : MultiSourcingSolution

    Examples
    --------
    >>> from idinn.demand import UniformDemand
    >>> from idinn.dynamics import SourcingParams
    >>> from idinn.problem import SourcingProblem
    >>> from idinn.multi_controller import MultiSourcingDPController
    >>> params = SourcingParams(lead_times=(0, 1, 2), order_costs=(20, 10, 0), holding_cost=5,
    ...                         shortage_cost=95)
    >>> ctrl = MultiSourcingDPController().fit(SourcingProblem(params=params, demand=UniformDemand(0, 4)))
    >>> round(ctrl.optimal_cost_, 4)
    22.824
    """

    solution_: MultiSourcingSolution | None
    _solution_attr = "solution_"
    _period_kind = "stationary"
    _truncation_keywords = ("x_bounds", "max_orders", "max_widenings", "max_states", "max_bytes")
    _saved_dataclass_home = MultiSourcingSolution
    _accepts_fixed_order_costs = True
    _accepts_order_capacities = True
    _accepts_review_periods = True
    excess_demand_rules = ("backlog", "lost_sales")

    optimal_cost_ = solution_property("average_cost")
    lower_bound_ = solution_property("lower_bound")
    upper_bound_ = solution_property("upper_bound")
    boundary_mass_ = solution_property("boundary_mass")
    policy_table_ = solution_property("order_table")
    truncation_ = solution_property("truncation")

    @property
    def is_stationary(self) -> bool:
        """False when the fitted problem has review periods (the orders depend on :math:`t \\bmod T`)."""
        solution = getattr(self, self._solution_attr, None)
        return True if solution is None else bool(solution.is_stationary)

    def fit(
        self,
        sourcing_model: Any,
        tolerance: float = 1e-8,
        max_iterations: int = 100_000,
        **truncation_kwargs: Any,
    ) -> MultiSourcingDPController:
        r"""Solve the average-cost dynamic program of ``sourcing_model``.

        Parameters
        ----------
        sourcing_model : MultiSourcingModel, SourcingProblem or paper model
            :math:`K \le 5` suppliers; stationary finite-support demand.
        tolerance : float, default=1e-8
            Relative gap of the Odoni bounds at which to stop.
        max_iterations : int, default=100_000
        **truncation_kwargs
            ``x_bounds``, ``max_orders``, ``max_widenings``, ``max_states``, ``max_bytes``
            (see :func:`~idinn.exact.solve_multi_sourcing_average_cost`).

        Returns
        -------
        self
        """
        model = self._model_to_fit(sourcing_model)
        self._check_truncation(truncation_kwargs)
        problem = as_problem(model, owner=self._owner)
        solution = solve_multi_sourcing_average_cost(
            problem, tolerance=tolerance, max_iterations=max_iterations, **truncation_kwargs
        )
        self._set_solution(solution, model)
        return self

    def _policy_at(self, state: torch.Tensor, period: int) -> torch.Tensor:
        solution = self._solution()
        orders = solution.orders(_as_numpy(state), None if solution.is_stationary else period)
        return torch.as_tensor(np.asarray(orders), dtype=torch.float32)
