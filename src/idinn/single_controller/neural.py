"""Neural single-sourcing controller."""

from __future__ import annotations

from typing import Any

import torch

from .._neural import NeuralControllerMixin
from ..sourcing_model import SingleSourcingModel
from .base import BaseSingleController


class SingleSourcingNeuralController(NeuralControllerMixin, BaseSingleController):
    r"""Neural ordering policy for single sourcing, trained through the dynamics.

    The policy is :math:`q_t = \lfloor \mathrm{relu}(\mathrm{MLP}_\theta(I_t, q_{t-l},
    \dots, q_{t-1})) \rfloor`; the floor is a straight-through estimator, so the total
    cost of simulated sample paths is differentiated with respect to :math:`\theta` and
    minimised by gradient descent (Adam).

    Parameters
    ----------
    hidden_layers : list of int, default=[2]
        Width of each hidden layer.
    activation : torch.nn.Module, default=torch.nn.CELU(alpha=1)
        Activation of the hidden layers. ``Identity, ReLU, CELU, ELU, LeakyReLU, Tanh,
        Sigmoid, Softplus, SiLU`` run in the fused compiled trainer; any other module
        trains through autograd.

    Attributes
    ----------
    model : torch.nn.Sequential
        The network (``None`` before ``fit``).
    best_cost_ : float
        Best validation cost per period seen during ``fit`` (its weights are restored).
    history_ : list of dict
        Per-epoch training (and validation) cost per period.

    Examples
    --------
    >>> import torch
    >>> from idinn.sourcing_model import SingleSourcingModel
    >>> from idinn.single_controller import SingleSourcingNeuralController
    >>> from idinn.demand import UniformDemand
    >>> model = SingleSourcingModel(lead_time=0, holding_cost=5, shortage_cost=495,
    ...     batch_size=32, init_inventory=10, demand_generator=UniformDemand(0, 4))
    >>> ctrl = SingleSourcingNeuralController().fit(model, sourcing_periods=50,
    ...     validation_sourcing_periods=1000, epochs=2000, seed=1)
    >>> ctrl.predict(current_inventory=1)
    3
    """

    _n_outputs = 1

    def __init__(
        self,
        hidden_layers: list[int] | None = None,
        activation: torch.nn.Module | None = None,
    ) -> None:
        self._init_neural(
            [2] if hidden_layers is None else hidden_layers,
            torch.nn.CELU(alpha=1) if activation is None else activation,
        )

    def fit(
        self,
        sourcing_model: SingleSourcingModel,
        sourcing_periods: int,
        epochs: int,
        validation_sourcing_periods: int | None = None,
        validation_freq: int = 50,
        log_freq: int = 100,
        init_inventory_freq: int = 4,
        init_inventory_lr: float = 1e-1,
        parameters_lr: float = 3e-2,
        tensorboard_writer: Any = None,
        seed: int | None = None,
        *,
        discount: float | None = None,
        progress: bool | None = None,
        warm_start: bool = False,
        validation: str = "auto",
        finite_horizon: bool = False,
        callbacks: Any = None,
    ) -> "SingleSourcingNeuralController":
        """Train the controller on simulated sample paths of ``sourcing_model``.

        Parameters
        ----------
        sourcing_model : SingleSourcingModel
            Model to train on; its ``batch_size`` paths are simulated per epoch. Its
            initial inventory is learned too (every ``init_inventory_freq`` epochs).
        sourcing_periods : int
            Periods :math:`T` per training rollout.
        epochs : int
            Number of gradient steps.
        validation_sourcing_periods : int, optional
            Periods of the (fixed, common-random-number) validation rollout. When given,
            the weights with the lowest validation cost are restored at the end.
        validation_freq : int, default=50
            Validate every this many epochs (and at the last epoch).
        log_freq : int, default=100
            Log (``logging`` at INFO) every this many epochs.
        init_inventory_freq : int, default=4
            Update the initial inventory every this many epochs.
        init_inventory_lr : float, default=0.1
            RMSprop learning rate of the initial inventory (0 freezes it).
        parameters_lr : float, default=0.03
            Adam learning rate of the network.
        tensorboard_writer : SummaryWriter, optional
            Receives ``Avg. cost per period/train`` and ``Avg. cost per period/val``.
        seed : int, optional
            Seeds a private generator for the weights and the demand (the global RNG is
            left alone). Same seed, same result on CPU.
        discount : float in (0, 1), optional
            Minimise the discounted cost :math:`\\sum_t \\gamma^t c_t` instead.
        progress : bool, optional
            Show a tqdm bar (default: when stderr is a terminal).
        warm_start : bool, default=False
            Continue from the current weights instead of re-initialising.
        finite_horizon : bool, default=False
            Minimise the expected total cost of exactly ``sourcing_periods`` periods
            from the model's initial state (which is then not learned); the network also
            sees :math:`t / T`. Validation then simulates the same horizon on a fixed set
            of at least 1024 paths.
        validation : {"auto", "exact", "simulation"}, default="auto"
            How validation costs are measured. ``"auto"``: exact long-run average cost
            (:func:`idinn.exact.evaluate_policy`, no sampling noise) when the demand is
            stationary with finite support and the objective is the average cost;
            otherwise (and for ``"simulation"``) the average over a fixed set of
            ``validation_sourcing_periods``-period sample paths (common random numbers).

        callbacks : sequence of callables, optional
            Each is called as ``cb(progress)`` with a :class:`idinn.neural.TrainingProgress`
            after every step of every stage; returning ``True`` stops training at the next
            step boundary, keeping the best weights so far (``cancelled_`` is then True).
            Ctrl-C does the same.

        Returns
        -------
        self
        """
        self._fit_neural(
            sourcing_model, sourcing_periods, epochs, validation_sourcing_periods, validation_freq, log_freq,
            init_inventory_freq, init_inventory_lr, parameters_lr, tensorboard_writer, seed, discount, progress,
            warm_start=warm_start, validation=validation, finite_horizon=finite_horizon, callbacks=callbacks,
        )
        return self
