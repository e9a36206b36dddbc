"""The issue-9 table: Zipkin's (2008) 32 lost-sales instances, every figure computed exactly.

    .venv/bin/python benchmarks/lost_sales_table.py              # optima + classical policies + dual rows
    .venv/bin/python benchmarks/lost_sales_table.py --no-capped  # skip the (slow) capped base-stock scan
    .venv/bin/python benchmarks/lost_sales_table.py --neural     # + the neural controller's exact gaps

Table 1 (markdown): per instance, Zipkin's printed optimum and ours (exact DP), then each
classical policy's printed column next to ours (exact evaluation of the policy, parameters
chosen by exact evaluation): standard base-stock, best base-stock, myopic, myopic-2,
standard vector base-stock, best constant order (ours: integer orders), and the best capped
base-stock (Xin 2021; no column in Zipkin; fitted where the standard level's simplex has at
most CAPPED_MAX_STATES states), then two policies that postdate Zipkin, each fitted by exact
evaluation with its gap to our optimum: the projected inventory level policy (van Jaarsveld &
Arts 2024) and the fixed arrival service level (de Kok & Meijer 2023), see
``idinn.exact.lost_sales_projected``. The last lines count the values equal to the printed two
decimals per column and give the worst and mean gaps of the two.

Table 2: dual sourcing with lost sales (l_r = 2, l_e = 0, U{0..4}, h = 5, p = 495, c_r = 0,
c_e in {5, 10, 20}): the exact optimum (``idinn/data/dual_lost_sales_optima.csv`` when the
package ships it, else ``idinn.exact.solve_multi_sourcing_average_cost`` when available) and
the dual heuristics fitted by exact evaluation of every candidate.

Table 3: lost sales with a fixed order cost K (L = 1, U{0..3}, h = 1, p = 9, K in {0, 5, 20,
60}): the exact optimum (lost-sales DP with K) and the best (s, S) by exact evaluation.

``--neural``: ``SingleSourcingNeuralController(hidden_layers=[32, 32])`` with the settings of
``lost_sales_neural.py`` (the default lost-sales recipe) on every
instance, the learned policy evaluated exactly on Zipkin's reduced state
(``idinn.exact.evaluate_lost_sales_policy_reduced``, demand truncated at tail mass 1e-10), its gap to the
optimum and the fit time; worst and mean gaps at the end.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from importlib import resources

from idinn.exact import fit_lost_sales_projected_level, fit_lost_sales_service_level, solve_lost_sales_average_cost
from idinn.exact.lost_sales_heuristics import fit_lost_sales_policy
from idinn.instances import load_lost_sales_testbed

#: the capped base-stock scan is run where the standard level's simplex has at most this many states
CAPPED_MAX_STATES = 150_000

#: (Zipkin's column, our rule)
COLUMNS = [
    ("std_base_stock", "standard_base_stock"),
    ("best_base_stock", "base_stock"),
    ("myopic", "myopic"),
    ("myopic_2", "myopic_2"),
    ("std_vector_base_stock", "vector_base_stock"),
    ("best_constant_order", "constant_order"),
]
LABELS = {"std_base_stock": "std BS", "best_base_stock": "best BS", "myopic": "myopic", "myopic_2": "myopic-2",
          "std_vector_base_stock": "std VBS", "best_constant_order": "const"}


def zipkin_table(capped: bool, neural: bool, only: str | None = None) -> None:
    rows = load_lost_sales_testbed()
    if only:
        rows = [r for r in rows if r.name in only.split(",")]
    head = ["instance", "opt (Z.)", "opt (ours)"]
    for col, _ in COLUMNS:
        head += [f"{LABELS[col]} (Z.)", "ours"]
    head += ["capped BS (S, r)", "PIL (level)", "gap %", "service level (alpha)", "gap %"]
    if neural:
        head += ["neural", "gap %", "fit s"]
    print("| " + " | ".join(head) + " |")
    print("|" + " --- |" * len(head))
    match = {"optimal": 0, **{col: 0 for col, _ in COLUMNS}}
    gaps, t_all = [], time.perf_counter()
    look: dict[str, list[float]] = {"PIL": [], "service level": []}
    for inst in rows:
        prob = inst.problem()
        opt = solve_lost_sales_average_cost(prob)
        match["optimal"] += round(opt.average_cost, 2) == inst.costs["optimal"]
        cells = [inst.name, f"{inst.costs['optimal']:.2f}", f"{opt.average_cost:.4f}"]
        for col, rule in COLUMNS:
            ours = fit_lost_sales_policy(prob, rule).average_cost
            match[col] += round(ours, 2) == inst.costs[col]
            cells += [f"{inst.costs[col]:.2f}", f"{ours:.3f}"]
        cap = "-"
        if capped and math.comb(opt.max_position + inst.lead_time, inst.lead_time) <= CAPPED_MAX_STATES:
            fit = fit_lost_sales_policy(prob, "capped_base_stock")
            cap = f"{fit.average_cost:.3f} ({fit.parameters['base_stock_level']}, {fit.parameters['cap']})"
        cells.append(cap)
        for name, fit in (("PIL", fit_lost_sales_projected_level(prob)), ("service level", fit_lost_sales_service_level(prob))):
            gap = 100 * (fit.average_cost / opt.average_cost - 1)
            look[name].append(gap)
            value = next(iter(fit.parameters.values()))
            cells += [f"{fit.average_cost:.4f} ({value:.4g})", f"{gap:.3f}"]
        if neural:
            cells += neural_cells(prob, opt.average_cost, gaps)
        print("| " + " | ".join(cells) + " |", flush=True)
    n = len(rows)
    print(f"\nequal to Zipkin's printed two decimals: " + ", ".join(f"{k} {v}/{n}" for k, v in match.items()))
    for name, g in look.items():
        print(f"{name}: worst gap {max(g):.3f} %, mean gap {sum(g) / len(g):.3f} % over {len(g)} instances")
    if gaps:
        print(f"neural: worst gap {max(gaps):.3f} %, mean gap {sum(gaps) / len(gaps):.3f} % over {len(gaps)} instances")
    print(f"total {time.perf_counter() - t_all:.0f} s\n")


def neural_cells(prob, optimum: float, gaps: list) -> list[str]:
    """Fit the neural controller as benchmarks/lost_sales_neural.py does; exact evaluation of the learned policy."""
    from idinn.exact import evaluate_lost_sales_policy_reduced
    from idinn.single_controller import SingleSourcingNeuralController
    from idinn.sourcing_model import SingleSourcingModel

    controller = SingleSourcingNeuralController(hidden_layers=[32, 32])  # compressed under lost sales
    params = prob.params
    finite = dataclasses.replace(prob, demand=prob.demand.truncated(tail_mass=1e-10))
    model = SingleSourcingModel(lead_time=params.lead_times[0], holding_cost=params.holding_cost,
                                shortage_cost=params.shortage_cost, batch_size=64, init_inventory=0,
                                demand_generator=finite.demand, excess_demand="lost_sales")
    t0 = time.perf_counter()
    controller.fit(model, sourcing_periods=50, epochs=20, validation_sourcing_periods=1000, validation_freq=10,
                   parameters_lr=1e-4, seed=0, progress=False)
    seconds = time.perf_counter() - t0
    try:
        cost = evaluate_lost_sales_policy_reduced(controller, finite).average_cost
    except (ValueError, MemoryError) as err:  # a simplex too large for the memory limit
        return [f"not evaluated ({type(err).__name__})", "-", f"{seconds:.0f}"]
    gap = 100 * (cost / optimum - 1)
    gaps.append(gap)
    return [f"{cost:.4f}", f"{gap:.3f}", f"{seconds:.0f}"]


def dual_optima() -> dict[float, float]:
    """Shipped exact optima of the dual lost-sales instances (``idinn/data/dual_lost_sales_optima.csv``), by c_e."""
    import csv
    import io

    try:
        text = resources.files("idinn").joinpath("data", "dual_lost_sales_optima.csv").read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    out = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row["lead_times"] == "2;0" and row["excess_demand"] == "lost_sales" and row["shortage_cost"] == "495":
            out[float(row["order_costs"].split(";")[1])] = float(row["optimal_cost"])
    return out


def dual_table() -> None:
    from idinn.demand import UniformDemand
    from idinn.dual_controller import (
        CappedDualIndexController,
        DualIndexController,
        SingleIndexController,
        TailoredBaseSurgeController,
    )
    from idinn.problem import SourcingProblem

    classes = [DualIndexController, CappedDualIndexController, TailoredBaseSurgeController, SingleIndexController]
    shipped = dual_optima()
    print("| c_e | optimum | source | " + " | ".join(f"{c.__name__} (params)" for c in classes) + " |")
    print("|" + " --- |" * (3 + len(classes)))
    for ce in (5, 10, 20):
        prob = SourcingProblem.dual(regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0,
                                    expedited_order_cost=ce, holding_cost=5, shortage_cost=495,
                                    demand=UniformDemand(0, 4), excess_demand="lost_sales")
        opt, source = shipped.get(float(ce)), "data"
        if opt is None:
            try:
                from idinn.exact import solve_multi_sourcing_average_cost

                opt, source = solve_multi_sourcing_average_cost(prob).average_cost, "multi-dp"
            except ImportError:
                source = "-"
        cells = [str(ce), "-" if opt is None else f"{opt:.4f}", source]
        for cls in classes:
            c = cls().fit(prob, seed=0)
            gap = "" if opt is None else f", +{100 * (c.best_cost_ / opt - 1):.2f} %"
            params = ", ".join(str(v) for v in c._levels())
            cells.append(f"{c.best_cost_:.4f} ({params}{gap})")
        print("| " + " | ".join(cells) + " |", flush=True)


def ss_table() -> None:
    """Lost sales with a fixed order cost K: exact optimum vs the best (s, S) (L = 1, U{0..3}, h = 1, p = 9)."""
    from idinn.demand import UniformDemand
    from idinn.exact import fit_lost_sales_ss
    from idinn.problem import SourcingProblem

    print("\n| K | optimum (DP) | best (s, S) | its cost | gap % | pairs evaluated |")
    print("| --- | --- | --- | --- | --- | --- |")
    for K in (0, 5, 20, 60):
        prob = SourcingProblem.single(lead_time=1, holding_cost=1.0, shortage_cost=9.0, demand=UniformDemand(0, 3),
                                      fixed_order_cost=K, excess_demand="lost_sales")
        opt = solve_lost_sales_average_cost(prob, tol=1e-10).average_cost
        fit = fit_lost_sales_ss(prob)
        s, S = fit.parameters["reorder_point"], fit.parameters["order_up_to_level"]
        print(f"| {K} | {opt:.4f} | ({s}, {S}) | {fit.average_cost:.4f} | {max(100 * (fit.average_cost / opt - 1), 0.0):.2f} "
              f"| {fit.evaluations} |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-capped", action="store_true", help="skip the capped base-stock scan")
    parser.add_argument("--neural", action="store_true", help="fit and evaluate the neural controller too")
    parser.add_argument("--no-dual", action="store_true", help="skip the dual-sourcing rows")
    parser.add_argument("--no-zipkin", action="store_true", help="skip the 32-instance table")
    parser.add_argument("--only", help="comma-separated instance names (e.g. poisson_L1_p4,geometric_L2_p9)")
    args = parser.parse_args()
    if not args.no_zipkin:
        zipkin_table(capped=not args.no_capped, neural=args.neural, only=args.only)
    if not args.no_dual:
        dual_table()
    ss_table()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
