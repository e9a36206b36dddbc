"""Neural control of lost sales on Zipkin's (2008) 32 instances, judged by exact evaluation.

For each instance (h = 1, p in {4, 9, 19, 39}, L in {1..4}, Poisson(5) and geometric with
mean 5; unbounded demand truncated at tail mass 1e-10, as in the exact DP) a
:class:`~idinn.single_controller.SingleSourcingNeuralController` is fitted with the default
lost-sales recipe (docs/neural_lost_sales.md) and its integer policy is evaluated exactly
(:func:`idinn.exact.evaluate_policy`, Markov chain on the full state); the gap is to the
exact optimum (:func:`idinn.exact.solve_lost_sales_average_cost`, same truncation). Fit
time is the process CPU time of ``fit``.

    .venv/bin/python benchmarks/lost_sales_neural.py            # all 32
    .venv/bin/python benchmarks/lost_sales_neural.py --quick    # 4 instances
    .venv/bin/python benchmarks/lost_sales_neural.py --only poisson_L4_p39
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

from idinn.exact import evaluate_policy
from idinn.instances import load_lost_sales_testbed
from idinn.single_controller import SingleSourcingNeuralController
from idinn.sourcing_model import SingleSourcingModel

QUICK = ("poisson_L1_p4", "poisson_L3_p19", "geometric_L2_p9", "geometric_L4_p39")
TAIL_MASS = 1e-10


def fit_instance(inst, seed: int = 0) -> tuple[float, float, float, float]:
    """(exact cost of the learned policy, exact optimum, gap in %, fit CPU seconds)."""
    model = SingleSourcingModel(
        lead_time=inst.lead_time, holding_cost=inst.holding_cost, shortage_cost=inst.lost_sales_penalty,
        batch_size=64, init_inventory=0, demand_generator=inst.demand_model().truncated(tail_mass=TAIL_MASS),
        excess_demand="lost_sales",
    )
    ctrl = SingleSourcingNeuralController(hidden_layers=[32, 32])
    t0 = time.process_time()
    ctrl.fit(model, sourcing_periods=50, epochs=20, validation_sourcing_periods=1000, validation_freq=10,
             parameters_lr=1e-4, seed=seed, progress=False, max_validation_states=500_000)
    seconds = time.process_time() - t0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ev = evaluate_policy(ctrl, model, max_entries=400_000_000)
    optimum = ctrl.optimal_cost_
    return ev.average_cost, optimum, 100 * (ev.average_cost / optimum - 1), seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    ap.add_argument("--only", nargs="+", help="instance names")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    insts = load_lost_sales_testbed()
    names = set(args.only) if args.only else set(QUICK) if args.quick else None
    if names is not None:
        insts = [i for i in insts if i.name in names]
    print("| instance | optimum (Zipkin) | optimum (exact) | neural (exact evaluation) | gap % | fit CPU s |")
    print("| --- | --- | --- | --- | --- | --- |")
    gaps, times = [], []
    for inst in insts:
        cost, optimum, gap, seconds = fit_instance(inst, args.seed)
        gaps.append(gap)
        times.append(seconds)
        print(f"| {inst.name} | {inst.costs['optimal']:.2f} | {optimum:.4f} | {cost:.4f} | {gap:.4f} | {seconds:.1f} |",
              flush=True)
    print(f"\n{len(gaps)} instances: worst gap {max(gaps):.4f} %, mean gap {sum(gaps) / len(gaps):.4f} %, "
          f"longest fit {max(times):.1f} s CPU, mean fit {sum(times) / len(times):.1f} s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
