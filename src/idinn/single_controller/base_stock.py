"""Optimal base-stock (order-up-to) policy for single sourcing."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .._validation import check_exact_quantity, check_int, check_optional_int, check_seed, fail, not_fitted
from ..demand import BaseDemand
from ..dynamics import restrict_to_review
from ..sourcing_model import SingleSourcingModel
from .base import BaseSingleController


def lead_time_demand_pmf(demand: BaseDemand, periods: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Pmf of :math:`D^{(n)} = D_1 + \dots + D_n` for i.i.d. finite-support demand.

    Thin wrapper of :func:`idinn.exact.demand_pmf` and :func:`idinn.exact._pmf.convolve_pmf`.

    Returns
    -------
    values : ndarray of int64, probabilities : ndarray of float64
    """
    from ..exact._pmf import convolve_pmf, stationary_pmf

    values, probs = stationary_pmf(demand, owner="lead_time_demand_pmf")
    return convolve_pmf(values, probs, periods)


def newsvendor_cost(level: int, values: np.ndarray, probs: np.ndarray, holding_cost: float, shortage_cost: float) -> float:
    r""":math:`E[h (S - D)^+ + b (D - S)^+]` for the pmf ``(values, probs)`` (:func:`idinn.exact._pmf.newsvendor_cost`)."""
    from ..exact._pmf import newsvendor_cost as g

    return float(g(np.array([level]), values, probs, holding_cost, shortage_cost)[0])


def optimal_base_stock(
    demand: Any, lead_time: int, holding_cost: float, shortage_cost: float
) -> tuple[int, float]:
    r"""Optimal base-stock level and its expected holding + shortage cost per period.

    With backlogging, end-of-period inventory under an order-up-to level :math:`S` is
    :math:`S - D^{(l+1)}`, so :math:`S^*` is the smallest :math:`S` with
    :math:`P(D^{(l+1)} \le S) \ge b / (b + h)` (the newsvendor critical fractile;
    Arrow, Harris & Marschak 1951; Scarf & Karlin 1958); with :math:`h = b = 0` the
    smallest level (:func:`idinn.exact._pmf.critical_fractile`).

    Parameters
    ----------
    demand : BaseDemand, SourcingProblem or SingleSourcingModel
        Stationary demand with finite support; a problem or a model gives its demand
        (``lead_time``, ``holding_cost`` and ``shortage_cost`` are then still used as given).

    Returns
    -------
    level : int
        :math:`S^*`.
    cost : float
        :math:`E[h (S^* - D^{(l+1)})^+ + b (D^{(l+1)} - S^*)^+]` (order costs excluded).

    Raises
    ------
    MemoryError
        When the lead-time demand's support is too wide (size and how to raise the limit).
    """
    from ..exact._pmf import newsvendor_level
    from ..problem import SourcingProblem

    if isinstance(demand, SourcingProblem) or hasattr(demand, "problem"):
        demand = demand.problem.demand if hasattr(demand, "problem") else demand.demand
    lead_time = check_int(lead_time, "lead_time", "optimal_base_stock", minimum=0)
    values, probs = lead_time_demand_pmf(demand, lead_time + 1)
    level = newsvendor_level(values, probs, holding_cost, shortage_cost)
    return level, newsvendor_cost(level, values, probs, holding_cost, shortage_cost)


def periodic_review_base_stock(
    demand: Any, lead_time: int, review_period: int, holding_cost: float, shortage_cost: float,
    level: int | None = None,
) -> tuple[int, float]:
    r"""Optimal order-up-to level of the periodic-review :math:`(R, S)` policy and its cost.

    Orders are placed every :math:`R` periods, raising the inventory position to :math:`S`.
    Under backlogging the end-of-period net inventory :math:`j = 0, \dots, R-1` periods
    after the arrival of a review's order is :math:`S - D^{(l+1+j)}`, so the long-run
    holding and shortage cost per period is

    .. math:: C(S) = \frac{1}{R} \sum_{j=0}^{R-1} E\bigl[h (S - D^{(l+1+j)})^+ + b (D^{(l+1+j)} - S)^+\bigr],

    convex in :math:`S` and minimised between the newsvendor levels of :math:`D^{(l+1)}`
    and :math:`D^{(l+R)}`, where every integer is tried (Hadley & Whitin 1963, ch. 5;
    Zipkin 2000, sec. 6.7). :math:`R = 1` gives :func:`optimal_base_stock`.

    Parameters
    ----------
    demand : BaseDemand
        Stationary demand with finite support.
    lead_time, review_period : int
        :math:`l \ge 0`, :math:`R \ge 1`.
    holding_cost, shortage_cost : float
        :math:`h`, :math:`b`.
    level : int, optional
        Evaluate this :math:`S` instead of optimising.

    Returns
    -------
    level : int
    cost : float
        :math:`C(S)` (order costs excluded).
    """
    from ..exact._pmf import newsvendor_cost as g
    from ..exact._pmf import newsvendor_level

    owner = "periodic_review_base_stock"
    lead_time = check_int(lead_time, "lead_time", owner, minimum=0)
    review_period = check_int(review_period, "review_period", owner, minimum=1)
    pmfs = [lead_time_demand_pmf(demand, lead_time + 1 + j) for j in range(review_period)]
    if level is None:
        lo = newsvendor_level(*pmfs[0], holding_cost, shortage_cost)
        hi = newsvendor_level(*pmfs[-1], holding_cost, shortage_cost)
        levels = np.arange(min(lo, hi), max(lo, hi) + 1)
    else:
        levels = np.array([level])
    costs = sum(g(levels, v, p, holding_cost, shortage_cost) for v, p in pmfs) / review_period
    best = int(np.argmin(costs))  # first minimum: the smallest optimal level
    return int(levels[best]), float(costs[best])


class BaseStockController(BaseSingleController):
    r"""Base-stock policy :math:`q_t = (S - \mathrm{IP}_t)^+`, :math:`\mathrm{IP}_t = I_t + \sum_{i=1}^{l} q_{t-i}`.

    Parameters
    ----------
    base_stock_level : int, optional
        :math:`S`. When omitted, ``fit`` computes the optimal level exactly from the
        demand pmf (no sampling).

    Attributes
    ----------
    z_star : int
        Base-stock level in use (the paper's name; also ``base_stock_level_``).
    expected_cost_ : float
        Exact long-run average cost per period of the policy, order costs included
        (:math:`c\,E[D]` + newsvendor cost).

    Examples
    --------
    >>> from idinn.sourcing_model import SingleSourcingModel
    >>> from idinn.single_controller import BaseStockController
    >>> from idinn.demand import UniformDemand
    >>> m = SingleSourcingModel(lead_time=0, holding_cost=5, shortage_cost=495,
    ...                         init_inventory=10, demand_generator=UniformDemand(0, 4))
    >>> c = BaseStockController().fit(m)
    >>> c.z_star, c.expected_cost_
    (4, 10.0)
    """

    #: Review periods: the periodic-review (R, S) policy (:func:`periodic_review_base_stock`).
    _accepts_review_periods = True

    def __init__(self, base_stock_level: int | None = None) -> None:
        if base_stock_level is not None:
            check_exact_quantity(check_int(base_stock_level, "base_stock_level", "BaseStockController"),
                                 "base_stock_level", "BaseStockController")
        self.base_stock_level = base_stock_level
        self.sourcing_model = None
        self.z_star: int | None = base_stock_level
        self.expected_cost_: float | None = None

    @property
    def base_stock_level_(self) -> int | None:
        return self.z_star

    def fit(
        self, sourcing_model: SingleSourcingModel, num_samples: int | None = None, seed: int | None = None
    ) -> "BaseStockController":
        """Compute :math:`S^*` (unless given) and the policy's exact cost for ``sourcing_model``.

        Parameters
        ----------
        sourcing_model : SingleSourcingModel
            Stationary demand with finite support.
        num_samples, seed : int, optional
            idinn 0.2's parameters (it estimated :math:`S^*` from samples), in its
            positions: checked and unused, since nothing is sampled.

        Returns
        -------
        self
        """
        check_optional_int(num_samples, "num_samples", self._owner, minimum=1)
        check_seed(seed, "seed", self._owner)
        model = self._model_to_fit(sourcing_model)
        demand = model.demand_generator
        if not demand.has_finite_support:
            fail("demand_generator", "BaseStockController", "a demand with finite support (pmf)", demand)
        if demand.season_length is not None:
            fail("demand_generator", "BaseStockController", "stationary (season_length None)", demand)
        p = model.params
        if p.has_review_periods and p.excess_demand != "backlog":
            fail("sourcing_model", self._owner, "a backlog model when it has review periods (the (R, S) cost "
                 "formula assumes backlogging)", p.excess_demand)
        if p.has_review_periods:  # the (R, S) policy: orders only on review days
            level, cost = periodic_review_base_stock(demand, p.lead_times[0], p.review_period(0), p.holding_cost,
                                                     p.shortage_cost, level=self.base_stock_level)
        elif self.base_stock_level is None:
            level, cost = optimal_base_stock(demand, p.lead_times[0], p.holding_cost, p.shortage_cost)
        else:
            level = self.base_stock_level
            vals, probs = lead_time_demand_pmf(demand, p.lead_times[0] + 1)
            cost = newsvendor_cost(level, vals, probs, p.holding_cost, p.shortage_cost)
        self.z_star = level
        self.expected_cost_ = cost + p.order_costs[0] * demand.mean()
        self.sourcing_model = model
        return self

    def _policy_at(self, state: torch.Tensor, period: int = 0) -> torch.Tensor:
        """Orders :math:`(S - \\mathrm{IP})^+` (B, 1); the inventory position is the row sum."""
        params = self._fitted_params()
        position = state.sum(dim=1, keepdim=True)
        return restrict_to_review(torch.clamp(self.z_star - position, min=0), params, period)

    def _fitted_params(self) -> Any:
        if self.z_star is None or self.sourcing_model is None:
            raise not_fitted(self._owner)
        return self.sourcing_model.params

    # ------------------------------------------------------------- save / load
    def _fitted_state(self) -> dict[str, Any]:
        return {"z_star": self.z_star, "expected_cost_": self.expected_cost_}

    def _restore_fitted_state(self, state: dict[str, Any]) -> None:
        self.z_star = check_int(state["z_star"], "z_star", self._owner)
        self.expected_cost_ = None if state["expected_cost_"] is None else float(state["expected_cost_"])
