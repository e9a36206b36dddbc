"""Training, saving and loading of neural controllers (shared by single and dual sourcing)."""

from __future__ import annotations

import copy
import logging
import math
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ._mlp import (
    activation_from_config,
    activation_to_config,
    build_mlp,
    check_activation,
    check_hidden_layers,
)
from ._rollout import FusedMLP, Standardize, ste_orders, torch_rollout_cost
from ._validation import check_int, check_real, check_seed, fail, not_fitted
from .dynamics import SourcingParams
from .sourcing_model import BaseSourcingModel

logger = logging.getLogger("idinn.neural")

_FORMAT = "idinn-controller"
_VERSION = 1


def time_features(season_length: int | None, start: int, periods: int, horizon: int | None = None) -> np.ndarray:
    r"""Features :math:`\phi_t` of the calendar position, shape (periods, m).

    For seasonal demand: one-hot of :math:`t \bmod S` for seasons up to 24 periods,
    otherwise :math:`(\sin, \cos)(2\pi k t / S)` for :math:`k = 1, 2, 3`. For a finite
    horizon :math:`T`: one more column :math:`t / T` (the end of the horizon changes the
    optimal orders). Empty for stationary demand and the average or discounted objective.
    """
    t = np.arange(start, start + periods)
    extra = np.zeros((periods, 0), dtype=np.float32)
    if horizon is not None:
        extra = (np.minimum(t, horizon) / horizon).astype(np.float32)[:, None]
    if season_length is None:
        return extra
    if season_length <= 24:
        out = np.zeros((periods, season_length), dtype=np.float32)
        out[np.arange(periods), t % season_length] = 1.0
        return np.concatenate([out, extra], axis=1)
    cols = []
    for k in (1, 2, 3):
        angle = 2 * np.pi * k * (t % season_length) / season_length
        cols += [np.sin(angle), np.cos(angle)]
    return np.concatenate([np.stack(cols, axis=1).astype(np.float32), extra], axis=1)


def demand_moments(demand: Any) -> tuple[float, float]:
    """Mean and standard deviation of demand, averaged over a season."""
    periods = range(demand.season_length or 1)
    if demand.has_finite_support:
        means, variances = [], []
        for t in periods:
            v, p = demand.pmf(t)
            m = float(np.dot(v, p))
            means.append(m)
            variances.append(float(np.dot((v - m) ** 2, p)))
        return float(np.mean(means)), float(math.sqrt(np.mean(variances) + np.var(means)))
    mean = float(np.mean([demand.mean(t) for t in periods]))
    return mean, math.sqrt(max(mean, 1e-12))


def input_standardization(params: SourcingParams, mean: float, std: float) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Shift and scale of the state features :math:`[I_t, \text{pipelines}]`.

    Inventory: shift :math:`\mu`, scale :math:`\max(1, \sigma\sqrt{l_1 + 1})`; first
    supplier's pipeline: :math:`(\mu, \max(1, \sigma))`; other pipelines: :math:`(0, \max(1, \sigma))`.
    """
    shift = [mean]
    scale = [max(1.0, std * math.sqrt(params.lead_times[0] + 1))]
    for k, lt in enumerate(params.lead_times):
        shift += [mean if k == 0 else 0.0] * lt
        scale += [max(1.0, std)] * lt
    return torch.tensor(shift), torch.tensor(scale)


def interval_loss(out: torch.Tensor, orders: torch.Tensor, margin: float = 0.2) -> torch.Tensor:
    r"""Squared distance of the outputs :math:`o` to the interval that orders :math:`q`.

    :math:`\lfloor \mathrm{relu}(o) \rfloor = q` for :math:`o \in [q, q+1)` (any
    :math:`o < 1` for :math:`q = 0`); the loss is zero on :math:`[q + m, q + 1 - m]` (no
    lower bound for :math:`q = 0`) and quadratic outside, so the network only has to land
    in the right interval, not on a point.
    """
    low = torch.where(orders > 0, orders + margin, torch.full_like(orders, -math.inf))
    high = orders + 1 - margin
    return (torch.relu(low - out) ** 2 + torch.relu(out - high) ** 2).mean()


def _init_weights(net: torch.nn.Sequential, generator: torch.Generator) -> None:
    """PyTorch's default ``Linear`` initialisation, drawn from ``generator``."""
    with torch.no_grad():
        for m in net:
            if isinstance(m, torch.nn.Linear):
                bound = 1.0 / math.sqrt(m.in_features)
                m.weight.uniform_(-bound, bound, generator=generator)
                m.bias.uniform_(-bound, bound, generator=generator)


class NeuralControllerMixin:
    """MLP policy :math:`q = \\lfloor \\mathrm{relu}(\\mathrm{MLP}([s_t, \\phi_t])) \\rfloor`."""

    hidden_layers: list[int]
    activation: torch.nn.Module
    model: torch.nn.Sequential | None
    sourcing_model: BaseSourcingModel | None
    params_: SourcingParams | None
    season_length_: int | None
    horizon_: int | None
    _n_outputs: int = 1

    def _init_neural(self, hidden_layers: Any, activation: Any) -> None:
        owner = type(self).__name__
        self.hidden_layers = check_hidden_layers(hidden_layers, owner)
        self.activation = check_activation(activation, owner)
        self.model = None
        self.sourcing_model = None
        self.params_ = None
        self.season_length_ = None
        self.horizon_ = None
        self.best_cost_: float | None = None
        self.history_: list[dict[str, float]] = []

    def _fitted_params(self) -> SourcingParams:
        if self.params_ is None or self.model is None:
            raise not_fitted(type(self).__name__)
        return self.params_

    def _n_features(self, params: SourcingParams, season_length: int | None, horizon: int | None = None) -> int:
        return params.state_dim + time_features(season_length, 0, 1, horizon).shape[1]

    def _initial_output_bias(self, mean_demand: float) -> list[float]:
        """Output bias at initialisation: order the mean demand from the first supplier."""
        return [mean_demand + 0.5] + [0.0] * (self._n_outputs - 1)

    def init_layers(
        self,
        params: SourcingParams,
        season_length: int | None = None,
        seed: int | None = None,
        demand_moments: tuple[float, float] | None = None,
        horizon: int | None = None,
    ) -> None:
        """Build the network for ``params`` (weights from a generator seeded with ``seed``).

        With ``demand_moments`` (mean, std), inputs are standardised with
        :func:`input_standardization` and the output bias starts at the mean demand (first
        supplier), so training starts from a stable constant-order policy.
        """
        gen = torch.Generator()
        if seed is None:
            gen.seed()
        else:
            gen.manual_seed(seed)
        with torch.random.fork_rng(devices=[]):  # nn.Linear draws from the global RNG: undo it
            net = build_mlp(
                self._n_features(params, season_length, horizon), self.hidden_layers, self._n_outputs, self.activation
            )
        _init_weights(net, gen)
        mean, std = (0.0, 1.0) if demand_moments is None else demand_moments
        shift, scale = input_standardization(params, mean, std)
        net = torch.nn.Sequential(Standardize(shift, scale), *net)
        if demand_moments is not None:
            # Start from the constant policy "order the mean demand": output weights 0.
            with torch.no_grad():
                net[-1].weight.zero_()
                net[-1].bias.copy_(torch.tensor(self._initial_output_bias(mean)))
        self.model = net
        self.params_ = params
        self.season_length_ = season_length
        self.horizon_ = horizon

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Integer orders (straight-through) for network inputs ``[s_t, phi_t]``."""
        if self.model is None:
            raise not_fitted(type(self).__name__)
        return ste_orders(self.model(inputs))

    def _policy_at(self, state: torch.Tensor, period: int) -> torch.Tensor:
        self._fitted_params()
        feats = time_features(self.season_length_, period, 1, self.horizon_)
        x = state if feats.shape[1] == 0 else torch.cat([state, torch.from_numpy(feats).expand(state.shape[0], -1)], 1)
        return self.forward(x)

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
        if params is not None and params.lead_times != model.params.lead_times and self.model is not None:
            # Called from evaluation (fit re-initialises first, see _fit_neural).
            if not getattr(self, "_fitting", False):
                fail(
                    "sourcing_model",
                    type(self).__name__,
                    f"a model with the lead times the controller was fitted for {params.lead_times}",
                    model.params.lead_times,
                )
        return model

    # ------------------------------------------------------------ imitation
    def _imitate(
        self,
        teacher: Any,
        model: BaseSourcingModel,
        generator: torch.Generator,
        paths: int = 256,
        periods: int = 200,
        steps: int = 2000,
        lr: float = 1e-3,
        minibatch: int = 512,
        explore: float = 0.1,
    ) -> float:
        """Fit the network to the orders of ``teacher`` (a fitted controller) by regression.

        States are collected by simulating the teacher from the model's initial state; with
        probability ``explore`` an order is perturbed by +-1 or +-2 so that states next to
        the teacher's path are covered too. The network's outputs are regressed on
        ``teacher order + 0.5`` (the middle of the interval that floors to it).

        Returns
        -------
        float
            Fraction of collected states on which the network's orders equal the teacher's.
        """
        params = model.params
        assert self.model is not None
        net = self.model
        demands = model.demand_generator.sample_periods(paths, periods, generator)
        state = torch.zeros(paths, params.state_dim)
        state[:, 0] = float(model.get_init_inventory().detach())
        xs, ys = [], []
        with torch.no_grad():
            for t in range(periods):
                feats = time_features(self.season_length_, t, 1, self.horizon_)
                x = state if feats.shape[1] == 0 else torch.cat([state, torch.from_numpy(feats).expand(paths, -1)], 1)
                q = teacher._policy_at(state, t).to(torch.float32)
                xs.append(x)
                ys.append(q)
                noise = torch.randint(-2, 3, q.shape, generator=generator).to(torch.float32)
                mask = torch.rand(q.shape, generator=generator) < explore
                q_played = torch.clamp(q + noise * mask, min=0)
                from .dynamics import transition

                state = transition(state, q_played, demands[:, t], params)
        x_all, y_all = torch.cat(xs), torch.cat(ys)
        agree = 0.0
        for _ in range(4):  # until the network reproduces the teacher on (nearly) every state
            agree = self._regress(x_all, y_all, generator, steps, lr, minibatch, stage="warm_start")
            if agree >= 0.999 or self._stop_requested():
                break
        return agree

    def _stop_requested(self) -> bool:
        session = getattr(self, "_session", None)
        return session is not None and session.stop_requested

    def _report(self, stage: str, epoch: int, epochs: int, **costs: float | None) -> bool:
        session = getattr(self, "_session", None)
        return session is not None and session.report(stage, epoch, epochs, **costs)

    def _regress(
        self,
        x_all: torch.Tensor,
        y_all: torch.Tensor,
        generator: torch.Generator,
        steps: int,
        lr: float,
        minibatch: int,
        stage: str | None = None,
    ) -> float:
        """Fit the outputs into the floor intervals of the orders ``y`` (:func:`interval_loss`); returns agreement."""
        assert self.model is not None
        net = self.model
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        n = x_all.shape[0]
        for step in range(steps):
            if self._stop_requested():
                break
            idx = torch.randint(0, n, (min(minibatch, n),), generator=generator)
            loss = interval_loss(net(x_all[idx]), y_all[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if stage is not None and (step + 1) % 100 == 0:
                self._report(stage, step + 1, steps, train_cost=float(loss.detach()))
        with torch.no_grad():
            return float((ste_orders(net(x_all)) == y_all).all(dim=1).float().mean())

    def _policy_iteration(
        self,
        model: BaseSourcingModel,
        generator: torch.Generator,
        iterations: int,
        steps: int,
        discount: float | None = None,
    ) -> list[dict[str, float]]:
        """Approximate policy iteration with exact evaluation (see :mod:`idinn._improve`).

        Average cost by default (values discounted with 0.999 as relative values); with
        ``discount`` the values and the acceptance test use that discount factor.
        """
        from ._improve import ChainTooLarge, improvement_targets

        params = model.params
        values, probs = model.demand_generator.pmf()
        init = np.zeros(params.state_dim, dtype=np.int64)
        init[0] = math.floor(float(model.init_inventory.detach()))

        def act(states: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                q = self.policy(torch.from_numpy(states.astype(np.float32)))
            return q.numpy().astype(np.int64)

        from .exact import evaluate_policy

        def exact_cost() -> float:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                try:
                    if discount is not None:
                        from .exact import evaluate_policy_discounted

                        dv = evaluate_policy_discounted(self, model, discount, max_states=100_000)
                        return float(dv.discounted_cost) if dv.boundary_mass < 1e-6 else math.inf
                    ev = evaluate_policy(self, model, max_states=100_000)
                except (ValueError, MemoryError, RuntimeError):
                    return math.inf
            return float(ev.average_cost) if ev.boundary_mass < 1e-6 else math.inf

        assert self.model is not None
        best = exact_cost()
        best_weights = copy.deepcopy(self.model.state_dict())
        log: list[dict[str, float]] = [{"iteration": 0.0, "cost": best, "changed": 0.0}]
        for it in range(1, iterations + 1):
            if self._stop_requested():
                break
            try:
                x, y, changed = improvement_targets(
                    act, params, values, probs, init, gamma=0.999 if discount is None else discount
                )
            except ChainTooLarge:
                logger.info("policy iteration stopped: the policy's chain is too large")
                break
            if changed == 0:
                break
            xt, yt = torch.from_numpy(x), torch.from_numpy(y)
            agree = 0.0
            for _ in range(3):  # regress until the network reproduces the improved orders
                agree = self._regress(xt, yt, generator, steps, 1e-3, 512)
                if agree >= 0.999 or self._stop_requested():
                    break
            cost = exact_cost()
            log.append({"iteration": float(it), "cost": cost, "changed": float(changed), "agreement": agree})
            logger.info("policy iteration %d: %d states improved, agreement %.4f, exact cost %.5f", it, changed, agree, cost)
            if cost < best - 1e-9:
                best = cost
                best_weights = copy.deepcopy(self.model.state_dict())
                self._report("policy_iteration", it, iterations, validation_cost=cost, best_cost=best)
            else:
                self._report("policy_iteration", it, iterations, validation_cost=cost, best_cost=best)
                self.model.load_state_dict(best_weights)
                break
        self.model.load_state_dict(best_weights)
        return log

    def _finite_horizon_policy_iteration(
        self,
        model: BaseSourcingModel,
        generator: torch.Generator,
        iterations: int,
        steps: int,
        horizon: int,
        discount: float | None,
    ) -> list[dict[str, float]]:
        """Approximate policy iteration over a finite horizon (see :mod:`idinn._improve`)."""
        from ._improve import default_box, finite_horizon_improvement_targets
        from .exact import evaluate_policy_finite_horizon

        params = model.params
        demand = model.demand_generator
        init = np.zeros(params.state_dim, dtype=np.int64)
        init[0] = math.floor(float(model.init_inventory.detach()))
        dmax = max(int(demand.pmf(t)[0][-1]) for t in range(demand.season_length or 1))
        box = default_box(params, np.array([dmax]), int(init[0]))
        gamma = 1.0 if discount is None else discount

        def act_at(states: np.ndarray, t: int) -> np.ndarray:
            with torch.no_grad():
                q = self._policy_at(torch.from_numpy(states.astype(np.float32)), t)
            return q.numpy().astype(np.int64)

        def exact_cost() -> float:
            return float(evaluate_policy_finite_horizon(self, model, horizon, discount=gamma).total_cost)

        assert self.model is not None
        best = exact_cost()
        best_weights = copy.deepcopy(self.model.state_dict())
        log: list[dict[str, float]] = [{"iteration": 0.0, "cost": best, "changed": 0.0}]
        for it in range(1, iterations + 1):
            if self._stop_requested():
                break
            rows, changed = finite_horizon_improvement_targets(
                act_at, params, demand.pmf, init, horizon, box=box, discount=gamma, anchors=False
            )
            if changed == 0:
                break
            xs, ys = [], []
            for t, states, orders in rows:
                feats = time_features(self.season_length_, t, 1, self.horizon_)
                x = torch.from_numpy(states.astype(np.float32))
                if feats.shape[1]:
                    x = torch.cat([x, torch.from_numpy(feats).expand(x.shape[0], -1)], 1)
                xs.append(x)
                ys.append(torch.from_numpy(orders.astype(np.float32)))
            xt, yt = torch.cat(xs), torch.cat(ys)
            agree = 0.0
            for _ in range(3):
                agree = self._regress(xt, yt, generator, steps, 1e-3, 512)
                if agree >= 0.999 or self._stop_requested():
                    break
            cost = exact_cost()
            log.append({"iteration": float(it), "cost": cost, "changed": float(changed), "agreement": agree})
            logger.info("finite-horizon policy iteration %d: %d changes, agreement %.4f, exact cost %.3f",
                        it, changed, agree, cost)
            if cost < best - 1e-9:
                best = cost
                best_weights = copy.deepcopy(self.model.state_dict())
                self._report("policy_iteration", it, iterations, validation_cost=cost, best_cost=best)
            else:
                self._report("policy_iteration", it, iterations, validation_cost=cost, best_cost=best)
                self.model.load_state_dict(best_weights)
                break
        self.model.load_state_dict(best_weights)
        return log

    # ------------------------------------------------------------------ fit
    def _fit_neural(self, *args: Any, callbacks: Any = None, **kwargs: Any) -> None:
        """Run :meth:`_fit_impl` with one torch and one BLAS thread, denormals flushed (all restored).

        The networks here are small: several threads buy nothing and, on a busy
        machine, their spin-waiting made training steps tens of times slower.
        """
        from threadpoolctl import threadpool_limits

        from .neural.callbacks import Session, check_callbacks

        cbs = check_callbacks(callbacks, type(self).__name__)

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        blas = threadpool_limits(limits=1, user_api="blas")  # numba's BLAS calls, numpy, scipy
        # Denormal floats (weights or activations decaying towards 0) slow CPU matrix
        # products by orders of magnitude; flush them to zero while training.
        flushed = torch.set_flush_denormal(True)
        self.cancelled_ = False
        try:
            with Session(cbs) as session:
                self._session = session
                try:
                    self._fit_impl(*args, **kwargs)
                finally:
                    self._session = None
                    self.cancelled_ = session.stop_requested
                    if session.stop_requested:
                        logger.warning(
                            "%s.fit stopped early (%s); the best weights so far are kept.",
                            type(self).__name__, "Ctrl-C" if session.interrupted else "a callback asked to stop",
                        )
        finally:
            blas.restore_original_limits()
            torch.set_num_threads(threads)
            if flushed:
                torch.set_flush_denormal(False)

    def _fit_impl(
        self,
        sourcing_model: BaseSourcingModel,
        sourcing_periods: int,
        epochs: int,
        validation_sourcing_periods: int | None,
        validation_freq: int,
        log_freq: int,
        init_inventory_freq: int,
        init_inventory_lr: float,
        parameters_lr: float,
        tensorboard_writer: Any,
        seed: int | None,
        discount: float | None,
        progress: bool | None,
        learn_init_inventory: bool = True,
        warm_start: bool = False,
        teacher: Any = None,
        imitation_steps: int = 2000,
        validation: str = "auto",
        revert_tolerance: float | None = None,
        finite_horizon: bool = False,
        optimizer: str = "adam",
        policy_iterations: int = 0,
        policy_iteration_steps: int = 1000,
        patience: int | None = None,
        max_grad_norm: float | None = None,
    ) -> None:
        owner = type(self).__name__
        self._fitting = True
        try:
            model = self._check_model(sourcing_model)  # type: ignore[attr-defined]
        finally:
            self._fitting = False
        sourcing_periods = check_int(sourcing_periods, "sourcing_periods", owner, minimum=1)
        epochs = check_int(epochs, "epochs", owner, minimum=1)
        if validation_sourcing_periods is not None:
            check_int(validation_sourcing_periods, "validation_sourcing_periods", owner, minimum=1)
        validation_freq = check_int(validation_freq, "validation_freq", owner, minimum=1)
        log_freq = check_int(log_freq, "log_freq", owner, minimum=1)
        init_inventory_freq = check_int(init_inventory_freq, "init_inventory_freq", owner, minimum=1)
        init_inventory_lr = check_real(init_inventory_lr, "init_inventory_lr", owner, minimum=0)
        parameters_lr = check_real(parameters_lr, "parameters_lr", owner, exclusive_minimum=0)
        seed = check_seed(seed, "seed", owner)
        if discount is not None:
            discount = check_real(discount, "discount", owner, exclusive_minimum=0, exclusive_maximum=1)
        if patience is not None:
            patience = check_int(patience, "patience", owner, minimum=1)
        if optimizer not in ("adam", "rmsprop"):
            fail("optimizer", owner, "'adam' or 'rmsprop'", optimizer)
        if validation not in ("auto", "exact", "simulation"):
            fail("validation", owner, "one of 'auto', 'exact', 'simulation'", validation)
        if tensorboard_writer is not None and not hasattr(tensorboard_writer, "add_scalar"):
            fail("tensorboard_writer", owner, "a torch.utils.tensorboard.SummaryWriter", tensorboard_writer, TypeError)

        gen = torch.Generator()
        if seed is None:
            gen.seed()
        else:
            gen.manual_seed(seed)
        params = model.params
        season = model.demand_generator.season_length
        horizon = sourcing_periods if finite_horizon else None
        if finite_horizon or discount is not None:
            learn_init_inventory = False  # the initial state is part of these problems
        if finite_horizon:
            validation_sourcing_periods = sourcing_periods
        if (
            not warm_start
            or self.model is None
            or self.params_ != params
            or self.season_length_ != season
            or self.horizon_ != horizon
        ):
            self.init_layers(
                params, season, seed=int(torch.randint(0, 2**62, (1,), generator=gen)),
                demand_moments=demand_moments(model.demand_generator),
                horizon=horizon,
            )
        self.sourcing_model = model
        net = self.model
        assert net is not None
        self.imitation_agreement_: float | None = None
        if teacher is not None and not self._stop_requested():
            t0 = time.perf_counter()
            if not hasattr(teacher, "_policy_at"):  # a factory: fit the teacher now
                teacher = teacher()
            self.imitation_agreement_ = self._imitate(teacher, model, gen, steps=imitation_steps)
            logger.info(
                "imitated %s on %.1f%% of states in %.1f s",
                type(teacher).__name__, 100 * self.imitation_agreement_, time.perf_counter() - t0,
            )
        self.policy_iteration_log_: list[dict[str, float]] = []
        if self._stop_requested():
            pass
        elif policy_iterations > 0 and finite_horizon:
            self.policy_iteration_log_ = self._finite_horizon_policy_iteration(
                model, gen, policy_iterations, policy_iteration_steps, sourcing_periods, discount
            )
        elif policy_iterations > 0:
            self.policy_iteration_log_ = self._policy_iteration(
                model, gen, policy_iterations, policy_iteration_steps, discount=discount
            )
        fused = FusedMLP(net) if FusedMLP.supports(net) else None
        val_gen = torch.Generator().manual_seed(int(torch.randint(0, 2**62, (1,), generator=gen)))

        batch = model.batch_size
        n_state = params.state_dim
        feats_train = time_features(season, 0, sourcing_periods, horizon)
        disc_train = np.ones(sourcing_periods) if discount is None else discount ** np.arange(sourcing_periods)
        val_periods = validation_sourcing_periods
        if val_periods is not None:
            val_batch = max(batch, 1024) if finite_horizon else batch
            val_demands = model.demand_generator.sample_periods(val_batch, val_periods, val_gen).numpy()
            feats_val = time_features(season, 0, val_periods, horizon)
            disc_val = np.ones(val_periods) if discount is None else discount ** np.arange(val_periods)

        opt_cls = {"adam": torch.optim.Adam, "rmsprop": torch.optim.RMSprop}[optimizer]
        opt = opt_cls(net.parameters(), lr=parameters_lr)
        inv_param = model.init_inventory
        inv_opt = torch.optim.RMSprop([inv_param], lr=init_inventory_lr) if learn_init_inventory and init_inventory_lr > 0 else None

        def init_state(b: int) -> np.ndarray:
            s = np.zeros((b, n_state), dtype=np.float32)
            s[:, 0] = math.floor(float(inv_param.detach()))
            return s

        demand = model.demand_generator
        exact_validation = (
            validation == "exact"
            or (
                validation == "auto"
                and discount is None
                and not finite_horizon
                and demand.season_length is None
                and demand.has_finite_support
            )
        )

        def validate() -> float:
            assert val_periods is not None
            if exact_validation:
                from .exact import evaluate_policy

                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", RuntimeWarning)
                        ev = evaluate_policy(self, model, max_states=10_000)
                except (ValueError, MemoryError) as exc:
                    logger.debug("exact validation failed (%s); simulating instead", exc)
                else:
                    # Unstable policies (mass at the truncation boundary) count as infinitely bad.
                    return float(ev.average_cost) * val_periods if ev.boundary_mass < 1e-6 else math.inf
            if fused is not None:
                costs = fused.forward_costs(params, init_state(val_batch), val_demands, feats_val, disc_val)
                return float(costs.sum())
            with torch.no_grad():
                return float(
                    torch_rollout_cost(
                        net, params, torch.from_numpy(init_state(val_batch)), torch.from_numpy(val_demands),
                        torch.from_numpy(feats_val), torch.from_numpy(disc_val).float(),
                    )
                )

        best_cost = math.inf
        best_state: dict[str, Any] | None = None
        reverts = 0
        skipped = 0
        since_best = 0
        self.stopped_epoch_: int | None = None
        self.history_ = []
        show = sys.stderr.isatty() if progress is None else bool(progress)
        bar = None
        if show:
            from tqdm.auto import tqdm

            bar = tqdm(total=epochs, desc=f"{owner}.fit", leave=False)
        start = time.perf_counter()
        logger.info(
            "fit %s: batch=%d periods=%d epochs=%d fused=%s", owner, batch, sourcing_periods, epochs, fused is not None
        )
        if val_periods is not None and (teacher is not None or policy_iterations > 0 or warm_start) and not self._stop_requested():
            # The starting weights are a candidate too (they may already be very good).
            best_cost = validate()
            best_state = {"net": copy.deepcopy(net.state_dict()), "init_inventory": inv_param.detach().clone(), "epoch": -1}
        for epoch in range(epochs):
            if self._stop_requested():
                self.stopped_epoch_ = epoch
                break
            demands = model.demand_generator.sample_periods(batch, sourcing_periods, gen)
            opt.zero_grad(set_to_none=False)
            if fused is not None:
                total, g_init = fused.cost_and_grad(params, init_state(batch), demands.numpy(), feats_train, disc_train)
                inv_grad = float(g_init[0])
            else:
                s0 = torch.from_numpy(init_state(batch)).requires_grad_(True)
                j = torch_rollout_cost(
                    net, params, s0, demands, torch.from_numpy(feats_train), torch.from_numpy(disc_train).float()
                )
                j.backward()
                total = float(j.detach())
                inv_grad = float(s0.grad[:, 0].sum())  # type: ignore[index]
            grads = [p.grad for p in net.parameters() if p.grad is not None]
            finite = math.isfinite(total) and all(bool(torch.isfinite(g).all()) for g in grads)
            if not finite:
                # A diverged rollout (astronomical orders): skip the step rather than poison the weights.
                skipped += 1
                opt.zero_grad(set_to_none=False)
                inv_grad = 0.0
            else:
                if max_grad_norm is not None:
                    torch.nn.utils.clip_grad_norm_(net.parameters(), max_grad_norm)
                opt.step()
            if inv_opt is not None and epoch % init_inventory_freq == 0 and math.isfinite(inv_grad):
                inv_opt.zero_grad()
                inv_param.grad = torch.tensor([inv_grad])
                inv_opt.step()
            train_avg = total / sourcing_periods
            record = {"epoch": float(epoch), "train": train_avg}
            if tensorboard_writer is not None:
                tensorboard_writer.add_scalar("Avg. cost per period/train", train_avg, epoch)
            if val_periods is not None and (epoch % validation_freq == 0 or epoch == epochs - 1):
                val_total = validate()
                record["val"] = val_total / val_periods
                if tensorboard_writer is not None:
                    tensorboard_writer.add_scalar("Avg. cost per period/val", val_total / val_periods, epoch)
                if val_total < best_cost:
                    since_best = 0
                else:
                    since_best += 1
                if val_total <= best_cost:  # ties: keep the later (better-trained) initial inventory
                    best_cost = val_total
                    best_state = {
                        "net": copy.deepcopy(net.state_dict()),
                        "init_inventory": inv_param.detach().clone(),
                        "epoch": epoch,
                    }
                elif revert_tolerance is not None and best_state is not None and val_total > best_cost * (1 + revert_tolerance):
                    # A step that made the policy clearly worse: go back to the best weights.
                    net.load_state_dict(best_state["net"])
                    reverts += 1
            self.history_.append(record)
            self._report(
                "gradient", epoch + 1, epochs, train_cost=train_avg, validation_cost=record.get("val"),
                best_cost=best_cost / val_periods if val_periods is not None and math.isfinite(best_cost) else None,
            )
            if patience is not None and since_best >= patience:
                self.stopped_epoch_ = epoch
                logger.info("early stop at epoch %d: no validation improvement in %d validations", epoch, patience)
                break
            if epoch % log_freq == 0:
                logger.info("epoch %d/%d train %.4f val %s", epoch, epochs, train_avg, record.get("val"))
            if bar is not None:
                bar.update(1)
                if "val" in record:
                    bar.set_postfix(val=f"{record['val']:.3f}")
        if bar is not None:
            bar.close()
        if tensorboard_writer is not None and hasattr(tensorboard_writer, "flush"):
            tensorboard_writer.flush()
        if best_state is not None:
            net.load_state_dict(best_state["net"])
            with torch.no_grad():
                inv_param.copy_(best_state["init_inventory"])
            self.best_cost_ = best_cost / val_periods  # type: ignore[operator]
            logger.info("restored best weights of epoch %d (val %.4f)", best_state["epoch"], self.best_cost_)
        else:
            self.best_cost_ = None
        self.fit_time_ = time.perf_counter() - start
        self.reverts_ = reverts
        self.skipped_steps_ = skipped

    # ------------------------------------------------------------- save/load
    def save(self, path: str | Path) -> None:
        """Save the network, its configuration and the model parameters it was fitted for.

        The file holds plain tensors and numbers only, so :meth:`load` never runs code.
        """
        params = self._fitted_params()
        assert self.model is not None
        payload = {
            "format": _FORMAT,
            "version": _VERSION,
            "class": type(self).__name__,
            "hidden_layers": list(self.hidden_layers),
            "activation": activation_to_config(self.activation),
            "lead_times": list(params.lead_times),
            "order_costs": list(params.order_costs),
            "holding_cost": params.holding_cost,
            "shortage_cost": params.shortage_cost,
            "season_length": self.season_length_,
            "horizon": self.horizon_,
            "state_dict": {k: v.detach().clone() for k, v in self.model.state_dict().items()},
        }
        torch.save(payload, str(path))

    def load(self, path: str | Path) -> Any:
        """Load a controller written by :meth:`save` (safe: no code is executed).

        Raises
        ------
        ValueError
            If the file is not a saved idinn controller of this class.
        """
        owner = type(self).__name__
        if not Path(path).is_file():
            raise FileNotFoundError(f"No such file: {path!s}")
        try:
            # weights_only=True: a restricted unpickler that builds tensors and plain
            # containers only, so a crafted file cannot run code.
            payload = torch.load(str(path), weights_only=True, map_location="cpu")
        except Exception as exc:  # noqa: BLE001 - any failure means "not our file"
            raise ValueError(f"{path!s} is not a saved idinn controller (refused to load it: {exc})") from None
        if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
            raise ValueError(f"{path!s} is not a saved idinn controller.")
        if payload.get("class") != owner:
            raise ValueError(f"{path!s} holds a {payload.get('class')}, not a {owner}.")
        required = {"hidden_layers", "activation", "lead_times", "order_costs", "holding_cost", "shortage_cost",
                    "season_length", "state_dict"}
        missing = sorted(required - set(payload))
        if missing:
            raise ValueError(f"{path!s} is not a complete saved idinn controller (missing {missing}).")
        self.hidden_layers = [int(w) for w in payload["hidden_layers"]]
        self.activation = activation_from_config(payload["activation"])
        params = SourcingParams(
            lead_times=tuple(int(x) for x in payload["lead_times"]),
            order_costs=tuple(float(x) for x in payload["order_costs"]),
            holding_cost=float(payload["holding_cost"]),
            shortage_cost=float(payload["shortage_cost"]),
        )
        season = payload["season_length"]
        horizon = payload.get("horizon")
        self.init_layers(
            params, None if season is None else int(season), seed=0, horizon=None if horizon is None else int(horizon)
        )
        assert self.model is not None
        self.model.load_state_dict(payload["state_dict"])
        return self
