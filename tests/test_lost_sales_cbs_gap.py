"""The best capped base-stock policy under lost sales, by brute force, and the gap of the optimum to it.

Backs ``benchmarks/lost_sales_cbs_gap.py`` (docs/lost_sales.md, "How much can any policy gain
over capped base-stock?"): the scan of ``fit_lost_sales_capped_base_stock`` must find the best
(S, r) of a box enumerated exhaustively, also with the level bound the benchmark passes.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

from idinn.demand import UniformDemand
from idinn.exact import (
    evaluate_lost_sales_base_stock,
    evaluate_policy,
    fit_lost_sales_capped_base_stock,
    solve_lost_sales_average_cost,
    standard_base_stock_level,
)
from idinn.problem import SourcingProblem

def _tiny(shortage_cost: float) -> SourcingProblem:
    return SourcingProblem.single(lead_time=2, holding_cost=1.0, shortage_cost=shortage_cost,
                                  demand=UniformDemand(0, 3), excess_demand="lost_sales")


TINY = _tiny(9.0)
#: p -> (best (S, r) by brute force, whether the optimum is strictly cheaper than it)
CASES = {9.0: ((7, 2), False), 4.0: ((5, 2), True)}


def _load_benchmark():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "lost_sales_cbs_gap.py"
    spec = importlib.util.spec_from_file_location("idinn_bench_lost_sales_cbs_gap", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def _brute_force(problem: SourcingProblem) -> dict[tuple[int, int], float]:
    """Exact cost of every (S, r) with 0 <= S <= 2 S_bar + 2 (the fit's default bound), 0 <= r <= S + 1."""
    top = 2 * standard_base_stock_level(problem) + 2
    return {(S, r): evaluate_lost_sales_base_stock(problem, S, r) for S in range(top + 1) for r in range(S + 2)}


@pytest.fixture(scope="module")
def brute_force():
    return {p: _brute_force(_tiny(p)) for p in CASES}


def test_the_standard_level_of_the_tiny_instance():
    # D(3 periods) on 0..9; P(D3 <= 6) = 54/64 < p/(p+h) = 0.9 <= P(D3 <= 7) = 60/64
    assert standard_base_stock_level(TINY) == 7
    # p = 4: P(D3 <= 5) = 44/64 < 0.8 <= P(D3 <= 6) = 54/64
    assert standard_base_stock_level(_tiny(4.0)) == 6


@pytest.mark.parametrize("p", list(CASES))
def test_brute_force_best_capped_base_stock_equals_the_fit(brute_force, p):
    problem, ((S, r), _) = _tiny(p), CASES[p]
    costs = brute_force[p]
    best = min(costs.values())
    assert costs[S, r] == best  # the cap binds: r < S
    for fit in (fit_lost_sales_capped_base_stock(problem),
                fit_lost_sales_capped_base_stock(problem, max_level=standard_base_stock_level(problem) + 2)):
        assert fit.average_cost == pytest.approx(best, abs=1e-9)
        assert (fit.parameters["base_stock_level"], fit.parameters["cap"]) == (S, r)
    # the winner evaluated by the generic full-state evaluator (another code path)
    generic = evaluate_policy(lambda s: (S - s.sum(1, keepdim=True)).clamp(min=0, max=r), problem).average_cost
    assert generic == pytest.approx(best, abs=1e-7)
    # no plain base-stock policy (r >= S orders [S - y]^+) is as good as the best capped one
    assert min(c for (S_, r_), c in costs.items() if r_ >= S_) > best + 1e-4


@pytest.mark.parametrize("p", list(CASES))
def test_the_optimum_is_at_most_every_capped_base_stock(brute_force, p):
    opt = solve_lost_sales_average_cost(_tiny(p), tol=1e-11).average_cost
    best = min(brute_force[p].values())
    assert opt <= best + 1e-7
    if CASES[p][1]:  # the optimum is strictly better than every (S, r): a gap > 1 %
        assert (best - opt) / best > 0.01
    else:  # here the optimal policy is itself a capped base-stock policy
        assert best - opt < 1e-6


def test_benchmark_row_gap_and_refusal(brute_force):
    bench = _load_benchmark()
    problem = _tiny(4.0)
    row = bench.run_one("tiny", 2, problem, None, max_entries=10**6, margin=2, check=True)
    assert row.error == "" and row.cbs_flag == ""
    assert row.cbs == pytest.approx(min(brute_force[4.0].values()), abs=1e-9) and row.cbs_params == (5, 2)
    assert row.gap == pytest.approx(100 * (row.cbs - row.opt) / row.cbs) and row.gap > 1.0
    assert row.bs > row.cbs > row.opt
    # C(6 + 2, 2) = 28 states x (16 + 2) = 504 entries > 100: refused with the solver's MemoryError message
    refused = bench.run_one("tiny", 2, problem, None, max_entries=100, margin=2, check=True)
    assert refused.opt is None and refused.gap is None
    assert "above the limit of 100 entries" in refused.error
    assert bench.gib_of(refused.error) == "3.76e-06"  # 504 * 8 / 2**30 = 3.755e-06
