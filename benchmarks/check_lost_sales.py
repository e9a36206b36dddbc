"""Zipkin's (2008) lost-sales test bed, reproduced exactly.

    .venv/bin/python benchmarks/check_lost_sales.py             # the 32 optima (exact DP)
    .venv/bin/python benchmarks/check_lost_sales.py --policies  # + classical policies fitted exactly

Table 1: published optimum, ours, difference of the two-decimal values, states, seconds.
Table 2 (--policies): standard base-stock, best base-stock and best (integer) constant
order against Zipkin's columns, and the best capped base-stock (Xin 2021; no column in Zipkin;
"-" where the standard level's state space exceeds CAPPED_MAX_STATES: the scan takes minutes there).
"""

from __future__ import annotations

import math
import sys
import time

from idinn.exact import (
    evaluate_lost_sales_base_stock,
    fit_lost_sales_base_stock,
    fit_lost_sales_capped_base_stock,
    fit_lost_sales_constant_order,
    solve_lost_sales_average_cost,
    standard_base_stock_level,
)
from idinn.instances import load_lost_sales_testbed


#: the capped base-stock scan is run where the standard level's simplex has at most this many states
CAPPED_MAX_STATES = 70_000


def optima(rows) -> bool:
    t_all, worst, n_match = time.perf_counter(), 0.0, 0
    print(f"{'instance':<22}{'published':>10}{'ours':>10}{'diff':>7}{'states':>9}{'seconds':>9}")
    for inst in rows:
        sol = solve_lost_sales_average_cost(inst.problem())
        pub = inst.costs["optimal"]
        diff = round(sol.average_cost, 2) - pub
        n_match += abs(diff) < 1e-9
        worst = max(worst, abs(sol.average_cost - pub))
        print(f"{inst.name:<22}{pub:>10.2f}{sol.average_cost:>10.4f}{diff:>7.2f}{sol.n_states:>9}{sol.seconds:>9.2f}",
              flush=True)
    print(f"{n_match}/{len(rows)} optima equal to the printed two decimals; largest |ours - published| "
          f"{worst:.4f}; total {time.perf_counter() - t_all:.1f} s\n")
    return n_match == len(rows)


def policies(rows) -> None:
    cols = [("std_base_stock", "std BS"), ("best_base_stock", "best BS"), ("best_constant_order", "const")]
    head = "".join(f"{label + ' pub':>13}{'ours':>9}" for _, label in cols)
    print(f"{'instance':<22}{head}{'capped BS (S, r)':>26}{'seconds':>9}")
    match = {k: 0 for k, _ in cols}
    for inst in rows:
        t0 = time.perf_counter()
        prob = inst.problem()
        ours = {
            "std_base_stock": evaluate_lost_sales_base_stock(prob, standard_base_stock_level(prob)),
            "best_base_stock": fit_lost_sales_base_stock(prob).average_cost,
            "best_constant_order": fit_lost_sales_constant_order(prob).average_cost,
        }
        level = standard_base_stock_level(prob)
        capped = None
        if math.comb(level + inst.lead_time, inst.lead_time) <= CAPPED_MAX_STATES:  # the scan is slow beyond
            capped = fit_lost_sales_capped_base_stock(prob)
        line = ""
        for k, _ in cols:
            match[k] += round(ours[k], 2) == inst.costs[k]
            line += f"{inst.costs[k]:>13.2f}{ours[k]:>9.3f}"
        sr = "-" if capped is None else (
            f"{capped.average_cost:.3f} ({capped.parameters['base_stock_level']}, {capped.parameters['cap']})")
        print(f"{inst.name:<22}{line}{sr:>26}{time.perf_counter() - t0:>9.1f}", flush=True)
    print("equal to the printed two decimals: " + ", ".join(f"{k} {v}/{len(rows)}" for k, v in match.items()))


def main() -> int:
    rows = load_lost_sales_testbed()
    ok = optima(rows)
    if "--policies" in sys.argv:
        policies(rows)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
