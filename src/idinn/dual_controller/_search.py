r"""The parameter search of the dual-sourcing heuristics, in bounded memory.

1. every candidate is simulated on common demand paths (common random numbers) through
   :func:`idinn.dynamics.transition` and :func:`idinn.dynamics.period_cost`, in chunks of
   at most :data:`MAX_SIMULATION_ROWS` rows; grids above
   :data:`MAX_EXHAUSTIVE_CANDIDATES` are searched coarse-to-fine;
2. the best candidates are simulated again on more paths (successive halving);
3. the best few are re-ranked by their exact long-run average cost
   (:func:`idinn.exact.evaluate_policy`) when the demand is stationary with finite
   support and the chains are small enough (:data:`EXACT_MAX_STATES`).

:class:`SearchResult` records what was searched. The names are re-exported by
:mod:`idinn.dual_controller._heuristic_search`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..dynamics import SourcingParams, period_cost, transition

__all__ = [
    "simulate_candidates",
    "SearchResult",
    "search_parameters",
    "exact_cost",
    "MAX_SIMULATION_ROWS",
    "MAX_EXHAUSTIVE_CANDIDATES",
    "LEVEL_CANDIDATES",
    "EXACT_MAX_STATES",
    "BOUNDARY_MASS_LIMIT",
]

#: An order rule ``rule(state, params, *theta) -> orders`` (see ``_heuristic_search.OrderRule``).
OrderRule = Callable[..., Any]


# ------------------------------------------------------------------------ simulation
def simulate_candidates(
    rule: OrderRule,
    candidates: np.ndarray,
    params: SourcingParams,
    demand: np.ndarray | torch.Tensor,
    init_inventory: float,
    burn_in: int,
) -> np.ndarray:
    r"""Average cost per period of every candidate on the same demand paths.

    One batched rollout over ``K`` candidates :math:`\times` ``P`` paths (row
    ``k * P + p`` runs candidate ``k`` on path ``p``) through
    :func:`~idinn.dynamics.transition` and :func:`~idinn.dynamics.period_cost`, from the
    state :math:`[I_0, 0, \dots, 0]`. It runs on ``numpy`` arrays: single-threaded
    element-wise work on a large batch is fast and does not compete for cores.

    Parameters
    ----------
    rule : OrderRule
        The heuristic's order function.
    candidates : ndarray of int, shape (K, n_params)
        One parameter vector per row, in the order ``rule`` takes them.
    params : SourcingParams
    demand : ndarray or tensor, shape (P, T)
        Demand paths shared by all candidates (common random numbers).
    init_inventory : float
        :math:`I_0`.
    burn_in : int
        Leading periods left out of the average (the start is not stationary).

    Returns
    -------
    ndarray of float64, shape (K,)
        Mean cost per period over periods ``burn_in .. T-1`` and all paths.
    """
    if isinstance(demand, torch.Tensor):
        demand = demand.detach().cpu().numpy()
    demand = np.asarray(demand, dtype=np.float32)
    n_paths = demand.shape[0]
    chunk = max(1, MAX_SIMULATION_ROWS // max(n_paths, 1))
    if candidates.shape[0] <= chunk:
        return _simulate_chunk(rule, candidates, params, demand, init_inventory, burn_in)
    return np.concatenate(
        [
            _simulate_chunk(rule, candidates[i : i + chunk], params, demand, init_inventory, burn_in)
            for i in range(0, candidates.shape[0], chunk)
        ]
    )


#: Most simulated rows (candidates x paths) held at once; larger searches run in chunks.
MAX_SIMULATION_ROWS = 2**19


def _simulate_chunk(
    rule: OrderRule, candidates: np.ndarray, params: SourcingParams, demand: np.ndarray, init_inventory: float,
    burn_in: int,
) -> np.ndarray:
    n_cand = candidates.shape[0]
    n_paths, periods = demand.shape
    theta = [np.repeat(candidates[:, j].astype(np.float32), n_paths) for j in range(candidates.shape[1])]
    state = np.zeros((n_cand * n_paths, params.state_dim), dtype=np.float32)
    state[:, 0] = float(init_inventory)
    total = np.zeros(n_cand * n_paths)
    for t in range(periods):
        orders = rule(state, params, *theta)
        state = transition(state, orders, np.tile(demand[:, t], n_cand), params)
        if t >= burn_in:
            total += period_cost(state[:, 0], orders, params)
    return total.reshape(n_cand, n_paths).mean(1) / (periods - burn_in)


# ---------------------------------------------------------------------------- search
@dataclass
class SearchResult:
    """Outcome of :func:`search_parameters`, including what was searched.

    Attributes
    ----------
    best : ndarray of int, shape (n_params,)
        Best parameter vector.
    best_cost : float
        Its long-run average cost per period: exact when ``cost_is_exact``, simulated
        otherwise.
    cost_is_exact : bool
    candidates : ndarray of int, shape (K, n_params)
        Every candidate simulated (the whole grid when ``strategy == "exhaustive"``).
    simulated_costs : ndarray of float, shape (K,)
        Each candidate's cost in its first simulation (on the stage-1 paths).
    exact_costs : dict of tuple to float
        Exact costs of the re-ranked candidates.
    n_grid : int
        Size of the candidate grid the search was given.
    strategy : str
        ``"exhaustive"`` (every candidate simulated) or ``"coarse-to-fine"`` (a lattice
        of the grid, then finer lattices around the best; grids above
        :data:`MAX_EXHAUSTIVE_CANDIDATES`).
    notes : list of str
        What the search left out and why (e.g. exact re-ranking skipped for a chain too large).
    """

    best: np.ndarray
    best_cost: float
    cost_is_exact: bool
    candidates: np.ndarray
    simulated_costs: np.ndarray
    exact_costs: dict[tuple[int, ...], float] = field(default_factory=dict)
    n_grid: int = 0
    strategy: str = "exhaustive"
    notes: list[str] = field(default_factory=list)


#: Grids up to this size are simulated exhaustively; larger ones coarse-to-fine.
MAX_EXHAUSTIVE_CANDIDATES = 4096
#: Candidates per level of the coarse-to-fine search (the coarse lattice and each refinement).
LEVEL_CANDIDATES = 512
#: Exact re-ranking is skipped when the policy's chain would have about more states than this.
EXACT_MAX_STATES = 200_000


def _coarse_to_fine(
    simulate: Callable[[np.ndarray], np.ndarray], candidates: np.ndarray, budget: int, seeds: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    r"""Indices and simulated costs of the candidates a coarse-to-fine lattice search visits.

    Each candidate has integer coordinates (its value's rank in each column). The first
    level simulates the lattice of stride :math:`s` (the smallest power of two with at most
    ``budget`` lattice points); each next level halves :math:`s` and simulates the lattice
    points within :math:`\pm s` of the ``seeds`` best candidates so far, down to stride 1.
    """
    n_cols = candidates.shape[1]
    cols = [np.unique(candidates[:, j]) for j in range(n_cols)]
    coords = np.stack([np.searchsorted(cols[j], candidates[:, j]) for j in range(n_cols)], axis=1)
    stride = 1
    while math.prod(-(-len(c) // stride) for c in cols) > budget:
        stride *= 2
    costs = np.full(candidates.shape[0], np.inf)
    done = np.zeros(candidates.shape[0], dtype=bool)

    def run(mask: np.ndarray) -> None:
        idx = np.flatnonzero(mask & ~done)
        if idx.size:
            costs[idx] = simulate(candidates[idx])
            done[idx] = True

    first = np.all(coords % stride == 0, axis=1)
    run(first if first.any() else np.arange(candidates.shape[0]) < min(budget, candidates.shape[0]))
    while stride > 1:
        best = np.argsort(costs, kind="stable")[:seeds]
        stride //= 2
        on_lattice = np.all(coords % stride == 0, axis=1)
        near = np.zeros(candidates.shape[0], dtype=bool)
        for b in best:
            near |= np.all(np.abs(coords - coords[b]) <= 2 * stride, axis=1)
        run(on_lattice & near)
    idx = np.flatnonzero(done)
    return idx, costs[idx]


def _chain_size_estimate(problem: Any) -> float:
    r"""Rough number of states of a heuristic's chain: :math:`K^{l_r + l_e}(\bar d + 1)` (K demand values)."""
    from ..exact._pmf import demand_pmf

    values, _ = demand_pmf(problem.demand, 0, owner="search_parameters", name="demand_generator")
    return float(len(values)) ** sum(problem.params.lead_times) * (int(values[-1]) + 1)


def _exact_evaluator() -> Callable[..., Any] | None:
    try:
        from ..exact import evaluate_policy
    except ImportError:  # pragma: no cover - the exact module ships with idinn
        return None
    return evaluate_policy


#: Long-run probability of truncated states above which an exact cost is not trusted.
BOUNDARY_MASS_LIMIT = 1e-6


def exact_cost(rule: OrderRule, theta: Sequence[int], model: Any) -> float | None:
    r"""Exact long-run average cost of one parameter vector, or ``None``.

    ``None`` when :func:`idinn.exact.evaluate_policy` is unavailable, refuses the model
    (e.g. a state space too large), or puts more than :data:`BOUNDARY_MASS_LIMIT` of
    long-run probability on truncated states (an unstable policy such as a tailored base
    surge with :math:`q^r \ge E[D]`).
    """
    evaluate = _exact_evaluator()
    if evaluate is None:
        return None
    from ..problem import as_problem

    problem = as_problem(model, owner="exact_cost", name="model")
    params = problem.params
    theta = tuple(int(v) for v in theta)

    def policy(state: Any) -> Any:
        # numpy: single-threaded element-wise work, no competition for cores
        if isinstance(state, torch.Tensor):
            state = state.detach().cpu().numpy()
        return rule(state, params, *theta)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = evaluate(policy, problem)
    except (ValueError, MemoryError) as err:
        warnings.warn(f"exact evaluation of parameters {theta} failed ({err}); ranking by simulation", stacklevel=3)
        return None
    if result.boundary_mass > BOUNDARY_MASS_LIMIT:
        return None
    return float(result.average_cost)


def search_parameters(
    rule: OrderRule,
    candidates: np.ndarray,
    model: DualSourcingModel,
    sourcing_periods: int,
    n_paths: int,
    n_exact: int,
    seed: int | None,
) -> SearchResult:
    r"""Best parameter vector of ``rule`` among ``candidates`` for ``model``, in bounded memory.

    Stage 1 simulates all ``K`` candidates (grids above :data:`MAX_EXHAUSTIVE_CANDIDATES`:
    a coarse-to-fine lattice search, :func:`_coarse_to_fine`) in chunks of at most
    :data:`MAX_SIMULATION_ROWS` rows on ``n_paths`` common demand paths of
    ``sourcing_periods`` periods (the first tenth discarded as burn-in). Stage 2 repeats
    the simulation for the best :math:`\max(4 n_\text{exact}, 16)` candidates on
    ``4 * n_paths`` fresh paths. Stage 3 evaluates the ``n_exact`` best of stage 2 exactly
    (:func:`idinn.exact.evaluate_policy`) when the demand is stationary with finite
    support and the chains are small enough (:data:`EXACT_MAX_STATES`; the result's
    ``notes`` say when not), and returns the exact best (costs equal to 9 decimals: the lexicographically
    smallest parameter vector).

    Parameters
    ----------
    rule : OrderRule
    candidates : ndarray of int, shape (K, n_params)
    model : SourcingProblem or DualSourcingModel
    sourcing_periods : int
        Periods per simulated path, >= 2.
    n_paths : int
        Paths in stage 1, >= 1.
    n_exact : int
        Candidates re-ranked exactly (0: none).
    seed : int or None
        Seed of the search's own generator (``None``: fresh entropy).
    """
    from ..problem import as_problem

    problem = as_problem(model, owner="search_parameters", name="model")
    if problem.params.has_review_periods:  # the periodic-review variant of the rule (period-aware search)
        from ._review_search import search_with_review_periods

        return search_with_review_periods(rule, candidates, problem, sourcing_periods, n_paths, n_exact, seed)
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    params = problem.params
    demand_model = problem.demand
    init = float(problem.init_inventory)
    burn_in = sourcing_periods // 10

    demand = demand_model.sample_periods(n_paths, sourcing_periods, generator)
    n_grid = candidates.shape[0]
    notes: list[str] = []
    if n_grid <= MAX_EXHAUSTIVE_CANDIDATES:
        strategy = "exhaustive"
        stage1 = simulate_candidates(rule, candidates, params, demand, init, burn_in)
    else:
        strategy = "coarse-to-fine"
        idx, stage1 = _coarse_to_fine(
            lambda rows: simulate_candidates(rule, rows, params, demand, init, burn_in), candidates, LEVEL_CANDIDATES
        )
        candidates = candidates[idx]
        notes.append(
            f"coarse-to-fine: simulated {len(idx)} of {n_grid} candidates (lattice of at most "
            f"{LEVEL_CANDIDATES} points, then finer lattices around the 2 best)"
        )
    order = np.argsort(stage1, kind="stable")

    n_refine = min(candidates.shape[0], max(4 * n_exact, 16))
    if n_refine > 1:
        top = order[:n_refine]
        demand2 = demand_model.sample_periods(4 * n_paths, sourcing_periods, generator)
        stage2 = simulate_candidates(rule, candidates[top], params, demand2, init, burn_in)
        top = top[np.argsort(stage2, kind="stable")]
        sim_best_cost = float(np.sort(stage2)[0])
    else:
        top = order
        sim_best_cost = float(stage1[order[0]])

    exact: dict[tuple[int, ...], float] = {}
    if n_exact > 0 and demand_model.has_finite_support and demand_model.season_length is None:
        size = _chain_size_estimate(problem)
        if size > EXACT_MAX_STATES:
            notes.append(
                f"exact re-ranking skipped: each policy's chain would have about {size:.3g} states "
                f"(> EXACT_MAX_STATES = {EXACT_MAX_STATES:,}); ranked by simulation"
            )
        else:
            for k in top[:n_exact]:
                cost = exact_cost(rule, candidates[k], problem)
                if cost is not None:
                    exact[tuple(int(v) for v in candidates[k])] = cost
    if exact:
        best_key = min(exact, key=lambda key: (round(exact[key], 9), key))
        return SearchResult(
            np.array(best_key, dtype=np.int64), exact[best_key], True, candidates, stage1, exact, n_grid, strategy, notes
        )
    best = candidates[top[0]]
    return SearchResult(best.copy(), sim_best_cost, False, candidates, stage1, exact, n_grid, strategy, notes)
