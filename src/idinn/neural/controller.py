r"""The neural controller: a ``torch.nn.Module`` holding the policy network, plus its fit.

:class:`NeuralController` is shared by
:class:`idinn.single_controller.SingleSourcingNeuralController` and
:class:`idinn.dual_controller.DualSourcingNeuralController`. It is a
``torch.nn.Module`` (``parameters()``, ``state_dict()``, ``load_state_dict()``,
``to(device)``, ``train()``/``eval()``, ``forward``) like the controllers of idinn 0.2, and
composes the pieces of this package: the network (:mod:`.network`), the training stages
(:mod:`.stages`, :mod:`.gradient`) run by :func:`.training.train`, and the file format
(:mod:`.io`).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .._validation import fail, not_fitted
from ..dynamics import SourcingParams
from .callbacks import check_callbacks
from .network import (
    Compress,
    HeadedPolicy,
    OrderHead,
    build_policy_network,
    check_activation,
    check_hidden_layers,
    demand_moments,
    ste_orders,
    time_features,
    with_time_features,
)
from .training import TrainConfig, check_bool, train

logger = logging.getLogger("idinn.neural")


def check_device(device: Any, owner: str) -> torch.device:
    """``device`` as a ``torch.device`` that this machine has."""
    try:
        dev = torch.device(device)
    except (TypeError, RuntimeError):
        fail("device", owner, "a torch device such as 'cpu' or 'cuda'", device, TypeError)
    if dev.type == "cuda" and not torch.cuda.is_available():
        fail("device", owner, "'cpu' on this machine (CUDA is not available)", device)
    return dev


def relaxed_model(model: Any, keep_capacities: bool = False) -> Any:
    """``model`` without its fixed order costs and capacities (itself when it has neither).

    The heuristics that warm-start a neural controller do not model these terms; they are
    fitted to this relaxed model, and the network then trains on the model itself.
    ``keep_capacities=True`` drops the fixed costs only (for a teacher that honours
    capacities, such as the multi-index policy).
    """
    params = model.params
    caps = params.order_capacities if keep_capacities else ()
    if not params.has_fixed_costs and caps == params.order_capacities:
        return model
    problem = model.problem
    relaxed = problem.replace(params=dataclasses.replace(params, fixed_order_costs=(), order_capacities=caps))
    return type(model).from_problem(relaxed, batch_size=model.batch_size)


#: Longest review cycle lcm(R_k) a neural controller models (one-hot phase features).
MAX_REVIEW_CYCLE = 24


def review_training_model(model: Any, owner: str) -> Any:
    """The model the stages train on: ``model``, or for review periods a copy whose demand
    has the review cycle as its season, so that every stage gives the network the phase
    :math:`t \bmod C` as its calendar feature (:func:`idinn.neural.network.time_features`).

    Raises
    ------
    ValueError
        Review periods with seasonal demand, or a review cycle above ``MAX_REVIEW_CYCLE``.
    """
    params = model.params
    if not params.has_review_periods:
        return model
    if model.demand_generator.season_length is not None:
        fail("sourcing_model", owner, "a model with stationary demand when suppliers have review periods "
             "(the neural controllers do not combine seasons and review cycles)", model.demand_generator)
    if params.review_cycle > MAX_REVIEW_CYCLE:
        fail("sourcing_model", owner, f"a model whose review cycle lcm(R_k) is at most {MAX_REVIEW_CYCLE} periods",
             params.review_cycle)
    demand = copy.copy(model.demand_generator)
    demand.season_length = params.review_cycle  # stationary: only the calendar features see it
    phased = copy.copy(model)  # shares the learned initial inventory
    phased.demand_generator = demand
    return phased


class NeuralController(torch.nn.Module):
    r"""MLP policy :math:`q = \lfloor \mathrm{relu}(\mathrm{MLP}([s_t, \phi_t])) \rfloor` as a ``torch.nn.Module``.

    Subclasses set ``_n_outputs`` (suppliers) and combine this class with their base
    controller (``predict``, ``simulate``, ``plot``).
    """

    _n_outputs: int = 1
    # Capacities and fixed order costs are modelled by the network's OrderHead and the
    # autograd rollout (straight-through indicator); see docs/neural_extensions.md.
    _accepts_fixed_order_costs = True
    _accepts_order_capacities = True
    # Review periods: the phase t mod R is a calendar feature and the OrderHead zeroes
    # orders off review (stationary demand, review cycle <= MAX_REVIEW_CYCLE).
    _accepts_review_periods = True

    def _init_neural(
        self, hidden_layers: Any, activation: Any, compressed: Any = False, device: Any = "cpu"
    ) -> None:
        torch.nn.Module.__init__(self)
        owner = type(self).__name__
        self.hidden_layers = check_hidden_layers(hidden_layers, owner)
        self.activation = check_activation(activation, owner)
        self.compressed = check_bool(compressed, "compressed", owner)
        self._device = check_device(device, owner)
        self.model: torch.nn.Sequential | None = None
        self.head: OrderHead | None = None
        self.sourcing_model = None
        self.params_: SourcingParams | None = None
        self.season_length_: int | None = None
        self.horizon_: int | None = None
        self.best_cost_: float | None = None
        self.history_: list[dict[str, float]] = []
        self.cancelled_ = False

    # ---------------------------------------------------------------- network
    @property
    def device(self) -> torch.device:
        """Device of the network (``device=`` given to the constructor until it is built)."""
        if self.model is not None:
            for p in self.model.parameters():
                return p.device
        return self._device

    def _fitted_params(self) -> SourcingParams:
        if self.params_ is None or self.model is None:
            raise not_fitted(type(self).__name__)
        return self.params_

    def _n_features(self, params: SourcingParams, season_length: int | None, horizon: int | None = None) -> int:
        n = params.state_dim - (1 if self.compressed and params.lead_times[0] > 0 else 0)
        return n + time_features(season_length, 0, 1, horizon).shape[1]

    def _build_network(
        self,
        params: SourcingParams,
        season_length: int | None = None,
        seed: int | None = None,
        moments: tuple[float, float] | None = None,
        horizon: int | None = None,
        compressed: bool | None = None,
    ) -> None:
        """Build the network for ``params`` (weights from a generator seeded with ``seed``).

        ``compressed`` overrides the input layout for this network; by default a controller
        constructed with ``compressed=None`` compresses under lost sales only.
        """
        if compressed is not None:
            self.compressed = compressed
        elif getattr(self, "_auto_compress", False):
            self.compressed = params.excess_demand == "lost_sales"
        gen = torch.Generator()
        if seed is None:
            gen.seed()
        else:
            gen.manual_seed(seed)
        net = build_policy_network(
            self._n_features(params, season_length, horizon), self.hidden_layers, self._n_outputs, self.activation,
            params, gen, moments,
        )
        if self.compressed and params.lead_times[0] > 0:  # drop the inventory's own column
            shift, scale = net[0].shift, net[0].scale
            net[0] = type(net[0])(torch.cat([shift[:1], shift[2:]]), torch.cat([scale[:1], scale[2:]]))
        self.model = net.to(self._device)
        self.head = self._order_head(params, season_length)
        self.params_ = params
        self.season_length_ = season_length
        self.horizon_ = horizon

    def _order_head(self, params: SourcingParams, season_length: int | None) -> OrderHead | None:
        """The :class:`OrderHead` for ``params``: ``None`` without capacities, fixed costs and review periods."""
        if not (params.has_capacities or params.has_fixed_costs or params.has_review_periods):
            return None
        head = OrderHead(params.order_capacities, self._n_outputs, **self._review_head_args(params, season_length))
        return head.to(self._device)

    def _review_head_args(self, params: SourcingParams, season_length: int | None) -> dict[str, Any]:
        """Review mask over the calendar cycle (``season_length``, a multiple of the review cycle)."""
        if not params.has_review_periods:
            return {}
        cycle = season_length or params.review_cycle
        mask = np.array([[params.may_order(k, t) for k in range(params.n_suppliers)] for t in range(cycle)],
                        dtype=np.float32)
        return {"review_mask": mask, "phase_start": self._n_features(params, None)}

    @property
    def policy_network(self) -> torch.nn.Module:
        """The module that maps ``[state, phi]`` to outputs (compression and :class:`OrderHead` included)."""
        if self.model is None:
            raise not_fitted(type(self).__name__)
        body: torch.nn.Module = self.model
        if self.compressed and self.params_ is not None and self.params_.lead_times[0] > 0:
            body = torch.nn.Sequential(Compress(self.params_.lead_times[0]), self.model)
        head = getattr(self, "head", None)
        return body if head is None else HeadedPolicy(body, head)

    def _outputs(self, inputs: torch.Tensor) -> torch.Tensor:
        """Outputs for inputs already compressed (``prepare_inputs``): ``model`` then the head."""
        out = self.model(inputs)
        head = getattr(self, "head", None)
        return out if head is None else head(out, inputs)

    def _orders(self, x: torch.Tensor) -> torch.Tensor:
        """Integer orders (straight-through) for network inputs ``[s_t, phi_t]``, shape (B, n)."""
        return ste_orders(self.policy_network(x))

    def _policy_at(self, state: torch.Tensor, period: int) -> torch.Tensor:
        self._fitted_params()
        feats = time_features(self.season_length_, period, 1, self.horizon_)
        x = with_time_features(state.to(self.device, torch.float32), feats)
        return self._orders(x).to(state.device)

    @property
    def is_stationary(self) -> bool:
        """False when the network sees period features (seasonal demand or a finite horizon)."""
        return getattr(self, "season_length_", None) is None and getattr(self, "horizon_", None) is None

    def policy(self, state: torch.Tensor, period: int | None = None) -> torch.Tensor:
        """Orders (B, n_suppliers); ``period`` is required when the policy is period-dependent."""
        if period is None:
            if not self.is_stationary:
                fail("period", type(self).__name__, "given (an int >= 0): this controller's orders depend on the period", period)
            period = 0
        return self._policy_at(state, period)

    def _check_model(self, sourcing_model: Any) -> Any:
        model = super()._check_model(sourcing_model)  # type: ignore[misc]
        params = self.params_
        if params is not None and self.model is not None and params.lead_times != model.params.lead_times:
            fail(
                "sourcing_model", type(self).__name__,
                f"a model with the lead times the controller was fitted for {params.lead_times}",
                model.params.lead_times,
            )
        return model

    def _rollout(self, sourcing_model: Any, sourcing_periods: int, seed: int | None, batch_size: int | None = None) -> torch.Tensor:
        # Evaluation needs no autograd graph (10^5 periods at batch 1024 would keep gigabytes).
        with torch.no_grad():
            return super()._rollout(sourcing_model, sourcing_periods, seed, batch_size)  # type: ignore[misc]

    def reset(self) -> None:
        """Forget the network and the fitted model (as idinn 0.2's ``reset``)."""
        self.model = None
        self.head = None
        self.sourcing_model = None
        self.params_ = None
        self.season_length_ = None
        self.horizon_ = None
        self.best_cost_ = None
        self.history_ = []

    # ---------------------------------------------------------------- fit
    def _fit_neural(
        self,
        sourcing_model: Any,
        config: TrainConfig,
        stages: Sequence[Any],
        callbacks: Any = None,
        prepare: Any = None,
    ) -> None:
        """Validate, (re)build the network, run ``stages`` (``prepare(run_model)`` may add stages first)."""
        owner = type(self).__name__
        model = super()._check_model(sourcing_model)  # type: ignore[misc]  (fit may change lead times)
        self._check_excess_demand(model)  # type: ignore[attr-defined]  (backlog and lost sales, docs/neural_lost_sales.md)
        train_model = review_training_model(model, owner)
        config = config.checked(owner)
        cbs = check_callbacks(callbacks, owner)
        gen = torch.Generator()
        if config.seed is None:
            gen.seed()
        else:
            gen.manual_seed(config.seed)
        params = model.params
        season = train_model.demand_generator.season_length
        horizon = config.sourcing_periods if config.finite_horizon else None
        self._device = self.device  # where to.() last put the network
        if (
            not config.warm_start or self.model is None or self.params_ != params
            or self.season_length_ != season or self.horizon_ != horizon
        ):
            self._build_network(
                params, season, seed=int(torch.randint(0, 2**62, (1,), generator=gen)),
                moments=demand_moments(train_model.demand_generator), horizon=horizon,
            )
        stages = self._fixed_cost_stages(model, config, stages)
        self.sourcing_model = model
        self.imitation_agreement_: float | None = None
        self.policy_iteration_log_: list[dict[str, float]] = []
        self.history_ = []
        self.best_cost_ = None
        self.train()
        try:
            train(self, train_model, config, stages, cbs, generator=gen)
        finally:
            self.eval()

    def _fixed_cost_stages(self, model: Any, config: TrainConfig, stages: Sequence[Any]) -> list[Any]:
        """``stages``, with a warm start from the exact (s, S) policy first where it applies.

        Single sourcing with a fixed order cost, backlog, no capacity, stationary
        finite-support demand and the average-cost objective (no warm start of the
        weights, no teacher given): imitate :class:`~idinn.single_controller.SSController`
        (the exact optimum, Zheng & Federgruen 1991), then run exact policy improvement,
        then the gradient stage. Training through the dynamics alone, with the
        straight-through indicator, finds the shape of an (s, S) policy but not its
        levels (docs/neural_extensions.md has the figures).
        """
        from .stages import PolicyIteration, WarmStart

        params, demand = model.params, model.demand_generator
        applies = (
            self._n_outputs == 1 and params.has_fixed_costs and not params.has_capacities
            and not params.has_review_periods and params.excess_demand == "backlog"
            and demand.season_length is None and demand.has_finite_support
            and not config.finite_horizon and config.discount is None and not config.warm_start
            and not any(getattr(s, "name", None) == "warm_start" for s in stages)
        )
        if not applies:
            return list(stages)

        def teacher() -> Any:
            from ..single_controller.ss_policy import SSController

            return SSController().fit(model)

        return [WarmStart(teacher, steps=config.imitation_steps), PolicyIteration(10, config.policy_iteration_steps),
                *stages]

    # ---------------------------------------------------------------- save/load
    def save(self, path: str | Path) -> None:
        """Save the network, its configuration and the model parameters it was fitted for.

        The file holds plain tensors and numbers only (``torch.save`` of a dict), so
        :meth:`load` never runs code from it.
        """
        from .io import save_controller

        save_controller(self, path)

    def load(self, path: str | Path, **lead_times: int) -> Any:
        """Load a controller written by :meth:`save` or a network saved by idinn 0.2 (returns self).

        A file of idinn 0.2.0.post1 (its ``save`` pickled the ``torch.nn.Sequential``) is
        read with ``torch.load(weights_only=True)`` and only torch's layer classes allowed:
        no code from the file runs. Its lead times come from the network's input width
        (single sourcing); for dual sourcing from ``regular_lead_time=`` /
        ``expedited_lead_time=`` given here, else the lead times of this controller
        (``init_layers`` or a fit), else expedited lead time 0 (idinn 0.2's setting).

        Raises
        ------
        FileNotFoundError, ValueError
            If the file is missing or is not a saved controller of this class.
        """
        from .io import load_controller_into

        return load_controller_into(self, path, **lead_times)
