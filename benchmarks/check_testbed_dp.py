"""Dynamic programming on the whole dual-sourcing test bed, and on larger lead-time gaps.

For each test-bed row: solve by relative value iteration, compare with the published
optimum, check that the certified bounds bracket it, and evaluate the optimal policy
exactly on the full (unreduced) state space with ``evaluate_policy``. Then time larger
gaps ``L = l_r - l_e`` up to 6.

Run: ``python benchmarks/check_testbed_dp.py``
"""

from __future__ import annotations

import time

import torch

from idinn.demand import UniformDemand
from idinn.exact import evaluate_policy, solve_dual_sourcing_average_cost
from idinn.instances import load_testbed, make_model
from idinn.sourcing_model import DualSourcingModel


def main() -> None:
    header = (
        f"{'instance':<14}{'published':>10}{'g*':>12}{'diff':>10}{'lower':>14}{'upper':>14}"
        f"{'bracket':>8}{'eval(full)':>12}{'sweeps':>7}{'sec':>7}{'bmass':>7}  truncation"
    )
    print(header)
    print("-" * len(header))
    worst = 0.0
    for inst in load_testbed():
        model = make_model(inst)
        start = time.perf_counter()
        res = solve_dual_sourcing_average_cost(model)
        seconds = time.perf_counter() - start
        ev = evaluate_policy(lambda s: torch.as_tensor(res.orders(s.numpy()), dtype=torch.float32), model)
        diff = res.optimal_cost - inst.optimal_cost
        worst = max(worst, abs(diff))
        bracket = res.lower_bound <= inst.optimal_cost + 5e-5 and res.upper_bound >= inst.optimal_cost - 5e-5
        t = res.truncation
        print(
            f"{inst.name:<14}{inst.optimal_cost:>10.4f}{res.optimal_cost:>12.6f}{diff:>+10.6f}"
            f"{res.lower_bound:>14.8f}{res.upper_bound:>14.8f}{'yes' if bracket else 'NO':>8}"
            f"{ev.average_cost:>12.6f}{res.n_iterations:>7d}{seconds:>7.3f}{res.boundary_mass:>7.0g}"
            f"  z in [{t['min_position']}, {t['max_position']}], q_r <= {t['max_regular_order']}"
        )
    print(f"largest |g* - published| = {worst:.2e} (published values have 4 decimals)")
    print()
    print(f"{'l_r':>4}{'l_e':>4}{'c_e':>5}{'states':>9}{'g*':>12}{'gap':>10}{'sweeps':>7}{'sec':>7}")
    for lr, le, ce in [(4, 0, 10), (5, 0, 10), (6, 0, 10), (6, 0, 20), (7, 1, 10), (6, 3, 5)]:
        model = DualSourcingModel(lr, le, 0, ce, 5, 495, 0, UniformDemand(0, 4))
        start = time.perf_counter()
        res = solve_dual_sourcing_average_cost(model)
        seconds = time.perf_counter() - start
        print(
            f"{lr:>4}{le:>4}{ce:>5}{res.relative_values.size:>9d}{res.optimal_cost:>12.6f}"
            f"{res.upper_bound - res.lower_bound:>10.1e}{res.n_iterations:>7d}{seconds:>7.3f}"
        )


if __name__ == "__main__":
    main()
