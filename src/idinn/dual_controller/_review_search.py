r"""The heuristics' parameter search for problems with review periods.

With review periods (:attr:`idinn.dynamics.SourcingParams.review_periods`) a heuristic's
order rule becomes its periodic-review variant: the rule's orders restricted to the
suppliers reviewed in period :math:`t` (:func:`idinn.dynamics.restrict_to_review`), so the
policy depends on :math:`t \bmod` the review cycle. This module is the period-aware twin of
:func:`idinn.dual_controller._search.search_parameters` (which dispatches here): the same
three stages — every candidate simulated on common demand paths (coarse-to-fine above
:data:`~idinn.dual_controller._search.MAX_EXHAUSTIVE_CANDIDATES`), the best re-simulated on
four times the paths, the best few evaluated exactly — with the period passed to the rule
and counted from 0 at the problem's initial state. Stage 3 needs an exact evaluator that
models review periods (:func:`idinn.exact.evaluate_policy` on the chain of (state,
:math:`t \bmod` cycle)); until it does, the result is ranked by simulation and its
``notes`` say so.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from ..dynamics import advance, period_cost, restrict_to_review
from ..problem import SourcingProblem
from ._search import (
    BOUNDARY_MASS_LIMIT,
    LEVEL_CANDIDATES,
    MAX_EXHAUSTIVE_CANDIDATES,
    MAX_SIMULATION_ROWS,
    SearchResult,
    _coarse_to_fine,
)

__all__ = ["simulate_periodic_candidates", "exact_periodic_cost", "search_with_review_periods"]

OrderRule = Callable[..., Any]


def simulate_periodic_candidates(
    rule: OrderRule, candidates: np.ndarray, problem: SourcingProblem, demand: np.ndarray, burn_in: int
) -> np.ndarray:
    r"""Average cost per period of every candidate of the periodic-review ``rule`` on shared paths.

    Row ``k * P + p`` runs candidate ``k`` on demand path ``p`` from the problem's initial
    state; in period :math:`t` the orders are ``restrict_to_review(rule(state, params,
    *theta), params, t)``; :func:`~idinn.dynamics.advance` and
    :func:`~idinn.dynamics.period_cost` charge the cost (both excess-demand rules).

    Parameters
    ----------
    rule : OrderRule
    candidates : ndarray of int, shape (K, n_params)
    problem : SourcingProblem
    demand : ndarray, shape (P, T)
    burn_in : int
        Leading periods left out of the average.

    Returns
    -------
    ndarray of float64, shape (K,)
    """
    demand = np.asarray(demand, dtype=np.float32)
    n_paths, periods = demand.shape
    params = problem.params
    chunk = max(1, MAX_SIMULATION_ROWS // max(n_paths, 1))
    out = []
    for start in range(0, candidates.shape[0], chunk):
        cand = candidates[start : start + chunk]
        n_cand = cand.shape[0]
        theta = [np.repeat(cand[:, j].astype(np.float32), n_paths) for j in range(cand.shape[1])]
        state = np.tile(problem.init_state.astype(np.float32), (n_cand * n_paths, 1))
        total = np.zeros(n_cand * n_paths)
        for t in range(periods):
            orders = restrict_to_review(rule(state, params, *theta), params, t)
            state, net = advance(state, orders, np.tile(demand[:, t], n_cand), params)
            if t >= burn_in:
                total += period_cost(net, orders, params)
        out.append(total.reshape(n_cand, n_paths).mean(1) / (periods - burn_in))
    return np.concatenate(out)


def exact_periodic_cost(rule: OrderRule, theta: Sequence[int], problem: SourcingProblem) -> tuple[float | None, str]:
    """Exact long-run average cost of the periodic-review rule, or ``(None, reason)``.

    ``None`` when :func:`idinn.exact.evaluate_policy` does not (yet) model review periods,
    or when truncated states carry more than ``BOUNDARY_MASS_LIMIT`` long-run probability.
    """
    from ..exact import evaluate_policy

    params = problem.params
    theta = tuple(int(v) for v in theta)

    def policy(state: Any, period: int) -> Any:
        if isinstance(state, torch.Tensor):
            state = state.detach().cpu().numpy()
        return restrict_to_review(rule(state, params, *theta), params, period)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = evaluate_policy(policy, problem)
    except ValueError as err:
        if "review period" in str(err) or "stationary" in str(err):
            return None, "the exact evaluator does not model review periods yet; ranked by simulation"
        raise
    if result.boundary_mass > BOUNDARY_MASS_LIMIT:
        return None, f"exact evaluation of {theta} truncated (boundary mass {result.boundary_mass:.3g})"
    return float(result.average_cost), ""


def search_with_review_periods(
    rule: OrderRule,
    candidates: np.ndarray,
    problem: SourcingProblem,
    sourcing_periods: int,
    n_paths: int,
    n_exact: int,
    seed: int | None,
) -> SearchResult:
    """Best parameter vector of the periodic-review ``rule`` (same stages and result as
    :func:`~idinn.dual_controller._search.search_parameters`)."""
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    demand_model = problem.demand
    burn_in = sourcing_periods // 10
    demand = demand_model.sample_periods(n_paths, sourcing_periods, generator, start_period=0).numpy()
    n_grid = candidates.shape[0]
    notes: list[str] = []

    def simulate(rows: np.ndarray, paths: np.ndarray) -> np.ndarray:
        return simulate_periodic_candidates(rule, rows, problem, paths, burn_in)

    if n_grid <= MAX_EXHAUSTIVE_CANDIDATES:
        strategy = "exhaustive"
        stage1 = simulate(candidates, demand)
    else:
        strategy = "coarse-to-fine"
        idx, stage1 = _coarse_to_fine(lambda rows: simulate(rows, demand), candidates, LEVEL_CANDIDATES)
        candidates = candidates[idx]
        notes.append(f"coarse-to-fine: simulated {len(idx)} of {n_grid} candidates")
    order = np.argsort(stage1, kind="stable")
    n_refine = min(candidates.shape[0], max(4 * n_exact, 16))
    top, sim_best = order, float(stage1[order[0]])
    if n_refine > 1:
        top = order[:n_refine]
        demand2 = demand_model.sample_periods(4 * n_paths, sourcing_periods, generator).numpy()
        stage2 = simulate(candidates[top], demand2)
        top = top[np.argsort(stage2, kind="stable")]
        sim_best = float(np.sort(stage2)[0])
    exact: dict[tuple[int, ...], float] = {}
    if n_exact > 0 and demand_model.has_finite_support and demand_model.season_length is None:
        for k in top[:n_exact]:
            cost, why = exact_periodic_cost(rule, candidates[k], problem)
            if cost is None:
                notes.append(why)
                if "does not model" in why:
                    break
                continue
            exact[tuple(int(v) for v in candidates[k])] = cost
    if exact:
        best_key = min(exact, key=lambda key: (round(exact[key], 9), key))
        return SearchResult(np.array(best_key, dtype=np.int64), exact[best_key], True, candidates, stage1, exact,
                            n_grid, strategy, notes)
    return SearchResult(candidates[top[0]].copy(), sim_best, False, candidates, stage1, exact, n_grid, strategy,
                        notes)
