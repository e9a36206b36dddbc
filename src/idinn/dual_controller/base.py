"""Base class of dual-sourcing controllers."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .._controller import BaseController
from ..sourcing_model import DualSourcingModel


class BaseDualController(BaseController):
    """Paper API shared by dual-sourcing controllers.

    Subclasses implement ``fit`` (setting ``sourcing_model``) and ``_policy_at``, which maps
    states ``[I_t, r_1..r_{l_r}, e_1..e_{l_e}]`` (B, state_dim) to orders (B, 2):
    column 0 regular, column 1 expedited.
    """

    _model_class = DualSourcingModel

    def _state_from_inputs(
        self, current_inventory: Any, past_regular_orders: Any, past_expedited_orders: Any
    ) -> tuple[torch.Tensor, bool]:
        params = self._fitted_params()
        inv, scalar = self._inventory_tensor(current_inventory)
        b = inv.shape[0]
        reg = self._pipeline_tensor(past_regular_orders, params.lead_times[0], b, "past_regular_orders")
        exp = self._pipeline_tensor(past_expedited_orders, params.lead_times[1], b, "past_expedited_orders")
        return torch.cat([inv[:, None], reg, exp], dim=1), scalar

    def predict(
        self,
        current_inventory: Any,
        past_regular_orders: Any = None,
        past_expedited_orders: Any = None,
        output_tensor: bool = False,
        period: int = 0,
    ) -> tuple[int, int] | tuple[torch.Tensor, torch.Tensor]:
        """Regular and expedited orders to place now.

        Parameters
        ----------
        current_inventory : int, float or tensor of shape (B,) or (B, 1)
            Net inventory :math:`I_t`.
        past_regular_orders, past_expedited_orders : list or tensor, optional
            Past orders, oldest first; the last :math:`l_r` (:math:`l_e`) form the
            pipelines (left-padded with zeros when shorter; ``None`` = empty).
        output_tensor : bool, default=False
            Return (B, 1) tensors even for a single state.
        period : int, default=0
            Calendar period (time-aware controllers only).

        Returns
        -------
        (int, int) for a single number ``current_inventory``; otherwise two (B, 1) tensors.
        """
        state, scalar = self._state_from_inputs(current_inventory, past_regular_orders, past_expedited_orders)
        with torch.no_grad():
            q = self._policy_at(state, period)
        if scalar and not output_tensor:
            return int(q[0, 0].item()), int(q[0, 1].item())
        return q[:, :1], q[:, 1:2]

    def simulate(
        self, sourcing_model: DualSourcingModel, sourcing_periods: int, seed: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One sample path from the initial state.

        Returns
        -------
        past_inventories, past_regular_orders, past_expedited_orders : ndarray, shape (T + 1,)
        """
        inv, orders = self._simulate(sourcing_model, sourcing_periods, seed)
        return inv, orders[:, 0], orders[:, 1]

    def plot(
        self,
        sourcing_model: DualSourcingModel,
        sourcing_periods: int,
        linewidth: float = 1,
        seed: int | None = None,
        ax: Any = None,
    ) -> tuple[Any, np.ndarray]:
        """Plot inventory, regular and expedited orders of one path; returns ``(figure, axes)``."""
        inv, reg, exp = self.simulate(sourcing_model, sourcing_periods, seed)
        return self._plot(
            [
                ("Inventory", inv, "tab:blue"),
                ("Regular order", reg, "tab:green"),
                ("Expedited order", exp, "tab:orange"),
            ],
            sourcing_periods,
            linewidth,
            ax,
        )
