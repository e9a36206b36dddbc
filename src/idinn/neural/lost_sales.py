r"""Training stages of the neural controllers under lost sales (Zipkin 2008).

:class:`LostSalesPolicyImprovement` -- exact policy improvement for single sourcing with
lost sales. The exact lost-sales DP (:func:`idinn.exact.solve_lost_sales_average_cost`)
gives the optimal relative values; greedy improvement with respect to them is the optimal
order :math:`q^*(s)` in every state. The network is trained to reproduce :math:`q^*` on
the states that matter, in rounds (imitation with the learner's own states, "DAgger",
Ross, Gordon & Bagnell 2011):

1. the states :math:`s` reachable under :math:`q^*` from the initial state, with their
   stationary probabilities :math:`\pi^*(s)` (exact Markov-chain analysis,
   :func:`idinn.exact.evaluate_policy`), labelled :math:`q^*(s)`;
2. each round regresses the network into the floor intervals of the labels
   (:func:`idinn.neural.network.interval_loss`) on minibatches drawn with probability
   :math:`0.7\,\pi(s) + 0.3 / n` (frequent states first, every state covered), evaluates
   the network's integer policy exactly, keeps the weights if its exact average cost is
   the lowest so far, and adds the states the network's own policy reaches (labelled
   :math:`q^*`, weighted by the network's stationary probabilities) to the data.

:class:`CappedBaseStockWarmStart` -- imitation of a capped base-stock policy
:math:`q = \min([S - y]^+, r)` (Xin 2021) on simulated states, for lead times where no
exact DP fits in memory; :class:`LostSalesPolicyWarmStart` the same for the projected
inventory level and fixed arrival service-level policies (:mod:`idinn.exact.lost_sales_projected`).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import math
import time
import warnings
from typing import Any

import numpy as np
import torch

from .network import interval_loss, ste_orders
from .training import TrainingRun

logger = logging.getLogger("idinn.neural")

#: Tail mass at which unbounded demand (Poisson, geometric) is truncated for the exact stages.
TAIL_MASS = 1e-10


def exact_problem(model: Any, tail_mass: float = TAIL_MASS) -> Any:
    """The model's :class:`~idinn.problem.SourcingProblem`, unbounded demand truncated at ``tail_mass``."""
    from ..problem import as_problem

    problem = as_problem(model)
    demand = problem.demand
    if not demand.has_finite_support and hasattr(demand, "truncated"):
        problem = dataclasses.replace(problem, demand=demand.truncated(tail_mass=tail_mass))
    return problem


def lost_sales_policy_improvement_applies(model: Any) -> bool:
    """Whether the policy-iteration stage imitates the exact optimum (:class:`LostSalesPolicyImprovement`).

    Stationary demand, no capacities or review periods, and either lost sales -- single sourcing
    with lead time >= 1 (:func:`idinn.exact.solve_lost_sales_average_cost`, no fixed cost) or several
    suppliers -- or fixed order costs with several suppliers (backlog or lost sales); with several
    suppliers the demand needs a finite support (:func:`idinn.exact.solve_multi_sourcing_average_cost`).
    """
    params, demand = model.params, model.demand_generator
    if demand.season_length is not None or params.has_capacities or params.has_review_periods:
        return False
    if params.has_fixed_costs:  # several suppliers: the general engine's optimum (backlog or lost sales)
        return params.n_suppliers >= 2 and demand.has_finite_support
    if params.excess_demand != "lost_sales":
        return False
    if params.n_suppliers == 1:
        return params.lead_times[0] >= 1 and (demand.has_finite_support or hasattr(demand, "truncated"))
    return demand.has_finite_support


@dataclasses.dataclass(frozen=True)
class _Chain:
    """What the stage uses of an exact evaluation: full states (n, 1 + L), stationary probabilities, cost."""

    states: np.ndarray
    probabilities: np.ndarray
    average_cost: float
    boundary_mass: float


class _Optimum:
    """The exact optimal policy: ``cost`` and ``label(states) -> (orders (B, K), inside mask (B,))``."""

    def __init__(self, problem: Any, max_entries: int | None = None) -> None:
        from ..exact import solve_lost_sales_average_cost

        self.k = problem.params.n_suppliers
        if self.k == 1:
            self.sol = solve_lost_sales_average_cost(problem, tail_mass=TAIL_MASS, max_entries=max_entries)
        else:
            from ..exact import solve_multi_sourcing_average_cost

            self.sol = solve_multi_sourcing_average_cost(problem)
        self.cost = float(self.sol.average_cost)

    def label(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.k == 1:
            return self.sol.order(states)[:, None], np.ones(len(states), dtype=bool)
        try:
            return np.asarray(self.sol.orders(states), dtype=np.int64), np.ones(len(states), dtype=bool)
        except ValueError:  # some states lie outside the solved box: label the others
            out, inside = np.zeros((len(states), self.k), dtype=np.int64), np.zeros(len(states), dtype=bool)
            for i, row in enumerate(states):
                try:
                    out[i] = self.sol.orders(row[None])[0]
                    inside[i] = True
                except ValueError:
                    pass
            return out, inside

    def policy(self, states: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(self.label(states.numpy().astype(np.int64))[0].astype(np.float32))


def _weighted_fit(
    run: TrainingRun, x: torch.Tensor, y: torch.Tensor, w: torch.Tensor, steps: int, lr: float, minibatch: int,
    stationary_share: float, stage: str, round_: int, rounds: int,
) -> None:
    """Adam on :func:`interval_loss` over minibatches drawn with probability ``share * w + (1 - share) / n``."""
    net = run.net
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    probs = stationary_share * w / w.sum() + (1.0 - stationary_share) / w.numel()
    for step in range(steps):
        if run.stop_requested:
            break
        idx = torch.multinomial(probs, minibatch, replacement=True, generator=run.generator)
        loss = interval_loss(net(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if (step + 1) % 500 == 0:
            run.report(stage, round_ * steps + step + 1, rounds * steps, train_cost=float(loss.detach()))


class LostSalesPolicyImprovement:
    r"""Exact policy improvement for single sourcing with lost sales (see the module docstring).

    Parameters
    ----------
    rounds : int, default=4
        Regression rounds (each followed by an exact evaluation of the network's policy).
    steps : int, default=2000
        Adam steps per round (minibatches of ``minibatch`` states).
    lr : float, default=3e-3
        Adam learning rate of the first round (later rounds: a third of it).
    max_states : int, default=500_000
        Largest Markov chain evaluated exactly (:func:`idinn.exact.evaluate_policy`).
    max_entries : int, default=400_000_000
        Memory budget of the single-sourcing DP and of the exact evaluations, in table entries
        (about 3 GiB; the DP of Poisson(5) demand with :math:`L = 6`, :math:`p = 9` needs
        :math:`3.1 \cdot 10^8`: 13,983,816 states of 22 entries).

    Sets ``controller.policy_iteration_log_`` (one row per round: ``iteration``,
    ``cost`` -- exact average cost of the network's policy --, ``optimal_cost``,
    ``agreement`` -- share of the data states where the network orders :math:`q^*` --,
    ``states``) and ``controller.optimal_cost_`` (the DP optimum). When an evaluation does not
    fit (``MemoryError``), the stage logs why and keeps the best weights so far. When the DP
    itself does not fit (long lead times), the network instead imitates the fixed arrival
    service-level policy (de Kok & Meijer 2023) whose level
    :func:`idinn.exact.fit_lost_sales_service_level_by_simulation` picks on 64 simulated paths
    of 1,000 periods (seeded from the fit's generator); ``controller.fallback_policy_`` is that
    fit (:class:`idinn.exact.LostSalesPolicyFit`). ``fallback=False`` (the controllers pass it
    when the user gave an ``init_policy``) keeps the weights instead.
    """

    name = "policy_iteration"

    def __init__(self, rounds: int = 4, steps: int = 2000, lr: float = 3e-3, minibatch: int = 512,
                 stationary_share: float = 0.7, max_states: int = 500_000, max_entries: int = 400_000_000,
                 fallback: bool = True) -> None:
        self.rounds, self.steps, self.lr, self.minibatch = rounds, steps, lr, minibatch
        self.stationary_share, self.max_states, self.max_entries = stationary_share, max_states, max_entries
        self.fallback = fallback

    def _evaluate(self, policy: Any, problem: Any, reduced: bool) -> Any:
        """Exact evaluation: on Zipkin's reduced state when ``reduced`` (compressed network), else the full chain."""
        from ..exact import evaluate_lost_sales_policy_reduced, evaluate_policy

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if reduced:
                ev = evaluate_lost_sales_policy_reduced(policy, problem, max_entries=self.max_entries)
                return _Chain(ev.full_states, ev.probabilities, ev.average_cost, 0.0)
            ev = evaluate_policy(policy, problem, max_states=self.max_states, max_entries=self.max_entries)
            return _Chain(np.asarray(ev.states), np.asarray(ev.probabilities), float(ev.average_cost),
                          float(ev.boundary_mass))

    def run(self, run: TrainingRun) -> None:
        t0 = time.perf_counter()
        ctrl = run.controller
        problem = exact_problem(run.model)
        # A compressed network sees (I_t + q_{t-L}, q_{t-L+1}, ...): its policy is a function of
        # Zipkin's reduced state and is evaluated exactly there (idinn.exact.lost_sales_chain).
        reduced = problem.params.n_suppliers == 1 and bool(getattr(ctrl, "compressed", False))
        log: list[dict[str, float]] = []
        ctrl.policy_iteration_log_ = log
        try:
            opt = _Optimum(problem, self.max_entries)
            opt_ev = self._evaluate(opt.policy, problem, reduced)
        except (MemoryError, ValueError) as exc:
            logger.info("lost-sales policy improvement skipped: %s", exc)
            if self.fallback and problem.params.n_suppliers == 1 and isinstance(exc, MemoryError):
                self._imitate_service_level(run, problem)
            return
        ctrl.optimal_cost_ = opt.cost

        def data(ev: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            states = np.asarray(ev.states, dtype=np.int64)
            labels, inside = opt.label(states)
            return (
                torch.from_numpy(states[inside].astype(np.float32)),
                torch.from_numpy(labels[inside].astype(np.float32)),
                torch.from_numpy(np.array(ev.probabilities, dtype=np.float64)[inside]),
            )

        x, y, w = data(opt_ev)
        net = run.net
        best, best_weights = math.inf, copy.deepcopy(net.state_dict())
        for r in range(self.rounds):
            if run.stop_requested:
                break
            _weighted_fit(run, x, y, w, self.steps, self.lr if r == 0 else self.lr / 3, self.minibatch,
                          self.stationary_share, self.name, r, self.rounds)
            with torch.no_grad():
                agree = float((ste_orders(net(x)) == y).all(dim=1).float().mean())
            try:
                ev = self._evaluate(ctrl, problem, reduced)
            except (MemoryError, ValueError) as exc:
                logger.info("lost-sales policy improvement: the network's chain is too large (%s)", exc)
                break
            cost = float(ev.average_cost) if ev.boundary_mass < 1e-6 else math.inf
            log.append({"iteration": float(r + 1), "cost": cost, "optimal_cost": float(opt.cost),
                        "agreement": agree, "states": float(x.shape[0])})
            logger.info("lost-sales improvement round %d: exact cost %.5f (optimum %.5f), agreement %.4f",
                        r + 1, cost, opt.cost, agree)
            if cost < best:
                best, best_weights = cost, copy.deepcopy(net.state_dict())
            run.report(self.name, r + 1, self.rounds, validation_cost=cost, best_cost=best)
            if best <= opt.cost * (1 + 1e-6):
                break  # the network's policy is optimal (to the DP's tolerance)
            xn, yn, wn = data(ev)
            x, y, w = torch.cat([x, xn]), torch.cat([y, yn]), torch.cat([w, wn])
        net.load_state_dict(best_weights)
        logger.info("lost-sales policy improvement: %.1f s", time.perf_counter() - t0)

    def _imitate_service_level(self, run: TrainingRun, problem: Any) -> None:
        """No DP fits: imitate the fixed arrival service level fitted by simulation instead."""
        from ..exact.lost_sales_projected import (
            arrival_service_level_policy,
            fit_lost_sales_service_level_by_simulation,
        )

        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=run.generator))
        fit = fit_lost_sales_service_level_by_simulation(problem, seed=seed, tail_mass=TAIL_MASS)
        run.controller.fallback_policy_ = fit
        logger.info("lost-sales policy improvement: no DP fits; imitating the arrival service level %.4f "
                    "(simulated cost %.4f)", fit.parameters["service_level"], fit.average_cost)
        policy = arrival_service_level_policy(problem, fit.parameters["service_level"], tail_mass=TAIL_MASS)
        LostSalesPolicyWarmStart(policy, steps=self.steps).run(run)


class LostSalesPolicyWarmStart:
    r"""Imitate a lost-sales policy on the states it visits.

    ``policy`` has ``policy(state) -> orders (B, 1)``: an
    :class:`idinn.exact.ProjectedInventoryLevelPolicy` (van Jaarsveld & Arts 2024) or
    :class:`idinn.exact.ArrivalServiceLevelPolicy` (de Kok & Meijer 2023), see
    :mod:`idinn.exact.lost_sales_projected`. States are collected by simulating the policy
    (``paths`` x ``periods``, orders perturbed by +-1, +-2 with probability ``explore``); the
    network is regressed into the floor intervals of the policy's orders. Sets
    ``controller.imitation_agreement_``.
    """

    name = "warm_start"

    def __init__(self, policy: Any, steps: int = 2000, paths: int = 256, periods: int = 200,
                 explore: float = 0.1) -> None:
        self.teacher, self.steps, self.paths, self.periods, self.explore = policy, steps, paths, periods, explore

    def orders(self, state: torch.Tensor) -> torch.Tensor:
        return self.teacher.policy(state)

    def run(self, run: TrainingRun) -> None:
        from ..dynamics import transition
        from .stages import _fit_targets

        gen, params = run.generator, run.params
        demands = run.demand.sample_periods(self.paths, self.periods, gen)
        state = torch.zeros(self.paths, params.state_dim)
        state[:, 0] = float(run.model.get_init_inventory().detach())
        xs, ys = [], []
        for t in range(self.periods):
            q = self.orders(state)
            xs.append(state)
            ys.append(q)
            noise = torch.randint(-2, 3, q.shape, generator=gen).to(torch.float32)
            mask = torch.rand(q.shape, generator=gen) < self.explore
            state = transition(state, torch.clamp(q + noise * mask, min=0), demands[:, t], params)
        run.controller.imitation_agreement_ = _fit_targets(run, torch.cat(xs), torch.cat(ys), self.steps, 4, self.name)


class CappedBaseStockWarmStart(LostSalesPolicyWarmStart):
    r"""Imitate the capped base-stock policy :math:`q = \min([S - y]^+, r)` (Xin 2021).

    :math:`y` is the inventory position (on-hand plus pipeline); states are simulated as in
    :class:`LostSalesPolicyWarmStart`. Sets ``controller.imitation_agreement_``.
    """

    def __init__(self, level: int, cap: int, steps: int = 2000, paths: int = 256, periods: int = 200,
                 explore: float = 0.1) -> None:
        super().__init__(None, steps, paths, periods, explore)
        self.level, self.cap = level, cap

    def orders(self, state: torch.Tensor) -> torch.Tensor:
        return torch.clamp(self.level - state.sum(dim=1, keepdim=True), min=0, max=self.cap)
