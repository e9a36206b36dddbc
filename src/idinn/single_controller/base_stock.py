"""Optimal base-stock (order-up-to) policy for single sourcing."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .._validation import check_exact_quantity, check_int, check_optional_int, check_seed, fail, not_fitted
from ..demand import BaseDemand
from ..sourcing_model import SingleSourcingModel
from .base import BaseSingleController


def lead_time_demand_pmf(demand: BaseDemand, periods: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Pmf of :math:`D^{(n)} = D_1 + \dots + D_n` for i.i.d. finite-support demand.

    Returns
    -------
    values : ndarray of int64, probabilities : ndarray of float64
    """
    values, probs = demand.pmf()
    lo = int(values[0])
    dense = np.zeros(int(values[-1]) - lo + 1)
    dense[values - lo] = probs
    out = np.array([1.0])
    for _ in range(periods):
        out = np.convolve(out, dense)
    support = np.arange(out.size, dtype=np.int64) + periods * lo
    keep = out > 0
    return support[keep], out[keep]


def newsvendor_cost(level: int, values: np.ndarray, probs: np.ndarray, holding_cost: float, shortage_cost: float) -> float:
    r""":math:`E[h (S - D)^+ + b (D - S)^+]` for the pmf ``(values, probs)``."""
    over = np.maximum(level - values, 0)
    under = np.maximum(values - level, 0)
    return float(np.dot(probs, holding_cost * over + shortage_cost * under))


def optimal_base_stock(
    demand: BaseDemand, lead_time: int, holding_cost: float, shortage_cost: float
) -> tuple[int, float]:
    r"""Optimal base-stock level and its expected holding + shortage cost per period.

    With backlogging, end-of-period inventory under an order-up-to level :math:`S` is
    :math:`S - D^{(l+1)}`, so :math:`S^*` is the smallest :math:`S` with
    :math:`P(D^{(l+1)} \le S) \ge b / (b + h)` (the newsvendor critical fractile;
    Arrow, Harris & Marschak 1951; Scarf & Karlin 1958).

    Returns
    -------
    level : int
        :math:`S^*`.
    cost : float
        :math:`E[h (S^* - D^{(l+1)})^+ + b (D^{(l+1)} - S^*)^+]` (order costs excluded).
    """
    values, probs = lead_time_demand_pmf(demand, lead_time + 1)
    ratio = shortage_cost / (shortage_cost + holding_cost) if shortage_cost + holding_cost > 0 else 0.0
    cdf = np.cumsum(probs)
    idx = int(np.searchsorted(cdf, ratio - 1e-12, side="left"))
    level = int(values[min(idx, values.size - 1)])
    return level, newsvendor_cost(level, values, probs, holding_cost, shortage_cost)


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
            Keywords of the reference API (idinn 0.2 estimated :math:`S^*` from samples);
            checked and unused here: nothing is sampled. Any other keyword is refused.

        Returns
        -------
        self
        """
        check_optional_int(num_samples, "num_samples", self._owner, minimum=1)
        check_seed(seed, "seed", self._owner)
        model = self._check_model(sourcing_model)
        demand = model.demand_generator
        if not demand.has_finite_support:
            fail("demand_generator", "BaseStockController", "a demand with finite support (pmf)", demand)
        if demand.season_length is not None:
            fail("demand_generator", "BaseStockController", "stationary (season_length None)", demand)
        p = model.params
        if self.base_stock_level is None:
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
        self._fitted_params()
        position = state.sum(dim=1, keepdim=True)
        return torch.clamp(self.z_star - position, min=0)

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
