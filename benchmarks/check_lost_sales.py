"""Zipkin's (2008) 32 lost-sales optima by exact DP: published, ours, difference, seconds.

Run: .venv/bin/python benchmarks/check_lost_sales.py [--policies]
(--policies also fits the classical policies exactly and compares them with Zipkin's columns.)
"""

from __future__ import annotations

import sys
import time

from idinn.exact import solve_lost_sales_average_cost
from idinn.instances import load_lost_sales_testbed


def main() -> int:
    rows, t_all, worst = load_lost_sales_testbed(), time.perf_counter(), 0.0
    print(f"{'instance':<22}{'published':>10}{'ours':>10}{'diff':>9}{'states':>9}{'seconds':>9}")
    n_match = 0
    for inst in rows:
        sol = solve_lost_sales_average_cost(inst.problem())
        pub = inst.costs["optimal"]
        diff = round(sol.average_cost, 2) - pub
        n_match += abs(diff) < 1e-9
        worst = max(worst, abs(sol.average_cost - pub))
        print(f"{inst.name:<22}{pub:>10.2f}{sol.average_cost:>10.4f}{diff:>9.2f}{sol.n_states:>9}{sol.seconds:>9.2f}",
              flush=True)
    total = time.perf_counter() - t_all
    print(f"{n_match}/{len(rows)} optima equal to the printed two decimals; largest |ours - published| "
          f"{worst:.4f}; total {total:.1f} s")
    if "--policies" in sys.argv:
        from lost_sales_policies_table import main as policies  # noqa: PLC0415

        policies(rows)
    return 0 if n_match == len(rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
