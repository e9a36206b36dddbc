"""Neural control of lost sales with long lead times (L in {6, 8, 10}) against the best capped base-stock.

Zipkin's cost structure (h = 1, p in {4, 9, 19, 39}, Poisson(5) and geometric with mean 5)
with lead times 6, 8 and 10 (24 instances). The exact DP fits only some L = 6 instances
(``--exact``, ``--recipe default`` below), so both policies are judged by long simulations
with common random numbers (the same demand paths for both).

* Best capped base-stock (Xin 2021), order :math:`\\min([S - y]^+, r)` with :math:`y` the
  inventory position: every cap :math:`r` and level :math:`S` on a grid, each scored on the
  same ``--fit-paths`` x ``--fit-periods`` demand paths (after a burn-in), best kept.
* Projected inventory level (PIL, van Jaarsveld & Arts 2024) and fixed arrival service level (de Kok &
  Meijer 2023), both :mod:`idinn.exact.lost_sales_projected`: the PIL level walked in unit steps, the
  service level alpha = Phi(z) on a 0.1 grid of z in [-1, 4], each then refined (0.25 in the level, 0.025
  in z) for no cap and caps r - 1 .. r + 3 around the capped base-stock's r, on the first
  ``--pil-fit-paths`` paths of the same demand.
* Neural: :class:`~idinn.single_controller.SingleSourcingNeuralController` (two hidden
  layers of 32 CELU units; compressed, the default under lost sales) warm-started by
  imitation of one of the three heuristics (``--warm-start``; default: the cheapest on the
  ``--fit-paths`` paths), then trained through the lost-sales dynamics
  (fused kernels, BPTT through the clip; rollouts of 200 periods whose first 100 are a burn-in
  left out of the objective), validated by simulation on a fixed set of ``--batch`` paths of
  ``--val-periods`` periods (the start is a candidate: the best is kept).
* Comparison: ``--paths`` x ``--periods`` fresh demand paths (a seed not used in fitting),
  the first ``--burn-in`` periods dropped; the paths are split in 20 batches; the 95 %
  confidence interval of the relative cost difference (neural - capped) / capped is
  mean +- t_{0.975,19} * sd / sqrt(20) over the batches.

* ``--exact``: where the lead time is at most ``--exact-max-lead`` (default 6) and the
  reduced state fits in ``--max-entries``, also the exact optimum
  (:func:`~idinn.exact.solve_lost_sales_average_cost` on the compact simplex), the exact cost
  of the capped base-stock found above (:func:`~idinn.exact.evaluate_lost_sales_base_stock`)
  and of the trained network (:func:`~idinn.exact.evaluate_lost_sales_policy_reduced`).
  ``(capped - opt) / capped`` bounds what any policy can gain over that capped base-stock.
  ``--neighbours`` then walks from the simulated (S, r) to a local optimum of the exact
  cost over the 8 neighbours (S +- 1, r +- 1), so the bound refers to a locally best pair.
* ``--recipe default``: the network is fitted by the library's default lost-sales recipe
  instead: imitation of the exact optimum with exact policy improvement where the DP fits the
  stage's 4e8-entry budget (Poisson L = 6, p <= 19), else imitation of the fixed arrival service
  level fitted by simulation inside the library; then training through the dynamics.

    .venv/bin/python benchmarks/lost_sales_long_lead.py                  # all 24
    .venv/bin/python benchmarks/lost_sales_long_lead.py --only poisson_L6_p9
    .venv/bin/python benchmarks/lost_sales_long_lead.py --exact --neighbours --only poisson_L6_p4 poisson_L6_p9
    .venv/bin/python benchmarks/lost_sales_long_lead.py --recipe default --only poisson_L6_p4 poisson_L6_p9 poisson_L6_p19
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np
from numba import njit

from idinn.demand import GeometricDemand, PoissonDemand
from idinn.exact.lost_sales import _binomials, lost_sales_demand_pmf
from idinn.exact.lost_sales_projected import arrival_inventory, service_order
from idinn.neural.network import time_features
from idinn.neural.rollout import FusedMLP
from idinn.single_controller import SingleSourcingNeuralController
from idinn.sourcing_model import SingleSourcingModel

T_975_19 = 2.093


@njit  # no cache: the module runs as a script and is loaded by the tests under another name
def _simulate(demands: np.ndarray, lead: int, level: int, cap: int, state_orders: np.ndarray, comb: np.ndarray,
              bound: int, h: float, p: float, burn: int, projected: float,
              pmf: np.ndarray, alpha: float) -> np.ndarray:
    """Average cost per period of each path, lost sales, empty start, Zipkin's events.

    ``alpha > 0``: the fixed arrival service-level policy (de Kok & Meijer 2023) with service level
    ``alpha`` and cap ``cap`` (none when ``cap < 0``): idinn.exact.lost_sales_projected.service_order
    with the demand law ``pmf``.
    ``projected >= 0``: the projected inventory level policy (van Jaarsveld & Arts 2024) with level
    ``projected`` and cap ``cap`` (none when ``cap < 0``), its projection E[I_{t+L} | s] from
    idinn.exact.lost_sales_projected.arrival_inventory with the demand law ``pmf``.
    ``level >= 0``: the capped base-stock order min([level - y]^+, cap), y the inventory position.
    ``level < 0``: the order table ``state_orders`` on the simplex of positions <= ``bound`` (the exact DP's
    optimum): the reduced state (x, v_1, ..., v_{L-1}) = (inv + arriving, later orders) is looked up at
    idinn.exact.lost_sales.simplex_rank's row; a position above ``bound`` orders 0 (Morton's bound).
    """
    n, periods = demands.shape
    out = np.zeros(n)
    law, nxt = np.zeros(256), np.zeros(256)
    cdf = np.cumsum(pmf)
    for i in range(n):
        pipe = np.zeros(lead, dtype=np.int64)
        inv = 0
        total = 0.0
        for t in range(periods):
            pos = inv
            for j in range(lead):
                pos += pipe[j]
            if pos + 1 > law.shape[0]:
                law, nxt = np.zeros(2 * pos + 2), np.zeros(2 * pos + 2)
            if alpha > 0:
                q = service_order(inv + pipe[0], pipe[1:], pmf, cdf, alpha, law, nxt)
                if 0 <= cap < q:
                    q = cap
            elif projected >= 0:
                qf = math.floor(projected - arrival_inventory(inv + pipe[0], pipe[1:], pmf, law, nxt) + 0.5)
                q = 0 if qf < 0 else int(qf)
                if 0 <= cap < q:
                    q = cap
            elif level >= 0:
                q = level - pos
                q = 0 if q < 0 else (cap if q > cap else q)
            else:
                q = 0
                if pos <= bound:
                    row, used = inv + pipe[0], 0
                    for j in range(1, lead):
                        k, r = lead - j, bound - used
                        row += comb[r + k + 1, k + 1] - comb[r - pipe[j] + k + 1, k + 1]
                        used += pipe[j]
                    q = state_orders[row]
            arriving = pipe[0]
            for j in range(lead - 1):
                pipe[j] = pipe[j + 1]
            pipe[lead - 1] = q
            y = inv + arriving - demands[i, t]
            inv = y if y > 0 else 0
            if t >= burn:
                total += h * y if y > 0 else -p * y
        out[i] = total / (periods - burn)
    return out


def capped_costs(demands: np.ndarray, lead: int, level: int, cap: int, h: float, p: float, burn: int) -> np.ndarray:
    """Average cost per period of each path under min([S - y]^+, r) (see _simulate)."""
    return _simulate(demands, lead, level, cap, np.zeros(1, dtype=np.int32), np.zeros((1, 1), dtype=np.int64), 0,
                     h, p, burn, -1.0, np.ones(1), 0.0)


def table_costs(demands: np.ndarray, lead: int, state_orders: np.ndarray, comb: np.ndarray, bound: int, h: float,
                p: float, burn: int) -> np.ndarray:
    """Average cost per period of each path under an order table on the simplex (see _simulate)."""
    return _simulate(demands, lead, -1, 0, np.asarray(state_orders, dtype=np.int32), comb, bound, h, p, burn, -1.0,
                     np.ones(1), 0.0)


def projected_costs(demands: np.ndarray, lead: int, level: float, cap: int | None, pmf: np.ndarray, h: float,
                    p: float, burn: int) -> np.ndarray:
    """Average cost per period of each path under the projected inventory level policy (see _simulate)."""
    return _simulate(demands, lead, 0, -1 if cap is None else cap, np.zeros(1, dtype=np.int32),
                     np.zeros((1, 1), dtype=np.int64), 0, h, p, burn, float(level), pmf, 0.0)


def service_costs(demands: np.ndarray, lead: int, alpha: float, cap: int | None, pmf: np.ndarray, h: float,
                  p: float, burn: int) -> np.ndarray:
    """Average cost per period of each path under the fixed arrival service-level policy (see _simulate)."""
    return _simulate(demands, lead, 0, -1 if cap is None else cap, np.zeros(1, dtype=np.int32),
                     np.zeros((1, 1), dtype=np.int64), 0, h, p, burn, -1.0, pmf, float(alpha))


def interval(rel: np.ndarray) -> tuple[float, float]:
    """Mean and half-width of the 95 % t interval over the batches, in %."""
    return 100 * float(rel.mean()), 100 * T_975_19 * float(rel.std(ddof=1)) / math.sqrt(len(rel))


def sample(kind: str, n: int, periods: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "poisson":
        return rng.poisson(5.0, size=(n, periods)).astype(np.int64)
    return rng.geometric(1.0 / 6.0, size=(n, periods)).astype(np.int64) - 1  # on {0, 1, ...}, mean 5


def fit_capped(kind: str, lead: int, p: float, paths: int, periods: int, burn: int, seed: int) -> tuple[int, int, float]:
    demands = sample(kind, paths, periods, seed)
    best = (0, 0, math.inf)
    for cap in range(4, 16):
        for level in range(5 * lead, 5 * (lead + 1) + 40):
            c = float(capped_costs(demands, lead, level, cap, 1.0, p, burn).mean())
            if c < best[2]:
                best = (level, cap, c)
    return best


def fit_projected(kind: str, lead: int, p: float, paths: int, periods: int, burn: int, seed: int, level0: int,
                  cap0: int, pmf: np.ndarray) -> tuple[float, int | None, float]:
    """Best projected inventory level policy (level on a 0.25 grid, cap None or near the capped base-stock's)
    on the first ``paths`` paths of the grid search's demand: (level, cap, cost)."""
    demands = sample(kind, paths, periods, seed)
    mean = float(np.arange(len(pmf)) @ pmf)

    def cost(level: float, cap: int | None) -> float:
        return float(projected_costs(demands, lead, level, cap, pmf, 1.0, p, burn).mean())

    level, seen = max(float(round(level0 - lead * mean)), 0.0), {}
    for step in (-1.0, 1.0):  # walk in unit steps, uncapped, while the cost falls
        while True:
            nxt = level + step
            if nxt < 0:
                break
            for v in (level, nxt):
                if v not in seen:
                    seen[v] = cost(v, None)
            if seen[nxt] >= seen[level]:
                break
            level = nxt
    best = (seen[level], level, None)
    for cap in (None, *range(max(cap0 - 1, 1), cap0 + 4)):
        for v in np.arange(level - 1.0, level + 1.01, 0.25):
            if v >= 0:
                c = cost(float(v), cap)
                if c < best[0]:
                    best = (c, float(v), cap)
    return best[1], best[2], best[0]


def fit_service(kind: str, lead: int, p: float, paths: int, periods: int, burn: int, seed: int, cap0: int,
                pmf: np.ndarray) -> tuple[float, int | None, float]:
    """Best fixed arrival service level alpha = Phi(z) (z on a 0.1 grid from -1 to 4, refined to 0.025; cap None
    or near the capped base-stock's) on the first ``paths`` paths of the grid search's demand."""
    from scipy.stats import norm

    demands = sample(kind, paths, periods, seed)

    def cost(z: float, cap: int | None) -> float:
        return float(service_costs(demands, lead, float(norm.cdf(z)), cap, pmf, 1.0, p, burn).mean())

    coarse = {float(z): cost(float(z), None) for z in np.round(np.arange(-1.0, 4.001, 0.1), 3)}
    z0 = min(coarse, key=coarse.get)
    best = (coarse[z0], z0, None)
    for cap in (None, *range(max(cap0 - 1, 1), cap0 + 4)):
        for z in np.round(np.arange(z0 - 0.1, z0 + 0.1001, 0.025), 4):
            c = cost(float(z), cap)
            if c < best[0]:
                best = (c, float(z), cap)
    return float(norm.cdf(best[1])), best[2], best[0]


def neural_costs(ctrl, lead: int, p: float, demands: np.ndarray, burn: int) -> np.ndarray:
    """Average cost per period of each batch of paths (20 batches) under the network, same events."""
    model = ctrl.sourcing_model
    params = model.params
    fused = FusedMLP(ctrl.policy_network)
    periods = demands.shape[1]
    feats = time_features(None, 0, periods)
    disc = np.ones(periods)
    out = []
    for chunk in np.array_split(demands, 20):
        init = np.zeros((len(chunk), params.state_dim), dtype=np.float32)
        costs = fused.forward_costs(params, init, chunk.astype(np.float32), feats, disc)
        out.append(float(costs[burn:].mean()))
    return np.array(out)


def run(kind: str, lead: int, p: float, args) -> dict:
    t0 = time.process_time()
    level, cap, fit_cost = fit_capped(kind, lead, p, args.fit_paths, args.fit_periods, args.burn_in, seed=1)
    t_cap = time.process_time() - t0
    demand = PoissonDemand(5.0) if kind == "poisson" else GeometricDemand(5.0)
    pmf = lost_sales_demand_pmf(demand, 1e-10)[0]
    t0 = time.process_time()
    pil_level, pil_cap, _ = fit_projected(kind, lead, p, args.pil_fit_paths, args.fit_periods,
                                                         args.burn_in, 1, level, cap, pmf)
    t_pil = time.process_time() - t0
    t0 = time.process_time()
    alpha, svc_cap, _ = fit_service(kind, lead, p, args.pil_fit_paths, args.fit_periods, args.burn_in, 1, cap, pmf)
    t_svc = time.process_time() - t0
    model = SingleSourcingModel(lead_time=lead, holding_cost=1, shortage_cost=p, batch_size=args.batch,
                                init_inventory=0, demand_generator=demand, excess_demand="lost_sales")
    t0 = time.process_time()
    # the three fitted heuristics compared on all --fit-paths paths (the searches used the first --pil-fit-paths)
    fit_demands = sample(kind, args.fit_paths, args.fit_periods, 1)
    starts = {"capped": (fit_cost, {"base_stock_level": level, "cap": cap}),
              "projected": (float(projected_costs(fit_demands, lead, pil_level, pil_cap, pmf, 1.0, p,
                                                  args.burn_in).mean()), {"projected_level": pil_level, "cap": pil_cap}),
              "service": (float(service_costs(fit_demands, lead, alpha, svc_cap, pmf, 1.0, p, args.burn_in).mean()),
                          {"service_level": alpha, "cap": svc_cap})}
    if args.recipe == "default":  # the library's default lost-sales recipe: exact policy improvement, then gradients
        recipe: dict = {}
        start = "default"
    else:  # warm start from a heuristic (default: the cheapest on the fit paths), gradients only, simulated validation
        start = min(starts, key=lambda k: starts[k][0]) if args.warm_start == "best" else args.warm_start
        recipe = {"policy_iterations": 0, "init_policy": starts[start][1], "validation": "simulation"}
    ctrl = SingleSourcingNeuralController(hidden_layers=[32, 32]).fit(
        model, sourcing_periods=args.train_periods, epochs=args.epochs, validation_sourcing_periods=args.val_periods,
        validation_freq=25, parameters_lr=args.lr, init_inventory_lr=0, seed=0, progress=False,
        burn_in_periods=args.train_burn_in, **recipe,
    )
    t_nn = time.process_time() - t0
    demands = sample(kind, args.paths, args.periods, seed=2)
    cap_batches = np.array([c.mean() for c in np.array_split(
        capped_costs(demands, lead, level, cap, 1.0, p, args.burn_in), 20)])
    nn_batches = neural_costs(ctrl, lead, p, demands, args.burn_in)
    pil_batches = np.array([c.mean() for c in np.array_split(
        projected_costs(demands, lead, pil_level, pil_cap, pmf, 1.0, p, args.burn_in), 20)])
    svc_batches = np.array([c.mean() for c in np.array_split(
        service_costs(demands, lead, alpha, svc_cap, pmf, 1.0, p, args.burn_in), 20)])
    rel = (nn_batches - cap_batches) / cap_batches
    m, half = float(rel.mean()), T_975_19 * float(rel.std(ddof=1)) / math.sqrt(len(rel))
    row = {"name": f"{kind}_L{lead}_p{p:g}", "S": level, "r": cap, "capped": float(cap_batches.mean()),
           "neural": float(nn_batches.mean()), "diff": 100 * m, "half": 100 * half, "t_cap": t_cap, "t_nn": t_nn,
           "pil": (pil_level, pil_cap), "t_pil": t_pil, "start": start,
           "pil_diff": interval((pil_batches - cap_batches) / cap_batches), "pil_cost": float(pil_batches.mean()),
           "svc": (alpha, svc_cap), "t_svc": t_svc, "svc_cost": float(svc_batches.mean()),
           "svc_diff": interval((svc_batches - cap_batches) / cap_batches),
           "nn_vs_best": interval((nn_batches - np.minimum.reduce([cap_batches, pil_batches, svc_batches]))
                                  / np.minimum.reduce([cap_batches, pil_batches, svc_batches]))}
    if args.exact and lead <= args.exact_max_lead:
        row["exact"] = exact_columns(model, level, cap, ctrl, args)
        if "error" not in row["exact"]:  # the optimal policy on the same paths (common random numbers)
            sol = row["exact"].pop("solution")
            opt_batches = np.array([c.mean() for c in np.array_split(table_costs(
                demands, lead, sol.state_orders, _binomials(sol.max_position + lead + 1, lead), sol.max_position,
                1.0, p, args.burn_in), 20)])
            row["exact"]["sim_opt"] = float(opt_batches.mean())
            row["exact"]["sim_room"] = interval((cap_batches - opt_batches) / cap_batches)
            row["exact"]["sim_nn_gap"] = interval((nn_batches - opt_batches) / opt_batches)
    return row


def exact_columns(model, level: int, cap: int, ctrl, args) -> dict:
    """Exact optimum, exact cost of the capped base-stock (S, r) (or of its local best) and of the network."""
    from idinn.exact import evaluate_lost_sales_base_stock, evaluate_lost_sales_policy_reduced, solve_lost_sales_average_cost

    t0 = time.perf_counter()
    try:
        opt = solve_lost_sales_average_cost(model, max_entries=args.max_entries)
    except MemoryError as e:
        return {"error": str(e)}
    t_opt = time.perf_counter() - t0
    cost = {}

    def capped(S: int, r: int) -> float:
        if (S, r) not in cost:
            cost[S, r] = evaluate_lost_sales_base_stock(model, S, r, max_entries=args.max_entries)
        return cost[S, r]

    best = (level, cap)
    while args.neighbours:
        S, r = best
        moves = [(S + a, r + b) for a in (-1, 0, 1) for b in (-1, 0, 1) if (a, b) != (0, 0) and r + b >= 1]
        nxt = min(moves, key=lambda m: capped(*m))
        if capped(*nxt) >= capped(*best) - 1e-9:
            break
        best = nxt
    cbs = capped(*best)
    print(f"  exact: optimum {t_opt:.0f} s, {len(cost)} capped base-stock evaluations "
          f"{time.perf_counter() - t0 - t_opt:.0f} s", file=sys.stderr, flush=True)
    try:
        nn = evaluate_lost_sales_policy_reduced(ctrl, model, max_entries=args.max_entries).average_cost
    except MemoryError as e:  # the network's reachable positions need a larger simplex
        print(f"  exact evaluation of the network refused: {e}", file=sys.stderr, flush=True)
        nn = math.nan
    return {"solution": opt, "opt": opt.average_cost, "states": opt.n_states, "t_opt": t_opt, "S": best[0], "r": best[1],
            "capped": cbs, "evaluated": len(cost), "neural": nn, "room": 100 * (cbs - opt.average_cost) / cbs,
            "nn_gap": 100 * (nn - opt.average_cost) / opt.average_cost, "nn_vs_capped": 100 * (nn - cbs) / cbs,
            "seconds": time.perf_counter() - t0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--only", nargs="+", help="instance names, e.g. poisson_L6_p9 (default: all 24)")
    ap.add_argument("--fit-paths", type=int, default=50, help="demand paths of the capped base-stock grid search")
    ap.add_argument("--fit-periods", type=int, default=2000, help="periods per path of the grid search")
    ap.add_argument("--pil-fit-paths", type=int, default=20,
                    help="demand paths (the first of the grid search's) of the projected-level and service-level searches")
    ap.add_argument("--warm-start", choices=("best", "capped", "projected", "service"), default="best",
                    help="gradient recipe: imitate the capped base-stock, the projected inventory level or the fixed "
                         "arrival service-level policy, or the cheapest of them on the --fit-paths paths")
    ap.add_argument("--paths", type=int, default=200, help="fresh demand paths of the comparison")
    ap.add_argument("--periods", type=int, default=5000, help="periods per path of the comparison")
    ap.add_argument("--burn-in", type=int, default=200, help="first periods left out of every simulated average")
    ap.add_argument("--epochs", type=int, default=1000, help="training epochs of the network")
    ap.add_argument("--train-periods", type=int, default=200, help="periods per training rollout")
    ap.add_argument("--train-burn-in", type=int, default=100, help="periods of each rollout left out of the objective")
    ap.add_argument("--val-periods", type=int, default=4000,
                    help="periods of each of the --batch validation paths (common random numbers; the weights with the "
                         "lowest validation cost, the warm start included, are kept)")
    ap.add_argument("--batch", type=int, default=128, help="training paths per epoch")
    ap.add_argument("--lr", type=float, default=1e-4, help="learning rate of the training through the dynamics")
    ap.add_argument("--recipe", choices=("gradient", "default"), default="gradient",
                    help="gradient: warm start (--warm-start) and training through the dynamics; default: the "
                         "library's default recipe (exact policy improvement where the DP fits its 4e8-entry budget, "
                         "Poisson L = 6, p <= 19; else imitation of the arrival service level fitted by simulation)")
    ap.add_argument("--exact", action="store_true", help="exact optimum and exact costs where the state space fits")
    ap.add_argument("--exact-max-lead", type=int, default=6, help="largest lead time given the --exact columns")
    ap.add_argument("--neighbours", action="store_true", help="with --exact: walk to the exact locally best (S, r)")
    ap.add_argument("--max-entries", type=lambda v: int(float(v)), default=1_000_000_000,
                    help="table limit of the exact methods (8 bytes each)")
    args = ap.parse_args(argv)
    if args.neighbours and not args.exact:
        ap.error("--neighbours needs --exact")
    cases = [(k, L, p) for k in ("poisson", "geometric") for L in (6, 8, 10) for p in (4.0, 9.0, 19.0, 39.0)]
    if args.only:
        names = {f"{c[0]}_L{c[1]}_p{c[2]:g}" for c in cases}
        unknown = sorted(set(args.only) - names)
        if unknown:
            ap.error(f"unknown instance(s) {', '.join(unknown)}; the names are {{poisson,geometric}}_L{{6,8,10}}_p{{4,9,19,39}}")
        cases = [c for c in cases if f"{c[0]}_L{c[1]}_p{c[2]:g}" in set(args.only)]
    print("| instance | capped (S, r) | capped cost | PIL (level, cap) | (PIL - capped) / capped, % [95 % CI] | "
          "service level (alpha, cap) | (service - capped) / capped, % [95 % CI] | warm start | neural cost | "
          "(neural - capped) / capped, % [95 % CI] | (neural - best heuristic) / best, % [95 % CI] | "
          "fit CPU s (capped, PIL, service, neural) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")

    def ci(m: float, h: float) -> str:
        return f"{m:+.2f} [{m - h:+.2f}, {m + h:+.2f}]"

    def cap_text(c: int | None) -> str:
        return "-" if c is None else str(c)

    rows = []
    for k, L, p in cases:
        r = run(k, L, p, args)
        rows.append(r)
        (pl, pc), (sa, sc) = r["pil"], r["svc"]
        print(f"| {r['name']} | ({r['S']}, {r['r']}) | {r['capped']:.4f} | ({pl:g}, {cap_text(pc)}) | "
              f"{ci(*r['pil_diff'])} | ({sa:.4f}, {cap_text(sc)}) | {ci(*r['svc_diff'])} | {r['start']} | "
              f"{r['neural']:.4f} | {ci(r['diff'], r['half'])} | {ci(*r['nn_vs_best'])} | "
              f"{r['t_cap']:.0f}, {r['t_pil']:.0f}, {r['t_svc']:.0f}, {r['t_nn']:.0f} |", flush=True)
    diffs = [r["diff"] for r in rows]
    print(f"\n{len(rows)} instances, (policy - capped) / capped: neural mean {np.mean(diffs):+.2f} %, worst "
          f"{max(diffs):+.2f} %, better by >= 1.6 % on {sum(d <= -1.6 for d in diffs)} of {len(rows)}; PIL mean "
          f"{np.mean([r['pil_diff'][0] for r in rows]):+.2f} %; service level mean "
          f"{np.mean([r['svc_diff'][0] for r in rows]):+.2f} %")
    exact = [r for r in rows if "exact" in r]
    if exact:
        print("\nExact (no simulation): optimum, capped base-stock, network; room = (capped - opt) / capped\n")
        print("| instance | optimum | states | capped (S, r) | capped cost | room % | neural cost | "
              "neural - opt, % of opt | neural - capped, % | s | optimum simulated | room %, simulated [95 % CI] | "
              "neural - opt, % simulated [95 % CI] |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for r in exact:
            e = r["exact"]
            if "error" in e:
                print(f"| {r['name']} | does not fit: {e['error'][:90]}... |" + " |" * 12)
                continue
            (rm, rh), (gm, gh) = e["sim_room"], e["sim_nn_gap"]
            print(f"| {r['name']} | {e['opt']:.4f} | {e['states']:,} | ({e['S']}, {e['r']}) | {e['capped']:.4f} | "
                  f"{e['room']:.2f} | {e['neural']:.4f} | {e['nn_gap']:+.2f} | {e['nn_vs_capped']:+.2f} | "
                  f"{e['seconds']:.0f} | {e['sim_opt']:.4f} | {rm:.2f} [{rm - rh:.2f}, {rm + rh:.2f}] | "
                  f"{gm:+.2f} [{gm - gh:+.2f}, {gm + gh:+.2f}] |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
