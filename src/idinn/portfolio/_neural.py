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

__all__ = ["solve_neural", "state_kpis", "NEURAL_FIT"]

#: Training budget of a portfolio row (``fit`` keyword arguments per model).
NEURAL_FIT: dict[str, dict[str, Any]] = {
    "single": {"sourcing_periods": 50, "epochs": 500},
    "dual": {"sourcing_periods": 50, "epochs": 200},
}


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


def solve_neural(spec: SkuSpec, seed: int, record: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """Train the neural controller of ``spec`` and evaluate it exactly; one result record."""
    import time
    import warnings

    import torch

    from ..demand import CustomDemand
    from ..exact import evaluate_policy

    t0 = time.perf_counter()
    demand = CustomDemand({int(v): float(p) for v, p in zip(spec.values, spec.probs)})
    if spec.model == "single":
        from ..single_controller import SingleSourcingNeuralController
        from ..sourcing_model import SingleSourcingModel

        model = SingleSourcingModel(lead_time=spec.lead_times[0], holding_cost=spec.holding_cost,
                                    shortage_cost=spec.shortage_cost, init_inventory=spec.init_inventory,
                                    demand_generator=demand, batch_size=32, order_cost=spec.order_costs[0])
        ctrl: Any = SingleSourcingNeuralController()
    else:
        from ..dual_controller import DualSourcingNeuralController
        from ..sourcing_model import DualSourcingModel

        model = DualSourcingModel(regular_lead_time=spec.lead_times[0], expedited_lead_time=spec.lead_times[1],
                                  regular_order_cost=spec.order_costs[0], expedited_order_cost=spec.order_costs[1],
                                  holding_cost=spec.holding_cost, shortage_cost=spec.shortage_cost,
                                  init_inventory=spec.init_inventory, demand_generator=demand, batch_size=32)
        ctrl = DualSourcingNeuralController()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctrl.fit(model, seed=seed % (2**31), progress=False, **NEURAL_FIT[spec.model])
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
    if spec.model == "single":
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
    return record(spec, "neural", params, kpis, float(ev.average_cost), optimum, time.perf_counter() - t0)
