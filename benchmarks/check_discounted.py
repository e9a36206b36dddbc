"""Discounted objective (gamma = 0.95): exact DP optimum vs the neural controller, judged exactly.

Usage: .venv/bin/python benchmarks/check_discounted.py [--epochs 1500]
"""

from __future__ import annotations

import argparse
import time
import warnings

from idinn.demand import UniformDemand
from idinn.dual_controller import DiscountedDPController, DualSourcingNeuralController
from idinn.exact import evaluate_policy_discounted
from idinn.single_controller import DiscountedBaseStockController, SingleSourcingNeuralController
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=1500)
    parser.add_argument("--gamma", type=float, default=0.95)
    parser.add_argument("--periods", type=int, default=150)
    args = parser.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)
    g = args.gamma
    cases = [
        (
            "single l=2, I0=10",
            SingleSourcingModel(lead_time=2, holding_cost=5, shortage_cost=495, init_inventory=10, batch_size=256,
                                demand_generator=UniformDemand(0, 4)),
            DiscountedBaseStockController(),
            SingleSourcingNeuralController(hidden_layers=[16, 8]),
        ),
        (
            "dual l_r=2 c_e=20, I0=6",
            DualSourcingModel(2, 0, 0, 20, 5, 495, init_inventory=6, batch_size=256, demand_generator=UniformDemand(0, 4)),
            DiscountedDPController(),
            DualSourcingNeuralController(hidden_layers=[32, 16]),
        ),
    ]
    print("| model | DP optimum | neural (exact) | gap % | fit s |")
    print("|---|---|---|---|---|")
    for name, model, dp, neural in cases:
        dp.fit(model, g)
        start = time.perf_counter()
        neural.fit(model, sourcing_periods=args.periods, validation_sourcing_periods=args.periods, epochs=args.epochs,
                   seed=1, discount=g, progress=False, **({"patience": None} if "dual" in name else {}))
        elapsed = time.perf_counter() - start
        cost = evaluate_policy_discounted(neural, model, g).discounted_cost
        print(f"| {name} | {dp.optimal_cost_:.2f} | {cost:.2f} | {100 * (cost / dp.optimal_cost_ - 1):.2f} | {elapsed:.1f} |",
              flush=True)


if __name__ == "__main__":
    main()
