r"""Shared machinery of the classical dual-sourcing heuristics.

The four heuristics of :mod:`idinn.dual_controller` (capped dual index, dual index,
tailored base surge, single index) are order-up-to rules on two *inventory positions*
of a dual-sourcing state ``[I_t, r_1..r_{l_r}, e_1..e_{l_e}]`` (see
:mod:`idinn.dynamics`; :math:`r_j` and :math:`e_j` arrive in period :math:`t + j - 1`):

* the **expedited inventory position**
  :math:`\mathrm{IP}^e_t = I_t + \sum_{j=1}^{l_e+1} r_j + \sum_{j=1}^{l_e} e_j`: net
  inventory plus every order that arrives by period :math:`t + l_e`, the period in which
  an expedited order placed now arrives (Veeraraghavan & Scheller-Wolf 2008);
* the **full inventory position**
  :math:`\mathrm{IP}_t = I_t + \sum_{j=1}^{l_r} r_j + \sum_{j=1}^{l_e} e_j`: net
  inventory plus every outstanding order.

This module holds these positions, the element-wise helpers the order rules share (they
run on ``torch`` tensors and ``numpy`` arrays alike, with per-row parameters), the
validation of candidate ranges, the automatic candidate ranges, and the parameter search
used by every heuristic's ``fit``:

1. every candidate is simulated at once — one batched rollout over
   candidates :math:`\times` sample paths through :func:`idinn.dynamics.transition` and
   :func:`idinn.dynamics.period_cost`, all candidates facing the same demand paths
   (common random numbers), so that cost *differences* are estimated with little noise;
2. the best candidates are simulated again on more paths (successive halving);
3. the best few are re-ranked by their exact long-run average cost
   (:func:`idinn.exact.evaluate_policy`, a Markov-chain evaluation) when the demand is
   stationary with finite support.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import numpy as np
import torch

from .._validation import check_int, check_seed, fail
from ..demand import BaseDemand
from ..dynamics import SourcingParams, restrict_to_review
from ..sourcing_model import DualSourcingModel
from .base import BaseDualController

__all__ = [
    "expedited_inventory_position",
    "full_inventory_position",
    "positive_part",
    "minimum",
    "stack_orders",
    "check_candidate_range",
    "demand_bounds",
    "candidate_grid",
    "simulate_candidates",
    "SearchResult",
    "search_parameters",
]

Array = TypeVar("Array", torch.Tensor, np.ndarray)
Param = int | float | torch.Tensor | np.ndarray


class OrderRule(Protocol):
    """Shape of a heuristic's order function: ``rule(state, params, *theta) -> orders``.

    ``state`` has shape (B, state_dim); each parameter in ``theta`` is a number or an
    array of shape (B,) (one parameter value per row); ``orders`` has shape (B, 2)
    (regular, expedited).
    """

    def __call__(self, state: Any, params: SourcingParams, *theta: Any) -> Any: ...


# ---------------------------------------------------------------------------- positions
def position_weights(params: SourcingParams, horizon: int | None = None) -> np.ndarray:
    """0/1 weights ``w`` with ``state @ w`` = :func:`idinn.dynamics.inventory_position`.

    Column 0 (net inventory) and every pipeline entry due within ``horizon`` periods
    (``None``: all) get weight 1. For a large torch batch a matrix-vector product is much
    faster than summing a strided slice.
    """
    w = np.zeros(params.state_dim)
    w[0] = 1.0
    for sl in params.pipeline_slices:
        stop = sl.stop if horizon is None else min(sl.stop, sl.start + max(horizon, 0))
        w[sl.start : stop] = 1.0
    return w


def _weighted(state: Array, weights: np.ndarray) -> Array:
    if isinstance(state, torch.Tensor):
        return state @ torch.as_tensor(weights, dtype=state.dtype, device=state.device)
    # numpy: add the columns one by one (single-threaded; BLAS threads would compete for cores)
    columns = np.flatnonzero(weights)
    total = state[:, columns[0]].copy()
    for c in columns[1:]:
        total += state[:, c]
    return total


def expedited_inventory_position(state: Array, params: SourcingParams) -> Array:
    r"""Expedited inventory position :math:`\mathrm{IP}^e_t`, shape (B,).

    :math:`I_t` plus every outstanding order (regular or expedited) that arrives by period
    :math:`t + l_e`: :math:`I_t + \sum_{j=1}^{l_e+1} r_j + \sum_{j=1}^{l_e} e_j`
    (:func:`idinn.dynamics.inventory_position` with horizon :math:`l_e + 1`). With
    :math:`l_e = 0` it is :math:`I_t + r_1`, the stock available before this period's
    demand apart from the expedited order itself.
    """
    return _weighted(state, position_weights(params, params.lead_times[1] + 1))


def full_inventory_position(state: Array, params: SourcingParams) -> Array:
    r"""Inventory position :math:`\mathrm{IP}_t = I_t + \sum_j r_j + \sum_j e_j`, shape (B,)."""
    return _weighted(state, position_weights(params))


# ------------------------------------------------------------- element-wise helpers
def _as_like(value: Param, like: Array) -> Array | int | float:
    """A parameter as a number or as an array of ``like``'s kind and dtype."""
    if isinstance(value, torch.Tensor):
        return value.to(like.dtype) if isinstance(like, torch.Tensor) else value.numpy().astype(like.dtype)
    if isinstance(value, np.ndarray):
        if isinstance(like, torch.Tensor):
            return torch.as_tensor(value, dtype=like.dtype)
        return value.astype(like.dtype)
    return value


def positive_part(x: Array) -> Array:
    """:math:`[x]^+ = \\max(x, 0)`, element-wise."""
    return x.clip(0) if isinstance(x, np.ndarray) else x.clamp(min=0)


def minimum(x: Array, cap: Param) -> Array:
    """Element-wise :math:`\\min(x, \\text{cap})` for a number or a per-row array ``cap``."""
    cap = _as_like(cap, x)
    if isinstance(x, torch.Tensor):
        return torch.minimum(x, cap) if isinstance(cap, torch.Tensor) else x.clamp(max=cap)
    return np.minimum(x, cap)


def order_up_to(level: Param, position: Array) -> Array:
    r""":math:`[S - \mathrm{IP}]^+`: the order raising ``position`` to ``level`` (never negative)."""
    return positive_part(_as_like(level, position) - position)


def constant_order(value: Param, like: Array) -> Array:
    """A (B,) array of ``value`` (a number or per-row values) of ``like``'s kind."""
    value = _as_like(value, like)
    if isinstance(like, torch.Tensor):
        out = torch.zeros_like(like)
    else:
        out = np.zeros_like(like)
    return out + value


def stack_orders(regular: Array, expedited: Array) -> Array:
    """(B, 2) orders from (B,) regular and expedited orders (column 0 regular)."""
    if isinstance(regular, torch.Tensor):
        return torch.stack([regular, expedited], dim=1)
    return np.stack([regular, expedited], axis=1)


# ------------------------------------------------------------------------ validation
def check_level(value: Any, name: str, owner: str) -> int:
    """A policy parameter: an int >= 0 (standard wording otherwise)."""
    return check_int(value, name, owner, minimum=0)


def check_candidate_range(values: Any, name: str, owner: str) -> np.ndarray:
    """Validate a candidate range; return its sorted distinct values as int64.

    Accepts a ``range``, a list/tuple of ints, a 1-d integer ``numpy`` array or
    ``torch`` tensor (0-d: a single value). Every value must be an int >= 0; an empty
    range raises a ``ValueError`` naming the parameter.
    """
    rule = "a non-empty range, list, array or tensor of ints >= 0"
    if isinstance(values, torch.Tensor):
        if values.is_floating_point() or values.is_complex() or values.dtype == torch.bool:
            fail(name, owner, rule, values, TypeError)
        arr = values.detach().cpu().numpy()
    elif isinstance(values, np.ndarray):
        if not np.issubdtype(values.dtype, np.integer):
            fail(name, owner, rule, values, TypeError)
        arr = values
    elif isinstance(values, range | list | tuple):
        items = list(values)
        for v in items:
            if isinstance(v, bool | np.bool_) or not isinstance(v, numbers.Integral):
                fail(name, owner, rule, values, TypeError)
        arr = np.asarray(items, dtype=np.int64)
    else:
        fail(name, owner, rule, values, TypeError)
    arr = np.asarray(arr, dtype=np.int64).reshape(-1) if np.ndim(arr) <= 1 else None
    if arr is None:
        fail(name, owner, "one-dimensional (" + rule + ")", getattr(values, "shape", values))
    if arr.size == 0:
        fail(name, owner, rule, values)
    if (arr < 0).any():
        fail(name, owner, rule, arr.tolist())
    return np.unique(arr)


# ------------------------------------------------------------------- candidate ranges
def demand_bounds(demand: BaseDemand, name: str, owner: str) -> tuple[int, int, float]:
    r"""Smallest and largest demand and the mean demand, :math:`(\underline d, \overline d, \mu)`.

    For seasonal demand the extremes and the mean are taken over one season. Demand without
    a finite support has no automatic candidate range: the caller must pass the ranges.
    """
    from ..exact._pmf import demand_pmfs

    if isinstance(demand, BaseDemand) and not demand.has_finite_support:
        fail(
            name,
            owner,
            "a demand model with finite support for automatic candidate ranges (use "
            "demand.truncated(tail_mass=1e-9), or pass the ranges explicitly)",
            demand,
        )
    pmfs = demand_pmfs(demand, demand.season_length or 1, owner=owner, name=name)
    low = min(int(v[0]) for v, _ in pmfs)
    high = max(int(v[-1]) for v, _ in pmfs)
    mean = float(np.mean([demand.mean(p) for p in range(len(pmfs))]))
    return low, high, mean


#: Most rows a candidate grid may have (larger ones are refused: pass narrower ranges).
MAX_GRID_CANDIDATES = 20_000_000


def candidate_grid(
    ranges: Sequence[np.ndarray], keep: Callable[[np.ndarray], np.ndarray | None] | None = None
) -> np.ndarray:
    """Cartesian product of the ranges (lexicographic order), shape (K, len(ranges)).

    ``keep(grid)`` may return a boolean mask of admissible rows (``None``: all).

    Raises
    ------
    MemoryError
        When the product has more than :data:`MAX_GRID_CANDIDATES` rows (its size, memory
        and how to narrow it are named).
    """
    arrays = [np.asarray(r, dtype=np.int64).reshape(-1) for r in ranges]
    size = float(np.prod([len(a) for a in arrays], dtype=np.float64))
    if size > MAX_GRID_CANDIDATES:
        raise MemoryError(
            f"The candidate grid would have {size:.3g} rows ({size * 8 * len(arrays) / 2**30:.3g} GiB), above "
            f"MAX_GRID_CANDIDATES = {MAX_GRID_CANDIDATES:,}. Pass narrower candidate ranges (e.g. around the "
            "newsvendor levels of the lead-time demand) or raise "
            "idinn.dual_controller._heuristic_search.MAX_GRID_CANDIDATES."
        )
    if not arrays:
        return np.zeros((1, 0), dtype=np.int64)
    mesh = np.meshgrid(*arrays, indexing="ij")
    grid = np.stack([m.reshape(-1) for m in mesh], axis=1).reshape(-1, len(arrays))
    mask = keep(grid) if keep is not None else None
    return grid if mask is None else grid[mask]


def check_search_options(
    owner: str, sourcing_periods: Any, seed: Any, n_paths: Any, n_exact: Any
) -> tuple[int, int | None, int, int]:
    """Validate the options every heuristic's ``fit`` shares."""
    return (
        check_int(sourcing_periods, "sourcing_periods", owner, minimum=2),
        check_seed(seed, "seed", owner),
        check_int(n_paths, "n_paths", owner, minimum=1),
        check_int(n_exact, "n_exact", owner, minimum=0),
    )


def levels_below_mean(mean: float) -> np.ndarray:
    r"""Constant orders :math:`q \in \{0, 1, \dots\}` with :math:`q < \mu` (at least ``[0]``).

    A constant regular order :math:`q^r \ge E[D]` makes the inventory drift upwards
    without bound (or, at equality, null-recurrent), so it is never a sensible candidate.
    """
    return np.arange(max(int(math.ceil(mean - 1e-9)), 1), dtype=np.int64)


from ._search import (  # noqa: E402  (re-exported: the search lives in _search.py)
    BOUNDARY_MASS_LIMIT,
    EXACT_MAX_STATES,
    LEVEL_CANDIDATES,
    MAX_EXHAUSTIVE_CANDIDATES,
    MAX_SIMULATION_ROWS,
    SearchResult,
    exact_cost,
    search_parameters,
    simulate_candidates,
)


# ------------------------------------------------------------------ controller class
class DualHeuristicController(BaseDualController):
    """Common body of the parametric dual-sourcing heuristics.

    A subclass names its parameters in ``_param_names`` (in the order its order rule
    takes them), implements ``_rule`` (a pure :class:`OrderRule`), ``_default_ranges`` and
    optionally ``_keep`` (which candidates the literature allows).
    """

    _param_names: tuple[str, ...] = ()

    @staticmethod
    def _rule(state: Any, params: SourcingParams, *theta: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _default_ranges(self, model: DualSourcingModel) -> list[np.ndarray]:  # pragma: no cover
        raise NotImplementedError

    @staticmethod
    def _keep(grid: np.ndarray) -> np.ndarray | None:
        return None

    def _check_supported_terms(self, params: SourcingParams) -> None:
        """Review periods: the regular supplier's only (the rules place the expedited order
        first, so restricting the regular order to its review days leaves the rule intact)."""
        super()._check_supported_terms(params)
        if params.has_review_periods and params.review_period(1) != 1:
            fail("sourcing_model", self._owner, "a model whose expedited supplier can order every period (the "
                 "periodic-review variant of this heuristic restricts the regular orders only; for review periods "
                 "on every supplier use idinn.multi_controller.MultiIndexController)", list(params.review_periods))

    def _levels(self) -> tuple[int, ...]:
        return tuple(int(getattr(self, name)) for name in self._param_names)

    def _init_fit_state(self) -> None:
        self.sourcing_model = None
        self.best_cost_: float | None = None
        self.best_cost_is_exact_: bool | None = None
        self.search_result_: SearchResult | None = None

    def _policy_at(self, state: torch.Tensor, period: int = 0) -> torch.Tensor:
        """Orders for a batch of states, shape (B, 2): column 0 regular, column 1 expedited
        (zero for a supplier outside its review periods, :func:`idinn.dynamics.restrict_to_review`)."""
        params = self._fitted_params()
        return restrict_to_review(type(self)._rule(state, params, *self._levels()), params, period)

    # ------------------------------------------------------------- reset / save / load
    def _reset_hyperparameters(self) -> dict[str, Any]:
        """The reference's ``reset`` puts every level back to 0 (the constructor defaults)."""
        return {}

    def _fitted_state(self) -> dict[str, Any]:
        """The fitted levels are the constructor arguments; add the search's best cost."""
        return {"best_cost_": self.best_cost_, "best_cost_is_exact_": self.best_cost_is_exact_}

    def _restore_fitted_state(self, state: dict[str, Any]) -> None:
        cost = state.get("best_cost_")
        self.best_cost_ = None if cost is None else float(cost)
        exact = state.get("best_cost_is_exact_")
        self.best_cost_is_exact_ = None if exact is None else bool(exact)

    def _fit(
        self,
        sourcing_model: Any,
        sourcing_periods: Any,
        ranges: Sequence[Any],
        seed: Any,
        search: Any,
        n_paths: Any,
        n_exact: Any,
    ) -> DualHeuristicController:
        owner = self._owner
        model = self._model_to_fit(sourcing_model)
        sourcing_periods, seed, n_paths, n_exact = check_search_options(
            owner, sourcing_periods, seed, n_paths, n_exact
        )
        if not isinstance(search, bool):
            fail("search", owner, "a bool", search, TypeError)
        names = [f"{name}_range" for name in self._param_names]
        if search:
            given = [None if r is None else check_candidate_range(r, n, owner) for r, n in zip(ranges, names)]
            defaults = self._default_ranges(model) if any(g is None for g in given) else [None] * len(given)
            arrays = [g if g is not None else d for g, d in zip(given, defaults)]
            grid = candidate_grid(arrays, type(self)._keep)
            if grid.shape[0] == 0:
                fail(names[-1], owner, f"compatible with {names[0]} (no admissible candidate)", given[-1])
        else:
            for r, n in zip(ranges, names):
                if r is not None:
                    fail(n, owner, "None when search=False (the constructor's parameters are used)", r)
            grid = np.array([self._levels()], dtype=np.int64)
        result = search_parameters(type(self)._rule, grid, model, sourcing_periods, n_paths, n_exact, seed)
        for name, value in zip(self._param_names, result.best):
            setattr(self, name, int(value))
        self.best_cost_ = result.best_cost
        self.best_cost_is_exact_ = result.cost_is_exact
        self.search_result_ = result
        self.sourcing_model = model
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={getattr(self, name)}" for name in self._param_names)
        return f"{type(self).__name__}({args})"


class OrderedLevelsController(DualHeuristicController):
    """Heuristics with two order-up-to levels that must satisfy :math:`s_e \\le s_r`."""

    _param_names = ("s_e", "s_r")

    def __init__(self, s_e: int = 0, s_r: int = 0) -> None:
        owner = type(self).__name__
        self.s_e = check_level(s_e, "s_e", owner)
        self.s_r = check_level(s_r, "s_r", owner)
        if self.s_r < self.s_e:
            fail("s_r", owner, f"an int >= s_e ({self.s_e})", s_r)
        self._init_fit_state()

    @staticmethod
    def _keep(grid: np.ndarray) -> np.ndarray:
        return grid[:, 0] <= grid[:, 1]
