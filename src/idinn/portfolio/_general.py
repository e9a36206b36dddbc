r"""Rows solved by the general exact engine: K suppliers, review periods, mixed terms.

A row comes here when it is a ``multi`` row (3 to 5 suppliers), a dual row with lost
sales, fixed order costs, capacities or review periods, or a single row with a review
period or a combination of terms that no single-sourcing method models alone (a fixed
cost with a capacity, or lost sales with either). Methods:

* ``dp``: the optimal policy of the general average-cost dynamic program
  (:func:`idinn.exact.solve_multi_sourcing_average_cost`, relative value iteration on the
  aggregated state; review periods through the phase :math:`t \bmod T`); a row whose
  state space is above :data:`DP_MAX_STATES` is refused with the engine's size message;
* ``multi_index``: the best base-stock vector of the multi-index policy
  (:class:`idinn.multi_controller.MultiIndexController`; no fixed costs);
* ``capped_dual_index``, ``dual_index``, ``tailored_base_surge``, ``single_index``
  (dual rows whose only extra term is a review period, backlog): the controller's search;
* ``base_stock`` (single, backlog, review period, no K or u): the optimal :math:`(R, S)`
  level (:class:`idinn.single_controller.BaseStockController`), optimal among all policies;
* ``auto``: ``dp`` where it fits, else ``multi_index`` (single with a review period:
  ``base_stock``).

Every policy is then evaluated exactly (:func:`idinn.exact.evaluate_policy`, the stationary
law of the chain on :math:`(s_t, t \bmod T)`) for the cost, and the same chain gives the
KPIs: with :math:`X` the stock before demand (net inventory plus this period's arrivals),
fill rate :math:`E[\min(X^+, D)]/E[D]`, cycle service level :math:`P(X \ge D)`, on-hand
:math:`E[(X - D)^+]`, backlog or lost units :math:`E[(X - D)^-]`, ordering cost
:math:`\sum_k c_k E[q_k] + K_k P(q_k > 0)`. The gap is against the ``dp`` optimum when the
DP fits.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ._schema import HEURISTICS, RowError, SkuSpec

__all__ = ["is_general", "general_methods", "solve_general", "DP_MAX_STATES"]

#: Largest aggregated state space (all review phases) the portfolio's ``dp`` solves.
DP_MAX_STATES = 400_000
#: Largest table memory (bytes) of the portfolio's ``dp``.
DP_MAX_BYTES = 512 * 2**20
_NAN = float("nan")


def _has_terms(spec: SkuSpec) -> tuple[bool, bool, bool, bool]:
    """(lost sales, fixed costs, capacities, review periods) of a row."""
    return (
        spec.excess_demand == "lost_sales",
        any(k > 0 for k in spec.fixed_order_costs),
        any(u is not None for u in spec.order_capacities),
        any(r > 1 for r in spec.review_periods),
    )


def is_general(spec: SkuSpec) -> bool:
    """A row for this module (module docstring)."""
    lost, fixed, cap, review = _has_terms(spec)
    if spec.model == "multi":
        return True
    if spec.model == "dual":
        return lost or fixed or cap or review
    return review or (fixed and cap) or (lost and (fixed or cap))


def general_methods(model: str, lost: bool, fixed: bool, cap: bool, review: bool) -> tuple[str, ...]:
    """Methods of a general row, ``auto`` first (each controller's flags decide)."""
    from ..multi_controller import MultiIndexController

    out = ["auto", "dp"]
    if model == "single":
        if review and not (lost or fixed or cap):
            out.append("base_stock")
        return tuple(out)
    if not fixed and (not lost or "lost_sales" in MultiIndexController.excess_demand_rules):
        out.append("multi_index")
    if model == "dual":
        from .. import dual_controller as dc

        classes = {"capped_dual_index": dc.CappedDualIndexController, "dual_index": dc.DualIndexController,
                   "tailored_base_surge": dc.TailoredBaseSurgeController, "single_index": dc.SingleIndexController}
        for name in HEURISTICS:
            c = classes[name]
            if ((not lost or "lost_sales" in c.excess_demand_rules) and (not fixed or c._accepts_fixed_order_costs)
                    and (not cap or c._accepts_order_capacities) and (not review or c._accepts_review_periods)):
                out.append(name)
    return tuple(out)


def _problem(spec: SkuSpec) -> Any:
    from ..demand import CustomDemand
    from ..dynamics import SourcingParams
    from ..problem import SourcingProblem

    params = SourcingParams(
        lead_times=tuple(spec.lead_times), order_costs=tuple(float(c) for c in spec.order_costs),
        holding_cost=spec.holding_cost, shortage_cost=spec.shortage_cost, excess_demand=spec.excess_demand,
        fixed_order_costs=tuple(spec.fixed_order_costs) if any(k > 0 for k in spec.fixed_order_costs) else (),
        order_capacities=tuple(spec.order_capacities) if any(u is not None for u in spec.order_capacities) else (),
        review_periods=tuple(spec.review_periods) if any(r > 1 for r in spec.review_periods) else (),
        review_offsets=tuple(spec.review_offsets) if any(r > 1 for r in spec.review_periods) else (),
    )
    demand = CustomDemand({int(v): float(p) for v, p in zip(spec.values, spec.probs)})
    return SourcingProblem(params=params, demand=demand, init_inventory=spec.init_inventory)


def general_kpis(spec: SkuSpec, problem: Any, policy: Any) -> tuple[float, dict[str, float]]:
    """Exact average cost and KPIs of a policy (stationary, or periodic in the review cycle)."""
    from ..dynamics import advance
    from ..exact import evaluate_policy
    from ..exact._enumerate import enumerate_chain
    from ..exact._inputs import problem_and_state
    from ..exact._markov import cesaro_limit
    from ..policy import as_policy_function

    owner = f"the portfolio row of sku {spec.sku!r}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ev = evaluate_policy(policy, problem)
    if not np.isfinite(ev.average_cost) or ev.boundary_mass > 1e-6:
        raise RowError(f"sku {spec.sku!r}: the policy's Markov chain leaves the evaluated inventory range "
                       f"(boundary mass {ev.boundary_mass:.2g}); its exact cost is unknown.")
    params = problem.params
    _, s0 = problem_and_state(problem, None, owner, evaluation=True, review_periods=True)
    fn = as_policy_function(policy, params.n_suppliers, owner=owner, require_stationary=params.review_cycle == 1)
    chain = enumerate_chain(fn, params, [(spec.values, spec.probs)] * params.review_cycle, s0,
                            inventory_bounds=tuple(ev.inventory_bounds), max_states=500_000, owner=owner)
    pi = cesaro_limit(chain.P, 0)
    q = chain.orders
    _, x = advance(chain.states, q.astype(np.int64), np.zeros(len(q), dtype=np.int64), params)
    x = np.asarray(x, dtype=np.float64).reshape(len(q))
    d, p = spec.values.astype(np.float64), spec.probs
    diff = x[:, None] - d[None, :]
    on_hand = float(pi @ (np.maximum(diff, 0) @ p))
    short = float(pi @ (np.maximum(-diff, 0) @ p))
    met = float(pi @ (np.minimum(np.maximum(x, 0)[:, None], d[None, :]) @ p))
    fixed = np.asarray(spec.fixed_order_costs, dtype=np.float64)
    ordering = float(pi @ (q @ np.asarray(spec.order_costs, dtype=np.float64) + (q > 0) @ fixed))
    lost = spec.excess_demand == "lost_sales"
    kpis = {
        "ordering_cost": ordering,
        "holding_cost": spec.holding_cost * on_hand,
        "shortage_cost": spec.shortage_cost * short,
        "fill_rate": met / float(d @ p),
        "cycle_service_level": float(pi @ ((diff >= 0) @ p)),
        "average_on_hand": on_hand,
        "average_backlog": 0.0 if lost else short,
        "average_lost_sales": short if lost else 0.0,
    }
    return float(ev.average_cost), kpis


def _dp(spec: SkuSpec, problem: Any) -> Any:
    from ..exact import solve_multi_sourcing_average_cost

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return solve_multi_sourcing_average_cost(problem, max_states=DP_MAX_STATES, max_bytes=DP_MAX_BYTES)


def _heuristic(name: str, problem: Any, seed: int) -> tuple[Any, dict[str, Any]]:
    """Fit one heuristic controller; (policy, parameters)."""
    if name == "multi_index":
        from ..multi_controller import MultiIndexController

        ctrl = MultiIndexController().fit(problem, seed=seed)
        levels = [int(v) for v in ctrl.base_stock_levels_]
        return ctrl, {"base_stock_levels": levels}
    if name == "base_stock":
        from ..single_controller import BaseStockController

        ctrl = BaseStockController().fit(problem)
        return ctrl, {"S": int(ctrl.z_star)}
    from .. import dual_controller as dc

    cls = {"capped_dual_index": dc.CappedDualIndexController, "dual_index": dc.DualIndexController,
           "tailored_base_surge": dc.TailoredBaseSurgeController, "single_index": dc.SingleIndexController}[name]
    ctrl = cls().fit(problem, seed=seed)
    params = {k: int(getattr(ctrl, k)) for k in ("s_e", "s_r", "q_r") if getattr(ctrl, k, None) is not None}
    return ctrl, params


def solve_general(spec: SkuSpec, seed: int, record: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """Solve one general row (module docstring); one result record."""
    t0 = time.perf_counter()
    problem = _problem(spec)
    dp, note, optimum = None, "", _NAN
    try:
        dp = _dp(spec, problem)
        optimum = float(dp.policy_cost)
    except (MemoryError, ValueError) as err:
        if spec.method == "dp":
            raise RowError(f"sku {spec.sku!r}: the exact DP does not fit: {err}", "not_supported") from None
        note = f"no exact optimum (the DP does not fit: {err})"
    method = spec.method
    if method == "auto":
        allowed = general_methods(spec.model, *_has_terms(spec))
        if "base_stock" in allowed:  # single, backlog, review period: (R, S) is optimal
            method = "base_stock"
        elif dp is not None:
            method = "dp"
        elif "multi_index" in allowed:
            method = "multi_index"
            note += "; best multi_index reported"
        else:
            raise RowError(f"sku {spec.sku!r}: {note}; no heuristic models this row's terms", "not_supported")
    if method == "dp":
        policy: Any = dp
        params: dict[str, Any] = {"n_states": int(dp.n_states), "x_bounds": list(dp.x_bounds),
                                  "max_orders": list(dp.max_orders)}
    else:
        policy, params = _heuristic(method, problem, seed)
    total, kpis = general_kpis(spec, problem, policy)
    rec = record(spec, method, params, kpis, total, optimum, time.perf_counter() - t0)
    rec["message"] = note
    return rec
