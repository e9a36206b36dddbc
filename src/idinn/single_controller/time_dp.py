r"""Exact time-dependent single-sourcing policies: finite horizon and discounted.

With linear order cost, backlogging and independent demand the optimal policy of
single sourcing is a base-stock policy with period-dependent levels :math:`S_t`
(Karlin 1960; Veinott 1966): :math:`q_t = (S_t - \mathrm{IP}_t)^+`,
:math:`\mathrm{IP}_t = I_t + \sum_{i=1}^{l} q_{t-i}`. The controllers below compute the
levels exactly by dynamic programming on the inventory position
(:func:`idinn.exact.solve_finite_horizon`, :func:`idinn.exact.solve_discounted`), check
that the dynamic-programming table has this form, and apply the levels to any state.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

from .._controller import solution_property
from .._table_controller import TableController
from .._validation import fail
from ..exact.discounted import DiscountedSolution, solve_discounted
from ..exact.finite_horizon import FiniteHorizonSolution, solve_finite_horizon
from ..sourcing_model import SingleSourcingModel
from .base import BaseSingleController

__all__ = ["FiniteHorizonBaseStockController", "DiscountedBaseStockController", "order_up_to_levels"]

_TRUNCATION = ("min_position", "max_position", "max_widenings")


def order_up_to_levels(policy_tables: np.ndarray, min_position: int, owner: str = "order_up_to_levels") -> np.ndarray:
    r"""Base-stock levels of single-sourcing policy tables, checked for the base-stock form.

    Parameters
    ----------
    policy_tables : ndarray of int, shape (n_periods, n_positions, 1)
        Orders :math:`q_t(z)` at inventory positions :math:`z = \underline z, \underline z + 1, \dots`.
    min_position : int
        :math:`\underline z`.
    owner : str, default="order_up_to_levels"
        Name used in the warning.

    Returns
    -------
    ndarray of float64, shape (n_periods,)
        :math:`S_t = \underline z + q_t(\underline z)`, or ``-inf`` when nothing is
        ordered even at :math:`\underline z` (e.g. the last :math:`l` periods of a
        finite horizon, whose orders arrive too late). A ``RuntimeWarning`` names the first
        period and position where :math:`q_t(z) \ne (S_t - z)^+`.
    """
    q = np.asarray(policy_tables)[..., 0]
    z = min_position + np.arange(q.shape[1])
    levels = np.where(q[:, 0] > 0, min_position + q[:, 0], -np.inf).astype(np.float64)
    expected = np.clip(levels[:, None] - z[None, :], 0, None)
    bad = np.argwhere(expected != q)
    if len(bad):
        t, i = (int(x) for x in bad[0])
        warnings.warn(
            f"{owner}: the dynamic-programming policy is not order-up-to in period {t} at inventory "
            f"position {int(z[i])} (orders {int(q[t, i])}, level {levels[t]}); the base-stock levels "
            "differ from the table there (truncation artefact: widen the bounds).",
            RuntimeWarning,
            stacklevel=3,
        )
    return levels


def _orders(state: Any, level: float, lead_time: int, owner: str) -> torch.Tensor:
    r"""Orders :math:`(S - \mathrm{IP})^+` (B, 1), :math:`\mathrm{IP}` = the row sum of ``[I, pipeline]``."""
    if not isinstance(state, torch.Tensor):
        state = torch.as_tensor(np.asarray(state, dtype=np.float32))
    if state.dim() != 2 or state.shape[1] != 1 + lead_time:
        fail("state", owner, f"a tensor of shape (B, {1 + lead_time})", tuple(state.shape))
    return (level - state.to(torch.float32).sum(dim=1, keepdim=True)).clamp(min=0)


class _LevelsController(TableController, BaseSingleController):
    """A table controller whose tables are base-stock levels :math:`S_t` (one per period or phase)."""

    _truncation_keywords = _TRUNCATION

    def __init__(self) -> None:
        super().__init__()
        self._levels: np.ndarray | None = None

    def _set_solution(self, solution: Any, model: Any) -> None:
        self._levels = order_up_to_levels(solution.policy_tables, solution.min_position, self._owner)
        super()._set_solution(solution, model)

    @property
    def base_stock_levels_(self) -> np.ndarray:
        """Level :math:`S_t` of each period (phase); ``-inf``: no order."""
        self._solution()
        assert self._levels is not None
        return self._levels.copy()

    def _policy_at(self, state: torch.Tensor, period: int) -> torch.Tensor:
        r"""Orders (B, 1) = :math:`(S_t - \mathrm{IP})^+`."""
        index = self._period_index(period)
        assert self._levels is not None
        return _orders(state, float(self._levels[index]), self._solution().lead_times[0], self._owner)

    def _fitted_state(self) -> dict[str, Any]:
        return {**super()._fitted_state(), "levels": self._levels}

    def _restore_fitted_state(self, state: dict[str, Any]) -> None:
        super()._restore_fitted_state(state)
        self._levels = np.asarray(state["levels"], dtype=np.float64)


class FiniteHorizonBaseStockController(_LevelsController):
    r"""Optimal single-sourcing policy for exactly :math:`T` periods: base stock with levels :math:`S_t`.

    ``fit`` solves, on the inventory position :math:`z = I + \sum_i q_{t-i}`,

    .. math:: V_t(z) = \min_{y \ge z}\; c (y - z) + \gamma^{l} G_t(y) + \gamma\, E\, V_{t+1}(y - D_t),
              \qquad V_T \equiv 0,

    :math:`G_t(y) = E[h (y - D_{t..t+l})^+ + b (D_{t..t+l} - y)^+]`, with the demand pmf of
    each period from ``demand_generator.pmf(t)``. The minimiser is
    :math:`y = \max(z, S_t)`, so the policy is :math:`q_t = (S_t - \mathrm{IP}_t)^+`
    for every state. In the last :math:`l` periods orders arrive after the horizon and
    :math:`S_t = -\infty` (nothing is ordered). Periods :math:`\ge T` raise ``ValueError``.

    Attributes
    ----------
    sourcing_model : SingleSourcingModel
    horizon_ : int
        :math:`T`.
    discount_ : float
    base_stock_levels_ : ndarray of float64, shape (T,)
        :math:`S_0, \dots, S_{T-1}` (``-inf``: no order).
    optimal_cost_ : float
        Minimal expected total discounted cost from the initial state.
    boundary_mass_ : float
        How often the optimal policy meets the truncation of the table (0: never).
    solution_ : FiniteHorizonSolution

    Examples
    --------
    >>> from idinn.demand import SeasonalDemand
    >>> from idinn.sourcing_model import SingleSourcingModel
    >>> from idinn.single_controller.time_dp import FiniteHorizonBaseStockController
    >>> model = SingleSourcingModel(lead_time=1, holding_cost=5, shortage_cost=495,
    ...     init_inventory=4, demand_generator=SeasonalDemand.uniform([0, 2], [2, 6]))
    >>> controller = FiniteHorizonBaseStockController().fit(model, horizon=6)
    >>> controller.base_stock_levels_.tolist()
    [8.0, 8.0, 8.0, 8.0, 8.0, -inf]
    """

    solution_: FiniteHorizonSolution | None
    _period_kind = "finite"
    _saved_dataclass_home = FiniteHorizonSolution

    horizon_ = solution_property("horizon")

    discount_ = solution_property("discount")

    optimal_cost_ = solution_property("optimal_cost")

    boundary_mass_ = solution_property("boundary_mass")


    def fit(
        self,
        sourcing_model: SingleSourcingModel,
        horizon: int,
        discount: float = 1.0,
        *,
        init_state: Any = None,
        salvage_value: float = 0.0,
        terminal_backlog_cost: float = 0.0,
        **truncation: Any,
    ) -> FiniteHorizonBaseStockController:
        r"""Solve the :math:`T`-period problem and extract the levels :math:`S_t`.

        Parameters
        ----------
        sourcing_model : SingleSourcingModel
            Finite-support demand in every period.
        horizon : int
            :math:`T`, >= 1.
        discount : float, default=1.0
            :math:`\gamma \in (0, 1]`.
        init_state : array-like of int, optional
            Initial state ``[I_0, q_{-l}, ..., q_{-1}]``.
        salvage_value : float, default=0
            Credit per unit of stock left at the end of the horizon [:math:`v`], at most
            :math:`h + \min_k c_k` (see :func:`idinn.exact.solve_finite_horizon`).
        terminal_backlog_cost : float, default=0
            Cost per unit of backlog left at the end [:math:`p_T`], >= 0. Both terms enter
            ``optimal_cost_`` (terminal cost :math:`-v (I_T)^+ + p_T (I_T)^-`).
        **truncation
            ``min_position``, ``max_position``, ``max_widenings``.

        Returns
        -------
        self
        """
        model = self._model_to_fit(sourcing_model)
        self._check_truncation(truncation)
        solution = solve_finite_horizon(model, horizon, discount=discount, init_state=init_state,
                                        salvage_value=salvage_value, terminal_backlog_cost=terminal_backlog_cost,
                                        **truncation)
        self._set_solution(solution, model)
        return self


class DiscountedBaseStockController(_LevelsController):
    r"""Optimal single-sourcing policy for the discounted cost: (periodic) base stock.

    ``fit`` runs value iteration on the inventory position (periodic over the season of
    a seasonal demand model; :func:`idinn.exact.solve_discounted`) and extracts the
    base-stock level of each phase. ``period`` selects the phase ``period % S``.

    Attributes
    ----------
    sourcing_model : SingleSourcingModel
    discount_ : float
    base_stock_levels_ : ndarray of float64, shape (S,)
        Level of each phase (one entry for stationary demand).
    optimal_cost_ : float
        Exact expected discounted cost of the fitted policy from the initial state.
    lower_bound_, upper_bound_ : float
        MacQueen bounds on the optimum.
    season_length_ : int
    boundary_mass_ : float
    solution_ : DiscountedSolution

    Examples
    --------
    >>> from idinn.demand import UniformDemand
    >>> from idinn.sourcing_model import SingleSourcingModel
    >>> from idinn.single_controller.time_dp import DiscountedBaseStockController
    >>> model = SingleSourcingModel(lead_time=2, holding_cost=5, shortage_cost=495,
    ...     init_inventory=0, demand_generator=UniformDemand(0, 4))
    >>> controller = DiscountedBaseStockController().fit(model, discount=0.95)
    >>> controller.base_stock_levels_.tolist()
    [11.0]
    """

    solution_: DiscountedSolution | None
    _period_kind = "periodic"
    _saved_dataclass_home = DiscountedSolution

    discount_ = solution_property("discount")

    optimal_cost_ = solution_property("optimal_cost")

    lower_bound_ = solution_property("lower_bound")

    upper_bound_ = solution_property("upper_bound")

    season_length_ = solution_property("season_length")

    boundary_mass_ = solution_property("boundary_mass")


    def fit(
        self,
        sourcing_model: SingleSourcingModel,
        discount: float,
        *,
        init_state: Any = None,
        tolerance: float = 1e-10,
        max_iterations: int = 100_000,
        **truncation: Any,
    ) -> DiscountedBaseStockController:
        r"""Solve the discounted problem and extract the levels.

        Parameters
        ----------
        sourcing_model : SingleSourcingModel
        discount : float
            :math:`\gamma \in (0, 1)`.
        init_state : array-like of int, optional
        tolerance : float, default=1e-10
        max_iterations : int, default=100_000
        **truncation
            ``min_position``, ``max_position``, ``max_widenings``.

        Returns
        -------
        self
        """
        model = self._model_to_fit(sourcing_model)
        self._check_truncation(truncation)
        solution = solve_discounted(
            model, discount, init_state=init_state, tolerance=tolerance, max_iterations=max_iterations, **truncation
        )
        self._set_solution(solution, model)
        return self
