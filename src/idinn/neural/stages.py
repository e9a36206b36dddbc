"""The training stages of a neural controller, run in order by :func:`idinn.neural.training.train`.

- :class:`WarmStart` -- imitate a fitted (heuristic) controller by regression;
- :class:`PolicyIteration` / :class:`FiniteHorizonPolicyIteration` -- exact approximate
  policy iteration (see :mod:`idinn._improve`);
- :class:`GradientTraining` -- gradient descent on the cost of simulated paths, through
  the dynamics (fused kernels on the CPU, autograd elsewhere), with model selection.

Each reports :class:`idinn.neural.TrainingProgress` after every step and stops at the
next step boundary when asked to; each keeps the best weights it has seen.
"""

from __future__ import annotations

import copy
import logging
import math
import time
import warnings
from typing import Any

import numpy as np
import torch

from ..dynamics import transition
from .optim import Adam
from .network import interval_loss, ste_orders, time_features, with_time_features
from .training import TrainingRun

logger = logging.getLogger("idinn.neural")


def regress(
    run: TrainingRun,
    x_all: torch.Tensor,
    y_all: torch.Tensor,
    steps: int,
    lr: float = 1e-3,
    minibatch: int = 512,
    stage: str | None = None,
) -> float:
    """Fit the outputs into the floor intervals of the orders ``y`` (:func:`interval_loss`).

    Returns
    -------
    float
        Fraction of rows whose orders the network reproduces exactly.
    """
    net = run.net
    device = next(net.parameters()).device
    x_all, y_all = x_all.to(device), y_all.to(device)
    opt = Adam(net.parameters(), lr=lr)
    n = x_all.shape[0]
    for step in range(steps):
        if run.stop_requested:
            break
        idx = torch.randint(0, n, (min(minibatch, n),), generator=run.generator).to(device)
        loss = interval_loss(net(x_all[idx]), y_all[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if stage is not None and (step + 1) % 100 == 0:
            run.report(stage, step + 1, steps, train_cost=float(loss.detach()))
    with torch.no_grad():
        return float((ste_orders(net(x_all)) == y_all).all(dim=1).float().mean())


def _fit_targets(run: TrainingRun, x: torch.Tensor, y: torch.Tensor, steps: int, rounds: int, stage: str | None) -> float:
    agree = 0.0
    for _ in range(rounds):  # until the network reproduces the targets on (nearly) every state
        agree = regress(run, x, y, steps, stage=stage)
        if agree >= 0.999 or run.stop_requested:
            break
    return agree


def _initial_state_row(run: TrainingRun) -> np.ndarray:
    init = np.zeros(run.params.state_dim, dtype=np.int64)
    init[0] = math.floor(float(run.model.init_inventory.detach()))
    return init


class WarmStart:
    """Imitate ``teacher`` (a fitted controller, or a factory returning one) by regression.

    States are collected by simulating the teacher from the model's initial state
    (``paths`` x ``periods``); with probability ``explore`` an order is perturbed by +-1
    or +-2 so that states next to the teacher's path are covered too. The network's
    outputs are regressed into the floor interval of the teacher's order
    (:func:`idinn.neural.network.interval_loss`). Sets ``controller.imitation_agreement_``.
    """

    name = "warm_start"

    def __init__(self, teacher: Any, steps: int = 2000, paths: int = 256, periods: int = 200, explore: float = 0.1):
        self.teacher, self.steps, self.paths, self.periods, self.explore = teacher, steps, paths, periods, explore

    def run(self, run: TrainingRun) -> None:
        t0 = time.perf_counter()
        ctrl, gen, params = run.controller, run.generator, run.params
        try:
            teacher = self.teacher() if not hasattr(self.teacher, "_policy_at") else self.teacher
        except ValueError as exc:
            if params.excess_demand != "lost_sales":
                raise
            # A heuristic that refuses lost sales: the exact lost-sales stage that follows needs no warm start.
            logger.info("warm start skipped: %s", exc)
            return
        demands = run.demand.sample_periods(self.paths, self.periods, gen)
        state = torch.zeros(self.paths, params.state_dim)
        state[:, 0] = float(run.model.get_init_inventory().detach())
        xs, ys = [], []
        with torch.no_grad():
            for t in range(self.periods):
                x = with_time_features(state, time_features(ctrl.season_length_, t, 1, ctrl.horizon_))
                q = teacher._policy_at(state, t).to(torch.float32)
                xs.append(x)
                ys.append(q)
                noise = torch.randint(-2, 3, q.shape, generator=gen).to(torch.float32)
                mask = torch.rand(q.shape, generator=gen) < self.explore
                state = transition(state, torch.clamp(q + noise * mask, min=0), demands[:, t], params)
        ctrl.imitation_agreement_ = _fit_targets(run, torch.cat(xs), torch.cat(ys), self.steps, 4, self.name)
        logger.info(
            "imitated %s on %.1f%% of states in %.1f s",
            type(teacher).__name__, 100 * ctrl.imitation_agreement_, time.perf_counter() - t0,
        )


class PolicyIteration:
    """Approximate policy iteration with exact evaluation (average cost, or ``discount``).

    Each round: the network's policy is evaluated exactly on its reachable states, every
    visited state's orders are improved by one-step look-ahead (:func:`idinn._improve.
    improvement_targets`, values discounted with 0.999 as relative values for the average
    cost), and the network is regressed onto the improved orders; a round is kept only if
    the exact cost falls. Sets ``controller.policy_iteration_log_``.
    """

    name = "policy_iteration"

    def __init__(self, iterations: int, steps: int = 1000, discount: float | None = None, max_states: int = 100_000):
        self.iterations, self.steps, self.discount, self.max_states = iterations, steps, discount, max_states

    def exact_cost(self, run: TrainingRun) -> float:
        from ..exact import evaluate_policy, evaluate_policy_discounted

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                if self.discount is not None:
                    dv = evaluate_policy_discounted(run.controller, run.model, self.discount, max_states=self.max_states)
                    return float(dv.discounted_cost) if dv.boundary_mass < 1e-6 else math.inf
                ev = evaluate_policy(run.controller, run.model, max_states=self.max_states)
            except (ValueError, MemoryError, RuntimeError):
                return math.inf
        return float(ev.average_cost) if ev.boundary_mass < 1e-6 else math.inf

    def targets(self, run: TrainingRun) -> tuple[torch.Tensor, torch.Tensor, int] | None:
        from .._improve import ChainTooLarge, improvement_targets

        ctrl = run.controller
        values, probs = run.demand.pmf()

        def act(states: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                q = ctrl.policy(torch.from_numpy(states.astype(np.float32)))
            return q.cpu().numpy().astype(np.int64)

        try:
            x, y, changed = improvement_targets(
                act, run.params, values, probs, _initial_state_row(run),
                gamma=0.999 if self.discount is None else self.discount,
            )
        except ChainTooLarge as exc:
            logger.info("policy iteration stopped: the policy's chain is too large (%s)", exc)
            return None
        return torch.from_numpy(x), torch.from_numpy(y), changed

    def run(self, run: TrainingRun) -> None:
        from .lost_sales import LostSalesPolicyImprovement, lost_sales_policy_improvement_applies

        if type(self) is PolicyIteration and self.discount is None and lost_sales_policy_improvement_applies(run.model):
            # Lost sales: improvement with the exact optimal relative values (docs/neural_lost_sales.md).
            LostSalesPolicyImprovement(max(self.iterations, 1), self.steps).run(run)
            return
        best = self.exact_cost(run)
        best_weights = copy.deepcopy(run.net.state_dict())
        log: list[dict[str, float]] = [{"iteration": 0.0, "cost": best, "changed": 0.0}]
        run.controller.policy_iteration_log_ = log
        for it in range(1, self.iterations + 1):
            if run.stop_requested:
                break
            found = self.targets(run)
            if found is None or found[2] == 0:
                break
            x, y, changed = found
            agree = _fit_targets(run, x, y, self.steps, 3, None)
            cost = self.exact_cost(run)
            log.append({"iteration": float(it), "cost": cost, "changed": float(changed), "agreement": agree})
            logger.info("policy iteration %d: %d states improved, agreement %.4f, exact cost %.5f", it, changed, agree, cost)
            improved = cost < best - 1e-9
            if improved:
                best = cost
                best_weights = copy.deepcopy(run.net.state_dict())
            run.report(self.name, it, self.iterations, validation_cost=cost, best_cost=best)
            if not improved:
                break
        run.net.load_state_dict(best_weights)


class FiniteHorizonPolicyIteration(PolicyIteration):
    """Approximate policy iteration over a finite horizon (see :mod:`idinn._improve`)."""

    def __init__(self, iterations: int, steps: int, horizon: int, discount: float | None = None):
        super().__init__(iterations, steps, discount)
        self.horizon = horizon
        self._box: Any = None

    def exact_cost(self, run: TrainingRun) -> float:
        from ..exact import evaluate_policy_finite_horizon

        gamma = 1.0 if self.discount is None else self.discount
        return float(evaluate_policy_finite_horizon(run.controller, run.model, self.horizon, discount=gamma).total_cost)

    def targets(self, run: TrainingRun) -> tuple[torch.Tensor, torch.Tensor, int] | None:
        from .._improve import default_box, finite_horizon_improvement_targets

        ctrl, demand = run.controller, run.demand
        init = _initial_state_row(run)
        if self._box is None:
            dmax = max(int(demand.pmf(t)[0][-1]) for t in range(demand.season_length or 1))
            self._box = default_box(run.params, np.array([dmax]), int(init[0]))

        def act_at(states: np.ndarray, t: int) -> np.ndarray:
            with torch.no_grad():
                q = ctrl._policy_at(torch.from_numpy(states.astype(np.float32)), t)
            return q.cpu().numpy().astype(np.int64)

        rows, changed = finite_horizon_improvement_targets(
            act_at, run.params, demand.pmf, init, self.horizon, box=self._box,
            discount=1.0 if self.discount is None else self.discount, anchors=False,
        )
        xs, ys = [], []
        for t, states, orders in rows:
            feats = time_features(ctrl.season_length_, t, 1, ctrl.horizon_)
            xs.append(with_time_features(torch.from_numpy(states.astype(np.float32)), feats))
            ys.append(torch.from_numpy(orders.astype(np.float32)))
        if not xs:
            return None
        return torch.cat(xs), torch.cat(ys), changed
