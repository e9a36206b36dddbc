"""Fit the four classical dual-sourcing heuristics on the test bed and compare with its values.

For every U{0..4} instance of ``idinn/data/dual_sourcing_testbed.csv`` (``--all``: also the
U{0..8} ones) each heuristic is fitted with its automatic candidate ranges; the table
lists the fitted parameters, the fitted policy's exact long-run average cost
(``best_cost_``, Markov-chain evaluation), the test bed's best cost of the family, the
difference, the gap to the optimum (``optimal_cost``) and the fit time. A row passes when
the exact cost is at most the test-bed value + 1e-3.

Usage::

    python benchmarks/check_testbed_heuristics.py [--all] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time

from idinn.dual_controller import (
    CappedDualIndexController,
    DualIndexController,
    SingleIndexController,
    TailoredBaseSurgeController,
)
from idinn.instances import load_testbed, make_model

FAMILIES = [
    ("CDI", CappedDualIndexController, "best_capped_dual_index_cost"),
    ("DI", DualIndexController, "best_dual_index_cost"),
    ("TBS", TailoredBaseSurgeController, "best_tailored_base_surge_cost"),
    ("SI", SingleIndexController, "best_single_index_cost"),
]
TOLERANCE = 1e-3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="include the U{0..8} instances")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    instances = [i for i in load_testbed() if args.all or i.demand_high == 4]
    header = (
        f"{'instance':<14} {'family':<4} {'parameters':<22} {'exact':>9} {'testbed':>9} "
        f"{'diff':>8} {'gap_opt%':>8} {'exact?':>6} {'fit_s':>6}  ok"
    )
    print(header)
    print("-" * len(header))
    failures = 0
    total_time = 0.0
    for inst in instances:
        model = make_model(inst)
        for label, cls, column in FAMILIES:
            start = time.perf_counter()
            controller = cls().fit(model, seed=args.seed)
            elapsed = time.perf_counter() - start
            total_time += elapsed
            reference = getattr(inst, column)
            cost = controller.best_cost_
            ok = cost <= reference + TOLERANCE
            failures += not ok
            params = ", ".join(f"{n}={getattr(controller, n)}" for n in controller._param_names)
            gap = 100 * (cost - inst.optimal_cost) / inst.optimal_cost
            print(
                f"{inst.name:<14} {label:<4} {params:<22} {cost:9.4f} {reference:9.4f} "
                f"{cost - reference:+8.4f} {gap:8.2f} {str(controller.best_cost_is_exact_):>6} "
                f"{elapsed:6.2f}  {'yes' if ok else 'NO'}"
            )
            sys.stdout.flush()
    n = len(instances) * len(FAMILIES)
    print(f"\n{n - failures}/{n} fits at most the test-bed value + {TOLERANCE:g}; total fit time {total_time:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
