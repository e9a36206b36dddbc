r"""Multi-index base-stock policy for :math:`K \le 5` suppliers: one order-up-to level per
lead-time horizon, the generalisation of the dual index policy.

The rule (see :func:`multi_index_orders` and docs/multi_sourcing.md)
    Rank the suppliers fastest first, :math:`l_{(1)} \le l_{(2)} \le \dots \le l_{(K)}`
    (ties: the costlier supplier first, then the later-listed one, so that with two
    suppliers the expedited one comes first as in the dual index policy). Supplier
    :math:`(j)` raises the inventory position over its own horizon,

    .. math::
        \mathrm{IP}^{(j)}_t = I_t + \sum_k \sum_{i < \min(l_{(j)} + 1,\, l_k)} p^k_i
        + \sum_{i < j} q^{(i)}_t,

    i.e. the net inventory plus every outstanding order that arrives by period
    :math:`t + l_{(j)}` (pipeline entry :math:`p^k_i` arrives in period :math:`t + i`)
    plus the orders just placed with the faster suppliers, to its level :math:`S_{(j)}`:

    .. math:: q^{(j)}_t = \min\bigl([S_{(j)} - \mathrm{IP}^{(j)}_t]^+,\ u_{(j)}\bigr),

    with :math:`S_{(1)} \le \dots \le S_{(K)}`, :math:`u` the order capacity (:math:`\infty`
    when uncapped) and :math:`q^{(j)}_t = 0` in a period outside the supplier's review
    periods. With :math:`K = 2` this is the dual index policy of Veeraraghavan &
    Scheller-Wolf (2008): :math:`q^e = [z_e - \mathrm{IP}^e]^+`,
    :math:`q^r = [z_r - \mathrm{IP} - q^e]^+`.

Sources
    Veeraraghavan & Scheller-Wolf (2008), "Now or later: a simple policy for effective dual
    sourcing in capacitated systems", Operations Research 56(4), 850-864, define the dual
    index policy (two order-up-to levels on the expedited and the full inventory position,
    orders capped in capacitated systems); Sheopuri, Janakiraman & Seshadri (2010), "New
    policies for the stochastic inventory control problem with two supply sources",
    Operations Research 58(3), 734-745, generalise it within two suppliers. Yang, Huang &
    Xu, "Multi-index base-stock policy for inventory systems with multiple capacitated
    suppliers", OR Spectrum, doi:10.1007/s00291-021-00658-5, propose the multi-index
    base-stock (MIBS) class for :math:`n` capacitated suppliers: one tailored inventory
    position per supplier and a modified (capacitated) base-stock order for each. The
    positions, tie-breaking, review-period variant and search written here are this
    library's definitions, taken from those descriptions (the MIBS paper was read in its
    abstract only, so equivalence to its exact positions is not claimed); the search is
    exact evaluation (:func:`idinn.exact.evaluate_policy`), not their simulation-based
    procedure.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from .._validation import check_int, check_seed, fail
from ..dynamics import SourcingParams, advance, period_cost
from ..dual_controller._heuristic_search import (
    Array,
    candidate_grid,
    check_candidate_range,
    demand_bounds,
    minimum,
    order_up_to,
    position_weights,
    _weighted,
)
from ..dual_controller._search import LEVEL_CANDIDATES, MAX_EXHAUSTIVE_CANDIDATES, _coarse_to_fine
from ..problem import SourcingProblem, as_problem
from .base import BaseMultiController

__all__ = ["MultiIndexController", "multi_index_orders", "supplier_ranking", "MultiIndexSearch"]

#: Most candidate rows simulated at once (candidates x paths); larger searches run in chunks.
MAX_SIMULATION_ROWS = 2**19
#: Long-run probability of truncated states above which an exact cost counts as unreliable.
BOUNDARY_MASS_LIMIT = 1e-6


def supplier_ranking(params: SourcingParams) -> tuple[int, ...]:
    """Supplier indices fastest first (ties: the costlier, then the later-listed supplier first)."""
    n = params.n_suppliers
    return tuple(sorted(range(n), key=lambda k: (params.lead_times[k], -params.order_costs[k], -k)))


def multi_index_orders(state: Array, params: SourcingParams, *levels: Any, period: int = 0) -> Array:
    r"""Orders of the multi-index base-stock policy (module docstring), shape (B, K).

    Parameters
    ----------
    state : tensor or ndarray, shape (B, state_dim)
        ``[I_t, pipelines]`` in the layout of :mod:`idinn.dynamics`.
    params : SourcingParams
        Lead times, capacities :math:`u_k` and review periods.
    *levels : int or array of shape (B,)
        Order-up-to level :math:`S_k` of each supplier, in supplier order (one per row
        for a batch of candidates).
    period : int, default=0
        Calendar period :math:`t` (orders are zero outside a supplier's review periods).

    Returns
    -------
    same type as ``state``, shape (B, K)
        Column ``k`` the order of supplier ``k``.
    """
    n = params.n_suppliers
    if len(levels) != n:
        raise ValueError(f"multi_index_orders needs {n} levels (one per supplier), got {len(levels)}.")
    columns: list[Any] = [None] * n
    placed = None
    for k in supplier_ranking(params):
        position = _weighted(state, position_weights(params, params.lead_times[k] + 1))
        if placed is not None:
            position = position + placed
        q = order_up_to(levels[k], position)
        cap = params.order_capacity(k)
        if cap is not None:
            q = minimum(q, cap)
        if not params.may_order(k, period):
            q = q * 0
        columns[k] = q
        placed = q if placed is None else placed + q
    if isinstance(state, torch.Tensor):
        return torch.stack(columns, dim=1)
    return np.stack(columns, axis=1)


class MultiIndexSearch:
    """What :meth:`MultiIndexController.fit` searched (``search_`` after fit).

    Attributes
    ----------
    candidates : ndarray of int, shape (n, K)
        Every candidate level vector (supplier order) of the bounded grid.
    simulated_costs : ndarray of float, shape (n,) or None
        Each candidate's simulated cost per period (``method="screened"``).
    exact_costs : dict of tuple to float
        Exact long-run average costs of the candidates evaluated exactly.
    method : str
    notes : list of str
    """

    def __init__(self, candidates: np.ndarray, method: str) -> None:
        self.candidates = candidates
        self.simulated_costs: np.ndarray | None = None
        self.exact_costs: dict[tuple[int, ...], float] = {}
        self.method = method
        self.notes: list[str] = []


class MultiIndexController(BaseMultiController):
    r"""Multi-index base-stock policy: one order-up-to level per lead-time horizon.

    Supplier :math:`(j)`, the :math:`j`-th fastest, orders
    :math:`q^{(j)}_t = \min([S_{(j)} - \mathrm{IP}^{(j)}_t]^+, u_{(j)})`, where
    :math:`\mathrm{IP}^{(j)}_t` is the net inventory plus every order due within
    :math:`l_{(j)}` periods, the orders just placed with faster suppliers included; the
    levels satisfy :math:`S_{(1)} \le \dots \le S_{(K)}`. Outside a supplier's review
    periods its order is 0. With two suppliers this is the dual index policy
    (:class:`~idinn.dual_controller.DualIndexController`). The exact definition, sources
    and tie-breaking are in :mod:`idinn.multi_controller.multi_index`.

    Parameters
    ----------
    base_stock_levels : list of int, optional
        Levels :math:`S_k` in supplier order (used with ``fit(search=False)``).

    Attributes
    ----------
    base_stock_levels_ : tuple of int
        Levels in use (supplier order).
    best_cost_ : float
        Long-run average cost per period of the levels: exact when ``best_cost_is_exact_``,
        simulated otherwise.
    best_cost_is_exact_ : bool
    search_ : MultiIndexSearch

    Notes
    -----
    Honours order capacities (orders capped at :math:`u_k`), review periods (orders zero
    outside them; the policy is then period-dependent) and both excess-demand rules
    (the rule is the same; the cost is evaluated under the model's rule). Fixed order
    costs are refused: an order-up-to rule with one level per supplier has no reorder
    point, so it would pay :math:`K_k` almost every period.

    Examples
    --------
    >>> from idinn import MultiSourcingModel
    >>> from idinn.demand import UniformDemand
    >>> from idinn.multi_controller import MultiIndexController
    >>> m = MultiSourcingModel(lead_times=[0, 1, 2], order_costs=[20, 10, 0], holding_cost=5,
    ...                        shortage_cost=95, demand_generator=UniformDemand(0, 4))
    >>> c = MultiIndexController().fit(m, method="exhaustive")
    >>> c.base_stock_levels_, round(c.best_cost_, 4)
    ((3, 3, 9), 22.9652)
    """

    _accepts_order_capacities = True
    _accepts_review_periods = True
    excess_demand_rules = ("backlog", "lost_sales")

    def __init__(self, base_stock_levels: Sequence[int] | None = None) -> None:
        if base_stock_levels is not None:
            if isinstance(base_stock_levels, str | bytes) or not isinstance(base_stock_levels, Sequence):
                fail("base_stock_levels", self._owner, "None or a list of ints >= 0 (one per supplier)",
                     base_stock_levels, TypeError)
            base_stock_levels = [check_int(s, "base_stock_levels", self._owner, minimum=0) for s in base_stock_levels]
        self.base_stock_levels = base_stock_levels
        self.sourcing_model = None
        self.base_stock_levels_: tuple[int, ...] | None = None
        self.best_cost_: float | None = None
        self.best_cost_is_exact_: bool | None = None
        self.search_: MultiIndexSearch | None = None

    def _policy_at(self, state: torch.Tensor, period: int) -> torch.Tensor:
        params = self._fitted_params()
        return multi_index_orders(state, params, *self.base_stock_levels_, period=period)

    # ---------------------------------------------------------------------- search
    def default_level_ranges(self, problem: SourcingProblem) -> list[np.ndarray]:
        r"""The automatic search bounds: :math:`S_k \in \{0, \dots, (l_k + R_k)\bar d\}` per supplier.

        :math:`\bar d` is the largest demand (one season's for seasonal demand) and
        :math:`R_k` the review period (1 without review periods): :math:`(l_k + R_k)\bar d`
        is the most demand the position over the horizon :math:`l_k` must cover until the
        next order of supplier :math:`k` arrives. The search keeps only
        :math:`S_{(1)} \le \dots \le S_{(K)}`.
        """
        _, high, _ = demand_bounds(problem.demand, "demand_generator", self._owner)
        p = problem.params
        return [np.arange((lt + p.review_period(k)) * high + 1, dtype=np.int64) for k, lt in enumerate(p.lead_times)]

    def fit(
        self,
        sourcing_model: Any,
        *,
        level_ranges: Sequence[Any] | None = None,
        method: str = "screened",
        search: bool = True,
        sourcing_periods: int = 1000,
        n_paths: int = 64,
        n_exact: int = 16,
        seed: int | None = 0,
    ) -> MultiIndexController:
        r"""Find the levels with the lowest long-run average cost in the bounded grid.

        Parameters
        ----------
        sourcing_model : MultiSourcingModel or SourcingProblem
            1 to 5 suppliers; no fixed order costs.
        level_ranges : list of K candidate ranges, optional
            Candidate levels of each supplier (supplier order; ``None`` entries: automatic,
            :meth:`default_level_ranges`). Only vectors non-decreasing in the lead-time
            ranking are searched.
        method : {"screened", "exhaustive"}, default="screened"
            ``"exhaustive"``: every candidate is evaluated exactly
            (:func:`idinn.exact.evaluate_policy`), so the result is the best of the grid.
            ``"screened"``: every candidate is simulated on ``n_paths`` common demand paths
            of ``sourcing_periods`` periods (first tenth burn-in) and the ``n_exact`` best
            are evaluated exactly; grids above 4,096 vectors are simulated coarse to fine
            (a lattice of at most 512 vectors, then finer lattices around the 2 best).
        search : bool, default=True
            ``False``: keep the constructor's ``base_stock_levels`` and only evaluate them.
        sourcing_periods, n_paths, n_exact : int
            Simulation length (>= 2), paths (>= 1) and candidates evaluated exactly (>= 1).
        seed : int or None, default=0
            Seed of the search's own generator.

        Returns
        -------
        self

        Notes
        -----
        The exact evaluation needs stationary demand with finite support; otherwise, and
        while :func:`idinn.exact.evaluate_policy` does not model review periods, the
        candidates are ranked by simulation and ``best_cost_is_exact_`` is False (the reason
        is in ``search_.notes``).
        """
        owner = self._owner
        model = self._model_to_fit(sourcing_model)
        problem = as_problem(model, owner=owner)
        params = problem.params
        if method not in ("screened", "exhaustive"):
            fail("method", owner, "'screened' or 'exhaustive'", method)
        if not isinstance(search, bool):
            fail("search", owner, "a bool", search, TypeError)
        sourcing_periods = check_int(sourcing_periods, "sourcing_periods", owner, minimum=2)
        n_paths = check_int(n_paths, "n_paths", owner, minimum=1)
        n_exact = check_int(n_exact, "n_exact", owner, minimum=1)
        seed = check_seed(seed, "seed", owner)
        n = params.n_suppliers
        if search:
            if level_ranges is not None and (isinstance(level_ranges, str | bytes) or not isinstance(
                    level_ranges, Sequence) or len(level_ranges) != n):
                fail("level_ranges", owner, f"None or a list of {n} candidate ranges (one per supplier)",
                     level_ranges, TypeError)
            given = [None] * n if level_ranges is None else [
                None if r is None else check_candidate_range(r, "level_ranges", owner) for r in level_ranges]
            auto = self.default_level_ranges(problem) if any(g is None for g in given) else given
            ranking = supplier_ranking(params)
            ranked = [given[k] if given[k] is not None else auto[k] for k in ranking]
            grid_ranked = candidate_grid(ranked, lambda g: np.all(np.diff(g, axis=1) >= 0, axis=1))
            if grid_ranked.shape[0] == 0:
                fail("level_ranges", owner, "ranges with at least one vector non-decreasing from the fastest to "
                     "the slowest supplier", level_ranges)
            grid = np.empty_like(grid_ranked)
            grid[:, list(ranking)] = grid_ranked
        else:
            if self.base_stock_levels is None or len(self.base_stock_levels) != n:
                fail("base_stock_levels", owner, f"a list of {n} levels when search=False", self.base_stock_levels)
            if level_ranges is not None:
                fail("level_ranges", owner, "None when search=False", level_ranges)
            grid = np.array([self.base_stock_levels], dtype=np.int64)
        result = MultiIndexSearch(grid, method)
        exact_ok = self._exact_available(problem, result)
        if method == "screened" and grid.shape[0] > MAX_EXHAUSTIVE_CANDIDATES:
            # a lattice of the grid, then finer lattices around the 2 best (as the dual heuristics)
            idx, costs = _coarse_to_fine(
                lambda rows: simulate_levels(rows, problem, sourcing_periods, n_paths, seed), grid, LEVEL_CANDIDATES)
            result.notes.append(f"coarse-to-fine: simulated {len(idx)} of {grid.shape[0]} candidates")
            grid = result.candidates = grid[idx]
            result.simulated_costs = costs
            top = np.argsort(costs, kind="stable")[: n_exact if exact_ok else 1]
        elif method == "screened" and grid.shape[0] > 1:
            result.simulated_costs = simulate_levels(grid, problem, sourcing_periods, n_paths, seed)
            top = np.argsort(result.simulated_costs, kind="stable")[: n_exact if exact_ok else 1]
        else:
            top = np.arange(grid.shape[0])
        if exact_ok:
            for i in top:
                cost = exact_levels_cost(grid[i], problem)
                key = tuple(int(v) for v in grid[i])
                result.exact_costs[key] = cost
                if cost is None:  # not evaluable: stop trying exactly
                    result.notes.append("the exact evaluator does not model review periods yet; ranked by simulation")
                    exact_ok = False
                    break
        usable = {k: v for k, v in result.exact_costs.items() if v is not None and np.isfinite(v)}
        if exact_ok and usable:
            best = min(usable, key=lambda key: (round(usable[key], 9), key))
            self.best_cost_, self.best_cost_is_exact_ = usable[best], True
        else:
            if result.simulated_costs is None:
                result.simulated_costs = simulate_levels(grid, problem, sourcing_periods, n_paths, seed)
            i = int(np.argmin(result.simulated_costs))
            best = tuple(int(v) for v in grid[i])
            self.best_cost_, self.best_cost_is_exact_ = float(result.simulated_costs[i]), False
        self.base_stock_levels_ = tuple(int(v) for v in best)
        self.search_ = result
        self.sourcing_model = model
        return self

    @staticmethod
    def _exact_available(problem: SourcingProblem, result: MultiIndexSearch) -> bool:
        demand = problem.demand
        if not demand.has_finite_support or demand.season_length is not None:
            result.notes.append("exact evaluation needs stationary demand with finite support; ranked by simulation")
            return False
        return True

    # ----------------------------------------------------------- reset / save / load
    def _reset_hyperparameters(self) -> dict[str, Any]:
        return {"base_stock_levels": self.base_stock_levels}

    def _fitted_state(self) -> dict[str, Any]:
        return {"base_stock_levels_": list(self.base_stock_levels_ or ()), "best_cost_": self.best_cost_,
                "best_cost_is_exact_": self.best_cost_is_exact_}

    def _restore_fitted_state(self, state: dict[str, Any]) -> None:
        self.base_stock_levels_ = tuple(int(v) for v in state["base_stock_levels_"])
        self.best_cost_ = None if state.get("best_cost_") is None else float(state["best_cost_"])
        exact = state.get("best_cost_is_exact_")
        self.best_cost_is_exact_ = None if exact is None else bool(exact)

    def __repr__(self) -> str:
        levels = self.base_stock_levels_ if self.base_stock_levels_ is not None else self.base_stock_levels
        return f"MultiIndexController(base_stock_levels={None if levels is None else list(levels)})"


def simulate_levels(
    candidates: np.ndarray, problem: SourcingProblem, sourcing_periods: int, n_paths: int, seed: int | None
) -> np.ndarray:
    r"""Simulated average cost per period of every level vector on common demand paths.

    One batched numpy rollout of candidates :math:`\times` paths through
    :func:`idinn.dynamics.advance` and :func:`idinn.dynamics.period_cost` from the
    problem's initial state, period :math:`t` passed to the rule (review periods), the
    first tenth of the periods left out; chunks of at most :data:`MAX_SIMULATION_ROWS` rows.

    Returns
    -------
    ndarray of float64, shape (n_candidates,)
    """
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    demand = problem.demand.sample_periods(n_paths, sourcing_periods, generator).detach().cpu().numpy()
    demand = demand.astype(np.float32)
    params = problem.params
    burn_in = sourcing_periods // 10
    chunk = max(1, MAX_SIMULATION_ROWS // n_paths)
    out = []
    for start in range(0, candidates.shape[0], chunk):
        cand = candidates[start : start + chunk]
        rows = cand.shape[0] * n_paths
        levels = [np.repeat(cand[:, k].astype(np.float32), n_paths) for k in range(cand.shape[1])]
        state = np.tile(problem.init_state.astype(np.float32), (rows, 1))
        total = np.zeros(rows)
        for t in range(sourcing_periods):
            orders = multi_index_orders(state, params, *levels, period=t)
            state, net = advance(state, orders, np.tile(demand[:, t], cand.shape[0]), params)
            if t >= burn_in:
                total += period_cost(net, orders, params)
        out.append(total.reshape(cand.shape[0], n_paths).mean(1) / (sourcing_periods - burn_in))
    return np.concatenate(out)


def exact_levels_cost(levels: Sequence[int], problem: SourcingProblem) -> float | None:
    """Exact long-run average cost of one level vector (:func:`idinn.exact.evaluate_policy`).

    ``inf`` for an unstable vector (its chain drifts to the truncation bounds); ``None`` when
    the evaluator refuses the problem (e.g. review periods before it models them).
    """
    from ..exact import evaluate_policy

    params = problem.params
    levels = tuple(int(v) for v in levels)
    if params.has_review_periods:
        def policy(state: Any, period: int) -> Any:
            return multi_index_orders(state.numpy(), params, *levels, period=period)
    else:
        def policy(state: Any) -> Any:  # type: ignore[misc]
            return multi_index_orders(state.numpy(), params, *levels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = evaluate_policy(policy, problem)
    except ValueError as err:
        if params.has_review_periods and "review period" in str(err):
            return None
        raise
    if result.boundary_mass > BOUNDARY_MASS_LIMIT:
        return float("inf")
    return float(result.average_cost)
