"""Classical lost-sales policies fitted exactly, against exact evaluation and Zipkin (2008)."""

from __future__ import annotations

import pytest
import torch

from idinn.demand import UniformDemand
from idinn.exact import (
    evaluate_lost_sales_base_stock,
    evaluate_lost_sales_constant_order,
    evaluate_policy,
    fit_lost_sales_base_stock,
    fit_lost_sales_capped_base_stock,
    fit_lost_sales_constant_order,
    solve_lost_sales_average_cost,
    standard_base_stock_level,
)
from idinn.instances import load_lost_sales_testbed
from idinn.problem import SourcingProblem

TINY = SourcingProblem.single(lead_time=2, holding_cost=1.0, shortage_cost=9.0, demand=UniformDemand(0, 3),
                              excess_demand="lost_sales")


@pytest.mark.parametrize("level, cap", [(4, None), (6, None), (6, 2), (7, 3)])
def test_base_stock_evaluation_equals_the_generic_exact_evaluator(level, cap):
    def policy(s):
        q = (level - s.sum(1, keepdim=True)).clamp(min=0)
        return q if cap is None else q.clamp(max=cap)

    expected = evaluate_policy(policy, TINY).average_cost
    assert evaluate_lost_sales_base_stock(TINY, level, cap) == pytest.approx(expected, abs=1e-7)


def test_constant_order_evaluation_equals_the_generic_exact_evaluator():
    expected = evaluate_policy(lambda s: torch.ones(s.shape[0], 1), TINY).average_cost
    assert evaluate_lost_sales_constant_order(TINY, 1) == pytest.approx(expected, abs=1e-9)
    assert evaluate_lost_sales_constant_order(TINY, 2) == float("inf")  # r >= E[D] = 1.5: no stationary law


def test_fits_are_ordered_and_best_in_their_class():
    opt = solve_lost_sales_average_cost(TINY, tol=1e-11).average_cost
    bs = fit_lost_sales_base_stock(TINY)
    capped = fit_lost_sales_capped_base_stock(TINY)
    assert opt <= capped.average_cost + 1e-9 <= bs.average_cost + 2e-9
    for other in range(0, 12):
        assert evaluate_lost_sales_base_stock(TINY, other) >= bs.average_cost - 1e-9


@pytest.mark.parametrize("name", ["poisson_L1_p4", "geometric_L2_p9"])
def test_zipkin_base_stock_and_constant_order_columns(name):
    inst = {i.name: i for i in load_lost_sales_testbed()}[name]
    prob = inst.problem()
    std = evaluate_lost_sales_base_stock(prob, standard_base_stock_level(prob))
    assert round(std, 2) == inst.costs["std_base_stock"]
    assert round(fit_lost_sales_base_stock(prob).average_cost, 2) == inst.costs["best_base_stock"]
    if inst.lost_sales_penalty == 4:  # Zipkin's best constant order is an integer only here
        assert round(fit_lost_sales_constant_order(prob).average_cost, 2) == inst.costs["best_constant_order"]
