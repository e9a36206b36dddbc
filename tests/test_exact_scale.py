"""Exact methods and searches at practitioners' demand sizes (issue 15, items 2, 3, 5, 6)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from idinn.demand import CustomDemand, DiscretizedNormalDemand, PoissonDemand, UniformDemand
from idinn.dual_controller import CappedDualIndexController, TailoredBaseSurgeController
from idinn.dual_controller._heuristic_search import candidate_grid
from idinn.exact import (
    evaluate_policy,
    evaluate_policy_finite_horizon,
    solve_discounted,
    solve_dual_sourcing_average_cost,
    solve_finite_horizon,
)
from idinn.single_controller import BaseStockController
from idinn.single_controller.base_stock import optimal_base_stock
from idinn.sourcing_model import DualSourcingModel, SingleSourcingModel


def base_stock(level):
    return lambda s: (level - s.sum(1, keepdim=True)).clamp(min=0)


def issue_single_model(lead_time=3):
    return SingleSourcingModel(
        lead_time=lead_time, holding_cost=0.01, shortage_cost=6, init_inventory=6,
        demand_generator=PoissonDemand(1.5).truncated(tail_mass=1e-9),
    )


# ------------------------------------------------------------------------ item 1 / 2
def test_issue_base_stock_chain_complete_and_on_positions_agree():
    """Issue 15 item 1: S* = 14 at 0.0930177 per period; the complete chain has 38,416 states."""
    model = issue_single_model()
    level, cost = optimal_base_stock(model.problem.demand, 3, 0.01, 6)
    assert level == 14 and cost == pytest.approx(0.0930177, abs=5e-8)
    full = evaluate_policy(base_stock(14), model, position_only=False)
    assert full.n_states == 38_416 and full.boundary_mass == 0.0
    assert full.average_cost == pytest.approx(0.0930177, abs=5e-8)
    on_positions = evaluate_policy(base_stock(14), model, position_only=True)
    assert on_positions.average_cost == pytest.approx(full.average_cost, rel=1e-10)
    assert on_positions.expected_backlog == pytest.approx(full.expected_backlog, rel=1e-9)


def test_poisson_40_lead_time_3_on_positions_matches_the_closed_form():
    """Issue 15 item 2: the base-stock controller's own closed form is the right answer."""
    model = SingleSourcingModel(
        lead_time=3, holding_cost=1, shortage_cost=9, init_inventory=0,
        demand_generator=PoissonDemand(40).truncated(tail_mass=1e-9),
    )
    controller = BaseStockController().fit(model)
    ev = evaluate_policy(controller, model)  # a BaseStockController with a huge full chain: on positions
    assert ev.boundary_mass == 0.0 and ev.n_states < 10_000
    assert ev.average_cost == pytest.approx(controller.expected_cost_, rel=1e-10)


def test_position_only_refuses_a_policy_that_reads_the_pipeline():
    model = issue_single_model(lead_time=1)
    with pytest.raises(ValueError, match="depend on more than the inventory position"):
        evaluate_policy(lambda s: (14 - 2 * s[:, :1]).clamp(min=0), model, position_only=True)


# ---------------------------------------------------------------------------- item 3
def test_capped_dual_index_search_on_the_issue_instance_is_bounded_and_says_what_it_searched():
    model = DualSourcingModel(
        regular_lead_time=2, expedited_lead_time=0, regular_order_cost=100, expedited_order_cost=108,
        holding_cost=5, shortage_cost=495, init_inventory=30, demand_generator=DiscretizedNormalDemand(mean=25, std=8),
    )
    c = CappedDualIndexController().fit(model, sourcing_periods=100, n_paths=8, seed=1)
    r = c.search_result_
    assert r.strategy == "coarse-to-fine" and r.n_grid > 1_000_000
    assert len(r.candidates) < 2_000
    assert any("exact re-ranking skipped" in note for note in r.notes)
    # within 3 % of the exact optimum 2644.2774 (solve_dual_sourcing_average_cost on this model)
    exact_dp = 2644.2774
    assert c.best_cost_ < 1.03 * exact_dp


def test_candidate_grid_refuses_a_grid_beyond_memory():
    big = [np.arange(2_000)] * 3
    with pytest.raises(MemoryError, match=r"8e\+09 rows .* Pass narrower candidate ranges"):
        candidate_grid(big)


# ---------------------------------------------------------------------------- item 5
def test_unstable_tailored_base_surge_costs_inf_with_a_warning_never_nan():
    model = DualSourcingModel(
        regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=1,
        holding_cost=1, shortage_cost=1, init_inventory=0, demand_generator=CustomDemand({0: 0.5, 3: 0.5}),
    )
    policy = TailoredBaseSurgeController(q_r=2, s_e=0)
    policy.sourcing_model = model
    with pytest.warns(RuntimeWarning, match="The policy is unstable"):
        ev = evaluate_policy(policy, model)
    assert ev.average_cost == float("inf")
    assert not np.isnan(ev.boundary_mass)


def test_stable_policy_beyond_the_automatic_bounds_is_evaluated_not_called_unstable():
    model = SingleSourcingModel(0, 1, 9, 0, UniformDemand(0, 4))
    ev = evaluate_policy(base_stock(200), model, position_only=False)
    # inventory 196..200 with equal probability: holding 198 per period
    assert ev.average_cost == pytest.approx(198.0) and ev.boundary_mass == 0.0


@pytest.mark.parametrize("demand, cost, expected", [(4, 4, 16.0), (5, 5, 25.0)])
def test_dp_with_equal_unit_costs_and_cheap_backlog_orders_the_demand(demand, cost, expected):
    model = DualSourcingModel(
        regular_lead_time=1, expedited_lead_time=0, regular_order_cost=cost, expedited_order_cost=cost,
        holding_cost=1, shortage_cost=1, init_inventory=0, demand_generator=CustomDemand({demand: 1.0}),
    )
    result = solve_dual_sourcing_average_cost(model)
    assert result.optimal_cost == pytest.approx(expected, abs=1e-6)
    assert result.boundary_mass == 0.0
    assert int(result.orders(np.zeros((1, 2))).sum()) > 0  # it orders from the initial state


def test_dp_refuses_demand_that_is_always_zero_before_work():
    model = DualSourcingModel(
        regular_lead_time=1, expedited_lead_time=0, regular_order_cost=1, expedited_order_cost=1,
        holding_cost=1, shortage_cost=1, init_inventory=0, demand_generator=CustomDemand({0: 1.0}),
    )
    with pytest.raises(ValueError, match="with demand always 0 nothing is ever consumed"):
        solve_dual_sourcing_average_cost(model)


# ---------------------------------------------------------------------------- item 6
def dual_lead_time_6():
    return DualSourcingModel(
        regular_lead_time=6, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=20,
        holding_cost=5, shortage_cost=495, init_inventory=0, demand_generator=UniformDemand(0, 20),
    )


@pytest.mark.parametrize("solve", [
    solve_dual_sourcing_average_cost,
    lambda m: solve_finite_horizon(m, 10),
    lambda m: solve_discounted(m, 0.9),
])
def test_dp_too_large_is_refused_with_states_memory_and_the_limit(solve):
    # 21^5 = 4,084,101 overtaken regular pipelines of 5 orders in [0, 20]
    with pytest.raises(MemoryError, match=r"\d+ positions x 4084101 regular pipelines of 5 orders in \[0, 20\]") as info:
        solve(dual_lead_time_6())
    assert "GiB" in str(info.value) and "max_entries=" in str(info.value)


def test_dp_limit_can_be_raised_or_lowered():
    model = DualSourcingModel(
        regular_lead_time=2, expedited_lead_time=0, regular_order_cost=0, expedited_order_cost=20,
        holding_cost=5, shortage_cost=495, init_inventory=0, demand_generator=UniformDemand(0, 4),
    )
    with pytest.raises(MemoryError, match="above the limit of 100"):
        solve_dual_sourcing_average_cost(model, max_entries=100)


def test_evaluate_policy_refuses_an_enumeration_beyond_the_budget():
    model = SingleSourcingModel(2, 1, 9, 0, UniformDemand(0, 4))
    with pytest.raises(MemoryError, match=r"states reached so far .* Lower 'max_states'"):
        evaluate_policy(base_stock(11), model, position_only=False, max_entries=1_000)


def test_finite_horizon_evaluation_refuses_a_distribution_beyond_the_budget():
    model = SingleSourcingModel(2, 1, 9, 0, UniformDemand(0, 40))
    with pytest.raises(MemoryError, match="evaluate_policy_finite_horizon would need"):
        evaluate_policy_finite_horizon(lambda s: torch.randint(0, 30, (s.shape[0], 1)) * 0 + 7, model, 50,
                                       max_entries=10_000)


def test_base_stock_on_a_million_wide_support_is_fast_and_exact():
    # U{0..10^5}, l = 1, h = b: the median of the sum of two uniforms is 10^5
    level, _ = optimal_base_stock(UniformDemand(0, 100_000), 1, 1.0, 1.0)
    assert level == 100_000
