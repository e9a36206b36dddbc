"""The one exact engine: demand pmfs, the policy adapter and problem inputs (issue 8)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from idinn.demand import CustomDemand, PoissonDemand, SeasonalDemand, UniformDemand
from idinn.exact import (
    demand_pmf,
    evaluate_policy,
    evaluate_policy_discounted,
    evaluate_policy_finite_horizon,
    solve_dual_sourcing_average_cost,
    solve_finite_horizon,
)
from idinn.exact._pmf import convolve_pmf, critical_fractile, newsvendor_cost, newsvendor_level, sum_pmf
from idinn.problem import SourcingProblem
from idinn.single_controller import BaseStockController
from idinn.single_controller.base_stock import optimal_base_stock
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel


def base_stock(level):
    return lambda s: (level - s.sum(1, keepdim=True)).clamp(min=0)


# ---------------------------------------------------------------------------- demand_pmf
def test_demand_pmf_drops_zero_mass_and_sorts():
    values, probs = demand_pmf(CustomDemand({3: 0.5, 1: 0.25, 2: 0.0, 0: 0.25}))
    assert values.tolist() == [0, 1, 3]
    np.testing.assert_allclose(probs, [0.25, 0.25, 0.5])


def test_demand_pmf_per_period_of_seasonal_demand():
    demand = SeasonalDemand.uniform(lows=[0, 2], highs=[1, 2])
    assert demand_pmf(demand, 1)[0].tolist() == [2]
    assert demand_pmf(demand, 2)[0].tolist() == [0, 1]


def test_demand_pmf_refuses_unbounded_support_and_says_truncate():
    with pytest.raises(ValueError, match=re.escape("demand.truncated(tail_mass=1e-9)")):
        demand_pmf(PoissonDemand(2.0))


def test_demand_pmf_refuses_a_non_demand():
    with pytest.raises(TypeError, match="The 'demand' parameter of demand_pmf must be a demand model"):
        demand_pmf([0, 1, 2])


def test_demand_pmf_refuses_a_negative_period():
    with pytest.raises(ValueError, match="The 'period' parameter of demand_pmf must be an int >= 0"):
        demand_pmf(UniformDemand(0, 2), -1)


def test_convolution_and_newsvendor_cost_by_hand():
    v, p = convolve_pmf(np.array([0, 1]), np.array([0.5, 0.5]), 2)
    assert v.tolist() == [0, 1, 2]
    np.testing.assert_allclose(p, [0.25, 0.5, 0.25])
    # G(1) with h = 2, b = 3: 0.25 * 2 * 1 + 0.25 * 3 * 1 = 1.25
    assert newsvendor_cost(np.array([1]), v, p, 2.0, 3.0)[0] == pytest.approx(1.25)
    # the cumulative-sum path (wide support) equals the direct sum
    wide = sum_pmf([demand_pmf(UniformDemand(0, 99))] * 2)
    y = np.arange(-5, 210)
    direct = (2 * np.clip(y[:, None] - wide[0], 0, None) + 3 * np.clip(wide[0] - y[:, None], 0, None)) @ wide[1]
    np.testing.assert_allclose(newsvendor_cost(y, *wide, 2.0, 3.0), direct, rtol=1e-12, atol=1e-9)


def test_critical_fractile_rule_at_zero_costs_is_the_smallest_level():
    assert critical_fractile(0.0, 0.0) == 0.0
    assert critical_fractile(1.0, 3.0) == 0.75
    v, p = demand_pmf(UniformDemand(2, 6))
    assert newsvendor_level(v, p, 0.0, 0.0) == 2
    assert optimal_base_stock(UniformDemand(2, 6), 0, 0.0, 0.0)[0] == 2


def test_base_stock_level_on_a_wide_support_is_fast_and_exact():
    # U{0..10^5}, l = 0, h = b: the median 50_000 (no quadratic convolution)
    level, _ = optimal_base_stock(UniformDemand(0, 100_000), 0, 1.0, 1.0)
    assert level == 50_000


# ------------------------------------------------------------------ problem or model
def test_evaluate_policy_on_a_problem_equals_on_the_model():
    model = SingleSourcingModel(
        lead_time=2, holding_cost=5, shortage_cost=495, init_inventory=3, demand_generator=UniformDemand(0, 4)
    )
    on_model = evaluate_policy(base_stock(11), model)
    on_problem = evaluate_policy(base_stock(11), model.problem)
    assert on_problem.average_cost == on_model.average_cost
    assert on_problem.n_states == on_model.n_states
    np.testing.assert_array_equal(on_problem.states, on_model.states)


def test_solvers_accept_a_problem():
    problem = SourcingProblem.dual(
        regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=20,
        holding_cost=5, shortage_cost=495, demand=UniformDemand(0, 4),
    )
    assert round(solve_dual_sourcing_average_cost(problem).optimal_cost, 4) == 23.0714
    single = SourcingProblem.single(lead_time=0, holding_cost=5, shortage_cost=495, demand=UniformDemand(0, 4))
    assert solve_finite_horizon(single, horizon=3).optimal_cost == pytest.approx(30.0)
    assert evaluate_policy_finite_horizon(base_stock(4), single, horizon=3).total_cost == pytest.approx(30.0)
    assert evaluate_policy_discounted(base_stock(4), single, discount=0.9).discounted_cost == pytest.approx(100.0)


def test_solvers_refuse_what_is_neither_a_problem_nor_a_model():
    with pytest.raises(TypeError, match="must be a SourcingProblem or a sourcing model"):
        evaluate_policy(base_stock(4), object())


# ------------------------------------------------------------------- policy protocol
def test_evaluate_policy_refuses_a_period_dependent_callable():
    model = SingleSourcingModel(
        lead_time=0, holding_cost=5, shortage_cost=495, init_inventory=0, demand_generator=UniformDemand(0, 4)
    )
    with pytest.raises(ValueError, match="must be a stationary policy .* evaluate_policy_finite_horizon"):
        evaluate_policy(lambda s, t: base_stock(4 + t % 2)(s), model)


def test_evaluate_policy_refuses_a_period_dependent_controller():
    from idinn.single_controller import FiniteHorizonBaseStockController

    model = SingleSourcingModel(
        lead_time=0, holding_cost=5, shortage_cost=495, init_inventory=0,
        demand_generator=SeasonalDemand.uniform(lows=[0, 2], highs=[2, 4]),
    )
    controller = FiniteHorizonBaseStockController().fit(model, horizon=4)
    assert not controller.is_stationary
    stationary_model = SingleSourcingModel(
        lead_time=0, holding_cost=5, shortage_cost=495, init_inventory=0, demand_generator=UniformDemand(0, 4)
    )
    with pytest.raises(ValueError, match="The 'policy' parameter of evaluate_policy must be a stationary policy"):
        evaluate_policy(controller, stationary_model)
    # the finite-horizon evaluator passes the period: it reproduces the controller's optimum
    ev = evaluate_policy_finite_horizon(controller, model, horizon=4)
    assert ev.total_cost == pytest.approx(controller.solution_.optimal_cost, rel=1e-12)


def test_dual_model_and_problem_give_the_same_dp():
    model = DualSourcingModel(
        regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=20,
        holding_cost=5, shortage_cost=495, init_inventory=0, demand_generator=UniformDemand(0, 4),
    )
    a = solve_dual_sourcing_average_cost(model)
    b = solve_dual_sourcing_average_cost(model.problem)
    assert a.optimal_cost == b.optimal_cost
    np.testing.assert_array_equal(a.policy_table, b.policy_table)


def test_base_stock_controller_cost_unchanged():
    model = SingleSourcingModel(
        lead_time=0, holding_cost=5, shortage_cost=495, init_inventory=10, demand_generator=UniformDemand(0, 4)
    )
    c = BaseStockController().fit(model)
    assert (c.z_star, c.expected_cost_) == (4, 10.0)
