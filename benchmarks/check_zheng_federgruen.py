"""Reproduce the 24 optimal (s, S) policies of Zheng & Federgruen (1991, Table 1).

Usage::

    .venv/bin/python benchmarks/check_zheng_federgruen.py [--no-stockpyl]

Prints, per instance, the published s, S and cost next to ours (``idinn.exact.fixed_cost.
optimal_ss_policy`` on the Poisson pmf censored where its tail is below 1e-12), and the
total time of our 24 solves (the pmfs are built before the clock starts; one warm-up solve
runs first, so the time excludes one-time imports). When stockpyl is installed, its
``s_s_discrete_exact`` (the same algorithm, on its own Poisson pmf) solves the same 24 in the same run and its time is
printed beside ours. Exit status 1 when an instance is not reproduced to three decimals.
"""

from __future__ import annotations

import argparse
import sys
import time

from idinn.exact.fixed_cost import optimal_ss_policy
from idinn.instances import load_zheng_federgruen, zheng_federgruen_pmf


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-stockpyl", action="store_true", help="do not time stockpyl even when installed")
    args = parser.parse_args(argv)
    rows = load_zheng_federgruen()
    pmfs = [zheng_federgruen_pmf(r) for r in rows]

    def solve(row, pmf):
        return optimal_ss_policy(*pmf, lead_time=row.lead_time, holding_cost=row.holding_cost,
                                 shortage_cost=row.shortage_cost, fixed_order_cost=row.fixed_order_cost)

    solve(rows[0], pmfs[0])  # warm-up
    start = time.perf_counter()
    ours = [solve(r, p) for r, p in zip(rows, pmfs)]
    ours_s = time.perf_counter() - start

    theirs, theirs_s, note = None, None, ""
    if not args.no_stockpyl:
        try:
            from stockpyl.ss import s_s_discrete_exact  # type: ignore[import-not-found]
        except ImportError:
            note = "stockpyl not installed: not timed (pip install stockpyl)"
        else:
            start = time.perf_counter()
            theirs = [s_s_discrete_exact(r.holding_cost, r.shortage_cost, r.fixed_order_cost, True, r.mean)
                      for r in rows]
            theirs_s = time.perf_counter() - start

    head = f"{'mean':>5} {'s pub':>6} {'S pub':>6} {'cost pub':>9} | {'s':>4} {'S':>4} {'cost':>9}  ok"
    if theirs is not None:
        head += f" | {'stockpyl s':>10} {'S':>4} {'cost':>9}"
    print(head)
    bad = 0
    for r, o, i in zip(rows, ours, theirs or [None] * len(rows)):
        ok = (o.reorder_point, o.order_up_to_level, round(o.average_cost, 3)) == (r.s_optimal, r.S_optimal,
                                                                                 r.optimal_cost)
        bad += not ok
        line = (f"{r.mean:5g} {r.s_optimal:6d} {r.S_optimal:6d} {r.optimal_cost:9.3f} | {o.reorder_point:4d} "
                f"{o.order_up_to_level:4d} {o.average_cost:9.3f}  {'yes' if ok else 'NO'}")
        if i is not None:
            line += f" | {int(i[0]):10d} {int(i[1]):4d} {float(i[2]):9.3f}"
        print(line)
    print(f"\nreproduced {len(rows) - bad}/{len(rows)} (s, S and cost to three decimals)")
    print(f"idinn: all {len(rows)} in {ours_s:.3f} s")
    if theirs_s is not None:
        print(f"stockpyl: all {len(rows)} in {theirs_s:.3f} s ({theirs_s / ours_s:.0f}x idinn's time)")
    elif note:
        print(note)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
