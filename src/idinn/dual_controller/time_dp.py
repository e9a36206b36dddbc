r"""Exact time-dependent dual-sourcing policies: finite horizon and discounted.

Both controllers look their orders up in the tables of
:func:`idinn.exact.solve_finite_horizon` / :func:`idinn.exact.solve_discounted`; see
``docs/exact_finite_horizon.md``.
"""

from __future__ import annotations

from typing import Any

from .._controller import solution_property
from .._table_controller import TableController
from ..exact.discounted import DiscountedSolution, solve_discounted
from ..exact.finite_horizon import FiniteHorizonSolution, solve_finite_horizon
from ..sourcing_model import DualSourcingModel
from .base import BaseDualController

__all__ = ["FiniteHorizonDPController", "DiscountedDPController"]

_TRUNCATION = ("min_position", "max_position", "max_regular_order", "max_widenings")


class FiniteHorizonDPController(TableController, BaseDualController):
    r"""Optimal dual-sourcing policy for exactly :math:`T` periods (backward induction).

    ``fit`` solves

    .. math:: V_t(z, p) = \min_{y \ge z,\; q^r \ge 0}
              c_e (y - z) + c_r q^r + \gamma^{l_e} G_t(y)
              + \gamma\, E\, V_{t+1}(y + p_1 - D_t, p_2, \dots, p_{L-1}, q^r),
              \qquad V_T \equiv 0,

    with the demand pmf of period :math:`t` from ``demand_generator.pmf(t)`` (seasonal
    and trace demand included), on the reduced state of
    :func:`idinn.exact.solve_finite_horizon` (expedited position
    :math:`z = I + \sum_j e_j + \sum_{j \le l_e+1} r_j`, overtaken regular orders
    :math:`p`). The policy depends on the period: :meth:`predict` takes
    ``period=t`` and simulations use the calendar period; periods :math:`\ge T` and
    states outside the table raise ``ValueError``.

    Attributes
    ----------
    sourcing_model : DualSourcingModel
        The model passed to ``fit``.
    horizon_ : int
        :math:`T`.
    discount_ : float
        :math:`\gamma`.
    optimal_cost_ : float
        Minimal expected total discounted cost of the :math:`T` periods from the initial
        state.
    boundary_mass_ : float
        How often the optimal policy meets the truncation from the initial state
        (0: never; see :class:`~idinn.exact.FiniteHorizonSolution`).
    policy_tables_ : ndarray of int64, shape (T, n_positions, q+1, ..., q+1, 2)
        Optimal ``[q_r, q_e]`` by ``[t, z - min_position, p_1, ..., p_{L-1}]``.
    value_tables_ : ndarray of float64, shape (T + 1, n_positions, q+1, ..., q+1)
    truncation_ : dict
        ``min_position``, ``max_position`` and (for :math:`l_e < l_r`)
        ``max_regular_order`` used.
    solution_ : FiniteHorizonSolution

    Examples
    --------
    >>> from idinn.demand import SeasonalDemand
    >>> from idinn.sourcing_model import DualSourcingModel
    >>> from idinn.dual_controller.time_dp import FiniteHorizonDPController
    >>> model = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0,
    ...     regular_order_cost=0, expedited_order_cost=20, holding_cost=5, shortage_cost=495,
    ...     init_inventory=6,
    ...     demand_generator=SeasonalDemand.uniform(lows=[0, 1, 3, 1], highs=[2, 5, 7, 5]))
    >>> controller = FiniteHorizonDPController().fit(model, horizon=52)
    >>> round(controller.optimal_cost_, 4)
    1077.536
    >>> controller.predict(current_inventory=6, past_regular_orders=[0, 0], period=0)
    (6, 0)
    """

    solution_: FiniteHorizonSolution | None
    _period_kind = "finite"
    _truncation_keywords = _TRUNCATION
    _saved_dataclass_home = FiniteHorizonSolution

    horizon_ = solution_property("horizon")

    discount_ = solution_property("discount")

    optimal_cost_ = solution_property("optimal_cost")

    boundary_mass_ = solution_property("boundary_mass")

    policy_tables_ = solution_property("policy_tables")

    value_tables_ = solution_property("value_tables")

    truncation_ = solution_property("truncation")

    def fit(
        self,
        sourcing_model: DualSourcingModel,
        horizon: int,
        discount: float = 1.0,
        *,
        init_state: Any = None,
        salvage_value: float = 0.0,
        terminal_backlog_cost: float = 0.0,
        **truncation: Any,
    ) -> FiniteHorizonDPController:
        r"""Solve the :math:`T`-period problem of ``sourcing_model``.

        Parameters
        ----------
        sourcing_model : DualSourcingModel
            Finite-support demand in every period; any :math:`l_e \le l_r`.
        horizon : int
            Number of periods :math:`T`, >= 1.
        discount : float, default=1.0
            :math:`\gamma \in (0, 1]`.
        init_state : array-like of int, optional
            Initial full state ``[I_0, r_1..r_{l_r}, e_1..e_{l_e}]``; default: the model's
            initial inventory with empty pipelines.
        salvage_value : float, default=0
            Credit per unit of stock left at the end of the horizon [:math:`v`], at most
            :math:`h + \min_k c_k` (see :func:`idinn.exact.solve_finite_horizon`).
        terminal_backlog_cost : float, default=0
            Cost per unit of backlog left at the end [:math:`p_T`], >= 0. Both terms enter
            ``optimal_cost_`` (terminal cost :math:`-v (I_T)^+ + p_T (I_T)^-`).
        **truncation
            ``min_position``, ``max_position``, ``max_regular_order``, ``max_widenings``
            (see :func:`idinn.exact.solve_finite_horizon`).

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


class DiscountedDPController(TableController, BaseDualController):
    r"""Optimal dual-sourcing policy for the infinite-horizon discounted cost.

    ``fit`` runs value iteration on the reduced state (periodic over the season when
    the demand has one; see :func:`idinn.exact.solve_discounted`) and keeps the
    stationary, or :math:`S`-periodic, policy table. ``period`` selects the phase
    ``period % S``; states outside the table raise ``ValueError``.

    Attributes
    ----------
    sourcing_model : DualSourcingModel
    discount_ : float
        :math:`\gamma`.
    optimal_cost_ : float
        Exact expected discounted cost of the fitted policy from the initial state.
    lower_bound_, upper_bound_ : float
        MacQueen bounds on the optimal discounted cost.
    season_length_ : int
        Phases :math:`S` of the policy (1: stationary).
    boundary_mass_ : float
    policy_tables_ : ndarray of int64, shape (S, n_positions, q+1, ..., q+1, 2)
    value_tables_ : ndarray of float64, shape (S, n_positions, q+1, ..., q+1)
    truncation_ : dict
    solution_ : DiscountedSolution

    Examples
    --------
    >>> from idinn.demand import UniformDemand
    >>> from idinn.sourcing_model import DualSourcingModel
    >>> from idinn.dual_controller.time_dp import DiscountedDPController
    >>> model = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0,
    ...     regular_order_cost=0, expedited_order_cost=20, holding_cost=5, shortage_cost=495,
    ...     init_inventory=0, demand_generator=UniformDemand(0, 4))
    >>> controller = DiscountedDPController().fit(model, discount=0.95)
    >>> round(controller.optimal_cost_, 4)
    550.7586
    """

    solution_: DiscountedSolution | None
    _period_kind = "periodic"
    _truncation_keywords = _TRUNCATION
    _saved_dataclass_home = DiscountedSolution

    discount_ = solution_property("discount")

    optimal_cost_ = solution_property("optimal_cost")

    lower_bound_ = solution_property("lower_bound")

    upper_bound_ = solution_property("upper_bound")

    season_length_ = solution_property("season_length")

    boundary_mass_ = solution_property("boundary_mass")

    policy_tables_ = solution_property("policy_tables")

    value_tables_ = solution_property("value_tables")

    truncation_ = solution_property("truncation")

    def fit(
        self,
        sourcing_model: DualSourcingModel,
        discount: float,
        *,
        init_state: Any = None,
        tolerance: float = 1e-10,
        max_iterations: int = 100_000,
        **truncation: Any,
    ) -> DiscountedDPController:
        r"""Solve the discounted problem of ``sourcing_model``.

        Parameters
        ----------
        sourcing_model : DualSourcingModel
            Finite-support demand, stationary or seasonal.
        discount : float
            :math:`\gamma \in (0, 1)`.
        init_state : array-like of int, optional
            Initial full state (phase 0).
        tolerance : float, default=1e-10
            Relative width of the MacQueen bounds at which value iteration stops.
        max_iterations : int, default=100_000
        **truncation
            ``min_position``, ``max_position``, ``max_regular_order``, ``max_widenings``.

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
