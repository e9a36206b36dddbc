"""Default-recipe DualSourcingNeuralController on the U{0..4} test-bed rows, judged exactly.

Usage: .venv/bin/python benchmarks/check_testbed_neural.py [--epochs 2000] [--rows lr2_ce20_u04 ...]
Prints, per row, the fit time, the exact optimality gap of the fitted policy and the exact
cost after each policy-improvement iteration.
"""

from __future__ import annotations

import argparse
import time
import warnings

from idinn.dual_controller import DualSourcingNeuralController
from idinn.exact import evaluate_policy
from idinn.instances import load_testbed, make_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rows", nargs="*", default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)
    rows = [r for r in load_testbed() if r.demand_high == 4 and (not args.rows or r.name in args.rows)]
    print("| instance | optimum | neural (exact) | gap % | fit s | gaps after policy iterations % |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        model = make_model(r, batch_size=256, init_inventory=6)
        ctrl = DualSourcingNeuralController()
        start = time.perf_counter()
        ctrl.fit(model, sourcing_periods=100, validation_sourcing_periods=1000, epochs=args.epochs, seed=args.seed)
        elapsed = time.perf_counter() - start
        cost = evaluate_policy(ctrl, model).average_cost
        trace = ", ".join(f"{100 * (x['cost'] / r.optimal_cost - 1):.3f}" for x in ctrl.policy_iteration_log_)
        print(
            f"| {r.name} | {r.optimal_cost:.4f} | {cost:.4f} | {100 * (cost / r.optimal_cost - 1):.4f} "
            f"| {elapsed:.1f} | {trace} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
