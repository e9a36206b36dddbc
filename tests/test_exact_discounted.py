"""Infinite-horizon discounted dynamic programming and exact discounted policy evaluation."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch

from idinn.demand import SeasonalDemand, UniformDemand
from idinn.dual_controller import CappedDualIndexController
from idinn.dual_controller.time_dp import DiscountedDPController
from idinn.exact import (
    evaluate_policy_discounted,
    evaluate_policy_finite_horizon,
    solve_discounted,
    solve_dual_sourcing_average_cost,
    solve_finite_horizon,
)
from idinn.single_controller.base_stock import lead_time_demand_pmf
from idinn.single_controller.time_dp import DiscountedBaseStockController
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel


def dual_u04(init_inventory: int = 0, demand=None) -> DualSourcingModel:
    """l_r = 2, l_e = 0, c_r = 0, c_e = 20, h = 5, b = 495, D ~ U{0..4}."""
    return DualSourcingModel(2, 0, 0, 20, 5, 495, init_inventory, demand or UniformDemand(0, 4))


def seasonal_issue_model() -> DualSourcingModel:
    return dual_u04(6, SeasonalDemand.uniform(lows=[0, 1, 3, 1], highs=[2, 5, 7, 5]))


def test_single_sourcing_hand_computed():
    # l = 2, U{0..4}, h = 5, b = 495, gamma = 0.95, I_0 = 10: base stock S = 11 (the 0.99
    # quantile of D^(3)) from period 0 on. Periods 0, 1 are committed:
    # 5 E(10 - D) + 0.95 * 5 E(10 - D - D') = 40 + 28.5; every later period costs
    # G(11) = 5 (5 + 1/125) + 495/125 = 29: total 68.5 + 29 * 0.95^2 / 0.05 = 591.95.
    model = SingleSourcingModel(2, 5, 495, 10, UniformDemand(0, 4))
    solution = solve_discounted(model, 0.95)
    assert solution.committed_cost == pytest.approx(68.5, abs=1e-12)
    assert solution.optimal_cost == pytest.approx(591.95, abs=1e-8)
    assert solution.lower_bound - 1e-9 <= solution.optimal_cost <= solution.upper_bound + 1e-9
    assert solution.converged and solution.boundary_mass == 0.0
    controller = DiscountedBaseStockController().fit(model, 0.95)
    assert controller.base_stock_levels_.tolist() == [11.0]
    # the same model from I_0 = 0 (the value reported in docs/exact_finite_horizon.md)
    zero = solve_discounted(SingleSourcingModel(2, 5, 495, 0, UniformDemand(0, 4)), 0.95)
    # committed 495 * 2 + 0.95 * 495 * 4 = 2871; afterwards 29 * 0.95^2 / 0.05 = 523.45
    assert zero.optimal_cost == pytest.approx(2871 + 523.45, abs=1e-8)


def test_single_sourcing_level_with_order_cost():
    # stationary discounted base stock: P(D^(l+1) <= S) >= (gamma^l b - c (1 - gamma)) /
    # (gamma^l (b + h)) = (0.9 * 9 - 0.2) / 9 = 0.8778 for l = 1, c = 2, h = 1, b = 9,
    # gamma = 0.9: S = 6 (CDF .76 at 5, .88 at 6), below the 0.9 quantile 7.
    model = SingleSourcingModel(1, 1, 9, 0, UniformDemand(0, 4), order_cost=2)
    values, probs = lead_time_demand_pmf(UniformDemand(0, 4), 2)
    cdf = dict(zip(values.tolist(), np.cumsum(probs)))
    assert cdf[6] >= 7.9 / 9 > cdf[5]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        controller = DiscountedBaseStockController().fit(model, 0.9)
    assert controller.base_stock_levels_.tolist() == [6.0]
    ev = evaluate_policy_discounted(controller, model, 0.9)
    assert ev.discounted_cost == pytest.approx(controller.optimal_cost_, rel=1e-9)


def test_dual_sourcing_value_and_exact_policy_evaluation():
    model = dual_u04()
    controller = DiscountedDPController().fit(model, 0.95)
    assert controller.optimal_cost_ == pytest.approx(550.7586093219, abs=1e-6)
    assert controller.lower_bound_ - 1e-9 <= controller.optimal_cost_ <= controller.upper_bound_ + 1e-9
    assert controller.upper_bound_ - controller.lower_bound_ <= 1e-10 * controller.optimal_cost_
    assert controller.boundary_mass_ == 0.0 and controller.season_length_ == 1
    # full-state enumeration of the fitted policy, independent of the reduced table
    ev = evaluate_policy_discounted(controller, model, 0.95)
    assert ev.discounted_cost == pytest.approx(controller.optimal_cost_, rel=1e-9)
    assert ev.boundary_mass == 0.0
    # no capped dual index does better
    cdi = CappedDualIndexController(s_e=4, s_r=9, q_r=3)
    cdi.sourcing_model = model
    assert evaluate_policy_discounted(cdi, model, 0.95).discounted_cost > controller.optimal_cost_


def test_discount_to_one_approaches_average_cost():
    model = dual_u04()
    g = solve_dual_sourcing_average_cost(model).optimal_cost
    err = {}
    for gamma in (0.99, 0.999):
        err[gamma] = (1 - gamma) * solve_discounted(model, gamma).optimal_cost - g
    # (1 - gamma) V_gamma = g + (1 - gamma) h(s0) + o(1 - gamma)
    assert abs(err[0.999]) < 0.1
    assert err[0.999] / err[0.99] == pytest.approx(0.1, rel=0.02)


def test_seasonal_periodic_policy():
    model = seasonal_issue_model()
    solution = solve_discounted(model, 0.95)
    assert solution.season_length == 4 and solution.policy_tables.shape[0] == 4
    assert solution.boundary_mass == 0.0
    assert solution.optimal_cost == pytest.approx(415.2979846759, abs=1e-6)
    controller = DiscountedDPController().fit(model, 0.95)
    # exact evaluation of the periodic policy on (phase, state) pairs
    ev = evaluate_policy_discounted(controller, model, 0.95)
    assert ev.discounted_cost == pytest.approx(solution.optimal_cost, rel=1e-9)
    assert set(ev.phases.tolist()) == {0, 1, 2, 3}
    # a long discounted finite horizon: gamma^600 * (cost scale) < 1e-9
    long_fh = solve_finite_horizon(model, 600, discount=0.95)
    assert long_fh.optimal_cost == pytest.approx(solution.optimal_cost, abs=1e-7)
    fh_eval = evaluate_policy_finite_horizon(controller, model, 600, discount=0.95)
    assert fh_eval.total_cost == pytest.approx(solution.optimal_cost, abs=1e-7)
    # phases: period t uses the table of t % 4
    state = [[6, 0, 0]]
    for t in range(8):
        expected = solution.policy_tables[t % 4][6 - solution.min_position, 0]
        assert controller.predict(6, [0, 0], period=t) == tuple(int(x) for x in expected)
        np.testing.assert_array_equal(solution.orders(state, t)[0], expected)


def test_constant_season_equals_stationary():
    stationary = solve_discounted(dual_u04(), 0.9)
    model = dual_u04(0, SeasonalDemand([UniformDemand(0, 4)] * 3))
    periodic = solve_discounted(model, 0.9)
    # three equal phases collapse into one
    assert periodic.season_length == 1
    assert periodic.optimal_cost == pytest.approx(stationary.optimal_cost, rel=1e-9)
    np.testing.assert_array_equal(periodic.policy_tables, stationary.policy_tables)
    # the evaluation enumerates (t mod 3, state) pairs and agrees
    controller = DiscountedDPController().fit(model, 0.9)
    ev = evaluate_policy_discounted(controller, model, 0.9)
    assert ev.season_length == 3
    assert ev.discounted_cost == pytest.approx(stationary.optimal_cost, rel=1e-9)
    # a season of period 2 repeated twice has 2 phases
    two = solve_discounted(dual_u04(0, SeasonalDemand.uniform([0, 1, 0, 1], [2, 3, 2, 3])), 0.9)
    assert two.season_length == 2


def test_expedited_lead_time_positive():
    model = DualSourcingModel(3, 1, 0, 10, 5, 95, 2, UniformDemand(0, 3))
    solution = solve_discounted(model, 0.9)
    policy = lambda s: torch.as_tensor(solution.orders(s.numpy()), dtype=torch.float32)  # noqa: E731
    assert evaluate_policy_discounted(policy, model, 0.9).discounted_cost == pytest.approx(
        solution.optimal_cost, rel=1e-9
    )


def test_evaluation_hand_computed_and_truncation_warning():
    # base stock 4, l = 0, U{0..4}: 10 per period -> 10 / (1 - 0.9) = 100
    model = SingleSourcingModel(0, 5, 495, 0, UniformDemand(0, 4))
    ev = evaluate_policy_discounted(lambda s: (4 - s.sum(1, keepdim=True)).clamp(min=0), model, 0.9)
    assert ev.discounted_cost == pytest.approx(100.0, abs=1e-9)
    assert ev.n_states == 5
    # never ordering drives the backlog below any bound: the clipping is reported
    with pytest.warns(RuntimeWarning, match="clipped to inventory_bounds"):
        ev = evaluate_policy_discounted(lambda s: torch.zeros(s.shape[0], 1), model, 0.9, inventory_bounds=(-20, 5))
    assert ev.boundary_mass > 1e-6


def test_controller_and_bad_input():
    with pytest.raises(ValueError, match="not fitted"):
        DiscountedDPController().optimal_cost_
    with pytest.raises(ValueError, match=re.escape(
        "The 'discount' parameter of solve_discounted must be a finite real number > 0 and < 1. Got 1.0 instead."
    )):
        solve_discounted(dual_u04(), 1.0)
    with pytest.raises(ValueError, match=re.escape(
        "The 'discount' parameter of evaluate_policy_discounted must be a finite real number > 0 and < 1. Got 0 instead."
    )):
        evaluate_policy_discounted(lambda s: s[:, :2] * 0, dual_u04(), 0)
    controller = DiscountedDPController().fit(dual_u04(), 0.9)
    with pytest.raises(ValueError, match=re.escape(
        "The 'period' parameter of DiscountedDPController must be an int >= 0. Got -1 instead."
    )):
        controller.predict(0, [0, 0], period=-1)
    with pytest.raises(ValueError, match=re.escape("State [-400, 0, 0] (reduced to position z=-400")):
        controller.predict(-400, [0, 0])
    with pytest.raises(TypeError, match="unexpected keyword argument 'horizon'"):
        DiscountedDPController().fit(dual_u04(), 0.9, horizon=3)
