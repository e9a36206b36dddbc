"""Neural single-sourcing controller."""

from __future__ import annotations

from typing import Any

import torch

from .._validation import check_int, not_fitted
from ..dynamics import SourcingParams
from ..neural.controller import NeuralController
from ..neural.gradient import GradientTraining
from ..neural.training import TrainConfig, check_writer
from ..sourcing_model import SingleSourcingModel
from .base import BaseSingleController


class SingleSourcingNeuralController(NeuralController, BaseSingleController):
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
    compressed : bool, default=False
        Accepted for compatibility with idinn 0.2 (single sourcing has nothing to compress).
    device : str or torch.device, default="cpu"
        Where the network lives and trains. On the CPU training runs in fused compiled
        kernels; elsewhere (``"cuda"``) through autograd. ``to(device)`` moves it later.

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
        compressed: bool = False,
        *,
        device: str | torch.device = "cpu",
    ) -> None:
        self._init_neural(
            [2] if hidden_layers is None else hidden_layers,
            torch.nn.CELU(alpha=1) if activation is None else activation,
            compressed,
            device,
        )

    # ------------------------------------------------------------ idinn 0.2 API
    def init_layers(self, lead_time: int | None = None) -> None:
        """Build a freshly initialised network (idinn 0.2's ``init_layers``).

        Parameters
        ----------
        lead_time : int, optional
            Lead time :math:`l`; default: that of the sourcing model the controller was
            fitted with.
        """
        owner = type(self).__name__
        if lead_time is None:
            if self.sourcing_model is None and self.params_ is None:
                raise not_fitted(owner)
            params = self.sourcing_model.params if self.sourcing_model is not None else self.params_
        else:
            lt = check_int(lead_time, "lead_time", owner, minimum=0)
            params = SourcingParams(lead_times=(lt,), order_costs=(0.0,), holding_cost=0.0, shortage_cost=0.0)
        self._build_network(params)

    def prepare_inputs(self, current_inventory: Any, past_orders: Any = None) -> torch.Tensor:
        """Network input ``[I_t, q_{t-l}, ..., q_{t-1}]``, shape (B, 1 + l) (idinn 0.2's ``prepare_inputs``)."""
        params = self._fitted_params() if self.params_ is not None else self._check_fitted().params
        inv, _ = self._inventory_tensor(current_inventory)
        pipe = self._pipeline_tensor(past_orders, params.lead_times[0], inv.shape[0], "past_orders")
        return torch.cat([inv[:, None], pipe], dim=1)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Orders :math:`\\lfloor \\mathrm{relu}(\\mathrm{MLP}(x)) \\rfloor` (B, 1) for inputs from :meth:`prepare_inputs`."""
        self._fitted_params()
        return self._orders(inputs.to(self.device, torch.float32))

    def fit(
        self,
        sourcing_model: SingleSourcingModel,
        sourcing_periods: int,
        epochs: int,
        validation_sourcing_periods: int | None = None,
        validation_freq: int = 50,
        log_freq: int = 100,
        init_inventory_lr: float = 1e-1,
        init_inventory_freq: int = 4,
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
        tune_threads: bool = True,
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
        init_inventory_lr : float, default=0.1
            RMSprop learning rate of the initial inventory (0 freezes it).
        init_inventory_freq : int, default=4
            Update the initial inventory every this many epochs.
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
        tune_threads : bool, default=True
            Train on one torch/BLAS thread with denormals flushed (faster for these small
            networks); the process settings, a user's flush-denormal mode included, are
            restored afterwards. See :class:`idinn.neural.TrainConfig`.

        Returns
        -------
        self
        """
        check_writer(tensorboard_writer, type(self).__name__)
        config = TrainConfig(
            sourcing_periods, epochs, validation_sourcing_periods, validation_freq, log_freq,
            init_inventory_freq=init_inventory_freq, init_inventory_lr=init_inventory_lr, parameters_lr=parameters_lr,
            seed=seed, discount=discount, progress=progress, warm_start=warm_start, validation=validation,
            finite_horizon=finite_horizon, tune_threads=tune_threads,
        )
        self._fit_neural(sourcing_model, config, [GradientTraining(tensorboard_writer)], callbacks)
        return self
