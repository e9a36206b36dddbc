r"""The :math:`(s, S)` policy for single sourcing with a fixed order cost."""

from __future__ import annotations

from typing import Any

import torch

from .._validation import check_exact_quantity, check_int, fail, not_fitted
from ..sourcing_model import SingleSourcingModel
from .base import BaseSingleController

__all__ = ["SSController"]


class SSController(BaseSingleController):
    r"""Order up to :math:`S` when the inventory position is at or below :math:`s`.

    The orders are :math:`q_t = S - x_t` if :math:`x_t \le s`, else 0, with :math:`x_t`
    the inventory position (net inventory plus the pipeline). ``fit`` finds the optimal
    :math:`(s, S)` by the algorithm of Zheng & Federgruen (1991) (see
    :mod:`idinn.exact.fixed_cost`) for backlog, any lead time and any stationary demand
    with a finite pmf, and records its exact long-run average cost. Scarf (1960): some
    :math:`(s, S)` policy is optimal among all policies for this problem.

    Under lost sales (``excess_demand="lost_sales"``, lead time :math:`L \ge 1`) no
    :math:`(s, S)` policy need be optimal; ``fit`` then returns the best pair by exact
    evaluation of every :math:`0 \le s < S \le S_{\max}`
    (:func:`idinn.exact.lost_sales_policies.fit_lost_sales_ss`, which states
    :math:`S_{\max}`); compare with the exact optimum of
    :func:`idinn.exact.solve_lost_sales_average_cost`, which charges the fixed cost too.

    Parameters
    ----------
    reorder_point, order_up_to_level : int, optional
        Fix :math:`s` and :math:`S` (both or neither, :math:`s < S`); ``fit`` then only
        computes their exact cost.

    Attributes
    ----------
    reorder_point_, order_up_to_level_ : int
        :math:`s`, :math:`S` after ``fit``.
    expected_cost_ : float
        Exact long-run average cost per period (order, fixed, holding and backlog costs).

    Raises
    ------
    ValueError
        In ``fit``: a model with an order capacity (the policy would exceed it), a
        seasonal or unbounded demand (use ``demand.truncated(...)``), zero demand.

    Examples
    --------
    >>> from idinn.sourcing_model import SingleSourcingModel
    >>> from idinn.single_controller import SSController
    >>> from idinn.demand import UniformDemand
    >>> m = SingleSourcingModel(lead_time=0, holding_cost=1, shortage_cost=9, init_inventory=0,
    ...                         demand_generator=UniformDemand(0, 4), fixed_order_cost=10)
    >>> c = SSController().fit(m)
    >>> c.reorder_point_, c.order_up_to_level_
    (1, 7)
    """

    _accepts_fixed_order_costs = True
    excess_demand_rules = ("backlog", "lost_sales")

    def __init__(self, reorder_point: int | None = None, order_up_to_level: int | None = None) -> None:
        owner = "SSController"
        if (reorder_point is None) != (order_up_to_level is None):
            fail("order_up_to_level", owner, "given together with reorder_point (both or neither)", order_up_to_level)
        if reorder_point is not None:
            s = check_exact_quantity(check_int(reorder_point, "reorder_point", owner), "reorder_point", owner)
            S = check_exact_quantity(check_int(order_up_to_level, "order_up_to_level", owner), "order_up_to_level",
                                     owner)
            if S <= s:
                fail("order_up_to_level", owner, f"an int > reorder_point ({s})", S)
        self.reorder_point = reorder_point
        self.order_up_to_level = order_up_to_level
        self.sourcing_model = None
        self.reorder_point_: int | None = reorder_point
        self.order_up_to_level_: int | None = order_up_to_level
        self.expected_cost_: float | None = None

    def fit(self, sourcing_model: SingleSourcingModel) -> SSController:
        """Find the optimal :math:`(s, S)` (unless given) and its exact average cost.

        Parameters
        ----------
        sourcing_model : SingleSourcingModel or SourcingProblem
            One supplier, backlog, stationary demand with a finite pmf; any fixed
            order cost :math:`K \\ge 0`, no order capacity.

        Returns
        -------
        self
        """
        from ..exact._pmf import stationary_pmf
        from ..exact.fixed_cost import optimal_ss_policy, ss_average_cost

        model = self._model_to_fit(sourcing_model)
        p = model.params
        if p.excess_demand == "lost_sales":
            return self._fit_lost_sales(model)
        values, probs = stationary_pmf(model.demand_generator, owner=self._owner, name="demand_generator")
        terms = dict(lead_time=p.lead_times[0], holding_cost=p.holding_cost, shortage_cost=p.shortage_cost,
                     fixed_order_cost=p.fixed_order_cost(0), order_cost=p.order_costs[0])
        if self.reorder_point is None:
            result = optimal_ss_policy(values, probs, **terms)
            s, S, cost = result.reorder_point, result.order_up_to_level, result.average_cost
        else:
            s, S = self.reorder_point, self.order_up_to_level
            cost = ss_average_cost(s, S, values, probs, **terms)
        self.reorder_point_, self.order_up_to_level_, self.expected_cost_ = int(s), int(S), float(cost)
        self.sourcing_model = model
        return self

    def _fit_lost_sales(self, model: Any) -> SSController:
        from ..exact.lost_sales_policies import evaluate_lost_sales_ss, fit_lost_sales_ss

        if self.reorder_point is None:
            fit = fit_lost_sales_ss(model)
            s, S, cost = fit.parameters["reorder_point"], fit.parameters["order_up_to_level"], fit.average_cost
        else:
            s, S = self.reorder_point, self.order_up_to_level
            cost = evaluate_lost_sales_ss(model, s, S)
        self.reorder_point_, self.order_up_to_level_, self.expected_cost_ = int(s), int(S), float(cost)
        self.sourcing_model = model
        return self

    def _policy_at(self, state: torch.Tensor, period: int = 0) -> torch.Tensor:
        """Orders :math:`(S - x)\\,\\mathbf 1[x \\le s]` (B, 1); :math:`x` the row sum (position)."""
        self._fitted_params()
        position = state.sum(dim=1, keepdim=True)
        return torch.where(position <= self.reorder_point_, self.order_up_to_level_ - position,
                           torch.zeros_like(position))

    @property
    def depends_only_on_inventory_position(self) -> bool:
        """The orders depend on the position only; under lost sales the chain does not (full-state evaluation)."""
        return self.sourcing_model is None or self.sourcing_model.params.excess_demand == "backlog"

    def _fitted_params(self) -> Any:
        if self.reorder_point_ is None or self.sourcing_model is None:
            raise not_fitted(self._owner)
        return self.sourcing_model.params

    # ------------------------------------------------------------- save / load
    def _fitted_state(self) -> dict[str, Any]:
        return {"reorder_point_": self.reorder_point_, "order_up_to_level_": self.order_up_to_level_,
                "expected_cost_": self.expected_cost_}

    def _restore_fitted_state(self, state: dict[str, Any]) -> None:
        self.reorder_point_ = check_int(state["reorder_point_"], "reorder_point_", self._owner)
        self.order_up_to_level_ = check_int(state["order_up_to_level_"], "order_up_to_level_", self._owner)
        cost = state["expected_cost_"]
        self.expected_cost_ = None if cost is None else float(cost)

