r"""Neural controllers for portfolio rows: trained by idinn, then evaluated exactly.

The controller is fitted with the library's own recipe (:mod:`idinn.neural` trainers behind
``SingleSourcingNeuralController`` / ``DualSourcingNeuralController``) and a seed derived
from the run's seed and the SKU id; its cost and KPIs come from
:func:`idinn.exact.evaluate_policy` (stationary distribution over the enumerated states):
the net inventory before demand is :math:`X = I_t + \text{arrivals}_t`, the fill rate is
:math:`E[\min(X^+, D)]/E[D]` and the cycle service level :math:`P(X - D \ge 0)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._schema import SkuSpec

__all__ = ["solve_neural", "solve_neural_batched", "batch_key", "state_kpis", "NEURAL_FIT", "NEURAL_HIDDEN"]

#: Training budget of a portfolio row (``fit`` keyword arguments per model).
#: Validation every 50 epochs (exact where the policy's chain is small) selects each SKU's best weights.
NEURAL_FIT: dict[str, dict[str, Any]] = {
    "single": {"sourcing_periods": 50, "epochs": 500, "validation_sourcing_periods": 100, "validation_freq": 50},
    "dual": {"sourcing_periods": 50, "epochs": 200},
}
#: Hidden layer widths of a portfolio row's network (None: the controller's default).
NEURAL_HIDDEN: dict[str, list[int] | None] = {"single": None, "dual": None}


def state_kpis(states: np.ndarray, probabilities: np.ndarray, orders: np.ndarray, lead_times: tuple[int, ...],
               values: np.ndarray, probs: np.ndarray) -> tuple[float, float]:
    """Fill rate and cycle service level from a policy's stationary states and orders.

    Parameters
    ----------
    states : ndarray, shape (n, state_dim)
        ``[I_t, pipelines]`` (layout of :mod:`idinn.dynamics`).
    probabilities : ndarray, shape (n,)
    orders : ndarray, shape (n, n_suppliers)
    lead_times : tuple of int
    values, probs : ndarray
        Demand pmf.
    """
    arrivals = np.zeros(len(states))
    col = 1
    for k, lt in enumerate(lead_times):
        arrivals += orders[:, k] if lt == 0 else states[:, col]
        col += lt
    x = states[:, 0] + arrivals
    met = np.minimum(np.clip(x, 0, None)[:, None], values[None, :]) @ probs
    csl = ((x[:, None] - values[None, :]) >= 0) @ probs
    return float(probabilities @ met) / float(values @ probs), float(probabilities @ csl)


def _model_and_controller(spec: SkuSpec) -> tuple[Any, Any]:
    """The sourcing model of a row (its pmf as ``CustomDemand``) and a fresh neural controller."""
    from ..demand import CustomDemand

    demand = CustomDemand({int(v): float(p) for v, p in zip(spec.values, spec.probs)})
    if spec.model == "single":
        from ..single_controller import SingleSourcingNeuralController
        from ..sourcing_model import SingleSourcingModel

        model = SingleSourcingModel(lead_time=spec.lead_times[0], holding_cost=spec.holding_cost,
                                    shortage_cost=spec.shortage_cost, init_inventory=spec.init_inventory,
                                    demand_generator=demand, batch_size=32, order_cost=spec.order_costs[0],
                                    excess_demand=spec.excess_demand)
        return model, SingleSourcingNeuralController(hidden_layers=NEURAL_HIDDEN.get("single"))
    from ..dual_controller import DualSourcingNeuralController
    from ..sourcing_model import DualSourcingModel

    model = DualSourcingModel(regular_lead_time=spec.lead_times[0], expedited_lead_time=spec.lead_times[1],
                              regular_order_cost=spec.order_costs[0], expedited_order_cost=spec.order_costs[1],
                              holding_cost=spec.holding_cost, shortage_cost=spec.shortage_cost,
                              init_inventory=spec.init_inventory, demand_generator=demand, batch_size=32)
    return model, DualSourcingNeuralController(hidden_layers=NEURAL_HIDDEN.get("dual"))


def batch_key(spec: SkuSpec) -> tuple | None:
    """Rows with the same key train together in :func:`idinn.neural.batched.fit_batched` (None: alone).

    Single-sourcing neural rows of one lead time share a shape (same network size); dual
    sourcing trains one by one (its ``fit`` runs a warm start and policy iteration first).
    """
    if spec.model == "single" and spec.method == "neural":
        return ("single", spec.lead_times, spec.excess_demand)
    return None


def solve_neural(spec: SkuSpec, seed: int, record: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """Train the neural controller of ``spec`` and evaluate it exactly; one result record."""
    import time
    import warnings

    t0 = time.perf_counter()
    model, ctrl = _model_and_controller(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctrl.fit(model, seed=seed % (2**31), progress=False, **NEURAL_FIT[spec.model])
    return _evaluate(spec, model, ctrl, seed, record, time.perf_counter() - t0)


def solve_neural_batched(specs: list[SkuSpec], seeds: list[int],
                         record: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    """Train same-shaped rows in one batched run (:func:`idinn.neural.batched.fit_batched`),
    then evaluate each exactly; one record per row, in order. Each row gets the seed,
    recipe and model selection of its one-by-one fit."""
    import time
    import warnings

    from ..neural.batched import fit_batched

    t0 = time.perf_counter()
    pairs = [_model_and_controller(s) for s in specs]
    models = [m for m, _ in pairs]
    ctrls = [c for _, c in pairs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_batched(ctrls, models, seeds=[s % (2**31) for s in seeds], **NEURAL_FIT[specs[0].model])
    share = (time.perf_counter() - t0) / len(specs)
    out = []
    for spec, model, ctrl, seed in zip(specs, models, ctrls, seeds):
        t1 = time.perf_counter()
        rec = _evaluate(spec, model, ctrl, seed, record, 0.0)
        rec["fit_time_s"] = share + time.perf_counter() - t1
        rec["policy_parameters"] = rec["policy_parameters"][:-1] + ', "trained": "batched"}'
        out.append(rec)
    return out


def _evaluate(spec: SkuSpec, model: Any, ctrl: Any, seed: int, record: Callable[..., dict[str, Any]],
              seconds: float) -> dict[str, Any]:
    """Exact cost and KPIs of a fitted neural controller (one result record)."""
    import time
    import warnings

    import torch

    from ..exact import evaluate_policy

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ev = evaluate_policy(ctrl, model)
    with torch.no_grad():
        out = ctrl.policy(torch.as_tensor(np.array(ev.states), dtype=torch.float32))
    orders = np.rint(np.asarray(out, dtype=np.float64).reshape(len(ev.states), -1))
    fill, csl = state_kpis(np.array(ev.states), np.array(ev.probabilities), orders, spec.lead_times,
                           spec.values, spec.probs)
    kpis = {
        "ordering_cost": float(np.dot(spec.order_costs, ev.mean_orders)),
        "holding_cost": spec.holding_cost * ev.expected_inventory,
        "shortage_cost": spec.shortage_cost * ev.expected_backlog,
        "fill_rate": fill,
        "cycle_service_level": csl,
        "average_on_hand": ev.expected_inventory,
        "average_backlog": ev.expected_backlog,
    }
    optimum = float("nan")
    if spec.excess_demand == "lost_sales":  # expected_backlog is the lost demand per period
        from ..exact import solve_lost_sales_average_cost

        kpis["average_lost_sales"], kpis["average_backlog"] = kpis["average_backlog"], 0.0
        try:
            optimum = float(solve_lost_sales_average_cost(model).average_cost)
        except (MemoryError, ValueError):
            pass
    elif spec.model == "single":
        from ._solve import solve_base_stock

        optimum = solve_base_stock([spec])[0]["cost_total"]
    else:
        from ._dual import dp_solution

        try:
            optimum = dp_solution(spec.lead_times, spec.order_costs, spec.holding_cost, spec.shortage_cost,
                                  spec.values, spec.probs, spec.init_inventory).cost
        except (ValueError, RuntimeWarning):
            pass
    params = {"n_states": int(ev.n_states), "boundary_mass": float(ev.boundary_mass), "seed": int(seed)}
    return record(spec, "neural", params, kpis, float(ev.average_cost), optimum, seconds + time.perf_counter() - t0)
