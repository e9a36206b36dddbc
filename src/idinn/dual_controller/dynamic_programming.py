r"""Optimal dual-sourcing policy by average-cost dynamic programming."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .._controller import solution_property
from .._table_controller import TableController
from .._validation import fail
from ..exact._common import finite_pmf
from ..exact.dual_sourcing_dp import DualSourcingDPResult, dual_sourcing_relative_value_iteration
from ..exact.multi_dp import MultiSourcingSolution, solve_multi_sourcing_average_cost
from ..problem import as_problem
from ..sourcing_model import DualSourcingModel
from .base import BaseDualController

__all__ = ["DynamicProgrammingController"]


class DynamicProgrammingController(TableController, BaseDualController):
    r"""Optimal policy of a dual-sourcing model by relative value iteration.

    ``fit`` solves the average-cost Bellman equation

    .. math:: g^* + v(z, p) = \min_{q^r \ge 0,\; y \ge z}
              c_e (y - z) + c_r q^r + G(y) + E\, v(y + p_1 - D, p_2, \dots, p_{L-1}, q^r)

    on the reduced state :math:`(z, p_1, \dots, p_{L-1})` of dimension
    :math:`L = l_r - l_e`: the expedited position
    :math:`z = I + \sum_j e_j + \sum_{j \le l_e + 1} r_j` and the regular orders
    :math:`p_j = r_{l_e + 1 + j}` that an expedited order placed now overtakes;
    :math:`G(y) = E[h (y - D^{(l_e+1)})^+ + b (D^{(l_e+1)} - y)^+]`. See
    ``docs/controllers/dynamic_programming.md`` and
    :func:`idinn.exact.dual_sourcing_relative_value_iteration`.

    The demand must be stationary with finite support and :math:`l_e < l_r`.

    Lost sales, fixed order costs :math:`(K_r, K_e)`, order capacities and review periods
    are solved by the general engine :func:`idinn.exact.solve_multi_sourcing_average_cost`
    instead (aggregated state :math:`(x, A_1, \dots, A_{l_r - 1})`, with the phase of the
    review cycle when there are review periods; see docs/exact_multi_sourcing.md); its
    truncation keywords are ``x_bounds``, ``max_orders``, ``max_widenings``,
    ``max_states`` and ``max_bytes``, and ``result_`` is then a
    :class:`~idinn.exact.MultiSourcingSolution`. Without those terms both engines give the
    same optimum (tested).

    Attributes
    ----------
    sourcing_model : DualSourcingModel
        The model passed to ``fit``.
    optimal_cost_ : float
        Optimal long-run average cost per period :math:`g^*` (midpoint of the bounds).
    lower_bound_, upper_bound_ : float
        Certified bounds :math:`\min(Tv - v) \le g^* \le \max(Tv - v)` of the truncated
        problem at the last iteration.
    boundary_mass_ : float
        Long-run probability of the reduced states at which the truncation acts (0 when
        the automatic bounds were used: they are widened until the optimal policy never
        reaches the boundary from the initial state).
    policy_table_ : ndarray of int64, shape (n_positions, q+1, ..., q+1, 2)
        Optimal :math:`(q^r, q^e)` indexed by ``[z - min_position, p_1, ..., p_{L-1}]``.
    truncation_ : dict
        ``min_position``, ``max_position`` (bounds of :math:`z`) and
        ``max_regular_order`` actually used.
    result_ : DualSourcingDPResult
        Everything the solver returned (relative values, stationary distribution, ...).

    Examples
    --------
    >>> from idinn.demand import UniformDemand
    >>> from idinn.sourcing_model import DualSourcingModel
    >>> from idinn.dual_controller import DynamicProgrammingController
    >>> model = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0,
    ...     regular_order_cost=0, expedited_order_cost=20, holding_cost=5,
    ...     shortage_cost=495, init_inventory=0, demand_generator=UniformDemand(0, 4))
    >>> controller = DynamicProgrammingController().fit(model)
    >>> round(controller.optimal_cost_, 4)
    23.0714
    >>> controller.lower_bound_ <= controller.optimal_cost_ <= controller.upper_bound_
    True
    >>> controller.predict(current_inventory=0, past_regular_orders=[0, 0])
    (3, 4)
    """

    result_: DualSourcingDPResult | MultiSourcingSolution | None
    _solution_attr = "result_"
    _period_kind = "stationary"
    _classic_keywords = ("min_position", "max_position", "max_regular_order", "max_widenings")
    _general_keywords = ("x_bounds", "max_orders", "max_widenings", "max_states", "max_bytes")
    _truncation_keywords = _classic_keywords
    _saved_dataclass_home = DualSourcingDPResult
    # the general engine (exact.multi_dp) models these terms
    _accepts_fixed_order_costs = True
    _accepts_order_capacities = True
    _accepts_review_periods = True
    excess_demand_rules = ("backlog", "lost_sales")

    @staticmethod
    def _needs_general_engine(params: Any) -> bool:
        """Lost sales, fixed costs, capacities or review periods: the reduced dual state does not apply."""
        return (params.excess_demand != "backlog" or params.has_fixed_costs or params.has_capacities
                or params.has_review_periods)

    @property
    def is_stationary(self) -> bool:
        """False when fitted to a problem with review periods (orders depend on :math:`t \bmod T`)."""
        result = getattr(self, "result_", None)
        return bool(getattr(result, "is_stationary", True))

    # --------------------------------------------------------------- fitted values
    optimal_cost_ = solution_property("optimal_cost")
    lower_bound_ = solution_property("lower_bound")
    upper_bound_ = solution_property("upper_bound")
    boundary_mass_ = solution_property("boundary_mass")
    policy_table_ = solution_property("policy_table")
    truncation_ = solution_property("truncation")

    # ------------------------------------------------- reference (idinn 0.2) names
    @property
    def vf(self) -> float | None:
        """Optimal long-run average cost per period :math:`g^*` (``optimal_cost_``).

        The name and meaning of idinn 0.2's ``vf`` (a float, the average cost per period
        found by value iteration); ``None`` before ``fit`` and after :meth:`reset`.
        """
        result = self.result_
        return None if result is None else float(result.optimal_cost)

    @property
    def qf(self) -> dict[tuple[int, ...], tuple[int, int]] | None:
        r"""The optimal policy as a dict ``{reduced state: (q_r, q_e)}`` (idinn 0.2's layout).

        Keys are tuples of Python ints :math:`(z, p_1, \dots, p_{L-1})`,
        :math:`L = l_r - l_e`: the expedited position
        :math:`z = I + \sum_j e_j + \sum_{j \le l_e + 1} r_j` and the regular orders an
        expedited order placed now overtakes. For :math:`l_e = 0` (the only case idinn 0.2
        solves) this is its key :math:`(I + r_1, r_2, \dots, r_{l_r})`: the inventory
        after this period's regular arrival, then the regular pipeline, oldest first. One
        entry per state of the truncated table (``truncation_``); values are the optimal
        orders as Python ints, equal to :meth:`predict` of any state with that key.
        ``None`` before ``fit`` and after :meth:`reset`.
        """
        result = self.result_
        if result is None:
            return None
        if isinstance(result, MultiSourcingSolution):  # aggregated state (x, A_1, ...): the same key for l_e = 0
            table, lo = np.asarray(result.order_table[0]), int(result.x_bounds[0])  # phase 0
        else:
            table, lo = np.asarray(result.policy_table), int(result.min_position)
        out: dict[tuple[int, ...], tuple[int, int]] = {}
        for index in np.ndindex(table.shape[:-1]):
            key = (lo + int(index[0]), *(int(p) for p in index[1:]))
            out[key] = (int(table[index][0]), int(table[index][1]))
        return out

    # -------------------------------------------------------------------- fitting
    def fit(
        self,
        sourcing_model: DualSourcingModel,
        max_iterations: int = 1_000_000,
        tolerance: float = 1e-7,
        validation_freq: int = 100,
        log_freq: int = 100,
        **truncation_kwargs: Any,
    ) -> DynamicProgrammingController:
        r"""Solve the average-cost dynamic program of ``sourcing_model``.

        Parameters
        ----------
        sourcing_model : DualSourcingModel or SourcingProblem
            Stationary finite-support demand, :math:`l_e < l_r`; backlog or lost sales,
            optional fixed order costs, capacities and review periods (general engine).
        max_iterations : int, default=1_000_000
            Most value-iteration sweeps.
        tolerance : float, default=1e-7
            Stop when ``upper_bound - lower_bound <= tolerance * max(1, |lower_bound|)``.
        validation_freq : int, default=100
            Sweeps between two checks of the bounds.
        log_freq : int, default=100
            Sweeps between two ``logging`` INFO messages of logger
            ``idinn.exact.dual_sourcing_dp``.
        **truncation_kwargs
            ``min_position``, ``max_position``, ``max_regular_order`` (fixed truncation
            bounds; omitted ones are chosen and widened automatically) and
            ``max_widenings``; with the general engine (class docstring) ``x_bounds``,
            ``max_orders``, ``max_widenings``, ``max_states``, ``max_bytes``.

        Returns
        -------
        self
        """
        model = self._model_to_fit(sourcing_model)
        lr, le = model.params.lead_times
        if le >= lr:
            fail(
                "sourcing_model",
                self._owner,
                "a model with expedited_lead_time < regular_lead_time (with equal lead times "
                "the cheaper supplier dominates: use single sourcing)",
                f"l_r={lr}, l_e={le}",
            )
        if self._needs_general_engine(model.params):
            self._check_keywords(truncation_kwargs, self._general_keywords)
            general = solve_multi_sourcing_average_cost(
                as_problem(model, owner=self._owner), tolerance=tolerance, max_iterations=max_iterations,
                **truncation_kwargs,
            )
            self._set_solution(general, model)
            return self
        values, probs = finite_pmf(model.demand_generator, "demand_generator", self._owner)
        self._check_keywords(truncation_kwargs, self._classic_keywords)
        with torch.no_grad():
            init = int(model.get_init_inventory().item())
        result = dual_sourcing_relative_value_iteration(
            model.params,
            values,
            probs,
            init_position=init,
            tolerance=tolerance,
            max_iterations=max_iterations,
            validation_freq=validation_freq,
            log_freq=log_freq,
            **truncation_kwargs,
        )
        self._set_solution(result, model)
        return self

    def _check_keywords(self, kwargs: dict[str, Any], allowed: tuple[str, ...]) -> None:
        for key in kwargs:
            if key not in allowed:
                raise TypeError(
                    f"{self._owner}.fit() got an unexpected keyword argument {key!r}; for this model the allowed "
                    f"keywords are {sorted(allowed)}."
                )

    def _restore_fitted_state(self, state: dict[str, Any]) -> None:
        solution = state["solution"]
        if not isinstance(solution, DualSourcingDPResult | MultiSourcingSolution):
            raise ValueError(f"The saved state of {self._owner} does not hold a dynamic-programming solution.")
        self.result_ = solution

    # --------------------------------------------------------------------- policy
    def _policy_at(self, state: torch.Tensor, period: int) -> torch.Tensor:
        result = self._solution()
        if isinstance(result, MultiSourcingSolution):
            states = state.detach().cpu().numpy() if isinstance(state, torch.Tensor) else np.asarray(state)
            orders = result.orders(states, None if result.is_stationary else period)
            return torch.as_tensor(orders, dtype=torch.float32)
        return super()._policy_at(state, period)

    def _table_orders(self, states: np.ndarray, index: int) -> np.ndarray:
        """Optimal orders (B, 2) = ``[q_r, q_e]`` for full states (B, 1 + l_r + l_e).

        Raises ``ValueError`` for a state outside the policy table (naming the state and
        the table's bounds).
        """
        return self._solution().orders(states)
