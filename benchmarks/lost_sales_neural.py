"""Neural control of lost sales on Zipkin's (2008) 32 instances, judged by exact evaluation.

For each instance (h = 1, p in {4, 9, 19, 39}, L in {1..4}, Poisson(5) and geometric with
mean 5; unbounded demand truncated at tail mass 1e-10, as in the exact DP) a
:class:`~idinn.single_controller.SingleSourcingNeuralController` is fitted with the default
lost-sales recipe (docs/neural_lost_sales.md) and its integer policy is evaluated exactly
(:func:`idinn.exact.evaluate_lost_sales_policy_reduced`: the network is compressed, so its
policy is a function of Zipkin's reduced state, where the chain is exact); the gap is to the
exact optimum (:func:`idinn.exact.solve_lost_sales_average_cost`, same truncation). Fit
time is the process CPU time of ``fit``.

    .venv/bin/python benchmarks/lost_sales_neural.py            # all 32
    .venv/bin/python benchmarks/lost_sales_neural.py --quick    # 4 instances
    .venv/bin/python benchmarks/lost_sales_neural.py --only poisson_L4_p39
    .venv/bin/python benchmarks/lost_sales_neural.py --dual     # dual sourcing, l_r = 2, l_e = 0

``--dual``: :class:`~idinn.dual_controller.DualSourcingNeuralController` with lost sales
(:math:`l_r = 2`, :math:`l_e = 0`, U{0..4}, h = 5, p = 495, c_r = 0, c_e in {5, 10, 20})
against the optima in ``idinn/data/dual_lost_sales_optima.csv``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

from idinn.exact import evaluate_lost_sales_policy_reduced, evaluate_policy
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
             parameters_lr=1e-4, seed=seed, progress=False)
    seconds = time.process_time() - t0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if ctrl.compressed:  # the default under lost sales: exact on Zipkin's reduced state
            ev = evaluate_lost_sales_policy_reduced(ctrl, model)
        else:
            ev = evaluate_policy(ctrl, model, max_entries=400_000_000)
    optimum = getattr(ctrl, "optimal_cost_", None)
    if optimum is None:  # the exact stage was skipped (state space over its memory budget)
        from idinn.exact import solve_lost_sales_average_cost

        optimum = solve_lost_sales_average_cost(model, tail_mass=TAIL_MASS).average_cost
    return ev.average_cost, optimum, 100 * (ev.average_cost / optimum - 1), seconds


def dual() -> None:
    import csv
    from importlib import resources

    from idinn.demand import UniformDemand
    from idinn.dual_controller import DualSourcingNeuralController
    from idinn.sourcing_model import DualSourcingModel

    text = resources.files("idinn").joinpath("data", "dual_lost_sales_optima.csv").read_text(encoding="utf-8")
    print("| instance | optimum (exact engine) | neural (exact evaluation) | gap % | fit CPU s |")
    print("| --- | --- | --- | --- | --- |")
    for row in csv.DictReader(text.splitlines()):
        ce = float(row["order_costs"].split(";")[1])
        model = DualSourcingModel(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0,
                                  expedited_order_cost=ce, holding_cost=5, shortage_cost=495, batch_size=64,
                                  init_inventory=0, demand_generator=UniformDemand(0, 4), excess_demand="lost_sales")
        t0 = time.process_time()
        ctrl = DualSourcingNeuralController(hidden_layers=[32, 32]).fit(
            model, sourcing_periods=50, epochs=20, validation_sourcing_periods=1000, validation_freq=10,
            init_policy=None, parameters_lr=1e-4, seed=0, progress=False)
        seconds = time.process_time() - t0
        cost = evaluate_policy(ctrl, model).average_cost
        optimum = float(row["optimal_cost"])
        print(f"| {row['name']} | {optimum:.6f} | {cost:.6f} | {100 * (cost / optimum - 1):.5f} | {seconds:.1f} |",
              flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    ap.add_argument("--only", nargs="+", help="instance names")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dual", action="store_true", help="the dual-sourcing lost-sales instances instead")
    args = ap.parse_args(argv)
    if args.dual:
        dual()
        return 0
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
