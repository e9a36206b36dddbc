"""Neural controller for :math:`K \\le 5` suppliers (:class:`idinn.MultiSourcingModel`)."""

from __future__ import annotations

from typing import Any

import torch

from .._validation import fail
from ..dynamics import SourcingParams
from ..neural.controller import NeuralController, relaxed_model
from ..neural.gradient import GradientTraining
from ..neural.stages import PolicyIteration, WarmStart
from ..neural.training import TrainConfig, check_writer
from .base import BaseMultiController

__all__ = ["MultiSourcingNeuralController", "best_multi_index"]


def best_multi_index(model: Any) -> BaseMultiController:
    """The multi-index base-stock policy fitted by exact evaluation (the warm-start teacher).

    Fitted to :func:`~idinn.neural.controller.relaxed_model` without the fixed costs (it
    honours capacities and review periods), a starting point only: the later stages train
    on the model itself.
    """
    from .multi_index import MultiIndexController

    return MultiIndexController().fit(relaxed_model(model, keep_capacities=True))


class MultiSourcingNeuralController(NeuralController, BaseMultiController):
    r"""Neural ordering policy for :math:`1 \le K \le 5` suppliers, trained through the dynamics.

    The network maps the state :math:`(I_t, \text{pipeline of supplier } 0, \dots,
    \text{pipeline of supplier } K-1)` (plus calendar features for seasonal demand) to
    :math:`K` outputs; the orders are :math:`q^k_t = \lfloor \mathrm{relu}(o_k) \rfloor`
    with a straight-through estimator (Böttcher, Asikis & Fragkos 2023), bounded by the
    capacities :math:`u_k` by construction (:class:`idinn.neural.network.OrderHead`).
    Fixed order costs are learned through the straight-through order indicator
    (:func:`idinn.neural.network.order_indicator`). See docs/neural_extensions.md.

    Parameters
    ----------
    hidden_layers : list of int, default=[128, 64, 32, 16, 8, 4]
    activation : torch.nn.Module, default=torch.nn.ReLU()
    device : str or torch.device, default="cpu"

    Attributes
    ----------
    model : torch.nn.Sequential
    best_cost_ : float
        Best validation cost per period seen during ``fit`` (exact when the chain is small).
    teacher_cost_ : float or None
        Exact cost of the multi-index policy imitated first (``None`` without warm start).
    """

    def __init__(
        self,
        hidden_layers: list[int] | None = None,
        activation: torch.nn.Module | None = None,
        *,
        device: str | torch.device = "cpu",
    ) -> None:
        self._n_outputs = 1
        self._init_neural(
            [128, 64, 32, 16, 8, 4] if hidden_layers is None else hidden_layers,
            torch.nn.ReLU() if activation is None else activation,
            False,
            device,
        )
        self.teacher_cost_: float | None = None

    def _build_network(self, params: SourcingParams, *args: Any, **kwargs: Any) -> None:
        self._n_outputs = params.n_suppliers
        super()._build_network(params, *args, **kwargs)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Orders (B, K) for network inputs ``[I_t, pipelines]`` (B, state_dim)."""
        self._fitted_params()
        return self._orders(inputs.to(self.device, torch.float32))

    def fit(
        self,
        sourcing_model: Any,
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
    ) -> "MultiSourcingNeuralController":
        r"""Train the controller for ``sourcing_model`` (a MultiSourcingModel or a SourcingProblem).

        The recipe of :meth:`idinn.dual_controller.DualSourcingNeuralController.fit` for
        :math:`K` suppliers:

        1. **Warm start** (``init_policy="auto"``, stationary finite-support demand): the
           multi-index base-stock policy (:class:`~idinn.multi_controller.MultiIndexController`,
           fitted by exact evaluation) is imitated by regression.
        2. **Policy improvement** (``policy_iterations``, default 10 there): exact
           evaluation of the network's policy, one-step look-ahead over orders within
           +-2 of the current ones (within the capacities), regression onto the improved
           orders; a round is kept only if the exact cost falls.
        3. **Training through the dynamics** (``epochs`` Adam steps, straight-through
           orders; fused kernels for plain problems, autograd when the problem has fixed
           costs or capacities), validated exactly where the chain is small.

        Arguments mean the same as for the dual controller. ``init_policy`` may also be a
        fitted multi-supplier controller, or ``None`` (constant start).

        Returns
        -------
        self
        """
        owner = type(self).__name__
        model = self._model_to_fit(sourcing_model)
        check_writer(tensorboard_writer, owner)
        demand = model.demand_generator
        teacher_ok = demand.season_length is None and demand.has_finite_support
        # Review periods: the policy depends on the phase t mod R, which the stationary
        # policy improvement does not model (the multi-index teacher does).
        exact_ok = teacher_ok and not model.params.has_review_periods
        if isinstance(init_policy, str):
            if init_policy != "auto":
                fail("init_policy", owner, "'auto', None or a fitted multi-supplier controller", init_policy)
            init_policy = (lambda: best_multi_index(model)) if teacher_ok and not warm_start else None
        elif init_policy is not None and not hasattr(init_policy, "_policy_at"):
            fail("init_policy", owner, "'auto', None or a fitted multi-supplier controller", init_policy, TypeError)
        if policy_iterations is None:
            policy_iterations = 10 if exact_ok else 0
        elif policy_iterations and not exact_ok:
            fail("policy_iterations", owner, "0 unless the demand is stationary with finite support and every "
                 "supplier can order every period", policy_iterations)
        config = TrainConfig(
            sourcing_periods, epochs, validation_sourcing_periods, validation_freq, log_freq, init_inventory_freq,
            init_inventory_lr, parameters_lr, seed, discount, progress, warm_start, validation, False,
            imitation_steps=imitation_steps, policy_iterations=policy_iterations,
            policy_iteration_steps=policy_iteration_steps, revert_tolerance=revert_tolerance, optimizer=optimizer,
            patience=patience, max_grad_norm=max_grad_norm, tune_threads=tune_threads,
        )
        checked = config.checked(owner)
        stages: list[Any] = []
        self.teacher_cost_ = None
        if init_policy is not None:
            stages.append(WarmStart(self._remember_teacher(init_policy), steps=checked.imitation_steps))
        if checked.policy_iterations > 0:
            stages.append(PolicyIteration(checked.policy_iterations, checked.policy_iteration_steps, checked.discount))
        stages.append(GradientTraining(tensorboard_writer))
        self._fit_neural(model, config, stages, callbacks)
        return self

    def _remember_teacher(self, teacher: Any) -> Any:
        """The teacher (or a factory of it) that records its exact cost in ``teacher_cost_``."""

        def make() -> Any:
            fitted = teacher() if callable(teacher) and not hasattr(teacher, "_policy_at") else teacher
            self.teacher_cost_ = getattr(fitted, "best_cost_", None)
            return fitted

        return make
