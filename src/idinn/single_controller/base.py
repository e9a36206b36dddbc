"""Base class of single-sourcing controllers."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .._controller import BaseController
from ..sourcing_model import SingleSourcingModel


class BaseSingleController(BaseController):
    """Paper API shared by single-sourcing controllers.

    Subclasses implement ``fit`` (setting ``sourcing_model``) and ``_policy_at(state, period)``
    (see :class:`idinn._controller.BaseController`).
    """

    _model_class = SingleSourcingModel

    def predict(
        self,
        current_inventory: Any,
        past_orders: Any = None,
        output_tensor: bool = False,
        period: int = 0,
    ) -> int | torch.Tensor:
        """Order to place now.

        Parameters
        ----------
        current_inventory : int, float or tensor of shape (B,) or (B, 1)
            Net inventory :math:`I_t` (negative = backlog).
        past_orders : list or tensor of shape (n,) or (B, n), optional
            Past orders, oldest first; the last :math:`l` are the pipeline (shorter input
            is left-padded with zeros, ``None`` = empty pipeline).
        output_tensor : bool, default=False
            Return a (B, 1) tensor even for a single state.
        period : int, default=0
            Calendar period (only time-aware controllers use it).

        Returns
        -------
        int for a single number ``current_inventory``; otherwise a (B, 1) tensor.
        """
        params = self._fitted_params()
        inv, scalar = self._inventory_tensor(current_inventory)
        pipe = self._pipeline_tensor(past_orders, params.lead_times[0], inv.shape[0], "past_orders")
        state = torch.cat([inv[:, None], pipe], dim=1)
        with torch.no_grad():
            q = self._policy_at(state, period)
        if scalar and not output_tensor:
            return int(q[0, 0].item())
        return q[:, :1]

    def simulate(
        self, sourcing_model: SingleSourcingModel, sourcing_periods: int, seed: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """One sample path from the initial state.

        Returns
        -------
        past_inventories : ndarray, shape (sourcing_periods + 1,)
            :math:`I_0, \\dots, I_T`.
        past_orders : ndarray, shape (sourcing_periods + 1,)
            0, then :math:`q_0, \\dots, q_{T-1}`.
        """
        inv, orders = self._simulate(sourcing_model, sourcing_periods, seed)
        return inv, orders[:, 0]

    def plot(
        self,
        sourcing_model: SingleSourcingModel,
        sourcing_periods: int,
        linewidth: float = 1,
        seed: int | None = None,
        ax: Any = None,
    ) -> tuple[Any, np.ndarray]:
        """Plot inventory and orders of one simulated path; returns ``(figure, axes)``."""
        inv, orders = self.simulate(sourcing_model, sourcing_periods, seed)
        return self._plot(
            [("Inventory", inv, "tab:blue"), ("Order", orders, "tab:orange")], sourcing_periods, linewidth, ax
        )
