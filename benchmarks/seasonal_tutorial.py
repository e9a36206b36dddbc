"""Seasonal dual sourcing over a 52-period horizon: neural vs best stationary CDI vs exact optimum.

Usage: .venv/bin/python benchmarks/seasonal_tutorial.py [--epochs 400] [--plot docs/seasonal_orders.png]
All three costs are exact expected totals (idinn.exact.evaluate_policy_finite_horizon).
"""

from __future__ import annotations

import argparse
import itertools
import time
import warnings

from idinn.demand import SeasonalDemand
from idinn.dual_controller import CappedDualIndexController, DualSourcingNeuralController, FiniteHorizonDPController
from idinn.exact import evaluate_policy_finite_horizon
from idinn.sourcing_model import DualSourcingModel

HORIZON = 52


def make_model(batch_size: int = 256) -> DualSourcingModel:
    return DualSourcingModel(
        regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=20,
        holding_cost=5, shortage_cost=495, init_inventory=6, batch_size=batch_size,
        demand_generator=SeasonalDemand.uniform(lows=[0, 1, 3, 1], highs=[2, 5, 7, 5]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--plot", default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)
    model = make_model()

    t = time.perf_counter()
    dp = FiniteHorizonDPController().fit(model, HORIZON)
    print(f"finite-horizon DP optimum: {dp.optimal_cost_:.2f} ({time.perf_counter() - t:.2f} s)")

    t = time.perf_counter()
    best = None
    for s_e, s_r, q_r in itertools.product(range(3, 8), range(10, 18), range(3, 9)):
        cdi = CappedDualIndexController(s_e=s_e, s_r=s_r, q_r=q_r).fit(model, search=False)
        cost = evaluate_policy_finite_horizon(cdi, model, HORIZON).total_cost
        if best is None or cost < best[0]:
            best = (cost, s_e, s_r, q_r, cdi)
    assert best is not None
    print(f"best stationary CDI {best[1:4]}: {best[0]:.2f} ({time.perf_counter() - t:.1f} s)")

    t = time.perf_counter()
    neural = DualSourcingNeuralController(hidden_layers=[128, 64, 32]).fit(
        model, sourcing_periods=HORIZON, epochs=args.epochs, seed=args.seed, finite_horizon=True,
        policy_iteration_steps=2000, progress=False,
    )
    cost = evaluate_policy_finite_horizon(neural, model, HORIZON).total_cost
    print(
        f"neural (default finite-horizon recipe, {args.epochs} epochs): {cost:.2f} "
        f"({time.perf_counter() - t:.1f} s); gap to optimum {100 * (cost / dp.optimal_cost_ - 1):.2f} %"
    )
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        fig, _ = neural.plot(model, sourcing_periods=HORIZON, seed=0)
        fig.savefig(args.plot, dpi=110)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
