"""Classical single-sourcing lost-sales policies (Zipkin 2008; Xin 2021), fitted by exact evaluation."""

from __future__ import annotations

from typing import Any

from .._controller import solution_property
from .._table_controller import TableController
from .._validation import fail
from ..exact.lost_sales_heuristics import POLICY_RULES, LostSalesHeuristic, fit_lost_sales_policy
from .base import BaseSingleController

__all__ = ["LostSalesPolicyController"]


class LostSalesPolicyController(TableController, BaseSingleController):
    r"""A classical lost-sales policy, its parameter chosen by exact evaluation.

    ``rule`` picks the policy (definitions in :mod:`idinn.exact.lost_sales_heuristics`,
    Zipkin 2008, *Oper. Res.* 56(5), Sec. 4; Xin 2021, *Oper. Res.* 69(5)):

    ``"myopic"``, ``"myopic_2"``
        The order minimising the expected cost of its arrival period (resp. of the two
        periods from its arrival, the next order being myopic). No parameter.
    ``"vector_base_stock"``
        :math:`\min_l [S_l - y_l]^+` over the partial positions :math:`y_l`, the levels the
        backlog model's (Zipkin's standard vector base-stock).
    ``"standard_base_stock"``
        :math:`[\bar S - y]^+` with the backlog model's level :math:`\bar S`.
    ``"base_stock"``, ``"capped_base_stock"``, ``"constant_order"``
        The best level :math:`S`, the best :math:`\min([S - y]^+, r)`, the best integer
        constant order :math:`r`, each found by exact evaluation.

    ``fit`` needs single sourcing with lead time :math:`L \ge 1` and
    ``excess_demand="lost_sales"``; the policy is tabulated on the states
    :math:`(I_t + q_{t-L}, q_{t-L+1}, \dots, q_{t-1})` of the exact DP and its exact
    long-run average cost is ``average_cost_``.

    Parameters
    ----------
    rule : str, default="myopic_2"
        One of ``idinn.exact.lost_sales_heuristics.POLICY_RULES``.

    Examples
    --------
    >>> from idinn.demand import PoissonDemand
    >>> from idinn.sourcing_model import SingleSourcingModel
    >>> from idinn.single_controller import LostSalesPolicyController
    >>> m = SingleSourcingModel(lead_time=2, holding_cost=1, shortage_cost=9, init_inventory=0,
    ...                         demand_generator=PoissonDemand(5), excess_demand="lost_sales")
    >>> round(LostSalesPolicyController("myopic_2").fit(m).average_cost_, 2)  # Zipkin (2008): 6.10
    6.1
    """

    excess_demand_rules = ("lost_sales",)
    _saved_dataclass_home = LostSalesHeuristic

    average_cost_ = solution_property("average_cost")
    parameters_ = solution_property("parameters")
    max_position_ = solution_property("max_position")

    def __init__(self, rule: str = "myopic_2") -> None:
        if rule not in POLICY_RULES:
            fail("rule", "LostSalesPolicyController", "one of " + ", ".join(repr(r) for r in POLICY_RULES), rule)
        self.rule = rule
        super().__init__()

    def fit(self, sourcing_model: Any, *, tail_mass: float = 1e-10,
            max_entries: int | None = None) -> LostSalesPolicyController:
        """Tabulate the rule for ``sourcing_model`` and evaluate it exactly.

        Parameters
        ----------
        sourcing_model : SingleSourcingModel or SourcingProblem
            One supplier, lead time >= 1, ``excess_demand="lost_sales"``, stationary demand.
        tail_mass : float, default=1e-10
            Tail mass an unbounded demand is truncated at.
        max_entries : int, optional
            Memory limit of the tables (see :func:`idinn.exact.solve_lost_sales_average_cost`).

        Returns
        -------
        self
        """
        model = self._model_to_fit(sourcing_model)
        self._set_solution(fit_lost_sales_policy(model, self.rule, tail_mass=tail_mass, max_entries=max_entries),
                           model)
        return self
