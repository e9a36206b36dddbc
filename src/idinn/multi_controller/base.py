"""Base class of the controllers for :math:`K` suppliers (:class:`~idinn.MultiSourcingModel`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from .._controller import BaseController
from .._validation import fail
from ..multi_sourcing_model import MultiSourcingModel
from ..problem import MAX_SUPPLIERS
from ..sourcing_model import BaseSourcingModel

__all__ = ["BaseMultiController"]


class BaseMultiController(BaseController):
    """API shared by the controllers of :math:`1 \\le K \\le 5` suppliers.

    ``fit`` takes a :class:`~idinn.MultiSourcingModel` or a
    :class:`~idinn.problem.SourcingProblem` with any number of suppliers up to 5 (a
    ``SingleSourcingModel`` or ``DualSourcingModel`` is accepted too: the state layout is
    the same). Subclasses implement ``fit`` (setting ``sourcing_model``) and
    ``_policy_at``, which maps states ``[I_t, pipeline of supplier 0, ...]`` (B,
    state_dim) to orders (B, K), column ``k`` for supplier ``k``.
    """

    _model_class = MultiSourcingModel

    def _check_model(self, sourcing_model: Any) -> BaseSourcingModel:
        if not isinstance(sourcing_model, BaseSourcingModel):
            fail("sourcing_model", self._owner, "a MultiSourcingModel (or a SourcingProblem)",
                 type(sourcing_model).__name__, TypeError)
        if sourcing_model.params.n_suppliers > MAX_SUPPLIERS:
            fail("sourcing_model", self._owner, f"a model with 1 to {MAX_SUPPLIERS} suppliers",
                 sourcing_model.params.n_suppliers)
        self._check_supported_terms(sourcing_model.params)
        return sourcing_model

    def _state_from_inputs(self, current_inventory: Any, past_orders: Any) -> tuple[torch.Tensor, bool]:
        params = self._fitted_params()
        n = params.n_suppliers
        inv, scalar = self._inventory_tensor(current_inventory)
        b = inv.shape[0]
        if past_orders is None:
            past_orders = [None] * n
        if isinstance(past_orders, str | bytes) or not isinstance(past_orders, Sequence) or len(past_orders) != n:
            fail("past_orders", self._owner, f"None or a list of {n} past-order lists (one per supplier, oldest "
                 "first)", past_orders, TypeError)
        pipes = [self._pipeline_tensor(p, lt, b, "past_orders") for p, lt in zip(past_orders, params.lead_times)]
        return torch.cat([inv[:, None], *pipes], dim=1), scalar

    def predict(
        self,
        current_inventory: Any,
        past_orders: Sequence[Any] | None = None,
        output_tensor: bool = False,
        period: int = 0,
    ) -> tuple[int, ...] | torch.Tensor:
        """Orders to place now, one per supplier.

        Parameters
        ----------
        current_inventory : int, float or tensor of shape (B,) or (B, 1)
            Net inventory :math:`I_t`.
        past_orders : list of K (list or tensor), optional
            Past orders of each supplier, oldest first; the last :math:`l_k` form supplier
            :math:`k`'s pipeline (left-padded with zeros when shorter; ``None`` = empty).
        output_tensor : bool, default=False
            Return a (B, K) tensor even for a single state.
        period : int, default=0
            Calendar period :math:`t` (review periods and time-aware controllers).

        Returns
        -------
        tuple of K ints for a single number ``current_inventory``; otherwise a (B, K) tensor.
        """
        state, scalar = self._state_from_inputs(current_inventory, past_orders)
        with torch.no_grad():
            q = self.policy(state, period)
        if scalar and not output_tensor:
            return tuple(int(x) for x in q[0].tolist())
        return q

    def simulate(
        self, sourcing_model: BaseSourcingModel, sourcing_periods: int, seed: int | None = None
    ) -> tuple[np.ndarray, ...]:
        """One sample path from the initial state (on a copy: the model keeps its paths).

        Returns
        -------
        past_inventories, past_orders_0, ..., past_orders_{K-1} : ndarray, shape (T + 1,)
            The inventory, then each supplier's orders (entry 0 the zero placeholder, entry
            :math:`t + 1` the order of period :math:`t`); with two suppliers the same as
            ``BaseDualController.simulate`` (regular, expedited).
        """
        inv, orders = self._simulate(sourcing_model, sourcing_periods, seed)
        return (inv, *(orders[:, k] for k in range(orders.shape[1])))

    def plot(
        self,
        sourcing_model: BaseSourcingModel,
        sourcing_periods: int,
        linewidth: float = 1,
        seed: int | None = None,
        ax: Any = None,
    ) -> tuple[Any, np.ndarray]:
        """Plot the inventory and each supplier's orders along one path; returns ``(figure, axes)``."""
        inv, *orders = self.simulate(sourcing_model, sourcing_periods, seed)
        colors = ["tab:green", "tab:orange", "tab:red", "tab:purple", "tab:brown"]
        series = [("Inventory", inv, "tab:blue")] + [
            (f"Supplier {k} order (l={lt})", orders[k], colors[k % len(colors)])
            for k, lt in enumerate(self._fitted_params().lead_times)
        ]
        return self._plot(series, sourcing_periods, linewidth, ax)
