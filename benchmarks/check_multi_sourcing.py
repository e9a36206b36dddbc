"""Reproduce every shipped exact multi-sourcing optimum (and write the data files).

    python benchmarks/check_multi_sourcing.py                 # re-solve every row, compare, print times
    python benchmarks/check_multi_sourcing.py --table three_supplier
    python benchmarks/check_multi_sourcing.py --write --force # rewrite src/idinn/data/*_optima.csv

Tables (docs/exact_multi_sourcing.md):
* three_supplier: lead times (0, 1, 2) and (0, 2, 4), unit costs (20, 10, 0), U{0..4}, h = 5,
  b in {95, 495} (issue 10, item 4);
* dual_lost_sales: l_r = 2, l_e = 0, U{0..4}, h = 5, p = 495, c_r = 0, c_e in {5, 10, 20}
  (issue 9, item 5);
* dual_fixed_cost: the nine U{0..4} dual test-bed instances (idinn.instances) with fixed order
  costs (K_r, K_e) in {(0, 0), (10, 0), (0, 10), (50, 50)} (issue 10, item 5); the (0, 0) rows
  equal the test bed's published optima.

``--table reach`` times larger instances (four and five suppliers, a widened box; ``--large``
adds lead times (0, 2, 4, 6), about two minutes and 1.8 GiB); not part of the default run.

``--table dual_testbed`` also re-solves all 15 published dual-sourcing test-bed instances with the
general engine and compares with their published optima (four decimals; no data file).

Each solve is timed on its own (wall clock, one process); the exit status is 1 when a re-solved
optimum differs from the file by more than 1e-5.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

from idinn.demand import UniformDemand
from idinn.dynamics import SourcingParams
from idinn.exact import solve_multi_sourcing_average_cost
from idinn.instances import load_exact_optima, load_testbed
from idinn.problem import SourcingProblem

DATA = Path(__file__).resolve().parents[1] / "src" / "idinn" / "data"
FILES = {
    "three_supplier": "three_supplier_optima.csv",
    "dual_lost_sales": "dual_lost_sales_optima.csv",
    "dual_fixed_cost": "dual_fixed_cost_optima.csv",
}
COLUMNS = ["name", "lead_times", "order_costs", "fixed_order_costs", "holding_cost", "shortage_cost",
           "excess_demand", "demand_low", "demand_high", "optimal_cost", "n_states", "solve_time_s"]
FIXED_COST_LEVELS = [(0, 0), (10, 0), (0, 10), (50, 50)]


def instances(table: str) -> list[tuple[str, SourcingProblem]]:
    """(name, problem) of every row of ``table``."""
    out = []
    if table == "three_supplier":
        for lts in [(0, 1, 2), (0, 2, 4)]:
            for b in (95, 495):
                params = SourcingParams(lead_times=lts, order_costs=(20, 10, 0), holding_cost=5, shortage_cost=b)
                out.append((f"l{''.join(map(str, lts))}_b{b}", SourcingProblem(params=params, demand=UniformDemand(0, 4))))
    elif table == "dual_lost_sales":
        for ce in (5, 10, 20):
            out.append((f"lr2_ce{ce}_u04_lost_sales", SourcingProblem.dual(
                regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=ce,
                holding_cost=5, shortage_cost=495, demand=UniformDemand(0, 4), excess_demand="lost_sales")))
    elif table == "dual_fixed_cost":
        for inst in load_testbed():
            if inst.demand_high != 4:
                continue
            for kr, ke in FIXED_COST_LEVELS:
                out.append((f"{inst.name}_Kr{kr}_Ke{ke}", SourcingProblem.dual(
                    regular_lead_time=inst.regular_lead_time, expedited_lead_time=inst.expedited_lead_time,
                    regular_order_cost=inst.regular_order_cost, expedited_order_cost=inst.expedited_order_cost,
                    holding_cost=inst.holding_cost, shortage_cost=inst.shortage_cost,
                    demand=UniformDemand(inst.demand_low, inst.demand_high),
                    regular_fixed_order_cost=kr, expedited_fixed_order_cost=ke)))
    else:  # pragma: no cover - argparse restricts the choices
        raise ValueError(table)
    return out


def _row(name: str, problem: SourcingProblem, sol) -> dict:
    p = problem.params
    join = lambda xs: ";".join(f"{x:g}" for x in xs)  # noqa: E731
    return {
        "name": name, "lead_times": join(p.lead_times), "order_costs": join(p.order_costs),
        "fixed_order_costs": join(p.fixed_order_costs), "holding_cost": f"{p.holding_cost:g}",
        "shortage_cost": f"{p.shortage_cost:g}", "excess_demand": p.excess_demand,
        "demand_low": problem.demand.pmf()[0].min(), "demand_high": problem.demand.pmf()[0].max(),
        "optimal_cost": f"{sol.average_cost:.6f}", "n_states": sol.n_states, "solve_time_s": f"{sol.solve_time_s:.3f}",
    }


def _reach(large: bool) -> None:
    """Time larger instances (h = 5, b = 495, U{0..4})."""
    import warnings

    print("== reach")
    rows = [((0, 2, 4), (20, 10, 0), {}), ((0, 2, 4), (20, 10, 0), "wide"), ((0, 1, 2, 3), (30, 20, 10, 0), {}),
            ((0, 1, 2, 3, 4), (40, 30, 20, 10, 0), {})]
    if large:
        rows.append(((0, 2, 4, 6), (30, 20, 10, 0), {"max_widenings": 0, "max_states": 2_000_000}))
    for lts, costs, kw in rows:
        params = SourcingParams(lead_times=lts, order_costs=costs, holding_cost=5, shortage_cost=495)
        problem = SourcingProblem(params=params, demand=UniformDemand(0, 4))
        if kw == "wide":
            base = solve_multi_sourcing_average_cost(problem)
            kw = {"x_bounds": (base.x_bounds[0] - 8, base.x_bounds[1] + 8),
                  "max_orders": [q + 4 for q in base.max_orders]}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            sol = solve_multi_sourcing_average_cost(problem, **kw)
        print(f"lead times {lts}, costs {costs}, {kw or 'automatic bounds'}: cost {sol.average_cost:.9f}, "
              f"{sol.n_states:,} states, boundary mass {sol.boundary_mass:.2g}, {sol.solve_time_s:.2f} s", flush=True)


def _heuristic_gap(problem: SourcingProblem, optimum: float) -> None:
    """Exact gap of the multi-index base-stock heuristic (helper multi's default fit)."""
    import warnings

    from idinn.exact import evaluate_policy
    from idinn.multi_controller import MultiIndexController

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ctrl = MultiIndexController().fit(problem)
        cost = evaluate_policy(ctrl, problem).average_cost
    print(f"    multi-index heuristic: {cost:.6f}, gap {100 * (cost / optimum - 1):.3f} % "
          f"(fit + exact evaluation {time.perf_counter() - t0:.1f} s)", flush=True)


def _testbed() -> int:
    """Re-solve the 15 published dual test-bed instances with the general engine."""
    status, total = 0, 0.0
    print("== dual_testbed (published optima, four decimals)")
    print(f"{'name':32s} {'optimal cost':>14s} {'published':>12s} {'states':>8s} {'time [s]':>9s}")
    for inst in load_testbed():
        problem = SourcingProblem.dual(
            regular_lead_time=inst.regular_lead_time, expedited_lead_time=inst.expedited_lead_time,
            regular_order_cost=inst.regular_order_cost, expedited_order_cost=inst.expedited_order_cost,
            holding_cost=inst.holding_cost, shortage_cost=inst.shortage_cost,
            demand=UniformDemand(inst.demand_low, inst.demand_high))
        sol = solve_multi_sourcing_average_cost(problem)
        total += sol.solve_time_s
        mark = ""
        if abs(round(sol.average_cost, 4) - inst.optimal_cost) > 1e-9:
            mark, status = "  MISMATCH", 1
        print(f"{inst.name:32s} {sol.average_cost:14.6f} {inst.optimal_cost:12.4f} {sol.n_states:8d} "
              f"{sol.solve_time_s:9.3f}{mark}", flush=True)
    print(f"total dual_testbed: {total:.2f} s")
    return status


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--heuristic", action="store_true",
                    help="also fit idinn.multi_controller.MultiIndexController (default search) to each row and "
                         "print its exact gap to the optimum")
    ap.add_argument("--large", action="store_true", help="with --table reach: add lead times (0, 2, 4, 6)")
    ap.add_argument("--table", choices=sorted(FILES) + ["dual_testbed", "reach"], action="append",
                    help="table(s) to run (default: all, dual_testbed included)")
    ap.add_argument("--write", action="store_true", help="write the data files")
    ap.add_argument("--force", action="store_true", help="overwrite existing data files with --write")
    args = ap.parse_args(argv)
    status = 0
    tables = args.table or [*FILES, "dual_testbed"]
    if "reach" in tables:
        tables = [t for t in tables if t != "reach"]
        _reach(args.large)
    if "dual_testbed" in tables:
        tables = [t for t in tables if t != "dual_testbed"]
        status = max(status, _testbed())
    for table in tables:
        path = DATA / FILES[table]
        if args.write and path.exists() and not args.force:
            print(f"{path} exists; pass --force to overwrite it.", file=sys.stderr)
            return 2
        stored = {}
        if path.exists() and not args.write:
            stored = {r.name: r.optimal_cost for r in load_exact_optima(table)}
        rows, total = [], 0.0
        print(f"== {table}")
        print(f"{'name':32s} {'optimal cost':>14s} {'file':>12s} {'states':>8s} {'time [s]':>9s}")
        for name, problem in instances(table):
            t0 = time.perf_counter()
            sol = solve_multi_sourcing_average_cost(problem)
            total += time.perf_counter() - t0
            ref = stored.get(name)
            mark = ""
            if ref is not None and abs(ref - sol.average_cost) > 1e-5:
                mark, status = "  MISMATCH", 1
            print(f"{name:32s} {sol.average_cost:14.6f} {'' if ref is None else f'{ref:.6f}':>12s} "
                  f"{sol.n_states:8d} {sol.solve_time_s:9.3f}{mark}", flush=True)
            if args.heuristic and not problem.params.has_fixed_costs:
                _heuristic_gap(problem, sol.average_cost)
            rows.append(_row(name, problem, sol))
        print(f"total {table}: {total:.2f} s")
        if args.write:
            with open(path, "w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows)
            print(f"wrote {path}")
    return status


if __name__ == "__main__":
    sys.exit(main())
