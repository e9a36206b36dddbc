"""Classical lost-sales policies fitted exactly, against exact evaluation and Zipkin (2008)."""

from __future__ import annotations

import numpy as np
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


# ---------------------------------------------------------------- Zipkin's heuristics
from idinn.exact.lost_sales_heuristics import fit_lost_sales_policy, lost_sales_heuristic  # noqa: E402
from idinn.single_controller import LostSalesPolicyController  # noqa: E402

_COLUMN = {"myopic": "myopic", "myopic_2": "myopic_2", "vector_base_stock": "std_vector_base_stock"}


@pytest.mark.parametrize("name", ["poisson_L1_p4", "poisson_L2_p9", "geometric_L1_p19", "geometric_L2_p39"])
@pytest.mark.parametrize("rule", list(_COLUMN))
def test_zipkin_heuristic_columns(name, rule):
    inst = {i.name: i for i in load_lost_sales_testbed()}[name]
    assert round(lost_sales_heuristic(inst.problem(), rule).average_cost, 2) == inst.costs[_COLUMN[rule]]


def _brute_myopic(problem, state, two):
    """The myopic (two=False) or myopic-2 order of a reduced state (x, v), by enumerating demands."""
    import itertools

    from idinn.exact.lost_sales import lost_sales_demand_pmf

    pmf, _, _ = lost_sales_demand_pmf(problem.demand, 1e-10)
    h, p = problem.params.holding_cost, problem.params.shortage_cost
    L = problem.params.lead_times[0]

    def C(u):
        return sum(pd * (h * max(u - d, 0) + p * max(d - u, 0)) for d, pd in enumerate(pmf))

    def arrival(s, z):  # E C(Y_L + z): Y_L from (x, v_1..v_{L-1}) by enumerating L demands
        total = 0.0
        for ds in itertools.product(range(len(pmf)), repeat=L):
            y = s[0]
            for j, d in enumerate(ds):
                y = max(y - d, 0) + (s[j + 1] if j + 1 < L else 0)
            total += np.prod([pmf[d] for d in ds]) * C(y + z)
        return total

    def m(s):
        return min(arrival(s, z) for z in range(15))

    def value(z):
        v = arrival(state, z)
        if two:
            nxt = [(max(state[0] - d, 0) + (state[1] if L > 1 else z),) + tuple(state[2:]) + ((z,) if L > 1 else ())
                   for d in range(len(pmf))]
            v += sum(pmf[d] * m(s) for d, s in enumerate(nxt))
        return v

    vals = [value(z) for z in range(15)]
    return int(np.argmin(vals))


@pytest.mark.parametrize("two", [False, True])
def test_myopic_orders_equal_brute_force(two):
    res = lost_sales_heuristic(TINY, "myopic_2" if two else "myopic")
    for state in [(0, 0), (1, 0), (0, 2), (3, 1), (2, 2)]:
        full = np.array([[state[0], 0, state[1]]])  # I_t, q_{t-2} (arrives now), q_{t-1}
        assert res.order(full)[0] == _brute_myopic(TINY, state, two), state


def test_heuristic_costs_equal_the_generic_exact_evaluator_and_bound_the_optimum():
    opt = solve_lost_sales_average_cost(TINY, tol=1e-11).average_cost
    for rule in ("myopic", "myopic_2", "vector_base_stock", "capped_base_stock", "constant_order"):
        fit = fit_lost_sales_policy(TINY, rule)
        controller = LostSalesPolicyController(rule).fit(TINY)
        ev = evaluate_policy(controller, TINY).average_cost
        assert ev == pytest.approx(fit.average_cost, abs=1e-6), rule
        assert fit.average_cost >= opt - 1e-7, rule


def test_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="The 'rule' parameter of LostSalesPolicyController must be one of"):
        LostSalesPolicyController("newsvendor")
    with pytest.raises(ValueError, match="The 'rule' parameter of lost_sales_heuristic"):
        lost_sales_heuristic(TINY, "base")
