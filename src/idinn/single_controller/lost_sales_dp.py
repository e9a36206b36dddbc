"""Optimal single-sourcing lost-sales controller (exact average-cost DP)."""

from __future__ import annotations

from typing import Any

from .._controller import solution_property
from .._table_controller import TableController
from ..exact.lost_sales import LostSalesSolution, solve_lost_sales_average_cost
from .base import BaseSingleController

__all__ = ["LostSalesDPController"]


class LostSalesDPController(TableController, BaseSingleController):
    r"""Optimal policy of single sourcing with lost sales (Zipkin 2008), by relative value iteration.

    ``fit`` calls :func:`idinn.exact.solve_lost_sales_average_cost` on the model's problem
    (lead time :math:`L \ge 1`, ``excess_demand="lost_sales"``, stationary demand) and
    keeps the optimal order table over states :math:`(I_t + q_{t-L}, q_{t-L+1}, \dots,
    q_{t-1})`; ``save``/``load`` keep the whole solution.

    Examples
    --------
    >>> from idinn.demand import PoissonDemand
    >>> from idinn.sourcing_model import SingleSourcingModel
    >>> from idinn.single_controller import LostSalesDPController
    >>> m = SingleSourcingModel(lead_time=2, holding_cost=1, shortage_cost=9, init_inventory=0,
    ...                         demand_generator=PoissonDemand(5), excess_demand="lost_sales")
    >>> round(LostSalesDPController().fit(m).optimal_cost_, 2)  # Zipkin (2008): 6.09
    6.09
    """

    excess_demand_rules = ("lost_sales",)
    _saved_dataclass_home = LostSalesSolution

    optimal_cost_ = solution_property("average_cost")
    lower_bound_ = solution_property("lower_bound")
    upper_bound_ = solution_property("upper_bound")
    max_position_ = solution_property("max_position")
    dropped_mass_ = solution_property("dropped_mass")

    def fit(
        self, sourcing_model: Any, *, tail_mass: float = 1e-10, max_position: int | None = None, tol: float = 1e-7,
        max_iterations: int = 100_000, max_entries: int | None = None,
    ) -> LostSalesDPController:
        """Solve the lost-sales DP of ``sourcing_model`` (a SingleSourcingModel or SourcingProblem).

        The keyword arguments are those of :func:`idinn.exact.solve_lost_sales_average_cost`.

        Returns
        -------
        self
        """
        model = self._model_to_fit(sourcing_model)
        solution = solve_lost_sales_average_cost(
            model, tail_mass=tail_mass, max_position=max_position, tol=tol, max_iterations=max_iterations,
            max_entries=max_entries,
        )
        self._set_solution(solution, model)
        return self
