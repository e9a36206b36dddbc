r"""Optimal dual-sourcing policy by average-cost dynamic programming."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .._validation import fail, not_fitted
from ..exact._common import finite_pmf
from ..exact.dual_sourcing_dp import DualSourcingDPResult, dual_sourcing_relative_value_iteration
from ..sourcing_model import DualSourcingModel
from .base import BaseDualController

__all__ = ["DynamicProgrammingController"]


class DynamicProgrammingController(BaseDualController):
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

    def __init__(self) -> None:
        self.sourcing_model = None
        self.result_: DualSourcingDPResult | None = None

    # --------------------------------------------------------------- fitted values
    def _result(self) -> DualSourcingDPResult:
        if self.result_ is None:
            raise not_fitted(self._owner)
        return self.result_

    @property
    def optimal_cost_(self) -> float:
        return self._result().optimal_cost

    @property
    def lower_bound_(self) -> float:
        return self._result().lower_bound

    @property
    def upper_bound_(self) -> float:
        return self._result().upper_bound

    @property
    def boundary_mass_(self) -> float:
        return self._result().boundary_mass

    @property
    def policy_table_(self) -> np.ndarray:
        return self._result().policy_table

    @property
    def truncation_(self) -> dict[str, int]:
        return self._result().truncation

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
        sourcing_model : DualSourcingModel
            Stationary finite-support demand, :math:`l_e < l_r`.
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
            ``max_widenings``.

        Returns
        -------
        self
        """
        model = self._check_model(sourcing_model)
        lr, le = model.params.lead_times
        if le >= lr:
            fail(
                "sourcing_model",
                self._owner,
                "a model with expedited_lead_time < regular_lead_time (with equal lead times "
                "the cheaper supplier dominates: use single sourcing)",
                f"l_r={lr}, l_e={le}",
            )
        values, probs = finite_pmf(model.demand_generator, "demand_generator", self._owner)
        allowed = {"min_position", "max_position", "max_regular_order", "max_widenings"}
        for key in truncation_kwargs:
            if key not in allowed:
                raise TypeError(
                    f"{self._owner}.fit() got an unexpected keyword argument {key!r}; "
                    f"truncation keywords are {sorted(allowed)}."
                )
        with torch.no_grad():
            init = int(model.get_init_inventory().item())
        self.result_ = dual_sourcing_relative_value_iteration(
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
        self.sourcing_model = model
        return self

    # --------------------------------------------------------------------- policy
    def policy(self, state: torch.Tensor) -> torch.Tensor:
        """Optimal orders (B, 2) = ``[q_r, q_e]`` for full states (B, 1 + l_r + l_e).

        Raises ``ValueError`` for a state outside the policy table (naming the state and
        the table's bounds).
        """
        result = self._result()
        arr = state.detach().cpu().numpy() if isinstance(state, torch.Tensor) else np.asarray(state)
        orders = result.orders(arr)
        return torch.as_tensor(orders, dtype=torch.float32)
