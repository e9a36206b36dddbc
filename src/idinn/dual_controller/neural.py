"""Neural dual-sourcing controller."""

from __future__ import annotations

from typing import Any

import torch

from .._validation import check_int, fail
from ..dynamics import SourcingParams
from ..neural.controller import NeuralController
from ..neural.network import ste_orders
from ..neural.gradient import GradientTraining
from ..neural.stages import FiniteHorizonPolicyIteration, PolicyIteration, WarmStart
from ..neural.training import TrainConfig, check_writer
from ..sourcing_model import DualSourcingModel
from .base import BaseDualController


def best_heuristic(model: DualSourcingModel) -> BaseDualController:
    """The better of the fitted capped dual index and dual index policies (exact costs).

    For a model with fixed order costs (which these heuristics do not model) they are
    fitted to the same model without them: a starting point only, the later stages train
    on the model itself. With capacities, the teacher is the multi-index (dual index)
    policy fitted with the capacities in place
    (:class:`~idinn.multi_controller.MultiIndexController`): a teacher whose orders
    exceed a capacity cannot be imitated through the capped output head.
    """
    from ..neural.controller import relaxed_model
    from .capped_dual_index import CappedDualIndexController
    from .dual_index import DualIndexController

    if model.params.has_capacities:
        from ..multi_controller.neural import best_multi_index

        return best_multi_index(model)  # type: ignore[return-value]

    base = relaxed_model(model)
    fitted = [CappedDualIndexController().fit(base, seed=0), DualIndexController().fit(base, seed=0)]
    return min(fitted, key=lambda c: c.best_cost_)


class DualSourcingNeuralController(NeuralController, BaseDualController):
    r"""Neural ordering policy for dual sourcing, trained through the dynamics.

    The network maps the state :math:`(I_t, q^r_{t-l_r}, \dots, q^r_{t-1}, q^e_{t-l_e},
    \dots, q^e_{t-1})` (plus the position in the season for seasonal demand) to two
    outputs; the orders are :math:`(q^r_t, q^e_t) = \lfloor \mathrm{relu}(\cdot) \rfloor`
    with a straight-through estimator (Böttcher, Asikis & Fragkos 2023).

    Order capacities and review periods are honoured by construction (an output head,
    :class:`idinn.neural.network.OrderHead`); fixed order costs are learned through the
    straight-through order indicator (:func:`idinn.neural.network.order_indicator`); such
    problems train through autograd. See docs/neural_extensions.md.

    Parameters
    ----------
    hidden_layers : list of int, default=[128, 64, 32, 16, 8, 4]
    activation : torch.nn.Module, default=torch.nn.ReLU()
    compressed : bool, default=False
        idinn 0.2's compressed input: the inventory is added to the oldest regular order
        in the pipeline, so the network sees :math:`l_r + l_e` numbers (trains through
        autograd, not the fused kernels).
    device : str or torch.device, default="cpu"
        Where the network lives and trains (fused kernels on the CPU, autograd elsewhere).

    Attributes
    ----------
    model : torch.nn.Sequential
    best_cost_ : float
        Best validation cost per period seen during ``fit``.
    history_ : list of dict
    """

    _n_outputs = 2
    excess_demand_rules = ("backlog", "lost_sales")  # the fused kernels model both (docs/neural_lost_sales.md)

    def __init__(
        self,
        hidden_layers: list[int] | None = None,
        activation: torch.nn.Module | None = None,
        compressed: bool = False,
        *,
        device: str | torch.device = "cpu",
    ) -> None:
        self._init_neural(
            [128, 64, 32, 16, 8, 4] if hidden_layers is None else hidden_layers,
            torch.nn.ReLU() if activation is None else activation,
            compressed,
            device,
        )

    # ------------------------------------------------------------ idinn 0.2 API
    def init_layers(self, regular_lead_time: int, expedited_lead_time: int) -> None:
        """Build a freshly initialised network for these lead times (idinn 0.2's ``init_layers``)."""
        owner = type(self).__name__
        lts = (
            check_int(regular_lead_time, "regular_lead_time", owner, minimum=0),
            check_int(expedited_lead_time, "expedited_lead_time", owner, minimum=0),
        )
        model = self.sourcing_model
        if model is not None and model.params.lead_times == lts:
            params = model.params
        else:
            params = SourcingParams(lead_times=lts, order_costs=(0.0, 0.0), holding_cost=0.0, shortage_cost=0.0)
        self._build_network(params)

    def prepare_inputs(
        self,
        current_inventory: Any,
        past_regular_orders: Any,
        past_expedited_orders: Any,
        sourcing_model: DualSourcingModel,
    ) -> torch.Tensor:
        """Network input for states given as in :meth:`predict` (idinn 0.2's ``prepare_inputs``).

        Returns
        -------
        torch.Tensor of shape (B, 1 + l_r + l_e)
            ``[I_t, regular pipeline, expedited pipeline]`` (``compressed``: (B, l_r + l_e)
            with :math:`I_t` added to the oldest regular order), lead times of ``sourcing_model``.
        """
        model = BaseDualController._check_model(self, sourcing_model)
        l_r, l_e = model.params.lead_times
        inv, _ = self._inventory_tensor(current_inventory)
        b = inv.shape[0]
        reg = self._pipeline_tensor(past_regular_orders, l_r, b, "past_regular_orders")
        exp = self._pipeline_tensor(past_expedited_orders, l_e, b, "past_expedited_orders")
        x = torch.cat([inv[:, None], reg, exp], dim=1)
        if self.compressed and l_r > 0:
            x = torch.cat([x[:, 1:2] + x[:, :1], x[:, 2:]], dim=1)
        return x

    def forward(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Regular and expedited orders, each (B, 1), for inputs from :meth:`prepare_inputs`."""
        self._fitted_params()
        q = ste_orders(self._outputs(inputs.to(self.device, torch.float32)))
        return q[:, [0]], q[:, [1]]

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
        callbacks: Any = None,
        init_policy: Any = "auto",
        imitation_steps: int = 1000,
        revert_tolerance: float | None = 0.05,
        optimizer: str = "adam",
        policy_iterations: int | None = None,
        policy_iteration_steps: int = 1000,
        patience: int | None = 10,
        max_grad_norm: float | None = 100.0,
        tune_threads: bool = True,
    ) -> "DualSourcingNeuralController":
        r"""Train the controller for ``sourcing_model``.

        The default recipe, for stationary finite-support demand and the average-cost
        objective, has three stages:

        1. **Warm start** (``init_policy="auto"``): the better of the fitted capped dual
           index and dual index policies (exact costs) is imitated by regression on the
           states it visits (``imitation_steps`` Adam steps).
        2. **Policy improvement** (``policy_iterations``, default 10): the network's policy
           is evaluated exactly on its reachable states (discounted values with
           :math:`\gamma = 0.999` as relative values), each visited state's orders are
           improved by one-step look-ahead over a neighbourhood of +-2 units, and the
           network is trained to reproduce the improved orders; an iteration is kept only
           if the network's exact cost falls (approximate policy iteration).
        3. **Training through the dynamics**: ``epochs`` steps of Adam on the total cost
           of simulated paths (straight-through integer orders), validated exactly every
           ``validation_freq`` epochs; the best weights are restored and training stops
           after ``patience`` validations without improvement; whenever the validation
           cost is more than ``revert_tolerance`` above the best, the best weights are
           reloaded (steps that wreck the policy are undone).

        With ``discount`` the same stages run on the discounted objective (exact discounted
        values with that factor). With ``finite_horizon=True`` and finite-support demand
        (seasonal too), stage 2 is exact finite-horizon policy iteration on the states the
        network's time-dependent policy reaches (no warm start). Otherwise only stage 3
        runs (from a constant-order initialisation). Arguments shared with
        :meth:`idinn.single_controller.SingleSourcingNeuralController.fit` mean the same.

        Parameters
        ----------
        init_policy : "auto", None or fitted dual controller, default="auto"
            Policy to imitate first. ``None``: start from the constant policy that orders
            the mean demand regularly.
        imitation_steps : int, default=1000
        policy_iterations : int, optional
            Default 10 for stationary demand (infinite horizon; 30 with fixed order costs), 30 for finite horizons
            with finite-support demand (exact finite-horizon policy iteration), else 0.
        policy_iteration_steps : int, default=1000
            Regression steps per policy-improvement iteration.
        patience : int or None, default=10
            Early stopping of stage 3 (in validations); ``None`` runs all epochs.
        optimizer : {"adam", "rmsprop"}, default="adam"
        max_grad_norm : float or None, default=100
            Clip the gradient norm of each step in stage 3.
        revert_tolerance : float or None, default=0.05
            In stage 3, reload the best weights whenever the validation cost exceeds the
            best by this fraction (``None``: never).

        callbacks : sequence of callables, optional
            Each is called as ``cb(progress)`` with a :class:`idinn.neural.TrainingProgress`
            after every step of every stage; returning ``True`` stops training at the next
            step boundary, keeping the best weights so far (``cancelled_`` is then True).
            Ctrl-C does the same.
        tune_threads : bool, default=True
            One torch/BLAS thread and flushed denormals while training, all restored
            afterwards (see :class:`idinn.neural.TrainConfig`).

        Returns
        -------
        self
        """
        owner = "DualSourcingNeuralController"
        model = BaseDualController._check_model(self, sourcing_model)
        self._check_excess_demand(model)
        check_writer(tensorboard_writer, owner)
        demand = model.demand_generator
        exact_ok = demand.season_length is None and demand.has_finite_support and not finite_horizon
        # Review periods: the policy depends on the phase t mod R, which the stationary
        # policy improvement does not model; the dual heuristics model a periodic regular
        # supplier only.
        periodic = model.params.has_review_periods
        teacher_ok = exact_ok and not (periodic and model.params.review_period(1) > 1)
        exact_ok = exact_ok and not periodic
        # Finite horizons with finite-support (possibly seasonal) demand: exact
        # finite-horizon policy iteration applies too (no heuristic warm start).
        exact_fh = finite_horizon and demand.has_finite_support
        if isinstance(init_policy, str):
            if init_policy != "auto":
                fail("init_policy", owner, "'auto', None or a fitted dual controller", init_policy)
            # Fitted lazily, after every argument has been checked.
            init_policy = (lambda: best_heuristic(model)) if teacher_ok and not warm_start else None
        elif init_policy is not None and not isinstance(init_policy, BaseDualController):
            fail("init_policy", owner, "'auto', None or a fitted dual controller", init_policy, TypeError)
        exact_fh = exact_fh and not periodic
        if policy_iterations is None:
            # fixed costs: batching is reached in many small steps of +-2 units (30 rounds)
            policy_iterations = (30 if model.params.has_fixed_costs else 10) if exact_ok else (30 if exact_fh else 0)
        elif policy_iterations and not (exact_ok or exact_fh):
            fail(
                "policy_iterations", owner,
                "0 unless the demand has finite support (and is stationary for an infinite horizon)"
                + (" and every supplier can order every period" if periodic else ""),
                policy_iterations,
            )
        config = TrainConfig(
            sourcing_periods, epochs, validation_sourcing_periods, validation_freq, log_freq, init_inventory_freq,
            init_inventory_lr, parameters_lr, seed, discount, progress, warm_start, validation, finite_horizon,
            imitation_steps=imitation_steps, policy_iterations=policy_iterations,
            policy_iteration_steps=policy_iteration_steps, revert_tolerance=revert_tolerance, optimizer=optimizer,
            patience=patience, max_grad_norm=max_grad_norm, tune_threads=tune_threads,
        )
        checked = config.checked(owner)
        stages: list[Any] = []
        if init_policy is not None:
            stages.append(WarmStart(init_policy, steps=checked.imitation_steps))
        if checked.policy_iterations > 0 and finite_horizon:
            stages.append(FiniteHorizonPolicyIteration(
                checked.policy_iterations, checked.policy_iteration_steps, checked.sourcing_periods, checked.discount
            ))
        elif checked.policy_iterations > 0:
            stages.append(PolicyIteration(checked.policy_iterations, checked.policy_iteration_steps, checked.discount))
        stages.append(GradientTraining(tensorboard_writer))
        self._fit_neural(model, config, stages, callbacks)
        return self
