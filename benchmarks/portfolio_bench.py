"""Portfolio speed benchmark (issue 11).

1. ``--single N`` single-sourcing SKUs (default 100,000): lead times 0-4, half Poisson demand
   (rates 0.5-10 in steps of 0.01), half empirical demand from a 52-period history; exact
   base-stock level and every KPI, serial, vectorised.
2. ``--dual N`` dual-sourcing SKUs (default 200): U{0..k} (k = 2..4) or Poisson (rate
   0.5-2) demand, l_r in 2..4, l_e = 0; method ``capped_dual_index``, which solves the exact
   DP (for the optimality gap) and finds the best capped dual index, both exactly
   evaluated. Run serially, on 2 local processes and on a 2-worker Dask LocalCluster; the
   time for 1,000 SKUs is extrapolated linearly from N.

3. ``--neural-batched N [N ...]`` (e.g. ``16 64``): N same-shaped single-sourcing SKUs
   (lead time 2, U{0..k} demand with k = 2..4, their own h, b and c), method ``neural``,
   trained one by one (``neural_batch_size=1``) and in one batched run
   (``neural_batch_size=N``), same seeds and budgets; prints the wall time per SKU of both,
   their ratio and the exact-evaluated costs side by side (and their gap to the base-stock
   optimum). ``--single 0 --dual 0`` skips the other parts.

Usage::

    python benchmarks/portfolio_bench.py [--single 100000] [--dual 200] [--no-dask]
    python benchmarks/portfolio_bench.py --single 0 --dual 0 --neural-batched 16 64
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def single_table(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    skus = [f"S{i:06d}" for i in range(n)]
    poisson = rng.random(n) < 0.5
    table = pd.DataFrame({
        "sku": skus,
        "lead_time": rng.integers(0, 5, n),
        "order_cost": np.round(rng.uniform(0, 5, n), 2),
        "holding_cost": np.round(rng.uniform(0.5, 2, n), 2),
        "shortage_cost": np.round(rng.uniform(5, 50, n), 2),
        "demand_type": np.where(poisson, "poisson", "empirical"),
        "demand_rate": np.where(poisson, np.round(rng.uniform(0.5, 10, n), 2), np.nan),
    })
    emp = np.flatnonzero(~poisson)
    periods = 52
    lam = rng.uniform(0.5, 10, emp.size)
    hist = pd.DataFrame({
        "sku": np.repeat(np.array(skus, dtype=object)[emp], periods),
        "period": np.tile(np.arange(periods), emp.size),
        "quantity": rng.poisson(np.repeat(lam, periods)),
    })
    return table, hist


def dual_table(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    uniform = rng.random(n) < 0.5
    return pd.DataFrame({
        "sku": [f"D{i:05d}" for i in range(n)],
        "model": "dual",
        "regular_lead_time": rng.integers(2, 5, n),
        "expedited_lead_time": 0,
        "regular_order_cost": 0.0,
        "expedited_order_cost": rng.choice([5.0, 10.0, 20.0], n),
        "holding_cost": rng.choice([1.0, 5.0], n),
        "shortage_cost": rng.choice([19.0, 99.0, 495.0], n),
        "demand_type": np.where(uniform, "uniform", "poisson"),
        "demand_low": np.where(uniform, 0, np.nan),
        "demand_high": np.where(uniform, rng.integers(2, 5, n), np.nan),
        "demand_rate": np.where(uniform, np.nan, np.round(rng.uniform(0.5, 2.0, n), 1)),
        "demand_tail_mass": np.where(uniform, np.nan, 1e-6),
    })


def neural_table(n: int, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "sku": [f"N{i:04d}" for i in range(n)],
        "lead_time": 2,
        "order_cost": rng.choice([0.0, 1.0, 2.0], n),
        "holding_cost": rng.choice([1.0, 2.0, 5.0], n),
        "shortage_cost": rng.choice([19.0, 49.0, 95.0], n),
        "demand_type": "uniform",
        "demand_low": 0,
        "demand_high": rng.integers(2, 5, n),
        "method": "neural",
    })


def neural_batched(sizes: list[int]) -> None:
    from idinn.portfolio import solve_portfolio

    for n in sizes:
        table = neural_table(n)
        frames, times, cpu = {}, {}, {}
        for name, batch in (("one by one", 1), ("batched", n)):
            t, c = time.perf_counter(), time.process_time()
            frames[name] = solve_portfolio(table, neural_batch_size=batch, progress_bar=False)
            times[name], cpu[name] = time.perf_counter() - t, time.process_time() - c
        one, bat = frames["one by one"], frames["batched"]
        print(f"neural, {n} same-shaped single-sourcing SKUs (l = 2, 500 epochs x 32 paths x 50 periods, "
              f"exact validation every 50 epochs): one by one {times['one by one'] / n:.3f} s/SKU, "
              f"batched {times['batched'] / n:.3f} s/SKU; batched/one-by-one time ratio "
              f"{times['batched'] / times['one by one']:.2f} (speed-up {times['one by one'] / times['batched']:.2f}x); "
              f"CPU time per SKU {cpu['one by one'] / n:.3f} s vs {cpu['batched'] / n:.3f} s "
              f"(ratio {cpu['batched'] / cpu['one by one']:.2f})")
        print(f"  status one by one {one.status.value_counts().to_dict()}, batched {bat.status.value_counts().to_dict()}")
        same = np.isclose(one.cost_total, bat.cost_total, rtol=1e-9, atol=0).mean()
        print(f"  exact cost: one by one mean {one.cost_total.mean():.4f} (gap to base-stock optimum: median "
              f"{one.optimality_gap.median():.3%}, max {one.optimality_gap.max():.3%}); batched mean "
              f"{bat.cost_total.mean():.4f} (median {bat.optimality_gap.median():.3%}, max "
              f"{bat.optimality_gap.max():.3%}); equal cost on {same:.0%} of SKUs")
        side = pd.DataFrame({"sku": one.sku, "optimum": one.optimal_cost, "one_by_one": one.cost_total,
                             "batched": bat.cost_total})
        print(side.head(8).to_string(index=False, float_format=lambda x: f"{x:.4f}"))


def main() -> None:
    from idinn.portfolio import solve_portfolio

    ap = argparse.ArgumentParser()
    ap.add_argument("--single", type=int, default=100_000)
    ap.add_argument("--dual", type=int, default=200)
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--neural-batched", type=int, nargs="*", default=None, metavar="N",
                    help="sizes of same-shaped neural portfolios to train one by one and batched (e.g. 16 64)")
    args = ap.parse_args()
    if args.neural_batched:
        neural_batched(args.neural_batched)
    if args.single:
        table, hist = single_table(args.single)
        t, c = time.perf_counter(), time.process_time()
        res = solve_portfolio(table, hist, progress_bar=False)
        sec, cpu = time.perf_counter() - t, time.process_time() - c
        print(f"single sourcing: {args.single} SKUs (base stock, exact KPIs) in {sec:.1f} s wall, "
              f"{cpu:.1f} s CPU, serial; status {res.status.value_counts().to_dict()}")
    if args.dual:
        table = dual_table(args.dual)
        cols = None
        times = {}
        frames = {}
        runs = [("serial", {}), ("processes x2", {"executor": "processes", "n_workers": 2})]
        cluster = client = None
        if not args.no_dask:
            runs.append(("dask x2 (cold: starts its LocalCluster)", {"executor": "dask", "n_workers": 2}))
            from distributed import Client, LocalCluster

            t = time.perf_counter()
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
            client = Client(cluster)
            client.run(lambda: __import__("idinn.portfolio._solve") and None)
            print(f"dask: LocalCluster of 2 worker processes started (idinn imported) in "
                  f"{time.perf_counter() - t:.1f} s")
            runs.append(("dask x2 (warm: running cluster)", {"executor": client}))
        cpu = {}
        for name, kw in runs:
            t, c = time.perf_counter(), time.process_time()
            frames[name] = solve_portfolio(table, method="capped_dual_index", progress_bar=False, **kw)
            times[name] = time.perf_counter() - t
            cpu[name] = time.process_time() - c
        print(f"dual sourcing: serial CPU time {cpu['serial']:.1f} s for {args.dual} SKUs -> "
              f"{cpu['serial'] * 1000 / args.dual:.0f} CPU-s per 1,000 SKUs "
              f"({cpu['serial'] * 1000 / args.dual / 2:.0f} s on 2 uncontended cores)")
        if client is not None:
            client.close()
            cluster.close()
        base = frames["serial"]
        cols = [c for c in base.columns if c != "fit_time_s"]
        for name, frame in frames.items():
            same = frame[cols].equals(base[cols])
            if not same:
                diff = [c for c in cols if not frame[c].equals(base[c])]
                rows = ~(frame[diff[0]].eq(base[diff[0]]) | (frame[diff[0]].isna() & base[diff[0]].isna()))
                print(f"  {name} differs in {diff}; rows {list(frame.sku[rows])[:5]}; "
                      f"messages {list(frame.message[rows])[:2]}")
            print(f"dual sourcing ({name}): {args.dual} SKUs (exact DP + best capped dual index) in "
                  f"{times[name]:.1f} s -> {times[name] * 1000 / args.dual:.0f} s per 1,000 SKUs "
                  f"(extrapolated); speed-up {times['serial'] / times[name]:.2f}x; identical to serial: {same}")
        ok = base[base.status == "ok"]
        print(f"  status {base.status.value_counts().to_dict()}; CDI gap to DP optimum: "
              f"median {ok.optimality_gap.median():.4%}, max {ok.optimality_gap.max():.4%}")


if __name__ == "__main__":
    main()
