"""Time and peak memory of the exact lost-sales DP on the compact simplex, L = 4..6.

Each instance runs in its own process, so the peak resident memory (``resource.getrusage``)
is that instance's; the first line times Zipkin's 32 instances solved one after the other
in one process (checked against the printed optima to two decimals).

    .venv/bin/python benchmarks/lost_sales_exact_scale.py                       # the table of docs/lost_sales.md
    .venv/bin/python benchmarks/lost_sales_exact_scale.py poisson_L6_p9         # one instance
    .venv/bin/python benchmarks/lost_sales_exact_scale.py --no-zipkin poisson_L5_p9 geometric_L5_p9
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

DEFAULT = ["poisson_L5_p9", "geometric_L5_p9", "poisson_L6_p4", "poisson_L6_p9", "poisson_L6_p19", "poisson_L6_p39",
           "geometric_L6_p4"]


def model_of(name: str):
    from idinn.demand import GeometricDemand, PoissonDemand
    from idinn.sourcing_model import SingleSourcingModel

    kind, lead, penalty = name.split("_")
    demand = PoissonDemand(5.0) if kind == "poisson" else GeometricDemand(5.0)
    return SingleSourcingModel(lead_time=int(lead[1:]), holding_cost=1, shortage_cost=float(penalty[1:]),
                               init_inventory=0, demand_generator=demand, excess_demand="lost_sales")


def solve_one(name: str, max_entries: int) -> dict:
    from idinn.exact import solve_lost_sales_average_cost

    t0 = time.perf_counter()
    sol = solve_lost_sales_average_cost(model_of(name), max_entries=max_entries)
    return {"name": name, "cost": sol.average_cost, "span": sol.upper_bound - sol.lower_bound, "B": sol.max_position,
            "states": sol.n_states, "box": float((sol.max_position + 1) ** sol.lead_time),
            "iterations": sol.iterations, "seconds": time.perf_counter() - t0,
            "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}


def zipkin() -> str:
    from idinn.exact import solve_lost_sales_average_cost
    from idinn.instances import load_lost_sales_testbed

    bed = load_lost_sales_testbed()
    solve_lost_sales_average_cost(bed[0].problem())  # compile the kernels outside the timing
    t0 = time.perf_counter()
    equal = sum(round(solve_lost_sales_average_cost(i.problem()).average_cost, 2) == i.costs["optimal"] for i in bed)
    return f"Zipkin's {len(bed)} instances: {time.perf_counter() - t0:.1f} s, {equal}/{len(bed)} equal to the printed optimum"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instances", nargs="*", default=DEFAULT, help="names like poisson_L6_p9 (mean-5 demand, h = 1)")
    ap.add_argument("--no-zipkin", action="store_true")
    ap.add_argument("--max-entries", type=lambda v: int(float(v)), default=1_000_000_000)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(solve_one(args.child, args.max_entries)))
        return 0
    if not args.no_zipkin:
        print(zipkin(), flush=True)
    print("| instance | S_bar | states | box (S_bar+1)^L | g* | span | sweeps | seconds | peak GiB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in args.instances:
        out = subprocess.run([sys.executable, __file__, "--child", name, "--max-entries", str(args.max_entries)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print(f"| {name} | failed: {out.stderr.strip().splitlines()[-1]} |", flush=True)
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"| {name} | {r['B']} | {r['states']:,} | {r['box']:.2g} | {r['cost']:.6f} | {r['span']:.1e} | "
              f"{r['iterations']} | {r['seconds']:.1f} | {r['peak_gib']:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
