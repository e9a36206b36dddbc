r"""The modified base-stock policy for single sourcing with an order capacity."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from .._validation import check_exact_quantity, check_int, fail, not_fitted
from ..sourcing_model import SingleSourcingModel
from .base import BaseSingleController

__all__ = ["ModifiedBaseStockController", "shortfall_distribution"]

_MAX_SHORTFALL = 2_000_000


def shortfall_distribution(values: np.ndarray, probs: np.ndarray, capacity: int, owner: str) -> np.ndarray:
    r"""Stationary law of the shortfall :math:`Z = S - y` of a modified base-stock policy.

    With capacity :math:`u` the position after ordering is :math:`y = S - Z` and the
    shortfall follows the Lindley recursion :math:`Z' = (Z + D - u)^+`, independent of
    :math:`S` (Federgruen & Zipkin 1986). Stable when :math:`E[D] < u`.

    Parameters
    ----------
    values, probs : ndarray, shape (k,)
        Per-period demand pmf.
    capacity : int
        :math:`u \ge 1`.

    Returns
    -------
    ndarray of float64, shape (n,)
        :math:`P(Z = z)`, :math:`z = 0..n-1`; the tail beyond :math:`n - 1` is below 1e-12.

    Raises
    ------
    ValueError
        When the shortfall would need more than 2,000,000 states (capacity too close to the
        mean demand).
    """
    from ..exact._markov import cesaro_limit

    spread = int(values[-1]) + 1
    top = 8 * spread
    while True:
        z = np.arange(top + 1)
        nxt = np.clip(z[:, None] + values[None, :] - capacity, 0, top)
        P = sp.csr_matrix((np.tile(probs, top + 1), (np.repeat(z, len(values)), nxt.ravel())), shape=(top + 1,) * 2)
        P.sum_duplicates()
        pi = cesaro_limit(P, 0)
        if pi[-spread:].sum() < 1e-12:
            return pi
        top *= 4
        if top > _MAX_SHORTFALL:
            fail("order_capacity", owner, f"far enough above the mean demand for the shortfall to stay below "
                 f"{_MAX_SHORTFALL:,} units (raise the capacity)", capacity)


class ModifiedBaseStockController(BaseSingleController):
    r"""Order up to :math:`S` as far as the capacity allows: :math:`q = \min(u, (S - x)^+)`.

    :math:`x` is the inventory position and :math:`u` the supplier's order capacity
    (uncapped: the base-stock policy). The modified base-stock policy is optimal for a
    capacitated single supplier with backlog and no fixed cost (Federgruen & Zipkin 1986).
    ``fit`` finds the optimal :math:`S` exactly: the shortfall :math:`Z = S - y` has a law
    that does not depend on :math:`S` (:func:`shortfall_distribution`), so the average cost
    is :math:`E[G(S - Z)] + c E[D]` with
    :math:`G(y) = E[h (y - D^{(l+1)})^+ + b (D^{(l+1)} - y)^+]`, convex in :math:`S`.

    Parameters
    ----------
    base_stock_level : int, optional
        Fix :math:`S`; ``fit`` then only computes its exact cost.

    Attributes
    ----------
    base_stock_level_ : int
        :math:`S` after ``fit``.
    expected_cost_ : float
        Exact long-run average cost per period.

    References
    ----------
    Federgruen, A. & Zipkin, P. (1986). An inventory model with limited production
    capacity and uncertain demands I. The average-cost criterion. *Mathematics of
    Operations Research* 11(2):193-207.
    """

    _accepts_order_capacities = True

    def __init__(self, base_stock_level: int | None = None) -> None:
        owner = "ModifiedBaseStockController"
        if base_stock_level is not None:
            check_exact_quantity(check_int(base_stock_level, "base_stock_level", owner), "base_stock_level", owner)
        self.base_stock_level = base_stock_level
        self.sourcing_model = None
        self.base_stock_level_: int | None = base_stock_level
        self.expected_cost_: float | None = None

    def fit(self, sourcing_model: SingleSourcingModel) -> ModifiedBaseStockController:
        """Find the optimal :math:`S` (unless given) and its exact average cost.

        Parameters
        ----------
        sourcing_model : SingleSourcingModel or SourcingProblem
            Backlog, stationary demand with a finite pmf, no fixed order cost.

        Returns
        -------
        self
        """
        from ..exact._pmf import convolve_pmf, newsvendor_cost, stationary_pmf

        model = self._model_to_fit(sourcing_model)
        p = model.params
        if p.excess_demand != "backlog":
            fail("sourcing_model", self._owner, "a model with excess_demand='backlog'", p.excess_demand)
        values, probs = stationary_pmf(model.demand_generator, owner=self._owner, name="demand_generator")
        u = p.order_capacity(0)
        z = np.ones(1) if u is None else shortfall_distribution(values, probs, u, self._owner)
        lv, lp = convolve_pmf(values, probs, p.lead_times[0] + 1)
        order_cost = p.order_costs[0] * float(np.dot(values, probs))

        def cost(level: int) -> float:
            y = level - np.arange(len(z))
            return float(z @ newsvendor_cost(y, lv, lp, p.holding_cost, p.shortage_cost)) + order_cost

        if self.base_stock_level is None:
            level = int(np.floor(np.dot(lv, lp)))  # below the optimum: walk up while the convex cost falls
            while cost(level - 1) < cost(level):
                level -= 1
            while cost(level + 1) < cost(level):
                level += 1
        else:
            level = self.base_stock_level
        self.base_stock_level_, self.expected_cost_ = int(level), cost(level)
        self.sourcing_model = model
        return self

    def _policy_at(self, state: torch.Tensor, period: int = 0) -> torch.Tensor:
        """Orders :math:`\\min(u, (S - x)^+)` (B, 1); :math:`x` the row sum (position)."""
        params = self._fitted_params()
        q = torch.clamp(self.base_stock_level_ - state.sum(dim=1, keepdim=True), min=0)
        u = params.order_capacity(0)
        return q if u is None else torch.clamp(q, max=u)

    #: The orders depend on the inventory position only (exact evaluation on positions).
    depends_only_on_inventory_position = True

    def _fitted_params(self) -> Any:
        if self.base_stock_level_ is None or self.sourcing_model is None:
            raise not_fitted(self._owner)
        return self.sourcing_model.params

    # ------------------------------------------------------------- save / load
    def _fitted_state(self) -> dict[str, Any]:
        return {"base_stock_level_": self.base_stock_level_, "expected_cost_": self.expected_cost_}

    def _restore_fitted_state(self, state: dict[str, Any]) -> None:
        self.base_stock_level_ = check_int(state["base_stock_level_"], "base_stock_level_", self._owner)
        cost = state["expected_cost_"]
        self.expected_cost_ = None if cost is None else float(cost)
