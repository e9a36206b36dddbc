"""Neural single-sourcing controller."""

from __future__ import annotations

from typing import Any

import torch

from .._validation import check_int, fail, not_fitted
from ..dynamics import SourcingParams
from ..neural.controller import NeuralController
from ..neural.gradient import GradientTraining
from ..neural.lost_sales import (
    CappedBaseStockWarmStart,
    LostSalesPolicyImprovement,
    LostSalesPolicyWarmStart,
    lost_sales_policy_improvement_applies,
)
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
    compressed : bool, optional
        The network sees :math:`(I_t + q_{t-l}, q_{t-l+1}, \\dots, q_{t-1})` instead of the
        full state (idinn 0.2's compressed input; with :math:`l = 0` nothing changes).
        Default: ``True`` under lost sales -- the order due now arrives before demand, so
        that is Zipkin's (2008) sufficient state and the learned policy is evaluated exactly
        on it (:func:`idinn.exact.evaluate_lost_sales_policy_reduced`) -- and ``False``
        under backlog, as in idinn 0.2.
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
    excess_demand_rules = ("backlog", "lost_sales")  # the fused kernels model both (docs/neural_lost_sales.md)

    def __init__(
        self,
        hidden_layers: list[int] | None = None,
        activation: torch.nn.Module | None = None,
        compressed: bool | None = None,
        *,
        device: str | torch.device = "cpu",
    ) -> None:
        self._init_neural(
            [2] if hidden_layers is None else hidden_layers,
            torch.nn.CELU(alpha=1) if activation is None else activation,
            False if compressed is None else compressed,
            device,
        )
        # None: decided when the network is built -- compressed under lost sales, not under backlog
        self._auto_compress = compressed is None
        if compressed is None:
            self.compressed = None  # type: ignore[assignment] - resolved by _build_network

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

    @staticmethod
    def _warm_start(model: SingleSourcingModel, init_policy: Any, owner: str) -> LostSalesPolicyWarmStart:
        """The imitation stage of ``init_policy`` (see ``fit``), its parameters checked."""
        rule = ("None, a LostSalesPolicyFit, {'base_stock_level': S, 'cap': r}, {'projected_level': S~, 'cap': r or "
                "None} or {'service_level': alpha, 'cap': r or None}")
        params_ = getattr(init_policy, "parameters", init_policy)
        kinds = ({"base_stock_level", "cap"}, {"projected_level", "cap"}, {"service_level", "cap"})
        if not isinstance(params_, dict) or set(params_) not in kinds:
            fail("init_policy", owner, rule, init_policy, TypeError)
        if "projected_level" in params_ or "service_level" in params_:
            from ..exact.lost_sales_projected import build_projected, build_service

            key = "projected_level" if "projected_level" in params_ else "service_level"
            build = build_projected if key == "projected_level" else build_service
            return LostSalesPolicyWarmStart(build(model, params_[key], params_["cap"], 1e-10, owner, "init_policy['{}']"))
        level = check_int(params_["base_stock_level"], "init_policy['base_stock_level']", owner, minimum=0)
        cap = check_int(params_["cap"], "init_policy['cap']", owner, minimum=0)
        return CappedBaseStockWarmStart(level, cap)

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
        init_policy: Any = None,
        policy_iterations: int | None = None,
        policy_iteration_steps: int = 2000,
        burn_in_periods: int = 0,
        policy_iteration_max_entries: int = 400_000_000,
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
        init_policy : dict or LostSalesPolicyFit, optional
            Lost sales: imitate, before the other stages, the capped base-stock policy
            ``{"base_stock_level": S, "cap": r}`` (e.g. ``fit_lost_sales_capped_base_stock(model)``;
            :class:`idinn.neural.lost_sales.CappedBaseStockWarmStart`) or the projected
            inventory level policy ``{"projected_level": S~, "cap": r or None}`` (e.g.
            ``fit_lost_sales_projected_level(model)``) or the fixed arrival service-level
            policy ``{"service_level": alpha, "cap": r or None}`` (e.g.
            ``fit_lost_sales_service_level(model)``; both
            :class:`idinn.neural.lost_sales.LostSalesPolicyWarmStart`).
        policy_iterations : int, optional
            Lost sales: rounds of exact policy improvement
            (:class:`idinn.neural.lost_sales.LostSalesPolicyImprovement`; the network
            learns the exact DP's optimal orders on the states its policy reaches). Default
            4 for a lost-sales model with lead time >= 1, stationary demand and the
            average-cost objective (where the DP exceeds ``policy_iteration_max_entries`` the
            stage imitates the fixed arrival service level instead, see below), else 0
            (other models: must be 0).
        policy_iteration_steps : int, default=2000
            Adam steps per policy-improvement round.

        policy_iteration_max_entries : int, default=400_000_000
            Lost sales: memory budget of the exact policy-improvement stage's DP and exact
            evaluations, in 8-byte table entries (about 3 GiB; Poisson(5) demand with
            :math:`L = 6`, :math:`p = 39` needs 5.05e8). Where the DP needs more, the stage
            imitates the fixed arrival service-level policy fitted by simulation instead
            (:class:`idinn.neural.lost_sales.LostSalesPolicyImprovement`), except when
            ``init_policy`` is given (its imitation is kept). Sets ``fallback_policy_``
            (``None`` when the DP fitted or the stage did not run). The weights of these
            stages compete with the trained ones only when ``validation_sourcing_periods`` is
            given; without it the weights after the last epoch are returned.

        burn_in_periods : int, default=0
            Leave the costs of the first this many periods of each training and simulated
            validation rollout out of the objective (a running system rather than an
            empty start; see :class:`idinn.neural.TrainConfig`).

        The lost-sales recipe is described in docs/neural_lost_sales.md.

        Returns
        -------
        self
        """
        owner = type(self).__name__
        check_writer(tensorboard_writer, owner)
        model = BaseSingleController._check_model(self, sourcing_model)
        applies = lost_sales_policy_improvement_applies(model) and discount is None and not finite_horizon
        if policy_iterations is None:
            policy_iterations = 4 if applies else 0
        elif policy_iterations and not applies:
            fail("policy_iterations", owner, "0 unless the model has lost sales, lead time >= 1 and stationary demand "
                 "(average-cost objective)", policy_iterations)
        budget = check_int(policy_iteration_max_entries, "policy_iteration_max_entries", owner, minimum=1)
        warm = None if init_policy is None else self._warm_start(model, init_policy, owner)
        config = TrainConfig(
            sourcing_periods, epochs, validation_sourcing_periods, validation_freq, log_freq,
            init_inventory_freq=init_inventory_freq, init_inventory_lr=init_inventory_lr, parameters_lr=parameters_lr,
            seed=seed, discount=discount, progress=progress, warm_start=warm_start, validation=validation,
            finite_horizon=finite_horizon, tune_threads=tune_threads, policy_iterations=policy_iterations,
            policy_iteration_steps=policy_iteration_steps, burn_in_periods=burn_in_periods,
        )
        checked = config.checked(owner)
        stages: list[Any] = [] if warm is None else [warm]
        if checked.policy_iterations:
            stages.append(LostSalesPolicyImprovement(checked.policy_iterations, checked.policy_iteration_steps,
                                                     max_entries=budget, fallback=warm is None))
        stages.append(GradientTraining(tensorboard_writer))
        self.fallback_policy_ = None  # set by the exact stage when it imitates the service level instead
        self.__dict__.pop("optimal_cost_", None)  # set by the exact stage when the DP is solved
        self._fit_neural(model, config, stages, callbacks)
        return self
