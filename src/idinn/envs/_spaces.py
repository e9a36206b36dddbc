r"""Pure helpers of the sourcing environments: demand sampling and space bounds.

These functions hold the arithmetic that :class:`~idinn.envs.SourcingEnv` and
:class:`~idinn.envs.SourcingVectorEnv` share; the environments only hold state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import fail
from ..demand import BaseDemand
from ..problem import SourcingProblem

__all__ = [
    "sample_demand",
    "demand_quantile",
    "default_max_order",
    "default_inventory_bounds",
    "period_feature_count",
    "observation_cycle",
    "review_mask",
]

#: Demand quantile behind the default maximum order (see :func:`default_max_order`).
MAX_ORDER_QUANTILE = 0.999
#: Factor on that quantile.
MAX_ORDER_FACTOR = 2
#: Tail mass used to bound an unbounded demand for the default observation bounds.
BOUND_TAIL_MASS = 1e-12


def _finite_view(demand: BaseDemand, tail_mass: float) -> BaseDemand:
    """``demand`` itself when its support is finite, else its censored version."""
    if demand.has_finite_support:
        return demand
    truncated = getattr(demand, "truncated", None)
    if truncated is None:
        raise ValueError(
            f"{demand!r} has unbounded support and no 'truncated' method; pass 'max_order' and "
            "'inventory_bounds' to the environment explicitly."
        )
    return truncated(tail_mass=tail_mass)


def _season(demand: BaseDemand) -> int:
    return 1 if demand.season_length is None else int(demand.season_length)


def demand_quantile(demand: BaseDemand, q: float) -> int:
    r"""Smallest :math:`d` with :math:`P(D_t \le d) \ge q` in every period of a season.

    Unbounded models are read through ``demand.truncated(tail_mass=1 - q)`` (whose
    censoring leaves the :math:`q`-quantile unchanged).

    Returns
    -------
    int
        Units per period.
    """
    finite = _finite_view(demand, max(1.0 - q, 1e-15))
    out = 0
    for t in range(_season(finite)):
        values, probs = finite.pmf(t)
        cdf = np.cumsum(probs)
        out = max(out, int(values[min(int(np.searchsorted(cdf, q - 1e-12)), len(values) - 1)]))
    return out


def default_max_order(problem: SourcingProblem) -> tuple[int, ...]:
    r"""Default largest order per supplier: :math:`\max(1, 2\, d_{0.999})`.

    :math:`d_{0.999}` is the 99.9 % demand quantile (the largest over a season,
    :func:`demand_quantile`). Twice a high demand quantile leaves room for a policy to
    catch up after a run of high demand while keeping the discrete action set small for
    reinforcement learning. A supplier capacity, where the problem has one
    (``params.capacities``), caps it.
    """
    level = max(1, MAX_ORDER_FACTOR * demand_quantile(problem.demand, MAX_ORDER_QUANTILE))
    caps = getattr(problem.params, "capacities", None)
    out = []
    for k in range(problem.n_suppliers):
        cap = None if caps is None else caps[k]
        out.append(level if cap is None or not math.isfinite(cap) else min(level, int(cap)))
    return tuple(out)


def default_inventory_bounds(
    problem: SourcingProblem, init_state: np.ndarray, max_order: Sequence[int], horizon: int
) -> tuple[int, int]:
    r"""Net-inventory range that no trajectory of ``horizon`` periods can leave.

    From :math:`s_0`, arrivals are non-negative and at most the pipeline plus
    :math:`\sum_k \bar q_k` per period, and demand is at most :math:`\bar d`, so
    :math:`I_0 - T\bar d \le I_t \le I_0 + \sum \text{pipeline} + T \sum_k \bar q_k`
    for :math:`t \le T`. For unbounded demand :math:`\bar d` is the
    :math:`1 - 10^{-12}` quantile (the environment then terminates with
    ``info["out_of_bounds"]`` in the improbable case that it is exceeded).
    """
    d_max = demand_quantile(problem.demand, 1.0 - BOUND_TAIL_MASS)
    i0 = int(init_state[0])
    low = i0 - horizon * d_max
    high = i0 + int(init_state[1:].sum()) + horizon * int(sum(max_order))
    return low, high


def observation_cycle(problem: SourcingProblem) -> int:
    r"""Length :math:`C` of the cycle whose phase :math:`t \bmod C` the observation carries.

    The least common multiple of the demand's season length :math:`L` (1 for stationary
    demand) and the suppliers' review cycle :math:`\operatorname{lcm}_k R_k`
    (:attr:`idinn.dynamics.SourcingParams.review_cycle`); 1 when neither depends on the period.
    """
    return math.lcm(_season(problem.demand), problem.params.review_cycle)


def period_feature_count(problem: SourcingProblem) -> int:
    """1 (the phase :math:`t \\bmod C` of :func:`observation_cycle`) when demand or ordering depends on the period, else 0."""
    return 1 if observation_cycle(problem) >= 2 else 0


def review_mask(problem: SourcingProblem, period: Any) -> np.ndarray:
    r"""Which suppliers may be ordered from in ``period``: bool (..., n_suppliers).

    Supplier :math:`k` may order in period :math:`t` when :math:`(t - o_k) \bmod R_k = 0`
    (:meth:`idinn.dynamics.SourcingParams.may_order`); every supplier may when the
    problem has no review periods.
    """
    t = np.asarray(period, dtype=np.int64)[..., None]
    p = problem.params
    r = np.asarray([p.review_period(k) for k in range(p.n_suppliers)], dtype=np.int64)
    o = np.asarray([p.review_offset(k) for k in range(p.n_suppliers)], dtype=np.int64)
    return (t - o) % r == 0


def sample_demand(
    demand: BaseDemand, rng: np.random.Generator, n_paths: int, periods: int, start_period: int = 0
) -> np.ndarray:
    """Demand paths drawn with a numpy generator, int64 of shape (n_paths, periods).

    The environments' one sampling path: ``demand.sample_array(rng, n_paths, periods,
    start_period)`` of :mod:`idinn.demand`, checked for its shape.
    """
    out = np.asarray(demand.sample_array(rng, n_paths, periods, start_period), dtype=np.int64)
    if out.shape != (n_paths, periods):
        fail("demand", "sample_demand", f"sampling arrays of shape ({n_paths}, {periods})", out.shape)
    return out
