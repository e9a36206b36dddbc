r"""Single-sourcing rows beyond backlog base stock: lost sales, fixed order costs, capacities.

Each row is solved by idinn's exact method for its kind, and the policy found is then
evaluated exactly (:func:`idinn.exact.evaluate_policy`, the stationary law of its Markov
chain) for the cost split and every KPI:

* **lost sales** (``excess_demand="lost_sales"``, Zipkin 2008): ``dp`` is the optimal
  policy (:func:`idinn.exact.solve_lost_sales_average_cost`, relative value iteration);
  ``base_stock``, ``capped_base_stock`` (Xin 2021) and ``constant_order`` are the best
  members of the classical families (:mod:`idinn.exact.lost_sales_policies`); ``auto``
  is ``dp`` (or the best capped base stock when the DP does not fit in memory). With lead
  time 0 the base-stock level minimising
  :math:`c\,E[\min(D, S)] + h\,E[(S - D)^+] + p\,E[(D - S)^+]` is optimal (each period
  starts afresh: order up to :math:`S`, sell :math:`\min(D, S)`, lose the rest);
* **fixed order cost** :math:`K > 0` (backlog): ``ss``, the optimal :math:`(s, S)` policy
  (Zheng & Federgruen 1991, :class:`idinn.single_controller.SSController`), optimal among
  all policies (Scarf 1960);
* **order capacity** :math:`u` (backlog, no fixed cost): ``modified_base_stock``
  :math:`q = \min(u, (S - x)^+)`, optimal (Federgruen & Zipkin 1986,
  :class:`idinn.single_controller.ModifiedBaseStockController`).

KPIs from the chain (``X`` the stock before demand, ``D`` the period's demand): fill rate
:math:`E[\min(X^+, D)]/E[D]`, cycle service level :math:`P(X \ge D)`, on-hand
:math:`E[(X - D)^+]`, lost units (lost sales) or backlog :math:`E[(X - D)^-]`, ordering
cost :math:`c\,E[q] + K\,P(q > 0)`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ._schema import RowError, SkuSpec

__all__ = ["solve_single_kind", "is_special_single"]


def is_special_single(spec: SkuSpec) -> bool:
    """A single-sourcing row with lost sales, a fixed order cost or a capacity."""
    return spec.model == "single" and (
        spec.excess_demand != "backlog" or spec.fixed_order_cost > 0 or spec.order_capacity is not None
    )


def _problem(spec: SkuSpec) -> Any:
    from ..demand import CustomDemand
    from ..problem import SourcingProblem

    demand = CustomDemand({int(v): float(p) for v, p in zip(spec.values, spec.probs)})
    return SourcingProblem.single(
        lead_time=spec.lead_times[0], holding_cost=spec.holding_cost, shortage_cost=spec.shortage_cost,
        demand=demand, init_inventory=spec.init_inventory, order_cost=spec.order_costs[0],
        fixed_order_cost=spec.fixed_order_cost, order_capacity=spec.order_capacity, excess_demand=spec.excess_demand,
    )


def _position(states: np.ndarray) -> np.ndarray:
    """Inventory position: net inventory (or on-hand stock) plus every outstanding order."""
    return np.asarray(states, dtype=np.float64).sum(axis=1)


def base_stock_policy(level: int, cap: int | None = None) -> Callable[..., np.ndarray]:
    """Orders :math:`\\min([S - y]^+, r)` of inventory position :math:`y` (``cap`` r; None uncapped)."""

    def policy(state: Any, period: int | None = None) -> np.ndarray:
        q = np.maximum(level - _position(np.asarray(state)), 0.0)
        return (q if cap is None else np.minimum(q, cap))[:, None]

    return policy


def constant_order_policy(order: int) -> Callable[..., np.ndarray]:
    def policy(state: Any, period: int | None = None) -> np.ndarray:
        return np.full((len(np.asarray(state)), 1), float(order))

    return policy


def ss_policy(reorder_point: int, level: int) -> Callable[..., np.ndarray]:
    """Orders :math:`S - y` when :math:`y \\le s`, else 0."""

    def policy(state: Any, period: int | None = None) -> np.ndarray:
        y = _position(np.asarray(state))
        return np.where(y <= reorder_point, level - y, 0.0)[:, None]

    return policy


def chain_kpis(spec: SkuSpec, problem: Any, policy: Callable[..., np.ndarray]) -> tuple[float, dict[str, float]]:
    """Exact average cost and KPIs of a stationary single-sourcing policy (module docstring)."""
    from ..exact import evaluate_policy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ev = evaluate_policy(policy, problem)
    if ev.boundary_mass > 1e-6:
        raise RowError(f"sku {spec.sku!r}: the policy's Markov chain leaves the evaluated inventory range "
                       f"(boundary mass {ev.boundary_mass:.2g}); its exact cost is unknown.")
    states = np.asarray(ev.states, dtype=np.float64)
    pi = np.asarray(ev.probabilities, dtype=np.float64)
    q = np.asarray(policy(states), dtype=np.float64).reshape(len(states))
    arrivals = q if spec.lead_times[0] == 0 else states[:, 1]
    x = states[:, 0] + arrivals
    d, p = spec.values.astype(np.float64), spec.probs
    diff = x[:, None] - d[None, :]
    on_hand = float(pi @ (np.maximum(diff, 0) @ p))
    short = float(pi @ (np.maximum(-diff, 0) @ p))
    met = float(pi @ (np.minimum(np.maximum(x, 0)[:, None], d[None, :]) @ p))
    csl = float(pi @ ((diff >= 0) @ p))
    mean_q = float(pi @ q)
    ordering = spec.order_costs[0] * mean_q + spec.fixed_order_cost * float(pi @ (q > 0))
    lost = spec.excess_demand == "lost_sales"
    kpis = {
        "ordering_cost": ordering,
        "holding_cost": spec.holding_cost * on_hand,
        "shortage_cost": spec.shortage_cost * short,
        "fill_rate": met / float(d @ p),
        "cycle_service_level": csl,
        "average_on_hand": on_hand,
        "average_backlog": 0.0 if lost else short,
        "average_lost_sales": short if lost else 0.0,
    }
    return float(ev.average_cost), kpis


def _lost_sales_zero_lead(spec: SkuSpec) -> tuple[int, float]:
    """Best level with lead time 0: :math:`\\min_S c E[\\min(D,S)] + h E[(S-D)^+] + p E[(D-S)^+]`."""
    d, p = spec.values.astype(np.float64), spec.probs
    levels = np.arange(int(d.max()) + 1, dtype=np.float64)
    gap = levels[:, None] - d[None, :]
    cost = (spec.order_costs[0] * np.minimum(levels[:, None], d[None, :]) + spec.holding_cost * np.maximum(gap, 0)
            + spec.shortage_cost * np.maximum(-gap, 0)) @ p
    best = int(np.argmin(cost))
    return best, float(cost[best])


def _lost_sales(spec: SkuSpec, problem: Any) -> tuple[str, dict[str, Any], Callable[..., np.ndarray], float, str]:
    """(policy name, parameters, policy, optimum or NaN, note) of a lost-sales row."""
    from ..exact import solve_lost_sales_average_cost
    from ..exact.lost_sales_policies import (
        fit_lost_sales_base_stock,
        fit_lost_sales_capped_base_stock,
        fit_lost_sales_constant_order,
    )

    if spec.lead_times[0] == 0:
        level, cost = _lost_sales_zero_lead(spec)
        return "base_stock", {"S": level}, base_stock_policy(level), cost, ""
    optimum, note, dp = float("nan"), "", None
    if True:  # the optimum: the policy of "auto"/"dp", the reference of the gap of the others
        try:
            dp = solve_lost_sales_average_cost(problem)
            optimum = float(dp.average_cost)
        except (MemoryError, ValueError) as err:
            if spec.method == "dp":
                raise RowError(f"sku {spec.sku!r}: the lost-sales DP failed: {err}") from None
            note = f"no exact optimum (the lost-sales DP failed: {err})" + (
                "; best capped base stock reported" if spec.method == "auto" else "")
    if spec.method in ("auto", "dp") and dp is not None:
        return ("dp", {"max_position": int(dp.max_position), "n_states": int(dp.n_states)},
                lambda s, period=None: dp.orders(np.asarray(s)), optimum, note)
    family = "capped_base_stock" if spec.method in ("auto", "dp") else spec.method
    fit = {"base_stock": fit_lost_sales_base_stock, "capped_base_stock": fit_lost_sales_capped_base_stock,
           "constant_order": fit_lost_sales_constant_order}[family](problem)
    par = fit.parameters
    if family == "constant_order":
        return family, {"q": int(par["order"])}, constant_order_policy(int(par["order"])), optimum, note
    cap = par.get("cap")
    params = {"S": int(par["base_stock_level"])} | ({} if cap is None else {"q_r": int(cap)})
    return family, params, base_stock_policy(int(par["base_stock_level"]), cap), optimum, note


def solve_single_kind(spec: SkuSpec, record: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """Solve a lost-sales, fixed-cost or capacitated single-sourcing row; one result record."""
    t0 = time.perf_counter()
    problem = _problem(spec)
    note = ""
    if spec.excess_demand == "lost_sales":
        name, params, policy, optimum, note = _lost_sales(spec, problem)
    elif spec.fixed_order_cost > 0:
        from ..single_controller import SSController

        ctrl = SSController().fit(problem)
        s, big_s = int(ctrl.reorder_point_), int(ctrl.order_up_to_level_)
        name, params, policy = "ss", {"s": s, "S": big_s}, ss_policy(s, big_s)
        optimum = float(ctrl.expected_cost_)  # (s, S) is optimal (Scarf 1960)
    else:
        from ..single_controller import ModifiedBaseStockController

        ctrl = ModifiedBaseStockController().fit(problem)
        level = int(ctrl.base_stock_level_)
        name, params = "modified_base_stock", {"S": level, "q_r": int(spec.order_capacity)}  # type: ignore[arg-type]
        policy = base_stock_policy(level, spec.order_capacity)
        optimum = float(ctrl.expected_cost_)  # optimal under a capacity (Federgruen & Zipkin 1986)
    total, kpis = chain_kpis(spec, problem, policy)
    rec = record(spec, name, params, kpis, total, optimum, time.perf_counter() - t0)
    rec["message"] = note
    return rec
