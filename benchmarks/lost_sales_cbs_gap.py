"""How much can any policy gain over the best capped base-stock policy under lost sales?

    .venv/bin/python benchmarks/lost_sales_cbs_gap.py                       # L = 1..5, 40 instances
    .venv/bin/python benchmarks/lost_sales_cbs_gap.py --max-lead 4          # Zipkin's 32 instances only
    .venv/bin/python benchmarks/lost_sales_cbs_gap.py --only poisson_L5_p39,geometric_L5_p4
    .venv/bin/python benchmarks/lost_sales_cbs_gap.py --max-lead 2 --exhaustive-max-lead 2  # + every (S, r)

Instances: Zipkin's (2008, *Oper. Res.* 56(5)) test bed extended in the lead time: h = 1,
p in {4, 9, 19, 39}, Poisson(5) and geometric on {0, 1, ...} with mean 5, L = 1..max_lead
(Zipkin stops at L = 4). Per instance, all exact (no simulation):

* the optimal long-run average cost, ``idinn.exact.solve_lost_sales_average_cost`` (for
  L <= 4 checked against the optimum shipped in ``idinn/data/lost_sales_zipkin2008.csv``,
  Zipkin's printed two decimals: ours must round to it);
* the best capped base-stock policy (Xin 2021, *Oper. Res.* 69(5): order
  min([S - y]^+, r), y the inventory position), ``fit_lost_sales_capped_base_stock`` with
  its level bounded by ``max_level`` = the standard level S_bar + ``--cbs-margin`` (the
  default bound, 2 S_bar + 2, makes the scan of the caps below the mean demand walk to
  levels whose state space does not fit in memory at L = 5). The fitted (S, r) is then
  checked against its 8 neighbours (S +- 1, r +- 1) by exact evaluation; a row whose S
  sits on the bound, or that a neighbour beats, is flagged;
* the gap (CBS - opt) / CBS in %: what ANY policy can gain over the best capped base-stock;
* for context the best base-stock level (``fit_lost_sales_base_stock``) and the best
  integer constant order (``fit_lost_sales_constant_order``, which does not depend on L).

An instance whose DP tables exceed ``--max-entries`` is reported as "does not fit"
with the solver's own MemoryError message; the run goes on. Exit status 1 when an optimum
differs from the shipped one (rounded to two decimals). Results: docs/lost_sales.md, "How much
can any policy gain over capped base-stock?".
"""

from __future__ import annotations

import argparse
import datetime
import os
import time
from dataclasses import dataclass

from idinn.demand import GeometricDemand, PoissonDemand
from idinn.exact import (
    evaluate_lost_sales_base_stock,
    fit_lost_sales_base_stock,
    fit_lost_sales_capped_base_stock,
    fit_lost_sales_constant_order,
    solve_lost_sales_average_cost,
    standard_base_stock_level,
)
from idinn.instances import load_lost_sales_testbed
from idinn.problem import SourcingProblem

PENALTIES = (4, 9, 19, 39)
DEMANDS = {"poisson": PoissonDemand(5.0), "geometric": GeometricDemand(5.0)}


@dataclass
class Row:
    name: str
    lead_time: int
    shipped: float | None = None
    opt: float | None = None
    opt_states: int = 0
    cbs: float | None = None
    cbs_params: tuple[int, int] | None = None
    cbs_flag: str = ""
    exhaustive: str = ""
    bs: float | None = None
    bs_level: int | None = None
    const: float | None = None
    const_order: int | None = None
    seconds: float = 0.0
    error: str = ""

    @property
    def gap(self) -> float | None:
        """(CBS - opt) / CBS in %."""
        if self.cbs is None or self.opt is None:
            return None
        return 100.0 * (self.cbs - self.opt) / self.cbs

    @property
    def bs_gap(self) -> float | None:
        if self.bs is None or self.opt is None:
            return None
        return 100.0 * (self.bs - self.opt) / self.bs


def instances(max_lead: int, only: set[str] | None) -> list[tuple[str, int, SourcingProblem]]:
    out = []
    for L in range(1, max_lead + 1):
        for dname, demand in DEMANDS.items():
            for p in PENALTIES:
                name = f"{dname}_L{L}_p{p}"
                if only and name not in only:
                    continue
                out.append((name, L, SourcingProblem.single(lead_time=L, holding_cost=1.0, shortage_cost=float(p),
                                                            demand=demand, excess_demand="lost_sales")))
    return out


def neighbours_check(problem: SourcingProblem, level: int, cap: int, cost: float, top: int, max_entries: int) -> str:
    """'' if no neighbour (S +- 1, r +- 1) within 0 <= S <= top, r >= 1 is cheaper, else the better neighbour."""
    for dS in (-1, 0, 1):
        for dr in (-1, 0, 1):
            S, r = level + dS, cap + dr
            if (dS, dr) == (0, 0) or S < 0 or S > top or r < 1:
                continue
            c = evaluate_lost_sales_base_stock(problem, S, r, max_entries=max_entries)
            if c < cost - 1e-7:
                return f"neighbour ({S}, {r}) costs {c:.4f}"
    return ""


def exhaustive_check(problem: SourcingProblem, level: int, cap: int, cost: float, max_entries: int) -> str:
    """Every (S, r), 0 <= S <= 2 S_bar + 2 (the fit's default bound), 1 <= r <= max(S, 1), evaluated exactly.

    Returns 'equal (N pairs)' when none is cheaper than the fitted ``(level, cap)`` by more
    than 1e-7 (r >= S is the plain base-stock policy, so larger caps add nothing), else the best pair.
    """
    top = 2 * standard_base_stock_level(problem) + 2
    best, arg, n = cost, (level, cap), 0
    for S in range(top + 1):
        for r in range(1, max(S, 1) + 1):
            c = evaluate_lost_sales_base_stock(problem, S, r, max_entries=max_entries)
            n += 1
            if c < best - 1e-7:
                best, arg = c, (S, r)
    return f"equal ({n} pairs)" if arg == (level, cap) else f"({arg[0]}, {arg[1]}) costs {best:.4f} ({n} pairs)"


def run_one(name: str, L: int, problem: SourcingProblem, shipped: float | None, max_entries: int, margin: int,
            check: bool, exhaustive: bool = False) -> Row:
    row = Row(name, L, shipped=shipped)
    t0 = time.perf_counter()
    try:
        sol = solve_lost_sales_average_cost(problem, max_entries=max_entries)
        row.opt, row.opt_states = sol.average_cost, sol.n_states
        top = standard_base_stock_level(problem) + margin
        fit = fit_lost_sales_capped_base_stock(problem, max_entries=max_entries, max_level=top)
        row.cbs = fit.average_cost
        S, r = fit.parameters["base_stock_level"], fit.parameters["cap"]
        row.cbs_params = (S, r)
        if S >= top:
            row.cbs_flag = f"S on the bound {top}"
        elif check:
            row.cbs_flag = neighbours_check(problem, S, r, fit.average_cost, top, max_entries)
        if exhaustive:
            row.exhaustive = exhaustive_check(problem, S, r, fit.average_cost, max_entries)
        bs = fit_lost_sales_base_stock(problem, max_entries=max_entries)
        row.bs, row.bs_level = bs.average_cost, bs.parameters["base_stock_level"]
        const = fit_lost_sales_constant_order(problem)
        row.const, row.const_order = const.average_cost, const.parameters["order"]
    except MemoryError as e:
        row.error = str(e)
    row.seconds = time.perf_counter() - t0
    return row


def fmt(x: float | None, nd: int = 4) -> str:
    return "-" if x is None else f"{x:.{nd}f}"


def gib_of(message: str) -> str:
    """The '~N GiB' figure of the solver's MemoryError message."""
    i = message.find("(~")
    return message[i + 2: message.find(" GiB", i)] if i >= 0 else "?"


def table(rows: list[Row]) -> str:
    lines = ["| instance | L | opt | Zipkin opt | best CBS (S, r) | gap CBS-opt % | best BS (S) | gap BS-opt % "
             "| best const (r) | states | s |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        if r.error:
            cbs = f"does not fit ({gib_of(r.error)} GiB)"
            lines.append(f"| {r.name} | {r.lead_time} | {cbs} | {fmt(r.shipped, 2)} | - | - | - | - | - | - "
                         f"| {r.seconds:.0f} |")
            continue
        cbs = f"{fmt(r.cbs)} {r.cbs_params}" + (f" [{r.cbs_flag}]" if r.cbs_flag else "")
        lines.append(f"| {r.name} | {r.lead_time} | {fmt(r.opt)} | {fmt(r.shipped, 2)} | {cbs} | {fmt(r.gap, 2)} "
                     f"| {fmt(r.bs)} ({r.bs_level}) | {fmt(r.bs_gap, 2)} | {fmt(r.const)} ({r.const_order}) "
                     f"| {r.opt_states:,} | {r.seconds:.0f} |")
    return "\n".join(lines)


def summary(rows: list[Row]) -> str:
    lines = ["| L | instances solved | gap CBS-opt %: mean | min | max | gap BS-opt %: mean | max |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for L in sorted({r.lead_time for r in rows}):
        at = [r for r in rows if r.lead_time == L]
        g = [r.gap for r in at if r.gap is not None]
        b = [r.bs_gap for r in at if r.bs_gap is not None]
        if not g:
            lines.append(f"| {L} | 0 of {len(at)} | - | - | - | - | - |")
            continue
        lines.append(f"| {L} | {len(g)} of {len(at)} | {sum(g) / len(g):.2f} | {min(g):.2f} | {max(g):.2f} "
                     f"| {sum(b) / len(b):.2f} | {max(b):.2f} |")
    for dname in DEMANDS:
        for L in sorted({r.lead_time for r in rows}):
            g = [r.gap for r in rows if r.lead_time == L and r.name.startswith(dname) and r.gap is not None]
            if g:
                lines.append(f"{dname} L = {L}: gap CBS-opt mean {sum(g) / len(g):.2f} %, min {min(g):.2f} %, "
                             f"max {max(g):.2f} % ({len(g)} instances)")
    return "\n".join(lines)


def by_lead_time(rows: list[Row]) -> str:
    """Gap CBS-opt % per instance (rows) and lead time (columns)."""
    leads = sorted({r.lead_time for r in rows})
    cell = {(r.name.rsplit("_L", 1)[0] + "_p" + r.name.rsplit("_p", 1)[1], r.lead_time): r for r in rows}
    lines = ["| demand, p | " + " | ".join(f"L = {L}" for L in leads) + " |",
             "| --- |" + " --- |" * len(leads)]
    for dname in DEMANDS:
        for p in PENALTIES:
            key = f"{dname}_p{p}"
            if not any((key, L) in cell for L in leads):
                continue
            vals = []
            for L in leads:
                r = cell.get((key, L))
                vals.append("" if r is None else ("does not fit" if r.error else fmt(r.gap, 2)))
            lines.append(f"| {dname}, {p} | " + " | ".join(vals) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="comma-separated instance names, e.g. poisson_L5_p39,geometric_L2_p9")
    ap.add_argument("--max-lead", type=int, default=5, help="largest lead time L (default 5)")
    ap.add_argument("--max-entries", type=float, default=7e8,
                    help="table limit passed to the solvers as max_entries (default 7e8, ~5.2 GiB)")
    ap.add_argument("--cbs-margin", type=int, default=2,
                    help="capped base-stock levels S <= S_bar + margin are scanned (default 2)")
    ap.add_argument("--no-check", action="store_true", help="skip the neighbour check of the fitted (S, r)")
    ap.add_argument("--exhaustive-max-lead", type=int, default=0,
                    help="for L <= this, also evaluate every (S, r) with S <= 2 S_bar + 2 (slow beyond L = 2)")
    args = ap.parse_args(argv)
    if args.max_lead < 1:
        ap.error(f"--max-lead must be >= 1 (got {args.max_lead})")
    only = set(args.only.split(",")) if args.only else None
    shipped = {i.name: i.costs["optimal"]
               for i in load_lost_sales_testbed()}
    todo = instances(args.max_lead, only)
    if only and len(todo) != len(only):
        known = {n for n, _, _ in instances(args.max_lead, None)}
        ap.error(f"unknown instance(s) for --max-lead {args.max_lead}: {sorted(only - known)}")
    max_entries = int(args.max_entries)
    print(f"# {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs, max_entries {max_entries:.3g}, "
          f"CBS levels <= S_bar + {args.cbs_margin}", flush=True)
    rows, t_all, mismatches = [], time.perf_counter(), []
    for name, L, problem in todo:
        row = run_one(name, L, problem, shipped.get(name), max_entries, args.cbs_margin, not args.no_check,
                      exhaustive=L <= args.exhaustive_max_lead)
        rows.append(row)
        if row.error:
            print(f"{name}: does not fit: {row.error} ({row.seconds:.0f} s)", flush=True)
            continue
        if row.shipped is not None and round(row.opt, 2) != row.shipped:
            mismatches.append(name)
        print(f"{name}: opt {row.opt:.4f} (shipped {fmt(row.shipped, 2)}), CBS {row.cbs:.4f} {row.cbs_params}"
              f"{' [' + row.cbs_flag + ']' if row.cbs_flag else ''}, gap {row.gap:.2f} %, BS {row.bs:.4f} "
              f"({row.bs_level}), const {row.const:.4f} ({row.const_order}), "
              f"{'exhaustive: ' + row.exhaustive + ', ' if row.exhaustive else ''}{row.seconds:.0f} s", flush=True)
        if row.opt > row.cbs + 1e-6:
            raise AssertionError(f"{name}: the optimum {row.opt} is above the capped base-stock cost {row.cbs}")
    print()
    print(table(rows))
    print()
    print(summary(rows))
    print()
    print(by_lead_time(rows))
    n_shipped = sum(r.shipped is not None and r.opt is not None for r in rows)
    print(f"\nShipped optima (L <= 4): {n_shipped - len(mismatches)}/{n_shipped} equal ours rounded to two decimals"
          + (f"; differ: {', '.join(mismatches)}" if mismatches else ""))
    checked = [r for r in rows if r.exhaustive]
    if checked:
        same = sum(r.exhaustive.startswith("equal") for r in checked)
        print(f"Exhaustive check (L <= {args.exhaustive_max_lead}): the fitted (S, r) is the best of every pair "
              f"with S <= 2 S_bar + 2 on {same}/{len(checked)} instances")
    print(f"Total {time.perf_counter() - t_all:.0f} s")
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
