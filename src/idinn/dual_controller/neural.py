"""Neural dual-sourcing controller."""

from __future__ import annotations

from typing import Any

import torch

from .._neural import NeuralControllerMixin
from ..sourcing_model import DualSourcingModel
from .base import BaseDualController


class DualSourcingNeuralController(NeuralControllerMixin, BaseDualController):
    r"""Neural ordering policy for dual sourcing, trained through the dynamics.

    The network maps the state :math:`(I_t, q^r_{t-l_r}, \dots, q^r_{t-1}, q^e_{t-l_e},
    \dots, q^e_{t-1})` (plus the position in the season for seasonal demand) to two
    outputs; the orders are :math:`(q^r_t, q^e_t) = \lfloor \mathrm{relu}(\cdot) \rfloor`
    with a straight-through estimator (Böttcher, Asikis & Fragkos 2023).

    Parameters
    ----------
    hidden_layers : list of int, default=[128, 64, 32, 16, 8, 4]
    activation : torch.nn.Module, default=torch.nn.ReLU()

    Attributes
    ----------
    model : torch.nn.Sequential
    best_cost_ : float
        Best validation cost per period seen during ``fit``.
    history_ : list of dict
    """

    _n_outputs = 2

    def __init__(
        self,
        hidden_layers: list[int] | None = None,
        activation: torch.nn.Module | None = None,
    ) -> None:
        self._init_neural(
            [128, 64, 32, 16, 8, 4] if hidden_layers is None else hidden_layers,
            torch.nn.ReLU() if activation is None else activation,
        )

    def fit(
        self,
        sourcing_model: DualSourcingModel,
        sourcing_periods: int,
        epochs: int,
        validation_sourcing_periods: int | None = None,
        validation_freq: int = 10,
        log_freq: int = 100,
        init_inventory_freq: int = 4,
        init_inventory_lr: float = 1e-1,
        parameters_lr: float = 3e-3,
        tensorboard_writer: Any = None,
        seed: int | None = None,
        *,
        discount: float | None = None,
        progress: bool | None = None,
        warm_start: bool = False,
        validation: str = "auto",
        finite_horizon: bool = False,
        init_policy: Any = None,
        imitation_steps: int = 2000,
        revert_tolerance: float | None = None,
        optimizer: str = "adam",
    ) -> "DualSourcingNeuralController":
        """Train on simulated sample paths of ``sourcing_model``.

        Same arguments as :meth:`idinn.single_controller.SingleSourcingNeuralController.fit`
        (Adam on the network with ``parameters_lr``; RMSprop on the initial inventory).

        Returns
        -------
        self
        """
        self._fit_neural(
            sourcing_model, sourcing_periods, epochs, validation_sourcing_periods, validation_freq, log_freq,
            init_inventory_freq, init_inventory_lr, parameters_lr, tensorboard_writer, seed, discount, progress,
            warm_start=warm_start, validation=validation, finite_horizon=finite_horizon, teacher=init_policy, imitation_steps=imitation_steps,
            revert_tolerance=revert_tolerance, optimizer=optimizer,
        )
        return self
