r"""Many same-shaped neural controllers trained at once, in one batched run.

A portfolio often holds many SKUs of the same *shape*: the same sourcing model, lead
times and network size, but their own costs and demand. Training their networks one by
one pays the per-step overhead of the trainer once per SKU; :func:`fit_batched` stacks
the :math:`N` networks' weights (:math:`W_\ell` of shape ``(N, out, in)``) and runs one
rollout over ``(N, B)`` sample paths, the layers as batched matrix products
(``torch.baddbmm``) and the physics through :func:`idinn.dynamics.advance` and
:func:`idinn.dynamics.period_cost` (autograd path), so that one backward pass gives every
network its gradient.

The SKUs stay independent: the objective is :math:`\sum_i J_i` with :math:`J_i` the
cost of SKU :math:`i`'s own paths, so :math:`\partial / \partial \theta_i` sees only
:math:`J_i`; Adam and RMSprop act elementwise and keep a step count per SKU (a SKU whose
step is non-finite skips it, alone). Each SKU draws its initial weights, its demand paths
and its validation paths from its own generator, in the order of a one-by-one ``fit``
with the same seed, and is validated and selected on its own (the validator of a
one-by-one fit, :class:`idinn.neural.validation.Validator`). With the same seed, a SKU
trained here starts from exactly the weights and sees exactly the demand of its one-by-one
fit; only floating-point rounding (compiled kernels one by one, autograd here) can make the
trajectories drift apart, so the results are identical in distribution.

Which is faster depends on the machine and :math:`N`: see docs/portfolio.md for the
measured ratio (``benchmarks/portfolio_bench.py --neural-batched``).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from .._validation import fail
from ..dynamics import SourcingParams, advance, period_cost
from .callbacks import Session
from .network import STE_NEGATIVE_SLOPE, Standardize, demand_moments
from .training import TrainConfig, TrainingRun, thread_settings
from .validation import Validator

__all__ = ["fit_batched", "shape_key", "StackedMLP", "batched_rollout_cost"]

_OWNER = "fit_batched"


def shape_key(controller: Any, model: Any) -> tuple:
    """What must agree for two (controller, model) pairs to train in one batch.

    The controller class, hidden widths and activation (type and parameters), input
    compression, the lead times, the excess-demand rule and the season length.
    """
    act = controller.activation
    act_key = (type(act).__name__, tuple(sorted((k, v) for k, v in vars(act).items() if isinstance(v, int | float | bool))))
    p = model.params
    return (type(controller).__name__, tuple(controller.hidden_layers), act_key,
            bool(controller.compressed) and not getattr(controller, "_auto_compress", False),
            tuple(p.lead_times), p.excess_demand, model.demand_generator.season_length)


class StackedMLP:
    r"""The weights of :math:`N` same-shaped policy networks, stacked along a first axis.

    Built from fitted-shape networks (``Standardize`` then ``Linear``/activation layers,
    :func:`idinn.neural.network.build_policy_network`); :meth:`forward` maps inputs of
    shape (N, B, n_in) to outputs (N, B, n_out) with ``torch.baddbmm``; :meth:`write`
    copies row :math:`i` back into network :math:`i`.
    """

    def __init__(self, nets: Sequence[torch.nn.Sequential], activation: torch.nn.Module) -> None:
        first = list(nets[0])
        if not isinstance(first[0], Standardize):
            raise ValueError("fit_batched needs networks that start with a Standardize layer")
        self.activation = activation
        self.shift = torch.stack([n[0].shift for n in nets])[:, None, :]
        self.scale = torch.stack([n[0].scale for n in nets])[:, None, :]
        self.layer_index = [j for j, m in enumerate(first) if isinstance(m, torch.nn.Linear)]
        self.weights = [torch.stack([n[j].weight.detach() for n in nets]).transpose(1, 2).contiguous().requires_grad_(True)
                        for j in self.layer_index]
        self.biases = [torch.stack([n[j].bias.detach() for n in nets])[:, None, :].contiguous().requires_grad_(True)
                       for j in self.layer_index]

    @property
    def parameters(self) -> list[torch.Tensor]:
        return [t for pair in zip(self.weights, self.biases) for t in pair]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Raw outputs (N, B, n_out) for inputs (N, B, n_in)."""
        h = (x - self.shift) / self.scale
        last = len(self.weights) - 1
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b, h, w)
            if k < last:
                h = self.activation(h)
        return h

    def row_state(self, i: int) -> list[torch.Tensor]:
        """Copies of SKU ``i``'s weights and biases (a snapshot for model selection)."""
        return [p[i].detach().clone() for p in self.parameters]

    def load_row(self, i: int, state: list[torch.Tensor]) -> None:
        with torch.no_grad():
            for p, s in zip(self.parameters, state):
                p[i].copy_(s)

    def write(self, i: int, net: torch.nn.Sequential) -> None:
        """Copy SKU ``i``'s weights into its own network ``net``."""
        with torch.no_grad():
            for j, w, b in zip(self.layer_index, self.weights, self.biases):
                net[j].weight.copy_(w[i].T)
                net[j].bias.copy_(b[i, 0])


class _SteOrders(torch.autograd.Function):
    """:func:`idinn.neural.network.ste_orders` as one autograd node (same values and gradient)."""

    @staticmethod
    def forward(ctx: Any, out: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(out)
        return torch.floor(torch.relu(out))

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        (out,) = ctx.saved_tensors
        return torch.where(out > 0, grad, STE_NEGATIVE_SLOPE * grad)


@dataclasses.dataclass(frozen=True)
class _RowCosts:
    """Cost fields read by :func:`idinn.dynamics.period_cost`, one value per path.

    ``holding_cost`` and ``shortage_cost`` are tensors of shape (N B,); the unit order
    costs are folded into the orders passed to ``period_cost`` (``order_costs`` all 1),
    since the cost is linear in :math:`c_k q_k`.
    """

    holding_cost: torch.Tensor
    shortage_cost: torch.Tensor
    order_costs: tuple[float, ...]
    fixed_order_costs: tuple[float, ...] = ()


def batched_rollout_cost(
    stack: StackedMLP,
    shape: SourcingParams,
    cost_weights: torch.Tensor,
    init_state: torch.Tensor,
    demands: torch.Tensor,
) -> torch.Tensor:
    r"""Per-SKU rollout cost :math:`J_i = \sum_t \frac1B \sum_b c^{(i,b)}_t`, shape (N,).

    Parameters
    ----------
    stack : StackedMLP
    shape : SourcingParams
        Lead times and excess-demand rule shared by the SKUs (its costs are ignored).
    cost_weights : tensor, shape (N, 2 + K)
        Each SKU's :math:`(h, b, c_1, \dots, c_K)`.
    init_state : tensor, shape (N, B, state_dim)
    demands : tensor, shape (N, B, T)

    Notes
    -----
    The state of all :math:`N B` paths advances with :func:`idinn.dynamics.advance` and
    the cost is :func:`idinn.dynamics.period_cost` with per-path costs (:class:`_RowCosts`).
    Its gradient with respect to SKU :math:`i`'s weights equals that of
    :func:`idinn.neural.rollout.torch_rollout_cost` of network :math:`i` alone (a test).
    """
    n, b, d = init_state.shape
    k = cost_weights.shape[1] - 2
    w = cost_weights.to(init_state.dtype)
    costs = _RowCosts(w[:, 0:1].expand(n, b).reshape(-1), w[:, 1:2].expand(n, b).reshape(-1), (1.0,) * k)
    unit = w[:, None, 2:]  # (N, 1, K)
    state = init_state.reshape(n * b, d)
    total = torch.zeros(n, dtype=init_state.dtype, device=init_state.device)
    for t in range(demands.shape[2]):
        q = _SteOrders.apply(stack.forward(state.reshape(n, b, d)))
        flat_q = q.reshape(n * b, -1)
        state, y = advance(state, flat_q, demands[:, :, t].reshape(n * b), shape)
        cost = period_cost(y, (q * unit).reshape(n * b, -1), costs)  # type: ignore[arg-type]
        total = total + cost.reshape(n, b).mean(dim=1)
    return total


class _StackedAdam:
    """Adam (as :class:`idinn.neural.optim.Adam`) on stacked tensors with a step count per SKU."""

    def __init__(self, params: list[torch.Tensor], lr: float, n: int, betas=(0.9, 0.999), eps: float = 1e-8):
        self.params, self.lr, self.eps = params, lr, eps
        self.beta1, self.beta2 = betas
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        self.steps = torch.zeros(n, dtype=torch.float64)

    @torch.no_grad()
    def step(self, mask: torch.Tensor) -> None:
        self.steps += mask.to(torch.float64)
        bc1 = (1 - self.beta1 ** self.steps).clamp_min(1e-300)
        bc2 = (1 - self.beta2 ** self.steps).clamp_min(1e-300)
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad
            shape = (-1,) + (1,) * (p.dim() - 1)
            keep = mask.reshape(shape)
            m.copy_(torch.where(keep, m.lerp(g, 1 - self.beta1), m))
            v.copy_(torch.where(keep, v * self.beta2 + (1 - self.beta2) * g * g, v))
            step_size = (self.lr / bc1).to(p.dtype).reshape(shape)
            denom = v.sqrt() / bc2.sqrt().to(p.dtype).reshape(shape) + self.eps
            p.sub_(torch.where(keep, step_size * m / denom, torch.zeros_like(p)))


def _check(controllers: Sequence[Any], models: Sequence[Any], seeds: Sequence[int] | None) -> list[Any]:
    from .controller import NeuralController

    if isinstance(controllers, str | bytes) or not isinstance(controllers, Sequence) or not controllers:
        fail("controllers", _OWNER, "a non-empty sequence of neural controllers", controllers, TypeError)
    if not isinstance(models, Sequence) or len(models) != len(controllers):
        fail("models", _OWNER, f"a sequence of {len(controllers)} sourcing models (one per controller)",
             type(models).__name__ if not isinstance(models, Sequence) else len(models))
    if seeds is not None and (not isinstance(seeds, Sequence) or len(seeds) != len(controllers)):
        fail("seeds", _OWNER, f"None or a sequence of {len(controllers)} ints", seeds)
    checked = []
    key = None
    for i, (ctrl, model) in enumerate(zip(controllers, models)):
        if not isinstance(ctrl, NeuralController):
            fail("controllers", _OWNER, "neural controllers only", type(ctrl).__name__, TypeError)
        if ctrl.device.type != "cpu":
            fail("controllers", _OWNER, "controllers on the CPU", str(ctrl.device))
        m = super(NeuralController, ctrl)._check_model(model)
        ctrl._check_excess_demand(m)
        p = m.params
        if p.has_fixed_costs or p.has_capacities or p.has_review_periods:
            fail("models", _OWNER, "models without fixed order costs, capacities or review periods "
                 "(the batched rollout does not model them; fit such a model one by one)", f"position {i}")
        if m.demand_generator.season_length is not None:
            fail("models", _OWNER, "models with stationary demand (seasonal demand trains one by one)",
                 f"season_length {m.demand_generator.season_length} at position {i}")
        k = shape_key(ctrl, m)
        if key is None:
            key = k
        elif k != key:
            fail("models", _OWNER, f"pairs of the same shape {key} (class, network, lead times, rule)",
                 f"{k} at position {i}")
        if ctrl.compressed and not getattr(ctrl, "_auto_compress", False) and m.params.lead_times[0] > 0:
            fail("controllers", _OWNER, "controllers with compressed=False (or the default None)", True)
        checked.append(m)
    return checked


def fit_batched(
    controllers: Sequence[Any],
    models: Sequence[Any],
    *,
    sourcing_periods: int,
    epochs: int,
    validation_sourcing_periods: int | None = None,
    validation_freq: int = 50,
    init_inventory_lr: float = 1e-1,
    init_inventory_freq: int = 4,
    parameters_lr: float = 3e-2,
    seeds: Sequence[int] | None = None,
    validation: str = "auto",
    tune_threads: bool = True,
) -> list[Any]:
    r"""Fit :math:`N` same-shaped neural controllers, each on its own model, in one batched run.

    Each ``controllers[i]`` ends as if ``controllers[i].fit(models[i], sourcing_periods,
    epochs, validation_sourcing_periods, validation_freq, init_inventory_lr=...,
    init_inventory_freq=..., parameters_lr=..., seed=seeds[i], validation=...)`` had run
    (gradient stage only, average-cost objective): same initial weights, same demand
    paths, its own validation and model selection (best weights restored), its own learned
    initial inventory (written to ``models[i].init_inventory`` as a one-by-one fit does).

    Parameters
    ----------
    controllers : sequence of NeuralController
        Unfitted or fitted controllers of one class with equal ``hidden_layers`` and
        activation (networks are rebuilt from the seeds), on the CPU.
    models : sequence of sourcing models
        One per controller, with equal lead times, excess-demand rule and stationary demand;
        costs and demand differ freely.
    sourcing_periods, epochs, validation_sourcing_periods, validation_freq, \
init_inventory_lr, init_inventory_freq, parameters_lr, validation, tune_threads
        As in ``fit`` (:class:`idinn.neural.TrainConfig`).
    seeds : sequence of int, optional
        One seed per controller (``None``: fresh random seeds).

    Returns
    -------
    list
        ``controllers``, fitted (``history_``, ``best_cost_``, ``fit_time_`` set; ``fit_time_``
        is the batch's wall time divided by :math:`N`).

    Raises
    ------
    TypeError, ValueError
        Before any work: lengths that differ, pairs of different shapes (see
        :func:`shape_key`), models a controller refuses (fixed costs, capacities, review
        periods, an excess-demand rule it does not model), seasonal demand, bad numbers.
    """
    models = _check(controllers, models, seeds)
    n = len(controllers)
    config = TrainConfig(sourcing_periods, epochs, validation_sourcing_periods, validation_freq, 100,
                         init_inventory_freq=init_inventory_freq, init_inventory_lr=init_inventory_lr,
                         parameters_lr=parameters_lr, validation=validation, progress=False,
                         tune_threads=tune_threads).checked(_OWNER)
    seed_list = [None if seeds is None else seeds[i] for i in range(n)]
    for s in seed_list:
        TrainConfig(1, 1, seed=s).checked(_OWNER)
    t0 = time.perf_counter()
    with thread_settings(config.tune_threads), Session(()) as session:
        runs = []
        for ctrl, model, seed in zip(controllers, models, seed_list):
            gen = torch.Generator()
            if seed is None:
                gen.seed()
            else:
                gen.manual_seed(int(seed))
            # the stacked rollout feeds the full state: networks are never compressed here
            ctrl._build_network(model.params, None, seed=int(torch.randint(0, 2**62, (1,), generator=gen)),
                                moments=demand_moments(model.demand_generator), horizon=None, compressed=False)
            ctrl.sourcing_model = model
            ctrl.imitation_agreement_ = None
            ctrl.policy_iteration_log_ = []
            ctrl.history_ = []
            ctrl.best_cost_ = None
            ctrl.cancelled_ = False
            ctrl.stopped_epoch_ = None
            ctrl.reverts_ = 0
            ctrl.train()
            cfg_i = dataclasses.replace(config, seed=seed)
            runs.append(TrainingRun(ctrl, model, cfg_i, session, gen))
        try:
            _train(runs, models, config, n)
        finally:
            for ctrl in controllers:
                ctrl.eval()
                ctrl.cancelled_ = session.stop_requested  # Ctrl-C: the best weights so far are kept
    share = (time.perf_counter() - t0) / n
    for ctrl in controllers:
        ctrl.fit_time_ = share
    return list(controllers)


def _train(runs: list[TrainingRun], models: list[Any], cfg: TrainConfig, n: int) -> None:  # noqa: C901
    shape = models[0].params
    batch = max(int(m.batch_size) for m in models)
    if any(int(m.batch_size) != batch for m in models):
        fail("models", _OWNER, "models with the same batch_size", sorted({int(m.batch_size) for m in models}))
    periods = cfg.sourcing_periods
    stack = StackedMLP([r.controller.model for r in runs], runs[0].controller.activation)
    cost_weights = torch.tensor([[m.params.holding_cost, m.params.shortage_cost, *m.params.order_costs] for m in models],
                                dtype=torch.float32)
    inv = torch.tensor([float(m.init_inventory.detach()[0]) for m in models])
    inv_sq = torch.zeros(n)
    learn_inv = cfg.learn_init_inventory and cfg.init_inventory_lr > 0

    def init_state_of(i: int):
        def init_state(b: int) -> np.ndarray:
            s = np.zeros((b, shape.state_dim), dtype=np.float32)
            s[:, 0] = math.floor(float(models[i].init_inventory.detach()))
            return s
        return init_state

    validators: list[Validator | None] = [None] * n
    val_periods = cfg.validation_sourcing_periods
    if val_periods is not None:
        for i, run in enumerate(runs):
            demand = run.demand
            exact = cfg.validation == "exact" or (cfg.validation == "auto" and demand.has_finite_support)
            val_batch = max(batch, 256) if exact else batch
            validators[i] = Validator(run, val_periods, exact, init_state_of(i), val_batch, None, None)
    opt = _StackedAdam(stack.parameters, cfg.parameters_lr, n)
    best_cost = [math.inf] * n
    best_state: list[dict[str, Any] | None] = [None] * n
    skipped = [0] * n
    for epoch in range(cfg.epochs):
        if runs[0].session.stop_requested:
            break
        demands = torch.stack([r.demand.sample_periods(batch, periods, r.generator) for r in runs])
        s0 = torch.zeros(n, batch, shape.state_dim)
        s0[:, :, 0] = torch.floor(inv)[:, None]
        s0.requires_grad_(True)
        for p in stack.parameters:
            p.grad = None
        totals = batched_rollout_cost(stack, shape, cost_weights, s0, demands)
        totals.sum().backward()
        tot = totals.detach()
        finite = torch.isfinite(tot)
        for p in stack.parameters:
            finite &= torch.isfinite(p.grad.reshape(n, -1)).all(dim=1)
        for p in stack.parameters:
            p.grad[~finite] = 0.0
        opt.step(finite)
        for i in torch.nonzero(~finite).flatten().tolist():
            skipped[i] += 1
        if learn_inv and epoch % cfg.init_inventory_freq == 0:
            g = s0.grad[:, :, 0].sum(dim=1)
            ok = finite & torch.isfinite(g)
            g = torch.where(ok, g, torch.zeros_like(g))
            new_sq = inv_sq * 0.99 + 0.01 * g * g
            inv_sq = torch.where(ok, new_sq, inv_sq)
            inv = torch.where(ok, inv - cfg.init_inventory_lr * g / (inv_sq.sqrt() + 1e-8), inv)
            with torch.no_grad():
                for i, m in enumerate(models):
                    m.init_inventory.copy_(inv[i : i + 1])
        validate_now = val_periods is not None and (epoch % cfg.validation_freq == 0 or epoch == cfg.epochs - 1)
        for i, run in enumerate(runs):
            record = {"epoch": float(epoch), "train": float(tot[i]) / periods}
            v = validators[i]
            if validate_now and v is not None:
                stack.write(i, run.controller.model)
                value, shown = v()
                if v.switched:  # re-measure the best so far the way the others are measured now
                    v.switched = False
                    if best_state[i] is not None:
                        probe = copy.deepcopy(run.controller.model)
                        _load_into(probe, stack, best_state[i]["net"])
                        best_cost[i] = v.simulate(probe)
                record["val"] = shown / val_periods
                if math.isinf(value):
                    record["unstable"] = True
                if value <= best_cost[i]:
                    best_cost[i] = value
                    best_state[i] = {"net": stack.row_state(i), "init_inventory": float(inv[i]), "epoch": epoch}
            run.controller.history_.append(record)
    for i, run in enumerate(runs):
        ctrl = run.controller
        if best_state[i] is not None:
            stack.load_row(i, best_state[i]["net"])
            with torch.no_grad():
                models[i].init_inventory.fill_(best_state[i]["init_inventory"])
            ctrl.best_cost_ = best_cost[i] / val_periods if math.isfinite(best_cost[i]) else None
        stack.write(i, ctrl.model)
        ctrl.skipped_steps_ = skipped[i]


def _load_into(net: torch.nn.Sequential, stack: StackedMLP, state: list[torch.Tensor]) -> None:
    with torch.no_grad():
        for k, j in enumerate(stack.layer_index):
            net[j].weight.copy_(state[2 * k].T)
            net[j].bias.copy_(state[2 * k + 1][0])
