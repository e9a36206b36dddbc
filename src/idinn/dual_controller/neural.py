"""Neural dual-sourcing controller."""

from __future__ import annotations

from typing import Any

import torch

from .._neural import NeuralControllerMixin
from .._validation import fail
from ..sourcing_model import DualSourcingModel
from .base import BaseDualController


def best_heuristic(model: DualSourcingModel) -> BaseDualController:
    """The better of the fitted capped dual index and dual index policies (exact costs)."""
    from .capped_dual_index import CappedDualIndexController
    from .dual_index import DualIndexController

    fitted = [CappedDualIndexController().fit(model, seed=0), DualIndexController().fit(model, seed=0)]
    return min(fitted, key=lambda c: c.best_cost_)


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
        callbacks: Any = None,
        init_policy: Any = "auto",
        imitation_steps: int = 1000,
        revert_tolerance: float | None = 0.05,
        optimizer: str = "adam",
        policy_iterations: int | None = None,
        policy_iteration_steps: int = 1000,
        patience: int | None = 10,
        max_grad_norm: float | None = 100.0,
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
            Default 10 for stationary demand (infinite horizon), 30 for finite horizons
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

        Returns
        -------
        self
        """
        model = self._check_model(sourcing_model)
        demand = model.demand_generator
        exact_ok = demand.season_length is None and demand.has_finite_support and not finite_horizon
        # Finite horizons with finite-support (possibly seasonal) demand: exact
        # finite-horizon policy iteration applies too (no heuristic warm start).
        exact_fh = finite_horizon and demand.has_finite_support
        if isinstance(init_policy, str):
            if init_policy != "auto":
                fail("init_policy", "DualSourcingNeuralController", "'auto', None or a fitted dual controller", init_policy)
            # Fitted lazily, after every argument has been checked.
            init_policy = (lambda: best_heuristic(model)) if exact_ok and not warm_start else None
        elif init_policy is not None and not isinstance(init_policy, BaseDualController):
            fail("init_policy", "DualSourcingNeuralController", "'auto', None or a fitted dual controller", init_policy, TypeError)
        if policy_iterations is None:
            policy_iterations = 10 if exact_ok else (30 if exact_fh else 0)
        elif policy_iterations and not (exact_ok or exact_fh):
            fail(
                "policy_iterations", "DualSourcingNeuralController",
                "0 unless the demand has finite support (and is stationary for an infinite horizon)",
                policy_iterations,
            )
        self._fit_neural(
            sourcing_model, sourcing_periods, epochs, validation_sourcing_periods, validation_freq, log_freq,
            init_inventory_freq, init_inventory_lr, parameters_lr, tensorboard_writer, seed, discount, progress,
            warm_start=warm_start, validation=validation, finite_horizon=finite_horizon, callbacks=callbacks, teacher=init_policy, imitation_steps=imitation_steps,
            revert_tolerance=revert_tolerance, optimizer=optimizer,
            policy_iterations=policy_iterations, policy_iteration_steps=policy_iteration_steps, patience=patience,
            max_grad_norm=max_grad_norm,
        )
        return self
