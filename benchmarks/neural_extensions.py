"""Neural controllers under fixed order costs, capacities, review periods and three suppliers: exact gaps.

Every cost below is the exact long-run average cost of the fitted policy
(:func:`idinn.exact.evaluate_policy`, the Markov chain of the policy), compared with

* single sourcing with a fixed order cost: the exact (s, S) optimum
  (:class:`idinn.single_controller.SSController`, Zheng & Federgruen 1991);
* dual sourcing with fixed order costs (K_r, K_e): the shipped exact optima
  (``src/idinn/data/dual_fixed_cost_optima.csv``, :func:`idinn.instances.load_exact_optima`);
* three suppliers, lead times (0, 1, 2) and (0, 2, 4): the shipped exact optima
  (``three_supplier_optima.csv``) and the best multi-index policy (fitted by exact evaluation);
* one capacity and one review-period instance: the exact optimum of the general engine
  (:func:`idinn.exact.solve_multi_sourcing_average_cost`).

Usage::

    .venv/bin/python benchmarks/neural_extensions.py                 # everything (about an hour on 2 cores)
    .venv/bin/python benchmarks/neural_extensions.py --only single   # single | dual | three | other
    .venv/bin/python benchmarks/neural_extensions.py --only dual --instances lr2_ce10_u04_Kr10_Ke0

Prints one row per instance: optimum, neural cost, gap in percent, fit time in seconds.
"""

from __future__ import annotations

import argparse
import time
import warnings

from idinn.demand import UniformDemand
from idinn.dual_controller import DualSourcingNeuralController
from idinn.exact import evaluate_policy, solve_multi_sourcing_average_cost
from idinn.instances import load_exact_optima
from idinn.multi_controller import MultiSourcingNeuralController
from idinn.multi_sourcing_model import MultiSourcingModel
from idinn.single_controller import SingleSourcingNeuralController, SSController
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel


def row(name: str, optimum: float, cost: float, seconds: float, extra: str = "") -> None:
    gap = 100 * (cost / optimum - 1)
    print(f"{name:28s} {optimum:11.6f} {cost:11.6f} {gap:8.4f}% {seconds:8.1f} s {extra}", flush=True)


def header(title: str) -> None:
    print(f"\n## {title}\n{'instance':28s} {'optimum':>11s} {'neural':>11s} {'gap':>9s} {'fit':>10s}", flush=True)


def single(seed: int) -> None:
    header("single sourcing, fixed order cost K (U{0..4}, h = 1, b = 9) vs exact (s, S)")
    for lead_time in (0, 1, 2):
        for fixed in (10, 50):
            m = SingleSourcingModel(lead_time=lead_time, holding_cost=1, shortage_cost=9, init_inventory=0,
                                    batch_size=256, demand_generator=UniformDemand(0, 4), fixed_order_cost=fixed)
            ss = SSController().fit(m)
            t0 = time.perf_counter()
            c = SingleSourcingNeuralController(hidden_layers=[16, 8]).fit(
                m, sourcing_periods=50, epochs=100, validation_sourcing_periods=1000, validation_freq=10, seed=seed,
                parameters_lr=1e-3,
            )
            secs = time.perf_counter() - t0
            row(f"l={lead_time} K={fixed}", ss.expected_cost_, evaluate_policy(c, m).average_cost, secs,
                f"(s, S) = ({ss.reorder_point_}, {ss.order_up_to_level_})")


def dual(seed: int, names: list[str] | None) -> None:
    header("dual sourcing, fixed order costs (K_r, K_e) vs shipped exact optima")
    for r in load_exact_optima("dual_fixed_cost"):
        if names and r.name not in names:
            continue
        m = DualSourcingModel.from_problem(r.problem(), batch_size=256)
        t0 = time.perf_counter()
        c = DualSourcingNeuralController(hidden_layers=[64, 32, 16]).fit(
            m, sourcing_periods=100, epochs=100, validation_sourcing_periods=1000, validation_freq=10, seed=seed,
        )
        secs = time.perf_counter() - t0
        pi = c.policy_iteration_log_
        row(r.name, r.optimal_cost, evaluate_policy(c, m).average_cost, secs,
            f"(after warm start {pi[0]['cost']:.4f}, {len(pi) - 1} improvement rounds)")


def three(seed: int, names: list[str] | None) -> None:
    header("three suppliers vs shipped exact optima (and the best multi-index policy)")
    for r in load_exact_optima("three_supplier"):
        if names and r.name not in names:
            continue
        m = MultiSourcingModel.from_problem(r.problem(), batch_size=256)
        t0 = time.perf_counter()
        c = MultiSourcingNeuralController().fit(
            m, sourcing_periods=100, epochs=200, validation_sourcing_periods=1000, validation_freq=10, seed=seed,
        )
        secs = time.perf_counter() - t0
        heur = c.teacher_cost_
        cost = evaluate_policy(c, m).average_cost
        row(r.name, r.optimal_cost, cost, secs,
            f"multi-index {heur:.6f} (gap {100 * (heur / r.optimal_cost - 1):.4f}%), neural better: {cost < heur}")


def other(seed: int) -> None:
    header("capacities and review periods (exact optimum of the general engine)")
    base = dict(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=20,
                holding_cost=5, shortage_cost=495, init_inventory=0, batch_size=256,
                demand_generator=UniformDemand(0, 4))
    cases = {
        "capacities u = (3, 2)": DualSourcingModel(**base, regular_order_capacity=3, expedited_order_capacity=2),
        "regular every 3 periods": DualSourcingModel(**base, regular_review_period=3, regular_review_offset=1),
    }
    for name, m in cases.items():
        optimum = solve_multi_sourcing_average_cost(m).average_cost
        t0 = time.perf_counter()
        c = DualSourcingNeuralController(hidden_layers=[64, 32, 16]).fit(
            m, sourcing_periods=100, epochs=100, validation_sourcing_periods=1000, validation_freq=10, seed=seed,
        )
        row(name, optimum, evaluate_policy(c, m).average_cost, time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["single", "dual", "three", "other"], action="append")
    parser.add_argument("--instances", nargs="*", help="names from the shipped optima tables")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    parts = args.only or ["single", "dual", "three", "other"]
    warnings.simplefilter("ignore")
    if "single" in parts:
        single(args.seed)
    if "dual" in parts:
        dual(args.seed, args.instances)
    if "three" in parts:
        three(args.seed, args.instances)
    if "other" in parts:
        other(args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
